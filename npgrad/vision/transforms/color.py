"""Colour transforms: ``Grayscale`` and ``ColorJitter``, with torchvision's arithmetic for
tensor images (channels on axis -3; one image or a batch).

- grey = 0.2989 R + 0.587 G + 0.114 B (ITU-R 601-2 luma, torchvision's weights);
- brightness f: ``f * img``; contrast f: blend with the mean of the grey image; saturation f:
  blend with the grey image; every blend clamps to [0, 1] (floats) or [0, 255] (uint8);
- hue h in [-0.5, 0.5]: to HSV, hue shifted by h (mod 1), back to RGB;
- integer images: computed in float and converted back by truncation (torchvision's
  ``.to(img.dtype)``).

``ColorJitter`` draws, per image, its four factors uniformly from their ranges and the order of
the four adjustments (a random permutation), as torchvision; an adjustment whose range is
unset is skipped. One- channel images skip saturation and hue, as torchvision does.
"""
import numpy as np

from ._base import _like, _SameForBatch, _unwrap
from .augment import _Random

LUMA = (0.2989, 0.587, 0.114)


def _bound(arr):
    return 1.0 if arr.dtype.kind == "f" else float(np.iinfo(arr.dtype).max)


def _float(arr):
    return arr if arr.dtype.kind == "f" else arr.astype(np.float32)


def _back(out, like):
    """Back to ``like``'s dtype: floats stay, integers truncate (as torchvision)."""
    return out.astype(like.dtype, copy=False)


def _check_batch(arr, name):
    """A batch must be N x C x H x W: N x H x W (a batch of grey MNIST arrays) has no channel
    axis, and reading N as C would be wrong without an error."""
    if arr.ndim < 4:
        raise TypeError(f"{name}: expected a batch N x C x H x W (apply ToTensor first), got shape "
                        f"{tuple(arr.shape)}")


def _check_channels(arr, name):
    if arr.ndim < 3 or arr.shape[-3] not in (1, 3):
        raise TypeError(f"{name}: expected an image with 1 or 3 channels (..., C, H, W), got shape "
                        f"{tuple(arr.shape)}")


def rgb_to_grayscale(arr, num_output_channels=1):
    _check_channels(arr, "Grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    if arr.shape[-3] == 3:
        r, g, b = (_float(arr[..., c, :, :]) for c in range(3))
        grey = _back(LUMA[0] * r + LUMA[1] * g + LUMA[2] * b, arr)[..., None, :, :]
    else:
        grey = arr.copy()
    return np.repeat(grey, 3, axis=-3) if num_output_channels == 3 else grey


def _blend(a, b, ratio, like):
    return _back(np.clip(ratio * _float(a) + (1.0 - ratio) * _float(b), 0, _bound(like)), like)


def adjust_brightness(arr, factor):
    if factor < 0:
        raise ValueError(f"brightness_factor ({factor}) is not non-negative.")
    return _back(np.clip(_float(arr) * factor, 0, _bound(arr)), arr)


def adjust_contrast(arr, factor):
    if factor < 0:
        raise ValueError(f"contrast_factor ({factor}) is not non-negative.")
    _check_channels(arr, "adjust_contrast")
    grey = rgb_to_grayscale(arr) if arr.shape[-3] == 3 else arr
    mean = _float(grey).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(arr, mean, factor, arr)


def adjust_saturation(arr, factor):
    if factor < 0:
        raise ValueError(f"saturation_factor ({factor}) is not non-negative.")
    _check_channels(arr, "adjust_saturation")
    if arr.shape[-3] == 1:
        return arr.copy()
    return _blend(arr, rgb_to_grayscale(arr), factor, arr)


def rgb_to_hsv(arr):
    """float RGB (..., 3, H, W) in [0, 1] -> HSV, each in [0, 1]."""
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    maxc, minc = arr.max(axis=-3), arr.min(axis=-3)
    same = maxc == minc
    span = maxc - minc
    s = span / np.where(same, 1.0, maxc)
    div = np.where(same, 1.0, span)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = np.where(maxc == r, bc - gc, 0.0)
    h = h + np.where((maxc == g) & (maxc != r), 2.0 + rc - bc, 0.0)
    h = h + np.where((maxc != g) & (maxc != r), 4.0 + gc - rc, 0.0)
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-3).astype(arr.dtype, copy=False)


def hsv_to_rgb(arr):
    h, s, v = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]  # by sector i
    out = np.zeros(arr.shape, dtype=arr.dtype)
    for sector, (rr, gg, bb) in enumerate(table):
        mask = i == sector
        out[..., 0, :, :] += np.where(mask, rr, 0)
        out[..., 1, :, :] += np.where(mask, gg, 0)
        out[..., 2, :, :] += np.where(mask, bb, 0)
    return out


def adjust_hue(arr, factor):
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"hue_factor ({factor}) is not in [-0.5, 0.5].")
    _check_channels(arr, "adjust_hue")
    if arr.shape[-3] == 1:
        return arr.copy()
    work = arr.astype(np.float32) / np.float32(255) if arr.dtype == np.uint8 else arr
    hsv = rgb_to_hsv(work)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + factor, 1.0)
    out = hsv_to_rgb(hsv)
    if arr.dtype == np.uint8:
        return (out * np.float32(255)).astype(np.uint8)
    return out


class Grayscale(_SameForBatch):
    """RGB to grey (torchvision's ``Grayscale``): ``num_output_channels`` 1, or 3 equal ones."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got "
                             f"{num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "Grayscale")
        return _like(rgb_to_grayscale(arr, self.num_output_channels), was_tensor)

    def batch(self, images):
        _check_batch(_unwrap(images, "Grayscale")[0], "Grayscale")
        return self(images)

    def _args(self):
        return f"num_output_channels={self.num_output_channels}"


def _jitter_range(value, name, center=1.0, bound=(0.0, float("inf")), clip_first=True):
    """torchvision's ``_check_input``: a number v becomes [center - v, center + v] (clipped at 0
    for the factors); a pair is taken as it is. None when the adjustment is off."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number, it must be non negative, "
                             f"got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"ColorJitter: {name} should be a single number or a list/tuple with "
                        f"length 2, got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, got {value}")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter(_Random):
    """Randomly change brightness, contrast, saturation and hue (torchvision's ``ColorJitter``).

    ``brightness``/``contrast``/``saturation``: a number v draws the factor from
    [max(0, 1 - v), 1 + v], a pair (lo, hi) from [lo, hi]; ``hue``: h draws from [-h, h]
    (h <= 0.5), or a pair within [-0.5, 0.5]. Each image gets its own factors and order."""

    _draws = 8  # four factors, then four uniforms whose argsort is the order of the adjustments

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, generator=None):
        super().__init__(generator)
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)

    def _apply(self, arr, u):
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        ops = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for k in np.argsort(u[4:], kind="stable"):
            if ranges[k] is not None:
                lo, hi = ranges[k]
                arr = ops[k](arr, lo + (hi - lo) * float(u[k]))
        return arr

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "ColorJitter")
        _check_channels(arr, "ColorJitter")
        return _like(self._apply(arr, self._uniforms()), was_tensor)

    def batch(self, images):
        arr, was_tensor = _unwrap(images, "ColorJitter")
        _check_batch(arr, "ColorJitter")
        _check_channels(arr, "ColorJitter")
        u = self._uniforms(len(arr))
        return _like(np.stack([self._apply(a, row) for a, row in zip(arr, u)]), was_tensor)

    def _args(self):
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")
