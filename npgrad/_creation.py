"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``arange``, ``rand``, ``randn``, ...

Python floats become float32 and Python ints int64, as in PyTorch; a NumPy array keeps its
dtype. Random functions draw from the global generator (``npgrad.manual_seed``) unless given
their own ``generator=``.
"""
import builtins

import numpy as np

from . import _dtype
from . import _memory_format
from ._backend import xp
from ._tensor import Tensor, _require_cpu, _shape_args
from .random import get_rng


def _finish(arr, requires_grad=False, dev=None):
    if dev is not None:
        _require_cpu(dev)  # only the CPU exists: anything else raises a clear error
    t = Tensor._make(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data, dtype):
    """An array from Python data with PyTorch's default dtypes."""
    target = _dtype.to_np(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        arr = np.array(data)
        if arr.dtype == object:
            raise TypeError(f"tensor(): could not infer a dtype from {type(data).__name__} data {data!r:.80}")
        if target is None:
            if arr.dtype.kind == "f":
                target = _dtype.default_float
            elif arr.dtype.kind in "iu":
                target = _dtype.default_int
    if target is not None and arr.dtype != target:
        arr = arr.astype(target)
    if arr.dtype not in _dtype._FROM_NP:
        raise TypeError(f"tensor(): npgrad does not support NumPy dtype {arr.dtype}")
    return arr


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (a number, a nested list, an array)."""
    arr = _infer(data, dtype)
    return _finish(np.array(arr, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_np(dtype) == data._data.dtype):
        return data
    return _finish(_infer(data, dtype), False, device)


asarray = as_tensor


def from_numpy(arr):
    """A tensor that shares memory with the NumPy array ``arr`` (changes show in both)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in _dtype._FROM_NP:
        raise TypeError(
            f"from_numpy: can't convert np.ndarray of type {arr.dtype}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        )
    return Tensor._make(arr, None)


def _np_dtype(dtype, default=None):
    """The NumPy dtype for ``dtype=``; None gives ``default``, else the current default float
    (``set_default_dtype``), read at each call."""
    d = _dtype.to_np(dtype)
    if d is None:
        return _dtype.default_float if default is None else default
    return d


def _size_kw(sizes, size):
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros(size=(2, 3))`` alike."""
    if size is None:
        return sizes
    if sizes:
        raise TypeError("got the size both positionally and as size=")
    return (size,)


def _sized(fill, size, dtype, requires_grad, dev):
    shape = _shape_args(size)
    if builtins.any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return _finish(fill(shape, _np_dtype(dtype)), requires_grad, dev)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    return _sized(xp.zeros, _size_kw(sizes, size), dtype, requires_grad, device)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    return _sized(xp.ones, _size_kw(sizes, size), dtype, requires_grad, device)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None):
    return _sized(xp.empty, _size_kw(sizes, size), dtype, requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, builtins.int):
            dtype = _dtype.int64
    shape = _shape_args((size,))
    return _finish(xp.full(shape, fill_value, _np_dtype(dtype)), requires_grad, device)


def _like(fn, t, dtype, requires_grad, **kw):
    d = _dtype.to_np(dtype) or t._data.dtype
    order = _memory_format.dense_order(t._data)  # PyTorch's preserve_format: a dense input's
    if order is None:  # strides are kept (a transposed input gives a transposed result)
        return _finish(fn(t._data.shape, dtype=d, **kw), requires_grad)
    out = fn(tuple(t._data.shape[k] for k in order), dtype=d, **kw)
    return _finish(out.transpose(xp.argsort(order)), requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return _like(xp.zeros, t, dtype, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return _like(xp.ones, t, dtype, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return _like(xp.empty, t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return _like(xp.full, t, dtype, requires_grad, fill_value=fill_value)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        all_int = builtins.all(isinstance(v, (builtins.int, np.integer)) for v in values)
        dtype = _dtype.int64 if all_int else None  # None: the default float
    return _finish(xp.arange(*values, dtype=_np_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    arr = xp.linspace(start, end, steps, dtype=np.float64).astype(_np_dtype(dtype))
    return _finish(arr, requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    arr = xp.logspace(start, end, steps, base=base).astype(_np_dtype(dtype))
    return _finish(arr, requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(xp.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device)


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    d = _np_dtype(dtype)
    shape = _shape_args(_size_kw(sizes, size))
    arr = get_rng(generator).random(shape, dtype=d if d in (np.float32, np.float64) else np.float64)
    return _finish(arr.astype(d, copy=False), requires_grad, device)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    d = _np_dtype(dtype)
    shape = _shape_args(_size_kw(sizes, size))
    arr = get_rng(generator).standard_normal(shape, dtype=d if d in (np.float32, np.float64) else np.float64)
    return _finish(arr.astype(d, copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if high is None and size is not None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = get_rng(generator).integers(low, high, size=_shape_args((size,)))
    return _finish(arr.astype(_np_dtype(dtype, _dtype.default_int)), requires_grad, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    arr = get_rng(generator).permutation(n)
    return _finish(arr.astype(_np_dtype(dtype, _dtype.default_int)), requires_grad, device)


def rand_like(t, dtype=None, generator=None):
    return rand(t._data.shape, dtype=dtype or t.dtype, generator=generator)


def randn_like(t, dtype=None, generator=None):
    return randn(t._data.shape, dtype=dtype or t.dtype, generator=generator)


def randint_like(t, low, high=None, dtype=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, t._data.shape, generator=generator, dtype=dtype or t.dtype)


def normal(mean, std, size=None, generator=None):
    """Samples from N(mean, std²): scalar mean/std with a ``size``, or tensors of them."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _shape_args((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    draw = get_rng(generator).standard_normal(shape, dtype=np.float32)
    given = [x._data.dtype for x in (mean, std) if isinstance(x, Tensor) and x._data.dtype.kind == "f"]
    out_dtype = np.result_type(*given) if given else _dtype.default_float  # a float64 mean: float64
    return _finish((draw * s + m).astype(out_dtype, copy=False))


def bernoulli(p, generator=None):
    probs = p._data
    return _finish((get_rng(generator).random(probs.shape) < probs).astype(probs.dtype))


def multinomial(probs, num_samples, replacement=False, generator=None):
    p = probs._data.astype(np.float64)
    rng = get_rng(generator)
    rows = p.reshape(-1, p.shape[-1])
    out = np.stack([rng.choice(r.size, num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return _finish(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64))
