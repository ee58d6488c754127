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
import os
import zlib

import numpy as np

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class CorruptFileError(ValueError):
    """A data file that is truncated, corrupt, or not the file it claims to be."""


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


def parse_idx(data, name="<bytes>"):
    """The array stored in the IDX bytes ``data`` (``name`` labels the errors).

    The result is read-only when it shares memory with ``data`` (uint8 files: no copy);
    multi-byte numbers are converted to the machine's byte order.
    """
    size = len(data)
    if size < 4:
        raise CorruptFileError(f"{name}: only {size} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise CorruptFileError(
            f"{name}: bad magic number 0x{int.from_bytes(data[:4], 'big'):08X}: not an IDX file "
            f"(an IDX file starts with two zero bytes)"
        )
    code, ndim = data[2], data[3]
    if code not in _TYPES:
        raise CorruptFileError(f"{name}: unknown IDX type code 0x{code:02X} (expected one of "
                               + ", ".join(f"0x{c:02X}" for c in _TYPES) + ")")
    if ndim == 0:
        raise CorruptFileError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if size < header:
        raise CorruptFileError(f"{name}: truncated inside the header ({size} bytes, header needs {header})")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
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


def read_idx(path):
    """Read the IDX file at ``path`` (``.gz`` or plain) into a NumPy array, checking its header
    and length."""
    return parse_idx(read_bytes(path), name=os.path.basename(str(path)))
