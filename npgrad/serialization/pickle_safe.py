"""Pickle as PyTorch writes it, read the way ``torch.load(weights_only=True)`` reads it.

Reading: ``TorchUnpickler`` is the pure-Python unpickler with two doors shut.

- ``find_class`` - the only way a pickle reaches Python code - resolves the few names a
  PyTorch checkpoint needs (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``,
  ``torch.Size``, ``collections.OrderedDict``, ...) to npgrad's own small builders, and
  anything else to what the user allowlisted (``add_safe_globals``). Every other name
  raises ``WeightsOnlyError`` with torch's message; nothing is imported or called.
- ``BUILD`` (set an object's state) applies only to OrderedDicts and allowlisted classes.

With ``weights_only=False`` the first door opens: any importable global is allowed, which
**runs code chosen by whoever wrote the file**. Use it only for files you trust.

Writing: ``TorchPickler`` emits what ``torch.save`` emits - protocol 2, tensors as
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
with the storage a persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)`` -
without torch installed: the ``torch.*`` names are written as GLOBAL opcodes by name.
"""
import collections
import contextlib
import pickle

import numpy as np

from .. import _dtype
from .._tensor import Size, Tensor, device, wrap
from .errors import CheckpointError, WeightsOnlyError

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

# torch storage class name <-> NumPy dtype (None: a dtype npgrad has no tensors of)
STORAGES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "BFloat16Storage": None, "ComplexFloatStorage": None, "ComplexDoubleStorage": None,
    "UInt16Storage": None, "UInt32Storage": None, "UInt64Storage": None,
    "UntypedStorage": np.uint8,
}
STORAGE_OF = {np.dtype(v): k for k, v in STORAGES.items() if v is not None and k != "UntypedStorage"}
TORCH_DTYPES = {"float64": np.float64, "double": np.float64, "float32": np.float32,
                "float": np.float32, "float16": np.float16, "half": np.float16,
                "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
                "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8,
                "bool": np.bool_, "bfloat16": None, "complex64": None, "complex128": None,
                "cfloat": None, "cdouble": None, "uint16": None, "uint32": None, "uint64": None}
MAX_NDIM = 64

# ================================================================== the user's allowlist
_user_globals = []  # objects, or (object, "module.name") pairs, as torch keeps them


def add_safe_globals(safe_globals):
    """Allow ``weights_only`` loading to build these classes/functions (or
    ``(obj, "module.qualname")`` pairs, for objects saved under another name)."""
    for g in safe_globals:
        if isinstance(g, tuple) and not (len(g) == 2 and isinstance(g[1], str)):
            raise TypeError(f"add_safe_globals: expected an object or an (object, 'module.name') "
                            f"pair, got {g!r}")
    _user_globals.extend(safe_globals)


def get_safe_globals():
    """The objects ``add_safe_globals`` allowed so far (a copy)."""
    return list(_user_globals)


def clear_safe_globals():
    """Forget every object ``add_safe_globals`` allowed."""
    _user_globals.clear()


class safe_globals(contextlib.ContextDecorator):
    """``with safe_globals([MyNet]): npgrad.load(f)`` - allowlisted only inside the block."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._before = list(_user_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _user_globals[:] = self._before
        return False


def _full_name(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def _user_allowed():
    out = {}
    for g in _user_globals:
        if isinstance(g, tuple):
            out[g[1]] = g[0]
        else:
            out[_full_name(g)] = g
    return out


# ================================================================== what a checkpoint builds
class StorageType:
    """What ``torch.FloatStorage`` (etc.) resolves to: the name and its NumPy dtype."""

    def __init__(self, name):
        self.name, self.dtype = name, STORAGES[name]

    def __call__(self, *args, **kwargs):
        raise CheckpointError(f"npgrad.load: the checkpoint calls torch.{self.name}(), "
                              "which a weights-only checkpoint never does")


class Storage:
    """A loaded storage: a 1-D array of ``dtype`` over the record's bytes (shared by views)."""

    def __init__(self, array):
        self.array = array


def _ints(value, what, op):
    if not isinstance(value, (tuple, list)) or len(value) > MAX_NDIM or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise CheckpointError(f"npgrad.load: {op} got {what} {value!r:.100}; expected at most "
                              f"{MAX_NDIM} non-negative integers")
    return tuple(value)


def rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False,
                   backward_hooks=None, metadata=None, dtype=None):
    """A tensor viewing ``storage`` from ``storage_offset`` with ``size`` and ``stride``
    (all in elements), as ``torch._utils._rebuild_tensor_v2`` makes it."""
    op = "_rebuild_tensor"
    if not isinstance(storage, Storage):
        raise CheckpointError(f"npgrad.load: {op} got {type(storage).__name__} as its storage")
    size, stride = _ints(size, "size", op), _ints(stride, "stride", op)
    (offset,) = _ints((storage_offset,), "storage_offset", op)
    if len(size) != len(stride):
        raise CheckpointError(f"npgrad.load: {op}: size {size} and stride {stride} differ in length")
    if not isinstance(requires_grad, bool):
        raise CheckpointError(f"npgrad.load: {op}: requires_grad={requires_grad!r:.20} is not a bool")
    base = storage.array
    if dtype is not None:
        np_dtype = _np_dtype_of(dtype)
        if base.nbytes % np_dtype.itemsize:
            raise CheckpointError(f"npgrad.load: {op}: a storage of {base.nbytes} bytes cannot hold {np_dtype}")
        base = base.view(np_dtype)
    n = len(base)
    if 0 in size:
        extent = offset  # an empty tensor may sit anywhere up to the end
    else:
        extent = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
    if extent > n:
        raise CheckpointError(f"npgrad.load: a tensor of size {list(size)}, stride {list(stride)} "
                              f"and offset {offset} reaches element {extent}, past the end of its "
                              f"storage of {n} elements")
    item = base.itemsize
    view = np.lib.stride_tricks.as_strided(base[offset:] if 0 not in size else base[:0],
                                           shape=size, strides=[s * item for s in stride],
                                           writeable=_no_overlap(size, stride))
    if not view.flags.writeable:  # overlapping elements (e.g. an expanded tensor): own copy
        view = view.copy()
    t = wrap(view)
    if requires_grad:
        if view.dtype.kind != "f":
            raise CheckpointError(f"npgrad.load: a {view.dtype} tensor cannot require grad")
        t.requires_grad_(True)
    return t


def _no_overlap(size, stride):
    dims = sorted((st, s) for s, st in zip(size, stride) if s > 1)
    need = 1
    for st, s in dims:
        if st < need:
            return False
        need = st * s
    return True


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    return rebuild_tensor(storage, storage_offset, size, stride, requires_grad, dtype=dtype)


def rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    from ..nn.parameter import Parameter

    if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
        raise CheckpointError("npgrad.load: _rebuild_parameter needs a tensor and a bool")
    if state:
        raise CheckpointError("npgrad.load: a Parameter with extra attributes is not supported")
    if requires_grad and data.dtype.np.kind != "f":
        raise CheckpointError(f"npgrad.load: a {data.dtype} Parameter cannot require grad")
    return Parameter(data, requires_grad=requires_grad)


def rebuild_from_type_v2(func, new_type, args, state):
    if func not in (rebuild_tensor, rebuild_tensor_v3, rebuild_parameter) or not isinstance(args, tuple):
        raise CheckpointError("npgrad.load: _rebuild_from_type_v2 of something not a tensor")
    t = func(*args)
    if state:
        raise CheckpointError("npgrad.load: a tensor with extra attributes is not supported")
    return t


def _np_dtype_of(d):
    if isinstance(d, _dtype.dtype):
        return d.np
    raise CheckpointError(f"npgrad.load: expected a dtype, got {type(d).__name__}")


def _torch_dtype(name):
    np_dtype = TORCH_DTYPES[name]
    if np_dtype is None:
        return _Unsupported(f"torch.{name}")
    return _dtype.from_np(np.dtype(np_dtype))


class _Unsupported:
    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return self.what


def _device(*args):
    name = str(args[0]) if args else "cpu"
    return device("cpu") if name.split(":")[0] == "cpu" else name  # other devices: just a name


def _encode(text, encoding="latin1"):
    """``_codecs.encode``: how protocol 2 stores bytes; only str -> latin-1 bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise CheckpointError("npgrad.load: _codecs.encode is allowed only as str -> latin1 bytes")
    return text.encode("latin1")


def _size(values=()):
    return Size(_ints(tuple(values), "torch.Size", "torch.Size"))


def _built_ins():
    names = {
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch.Size": _size,
        "torch.device": _device,
        # a type named only as _rebuild_from_type_v2's argument: a marker, never instantiated
        "torch.Tensor": _Unsupported("torch.Tensor"),
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
        "__builtin__.set": set,
        "_codecs.encode": _encode,
    }
    names["torch.nn.parameter.Parameter"] = _parameter_class
    for name in STORAGES:
        names[f"torch.{name}"] = StorageType(name)
    for name in TORCH_DTYPES:
        names[f"torch.{name}"] = _torch_dtype(name)
    return names


def _parameter_class(*args, **kwargs):
    from ..nn.parameter import Parameter

    return Parameter(*args, **kwargs)


BUILT_INS = _built_ins()


def unsupported_global_message(full_name):
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint.\n\t(1) "
        "Re-running `npgrad.load` with `weights_only` set to `False` will likely succeed, "
        "but it can result in arbitrary code execution. Do it only if you got the file from "
        "a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please "
        "check the recommended steps in the following error message.\n\tWeightsUnpickler "
        f"error: Unsupported global: GLOBAL {full_name} was not an allowed global by default. "
        f"Please use `npgrad.serialization.add_safe_globals([{full_name}])` or the "
        f"`npgrad.serialization.safe_globals([{full_name}])` context manager to allowlist "
        "this global if you trust this class/function.")


# ================================================================== reading
class TorchUnpickler(pickle._Unpickler):
    """See the module docstring. ``load_storage(key, nbytes, dtype)`` returns the bytes of
    a storage as a uint8 array; it is called once per key."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, load_storage, weights_only=True):
        super().__init__(file, encoding="latin1")
        self._load_storage = load_storage
        self._weights_only = weights_only
        self._allowed = _user_allowed()
        self._allowed_types = tuple(v for v in self._allowed.values() if isinstance(v, type))
        self._storages = {}

    def find_class(self, module, name):
        full = f"{module}.{name}"
        if full in BUILT_INS:
            return BUILT_INS[full]
        if full in self._allowed:
            return self._allowed[full]
        if not self._weights_only:
            return super().find_class(module, name)  # imports and runs whatever the file names
        raise WeightsOnlyError(unsupported_global_message(full))

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise CheckpointError(f"npgrad.load: unknown persistent id {pid!r:.100}")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(storage_type, StorageType):
            raise CheckpointError(f"npgrad.load: a storage of type {storage_type!r:.60}")
        if storage_type.dtype is None:
            raise CheckpointError(f"npgrad.load: the checkpoint holds a torch.{storage_type.name}, "
                                  "a dtype npgrad does not support; convert it (e.g. to float32) "
                                  "in PyTorch before saving")
        if not isinstance(key, str) or not isinstance(numel, int) or isinstance(numel, bool) or numel < 0:
            raise CheckpointError(f"npgrad.load: bad storage reference {pid!r:.100}")
        dtype = np.dtype(storage_type.dtype)
        if key not in self._storages:
            self._storages[key] = self._load_storage(key, numel * dtype.itemsize, dtype)
        raw = self._storages[key]
        if raw.nbytes != numel * dtype.itemsize:
            raise CheckpointError(f"npgrad.load: storage {key!r} is used with two sizes "
                                  f"({raw.nbytes} and {numel * dtype.itemsize} bytes)")
        array = raw.view(dtype)
        view = pid[5] if len(pid) == 6 else None
        if view is not None:  # the legacy format's storage views: (key, offset, numel)
            if not (isinstance(view, tuple) and len(view) == 3):
                raise CheckpointError(f"npgrad.load: bad storage view {view!r:.60}")
            _, offset, size = view
            _ints((offset, size), "a storage view", "persistent_load")
            if offset + size > len(array):
                raise CheckpointError(f"npgrad.load: a storage view ({offset}+{size}) is past "
                                      f"the end of its storage of {len(array)} elements")
            array = array[offset:offset + size]
        return Storage(array)

    def load_build(self):
        state = self.stack[-1]
        inst = self.stack[-2]
        if self._weights_only and not (
                type(inst) in (collections.OrderedDict, collections.Counter)
                or (self._allowed_types and isinstance(inst, self._allowed_types))):
            raise WeightsOnlyError(
                f"Weights only load failed. WeightsUnpickler error: cannot set the state of a "
                f"{type(inst).__name__} (only of OrderedDicts and allowlisted classes)")
        if type(inst) in (collections.OrderedDict, collections.Counter):
            if not (isinstance(state, dict) and all(isinstance(k, str) for k in state)):
                raise CheckpointError("npgrad.load: bad state for an OrderedDict")
            self.stack.pop()
            inst.__dict__.update(state)
            return
        super().load_build()

    dispatch[pickle.BUILD[0]] = load_build


def unpickle(data, load_storage, weights_only, name):
    """The object pickled in ``data`` (bytes, or a binary file at the pickle). With ``weights_only`` every failure is a
    ``CheckpointError``: only npgrad's own builders run, so any other exception means a
    malformed file."""
    import io

    file = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    unpickler = TorchUnpickler(file, load_storage, weights_only)
    if not weights_only:
        return unpickler.load()
    try:
        return unpickler.load()
    except CheckpointError as e:
        if name not in str(e):
            raise type(e)(f"{e} (in {name!r})") from None
        raise
    except (Exception, RecursionError) as e:  # noqa: B014 - RecursionError named for clarity
        raise CheckpointError(f"npgrad.load: {name!r} is not a valid checkpoint: its pickle "
                              f"is malformed ({type(e).__name__}: {str(e)[:200]})") from None


# ================================================================== writing
class _Global:
    """A ``module.name`` written as a GLOBAL opcode, without importing it."""

    _cache = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._cache:
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")


class _StorageRef:
    def __init__(self, key, array):
        self.key, self.array = key, array


class TorchPickler(pickle._Pickler):
    """Pickles like ``torch.save``: tensors by reference to storages (collected in
    ``self.storages``: key -> contiguous 1-D array), npgrad dtypes/sizes/devices as torch's."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol=2):
        super().__init__(file, protocol=protocol)
        self.storages = {}
        self._keys = {}  # id(root array) -> key
        self._roots = []  # keep roots alive while their ids are keys

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _Global("torch", STORAGE_OF[obj.array.dtype]), obj.key, "cpu",
                    len(obj.array))
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from ..nn.parameter import Parameter

            if isinstance(obj, Parameter):
                data = wrap(obj._data)
                return (_Global("torch._utils", "_rebuild_parameter"),
                        (data, obj.requires_grad, collections.OrderedDict()))
            return self._tensor(obj)
        return NotImplemented

    def _tensor(self, t):
        arr = t._data
        if arr.dtype not in STORAGE_OF:
            raise TypeError(f"npgrad.save: cannot save a tensor of dtype {arr.dtype} in torch's format")
        root, flat, offset, stride = _storage_of(arr)
        key = self._keys.get(id(root))
        if key is None:
            key = str(len(self.storages))
            self._keys[id(root)] = key
            self._roots.append(root)
            self.storages[key] = flat
        flat = self.storages[key]
        args = (_StorageRef(key, flat), offset, tuple(arr.shape), stride, bool(t.requires_grad),
                collections.OrderedDict())
        return _Global("torch._utils", "_rebuild_tensor_v2"), args

    def save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = save_global_name

    def save_dtype(self, obj):  # torch.float32 is pickled as the bare global
        self.save_global_name(_Global("torch", obj.name))

    dispatch[_dtype.dtype] = save_dtype

    def save_size(self, obj):
        self.save_reduce(_Global("torch", "Size"), (tuple(obj),), obj=obj)

    dispatch[Size] = save_size

    def save_device(self, obj):
        self.save_reduce(_Global("torch", "device"), ("cpu",), obj=obj)

    dispatch[device] = save_device


def _storage_of(arr):
    """(root, flat, offset, strides in elements): ``arr`` as a view of the C-contiguous
    array ``root`` (``flat`` is its 1-D view),
    shared with every other view of the same array; a copy when it cannot be a view."""
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    item = arr.itemsize
    if (root.dtype == arr.dtype and root.flags.c_contiguous and root.dtype.byteorder in "=|<"
            and all(s >= 0 and s % item == 0 for s in arr.strides)):
        delta = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        if delta >= 0 and delta % item == 0:
            return root, root.reshape(-1), delta // item, tuple(s // item for s in arr.strides)
    own = np.array(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    c_strides = tuple(s // item for s in own.strides)
    return own, own.reshape(-1), 0, c_strides
