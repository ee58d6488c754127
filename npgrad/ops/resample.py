"""Resampling: ``interpolate`` (nearest, nearest-exact, (bi/tri)linear, bicubic, area) and
``pixel_shuffle`` / ``pixel_unshuffle``; forward beside backward.

Interpolation, one axis at a time
---------------------------------
Every mode here is *separable*: bilinear is linear along H, then linear along W. Along one
axis each output position ``o`` reads a few input positions with fixed weights: one with
weight 1 (nearest), two with ``1 - t[o]`` and ``t[o]`` (linear), four (cubic). So
``Resample1d`` does one axis with a gather (``take``) per tap, and the N-d modes apply it
per spatial axis.

Its backward is the transpose of that map: each input position collects the (weighted)
gradient of the outputs that read it, which form one run because source positions never
decrease: a loop over the position within the runs (about the scale factor), each step
one ``take``, sums them without a scatter (``np.add.at``) or a dense ``(out, in)`` matrix.

Source positions follow PyTorch's kernels exactly, including their float arithmetic:
nearest uses ``floor(o * scale)`` computed in float32 (``scale = in / out``, or
``1 / scale_factor`` when given; PyTorch's 2-d kernel alone short-cuts equal and doubled
sizes to the identity and ``o // 2``, whatever the scale factor); linear uses
``(o + 0.5) * scale - 0.5`` clamped at 0, or ``o * (in - 1) / (out - 1)`` with
``align_corners=True``, in the input's precision; cubic the same, unclamped, with Keys'
weights (``A = -0.75``) and the four taps clamped to the edge.
"""
import math

from .. import _memory_format
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .spatial import shape_of


class Resample1d(Op):
    """Along ``axis``: ``out[o] = sum_k weight[k, o] * x[index[k, o]]`` (indexing that axis)
    over the ``k`` taps of the mode: 1 for nearest (``weight`` None), 2 for linear, 4 for
    cubic."""

    def forward(self, x, axis, index, weight=None):
        self.axis, self.size, self.map = axis, x.shape[axis], (index, weight)
        out = _take(x, index[0], axis)
        if weight is None:
            return out
        shape = [1] * x.ndim
        shape[axis] = index.shape[1]
        out *= weight[0].reshape(shape)
        for k in range(1, len(index)):
            out += xp.take(x, index[k], axis=axis) * weight[k].reshape(shape)
        return out

    def backward(self, grad):
        index, weight = self.map
        if weight is None:
            return (_sum_into(grad, index[0], self.size, self.axis),)
        shape = [1] * grad.ndim
        shape[self.axis] = index.shape[1]
        gx = _sum_into(grad * weight[0].reshape(shape), index[0], self.size, self.axis)
        for k in range(1, len(index)):
            gx += _sum_into(grad * weight[k].reshape(shape), index[k], self.size, self.axis)
        return (gx,)


def _take(x, index, axis):
    """``xp.take`` along ``axis``; a channels-last input gives a channels-last output, as
    torch's interpolate does (the take runs on the (N, H, W, C) view: no extra copy)."""
    if (x.ndim == 4 and not x.flags.c_contiguous
            and _memory_format.is_in(x, _memory_format.channels_last)):
        nhwc = (0, 2, 3, 1)
        return xp.take(x.transpose(nhwc), index, axis=nhwc.index(axis)).transpose(0, 3, 1, 2)
    return xp.take(x, index, axis=axis)


def _sum_into(g, index, size, axis):
    """``out[..., i, ...] = sum of g[..., o, ...] over the o with index[o] == i`` (the
    transpose of a gather). Source positions never decrease along the output, so the outputs
    of input position ``i`` are one run ``start[i] : start[i] + count[i]``, a few long (about
    the scale factor). The sum is a short loop over the position ``k`` within the runs: each
    step gathers ``g`` at ``start + k`` for every input position at once (a ``take``), zeroed
    where the run is shorter than ``k + 1``."""
    everyone = xp.arange(size)
    start = xp.searchsorted(index, everyone, "left")
    count = xp.searchsorted(index, everyone, "right") - start
    shape = [1] * g.ndim
    shape[axis] = size
    out = None
    for k in range(int(count.max())):
        part = xp.take(g, xp.minimum(start + k, len(index) - 1), axis=axis)
        if (count <= k).any():
            part *= (count > k).reshape(shape)
        out = part if out is None else xp.add(out, part, out=out)
    return out


def _nearest_source(n_in, n_out, scale_factor, exact):
    """Input position per output position (PyTorch's ``nearest_idx``, float32 arithmetic)."""
    f32 = xp.float32
    scale = f32(1.0 / scale_factor) if scale_factor else f32(n_in) / f32(n_out)
    pos = xp.arange(n_out, dtype=f32)
    if exact:
        pos = pos + f32(0.5)
    src = xp.floor(pos * scale).astype(xp.int64)
    return xp.minimum(src, n_in - 1)


def _source_position(n_in, n_out, scale_factor, align_corners, dtype, cubic=False):
    """Where output position ``o`` reads the input, as a real number (PyTorch's
    ``area_pixel_compute_source_index``, in the input's precision)."""
    if align_corners:
        scale = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        return xp.arange(n_out, dtype=dtype) * scale
    scale = (dtype.type(1.0 / scale_factor) if scale_factor
             else dtype.type(n_in) / dtype.type(n_out))
    src = (xp.arange(n_out, dtype=dtype) + dtype.type(0.5)) * scale - dtype.type(0.5)
    return src if cubic else xp.maximum(src, dtype.type(0))


def _linear_source(n_in, n_out, scale_factor, align_corners, dtype):
    """The two input positions per output position, and their weights ``1 - t``, ``t``."""
    src = _source_position(n_in, n_out, scale_factor, align_corners, dtype)
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    t = xp.clip(src - i0, 0, 1).astype(dtype)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    return xp.stack([i0, i1]), xp.stack([1 - t, t])


def _cubic_source(n_in, n_out, scale_factor, align_corners, dtype):
    """The four input positions around each source position (clamped to the edge) and
    Keys' cubic convolution weights with ``A = -0.75``, as PyTorch's bicubic."""
    src = _source_position(n_in, n_out, scale_factor, align_corners, dtype, cubic=True)
    floor = xp.floor(src)
    t = (src - floor).astype(dtype)
    a = dtype.type(-0.75)

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    one = dtype.type(1)
    weight = xp.stack([far(t + one), near(t), near(one - t), far(2 * one - t)])
    index = xp.clip(floor.astype(xp.int64) + xp.arange(-1, 3)[:, None], 0, n_in - 1)
    return index, weight


_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic", "area")


def _output_size(input, size, scale_factor, recompute_scale_factor, dims):
    """The output's spatial size, and the per-axis scale factors the kernels should use."""
    spatial = list(shape_of(input)[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dims
        if len(sizes) != dims:
            raise ValueError(f"interpolate: input and output must have the same number of "
                             f"spatial dimensions, but got input with spatial dimensions of "
                             f"{spatial} and output size of {size}")
        return [int(s) for s in sizes], [None] * dims
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    factors = (list(scale_factor) if isinstance(scale_factor, (list, tuple))
               else [scale_factor] * dims)
    if len(factors) != dims:
        raise ValueError(f"interpolate: input and scale_factor must have the same number of "
                         f"spatial dimensions, but got input with spatial dimensions of "
                         f"{spatial} and scale_factor of shape {scale_factor}")
    sizes = [math.floor(n * float(f)) for n, f in zip(spatial, factors)]
    return sizes, ([None] * dims if recompute_scale_factor else [float(f) for f in factors])


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """PyTorch's ``F.interpolate`` over (N, C, L), (N, C, H, W) or (N, C, D, H, W) input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected an npgrad Tensor, got {type(input).__name__}")
    ndim = input._data.ndim
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (supported: "
                                  f"{', '.join(MODES)})")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if ndim not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {ndim}D) for the modes: nearest | linear | bilinear | "
                                  f"trilinear | area | nearest-exact (got {mode})")
    if mode in _LINEAR and _LINEAR[mode] != ndim:
        need = {3: "linear", 4: "bilinear", 5: "trilinear"}[ndim]
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {_LINEAR[mode]}D "
                                  f"input (use mode={need!r} for {ndim}D input)")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"interpolate: expected a floating point input, got {input.dtype}")
    dims = ndim - 2
    sizes, factors = _output_size(input, size, scale_factor, recompute_scale_factor, dims)
    if min(sizes) < 1:
        raise RuntimeError(f"interpolate: input of shape {shape_of(input)} would give an "
                           f"output of spatial size {sizes}; it must be positive")
    if min(shape_of(input)[2:]) < 1:
        raise RuntimeError(f"interpolate: input of shape {shape_of(input)} is empty")
    if mode == "area":
        from .pool import adaptive_avg_pool2d
        from .pool1d import adaptive_avg_pool1d
        if ndim == 5:
            raise NotImplementedError("interpolate: mode 'area' on 5-D input is not supported")
        return (adaptive_avg_pool1d if ndim == 3 else adaptive_avg_pool2d)(input, sizes)
    out = input
    for d in range(dims):
        axis, n_in, n_out = d + 2, input._data.shape[d + 2], sizes[d]
        if n_in == n_out and ((mode == "nearest" and ndim == 4) or align_corners or
                              factors[d] in (None, 1.0)):
            continue  # the identity along this axis
        if mode.startswith("nearest"):
            if mode == "nearest" and ndim == 4 and n_out == 2 * n_in:
                src = xp.arange(n_out) // 2  # PyTorch's 2-d kernel takes this shortcut
            else:
                src = _nearest_source(n_in, n_out, factors[d], mode == "nearest-exact")
            out = Resample1d.apply(out, axis, src[None])
        else:
            source = _cubic_source if mode == "bicubic" else _linear_source
            index, weight = source(n_in, n_out, factors[d], align_corners, input._data.dtype)
            out = Resample1d.apply(out, axis, index, weight)
    return out if out is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------- pixel shuffle
def _check_shuffle(where, input, factor, name):
    if not isinstance(input, Tensor) or input._data.ndim < 3:
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: expected an input with at least 3 dims (*, C, H, W), "
                           f"got {got}")
    if int(factor) < 1:
        raise RuntimeError(f"{where}: {name} must be greater than 0, but got {factor}")
    return int(factor)


def pixel_shuffle(input, upscale_factor):
    """``(*, C * r * r, H, W) -> (*, C, H * r, W * r)``: each group of ``r * r`` channels
    becomes an ``r x r`` block of pixels (sub-pixel convolution, Shi et al. 2016)."""
    r = _check_shuffle("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *batch, c, h, w = shape_of(input)
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of ``pixel_shuffle``: ``(*, C, H * r, W * r) -> (*, C * r * r, H, W)``."""
    r = _check_shuffle("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *batch, c, h, w = shape_of(input)
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} "
                           f"are not both divisible by {r}")
    k = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return x.reshape(*batch, c * r * r, h // r, w // r)
