"""npgrad's default checkpoint format: **safetensors**, which is only numbers and JSON.

    ┌───────────────┬─────────────────────────────┬──────────────────────────────────┐
    │ 8 bytes: N    │ N bytes: JSON header        │ raw little-endian tensor bytes   │
    │ (uint64, LE)  │ {"w": {"dtype": "F32",      │ w's bytes, then b's bytes, ...   │
    │               │        "shape": [2, 3],     │                                  │
    │               │        "data_offsets":      │ (offsets count from the first    │
    │               │          [0, 24]}, ...,     │  byte after the header)          │
    │               │  "__metadata__": {str: str}}│                                  │
    └───────────────┴─────────────────────────────┴──────────────────────────────────┘

So a module's ``state_dict`` saved here opens with ``safetensors.torch.load_file`` in
PyTorch, and a file written by ``safetensors.torch.save_file`` opens here.

Nested objects — an optimizer's ``state_dict``, or ``{'model': ..., 'optimizer': ...,
'epoch': 3}`` — are stored as flat tensor entries named by their path
(``optimizer.state.0.exp_avg``) plus a JSON description of the structure in
``__metadata__["npgrad"]`` that says where each tensor goes back. Only plain data can be
described: dicts, lists, tuples, strings, numbers, bools, None, tensors and NumPy arrays.

Every file npgrad writes carries ``__metadata__["npgrad.sha256"]``: the SHA-256 of the
tensor table and metadata (as canonical JSON, without this key) followed by all tensor
bytes. Loading verifies it when present, so a flipped bit anywhere - in the data, a dtype,
a shape, the structure - is an error, not a silently different model. Files of other tools
have no such key and load as before. (Cost: about 0.5 ms per MB of weights each way; bench/bench_checkpoint.py.)

Loading validates everything before building a single array, and raises
``CheckpointError`` (a ``ValueError``) naming the file and the problem for anything that is
not a well-formed checkpoint; the header is capped at 100 MB and every nesting depth is
bounded, so no file makes it recurse, allocate or loop without bound.
"""
import hashlib
import json
import math
import os
from collections import OrderedDict

import numpy as np

from .._tensor import Tensor, wrap
from .errors import CheckpointError

__all__ = ["save_safetensors", "load_safetensors", "is_plain"]

# safetensors dtype names <-> NumPy dtypes (little-endian). Only dtypes npgrad has.
_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {d.str[1:]: name for name, d in _DTYPES.items()}  # "f4" -> "F32"
# safetensors dtypes that exist in the format but not in npgrad (a clearer error for them)
_FOREIGN_DTYPES = {"BF16", "F8_E4M3", "F8_E5M2", "U16", "U32", "U64", "C64", "F4", "F6_E2M3"}

_MAX_HEADER = 100 * 1024 * 1024  # the limit the safetensors library enforces too
_STRUCTURE_KEY = "npgrad"  # __metadata__ entry holding the nested structure
_FORMAT_VERSION = 1
_CHECKSUM_KEY = "npgrad.sha256"
_MAX_DEPTH = 200  # nesting of the structure description (a checkpoint needs a handful)
_MAX_NDIM = 64  # NumPy's limit


# ================================================================================ save


def save_safetensors(obj, f):
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of
    them) to the open binary file ``f`` in the safetensors format, with a checksum."""
    blob = _Flattener(obj)
    header = _header_bytes(blob.entries, blob.metadata())
    _write_payload(f, header, blob.entries)


def is_plain(obj):
    """Whether ``obj`` is data the safetensors format can describe (no arbitrary objects)."""
    try:
        _Flattener(obj, dry=True)
    except (TypeError, ValueError):
        return False
    return True


class _Flattener:
    """Walks ``obj`` once: collects its arrays as named entries and describes the rest.

    The description is JSON built from tagged nodes, so that loading rebuilds exactly the
    types that were saved (JSON alone cannot tell a tuple from a list, an int dict key
    from a str one, or write infinity):

        {"tensor": name, "requires_grad": bool}   an npgrad Tensor
        {"ndarray": name} / {"npscalar": name}    a NumPy array / scalar (e.g. np.float32(1))
        {"dict": [[key, value], ...]}             also "ordered_dict"; keys are nodes too
        {"list": [...]}, {"tuple": [...]}
        {"float": "inf" | "-inf" | "nan"}         non-finite floats
        null, true, 3, 0.5, "text"                themselves
    """

    def __init__(self, obj, dry=False):
        self.dry = dry
        self.entries = OrderedDict()  # tensor name -> contiguous little-endian ndarray
        self._names_by_id = {}  # id(array owner) -> name: a tensor saved twice is stored once
        self._keep_alive = []  # objects whose id() we memoised must outlive the walk
        self._open = set()  # ids of the containers being walked, to catch cycles
        self.structure = self._node(obj, [])

    def metadata(self):
        doc = {"version": _FORMAT_VERSION, "root": self.structure}
        return {"format": "pt", _STRUCTURE_KEY: json.dumps(doc, separators=(",", ":"))}

    def _node(self, obj, path):
        if isinstance(obj, np.generic):  # before float: np.float64 is a float subclass
            return {"npscalar": self._add(obj, np.asarray(obj), path)}
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, Tensor):
            node = {"tensor": self._add(obj, obj._data, path)}
            if obj.requires_grad:
                node["requires_grad"] = True
            return node
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._add(obj, obj, path)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._open:  # would recurse forever
                raise ValueError(f"npgrad.save: the container at {_where(path)} contains itself")
            self._open.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._open.discard(id(obj))
        hint = (f"; save its .state_dict() instead and rebuild the {type(obj).__name__} "
                "in code before loading it") if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"npgrad.save: cannot save a {type(obj).__name__} at {_where(path)} in the "
            "safetensors format, which holds tensors, NumPy arrays, numbers, strings, bools, "
            f"None, and dicts/lists/tuples of them (no pickle, so no arbitrary objects){hint}; "
            "or save the whole object to a .pt/.pth file (PyTorch's pickle-based format)"
        )

    def _container(self, obj, path):
        if isinstance(obj, dict):
            tag = "ordered_dict" if isinstance(obj, OrderedDict) else "dict"
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (bool, int, float, str, tuple))):
                    raise TypeError(
                        f"npgrad.save: dict key {k!r} at {_where(path)} has type "
                        f"{type(k).__name__}; keys must be str, int, float, bool, None or tuple"
                    )
                items.append([self._node(k, path + ["<key>"]), self._node(v, path + [k])])
            return {tag: items}
        tag = "list" if isinstance(obj, list) else "tuple"
        return {tag: [self._node(v, path + [i]) for i, v in enumerate(obj)]}

    def _add(self, owner, array, path):
        """Register ``array`` under a name made from its path; return the name."""
        if id(owner) in self._names_by_id:  # the same tensor twice (tied weights): one copy
            return self._names_by_id[id(owner)]
        if array.dtype.str[1:] not in _NAMES:
            raise TypeError(f"npgrad.save: the array at {_where(path)} has dtype {array.dtype}, "
                            f"which safetensors cannot hold here")
        if self.dry:
            return "tensor"
        name = ".".join(str(p) for p in path) or "tensor"
        base, n = name, 1
        while name in self.entries:  # paths like ["a.b"] and ["a", "b"] both give "a.b"
            n += 1
            name = f"{base}#{n}"
        # safetensors stores C-order little-endian bytes. For the usual contiguous array on
        # a little-endian machine this is ``array`` itself: no copy. (Not
        # np.ascontiguousarray, which turns a 0-d array into shape (1,).)
        self.entries[name] = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")
        self._names_by_id[id(owner)] = name
        self._keep_alive.append(owner)
        return name


def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path)


def _header_bytes(entries, metadata):
    """The 8-byte length plus the JSON header, padded with spaces to a multiple of 8 so that
    the tensor bytes start 8-byte aligned (what the safetensors library itself writes)."""
    table = {}
    offset = 0
    for name, arr in entries.items():
        table[name] = {
            "dtype": _NAMES[arr.dtype.str[1:]],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + arr.nbytes],
        }
        offset += arr.nbytes
    digest = _digest(table, metadata)
    for arr in entries.values():
        digest.update(memoryview(arr.reshape(-1)).cast("B") if arr.nbytes else b"")
    header = {"__metadata__": dict(metadata, **{_CHECKSUM_KEY: digest.hexdigest()}), **table}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text


def _digest(table, metadata):
    """SHA-256 started with the canonical JSON of the tensor table and the metadata (without
    the checksum itself); the tensor bytes are fed in after it."""
    meta = {k: v for k, v in metadata.items() if k != _CHECKSUM_KEY}
    canon = json.dumps({"tensors": table, "metadata": meta}, sort_keys=True,
                       separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canon.encode("utf-8"))


def _write_payload(f, header, entries):
    f.write(header)
    for arr in entries.values():
        _write_array(f, arr)


def _write_array(f, arr):
    """Write one array's bytes. (A separate function so a test can make it fail mid-save.)"""
    if arr.nbytes:
        # memoryview of the array: the bytes go to the file without a tobytes() copy
        f.write(memoryview(arr.reshape(-1)).cast("B"))


# ================================================================================ load


def load_safetensors(f, name):
    """The object in the safetensors file ``f`` (open, binary); ``name`` labels errors."""
    return _Reader(f, name).read()


class _Reader:
    """Validates a safetensors file completely, then builds the arrays and the object."""

    def __init__(self, f, name):
        self.f = f
        self.name = name

    def fail(self, what):
        return CheckpointError(f"npgrad.load: {self.name!r} is not a valid checkpoint: {what}")

    def read(self):
        size = self._size()
        if size is None:  # an unseekable stream: read it whole, so its length is known
            import io

            self.f = io.BytesIO(self.f.read())
            size = len(self.f.getvalue())
        start = self.f.read(8)
        if len(start) < 8:
            raise self.fail(f"the file is {len(start)} bytes long, too short for the 8-byte "
                            "header length that starts a safetensors file")
        n = int.from_bytes(start, "little")
        if n > _MAX_HEADER or (size is not None and 8 + n > size):
            where = f"a {size}-byte file" if size is not None else "the file"
            raise self.fail(f"the header length field says {n} bytes, more than {where} "
                            "holds (a truncated file, or not safetensors at all)")
        raw = self.f.read(n)
        if len(raw) != n:
            raise self.fail(f"the file ends inside its {n}-byte header (truncated)")
        entries, metadata, table = self._parse_header(raw)
        layout = self._check_layout(entries, size - 8 - n)
        checksum = metadata.get(_CHECKSUM_KEY)
        digest = None
        if checksum is not None:
            try:
                digest = _digest(table, metadata)
            except (ValueError, RecursionError):  # NaN or a 5000-digit number in an entry
                raise self.fail("its header holds values that cannot be checksummed "
                                "(non-finite or huge numbers, or deep nesting)") from None
        arrays = self._read_arrays(layout, digest)
        if digest is not None and digest.hexdigest() != checksum:
            raise self.fail(f"its checksum ({_CHECKSUM_KEY}) does not match its content: the "
                            "file was damaged (a flipped bit, an edited header) after it was saved")
        if _STRUCTURE_KEY in metadata:
            return _Builder(self, arrays).build(metadata[_STRUCTURE_KEY])
        return OrderedDict((k, wrap(a)) for k, a in arrays.items())

    def _read_into(self, view):
        if hasattr(self.f, "readinto"):
            return self.f.readinto(view)
        data = self.f.read(len(view))  # a minimal file object: read() only
        view[: len(data)] = data
        return len(data)

    def _size(self):
        try:
            return os.fstat(self.f.fileno()).st_size - self.f.tell()
        except (AttributeError, OSError, ValueError):
            pass
        try:  # a seekable file object without a descriptor (io.BytesIO)
            here = self.f.tell()
            end = self.f.seek(0, os.SEEK_END)
            self.f.seek(here)
            return end - here
        except (AttributeError, OSError, ValueError):
            return None

    def _parse_header(self, raw):
        header = self._json(raw, "the header")
        if not isinstance(header, dict):
            raise self.fail(f"the header is JSON {type(header).__name__}, expected an object")
        metadata = header.pop("__metadata__", {})
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise self.fail("__metadata__ must map strings to strings")
        if _CHECKSUM_KEY in metadata and not _is_hex_digest(metadata[_CHECKSUM_KEY]):
            raise self.fail(f"__metadata__[{_CHECKSUM_KEY!r}] is not a SHA-256 hex digest")
        for key in metadata:  # a flipped bit in the key's name must not switch the check off
            if key != _CHECKSUM_KEY and _one_off(key, _CHECKSUM_KEY):
                raise self.fail(f"__metadata__ has a key {key!r}, a damaged {_CHECKSUM_KEY!r}?")
        entries = {}
        for name, info in header.items():
            entries[name] = self._parse_entry(name, info)
        return entries, metadata, header

    def _json(self, raw, what):
        """Parse JSON text, turning every way it can fail (bad UTF-8, bad syntax, nesting
        deep enough to exhaust the stack, a 5000-digit number) into our error."""
        try:
            text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
            return json.loads(text)
        except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError is a ValueError
            raise self.fail(f"{what} is not valid UTF-8 JSON ({e})") from None
        except RecursionError:
            raise self.fail(f"{what} is JSON nested too deeply") from None

    def _parse_entry(self, name, info):
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise self.fail(f"entry {name!r:.80} needs 'dtype', 'shape' and 'data_offsets', "
                            f"got {info!r:.100}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            if dtype in _FOREIGN_DTYPES if isinstance(dtype, str) else False:
                raise self.fail(f"tensor {name!r} has dtype {dtype}, which npgrad does not "
                                "support; convert it (e.g. to float32) before saving")
            raise self.fail(f"tensor {name!r} has unknown dtype {dtype!r:.40}")
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or not all(_is_count(s) and s < 2**63 for s in shape)):
            raise self.fail(f"tensor {name!r} has shape {shape!r:.100}; expected a list of at "
                            f"most {_MAX_NDIM} non-negative integers below 2**63")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]):
            raise self.fail(f"tensor {name!r} has data_offsets {offsets!r:.100}; expected "
                            "[begin, end] with 0 <= begin <= end")
        nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise self.fail(f"tensor {name!r}: shape {shape} of {dtype} needs {nbytes} bytes "
                            f"but data_offsets {offsets} span {offsets[1] - offsets[0]}")
        return _DTYPES[dtype], tuple(shape), offsets[0], offsets[1]

    def _check_layout(self, entries, data_len):
        """Tensors must tile the data section exactly: in offset order, each starts where
        the previous ended, and the last ends at the end of the file."""
        layout = sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3]))
        pos, prev = 0, None
        for name, (_, _, begin, end) in layout:
            if begin < pos:
                raise self.fail(f"tensor {name!r} (bytes {begin}..{end}) overlaps tensor "
                                f"{prev!r} (which ends at byte {pos})")
            if begin > pos:
                raise self.fail(f"there are {begin - pos} unaccounted bytes before tensor "
                                f"{name!r} (at byte {pos})")
            pos, prev = end, name
        if data_len is not None and pos > data_len:
            raise self.fail(f"the header describes {pos} bytes of tensor data but the file "
                            f"holds only {data_len} (truncated)")
        if data_len is not None and pos < data_len:
            raise self.fail(f"{data_len - pos} bytes follow the last tensor; the file is "
                            "longer than its header says")
        return layout

    def _read_arrays(self, layout, digest=None):
        """Read each tensor straight into its own fresh (aligned, writable) array — no
        intermediate bytes object, so loading needs no more memory than the weights."""
        arrays = {}
        for name, (dtype, shape, begin, end) in layout:
            arr = np.empty(shape, dtype=dtype)
            if arr.nbytes and self._read_into(memoryview(arr.reshape(-1)).cast("B")) != arr.nbytes:
                raise self.fail(f"the file ends inside tensor {name!r} (truncated)")
            if digest is not None and arr.nbytes:
                digest.update(memoryview(arr.reshape(-1)).cast("B"))
            if not np.little_endian:  # a big-endian host: convert to native byte order
                arr = arr.astype(dtype.newbyteorder("="))
            arrays[name] = arr
        if self.f.read(1):
            raise self.fail("bytes follow the last tensor; the file is longer than its "
                            "header says")
        return arrays


def _is_hex_digest(x):
    return isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdef" for c in x)


def _one_off(a, b):
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def _is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


class _Builder:
    """Rebuilds the nested object from npgrad's structure description (see _Flattener)."""

    def __init__(self, reader, arrays):
        self.reader, self.arrays, self.tensors = reader, arrays, {}

    def build(self, text):
        doc = self.reader._json(text, "npgrad's structure metadata")
        if not isinstance(doc, dict) or doc.get("version") != _FORMAT_VERSION or "root" not in doc:
            raise self.reader.fail("npgrad's structure metadata has an unknown layout "
                                   f"(expected version {_FORMAT_VERSION})")
        return self._node(doc["root"], 0)

    def _node(self, node, depth):
        if depth > _MAX_DEPTH:
            raise self.reader.fail(f"npgrad's structure metadata nests deeper than {_MAX_DEPTH}")
        depth += 1
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, dict) and len(node) in (1, 2):
            tag = next(iter(node))
            value = node[tag]
            rest = set(node) - {tag}
            if (tag in ("tensor", "ndarray", "npscalar") and isinstance(value, str)
                    and rest <= ({"requires_grad"} if tag == "tensor" else set())):
                return self._array_node(tag, value, node.get("requires_grad", False))
            if rest:
                pass
            elif tag in ("dict", "ordered_dict") and isinstance(value, list) and all(
                    isinstance(kv, list) and len(kv) == 2 for kv in value):
                pairs = ((self._key(k, depth), self._node(v, depth)) for k, v in value)
                return OrderedDict(pairs) if tag == "ordered_dict" else dict(pairs)
            elif tag == "list" and isinstance(value, list):
                return [self._node(v, depth) for v in value]
            elif tag == "tuple" and isinstance(value, list):
                return tuple(self._node(v, depth) for v in value)
            elif tag == "float" and value in ("inf", "-inf", "nan"):
                return float(value)
        raise self.reader.fail(f"npgrad's structure metadata has an unknown node {node!r:.80}")

    def _key(self, node, depth):
        key = self._node(node, depth)
        try:
            hash(key)
        except TypeError:  # a list, a dict, or a tuple holding one
            raise self.reader.fail("npgrad's structure metadata has an unhashable dict key "
                                   f"{key!r:.80}") from None
        return key

    def _array_node(self, tag, name, requires_grad):
        if name not in self.arrays:
            raise self.reader.fail(f"npgrad's structure metadata refers to a tensor {name!r} "
                                   "that the file does not contain")
        arr = self.arrays[name]
        if tag == "ndarray":
            return arr
        if tag == "npscalar":
            return arr[()]
        if not isinstance(requires_grad, bool) or (requires_grad and arr.dtype.kind != "f"):
            raise self.reader.fail(f"npgrad's structure metadata gives tensor {name!r} "
                                   f"requires_grad={requires_grad!r:.20} ({arr.dtype})")
        if name not in self.tensors:  # a tensor referenced twice is rebuilt once (tied weights)
            t = wrap(arr)
            if requires_grad:
                t.requires_grad_(True)
            self.tensors[name] = t
        return self.tensors[name]
