"""Two more shape ops: ``rot90`` (turn a tensor a quarter at a time in the plane of two
dims) and ``diag_embed`` (the last dim laid on the diagonal of two new dims).

    rot90([[1, 2], [3, 4]])   = [[2, 4], [1, 3]]
    diag_embed([1, 2])        = [[1, 0], [0, 2]]
"""
from .._backend import xp
from .._tensor import _dim
from ..autograd.function import Op


# ---------------------------------------------------------------- rot90
def _rot90(a, k, d0, d1):
    """PyTorch's layout too: odd turns are a flipped copy seen transposed (not contiguous,
    like torch's), even turns a contiguous copy."""
    k %= 4
    if k == 1:
        return xp.flip(a, d1).copy().swapaxes(d0, d1)
    if k == 2:
        return xp.flip(a, (d0, d1)).copy()
    if k == 3:
        return xp.flip(a, d0).copy().swapaxes(d0, d1)
    return a.copy()


class Rot90(Op):
    def forward(self, x, k, d0, d1):
        self.k, self.d0, self.d1 = k, d0, d1
        return _rot90(x, k, d0, d1)

    def backward(self, grad):  # turning back undoes the turn
        return (_rot90(grad, -self.k, self.d0, self.d1),)


def rot90(input, k=1, dims=(0, 1)):
    """``torch.rot90(input, k=1, dims=[0, 1])``: rotated ``k`` times by 90 degrees, from the
    direction of the first dim towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = _dim(dims[0], ndim, "rot90"), _dim(dims[1], ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    return Rot90.apply(input, int(k), d0, d1)


# ---------------------------------------------------------------- diag_embed
def _diagonal_index(n, offset):
    i = xp.arange(n)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


class DiagEmbed(Op):
    def forward(self, x, offset, dim1, dim2):
        n = x.shape[-1] if x.ndim else 1
        size = n + abs(offset)
        self.offset, self.dims = offset, (dim1, dim2)
        out = xp.zeros(x.shape[:-1] + (size, size), dtype=x.dtype)
        rows, cols = _diagonal_index(n, offset)
        out[..., rows, cols] = x
        # the two new dims move to dim1 and dim2; the memory stays row-major, as PyTorch's
        return xp.ascontiguousarray(xp.moveaxis(out, (-2, -1), (dim1, dim2)))

    def backward(self, grad):  # the diagonal it was laid on
        g = xp.moveaxis(grad, self.dims, (-2, -1))
        rows, cols = _diagonal_index(g.shape[-1] - abs(self.offset), self.offset)
        return (g[..., rows, cols],)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """``torch.diag_embed(input, offset=0, dim1=-2, dim2=-1)``: a tensor whose diagonals (in
    the planes of ``dim1`` and ``dim2``, shifted by ``offset``) hold the last dim of ``input``;
    zero elsewhere."""
    ndim = input._data.ndim + 1
    d1, d2 = _dim(dim1, ndim, "diag_embed"), _dim(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    src = input.reshape(1) if input._data.ndim == 0 else input
    return DiagEmbed.apply(src, int(offset), d1, d2)


#: name -> function, as ``npgrad.<name>`` and ``Tensor.<name>``
FUNCTIONS = {"rot90": rot90, "diag_embed": diag_embed}
