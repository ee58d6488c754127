"""The IDX reader: every number type, .gz or plain, and an error naming the file for each way
a file can be broken."""
import gzip
import os
import struct

import numpy as np
import pytest

from npgrad.vision.datasets import CorruptFileError, parse_idx, read_idx
from npgrad.vision.datasets.files import clear_cache, load_idx
from npgrad.vision.datasets.download import ChecksumError, md5_of

from conftest import DATA, requires_mnist

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def idx_bytes(arr):
    """The IDX encoding of ``arr``, written out by hand from the format's definition."""
    header = bytes([0, 0, CODES[arr.dtype.type], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(CODES))
def test_reads_every_type_plain_and_gzipped(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    plain = tmp_path / "a-idx3"
    plain.write_bytes(idx_bytes(arr))
    packed = tmp_path / "a-idx3.gz"
    packed.write_bytes(gzip.compress(idx_bytes(arr)))
    for path in (plain, packed):
        out = read_idx(path)
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative
        np.testing.assert_array_equal(out, arr)


@requires_mnist
def test_real_mnist_labels_header():
    labels = read_idx(os.path.join(DATA, "MNIST", "raw", "t10k-labels-idx1-ubyte.gz"))
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b[:-5], "truncated: the header declares 2x3 values"),
    (lambda b: b + b"\x00\x00", "2 unexpected bytes"),
    (lambda b: b"\x08\x03" + b[2:], "bad magic number"),
    (lambda b: b[:2] + b"\x0A" + b[3:], "unknown IDX type code 0x0A"),
    (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
    (lambda b: b[:6], "truncated inside the header"),
    (lambda b: b[:2], "too short"),
])
def test_broken_files_are_named(tmp_path, mutate, message):
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    path = tmp_path / "broken-idx2-ubyte"
    path.write_bytes(mutate(good))
    with pytest.raises(CorruptFileError, match=message) as err:
        read_idx(path)
    assert "broken-idx2-ubyte" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_truncated_and_corrupt_gzip_are_named(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(3000, dtype=np.int32)))
    cut = tmp_path / "cut-idx1.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(CorruptFileError, match="cut-idx1.gz: the gzip stream ends early"):
        read_idx(cut)
    junk = tmp_path / "junk-idx1.gz"
    junk.write_bytes(b"this is not gzip at all")
    with pytest.raises(CorruptFileError, match="junk-idx1.gz: not a valid gzip file"):
        read_idx(junk)
    flipped = bytearray(packed)
    flipped[len(flipped) // 2] ^= 0xFF
    bad = tmp_path / "flip-idx1.gz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(CorruptFileError, match="flip-idx1.gz"):
        read_idx(bad)


def test_parse_idx_labels_its_errors_with_the_given_name():
    with pytest.raises(CorruptFileError, match="mine.idx"):
        parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x05abc", name="mine.idx")


def test_load_idx_verifies_the_payload_md5_and_caches(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(arr), mtime=0))
    md5 = md5_of(path)  # of the decompressed payload
    assert md5 != md5_of(path, checksum_of="file")
    clear_cache()
    first = load_idx(path, md5)
    assert load_idx(path, md5) is first  # parsed once per process
    assert not first.flags.writeable
    with pytest.raises(ChecksumError, match="x-idx1-ubyte.gz: the MD5 of its decompressed payload is"):
        load_idx(path, "0" * 32)
    # a file changed on disk is read again, not served from the cache
    before = path.stat().st_mtime_ns
    path.write_bytes(gzip.compress(idx_bytes(arr[::-1].copy()), mtime=0))
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a new mtime even on coarse clocks
    with pytest.raises(ChecksumError):
        load_idx(path, md5)
