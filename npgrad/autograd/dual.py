"""A tiny namespace for backward formulas that run on NumPy arrays *and* on Tensors.

Higher-order gradients (``create_graph=True``) call the same ``backward`` an op uses for
first derivatives, but hand it Tensors (the incoming gradient, the op's inputs and output)
instead of arrays, so that every operation in the formula is recorded and the gradient is
itself differentiable. Operators (``*``, ``/``, ``-``, ``**``, ``.reshape``) work on both
already; the few NumPy functions backward formulas use are here, dispatching on the type:

    def backward(self, grad):
        return (grad * dual.cos(self.saved[0]),)      # one formula for both modes

An op whose formula is written this way says so with ``_double = True`` (and, if it saves
its output, ``_saved_out = <index in saved>``). The engine refuses ``create_graph=True``
through any other op, with an error naming it, rather than return a wrong second derivative.
"""
from .. import _backend

xp = _backend.xp


_ndarray = xp.ndarray


def _t(x):
    # the fast path first: an ndarray (or a number) is never a Tensor
    if type(x) is _ndarray:
        return False
    from .._tensor import Tensor

    return isinstance(x, Tensor)


def _any_t(*xs):
    return any(_t(x) for x in xs)


def _as_tensor(x):
    from .._tensor import Tensor

    return x if _t(x) else Tensor._make(xp.asarray(x), None)


def cos(x):
    if _t(x):
        from ..ops import unary

        return unary.cos(x)
    return xp.cos(x)


def sin(x):
    if _t(x):
        from ..ops import unary

        return unary.sin(x)
    return xp.sin(x)


def log(x):
    if _t(x):
        from ..ops import unary

        return unary.log(x)
    return xp.log(x)


def where(cond, a, b):
    if not (_t(cond) or _t(a) or _t(b)):
        return xp.where(cond, a, b)
    from ..ops import arithmetic

    c = cond._data if _t(cond) else xp.asarray(cond)
    return arithmetic.where(_as_tensor(c), a, b)


def matmul(a, b):
    if type(a) is _ndarray and type(b) is _ndarray:  # the first-order path, kept fast
        return xp.matmul(a, b)
    if _any_t(a, b):
        from ..ops import linalg

        return linalg.matmul(_as_tensor(a), _as_tensor(b))
    return xp.matmul(a, b)


def swapaxes(a, i, j):
    if _t(a):
        return a.transpose(i, j)
    return xp.swapaxes(a, i, j)


def expand_dims(a, axis):
    if _t(a):
        for ax in sorted(axis if isinstance(axis, tuple) else (axis,)):
            a = a.unsqueeze(ax)
        return a
    return xp.expand_dims(a, axis)


def permute(a, dims):
    if _t(a):
        return a.permute(*[int(d) for d in dims])
    return a.transpose(dims)


def broadcast_to(a, shape):
    if _t(a):
        return a.expand(*shape) if shape else a.reshape(())
    return xp.broadcast_to(a, shape)


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape`` (broadcasting's backward) for a Tensor gradient."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    if lead or tuple(grad.shape) != tuple(shape):
        grad = grad.reshape(tuple(shape))
    return grad


def exp(x):
    if _t(x):
        from ..ops import unary

        return unary.exp(x)
    return xp.exp(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001  (NumPy's name, on purpose)
    if _t(x):
        return x.sum(dim=axis, keepdim=keepdims) if axis is not None else (
            x.sum().reshape((1,) * x.ndim) if keepdims else x.sum()
        )
    return x.sum(axis=axis, keepdims=keepdims)


def data(x):
    """The values of ``x`` as an array: for masks and signs, whose derivative is zero, so
    they enter a recorded formula as constants."""
    return x._data if _t(x) else x


def split(x, offsets, axis):
    if _t(x):
        bounds = [0] + [int(o) for o in offsets] + [x.shape[axis]]
        return [x[(slice(None),) * axis + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:])]
    return xp.split(x, offsets, axis=axis)


def unstack(x, axis):
    if _t(x):
        return [x[(slice(None),) * axis + (i,)] for i in range(x.shape[axis])]
    return list(xp.moveaxis(x, axis, 0))
