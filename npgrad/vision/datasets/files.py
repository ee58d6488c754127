"""Reading a dataset's IDX files once per process, verified against their checksums.

Decompressing and hashing MNIST's training images takes about a third of a second, so each
verified, parsed array is kept in memory keyed by the file's path, modification time, size
and expected MD5: building ``MNIST(...)`` again (in a test, a lesson, a notebook) costs
nothing, while a file changed on disk is read and checked afresh. The arrays are read-only,
since every dataset object built from the same file shares them.
"""
import os

from .download import checksum_error
from .idx import MAX_BYTES, CorruptFileError, stream_idx

_parsed = {}  # file key -> read-only ndarray
_verified = set()  # file keys whose checksum matched


def _key(path, md5):
    st = os.stat(path)
    return (os.path.realpath(path), st.st_mtime_ns, st.st_size, md5)


def is_intact(path, md5, checksum_of="payload", max_bytes=MAX_BYTES):
    """Whether ``path`` exists and matches ``md5`` (checked once per process per file).

    Checking reads the file through ``load_idx``, so the parsed array is kept for the
    dataset that asked (``download=True`` then costs no second read)."""
    if not os.path.isfile(path):
        return False
    if _key(path, md5) in _verified:
        return True
    try:
        load_idx(path, md5, checksum_of, max_bytes)
    except CorruptFileError:
        return False
    return True


def load_idx(path, md5, checksum_of="payload", max_bytes=MAX_BYTES):
    """The array in the IDX file ``path`` after checking its MD5 (``ChecksumError`` if it
    does not match, ``CorruptFileError`` if it cannot be decoded). Streamed: never more
    than ``max_bytes`` of payload are inflated, whatever the file holds."""
    key = _key(path, md5)
    arr = _parsed.get(key)
    if arr is None:
        arr, actual = stream_idx(path, max_bytes, md5_of=checksum_of)
        if actual != md5:
            raise checksum_error(path, actual, md5, checksum_of)
        arr.flags.writeable = False
        _parsed[key] = arr
        _verified.add(key)
    return arr


def clear_cache():
    """Forget every parsed array (the next load reads and verifies the files again)."""
    _parsed.clear()
    _verified.clear()
