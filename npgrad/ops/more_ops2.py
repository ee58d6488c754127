"""More of PyTorch's everyday functions: ``mv``, ``select``, ``fliplr``/``flipud``, ``take``,
``tensor_split`` and ``hsplit``/``vsplit``/``dsplit``, ``median``/``nanmedian``,
``kthvalue`` and ``aminmax``.

Most are built from existing ops (matmul, indexing, flip, amin/amax), so they share those
ops' layout (views where torch gives views) and backward. New nodes are ``Take`` (flat
indices; repeated picks add their gradients), ``MedianAll`` (the gradient shared evenly by
the elements equal to the median, as torch's) and ``PickAlong`` (one value picked along a
dim by an index: the gradient goes back to that index).
"""
import builtins
from collections import namedtuple

from .._backend import xp
from .._memory_format import fresh
from .._tensor import ReturnTypes, Tensor, _dim
from ..autograd.function import Op
from . import kth_select, linalg, reduction, shape

MinMax = namedtuple("aminmax", ["min", "max"])


# ---------------------------------------------------------------- mv
def mv(input, vec):
    """``torch.mv``: a matrix ``(n, m)`` times a vector ``(m,)``, nothing else."""
    a, v = input._data.ndim, vec._data.ndim
    if a != 2 or v != 1:
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got a {a}-d input and a "
                           f"{v}-d vec (need 2-d and 1-d)")
    (n, m), (k,) = input._data.shape, vec._data.shape
    if m != k:
        raise RuntimeError(f"mv: size mismatch, got input ({n}x{m}), vec ({k})")
    if input._data.dtype != vec._data.dtype:
        raise RuntimeError(f"mv: input tensors must have the same dtype, but got {input.dtype} "
                           f"and {vec.dtype}")
    return linalg.matmul(input, vec)


# ---------------------------------------------------------------- select
def select(input, dim, index):
    """``x.select(dim, index)``: the slice at ``index`` along ``dim``, that dim removed; a
    view, as torch's (``x.select(0, i)`` is ``x[i]``)."""
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = _dim(dim, input._data.ndim, "select")
    size = input._data.shape[axis]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {axis}")
    return shape.getitem(input, (slice(None),) * axis + (index % size,))


# ---------------------------------------------------------------- fliplr / flipud
def fliplr(input):
    """Reversed along dim 1 (left-right); needs at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got {input._data.ndim}-d")
    return shape.flip(input, 1)


def flipud(input):
    """Reversed along dim 0 (up-down); needs at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got 0-d")
    return shape.flip(input, 0)


# ---------------------------------------------------------------- take
class Take(Op):
    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return x.reshape(-1)[index]  # advanced indexing: a fresh contiguous copy

    def backward(self, grad):  # an element picked twice gets both gradients
        out = xp.zeros(builtins.max(1, int(xp.prod(self.shape))), dtype=grad.dtype)
        xp.add.at(out, self.index, grad)
        return (out.reshape(self.shape),)


def take(input, index):
    """``torch.take``: ``input`` read as 1-d, at ``index`` (int64; -1 is the last element);
    the result has ``index``'s shape."""
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype != xp.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {idx.dtype}")
    n = input._data.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise IndexError(f"take(): out of range: tried to access index {bad} on a tensor of "
                         f"{n} elements.")
    return Take.apply(input, xp.where(idx < 0, idx + n, idx))


# ---------------------------------------------------------------- tensor_split and kin
def _bounds(n, sections_or_indices, op):
    """(start, stop) of each part along a dim of size n."""
    if isinstance(sections_or_indices, Tensor):
        s = sections_or_indices._data
        if s.dtype.kind not in "iu" or s.ndim > 1:
            raise RuntimeError(f"{op}: expected tensor_indices_or_sections to be a 0-d or 1-d "
                               f"integer tensor, got {s.ndim}-d {s.dtype}")
        sections_or_indices = int(s) if s.ndim == 0 else [int(i) for i in s]
    if isinstance(sections_or_indices, (builtins.int, xp.integer)):
        sections = int(sections_or_indices)
        if sections <= 0:
            raise RuntimeError(f"{op}: number of sections must be larger than 0, got {sections}")
        small, extra = divmod(n, sections)  # the first `extra` parts get one more element
        sizes = [small + 1] * extra + [small] * (sections - extra)
        ends = [builtins.sum(sizes[:i + 1]) for i in range(sections)]
        return list(zip([0] + ends[:-1], ends))
    cuts = [0] + [int(i) for i in sections_or_indices] + [n]
    # as torch: part i is the slice cuts[i]:cuts[i+1], negative ends counting from the end
    parts = []
    for s, e in zip(cuts[:-1], cuts[1:]):
        start, stop, _ = slice(s, e).indices(n)
        parts.append((start, builtins.max(start, stop)))
    return parts


def tensor_split(input, indices_or_sections, dim=0):
    """``torch.tensor_split``: into ``sections`` near-equal parts (the first ``n % sections``
    one longer), or cut before each of ``indices``; each part a view of ``input``."""
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    axis = _dim(dim, input._data.ndim, "tensor_split")
    parts = _bounds(input._data.shape[axis], indices_or_sections, "tensor_split")
    return tuple(shape._narrow(input, axis, s, e) for s, e in parts)


def _split_along(input, sections, axis, least, op):
    ndim = input._data.ndim
    if ndim < least:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {least} dimension, but "
                           f"got a tensor with {ndim} dimensions!")
    if isinstance(sections, (builtins.int, xp.integer)):
        size = input._data.shape[axis]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {axis}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {sections}!")
    return tensor_split(input, sections, axis)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 of a 1-d tensor); an int must divide the size."""
    return _split_along(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, 1,
                        "hsplit")


def vsplit(input, indices_or_sections):
    """Split along dim 0 of a tensor of at least 2 dims; an int must divide the size."""
    return _split_along(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input, indices_or_sections):
    """Split along dim 2 of a tensor of at least 3 dims; an int must divide the size."""
    return _split_along(input, indices_or_sections, 2, 3, "dsplit")


# ---------------------------------------------------------------- median, kthvalue
class MedianAll(Op):
    """The lower median of all elements; its gradient is shared evenly by every element
    equal to it (torch's ``evenly_distribute_backward``; with a NaN: by the NaNs)."""

    torch_name = "MedianBackward0"

    def forward(self, x, ignore_nan):
        flat = x.reshape(-1)
        if ignore_nan and flat.dtype.kind == "f":
            flat = flat[~xp.isnan(flat)]
        if flat.size == 0:
            out = xp.array(xp.nan, dtype=x.dtype)
        elif not ignore_nan and flat.dtype.kind == "f" and xp.isnan(flat).any():
            out = xp.array(xp.nan, dtype=x.dtype)
        else:
            out = xp.sort(flat)[(flat.size - 1) // 2]
        self.saved = (x, out)
        return fresh(xp.asarray(out, dtype=x.dtype))

    def backward(self, grad):
        x, out = self.saved
        hits = xp.isnan(x) if xp.isnan(out) else x == out
        count = hits.sum()
        with xp.errstate(invalid="ignore", divide="ignore"):
            return ((grad * hits / count).astype(grad.dtype),)


class PickAlong(Op):
    """One value along ``axis`` per position, chosen by ``indices``: the gradient goes back
    to the chosen element only (torch's ``value_selecting_reduction_backward``)."""

    def forward(self, x, axis, keepdim, indices, name):
        self.axis, self.keepdim, self.shape, self.torch_name = axis, keepdim, x.shape, name
        self.idx = xp.expand_dims(indices, axis)
        out = fresh(xp.take_along_axis(x, self.idx, axis=axis))
        return out if keepdim else out.squeeze(axis)

    def backward(self, grad):
        g = grad if self.keepdim else xp.expand_dims(grad, self.axis)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        xp.put_along_axis(out, self.idx, g, axis=self.axis)
        return (out,)


def _no_bool(x, op):
    if x.dtype == xp.bool_:
        raise NotImplementedError(f'"{op}" not implemented for \'Bool\'')


def _kth_indices(rows, k, median, ignore_nan):
    """Per row of the 2-d ``rows``: the index of its k-th smallest (NaN last); for
    ``median``, k is the lower middle (of the non-NaN values for nanmedian) and, without
    ``ignore_nan``, a row with a NaN answers its first NaN. Among ties, torch's index: for
    the median the one a stable sort puts there, for kthvalue its quickselect's."""
    n = rows.shape[1]
    nan = xp.isnan(rows) if rows.dtype.kind == "f" else xp.zeros(rows.shape, bool)
    nans = nan.sum(axis=1)
    if median:
        ks = ((n - nans) - 1) // 2 if ignore_nan else xp.full(len(rows), (n - 1) // 2)
        ks = xp.maximum(ks, 0)  # all NaN: C++'s -1 / 2 is 0
    else:
        ks = xp.full(len(rows), k)
    order = xp.argsort(rows, axis=1, kind="stable")  # NumPy sorts NaNs last too
    out = order[xp.arange(len(rows)), ks]
    ordered = xp.take_along_axis(rows, order, axis=1)
    tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1) | (nans > 1)
    for r in xp.nonzero(tied)[0] if not median else ():
        out[r] = kth_select.quickselect_index(rows[r].tolist(), int(ks[r]))
    if median and not ignore_nan:  # torch.median: a row with a NaN gives its first NaN
        out = xp.where(nans > 0, xp.argmax(nan, axis=1), out)
    if median and ignore_nan and n > 3:  # nanmedian of all NaNs: where torch's selection ends
        out = xp.where(nans == n, kth_select.all_nan_nanmedian_index(n), out)
    return out


def _pick_kth(input, k, dim, keepdim, op, median, ignore_nan, name):
    """``(values, indices)``: the k-th smallest (0-based) along dim, or the median."""
    x = input._data
    _no_bool(x, op)
    axis = _dim(dim, builtins.max(x.ndim, 1), op)
    data = x.reshape(1) if x.ndim == 0 else x
    size = data.shape[axis]
    if size == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    moved = xp.moveaxis(data, axis, -1)
    rows = moved.reshape(-1, size)
    indices = _kth_indices(rows, k, median, ignore_nan).reshape(moved.shape[:-1])
    if x.ndim == 0:
        values = PickAlong.apply(input.reshape(1), 0, False, indices, name)
        return ReturnTypes(values.reshape(()), Tensor._make(xp.zeros((), xp.int64), None))
    values = PickAlong.apply(input, axis, keepdim, indices, name)
    if keepdim:
        indices = xp.expand_dims(indices, axis)
    return ReturnTypes(values, Tensor._make(fresh(indices.astype(xp.int64)), None))


def median(input, dim=None, keepdim=False):
    """``torch.median``: with no dim, the lower median of all elements (NaN if any is NaN);
    with a dim, ``(values, indices)`` of the lower median along it."""
    if dim is None:
        _no_bool(input._data, "median")
        return MedianAll.apply(input, False)
    return _pick_kth(input, 0, dim, keepdim, "median", True, False, "MedianBackward1")


def nanmedian(input, dim=None, keepdim=False):
    """``torch.nanmedian``: ``median`` of the values that are not NaN (NaN where all are)."""
    if dim is None:
        _no_bool(input._data, "nanmedian")
        return MedianAll.apply(input, True)
    return _pick_kth(input, 0, dim, keepdim, "nanmedian", True, True, "NanmedianBackward1")


def kthvalue(input, k, dim=-1, keepdim=False):
    """``torch.kthvalue``: ``(values, indices)`` of the ``k``-th smallest (1-based) along
    ``dim``; NaN counts as larger than every number."""
    ndim = input._data.ndim
    axis = _dim(dim, builtins.max(ndim, 1), "kthvalue")
    size = input._data.shape[axis] if ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                           f"{axis} of size {size}")
    return _pick_kth(input, int(k) - 1, dim, keepdim, "kthvalue", False, False,
                     "KthvalueBackward0")


# ---------------------------------------------------------------- aminmax
def aminmax(input, *, dim=None, keepdim=False):
    """``torch.aminmax``: ``(min, max)`` as ``amin`` and ``amax`` give them (ties share the
    gradient evenly)."""
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        axes = tuple(range(x.ndim))
    else:
        axis = _dim(dim, builtins.max(x.ndim, 1), "aminmax")
        if x.ndim and x.shape[axis] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {axis} to have non-zero size.")
        axes = (axis,) if x.ndim else ()
    if not axes:  # a 0-d tensor: itself, twice
        lo = reduction.amin(input, dim=None)
        return MinMax(lo, reduction.amax(input, dim=None))
    lo = reduction.amin(input, dim=axes, keepdim=keepdim)
    return MinMax(lo, reduction.amax(input, dim=axes, keepdim=keepdim))


#: name -> function, as ``npgrad.<name>`` and ``Tensor.<name>``
FUNCTIONS = {"mv": mv, "select": select, "fliplr": fliplr, "flipud": flipud, "take": take,
             "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit,
             "dsplit": dsplit, "median": median, "nanmedian": nanmedian,
             "kthvalue": kthvalue, "aminmax": aminmax}
