"""PyTorch's checkpoint file (``torch.save``'s zip format), read and written without torch.

A ``.pth`` file is an uncompressed zip archive whose records sit under one folder:

    archive/data.pkl            the object, pickled (protocol 2); tensors refer to storages
    archive/data/0, data/1 ...  each storage's raw little-endian bytes
    archive/byteorder           "little"
    archive/.format_version, archive/.storage_alignment, archive/version

Reading checks the archive before trusting it: only stored (uncompressed) records, as
``torch.save`` writes them, so no zip bomb can inflate; no two records overlapping; no
record name that climbs out of its folder (``..``, absolute paths, backslashes); every
record's CRC-32 (so a flipped bit is caught - torch itself skips this check); and every
storage's size is the one its tensors need. Then ``pickle_safe.unpickle`` builds the object.
"""
import io
import zipfile
import zlib

import numpy as np

from .errors import CheckpointError
from .pickle_safe import TorchPickler, unpickle

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_PICKLE = 1 << 30  # data.pkl holds structure, not weights: 1 GiB is far beyond any real one
_ALIGN = 64


# ================================================================================ read
def load_torch_zip(f, name, weights_only=True):
    try:
        archive = zipfile.ZipFile(f)
        infos = archive.infolist()
    except CheckpointError:
        raise
    except Exception as e:  # BadZipFile, struct/Unicode errors, a short read: all malformed
        raise CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint: a broken zip "
                              f"archive ({type(e).__name__}: {e})") from None
    with archive:
        records = _check_records(infos, name, _archive_size(f))
        prefix = _prefix(records, name)

        def read(record, expected=None):
            info = records.get(prefix + record)
            if info is None:
                raise CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint: the "
                                      f"archive has no record {prefix + record!r}")
            if expected is not None and info.file_size != expected:
                raise CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint: record "
                                      f"{record!r} holds {info.file_size} bytes, its tensors "
                                      f"need {expected}")
            buf = np.empty(info.file_size, dtype=np.uint8)
            try:
                with archive.open(info) as stream:
                    got = stream.readinto(memoryview(buf)) if info.file_size else 0
                    if got != info.file_size or stream.read(1):
                        raise zipfile.BadZipFile("record length differs from its header")
            except CheckpointError:
                raise
            except Exception as e:  # a bad CRC (a flipped bit), a truncated archive, ...
                raise CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint: record "
                                      f"{record!r} is damaged ({type(e).__name__}: {e})") from None
            return buf

        byteorder = "little"
        if prefix + "byteorder" in records:
            byteorder = bytes(read("byteorder")).decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise CheckpointError(f"npgrad.load: {name!r}: unknown byteorder {byteorder!r:.20}")
        info = records.get(prefix + "data.pkl")
        if info is not None and info.file_size > MAX_PICKLE:
            raise CheckpointError(f"npgrad.load: {name!r}: data.pkl declares {info.file_size} bytes")
        data = bytes(read("data.pkl"))

        def load_storage(key, nbytes, dtype):
            if "/" in key or key in ("", ".", ".."):
                raise CheckpointError(f"npgrad.load: {name!r}: bad storage key {key!r:.40}")
            return read(f"data/{key}", nbytes)

        obj = unpickle(data, load_storage, weights_only, name)
    if byteorder == "big":
        raise CheckpointError(f"npgrad.load: {name!r} was saved on a big-endian machine, which "
                              "npgrad does not read yet")
    return obj


def _archive_size(f):
    try:
        here = f.tell()
        end = f.seek(0, 2)
        f.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def _check_records(infos, name, size):
    """name -> ZipInfo, after refusing compressed, overlapping, out-of-range or
    path-climbing records."""
    fail = lambda what: CheckpointError(  # noqa: E731
        f"npgrad.load: {name!r} is not a valid checkpoint: {what}")
    records, spans = {}, []
    for info in infos:
        n = info.filename
        parts = n.replace("\\", "/").split("/")
        if (n.startswith("/") or "\\" in n or "\0" in n or ":" in parts[0]
                or any(p in ("..", ".") for p in parts)):
            raise fail(f"the archive holds a record named {n!r:.80}, which climbs out of its "
                       "folder (a path-traversal attack?)")
        if info.compress_type != zipfile.ZIP_STORED:
            raise fail(f"record {n!r:.80} is compressed; torch.save writes only stored records, "
                       "and npgrad reads no others (no zip bomb can inflate)")
        if info.compress_size != info.file_size:
            raise fail(f"record {n!r:.80} says it is stored but its sizes differ")
        if n in records:
            raise fail(f"the archive holds two records named {n!r:.80}")
        start = info.header_offset
        end = start + 30 + len(info.orig_filename.encode("utf-8", "replace")) + info.file_size
        if size is not None and end > size:
            raise fail(f"record {n!r:.80} claims {info.file_size} bytes, past the end of the "
                       f"{size}-byte file")
        spans.append((start, end, n))
        records[n] = info
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            raise fail(f"records {an!r:.60} and {bn!r:.60} overlap (a zip bomb?)")
    return records


def _prefix(records, name):
    pickles = [n for n in records if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"npgrad.load: {name!r} is a zip archive but not a PyTorch "
                              "checkpoint: it needs exactly one FOLDER/data.pkl record")
    prefix = pickles[0][: -len("data.pkl")]
    strays = [n for n in records if not n.startswith(prefix)]
    if strays:
        raise CheckpointError(f"npgrad.load: {name!r}: record {strays[0]!r:.80} lies outside "
                              f"the archive's folder {prefix!r}")
    return prefix


# ================================================================================ write
def save_torch_zip(obj, f, archive_name="archive", protocol=2):
    """Write ``obj`` to the binary file ``f`` as ``torch.save`` would."""
    buf = io.BytesIO()
    pickler = TorchPickler(buf, protocol=protocol)
    pickler.dump(obj)
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", str(_ALIGN).encode()), ("byteorder", b"little")]
    records += [(f"data/{key}", arr) for key, arr in pickler.storages.items()]
    records += [("version", b"3\n")]
    writer = _AlignedZip(f)
    for record, payload in records:
        writer.add(f"{archive_name}/{record}", payload)
    writer.close()


class _AlignedZip:
    """A minimal stored-only zip writer whose record data start 64-byte aligned (what torch
    writes, so its loader can mmap them), streaming arrays without a copy."""

    def __init__(self, f):
        self.f, self.entries = f, []
        try:
            self.pos = f.tell()
        except (AttributeError, OSError):
            self.pos = 0
        self.start = self.pos

    def _write(self, data):
        self.f.write(data)
        self.pos += len(data)

    def add(self, name, payload):
        view = memoryview(payload.reshape(-1)).cast("B") if isinstance(payload, np.ndarray) and payload.nbytes \
            else memoryview(payload if not isinstance(payload, np.ndarray) else b"")
        crc = zlib.crc32(view)
        raw = name.encode("utf-8")
        offset = self.pos - self.start
        pad = -(self.pos + 30 + len(raw) + 4) % _ALIGN
        extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
        size = len(view)
        if size >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
            raise ValueError("npgrad.save: torch-format files over 4 GB are not supported yet")
        self._write(b"PK\x03\x04" + _u16(20) + _u16(0) + _u16(0) + _u16(0) + _u16(0x21)
                    + _u32(crc) + _u32(size) + _u32(size) + _u16(len(raw)) + _u16(len(extra))
                    + raw + extra)
        self._write(view)
        self.entries.append((raw, crc, size, offset))

    def close(self):
        cd_start = self.pos - self.start
        for raw, crc, size, offset in self.entries:
            self._write(b"PK\x01\x02" + _u16(20) + _u16(20) + _u16(0) + _u16(0) + _u16(0)
                        + _u16(0x21) + _u32(crc) + _u32(size) + _u32(size) + _u16(len(raw))
                        + _u16(0) + _u16(0) + _u16(0) + _u16(0) + _u32(0) + _u32(offset) + raw)
        cd_size = self.pos - self.start - cd_start
        n = len(self.entries)
        self._write(b"PK\x05\x06" + _u16(0) + _u16(0) + _u16(n) + _u16(n) + _u32(cd_size)
                    + _u32(cd_start) + _u16(0))


def _u16(v):
    return v.to_bytes(2, "little")


def _u32(v):
    return v.to_bytes(4, "little")
