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

from ..._tensor import Tensor, wrap
from ...utils.data.collate import default_collate


class InterpolationMode:
    """torchvision's names for the resampling modes."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _unwrap(x, name):
    """(array, was_tensor) for a tensor or an ndarray."""
    if isinstance(x, Tensor):
        return x._data, True
    if isinstance(x, np.ndarray):
        return x, False
    raise TypeError(f"{name}: expected a tensor or a NumPy array, got {type(x).__name__}")


def _like(arr, was_tensor):
    return wrap(arr) if was_tensor else arr


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
