"""PyTorch's legacy (before 1.6) checkpoint format: a bare stream of pickles, read with the
same weights-only unpickler as the zip format.

    pickle: the magic number 0x1950a86a20f9469cfc6c
    pickle: the protocol version, 1001
    pickle: sys_info {"protocol_version", "little_endian", "type_sizes"}
    pickle: the object; storages are persistent ids ('storage', type, key, location, numel, view)
    pickle: the storage keys, in the order their bytes follow
    then, per key: numel as a little-endian int64, then numel elements' raw bytes

The storages' bytes come after the object's pickle, so the pickle is read twice: once to
learn the storages it needs (and where it ends), then, with their bytes in hand, to build
the object. Every declared size is checked against the bytes the file has left.
(The even older tar-based format is not read.)
"""
import io

import numpy as np

from .errors import CheckpointError
from .pickle_safe import unpickle

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001


def looks_legacy(head):
    """Whether the first bytes are the pickled magic number (protocol 2: \\x80\\x02\\x8a\\x0a)."""
    return head[:4] == b"\x80\x02\x8a\x0a"


def load_torch_legacy(f, name, weights_only=True):
    data = f.read()
    size = len(data)
    stream = io.BytesIO(data)

    def fail(what):
        return CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint (PyTorch's "
                               f"legacy format): {what}")

    def plain(what):
        def no_storage(*_):
            raise fail(f"the {what} refers to a storage")
        return _unpickle_from(stream, no_storage, True, name)

    if plain("magic number") != MAGIC:
        raise fail("bad magic number")
    if plain("protocol version") != PROTOCOL:
        raise fail("unknown protocol version")
    info = plain("system information")
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise fail("it was saved on a big-endian machine, or its system information is bad")
    start = stream.tell()

    wanted, budget = {}, [size - start]

    def declare(key, nbytes, dtype):
        budget[0] -= nbytes
        if budget[0] < 0:
            raise fail(f"storage {key!r} declares {nbytes} bytes, more than the file holds")
        wanted[key] = (nbytes, dtype)
        return np.zeros(nbytes, dtype=np.uint8)

    _unpickle_from(stream, declare, weights_only, name)  # pass 1: what storages, where it ends
    keys = plain("storage key list")
    if not isinstance(keys, list) or set(keys) != set(wanted) or len(keys) != len(wanted):
        raise fail("the storage key list does not match the storages the object uses")
    filled = {}
    for key in keys:
        nbytes, dtype = wanted[key]
        head = stream.read(8)
        if len(head) != 8 or int.from_bytes(head, "little", signed=True) * dtype.itemsize != nbytes:
            raise fail(f"storage {key!r}: its size record does not match ({nbytes} bytes expected)")
        buf = np.empty(nbytes, dtype=np.uint8)
        if stream.readinto(memoryview(buf)) != nbytes:
            raise fail(f"the file ends inside storage {key!r} (truncated)")
        filled[key] = buf
    if stream.read(1):
        raise fail("bytes follow the last storage")
    stream.seek(start)
    return _unpickle_from(stream, lambda key, nbytes, dtype: filled[key], weights_only, name)


def _unpickle_from(stream, load_storage, weights_only, name):
    """Unpickle one pickle from ``stream`` at its position, leaving it just past the pickle."""
    here = stream.tell()
    view = stream.getbuffer()[here:]
    inner = io.BytesIO(view)
    try:
        obj = unpickle(inner, load_storage, weights_only, name)
    finally:
        used = inner.tell()
        del inner
        view.release()
    stream.seek(here + used)
    return obj
