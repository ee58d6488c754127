"""dtypes with PyTorch's names: ``npgrad.float32`` and friends.

A ``dtype`` wraps a NumPy dtype. ``tensor.dtype == npgrad.float32`` works, and so does
``npgrad.zeros(3, dtype=npgrad.float64)``. Python floats default to float32 and Python ints
to int64, as in PyTorch.
"""
import builtins

import numpy as np

_pyfloat, _pyint, _pybool = builtins.float, builtins.int, builtins.bool


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"npgrad.{self.name}"

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self.np == other.np
        return NotImplemented

    def __hash__(self):
        return hash(self.np)

    def __reduce__(self):  # copy/deepcopy keep the singleton
        return (_by_name, (self.name,))


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}

default_float = np.dtype(np.float32)
default_int = np.dtype(np.int64)


def _by_name(name):
    return _NAMES[name]


def from_np(np_dtype):
    """The npgrad dtype of a NumPy dtype (float32 -> npgrad.float32)."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _FROM_NP:
            return _FROM_NP[d]
        raise TypeError(f"npgrad has no dtype for NumPy's {d}") from None


def to_np(d):
    """A NumPy dtype from anything a user may pass as ``dtype=``: npgrad.float32,
    np.float32, 'float32', or Python's float / int / bool."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    if d is _pyfloat:
        return default_float
    if d is _pyint:
        return default_int
    if d is _pybool:
        return np.dtype(np.bool_)
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"dtype must be an npgrad dtype such as npgrad.float32, got {d!r}") from None
    if nd not in _FROM_NP:
        raise TypeError(f"npgrad does not support dtype {nd}")
    return nd


class _OptionalDtype(dtype):
    """A dtype whose NumPy type comes from an optional package, imported on first use:
    ``npgrad.bfloat16`` exists everywhere (programs name it), and computing with it
    needs ``ml_dtypes`` (``pip install npgrad[bf16]``); without it, using it raises an
    error that says so. Compares and hashes by name, so ``t.dtype == npgrad.bfloat16``
    never needs the package."""

    __slots__ = ("_module", "_attr", "_extra")

    def __init__(self, name, module, attr, extra, itemsize):
        self.name = name
        self._module, self._attr, self._extra = module, attr, extra
        self.is_floating_point = True
        self.itemsize = itemsize

    @property
    def np(self):
        import importlib

        try:
            mod = importlib.import_module(self._module)
        except ImportError:
            raise TypeError(
                f"npgrad.{self.name} needs the optional package {self._module}: "
                f"pip install 'npgrad[{self._extra}]' (or pip install {self._module})"
            ) from None
        d = np.dtype(getattr(mod, self._attr))
        if d not in _FROM_NP:
            _FROM_NP[d] = self  # from now on arrays of this type map back to this dtype
        return d

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self.name == other.name
        return NotImplemented

    def __hash__(self):
        return hash(self.name)


bfloat16 = _OptionalDtype("bfloat16", "ml_dtypes", "bfloat16", "bf16", 2)
_NAMES["bfloat16"] = bfloat16
