"""Writing by index: ``scatter``, ``scatter_add``, ``index_add``, and reading by mask:
``masked_select``, ``nonzero``.

Indices follow PyTorch: a negative or too-large index raises, naming the op, the index and
the size (NumPy would silently wrap a negative one around).
"""
from .._backend import xp
from .._tensor import Tensor, _dim
from ..autograd.function import Op


def _index_array(index, op):
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _check_bounds(idx, size, dim, op):
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {size}")


def _scatter_positions(index, axis):
    """The full index tuple that sends element p of ``index`` to (p with axis := index[p])."""
    pos = list(xp.indices(index.shape, sparse=True))
    pos[axis] = index
    return tuple(pos)


def _check_scatter(x, index, src, axis, op):
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor "
                           f"(index {index.shape}, self {x.shape})")
    for d in range(index.ndim):
        if src is not None and xp.ndim(src) and index.shape[d] > src.shape[d]:
            raise RuntimeError(f"{op}(): Expected index {tuple(index.shape)} to be smaller than src "
                               f"{tuple(src.shape)} apart from dimension {d}")
        if d != axis and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"{op}(): Expected index {tuple(index.shape)} to be smaller than self "
                               f"{tuple(x.shape)} apart from dimension {axis}")
    _check_bounds(index, x.shape[axis] if x.ndim else 1, axis, op)


def _src_part(src, index):
    """The leading corner of ``src`` that ``index`` covers (index may be smaller than src)."""
    return src[tuple(slice(0, n) for n in index.shape)]


class Scatter(Op):
    """out = x with out[..., index[p], ...] = src[p] (last write wins on duplicates)."""

    def forward(self, x, src, index, axis, reduce=None):
        self.saved = (index,)
        self.axis, self.src_shape = axis, xp.shape(src)
        pos = _scatter_positions(index, axis)
        vals = _src_part(src, index) if xp.ndim(src) else src
        out = x.copy()
        if reduce is None:
            out[pos] = vals
        elif reduce == "add":
            xp.add.at(out, pos, vals)
        else:
            xp.multiply.at(out, pos, vals)
        return out

    def backward(self, grad):
        (index,) = self.saved
        pos = _scatter_positions(index, self.axis)
        gx = gs = None
        if self.needs[0]:
            gx = grad.copy()
            gx[pos] = 0
        if self.needs[1]:
            gs = xp.zeros(self.src_shape, dtype=grad.dtype)
            gs[tuple(slice(0, n) for n in index.shape)] = grad[pos]
        return gx, gs


class ScatterAdd(Op):
    def forward(self, x, src, index, axis):
        self.saved = (index,)
        self.axis, self.src_shape = axis, src.shape
        out = x.copy()
        xp.add.at(out, _scatter_positions(index, axis), _src_part(src, index))
        return out

    def backward(self, grad):
        (index,) = self.saved
        gs = None
        if self.needs[1]:
            gs = xp.zeros(self.src_shape, dtype=grad.dtype)
            gs[tuple(slice(0, n) for n in index.shape)] = grad[_scatter_positions(index, self.axis)]
        return grad, gs


def _prep(x, dim, index, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    axis = _dim(dim, x._data.ndim, op)
    idx = _index_array(index, op)
    if x._data.ndim == 0:  # a 0-d tensor behaves as one element along dim 0
        idx = idx.reshape(())
    elif x._data.ndim == 1 and idx.ndim == 0:  # and so does a 0-d index into a 1-d tensor
        idx = idx.reshape(1)  # (the Transforms tutorial's one-hot: scatter_(0, tensor(y), value=1))
    return axis, idx


def scatter(x, dim, index, src=None, value=None, reduce=None):
    """``scatter(input, dim, index, src)`` or ``scatter(input, dim, index, value=v)``."""
    op = "scatter"
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"{op}(): reduce argument must be either add or multiply, got {reduce!r}")
    axis, idx = _prep(x, dim, index, op)
    if src is None and value is None:
        raise TypeError(f"{op}() missing 1 required argument: 'src' or 'value'")
    if not isinstance(src, Tensor):  # scatter(x, dim, index, 1.5): a value
        v = value if src is None else src
        _check_scatter(x._data, idx, None, axis, op)
        return Scatter.apply(x, xp.asarray(v).astype(x._data.dtype).item(), idx, axis, reduce=reduce)
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                           f"(got {x.dtype} and {src.dtype})")
    if reduce is not None:
        import warnings

        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                      "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                      "reduction options.", UserWarning, stacklevel=3)
    _check_scatter(x._data, idx, src._data, axis, op)
    return Scatter.apply(x, src, idx, axis, reduce=reduce)


def scatter_add(x, dim, index, src):
    op = "scatter_add"
    axis, idx = _prep(x, dim, index, op)
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                           f"(got {x.dtype} and {src.dtype})")
    _check_scatter(x._data, idx, src._data, axis, op)
    return ScatterAdd.apply(x, src, idx, axis)


class IndexAdd(Op):
    """out = x; out[..., index[i], ...] += alpha * source[..., i, ...] along ``axis``."""

    def forward(self, x, source, index, axis, alpha):
        self.saved = (index,)
        self.axis, self.alpha = axis, alpha
        out = x.copy()
        moved = xp.moveaxis(out, axis, 0)  # a view: writing it writes out
        xp.add.at(moved, index, xp.moveaxis(source * alpha if alpha != 1 else source, axis, 0))
        return out

    def backward(self, grad):
        (index,) = self.saved
        gs = None
        if self.needs[1]:
            gs = xp.take(grad, index, axis=self.axis)
            if self.alpha != 1:
                gs = gs * self.alpha
        return grad, gs


def index_add(x, dim, index, source, alpha=1):
    op = "index_add"
    axis = _dim(dim, x._data.ndim, op)
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {tuple(idx.shape)}")
    idx = idx.reshape(-1)
    xs, ss = x._data.shape, source._data.shape
    x_nd = max(len(xs), 1)
    src = source
    if len(ss) == 0:
        src = source.reshape(1)
        ss = (1,)
    if len(xs) == 0:
        x_nd = 1
    want = tuple(n if d != axis else idx.size for d, n in enumerate(xs or (1,)))
    if ss != want:
        raise RuntimeError(f"{op}(): source {tuple(source.shape)} must have self's shape "
                           f"{tuple(xs)} with dimension {axis} of size {idx.size} (the index's length)")
    _check_bounds(idx, (xs or (1,))[axis], axis, op)
    if source._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): self ({x.dtype}) and source ({source.dtype}) must have the same scalar type")
    if len(xs) == 0:
        return IndexAdd.apply(x.reshape(1), src, idx, 0, alpha).reshape(())
    return IndexAdd.apply(x, src, idx, axis, alpha)


class MaskedSelect(Op):
    def forward(self, x, mask):
        self.shape = xp.broadcast_shapes(x.shape, mask.shape)
        self.saved = (xp.broadcast_to(mask, self.shape),)
        return xp.broadcast_to(x, self.shape)[self.saved[0]]

    def backward(self, grad):
        (mask,) = self.saved
        out = xp.zeros(self.shape, dtype=grad.dtype)
        out[mask] = grad
        return out, None


def masked_select(x, mask):
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype != xp.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    try:
        xp.broadcast_shapes(x._data.shape, m.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the mask's shape {tuple(m.shape)} does not broadcast "
                           f"with the input's shape {tuple(x._data.shape)}") from None
    return MaskedSelect.apply(x, m)


def nonzero(x, as_tuple=False):
    a = x._data
    if as_tuple:
        if a.ndim == 0:
            return (Tensor._make(xp.zeros(int(a != 0), dtype=xp.int64), None),)
        return tuple(Tensor._make(i.astype(xp.int64), None) for i in xp.nonzero(a))
    if a.ndim == 0:
        return Tensor._make(xp.zeros((int(a != 0), 0), dtype=xp.int64), None)
    return Tensor._make(xp.argwhere(a).astype(xp.int64), None)


def argwhere(x):
    return nonzero(x)
