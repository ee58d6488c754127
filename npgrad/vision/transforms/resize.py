"""``Resize``: torchvision's resize of tensor images, on the last two axes of any array.

What it matches (torchvision >= 0.17 on tensors, which calls ``torch.nn.functional.interpolate``):

- ``size`` an int: the shorter edge becomes ``size``, the longer ``int(size * long / short)``
  (then capped by ``max_size``); a pair ``(h, w)``: exactly that.
- ``bilinear`` with ``antialias=False``: ``interpolate(mode="bilinear", align_corners=False)``.
- ``bilinear`` with ``antialias=True`` (the default): ``interpolate(..., antialias=True)``, the
  PIL-style triangle filter widened by the downscale factor (upscaling: the same as plain
  bilinear).
- ``nearest``: ``interpolate(mode="nearest")``: source pixel ``floor(i * in / out)``.
- Integer images (uint8) are resampled in float64 and rounded to the nearest integer (half to
  even), clipped to the dtype's range, as torchvision's non-antialiased path does (it resamples
  in float32, so a value within float32 rounding of a .5 tie may round the other way); torch's
  antialiased uint8 kernel works in fixed point and can differ from this by 1.

Both bilinear forms are one weight matrix per axis (``out x in``): the image is
``Wh @ img @ Ww.T``, two matrix products for any number of images and channels.
"""
import numpy as np

from ._base import InterpolationMode, _interpolation, _like, _SameForBatch, _unwrap


def output_size(height, width, size, max_size=None):
    """torchvision's output size for ``size`` (int: the shorter edge; pair: exact)."""
    if isinstance(size, (list, tuple)) and len(size) == 1:
        size = size[0]
    if isinstance(size, (list, tuple)):
        if max_size is not None:
            raise ValueError("Resize: max_size should only be passed if size specifies the length "
                             f"of the smaller edge, i.e. size should be an int or a sequence of "
                             f"length 1 in torchscript mode, got size={list(size)}")
        return int(size[0]), int(size[1])
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = int(size), int(size * long / short)
    if max_size is not None:
        if max_size <= size:
            raise ValueError(f"Resize: max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def bilinear_weights(n_in, n_out, antialias):
    """The (n_out, n_in) matrix of one axis's bilinear resampling (align_corners=False)."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if antialias and scale > 1:  # downscaling: a triangle filter as wide as the scale
        centers = (rows + 0.5) * scale
        lo = np.maximum((centers - scale + 0.5).astype(np.int64), 0)
        hi = np.minimum((centers + scale + 0.5).astype(np.int64), n_in)
        for i in range(n_out):
            taps = np.arange(lo[i], hi[i])
            w = np.maximum(0.0, 1.0 - np.abs((taps - centers[i] + 0.5) / scale))
            weights[i, taps] = w / w.sum()
        return weights
    src = np.maximum((rows + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    np.add.at(weights, (rows, i0), 1.0 - frac)
    np.add.at(weights, (rows, i1), frac)
    return weights


def resize(arr, height, width, interpolation="bilinear", antialias=True):
    """``arr`` (..., H, W) resampled to (..., height, width) (see the module docstring)."""
    h, w = arr.shape[-2:]
    if (h, w) == (height, width):
        return arr.copy()
    if interpolation == "nearest":
        rows = np.minimum(np.floor(np.arange(height) * (h / height)).astype(np.intp), h - 1)
        cols = np.minimum(np.floor(np.arange(width) * (w / width)).astype(np.intp), w - 1)
        return arr[..., rows[:, None], cols]
    work = np.float32 if arr.dtype == np.float32 else np.float64  # integers: exact enough to round
    wh = bilinear_weights(h, height, antialias).astype(work)
    ww = bilinear_weights(w, width, antialias).astype(work)
    out = np.matmul(np.matmul(wh, arr.astype(work, copy=False)), ww.T)
    if arr.dtype.kind in "ui":
        info = np.iinfo(arr.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(arr.dtype)
    return out.astype(arr.dtype, copy=False)


class Resize(_SameForBatch):
    """Resize the last two axes to ``size`` (torchvision's ``Resize``; see the module docstring
    for what is matched). One image (C x H x W tensor, H x W array) or a batch."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        ok = isinstance(size, int) or (isinstance(size, (list, tuple)) and len(size) in (1, 2)
                                       and all(isinstance(s, int) for s in size))
        if not ok or any(s <= 0 for s in ([size] if isinstance(size, int) else size)):
            raise ValueError(f"Resize: size should be a positive int or a sequence of one or two "
                             f"positive ints, got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, bool(antialias)
        self.interpolation = _interpolation(interpolation)

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "Resize")
        if arr.ndim < 2:
            raise ValueError(f"Resize: expected an image (..., H, W), got shape {tuple(arr.shape)}")
        height, width = output_size(*arr.shape[-2:], self.size, self.max_size)
        return _like(resize(arr, height, width, self.interpolation, self.antialias), was_tensor)

    def _args(self):
        return (f"size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias}")
