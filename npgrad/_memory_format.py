"""Memory formats (PyTorch's ``torch.contiguous_format``, ``torch.channels_last``, ...): the
order in which a tensor's elements lie in memory, independent of its shape.

A 4-d image batch is shaped ``(N, C, H, W)`` either way. In the default ``contiguous_format``
its memory runs W fastest, then H, C, N; in ``channels_last`` it runs C fastest (the memory
of an ``(N, H, W, C)`` array). NumPy says the same with strides, so each format here is an
order of axes: ``a.transpose(order)`` is C-contiguous exactly when ``a`` is in that format.
As in PyTorch, the spatial ops (convolution, pooling) keep their input's format.
"""
from ._backend import xp


class memory_format:
    """One memory format; compare with ``is`` or ``==``."""

    def __init__(self, name, order=None):
        self.name, self._order = name, order

    def __repr__(self):
        return f"npgrad.{self.name}"

    def axes(self, ndim, where):
        """The axes from outermost to innermost in memory, for an ``ndim``-d tensor."""
        if self._order is None:
            return tuple(range(ndim))
        if ndim != len(self._order):
            raise RuntimeError(f"{where}: required rank {len(self._order)} tensor to use "
                               f"{self.name} format, got a {ndim}-d tensor")
        return self._order


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))
preserve_format = memory_format("preserve_format")


def check(fmt, where):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{where}: memory_format must be an npgrad memory format such as "
                        f"npgrad.channels_last, got {fmt!r}")
    return fmt


def is_in(a, fmt, where="is_contiguous"):
    """Is the array ``a`` laid out in memory format ``fmt`` (densely, no gaps)?"""
    if fmt is None or fmt is contiguous_format:
        return bool(a.flags.c_contiguous)
    if check(fmt, where) is preserve_format:
        raise RuntimeError(f"{where}: preserve_format is not supported here")
    if a.ndim != len(fmt._order):  # as PyTorch: a tensor of another rank is not in it
        return False
    return bool(a.transpose(fmt._order).flags.c_contiguous)


def copy_in(a, fmt, where="clone"):
    """A copy of ``a`` in memory format ``fmt`` (``preserve_format``: ``a``'s own order when
    ``a`` is dense, as NumPy's ``order='K'``)."""
    if fmt is None or fmt is contiguous_format:
        return a.copy()
    if check(fmt, where) is preserve_format:
        return a.copy(order="K")
    order = fmt.axes(a.ndim, where)
    return xp.ascontiguousarray(a.transpose(order)).transpose(xp.argsort(order))


def for_module(a, fmt):
    """``nn.Module.to(memory_format=fmt)`` on one parameter or buffer: as PyTorch, arrays of
    the format's rank are laid out in it, the others kept."""
    if fmt is preserve_format or (fmt._order is not None and a.ndim != len(fmt._order)):
        return a
    return a if is_in(a, fmt) else copy_in(a, fmt)


def strides(a):
    """PyTorch's ``Tensor.stride()``: the step in *elements* along each axis. A contiguous
    array's steps are computed from its shape, as PyTorch's are: NumPy may give a size-1
    axis any step."""
    if not a.flags.c_contiguous:
        return tuple(s // a.itemsize for s in a.strides)
    steps, step = [], 1
    for size in reversed(a.shape):
        steps.append(step)
        step *= max(size, 1)
    return tuple(reversed(steps))


def sorted_axes(ndim, swap):
    """The axes outermost first, as PyTorch orders them for a new dense result: a stable
    insertion sort, innermost first, where ``swap(d0, d1)`` says 1 when axis ``d0`` (now the
    inner of the two) belongs further out than ``d1``, -1 when not, 0 when it cannot tell
    (the axis then stays where it is)."""
    perm = list(range(ndim - 1, -1, -1))  # innermost first
    for i in range(1, ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm[::-1]


def dense_order(a):
    """The axes from outermost to innermost of the dense array PyTorch's ``preserve_format``
    makes for ``a`` (``zeros_like`` of a transposed tensor is transposed), or None for plain
    C order. As torch's ``infer_dense_strides``: a stable insertion sort of the axes by
    stride, innermost first, where a stride-0 (expanded) axis stays where it is."""
    if a.flags.c_contiguous or a.ndim < 2:
        return None
    strides, sizes = a.strides, a.shape

    def swap(d0, d1):  # 1: d0 (now inner of the two) belongs further out than d1
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1
        return 1 if sizes[d0] > sizes[d1] else 0

    order = tuple(sorted_axes(a.ndim, swap))
    return None if order == tuple(range(a.ndim)) else order


def fresh(a):
    """``a`` C-contiguous, copied only when it is not: for an op whose PyTorch twin returns a
    new contiguous tensor where NumPy's result follows a transposed input's strides
    (reductions, softmax, cumsum, ...). Never for a view: that must stay a view."""
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)
