"""Random augmentations: ``RandomCrop``, flips, ``RandomAffine``, ``RandomRotation``.

Each draws its parameters as uniforms in [0, 1), a row of ``_draws`` per image, from
``npgrad.random.get_rng(generator)``: ``t(img)`` draws one row, ``t.batch(images)`` draws N
rows at once, and the two consume the generator identically. ``batch`` then applies N
different crops (or flips, or affine maps) in one vectorised NumPy step.
"""
import numpy as np

from ... import random as _random
from . import functional as F
from ._base import InterpolationMode, Transform, _interpolation, _like, _unwrap


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
