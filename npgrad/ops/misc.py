"""Assorted tensor functions: ``narrow``, ``lerp``, ``bincount``, ``histc``,
``repeat_interleave``, ``meshgrid``, ``Tensor.unfold``, ``cummax``/``cummin``."""
import builtins
import warnings

from .._backend import xp
from .._memory_format import fresh
from .._tensor import Tensor, _dim
from ..autograd.function import Op
from . import arithmetic, shape


def narrow(x, dim, start, length):
    """``length`` elements of ``x`` along ``dim`` from ``start`` (negative start counts
    from the end)."""
    axis = _dim(dim, x._data.ndim, "narrow")
    size = x._data.shape[axis]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start ({start}) out of range (expected to be in range of [{-size}, {size}])")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return shape.getitem(x, (slice(None),) * axis + (slice(start, start + length),))


# ---------------------------------------------------------------- lerp
class Lerp(Op):
    """start + weight * (end - start), computed as PyTorch does (from ``end`` when
    |weight| >= 0.5, which keeps lerp(a, b, 1) == b exactly)."""

    def forward(self, start, end, weight):
        self.saved = (start, end, weight)
        diff = end - start
        with xp.errstate(invalid="ignore"):
            return xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def backward(self, grad):
        start, end, weight = self.saved
        gs = grad * (1 - weight) if self.needs[0] else None
        ge = grad * weight if self.needs[1] else None
        gw = grad * (end - start) if self.needs[2] else None
        return gs, ge, gw


def lerp(start, end, weight):
    if not isinstance(weight, Tensor):
        weight = xp.asarray(weight, dtype=start._data.dtype)  # a number keeps start's dtype
    elif weight._data.dtype != start._data.dtype:
        raise RuntimeError(f"lerp: expected dtype {start.dtype} for `weight` but got dtype {weight.dtype}")
    if end._data.dtype != start._data.dtype:
        raise RuntimeError(f"lerp: expected dtype {start.dtype} for `end` but got dtype {end.dtype}")
    return Lerp.apply(start, end, weight)


# ---------------------------------------------------------------- counting
def bincount(x, weights=None, minlength=0):
    a = x._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got shape {tuple(a.shape)}, {x.dtype})")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0 (got {minlength})")
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=minlength).astype(xp.int64), None)
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input ({w.shape} vs {a.shape})")
    out_dtype = w.dtype if w.dtype.kind == "f" else xp.float64
    return Tensor._make(xp.bincount(a, w.astype(xp.float64), minlength=minlength).astype(out_dtype), None)


def histc(x, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when
    min == max); values outside are ignored, ``max`` itself goes into the last bin."""
    a = x._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating-point input, got {x.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min (got min={lo}, max={hi})")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    lo_t, hi_t = a.dtype.type(lo), a.dtype.type(hi)
    inside = a[(a >= lo_t) & (a <= hi_t)]
    pos = ((inside - lo_t) * a.dtype.type(bins) / (hi_t - lo_t)).astype(xp.int64)
    pos = xp.minimum(pos, bins - 1)
    return Tensor._make(xp.bincount(pos, minlength=bins).astype(a.dtype), None)


def repeat_interleave(x, repeats=None, dim=None, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times, in place order.
    ``repeat_interleave(repeats_tensor)`` alone gives arange's values repeated."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        r = x._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
        return Tensor._make(xp.repeat(xp.arange(r.size), r).astype(xp.int64), None)
    if dim is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = _dim(dim, x._data.ndim, "repeat_interleave")
    n = x._data.shape[axis] if x._data.ndim else 1
    r = repeats._data if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if r.ndim > 1:
        raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
    if r.ndim == 1 and r.size not in (1, n):
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim "
                           f"(got {r.size} repeats for size {n})")
    if r.size and r.min() < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    index = xp.repeat(xp.arange(n), r.reshape(-1) if r.ndim else int(r))
    if x._data.ndim == 0:
        x = x.reshape(1)
    return shape.getitem(x, (slice(None),) * axis + (index,))


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {tuple(t.shape)}")
    flat = [t.reshape(-1) for t in tensors]
    sizes = [t._data.shape[0] for t in flat]
    n = len(flat)
    swap = indexing == "xy" and n >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(flat):
        pos = i
        if swap and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = sizes[pos]
        out.append(t.reshape(view).expand(*sizes))
    return tuple(out)


# ---------------------------------------------------------------- sliding windows
class Unfold(Op):
    """Windows of ``size`` along ``axis`` every ``step``: that dim becomes the window count
    and a new last dim holds each window."""

    def forward(self, x, axis, size, step):
        self.axis, self.size, self.step, self.shape = axis, size, step, x.shape
        # a view, as PyTorch's (its windows overlap when step < size; writes reach x)
        windows = xp.lib.stride_tricks.sliding_window_view(
            x, size, axis=axis, writeable=x.flags.writeable)
        idx = [slice(None)] * windows.ndim
        idx[axis] = slice(None, None, step)
        return windows[tuple(idx)]

    def backward(self, grad):
        out = xp.zeros(self.shape, dtype=grad.dtype)
        count = grad.shape[self.axis]
        for k in range(self.size):  # element k of every window: distinct positions
            idx = [slice(None)] * len(self.shape)
            idx[self.axis] = slice(k, k + self.step * (count - 1) + 1, self.step)
            out[tuple(idx)] += grad[..., k]
        return (out,)


def unfold(x, dimension, size, step):
    if x._data.ndim == 0:
        return Unfold.apply(x.reshape(1), 0, size, step).reshape(size)
    axis = _dim(dimension, x._data.ndim, "unfold")
    n = x._data.shape[axis]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return Unfold.apply(x, axis, size, step)


# ---------------------------------------------------------------- cummax / cummin
def _running_extreme(x, axis, largest):
    """Running max (or min) along ``axis`` and where it was found: ties take the later
    index, and a NaN wins and stays, as in PyTorch."""
    moved = xp.moveaxis(x, axis, 0)
    vals = xp.empty_like(moved)
    idx = xp.zeros(moved.shape, dtype=xp.int64)
    if moved.shape[0]:
        best, where = moved[0].copy(), xp.zeros(moved.shape[1:], dtype=xp.int64)
        vals[0], idx[0] = best, where
        for i in range(1, moved.shape[0]):
            v = moved[i]
            take = (v >= best if largest else v <= best) | xp.isnan(v)
            take &= ~xp.isnan(best) | xp.isnan(v)
            best = xp.where(take, v, best)
            where = xp.where(take, i, where)
            vals[i], idx[i] = best, where
    return fresh(xp.moveaxis(vals, 0, axis)), fresh(xp.moveaxis(idx, 0, axis))


class _CumExtreme(Op):
    def forward(self, x, index, axis):
        self.axis, self.shape, self.saved = axis, x.shape, (index,)
        return fresh(xp.take_along_axis(x, index, axis=axis))

    def backward(self, grad):
        (index,) = self.saved
        out = xp.zeros(self.shape, dtype=grad.dtype)
        pos = list(xp.indices(index.shape, sparse=True))
        pos[self.axis] = index
        xp.add.at(out, tuple(pos), grad)
        return (out,)


def _cum_extreme(x, dim, largest, name):
    from collections import namedtuple

    axis = _dim(dim, x._data.ndim, name)
    src = x.reshape(1) if x._data.ndim == 0 else x
    _, index = _running_extreme(src._data, axis, largest)
    values = _CumExtreme.apply(src, index, axis)
    if x._data.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    return namedtuple(name, ["values", "indices"])(values, Tensor._make(index, None))


def cummax(x, dim):
    return _cum_extreme(x, dim, True, "cummax")


def cummin(x, dim):
    return _cum_extreme(x, dim, False, "cummin")
