"""Matrix products: ``matmul`` (the ``@`` operator) and the fused ``linear`` of nn.Linear.

For out = a @ b, the chain rule gives dL/da = g @ bᵀ and dL/db = aᵀ @ g. A 1-D operand is
treated as a row (left) or a column (right) vector, as NumPy and PyTorch do.
"""
from .._backend import xp
from .._tensor import Tensor
from ..autograd import dual
from ..autograd.function import Op
from .. import _fast


class MatMul(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_for = ((1,), (0,))

    def forward(self, a, b, node=None):
        self.saved = (a, b)
        # PyTorch's node name depends on the ranks (its matmul dispatches to mm, mv, dot...)
        self.torch_name = node or _MATMUL_NODES.get((a.ndim, b.ndim), "UnsafeViewBackward0")
        return xp.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved
        a1, b1 = a.ndim == 1, b.ndim == 1
        a2 = a[None, :] if a1 else a  # (k,) -> (1, k)
        b2 = b[:, None] if b1 else b  # (k,) -> (k, 1)
        g = grad  # put back the axes a 1-D operand dropped (vector @ vector: both)
        if b1:
            g = dual.expand_dims(g, -1)
        if a1:
            g = dual.expand_dims(g, -2)
        ga = gb = None
        if self.needs[0]:
            ga = dual.matmul(g, dual.swapaxes(b2, -1, -2))
            if a1:
                ga = ga[..., 0, :]
        if self.needs[1]:
            gb = dual.matmul(dual.swapaxes(a2, -1, -2), g)
            if b1:
                gb = gb[..., 0]
        return ga, gb


class Linear(Op):
    """y = x @ Wᵀ + b in one node (nn.Linear's op): one matmul forward, two backward.

    Fusing saves building three nodes (transpose, matmul, add) per layer per step, and lets
    the backward skip dL/dx for the first layer, whose input (the data) needs no gradient.
    """

    _saved_for = ((1,), (0,), ())

    def forward(self, x, weight, bias=None):
        self.saved = (x, weight)
        if x.ndim == 2:
            out = _fast.matmul(x, weight.T)  # big batches: rows split between threads
        elif x.ndim > 2:  # (batch..., in) as one (n, in) product: NumPy would loop over batch
            out = _fast.matmul(x.reshape(-1, x.shape[-1]), weight.T)
            out = out.reshape(x.shape[:-1] + (weight.shape[0],))
        else:
            out = x @ weight.T
        if bias is not None:
            out += bias  # in place: `out` is ours, fresh from the matmul
        return out

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        x, weight = self.saved
        gx = None
        if self.needs[0]:
            if grad.ndim >= 2:  # (batch..., out) as one (n, out) product
                gx = _mm(grad.reshape(-1, grad.shape[-1]), weight)
                gx = gx.reshape(tuple(grad.shape[:-1]) + (weight.shape[1],))
            else:
                gx = grad @ weight
        g2 = grad.reshape(-1, grad.shape[-1])  # (batch..., out) -> (n, out)
        gw = _mm(g2.T, x.reshape(-1, x.shape[-1])) if self.needs[1] else None
        gb = dual.sum(g2, axis=0) if self.needs[2] else None
        return gx, gw, gb


def _mm(a, b):
    """2-D matmul: rows split between threads for arrays; recorded for Tensors (create_graph)."""
    if type(a) is xp.ndarray and type(b) is xp.ndarray:
        return _fast.matmul(a, b)
    return dual.matmul(a, b)


def _check_matmul(a, b):
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {tuple(sa)} and {tuple(sb)}"
        )
    ka = sa[-1]
    kb = sb[-2] if len(sb) >= 2 else sb[0]
    if ka != kb:
        raise RuntimeError(
            f"matmul: shapes {tuple(sa)} and {tuple(sb)} cannot be multiplied ({ka} != {kb})"
        )


def matmul(a, b):
    from .arithmetic import promote

    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype != b._data.dtype:
        # PyTorch does not promote here: a float32 weight times float64 data is an error
        raise RuntimeError(f"matmul: expected both arguments to have the same dtype, but got: "
                           f"{a.dtype} != {b.dtype} (shapes {tuple(a._data.shape)} and "
                           f"{tuple(b._data.shape)})")
    a, b = promote(a, b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both arguments must be tensors, not Python numbers")
    _check_matmul(a, b)
    return MatMul.apply(a, b)


_MATMUL_NODES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0",
                 (1, 2): "SqueezeBackward4"}


def mm(a, b):
    """PyTorch's ``mm``: a matrix times a matrix, nothing else (``matmul`` broadcasts)."""
    for what, t in (("self", a), ("mat2", b)):
        if not isinstance(t, Tensor) or t._data.ndim != 2:
            got = f"{t._data.ndim}-d" if isinstance(t, Tensor) else type(t).__name__
            raise RuntimeError(f"mm: {what} must be a matrix (a 2-d tensor), got {got}")
    return matmul(a, b)


def bmm(a, b):
    """PyTorch's ``bmm``: batches of matrices, ``(B, n, m) @ (B, m, p)``, no broadcasting."""
    for what, t in (("batch1", a), ("batch2", b)):
        if not isinstance(t, Tensor) or t._data.ndim != 3:
            got = f"{t._data.ndim}-d" if isinstance(t, Tensor) else type(t).__name__
            raise RuntimeError(f"bmm: {what} must be a 3D tensor, got {got}")
    (batch, _, inner), (batch2, inner2, _) = a._data.shape, b._data.shape
    if (batch2, inner2) != (batch, inner):
        raise RuntimeError(f"bmm: expected size for first two dimensions of batch2 tensor to "
                           f"be: [{batch}, {inner}] but got: [{batch2}, {inner2}]")
    from .arithmetic import promote

    a, b = promote(a, b)
    _check_matmul(a, b)
    return MatMul.apply(a, b, node="BmmBackward0")


def dot(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
        )
    return matmul(a, b)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, as ``torch.nn.functional.linear``; weight is (out, in)."""
    xs, ws = x._data.shape, weight._data.shape
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(xs)} has {xs[-1] if xs else 0} features, but the "
            f"weight of shape {tuple(ws)} expects {ws[1] if len(ws) == 2 else '?'}"
        )
    if x._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"linear: input dtype {x.dtype} does not match weight dtype {weight.dtype} "
            "(convert one with .float() or .double())"
        )
    return Linear.apply(x, weight, bias)
