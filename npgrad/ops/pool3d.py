"""3-d max and average pooling over (N, C, D, H, W), forward beside backward.

Each output voxel reads one ``kd x kh x kw`` window (spaced by ``dilation`` for max
pooling) of the input padded by ``padding`` on each side; in ``ceil_mode`` the last window
may run past the padded input, and that overhang is ignored (-inf for max, not counted for
average), as in PyTorch. ``sliding_window_view`` shows every window at once as a strided
view of the padded input (no copy), so forward is one reduction over it.

- max: the first maximum in window order wins (a NaN wins, as in PyTorch); ``indices`` are
  flat ``z * H * W + y * W + x`` positions in the unpadded input; backward adds the gradient
  onto the winners.
- average: the window sum over a divisor: the window's size within input plus padding
  (``count_include_pad=True``), its size within the input alone (``False``), or
  ``divisor_override``; backward spreads each gradient evenly over its window, a loop over
  the kernel's taps.
"""
import math

from numpy.lib.stride_tricks import sliding_window_view

from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .spatial import out_size

_ALL = (slice(None), slice(None))


def _geometry(shape, kernel, stride, padding, dilation, ceil_mode):
    """Output sizes, and the (before, after) padding per axis that makes every window fit:
    the declared padding, plus the ceil-mode overhang at the end."""
    sizes, pads = [], []
    for n, k, s, p, d in zip(shape, kernel, stride, padding, dilation):
        o = out_size(n, k, s, 2 * p, d, ceil_mode)
        need = (o - 1) * s + d * (k - 1) + 1 if o > 0 else 0
        sizes.append(o)
        pads.append((p, max(p, need - n - p)))
    return tuple(sizes), tuple(pads)


def _windows(xpad, kernel, stride, dilation, sizes):
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    view = sliding_window_view(xpad, spans, axis=(2, 3, 4))
    (sd, sh, sw), (dd, dh, dw) = stride, dilation
    view = view[:, :, ::sd, ::sh, ::sw, ::dd, ::dh, ::dw]
    return view[:, :, :sizes[0], :sizes[1], :sizes[2]]


def _tap_slice(tap, dilation, size, stride):
    return slice(tap * dilation, tap * dilation + (size - 1) * stride + 1, stride)


# ---------------------------------------------------------------- max pooling
def max_pool3d_indices(x, kernel, stride, padding, dilation, ceil_mode):
    """Where each window's maximum is: its flat ``z * H * W + y * W + x`` position in the
    unpadded ``(D, H, W)`` volume (int64). The first maximum in window order wins, and a NaN
    beats any number, as in PyTorch."""
    n, c, *shape = x.shape
    sizes, pads = _geometry(shape, kernel, stride, padding, dilation, ceil_mode)
    xpad = xp.pad(x, ((0, 0), (0, 0)) + pads, constant_values=-xp.inf)
    win = _windows(xpad, kernel, stride, dilation, sizes).reshape(n, c, *sizes, -1)
    arg = xp.argmax(win, axis=-1)
    taps = xp.unravel_index(arg, kernel)
    grids = xp.meshgrid(*[xp.arange(o) for o in sizes], indexing="ij")
    pos = [g * s + t * d - p for g, s, t, d, (p, _) in zip(grids, stride, taps, dilation, pads)]
    _, h, w = shape
    return ((pos[0] * h + pos[1]) * w + pos[2]).astype(xp.int64)


class MaxPool3d(Op):
    """The values at ``index`` (from ``max_pool3d_indices``): forward gathers them,
    backward adds each gradient onto its winner (windows overlap when stride < kernel, so
    one voxel may win several: add, don't write)."""

    def forward(self, x, index):
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        out = xp.take_along_axis(flat, index.reshape(n, c, -1), axis=-1).reshape(index.shape)
        self.saved = (index,)
        self.in_shape = x.shape
        return out

    def backward(self, grad):
        (index,) = self.saved
        n, c = self.in_shape[:2]
        gx = xp.zeros((n * c, math.prod(self.in_shape[2:])), grad.dtype)
        rows = xp.arange(n * c)[:, None]
        xp.add.at(gx, (rows, index.reshape(n * c, -1)), grad.reshape(n * c, -1))
        return (gx.reshape(self.in_shape),)


# ---------------------------------------------------------------- average pooling
def _counts(shape, kernel, stride, pads, declared, sizes, include_pad):
    """The divisor of each window: how many of its voxels lie in the input (and, with
    ``include_pad``, in the declared padding), never in the ceil-mode overhang."""
    inside = xp.zeros(tuple(n + a + b for n, (a, b) in zip(shape, pads)))
    region = tuple(slice(a - (p if include_pad else 0), a + n + (p if include_pad else 0))
                   for n, (a, _), p in zip(shape, pads, declared))
    inside[region] = 1
    view = sliding_window_view(inside, kernel)
    view = view[::stride[0], ::stride[1], ::stride[2]][:sizes[0], :sizes[1], :sizes[2]]
    return view.sum(axis=(-3, -2, -1))


class AvgPool3d(Op):
    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        n, c, *shape = x.shape
        ones = (1, 1, 1)
        sizes, pads = _geometry(shape, kernel, stride, padding, ones, ceil_mode)
        xpad = xp.pad(x, ((0, 0), (0, 0)) + pads)
        sums = _windows(xpad, kernel, stride, ones, sizes).sum(axis=(-3, -2, -1))
        if divisor_override:
            divisor = xp.asarray(float(divisor_override))
        else:
            divisor = _counts(shape, kernel, stride, pads, padding, sizes, count_include_pad)
        divisor = divisor.astype(x.dtype)
        self.divisor, self.geometry = divisor, (x.shape, pads, kernel, stride, sizes)
        return xp.ascontiguousarray(sums / divisor)

    def backward(self, grad):
        shape, pads, kernel, stride, sizes = self.geometry
        share = grad / self.divisor
        gpad = xp.zeros(shape[:2] + tuple(n + a + b for n, (a, b) in zip(shape[2:], pads)),
                        grad.dtype)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                for k in range(kernel[2]):
                    where = tuple(_tap_slice(t, 1, m, s)
                                  for t, m, s in zip((i, j, k), sizes, stride))
                    gpad[_ALL + where] += share
        inner = tuple(slice(a, a + n) for n, (a, _) in zip(shape[2:], pads))
        return (gpad[_ALL + inner],)


# --------------------------------------------------------------------------- functional API
def _triple(value, name, where):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * 3
        if len(value) != 3:
            raise RuntimeError(f"{where}: {name} must either be a single int, or a tuple of "
                               f"three ints")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _pool_args(where, input, kernel_size, stride, padding, dilation, ceil_mode):
    if not isinstance(input, Tensor) or input._data.ndim not in (4, 5) or any(
            s == 0 for s in input._data.shape[-4:]):
        got = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: non-empty 4D or 5D (batch mode) tensor expected for "
                           f"input, got {got}")
    kernel = _triple(kernel_size, "kernel_size", where)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else _triple(stride, "stride", where)
    padding, dilation = _triple(padding, "padding", where), _triple(dilation, "dilation", where)
    if min(kernel) <= 0:
        raise RuntimeError(f"{where}: kernel size should be greater than zero, but got "
                           f"{kernel}")
    if min(stride) <= 0:
        raise RuntimeError(f"{where}: stride should not be zero, got {stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"{where}: dilation should be greater than zero, got {dilation}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{where}: pad should be at most half of effective kernel "
                               f"size, but got pad={p}, kernel_size={k} and dilation={d}")
    batched = input._data.ndim == 5
    x = input if batched else input.unsqueeze(0)
    shape = x._data.shape[2:]
    sizes = [out_size(n, k, s, 2 * p, d, ceil_mode)
             for n, k, s, p, d in zip(shape, kernel, stride, padding, dilation)]
    if min(sizes) <= 0:
        raise RuntimeError(f"{where}: Given input size: ({'x'.join(map(str, x.shape[1:]))}). "
                           f"Calculated output size: ({x.shape[1]}x"
                           f"{'x'.join(map(str, sizes))}). Output size is too small")
    return x, batched, kernel, stride, padding, dilation


def max_pool3d_checked(where, input, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode=False, return_indices=False):
    x, batched, kernel, stride, padding, dilation = _pool_args(
        where, input, kernel_size, stride, padding, dilation, ceil_mode)
    index = max_pool3d_indices(x._data, kernel, stride, padding, dilation, ceil_mode)
    out = MaxPool3d.apply(x, index)
    if not batched:
        out, index = out.squeeze(0), index[0]
    return (out, Tensor._make(index, None)) if return_indices else out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """PyTorch's ``F.max_pool3d``: the maximum over each ``kernel_size`` window of
    (N, C, D, H, W) (or unbatched (C, D, H, W)) input."""
    return max_pool3d_checked("max_pool3d", input, kernel_size, stride, padding, dilation,
                              ceil_mode, return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d_checked(where, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{where}: divisor must be not zero")
    x, batched, kernel, stride, padding, _ = _pool_args(
        where, input, kernel_size, stride, padding, 1, ceil_mode)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{where}: not implemented for {x.dtype} input; use a "
                           f"floating-point tensor")
    out = AvgPool3d.apply(x, kernel, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)
    return out if batched else out.squeeze(0)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """PyTorch's ``F.avg_pool3d``: the mean over each ``kernel_size`` window."""
    return avg_pool3d_checked("avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override)
