"""Matrix functions: ``tril``/``triu``, ``diag``, ``trace``, ``outer``, ``kron``,
``tensordot``, ``addmm``, ``baddbmm``, ``cdist``.

Most are built from ops that already have a backward (einsum, matmul, reshape); the ones
with their own Function are those whose gradient is simplest written directly.
"""
import builtins

from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from . import arithmetic, linalg, shape
from .einsum import einsum


# ---------------------------------------------------------------- tril / triu
class _Triangle(Op):
    """Keep the lower (tril) or upper (triu) triangle of the last two dims; the gradient
    flows through the kept entries only."""

    def forward(self, x, k, lower):
        self.k, self.lower = k, lower
        return xp.tril(x, k) if lower else xp.triu(x, k)

    def backward(self, grad):
        return (xp.tril(grad, self.k) if self.lower else xp.triu(grad, self.k)),


def _triangle(x, diagonal, lower):
    name = "tril" if lower else "triu"
    if x._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions (got shape {tuple(x.shape)})")
    return (Tril if lower else Triu).apply(x, int(diagonal), lower)


class Tril(_Triangle):
    pass


class Triu(_Triangle):
    pass


def tril(x, diagonal=0):
    return _triangle(x, diagonal, True)


def triu(x, diagonal=0):
    return _triangle(x, diagonal, False)


# ---------------------------------------------------------------- diag / trace
class _DiagEmbed(Op):
    """1-D -> 2-D: the vector on diagonal k of a square zero matrix."""

    def forward(self, v, k):
        self.k = k
        return xp.diag(v, k)

    def backward(self, grad):
        return xp.diagonal(grad, self.k).copy(),


class _DiagTake(Op):
    """2-D -> 1-D: diagonal k of a matrix."""

    def forward(self, m, k):
        self.k, self.shape = k, m.shape
        return xp.diagonal(m, k).copy()

    def backward(self, grad):
        out = xp.zeros(self.shape, dtype=grad.dtype)
        n = grad.shape[0]
        rows = xp.arange(n) + builtins.max(-self.k, 0)
        out[rows, rows + self.k] = grad
        return (out,)


def diag(x, diagonal=0):
    nd = x._data.ndim
    if nd == 1:
        return _DiagEmbed.apply(x, int(diagonal))
    if nd == 2:
        return _DiagTake.apply(x, int(diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D (shape {tuple(x.shape)})")


def trace(x):
    if x._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim} (shape {tuple(x.shape)})")
    return _DiagTake.apply(x, 0).sum()


def _triangle_indices(row, col, offset, lower, dtype):
    from .. import _dtype

    r, c = xp.tril_indices(row, offset, col) if lower else xp.triu_indices(row, offset, col)
    return Tensor._make(xp.stack([r, c]).astype(_dtype.to_np(dtype) or xp.int64), None)


def tril_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle of a row x col matrix, row by row."""
    return _triangle_indices(row, col, offset, True, dtype)


def triu_indices(row, col, offset=0, dtype=None, device=None, layout=None):
    return _triangle_indices(row, col, offset, False, dtype)


class Diagonal(Op):
    """The diagonal ``offset`` of the (dim1, dim2) planes, as a new last dim."""

    def forward(self, x, offset, axis1, axis2):
        self.args, self.shape = (offset, axis1, axis2), x.shape
        d = xp.diagonal(x, offset, axis1, axis2)  # a view, as PyTorch's: writes reach x
        if x.flags.writeable:  # NumPy hands its diagonal view out read-only
            d.flags.writeable = True
        return d

    def backward(self, grad):
        offset, axis1, axis2 = self.args
        out = xp.zeros(self.shape, dtype=grad.dtype)
        view = xp.moveaxis(out, (axis1, axis2), (-2, -1))  # a view of out
        n = grad.shape[-1]
        rows = xp.arange(n) + builtins.max(-offset, 0)
        view[..., rows, rows + offset] = grad
        return (out,)


def diagonal(x, offset=0, dim1=0, dim2=1):
    from .._tensor import _dim

    nd = x._data.ndim
    a1, a2 = _dim(dim1, nd, "diagonal"), _dim(dim2, nd, "diagonal")
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, int(offset), a1, a2)


# ---------------------------------------------------------------- products
def outer(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D vectors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return arithmetic.mul(a.reshape(-1, 1), b.reshape(1, -1))


def kron(a, b):
    """Kronecker product: block (i, j) of the result is a[i, j] * b."""
    nd = builtins.max(a._data.ndim, b._data.ndim)
    sa = (1,) * (nd - a._data.ndim) + tuple(a._data.shape)
    sb = (1,) * (nd - b._data.ndim) + tuple(b._data.shape)
    a2 = a.reshape(tuple(v for n in sa for v in (n, 1)))
    b2 = b.reshape(tuple(v for n in sb for v in (1, n)))
    return arithmetic.mul(a2, b2).reshape(tuple(x * y for x, y in zip(sa, sb)))


def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` (an int: a's last and b's first dims; or two lists) of a with b."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > builtins.min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length (got {da} and {db})")
        da = [d % na for d in da]
        db = [d % nb for d in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[i]} in dim {i} and second has size {b._data.shape[j]} in dim {j}")
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    keep = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb) if k not in db]
    # PyTorch's tensordot is a matrix product reshaped: its result is always contiguous
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(keep)}", a, b).contiguous()


def _scaled_sum(inp, prod, beta, alpha):
    if alpha != 1:
        prod = arithmetic.mul(prod, alpha)
    if beta == 0:  # PyTorch ignores input then (its NaNs included)
        return shape.broadcast_to(prod, xp.broadcast_shapes(tuple(inp.shape), tuple(prod.shape)))
    if beta != 1:
        inp = arithmetic.mul(inp, beta)
    return arithmetic.add(inp, prod)


def addmm(input, mat1, mat2, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"addmm: mat1 and mat2 must be matrices (got shapes {tuple(mat1.shape)} and {tuple(mat2.shape)})")
    return _scaled_sum(input, linalg.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, beta=1, alpha=1):
    return _scaled_sum(input, linalg.matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    if batch1._data.ndim != 3 or batch2._data.ndim != 3:
        raise RuntimeError(f"baddbmm: batch1 and batch2 must be 3-D (got shapes {tuple(batch1.shape)} and {tuple(batch2.shape)})")
    return _scaled_sum(input, linalg.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, beta=1, alpha=1):
    return _scaled_sum(input, linalg.bmm(batch1, batch2).sum(0), beta, alpha)


# ---------------------------------------------------------------- cdist
class _Cdist(Op):
    """dist[..., i, j] = || x1[..., i, :] - x2[..., j, :] ||_p. Where a distance is 0 its
    gradient is 0, as in PyTorch."""

    def forward(self, x1, x2, p):
        self.p = p
        diff = x1[..., :, None, :] - x2[..., None, :, :]
        a = xp.abs(diff)
        if p == 0:
            out = (a != 0).sum(-1).astype(x1.dtype)
        elif p == 1:
            out = a.sum(-1)
        elif p == 2:
            out = xp.sqrt((diff * diff).sum(-1))
        elif xp.isinf(p):
            out = a.max(-1) if a.shape[-1] else xp.zeros(a.shape[:-1], a.dtype)
        else:
            out = (a ** p).sum(-1) ** (1.0 / p)
        out = out.astype(x1.dtype, copy=False)
        self.saved = (diff, out)
        self.shapes = (x1.shape, x2.shape)
        return out

    def backward(self, grad):
        diff, dist = self.saved
        p = self.p
        d = dist[..., None]
        g = grad[..., None]
        with xp.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                w = xp.zeros_like(diff)
            elif p == 1:
                w = xp.sign(diff)
            elif p == 2:
                w = xp.where(d == 0, 0, diff / d)
            elif xp.isinf(p):
                w = xp.sign(diff) * (xp.abs(diff) == d)
            elif p < 1:
                w = xp.where((d == 0) | (diff == 0), 0,
                             xp.sign(diff) * xp.abs(diff) ** (p - 1) / d ** (p - 1))
            else:
                w = xp.where(d == 0, 0, xp.sign(diff) * xp.abs(diff) ** (p - 1) / d ** (p - 1))
        w = (w * g).astype(diff.dtype, copy=False)
        g1 = w.sum(-2) if self.needs[0] else None
        g2 = -w.sum(-3) if self.needs[1] else None
        return g1, g2


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D, X2 got: {x2._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values (got p={p})")
    if x1._data.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    return _Cdist.apply(x1, x2, float(p))
