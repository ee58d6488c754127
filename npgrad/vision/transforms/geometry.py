"""Deterministic changes of size: ``Pad``, fastai's ``CropPad``, ``CenterCrop``. They act on
the last two axes, so the same call handles one image and a batch."""
from . import functional as F
from ._base import _like, _SameForBatch, _unwrap


class PadMode:
    """fastai's names for how ``CropPad`` fills the border."""
    Zeros = "zeros"
    Border = "border"
    Reflection = "reflection"


_FASTAI_PAD = {"zeros": "constant", "border": "edge", "reflection": "reflect"}


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
