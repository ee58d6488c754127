"""The IDX file format of MNIST and its cousins, read into NumPy arrays.

An IDX file is a tiny header followed by raw numbers:

    bytes 0-1   zero
    byte  2     the type of the numbers: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64 (all big-endian)
    byte  3     the number of dimensions, d
    then        d sizes, each a big-endian uint32 (60000, 28, 28 for MNIST's training images)
    then        the numbers, row-major: exactly prod(sizes) of them

``read_idx`` checks every part of that (a truncated download or a file of the wrong kind is
named in the error), reading ``.gz`` files or plain ones.
"""
import gzip
import hashlib
import os
import zlib

import numpy as np

from ..._errors import CorruptFileError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: the most payload bytes ``read_idx`` accepts unless told otherwise (MNIST's largest is 47 MB)
MAX_BYTES = 1 << 30
_CHUNK = 1 << 20

__all__ = ["CorruptFileError", "read_idx", "parse_idx", "read_bytes", "gunzip", "stream_idx"]


def read_bytes(path):
    """The payload of ``path``: the decompressed bytes of a ``.gz`` file, else the file's
    bytes. A broken gzip stream raises ``CorruptFileError`` naming the file."""
    with open(path, "rb") as f:
        raw = f.read()
    if not str(path).endswith(".gz"):
        return raw
    return gunzip(raw, path)


def gunzip(raw, path):
    """Decompress gzip bytes ``raw`` read from ``path`` (the name is for error messages)."""
    name = os.path.basename(str(path))
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise CorruptFileError(
            f"{name}: the gzip stream ends early (the file is truncated, probably an "
            f"interrupted download); delete {path} and download it again"
        ) from None
    except (OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError; so is a CRC mismatch
        raise CorruptFileError(
            f"{name}: not a valid gzip file ({e}); delete {path} and download it again"
        ) from None


def _header(head, name, max_bytes):
    """(dtype, shape, header length) from the first bytes, every dimension validated in
    Python integers (no int64 overflow) before anything is allocated."""
    size = len(head)
    if size < 4:
        raise CorruptFileError(f"{name}: only {size} bytes, too short for an IDX header")
    if head[0] != 0 or head[1] != 0:
        raise CorruptFileError(
            f"{name}: bad magic number 0x{int.from_bytes(head[:4], 'big'):08X}: not an IDX file "
            f"(an IDX file starts with two zero bytes)"
        )
    code, ndim = head[2], head[3]
    if code not in _TYPES:
        raise CorruptFileError(f"{name}: unknown IDX type code 0x{code:02X} (expected one of "
                               + ", ".join(f"0x{c:02X}" for c in _TYPES) + ")")
    if ndim == 0:
        raise CorruptFileError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if size < header:
        raise CorruptFileError(f"{name}: truncated inside the header ({size} bytes, header needs {header})")
    shape = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[code])
    count = 1
    for d in shape:
        count *= d  # a Python int: no overflow, however large the dimensions
    nbytes = count * dtype.itemsize
    if nbytes > max_bytes:
        dims = "x".join(str(d) for d in shape)
        raise CorruptFileError(f"{name}: the header declares {dims} values of {dtype.name} "
                               f"({nbytes} bytes), more than the {max_bytes} bytes allowed "
                               "for this file")
    return dtype, shape, header, nbytes


def parse_idx(data, name="<bytes>", max_bytes=MAX_BYTES):
    """The array stored in the IDX bytes ``data`` (``name`` labels the errors).

    The result is read-only when it shares memory with ``data`` (uint8 files: no copy);
    multi-byte numbers are converted to the machine's byte order.
    """
    size = len(data)
    dtype, shape, header, nbytes = _header(bytes(data[:4 + 4 * 255]), name, max_bytes)
    expected = header + nbytes
    dims = "x".join(str(d) for d in shape)
    if size < expected:
        raise CorruptFileError(
            f"{name}: truncated: the header declares {dims} values of {dtype.name} "
            f"({expected} bytes in all) but the file has {size} bytes"
        )
    if size > expected:
        raise CorruptFileError(
            f"{name}: {size - expected} unexpected bytes after the {dims} values the header declares"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    if dtype.itemsize > 1:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def stream_idx(path, max_bytes=MAX_BYTES, md5_of=None):
    """Read the IDX file at ``path`` as a stream: the gzip payload is inflated chunk by
    chunk straight into the array the header declares, and never one byte past it, so a
    gzip bomb costs no more memory than the data it claims to be (bounded by
    ``max_bytes``). Returns ``(array, md5 hex)``: the MD5 of the payload
    (``md5_of="payload"``), of the file's own bytes (``"file"``), or None."""
    name = os.path.basename(str(path))
    gz = str(path).endswith(".gz")
    file_digest = None
    if md5_of == "file":
        file_digest = hashlib.md5()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                file_digest.update(chunk)
    payload_digest = hashlib.md5() if md5_of == "payload" else None
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) == 4 and head[:2] == b"\0\0":
                head += f.read(4 * head[3])
            dtype, shape, header, nbytes = _header(head, name, max_bytes)
            arr = np.empty(nbytes, dtype=np.uint8)
            view = memoryview(arr)
            got = 0
            while got < nbytes:
                n = f.readinto(view[got:got + _CHUNK])
                if not n:
                    break
                got += n
            extra = len(f.read(_CHUNK))  # bounded: a bomb is not inflated past this
    except EOFError:
        raise CorruptFileError(
            f"{name}: the gzip stream ends early (the file is truncated, probably an "
            f"interrupted download); delete {path} and download it again") from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise CorruptFileError(f"{name}: not a valid gzip file ({e}); delete {path} and "
                               "download it again") from None
    dims = "x".join(str(d) for d in shape)
    if got < nbytes:
        raise CorruptFileError(
            f"{name}: truncated: the header declares {dims} values of {dtype.name} "
            f"({header + nbytes} bytes in all) but the file has {header + got} bytes")
    if extra:
        count = f"{extra}" if extra < _CHUNK else f"at least {extra}"
        raise CorruptFileError(f"{name}: {count} unexpected bytes after the {dims} values the "
                               "header declares (not the file it claims to be)")
    if payload_digest is not None:
        payload_digest.update(head)
        payload_digest.update(view)
    out = arr.view(dtype).reshape(shape)
    if dtype.itemsize > 1:
        out = out.astype(dtype.newbyteorder("="))
    digest = file_digest or payload_digest
    return out, (digest.hexdigest() if digest is not None else None)


def read_idx(path, max_bytes=MAX_BYTES):
    """Read the IDX file at ``path`` (``.gz`` or plain) into a NumPy array, checking its header
    and length; streamed, so memory stays at the size of the data the header declares."""
    return stream_idx(path, max_bytes)[0]
