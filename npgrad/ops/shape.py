"""Ops that move values around without arithmetic: reshape, transpose, expand, cat, stack,
indexing, gather, ... Their backward puts each gradient back where its value came from.
"""
import builtins

from .. import _dtype, _memory_format
from .._backend import xp
from .._tensor import ReturnTypes, Size, Tensor, _dim
from ..autograd import dual
from ..autograd.function import Op


class Reshape(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _view = True  # NumPy returns a view where it can: it shares the version counter

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return (grad.reshape(self.in_shape),)


class Permute(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _view = True  # NumPy returns a view where it can: it shares the version counter

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):  # apply the inverse permutation
        return (dual.permute(grad, xp.argsort(self.dims)),)


class Expand(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _view = True  # NumPy returns a view where it can: it shares the version counter

    def forward(self, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(self, grad):  # the engine sums the gradient back down to x's shape
        return (grad,)


class Repeat(Op):
    def forward(self, x, reps):
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
        self.base_shape, self.reps = x.shape, reps
        return xp.tile(x, reps)

    def backward(self, grad):
        # view each tiled axis as (repeats, size) and sum over the repeats
        split = []
        for r, s in zip(self.reps, self.base_shape):
            split += [r, s]
        g = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (g,)


def _joined_layout(out, arrays):
    """cat/stack as PyTorch lays them out: channels-last when every input is channels-last
    (NumPy's order then follows the inputs'), else contiguous (NumPy would follow the inputs'
    strides, e.g. give a transposed result for transposed inputs)."""
    if out.flags.c_contiguous or builtins.all(
            a.ndim == 4 and _memory_format.is_in(a, _memory_format.channels_last) for a in arrays):
        return out
    return xp.ascontiguousarray(out)


class Cat(Op):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.offsets = xp.cumsum([a.shape[axis] for a in arrays])[:-1]
        return _joined_layout(xp.concatenate(arrays, axis=axis), arrays)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        return tuple(dual.split(grad, self.offsets, self.axis))


class Stack(Op):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        return _joined_layout(xp.stack(arrays, axis=axis), arrays)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        return tuple(dual.unstack(grad, self.axis))


def _is_basic(index):
    """Basic indexing (ints, slices, None, ...) selects a view, each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(
        i is None or i is Ellipsis or isinstance(i, (builtins.int, slice)) for i in items
    )


def _clean_index(index):
    """Tensors inside an index become arrays; bool masks become the positions they select."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for i in items:
        if isinstance(i, Tensor):
            i = i._data
        elif isinstance(i, list):
            i = xp.asarray(i)
        elif isinstance(i, xp.generic) and i.dtype.kind in "iu":
            i = builtins.int(i)
        if isinstance(i, xp.ndarray):
            if i.dtype == xp.bool_:
                out.extend(i.nonzero())
                continue
            if i.dtype.kind not in "iu":
                raise IndexError(
                    f"tensors used as indices must be long, int, byte or bool tensors, got {i.dtype}"
                )
        out.append(i)
    return tuple(out)


class Index(Op):
    _view = True  # NumPy returns a view where it can: it shares the version counter

    @property
    def torch_name(self):  # worked out when asked (printing grad_fn), not on every x[i]
        return _index_node(self.index)

    def forward(self, x, index):
        self.index, self.shape, self.dtype = index, x.shape, x.dtype
        out = x[index]
        if type(out) is not xp.ndarray:  # x[0] of a 1-d array: a 0-d view, not a copy
            out = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        elif not out.flags.c_contiguous and not xp.may_share_memory(out, x):
            # advanced indexing made a copy, which NumPy may lay out with the indexed axis
            # outermost; PyTorch's copy is contiguous
            out = xp.ascontiguousarray(out)
        return out

    _double = True  # basic indexing only, see below

    def backward(self, grad):
        if dual._t(grad):  # create_graph: the same scatter, recorded (IndexPut into zeros)
            if not _is_basic(self.index):
                raise RuntimeError(
                    "npgrad cannot differentiate through the backward of IndexBackward0 with "
                    "an index tensor or mask (create_graph=True); basic indexing works"
                )
            zeros = Tensor._make(xp.zeros(self.shape, dtype=grad._data.dtype), None)
            return (IndexPut.apply(zeros, grad, index=self.index),)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_basic(self.index):
            out[self.index] = grad
        else:  # advanced: the same element may be picked twice; its gradients add up
            xp.add.at(out, self.index, grad)
        return (out,)


class IndexPut(Op):
    """``x[index] = value`` on a tensor in the graph: a new array, the old one untouched."""

    def forward(self, x, value, index):
        self.index = index
        out = x.copy()
        out[index] = value
        self.value_shape = xp.shape(value)
        return out

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        gx = None
        if self.needs[0]:
            if dual._t(grad):
                zeros = Tensor._make(xp.zeros(xp.shape(grad._data[self.index]), grad._data.dtype), None)
                gx = IndexPut.apply(grad, zeros, index=self.index)
            else:
                gx = grad.copy()
                gx[self.index] = 0
        gv = grad[self.index] if self.needs[1] else None
        return gx, gv


class Gather(Op):
    def forward(self, x, index, axis):
        self.axis, self.shape = axis, x.shape
        self.saved = (index,)
        return xp.take_along_axis(x, index, axis=axis)

    def backward(self, grad):
        (index,) = self.saved
        out = xp.zeros(self.shape, dtype=grad.dtype)
        pos = list(xp.indices(index.shape, sparse=True))
        pos[self.axis] = index
        xp.add.at(out, tuple(pos), grad)
        return (out,)


class Cast(Op):
    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, grad):  # the engine casts the gradient back to the input's dtype
        return (grad,)


class Clone(Op):
    """A copy, in the memory format asked for (``npgrad/_memory_format.py``)."""

    def forward(self, x, memory_format=None):
        return _memory_format.copy_in(x, memory_format)

    def backward(self, grad):
        return (grad,)


class Roll(Op):
    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return _memory_format.fresh(xp.roll(x, shifts, axes))  # contiguous, as torch's

    def backward(self, grad):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (xp.roll(grad, back, self.axes),)


class Flip(Op):
    def forward(self, x, axes):
        self.axes = axes
        return xp.flip(x, axes).copy()  # a copy, as PyTorch's (no negative strides)

    def backward(self, grad):
        return (xp.flip(grad, self.axes),)


# ---------------------------------------------------------------- the functions
def view(x, shape):
    """PyTorch's ``view``: the same memory under another shape. Where the strides do not
    allow it (a transposed tensor flattened, say), PyTorch raises rather than copy, and so do
    we: a silent copy would break the promise that writing to the view writes to ``x``."""
    out = reshape(x, shape)
    a, b = x._data, out._data
    if out is not x and b.size and not a.flags.c_contiguous and not xp.may_share_memory(a, b):
        raise RuntimeError(
            f"view: size {list(b.shape)} is not compatible with the input's size "
            f"{list(a.shape)} and stride {[s // a.itemsize for s in a.strides]} (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return out


def reshape(x, shape):
    shape = tuple(shape)
    known = [s for s in shape if s != -1]
    n = 1
    for s in known:
        n *= s
    if shape.count(-1) > 1 or (shape.count(-1) == 0 and n != x._data.size) or (
        shape.count(-1) == 1 and (n == 0 or x._data.size % n)
    ):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x._data.size}")
    if shape == x._data.shape:
        return x
    return Reshape.apply(x, shape=shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x._data.ndim == 0:
        return reshape(x, (1,))
    s = _dim(start_dim, x._data.ndim, "flatten")
    e = _dim(end_dim, x._data.ndim, "flatten")
    shape = x._data.shape
    return reshape(x, shape[:s] + (-1 if 0 not in shape[s : e + 1] else 0,) + shape[e + 1 :])


def unflatten(x, dim, sizes):
    d = _dim(dim, x._data.ndim, "unflatten")
    shape = x._data.shape
    return reshape(x, shape[:d] + tuple(sizes) + shape[d + 1 :])


def squeeze(x, dim=None):
    shape = x._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_dim(d, x._data.ndim, "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(x, new)


def unsqueeze(x, dim):
    d = _dim(dim, x._data.ndim + 1, "unsqueeze")
    shape = x._data.shape
    return reshape(x, shape[:d] + (1,) + shape[d:])


def transpose(x, dim0, dim1):
    nd = x._data.ndim
    if nd == 0:
        return x
    dims = list(range(nd))
    a, b = _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, dims=tuple(dims))


def permute(x, dims):
    nd = x._data.ndim
    dims = tuple(_dim(d, nd, "permute") for d in dims)
    if sorted(dims) != list(range(nd)):
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match "
            f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not "
            f"equal to len(dims) = {len(dims)}" if len(dims) != nd else f"permute(): dims {dims} repeat a dimension"
        )
    return Permute.apply(x, dims=dims)


def expand(x, sizes):
    shape = x._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    target = []
    for i, s in enumerate(sizes):
        old = shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = old
        elif old is not None and old != 1 and old != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        target.append(s)
    return Expand.apply(x, shape=tuple(target))


def broadcast_to(x, shape):
    return expand(x, tuple(shape))


def repeat(x, sizes):
    if len(sizes) < x._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(x, reps=tuple(sizes))


def _common_dtype(tensors):
    """PyTorch's result dtype for cat/stack: the highest category (bool < int < float) wins,
    so int64 with float32 gives float32 (NumPy would say float64)."""
    from .arithmetic import _CATEGORY

    target = tensors[0]._data.dtype
    for t in tensors[1:]:
        d = t._data.dtype
        ct, cd = _CATEGORY[target.kind], _CATEGORY[d.kind]
        target = target if ct > cd else d if cd > ct else xp.promote_types(target, d)
    return target


def _tensors(seq, op):
    seq = list(seq)
    if not seq:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    return [t if isinstance(t, Tensor) else Tensor._make(xp.asarray(t), None) for t in seq]


def cat(tensors, dim=0):
    from .arithmetic import _cast

    tensors = [t for t in _tensors(tensors, "cat") if not (t._data.ndim == 1 and t._data.size == 0)] or _tensors(tensors, "cat")[:1]
    nd = tensors[0]._data.ndim
    axis = _dim(dim, nd, "cat")
    for i, t in enumerate(tensors):
        if t._data.ndim != nd or any(
            a != b for j, (a, b) in enumerate(zip(t._data.shape, tensors[0]._data.shape)) if j != axis
        ):
            raise RuntimeError(
                f"cat(): Sizes of tensors must match except in dimension {axis}. Expected "
                f"{list(tensors[0]._data.shape)} but got {list(t._data.shape)} for tensor number {i} in the list."
            )
    target = _common_dtype(tensors)
    return Cat.apply(*[_cast(t, target) for t in tensors], axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    from .arithmetic import _cast

    tensors = _tensors(tensors, "stack")
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    axis = _dim(dim, len(first) + 1, "stack")
    target = _common_dtype(tensors)
    return Stack.apply(*[_cast(t, target) for t in tensors], axis=axis)


def _narrow(x, axis, start, stop):
    index = (slice(None),) * axis + (slice(start, stop),)
    return Index.apply(x, index=index)


def split(x, split_size_or_sections, dim=0):
    axis = _dim(dim, x._data.ndim, "split")
    n = x._data.shape[axis]
    if isinstance(split_size_or_sections, builtins.int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        bounds = list(range(0, n, step)) + [n]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {axis}), but got split_sizes={sizes}"
            )
        bounds = [0] + list(xp.cumsum(sizes))
    return tuple(_narrow(x, axis, builtins.int(a), builtins.int(b)) for a, b in zip(bounds[:-1], bounds[1:]))


def chunk(x, chunks, dim=0):
    axis = _dim(dim, x._data.ndim, "chunk")
    n = x._data.shape[axis]
    step = max(-(-n // chunks), 1)
    return split(x, step, axis)


def unbind(x, dim=0):
    axis = _dim(dim, x._data.ndim, "unbind")
    return tuple(
        Index.apply(x, index=(slice(None),) * axis + (i,)) for i in range(x._data.shape[axis])
    )


def _index_node(index):
    """PyTorch's node name for ``x[index]``: ``IndexBackward0`` for advanced indexing, else
    the last step it takes (``x[0, 1:]`` selects, then slices: ``SliceBackward0``)."""
    if isinstance(index, slice):  # x[:] slices (PyTorch's x[(slice(None),)] is an alias)
        return "SliceBackward0"
    name = "AliasBackward0"
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, (xp.ndarray, list, builtins.bool, xp.bool_)):
            return "IndexBackward0"
        if isinstance(part, (builtins.int, xp.integer)):
            name = "SelectBackward0"
        elif part is None:
            name = "UnsqueezeBackward0"
        elif isinstance(part, slice) and part != slice(None):
            name = "SliceBackward0"
    return name


def getitem(x, index):
    index = _clean_index(index)
    if len(index) == 1:
        index = index[0]
    try:
        return Index.apply(x, index=index)
    except RuntimeError as e:
        raise IndexError(f"cannot index a tensor of shape {tuple(x._data.shape)} with {_describe(index)}: {e}") from None


def _describe(index):
    if isinstance(index, tuple):
        return "[" + ", ".join(_describe(i) for i in index) + "]"
    if isinstance(index, xp.ndarray):
        return f"array of shape {index.shape}"
    return repr(index)


def gather(x, dim, index):
    axis = _dim(dim, x._data.ndim, "gather")
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim != x._data.ndim:
        raise RuntimeError("gather(): Index tensor must have the same number of dimensions as input tensor")
    n = x._data.shape[axis] if x._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # no wrapping of negatives, as torch on CPU
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {n}")
    return Gather.apply(x, idx, axis=axis)


def index_select(x, dim, index):
    axis = _dim(dim, x._data.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    n = x._data.shape[axis] if x._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # torch does not wrap negatives here
        raise IndexError(f"index out of range in self (index_select: index {idx.min() if idx.min() < 0 else idx.max()}, dimension {axis} of size {n})")
    return getitem(x, (slice(None),) * axis + (idx.reshape(-1),))


def take_along_dim(x, indices, dim):
    # unlike gather, torch's take_along_dim (CPU) wraps every index modulo the size:
    # -1 is the last element, and so are -4 and 5 along a dimension of size 3
    idx = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    axis = _dim(dim, x._data.ndim, "take_along_dim")
    n = x._data.shape[axis] if x._data.ndim else 1
    if idx.size and n and (idx.min() < 0 or idx.max() >= n):
        idx = idx % n
    return gather(x, dim, idx)


def cast(x, np_dtype):
    if xp.dtype(np_dtype).kind != "f":  # no gradient flows into integers or bools
        return Tensor._make(x._data.astype(np_dtype), None)
    return Cast.apply(x, dtype=np_dtype)


def clone(x, memory_format=_memory_format.preserve_format):
    return Clone.apply(x, memory_format=memory_format)


def roll(x, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(flatten(x), shifts=shifts, axes=0), x._data.shape)
    return Roll.apply(x, shifts=tuple(shifts) if isinstance(shifts, (list, tuple)) else shifts,
                      axes=tuple(dims) if isinstance(dims, (list, tuple)) else dims)


def flip(x, dims):
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    return Flip.apply(x, axes=tuple(_dim(d, x._data.ndim, "flip") for d in dims))


def _descending_key(a):
    """Values whose ascending order is ``a``'s descending order (uint8 and bool cannot just be
    negated: -1 wraps around to 255)."""
    if a.dtype.kind in "ub":
        a = a.astype(xp.int64)
    return -a


def sort(x, dim=-1, descending=False, stable=False):
    """Always stable (``stable=`` is accepted as in PyTorch: equal values keep their order)."""
    axis = _dim(dim, x._data.ndim, "sort")
    key = _descending_key(x._data) if descending else x._data
    order = _memory_format.dense_order(key)  # sorted in x's memory order, as torch's are
    if order is None:
        idx = xp.argsort(key, axis=axis, kind="stable")
    else:
        idx = xp.argsort(key.transpose(order), axis=order.index(axis), kind="stable")
        idx = idx.transpose(xp.argsort(order))
    return ReturnTypes(gather(x, axis, idx), Tensor._make(idx.astype(xp.int64), None))


def topk(x, k, dim=-1, largest=True):
    axis = _dim(dim, x._data.ndim, "topk")
    if k > x._data.shape[axis]:
        raise RuntimeError(f"topk: k ({k}) is larger than the size of dimension {axis} ({x._data.shape[axis]})")
    order = xp.argsort(_descending_key(x._data) if largest else x._data, axis=axis, kind="stable")
    idx = xp.take(order, xp.arange(k), axis=axis)
    return ReturnTypes(gather(x, axis, idx), Tensor._make(idx.astype(xp.int64), None))


def unique(x, return_counts=False):
    values, counts = xp.unique(x._data, return_counts=True)
    out = Tensor._make(values, None)
    return (out, Tensor._make(counts.astype(xp.int64), None)) if return_counts else out


def broadcast_shapes(*shapes):
    return Size(xp.broadcast_shapes(*shapes))
