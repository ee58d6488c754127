"""Inference straight through the arrays: the twin of ``nn.Sequential.forward`` under
``no_grad`` for the layers of an MLP (``Flatten``, ``Linear``, ``ReLU``, ``Dropout``).

With no graph to record, each of those layers is one or two NumPy calls; going through
``Module.__call__``, the functional layer, ``Function.apply`` and a new Tensor per layer
costs more than the arithmetic for one image (784-256-128-10: ~13 µs of Python over ~20 µs
of matrix-vector products). Here the Sequential's layers run as the same NumPy calls their
ops make (``ops.linalg.Linear.forward``, ``ops.activation.Relu.forward``, a reshape), on arrays,
and one Tensor is made at the end: the same numbers, bit for bit.

Anything else - another layer type or a subclass, a hook, ``inplace=True``, dropout that
would drop, a shape or dtype the layer would reject, an input that is not a float Tensor -
and ``run`` returns None *before computing anything*, so the ordinary path runs (and raises
the ordinary errors). Used only on the fast paths (``npgrad.kernels() != "reference"``).
"""
from .._backend import xp
from .._tensor import Tensor
from . import threads

_FLOATS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def run(modules, x):
    """``x`` through ``modules`` (a Sequential's layers, in order), or None if some layer
    is not one this path knows."""
    if not isinstance(x, Tensor) or x._data.dtype not in _FLOATS:
        return None
    plan, shape = [], x._data.shape
    for m in modules:  # first check every layer against the shapes it will see
        step = STEPS.get(type(m))
        if step is None or m._forward_pre_hooks or m._forward_hooks:
            return None
        shape = step.check(m, shape, x._data.dtype)
        if shape is None:
            return None
        plan.append((step, m, shape))
    a, owned = x._data, False  # owned: ``a`` is an array this call made (ReLU may reuse it)
    for step, m, shape in plan:
        a = step.run(m, a, owned, shape)
        owned = owned or step.fresh
    return x if a is x._data else Tensor._make(a, None)


class LinearStep:
    fresh = True  # its result is a new array

    @staticmethod
    def check(m, shape, dtype):
        w = m.weight._data
        if not shape or shape[-1] != m.in_features or w.dtype != dtype or (
                m.bias is not None and m.bias._data.dtype != dtype):
            return None
        return shape[:-1] + (m.out_features,)

    @staticmethod
    def run(m, a, owned, shape):  # as ops.linalg.Linear.forward (on the fast paths)
        out = threads.matmul(a, m.weight._data.T) if a.ndim == 2 else a @ m.weight._data.T
        if m.bias is not None:
            out += m.bias._data
        return out


class ReLUStep:
    fresh = True

    @staticmethod
    def check(m, shape, dtype):
        return None if m.inplace else shape

    @staticmethod
    def run(m, a, owned, shape):  # as ops.activation.Relu.forward, in place on an array of our own
        return xp.maximum(a, 0, out=a) if owned else xp.maximum(a, 0)


class FlattenStep:
    fresh = False  # a view of its input

    @staticmethod
    def check(m, shape, dtype):
        n = len(shape)
        if not n or not all(shape):  # a 0-d or empty input: the ordinary path
            return None
        if not (-n <= m.start_dim < n and -n <= m.end_dim < n):
            return None
        s, e = m.start_dim % n, m.end_dim % n
        if s > e:
            return None
        size = 1
        for d in shape[s : e + 1]:
            size *= d
        return shape[:s] + (size,) + shape[e + 1 :]

    @staticmethod
    def run(m, a, owned, shape):  # as ops.shape.flatten (a view when the memory allows)
        return a.reshape(shape)


class DropoutStep:
    fresh = False

    @staticmethod
    def check(m, shape, dtype):  # the identity in eval mode or with p = 0
        return shape if (not m.training or m.p == 0.0) and 0.0 <= m.p <= 1.0 else None

    @staticmethod
    def run(m, a, owned, shape):
        return a


# layer class -> its step; filled by ``nn/modules/container.py`` (the layers live above this
# package, so they name their own steps: Linear -> LinearStep, ReLU -> ReLUStep, ...)
STEPS = {}
