"""From images to float tensors: ``ToTensor``, ``PILToTensor``, ``IntToFloatTensor``,
``Normalize``. The last two act on the pixel values only, so one image and a batch are the
same computation."""
import numpy as np

from ..._tensor import Tensor, wrap
from . import functional as F
from ._base import Transform, _like, _SameForBatch, _unwrap


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
        return wrap(F.to_float_image(arr))

    def batch(self, pics):
        arr = pics._data if isinstance(pics, Tensor) else _image_array(pics, "ToTensor")
        return wrap(F.to_float_image(_channels_first(arr, True, "ToTensor")))


class PILToTensor(Transform):
    """Like ``ToTensor`` but keeps the pixel values and dtype (uint8 stays 0..255), as
    torchvision's ``PILToTensor`` and fastai's ``ToTensor`` do."""

    def __call__(self, pic):
        arr = _channels_first(_image_array(pic, "PILToTensor"), False, "PILToTensor")
        return wrap(np.ascontiguousarray(arr))

    def batch(self, pics):
        arr = pics._data if isinstance(pics, Tensor) else _image_array(pics, "PILToTensor")
        return wrap(np.ascontiguousarray(_channels_first(arr, True, "PILToTensor")))


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
        if self.inplace:  # torchvision's inplace=True: overwrite the input
            F.normalize_with(arr, *stats, out=arr)
            return x
        return _like(F.normalize_with(arr, *stats), was_tensor)

    def _measure(self, arr):
        if arr.ndim < 3 or arr.dtype.kind != "f":
            raise ValueError(f"Normalize(): measuring statistics needs a float (..., C, H, W) "
                             f"batch, got {arr.dtype} of shape {tuple(arr.shape)}")
        channels_last = np.moveaxis(arr, -3, -1).reshape(-1, arr.shape[-3]).astype(np.float64)
        self.mean = tuple(channels_last.mean(axis=0).tolist())
        self.std = tuple((channels_last.std(axis=0, ddof=1) + 1e-7).tolist())

    def _args(self):
        return f"mean={self.mean}, std={self.std}"
