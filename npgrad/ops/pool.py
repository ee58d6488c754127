"""2-d pooling (NCHW): max, average and adaptive average; forward beside backward.

The loop over kernel taps
-------------------------
A pooling window of ``kh x kw`` has ``kh*kw`` taps. Tap ``(i, j)`` of *every* window at once
is a strided view of the (padded) input, ``xpad[:, i::stride, j::stride]`` (``tap_slices``),
lined up element by element with the output. So pooling is a short loop over taps (4 for
2x2) of whole-array NumPy ops, never a loop over pixels, and the backward is the same loop
sending the gradient back through the same views. For the usual non-overlapping case
(kernel == stride) the taps do not overlap, so backward *writes* each tap instead of adding.

Arrays are handled as channels-last ``(N, H, W, C)`` *views* (``nhwc``), whatever the
memory under them; the output is allocated in the input's memory format (``empty_nhwc``), so
NumPy walks input and output in the same order and, as in PyTorch, an NCHW input gives an
NCHW-contiguous output.
"""
from .. import _fast
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .spatial import (
    channels_last, check_positive, check_spatial_input, empty_nhwc, like_layout, nchw, nhwc,
    out_size, pad_nhwc, pair, tap_slices, to_layout,
)


def _padding_for(size, kernel, stride, pad, dilation, n_out):
    """(before, after) padding so that ``n_out`` windows fit (ceil_mode may need extra after)."""
    needed = (n_out - 1) * stride + dilation * (kernel - 1) + 1
    return pad, max(0, needed - size - pad)


def _taps(kernel):
    kh, kw = kernel
    return [(t, *divmod(t, kw)) for t in range(kh * kw)]


def _disjoint(kernel, stride, dilation):
    """Do the windows tile the input without overlapping (so backward can write, not add)?"""
    return dilation == (1, 1) and stride[0] >= kernel[0] and stride[1] >= kernel[1]


def pool_geometry(h, w, kernel, stride, padding, dilation, ceil_mode):
    """Output size and the (top, bottom, left, right) padding that lets every window fit."""
    ho = out_size(h, kernel[0], stride[0], 2 * padding[0], dilation[0], ceil_mode)
    wo = out_size(w, kernel[1], stride[1], 2 * padding[1], dilation[1], ceil_mode)
    top, bottom = _padding_for(h, kernel[0], stride[0], padding[0], dilation[0], ho)
    left, right = _padding_for(w, kernel[1], stride[1], padding[1], dilation[1], wo)
    return (ho, wo), (top, bottom, left, right)


# --------------------------------------------------------------------------- max
class MaxPool2d(Op):
    """``out[n, c, h, w]`` = the largest input in the window; the gradient goes to that one
    element (the first one, in row-major window order, when several tie, as in PyTorch).

    Images are independent: ``_forward_images``/``_backward_images`` work on a range of
    them, so the fast twin (``npgrad/_fast/pool.py``) can deal the batch out to threads.
    """

    def forward(self, x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
        n, c, h, w = x.shape
        (ho, wo), pads = pool_geometry(h, w, kernel, stride, padding, dilation, ceil_mode)
        lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = pad_nhwc(nhwc(x), pads, fill=lowest)
        out = empty_nhwc((n, ho, wo, c), x.dtype, like=xpad)
        # ``arg``: which tap holds the maximum (uint8 for up to 255 taps)
        arg = empty_nhwc((n, ho, wo, c), xp.min_scalar_type(kernel[0] * kernel[1]), like=xpad)
        self.saved = (arg,)
        self.geometry = (x.shape, pads, kernel, stride, dilation, (ho, wo))
        self._forward_images(xpad, out, [(0, n)])
        return nchw(out)

    def _forward_images(self, xpad, out, ranges):
        (arg,) = self.saved
        _, _, kernel, stride, dilation, _ = self.geometry
        for a, b in ranges:
            _max_over_taps(xpad[a:b], out[a:b], arg[a:b], kernel, stride, dilation)

    def backward(self, grad):
        (n, c, h, w), pads, kernel, stride, dilation, out_hw = self.geometry
        (arg,) = self.saved
        g = like_layout(nhwc(grad), arg)  # same layout as ``arg``: 4 fast passes, not 4 gathers
        shape = (n, h + pads[0] + pads[1], w + pads[2] + pads[3], c)
        # windows that tile the whole input write every element below: no need to zero first
        tiled = _disjoint(kernel, stride, dilation) and stride == kernel and shape[1:3] == (
            out_hw[0] * kernel[0], out_hw[1] * kernel[1])
        gpad = empty_nhwc(shape, grad.dtype, like=arg, fill=None if tiled else 0)
        self._backward_images(g, gpad, [(0, n)])
        return (nchw(gpad[:, pads[0] : pads[0] + h, pads[2] : pads[2] + w]),)

    def _backward_images(self, g, gpad, ranges):
        """Each tap's gradient goes where that tap held the maximum."""
        (arg,) = self.saved
        _, _, kernel, stride, dilation, out_hw = self.geometry
        disjoint = _disjoint(kernel, stride, dilation)
        for a, b in ranges:
            for t, i, j in _taps(kernel):
                rows, cols = tap_slices(i, j, stride, dilation, out_hw)
                if disjoint:  # each input element is in one window: write, don't add
                    xp.multiply(arg[a:b] == t, g[a:b], out=gpad[a:b, rows, cols])
                else:
                    gpad[a:b, rows, cols] += xp.where(arg[a:b] == t, g[a:b], 0)


def _max_over_taps(xpad, out, arg, kernel, stride, dilation):
    """``out`` <- the maximum over each window's taps, ``arg`` <- the first tap holding it."""
    out_hw = out.shape[1:3]
    for t, i, j in _taps(kernel):
        rows, cols = tap_slices(i, j, stride, dilation, out_hw)
        tap = xpad[:, rows, cols]
        if t == 0:
            out[...] = tap
            arg[...] = 0
            continue
        better = tap > out  # strictly: on a tie the earlier tap keeps it
        # arg = where(better, t, arg), as arithmetic: a masked write with a random mask is
        # branchy (a 2x2 pool forward of 64x64x24x24, one core: 22 ms with copyto(where=),
        # 6 ms like this). arg < t, so t - arg never wraps around.
        step = xp.subtract(t, arg, dtype=arg.dtype)
        step *= better
        arg += step
        xp.maximum(out, tap, out=out)


def max_pool_indices(x, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's ``return_indices``: the flat index ``h * W + w`` of each maximum in its
    ``(H, W)`` plane (int64, NCHW). Computed outside the graph."""
    fn = MaxPool2d()
    fn.forward(x, kernel, stride, padding, dilation, ceil_mode)
    (arg,) = fn.saved
    (n, c, h, w), pads, _, _, _, (ho, wo) = fn.geometry
    i, j = xp.divmod(arg.astype(xp.int64), kernel[1])
    rows = xp.arange(ho).reshape(1, ho, 1, 1) * stride[0] + i * dilation[0] - pads[0]
    cols = xp.arange(wo).reshape(1, 1, wo, 1) * stride[1] + j * dilation[1] - pads[2]
    return nchw(rows * w + cols)


# --------------------------------------------------------------------------- average
def _window_counts(size, kernel, stride, pad, n_out):
    """Per output position along one axis: the window length counting the padding
    (``count_include_pad=True``) and counting only real input elements."""
    start = xp.arange(n_out) * stride - pad
    end = xp.minimum(start + kernel, size + pad)
    with_pad = end - start
    real = xp.minimum(end, size) - xp.maximum(start, 0)
    return with_pad, real


class AvgPool2d(Op):
    """``out`` = the sum of the window / its size (see ``count_include_pad``,
    ``divisor_override``); backward spreads ``grad / size`` evenly over the window."""

    def forward(self, x, kernel, stride, padding=(0, 0), ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        n, c, h, w = x.shape
        one = (1, 1)
        (ho, wo), pads = pool_geometry(h, w, kernel, stride, padding, one, ceil_mode)
        xpad = pad_nhwc(nhwc(x), pads)
        out = None
        for _, i, j in _taps(kernel):
            rows, cols = tap_slices(i, j, stride, one, (ho, wo))
            tap = xpad[:, rows, cols]
            if out is None:
                out = tap.copy(order="K")  # in the input's memory layout
            else:
                out += tap
        self.scale = self._scale(h, w, kernel, stride, padding, (ho, wo), count_include_pad,
                                 divisor_override, x.dtype)
        out *= self.scale
        self.geometry = (x.shape, pads, kernel, stride, (ho, wo))
        return nchw(out)

    def backward(self, grad):
        (n, c, h, w), pads, kernel, stride, out_hw = self.geometry
        share = nhwc(grad) * self.scale  # what each element of a window receives
        gpad = empty_nhwc((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), grad.dtype,
                          like=share, fill=0)
        disjoint = _disjoint(kernel, stride, (1, 1))
        for _, i, j in _taps(kernel):
            rows, cols = tap_slices(i, j, stride, (1, 1), out_hw)
            if disjoint:
                gpad[:, rows, cols] = share
            else:
                gpad[:, rows, cols] += share
        return (nchw(gpad[:, pads[0] : pads[0] + h, pads[2] : pads[2] + w]),)

    @staticmethod
    def _scale(h, w, kernel, stride, padding, out_hw, count_include_pad, divisor_override,
               dtype):
        """1 / divisor per output position, shaped ``(Ho, Wo, 1)`` to broadcast over NHWC."""
        if divisor_override:
            return xp.asarray(1.0 / divisor_override, dtype)
        pad_h, real_h = _window_counts(h, kernel[0], stride[0], padding[0], out_hw[0])
        pad_w, real_w = _window_counts(w, kernel[1], stride[1], padding[1], out_hw[1])
        size_h, size_w = (pad_h, pad_w) if count_include_pad else (real_h, real_w)
        return (1.0 / xp.outer(size_h, size_w)).astype(dtype)[:, :, None]


# --------------------------------------------------------------------------- adaptive
def adaptive_matrix(size, n_out, dtype):
    """The ``(n_out, size)`` averaging matrix of adaptive pooling along one axis.

    Bin ``k`` covers ``[floor(k * size / n_out), ceil((k + 1) * size / n_out))`` (PyTorch's
    bins; they overlap when ``size`` is not a multiple of ``n_out``); its row holds
    ``1 / bin length`` there and 0 elsewhere.
    """
    k = xp.arange(n_out)
    start = (k * size) // n_out
    end = -((-(k + 1) * size) // n_out)
    pos = xp.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Op):
    """Average pooling to a fixed output size: ``out[n, c] = A_h @ x[n, c] @ A_w.T`` with the
    averaging matrices of ``adaptive_matrix``; backward is ``A_h.T @ grad @ A_w``.
    Written as one ``einsum`` each way."""

    def forward(self, x, output_size):
        n, c, h, w = x.shape
        ho, wo = output_size
        self.a_h = adaptive_matrix(h, ho, x.dtype)
        self.a_w = adaptive_matrix(w, wo, x.dtype)
        # the output in the input's memory format, as PyTorch's
        out = xp.einsum("ih,nchw,jw->nijc", self.a_h, x, self.a_w, optimize=True)
        self.nhwc_memory = channels_last(x)
        return nchw(to_layout(out, self.nhwc_memory))

    def backward(self, grad):
        gx = xp.einsum("ih,ncij,jw->nhwc", self.a_h, grad, self.a_w, optimize=True)
        return (nchw(to_layout(gx, self.nhwc_memory)),)


# --------------------------------------------------------------------------- functional API
def _pool_args(where, input, kernel_size, stride, padding, dilation, ceil_mode, half_of):
    """Validate a pooling call; returns (batched 4-d input, kernel, stride, padding, dilation)."""
    check_spatial_input(where, input, what=where)
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    check_positive(where, kernel_size=kernel, stride=stride, dilation=dilation)
    for p, k, d in zip(padding, kernel, dilation):
        span = d * (k - 1) + 1 if half_of == "effective kernel" else k
        if p < 0 or p > span // 2:
            raise ValueError(f"{where}: padding should be at most half of {half_of} size, but "
                             f"got padding={padding}, kernel_size={kernel}, dilation={dilation}")
    shape = tuple(input._data.shape)
    (ho, wo), _ = pool_geometry(shape[-2], shape[-1], kernel, stride, padding, dilation,
                                ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(f"{where}: input of shape {shape} is too small for kernel_size="
                           f"{kernel} (with padding={padding}, dilation={dilation}): the output "
                           f"would be {ho}x{wo}")
    batched = input._data.ndim == 4
    return (input if batched else input.unsqueeze(0)), batched, kernel, stride, padding, dilation


def max_pool2d_checked(where, input, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode=False, return_indices=False):
    x, batched, kernel, stride, padding, dilation = _pool_args(
        where, input, kernel_size, stride, padding, dilation, ceil_mode, "effective kernel")
    op = _fast.compiled_op("MaxPool2d") or (_fast_pool.MaxPool2d if _fast.use_fast() else MaxPool2d)
    out = op.apply(x, kernel, stride, padding, dilation, ceil_mode)
    if not batched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = max_pool_indices(x._data, kernel, stride, padding, dilation, ceil_mode)
    idx = Tensor._make(idx if batched else idx[0], None)
    return out, idx


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """PyTorch's ``F.max_pool2d``: the maximum over each ``kernel_size`` window."""
    return max_pool2d_checked("max_pool2d", input, kernel_size, stride, padding, dilation,
                              ceil_mode, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d_checked(where, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    x, batched, kernel, stride, padding, _ = _pool_args(
        where, input, kernel_size, stride, padding, 1, ceil_mode, "kernel")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{where}: divisor must be not zero")
    out = AvgPool2d.apply(x, kernel, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)
    return out if batched else out.squeeze(0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """PyTorch's ``F.avg_pool2d``: the mean over each ``kernel_size`` window."""
    return avg_pool2d_checked("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override)


def adaptive_output_size(where, output_size, h, w):
    """``7 -> (7, 7)``; ``(None, 5) -> (h, 5)``: None keeps the input's size."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{where}: output_size must be an int or a pair, got {output_size!r}")
        size = (h if output_size[0] is None else int(output_size[0]),
                w if output_size[1] is None else int(output_size[1]))
    else:
        size = (int(output_size), int(output_size))
    if min(size) < 1:
        raise ValueError(f"{where}: output_size must be positive, got {output_size!r}")
    return size


def adaptive_avg_pool2d_checked(where, input, output_size):
    check_spatial_input(where, input, what=where)
    shape = tuple(input._data.shape)
    if shape[-2] < 1 or shape[-1] < 1:
        raise RuntimeError(f"{where}: input of shape {shape} has an empty spatial dimension")
    size = adaptive_output_size(where, output_size, shape[-2], shape[-1])
    batched = input._data.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = AdaptiveAvgPool2d.apply(x, size)
    return out if batched else out.squeeze(0)


def adaptive_avg_pool2d(input, output_size):
    """PyTorch's ``F.adaptive_avg_pool2d``: average pooling to a fixed ``output_size``."""
    return adaptive_avg_pool2d_checked("adaptive_avg_pool2d", input, output_size)


from .._fast import pool as _fast_pool  # noqa: E402  (it subclasses MaxPool2d above)
