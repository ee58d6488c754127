"""``torch.linalg``, the part training programs use: ``vector_norm``, ``matrix_norm``
(Frobenius, 1, inf), ``norm``, ``inv``, ``solve``, ``det``. Batched over leading dims, as
PyTorch's. Norms are built from differentiable reductions; inv/solve/det are Functions whose
backward sits beside the forward. (Norms needing singular values, ``svd``, ``eigh``, ``qr``
are not here yet: they raise a clear error.)"""
import builtins

import numpy as np

from ._backend import xp
from ._tensor import Tensor
from .autograd.function import Op
from .ops import reduction as _red
from .ops.unary import abs as _abs


def _mT(a):
    return xp.swapaxes(a, -1, -2)


def _square(op, a):
    if not isinstance(a, Tensor):
        raise TypeError(f"linalg.{op}: expected a Tensor, got {type(a).__name__}")
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they are "
                           f"{tuple(a.shape)}")
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{op}: Expected a floating point tensor as input. Got {a.dtype}")


def _singular(op):
    return RuntimeError(f"linalg.{op}: The input matrix is singular (or a matrix of the batch "
                        "is), so it has no inverse / the system has no unique solution.")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype}")
    if ord == float("-inf"):
        return _red.amin(_abs(x), dim, keepdim)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    return _red.norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(dtype)
    if A.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions (got {tuple(A.shape)})")
    rows, cols = (d % A.dim() for d in dim)
    if ord == "fro":
        return _red.norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, float("inf"), float("-inf")):
        summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = _red.sum(_abs(A), summed, True)
        pick = _red.amax if ord > 0 else _red.amin
        out = pick(sums, other, True)
        return out if keepdim else out.squeeze(max(rows, cols)).squeeze(min(rows, cols))
    raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which "
                              "npgrad does not compute yet (use 'fro', 1, -1, inf or -inf)")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, builtins.int):
        dim = (dim,)
    if dim is None and ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.dim()}D.")
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or \
            (dim is None and ord is not None and A.dim() == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                           keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


class Inv(Op):
    def forward(self, a):
        try:
            out = xp.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular("inv") from None
        self.saved = (out,)
        return out

    def backward(self, grad):  # d(A⁻¹) = -A⁻¹ dA A⁻¹  =>  gA = -A⁻ᵀ g A⁻ᵀ
        inv_t = _mT(self.saved[0])
        return (-(inv_t @ grad @ inv_t),)


class Solve(Op):
    """X = A⁻¹ B. gB = A⁻ᵀ g, gA = -gB Xᵀ (B as a batch of columns)."""

    def forward(self, a, b):
        try:
            x = xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _singular("solve") from None
        self.saved = (a, x)
        return x

    def backward(self, grad):
        a, x = self.saved
        gb = xp.linalg.solve(_mT(a), grad)
        ga = -(gb @ _mT(x))
        return ga, gb


class Det(Op):
    def forward(self, a):
        out = xp.linalg.det(a)
        self.saved = (a, out)
        return xp.asarray(out)

    def backward(self, grad):  # d det(A) = det(A) tr(A⁻¹ dA)  =>  gA = g det(A) A⁻ᵀ
        a, det = self.saved
        return ((grad * det)[..., None, None] * _mT(xp.linalg.inv(a)),)


def inv(A):
    _square("inv", A)
    return Inv.apply(A)


def solve(A, B, *, left=True):
    _square("solve", A)
    if not left:
        raise NotImplementedError("linalg.solve: left=False is not supported yet (solve "
                                  "A.mT X.mT = B.mT instead)")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({tuple(A.shape)} and {tuple(B.shape)})")
    return Solve.apply(A, B)


def det(A):
    _square("det", A)
    return Det.apply(A)
