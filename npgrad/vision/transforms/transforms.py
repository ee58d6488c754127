"""Image transforms with torchvision's names (and a few of fastai's), each usable two ways:

    t(image)          one image: a 28x28 uint8 array (as MNIST hands out), a PIL image for
                      ToTensor, or a C x H x W tensor
    t.batch(images)   a whole batch, the batch on the first axis: N x 28 x 28 uint8, or an
                      N x C x H x W tensor. One NumPy computation for all N images.

``t.batch(images)`` equals stacking ``t(image)`` over the batch. Random transforms draw one
set of parameters per image either way, from ``npgrad.random.get_rng(generator)``, and draw
them in the same order (one row of uniforms per image), so under the same seed a single
random transform gives the same batch through either path.

Datasets use ``.batch`` for their fast path; batch-level steps such as fastai's
``after_batch`` (``IntToFloatTensor``, ``Normalize``) call it directly on a loaded batch.
Transforms carry no gradients: they feed data in, they are not part of a model.
"""
import numpy as np

from ... import random as _random
from ..._tensor import Tensor
from ...utils.data.collate import default_collate
from . import functional as F


class InterpolationMode:
    """torchvision's names for the resampling modes."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


class PadMode:
    """fastai's names for how ``CropPad`` fills the border."""
    Zeros = "zeros"
    Border = "border"
    Reflection = "reflection"


_FASTAI_PAD = {"zeros": "constant", "border": "edge", "reflection": "reflect"}


def _unwrap(x, name):
    """(array, was_tensor) for a tensor or an ndarray."""
    if isinstance(x, Tensor):
        return x._data, True
    if isinstance(x, np.ndarray):
        return x, False
    raise TypeError(f"{name}: expected a tensor or a NumPy array, got {type(x).__name__}")


def _like(arr, was_tensor):
    return Tensor._make(arr, None) if was_tensor else arr


def _interpolation(mode):
    mode = getattr(mode, "value", mode)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', got {mode!r}")
    return mode


class Transform:
    """Base class: ``__call__`` transforms one image; ``batch`` a batch.

    The default ``batch`` loops over the images and stacks the results (correct for any
    transform, fast for none); the transforms below replace it with a vectorised one.
    """

    def __call__(self, img):
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def batch(self, images):
        return default_collate([self(img) for img in images])

    def _args(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self._args()})"


class _SameForBatch(Transform):
    """A deterministic transform that acts on the last axes only: the same code does one image
    and a batch."""

    def batch(self, images):
        return self(images)


def apply_batch(transform, images):
    """``transform.batch(images)`` if it has one, else ``transform`` image by image, stacked."""
    batch = getattr(transform, "batch", None)
    if callable(batch):
        return batch(images)
    return default_collate([transform(img) for img in images])


class Compose(Transform):
    """Apply ``transforms`` one after the other. ``batch`` runs each member on the whole batch
    (members without a ``batch`` method, such as plain functions, run image by image)."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def batch(self, images):
        for t in self.transforms:
            images = apply_batch(t, images)
        return images

    def __repr__(self):
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({body}\n)"


class Lambda(Transform):
    """Wrap a function as a transform. It sees one image at a time, unless ``batched=True``
    says it computes the same thing on a whole batch (then ``batch`` calls it once)."""

    def __init__(self, lambd, batched=False):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd
        self.batched = batched

    def __call__(self, img):
        return self.lambd(img)

    def batch(self, images):
        return self.lambd(images) if self.batched else super().batch(images)

    def _args(self):
        return getattr(self.lambd, "__name__", repr(self.lambd))


def _image_array(pic, name):
    """An ndarray from a NumPy array or a PIL image (anything with ``__array_interface__``)."""
    if isinstance(pic, np.ndarray):
        return pic
    if isinstance(pic, Tensor):
        raise TypeError(f"{name}: pic should be a PIL Image or ndarray, got a Tensor (it is "
                        f"already a tensor: drop {name}, or use IntToFloatTensor)")
    if hasattr(pic, "__array_interface__"):
        return np.asarray(pic)
    raise TypeError(f"{name}: pic should be a PIL Image or ndarray, got {type(pic).__name__}")


def _channels_first(arr, batched, name):
    """H x W -> 1 x H x W and H x W x C -> C x H x W (with a leading N when ``batched``)."""
    base = arr.ndim - (1 if batched else 0)
    if base == 2:
        return arr[:, None] if batched else arr[None]
    if base == 3:
        return arr.transpose((0, 3, 1, 2) if batched else (2, 0, 1))
    expected = "N x H x W or N x H x W x C" if batched else "H x W or H x W x C"
    raise ValueError(f"{name}: expected an image of shape {expected}, got {tuple(arr.shape)}")


class ToTensor(Transform):
    """An image (H x W or H x W x C; uint8 NumPy array or PIL image) as a C x H x W tensor,
    uint8 scaled to float32 in [0, 1] (torchvision's ``ToTensor``). ``batch`` turns
    N x H x W into N x 1 x H x W."""

    def __call__(self, pic):
        arr = _channels_first(_image_array(pic, "ToTensor"), False, "ToTensor")
        return Tensor._make(F.to_float_image(arr), None)

    def batch(self, pics):
        arr = pics._data if isinstance(pics, Tensor) else _image_array(pics, "ToTensor")
        return Tensor._make(F.to_float_image(_channels_first(arr, True, "ToTensor")), None)


class PILToTensor(Transform):
    """Like ``ToTensor`` but keeps the pixel values and dtype (uint8 stays 0..255), as
    torchvision's ``PILToTensor`` and fastai's ``ToTensor`` do."""

    def __call__(self, pic):
        arr = _channels_first(_image_array(pic, "PILToTensor"), False, "PILToTensor")
        return Tensor._make(np.ascontiguousarray(arr), None)

    def batch(self, pics):
        arr = pics._data if isinstance(pics, Tensor) else _image_array(pics, "PILToTensor")
        return Tensor._make(np.ascontiguousarray(_channels_first(arr, True, "PILToTensor")), None)


class IntToFloatTensor(_SameForBatch):
    """fastai's batch step: pixels to float32 divided by ``div`` (255: 0..255 -> 0..1).
    The shape is kept."""

    def __init__(self, div=255.0):
        self.div = div

    def __call__(self, x):
        arr, was_tensor = _unwrap(x, "IntToFloatTensor")
        out = arr.astype(np.float32)
        np.divide(out, np.float32(self.div), out=out)
        return _like(out, was_tensor)

    def _args(self):
        return f"div={self.div}"


class Normalize(_SameForBatch):
    """``(x - mean) / std`` per channel, on (..., C, H, W): one image or a batch.

    ``Normalize((0.1307,), (0.3081,))`` as torchvision. ``Normalize()`` with no statistics
    is fastai's: it measures the per-channel mean and standard deviation of the first batch
    (or image) it sees, keeps them, and normalises everything with them.
    """

    def __init__(self, mean=None, std=None, inplace=False):
        if (mean is None) != (std is None):
            raise ValueError("Normalize: give both mean and std, or neither (fastai-style: "
                             "measured on the first batch)")
        self.mean = None if mean is None else tuple(np.atleast_1d(mean).astype(np.float64).tolist())
        self.std = None if std is None else tuple(np.atleast_1d(std).astype(np.float64).tolist())
        self.inplace = inplace
        self._prepared = {}
        if self.mean is not None:
            F.normalize_stats(self.mean, self.std, np.float32)  # fail here, not at the first batch

    @classmethod
    def from_stats(cls, mean, std):
        return cls(mean, std)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x, "Normalize")
        F.check_float_image(arr)
        if self.mean is None:
            self._measure(arr)
        stats = self._prepared.get(arr.dtype)
        if stats is None:  # mean and std as arrays of this dtype, built and checked once
            stats = self._prepared[arr.dtype] = F.normalize_stats(self.mean, self.std, arr.dtype)
        out = F.normalize_with(arr, *stats)
        if self.inplace:
            arr[...] = out
            return x
        return _like(out, was_tensor)

    def _measure(self, arr):
        if arr.ndim < 3 or arr.dtype.kind != "f":
            raise ValueError(f"Normalize(): measuring statistics needs a float (..., C, H, W) "
                             f"batch, got {arr.dtype} of shape {tuple(arr.shape)}")
        channels_last = np.moveaxis(arr, -3, -1).reshape(-1, arr.shape[-3]).astype(np.float64)
        self.mean = tuple(channels_last.mean(axis=0).tolist())
        self.std = tuple((channels_last.std(axis=0, ddof=1) + 1e-7).tolist())

    def _args(self):
        return f"mean={self.mean}, std={self.std}"


class Pad(_SameForBatch):
    """Pad the borders: ``padding`` an int, (left/right, top/bottom) or (left, top, right,
    bottom); ``padding_mode`` one of constant (with ``fill``), edge, reflect, symmetric."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = F.padding_ltrb(padding, "Pad")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: padding_mode must be constant, edge, reflect or symmetric, "
                             f"got {padding_mode!r}")
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "Pad")
        return _like(F.pad(arr, *self.padding, fill=self.fill, mode=self.padding_mode), was_tensor)

    def _args(self):
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class CropPad(_SameForBatch):
    """fastai's ``CropPad(size)``: crop (centred) or pad (centred) to exactly ``size``.
    ``pad_mode`` is ``"zeros"``, ``"border"`` or ``"reflection"`` (see ``PadMode``)."""

    def __init__(self, size, pad_mode=PadMode.Zeros):
        self.size = F.size_pair(size, "CropPad")
        if pad_mode not in _FASTAI_PAD:
            raise ValueError(f"CropPad: pad_mode must be one of {sorted(_FASTAI_PAD)}, got {pad_mode!r}")
        self.pad_mode = pad_mode

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "CropPad")
        return _like(F.crop_pad(arr, *self.size, mode=_FASTAI_PAD[self.pad_mode]), was_tensor)

    def _args(self):
        return f"size={self.size}, pad_mode={self.pad_mode}"


class CenterCrop(_SameForBatch):
    """Crop the centre ``size`` (torchvision's rounding; zero-pads an image that is smaller)."""

    def __init__(self, size):
        self.size = F.size_pair(size, "CenterCrop")

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "CenterCrop")
        return _like(F.center_crop(arr, *self.size), was_tensor)

    def _args(self):
        return f"size={self.size}"


class _Random(Transform):
    """A random transform: draws ``_draws`` uniforms in [0, 1) per image from ``generator``
    (or the global generator), a row per image, in batch order."""

    _draws = 1

    def __init__(self, generator=None):
        self.generator = generator

    def _uniforms(self, n=None):
        rng = _random.get_rng(self.generator)
        return rng.random(self._draws) if n is None else rng.random((n, self._draws))


class RandomCrop(_Random):
    """Crop a random ``size`` window, after padding by ``padding`` (torchvision's
    ``RandomCrop``: with ``pad_if_needed`` an image smaller than ``size`` is padded first).
    Every position of the window is equally likely."""

    _draws = 2

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant",
                 generator=None):
        super().__init__(generator)
        self.size = F.size_pair(size, "RandomCrop")
        self.padding = None if padding is None else F.padding_ltrb(padding, "RandomCrop")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def _prepare(self, arr):
        if self.padding is not None:
            arr = F.pad(arr, *self.padding, fill=self.fill, mode=self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and (w < tw or h < th):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            arr = F.pad(arr, dw, dh, dw, dh, fill=self.fill, mode=self.padding_mode)
            h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the "
                             f"input image size {(h, w)}")
        return arr, h - th + 1, w - tw + 1

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, "RandomCrop")
        arr, rows, cols = self._prepare(arr)
        u = self._uniforms()
        top, left = min(int(u[0] * rows), rows - 1), min(int(u[1] * cols), cols - 1)
        return _like(np.ascontiguousarray(F.crop(arr, top, left, *self.size)), was_tensor)

    def batch(self, images):
        arr, was_tensor = _unwrap(images, "RandomCrop")
        arr, rows, cols = self._prepare(arr)
        u = self._uniforms(len(arr))
        tops = np.minimum((u[:, 0] * rows).astype(np.intp), rows - 1)
        lefts = np.minimum((u[:, 1] * cols).astype(np.intp), cols - 1)
        return _like(F.crop_each(arr, tops, lefts, *self.size), was_tensor)

    def _args(self):
        return f"size={self.size}, padding={self.padding}"


class RandomHorizontalFlip(_Random):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p=0.5, generator=None):
        super().__init__(generator)
        self.p = p

    def _flip(self, arr):
        return arr[..., ::-1]

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, type(self).__name__)
        if self._uniforms()[0] < self.p:
            return _like(np.ascontiguousarray(self._flip(arr)), was_tensor)
        return img

    def batch(self, images):
        arr, was_tensor = _unwrap(images, type(self).__name__)
        flip = self._uniforms(len(arr))[:, 0] < self.p
        out = arr.copy()
        out[flip] = self._flip(arr[flip])
        return _like(out, was_tensor)

    def _args(self):
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    def _flip(self, arr):
        return arr[..., ::-1, :]


class RandomAffine(_Random):
    """A random rotation, shift, scale and shear about the centre (torchvision's
    ``RandomAffine``, computed in NumPy). Per image: angle uniform in ``degrees`` (a number d
    means (-d, d); torchvision turns positive angles clockwise here); shift up to
    ``translate`` = (fx, fy) of the width and height, rounded to whole pixels; scale uniform in
    ``scale`` = (lo, hi); shear uniform in ``shear`` (a number s means (-s, s) along x; four
    numbers give x and y ranges). Outside points read ``fill``."""

    _draws = 6  # angle, dx, dy, scale, shear x, shear y

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, generator=None):
        super().__init__(generator)
        self.degrees = F.degrees_range(degrees, type(self).__name__)
        if translate is not None and not (len(translate) == 2 and all(0 <= t <= 1 for t in translate)):
            raise ValueError(f"RandomAffine: translate must be two fractions in [0, 1], got {translate!r}")
        if scale is not None and not (len(scale) == 2 and all(s > 0 for s in scale)):
            raise ValueError(f"RandomAffine: scale must be two positive numbers, got {scale!r}")
        if shear is not None:
            if isinstance(shear, (int, float)):
                shear = F.degrees_range(shear, "RandomAffine shear") + (0.0, 0.0)
            else:
                shear = tuple(float(s) for s in shear)
                shear = shear + (0.0, 0.0) if len(shear) == 2 else shear
            if len(shear) != 4:
                raise ValueError(f"RandomAffine: shear must be a number or 2 or 4 numbers, got {shear!r}")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _interpolation(interpolation)
        self.fill = fill

    def _matrices(self, u, height, width):
        """Inverse maps (N x 2 x 3) from uniforms ``u`` (N x 6)."""
        def spread(col, lo, hi):
            return lo + (hi - lo) * u[:, col]

        angle = spread(0, *self.degrees)
        dx = dy = np.zeros(len(u))
        if self.translate is not None:
            mx, my = self.translate[0] * width, self.translate[1] * height
            dx, dy = np.rint(spread(1, -mx, mx)), np.rint(spread(2, -my, my))
        scale = spread(3, *self.scale) if self.scale is not None else np.ones(len(u))
        shx = shy = np.zeros(len(u))
        if self.shear is not None:
            shx, shy = spread(4, *self.shear[:2]), spread(5, *self.shear[2:])
        return F.affine_matrices(angle, dx, dy, scale, shx, shy, height, width)

    def __call__(self, img):
        arr, was_tensor = _unwrap(img, type(self).__name__)
        mats = self._matrices(self._uniforms()[None], *arr.shape[-2:])
        return _like(F.warp(arr[None], mats, self.interpolation, self.fill)[0], was_tensor)

    def batch(self, images):
        arr, was_tensor = _unwrap(images, type(self).__name__)
        mats = self._matrices(self._uniforms(len(arr)), *arr.shape[-2:])
        return _like(F.warp(arr, mats, self.interpolation, self.fill), was_tensor)

    def _args(self):
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation}")


class RandomRotation(RandomAffine):
    """Rotate by a random angle in ``degrees`` (a number d means (-d, d)), counter-clockwise
    for positive angles, as torchvision's ``RandomRotation``."""

    _draws = 1

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0, generator=None):
        if expand or center is not None:
            raise NotImplementedError("RandomRotation: expand=True and center= are not supported "
                                      "by npgrad (the image keeps its size, rotating about its centre)")
        super().__init__(degrees, interpolation=interpolation, fill=fill, generator=generator)

    def _matrices(self, u, height, width):
        angle = self.degrees[0] + (self.degrees[1] - self.degrees[0]) * u[:, 0]
        zero = np.zeros(len(u))
        return F.affine_matrices(-angle, zero, zero, np.ones(len(u)), zero, zero, height, width)

    def _args(self):
        return f"degrees={self.degrees}, interpolation={self.interpolation}"
