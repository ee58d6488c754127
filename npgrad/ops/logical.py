"""Comparisons and bitwise/logical ops. They return tensors with no graph: a comparison has
no useful derivative, so nothing flows back through it."""
from .._backend import xp
from .._tensor import Tensor
from .arithmetic import promote


def _arrays(a, b):
    a, b = promote(a, b)
    return (a._data if isinstance(a, Tensor) else a), (b._data if isinstance(b, Tensor) else b)


def compare(ufunc, a, b):
    if b is None:
        return False if ufunc is xp.equal else (True if ufunc is xp.not_equal else NotImplemented)
    try:
        x, y = _arrays(a, b)
    except TypeError:
        return NotImplemented
    try:
        return Tensor._make(xp.asarray(ufunc(x, y)), None)
    except ValueError as e:
        raise RuntimeError(f"{ufunc.__name__}: {e} (shapes {tuple(xp.shape(x))} and {tuple(xp.shape(y))})") from None


def _bitwise(ufunc, a, b):
    x, y = _arrays(a, b)
    for v in (x, y):
        if xp.asarray(v).dtype.kind not in "biu":
            raise TypeError(f"{ufunc.__name__}: only bool and integer tensors are supported, got {xp.asarray(v).dtype}")
    return Tensor._make(xp.asarray(ufunc(x, y)), None)


def bitwise_and(a, b):
    return _bitwise(xp.bitwise_and, a, b)


def bitwise_or(a, b):
    return _bitwise(xp.bitwise_or, a, b)


def bitwise_xor(a, b):
    return _bitwise(xp.bitwise_xor, a, b)


def bitwise_not(a):
    d = a._data
    if d.dtype.kind not in "biu":
        raise TypeError(f"~ (bitwise_not): only bool and integer tensors are supported, got {a.dtype}")
    return Tensor._make(xp.invert(d), None)


def logical_and(a, b):
    x, y = _arrays(a, b)
    return Tensor._make(xp.logical_and(x, y), None)


def logical_or(a, b):
    x, y = _arrays(a, b)
    return Tensor._make(xp.logical_or(x, y), None)


def logical_not(a):
    return Tensor._make(xp.logical_not(a._data), None)


def eq(a, b):
    return compare(xp.equal, a, b)


def ne(a, b):
    return compare(xp.not_equal, a, b)


def lt(a, b):
    return compare(xp.less, a, b)


def le(a, b):
    return compare(xp.less_equal, a, b)


def gt(a, b):
    return compare(xp.greater, a, b)


def ge(a, b):
    return compare(xp.greater_equal, a, b)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    x, y = _arrays(a, b)
    return Tensor._make(xp.isclose(x, y, rtol, atol, equal_nan), None)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    x, y = _arrays(a, b)
    return bool(xp.allclose(x, y, rtol, atol, equal_nan))


def equal(a, b):
    return a.equal(b)
