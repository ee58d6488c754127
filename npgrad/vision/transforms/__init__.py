"""Image transforms: ``from npgrad.vision import transforms`` as torchvision's.

Each transform works on one image, ``t(img)``, and on a whole batch, ``t.batch(images)``
(see ``_base.py``). ``functional`` holds the NumPy arithmetic they share; ``conversion``,
``geometry`` and ``augment`` hold the transforms.
"""
from . import functional
from ._base import Compose, InterpolationMode, Lambda, Transform, apply_batch
from .augment import (
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
)
from .conversion import IntToFloatTensor, Normalize, PILToTensor, ToTensor
from .geometry import CenterCrop, CropPad, Pad, PadMode

__all__ = [
    "CenterCrop", "Compose", "CropPad", "IntToFloatTensor", "InterpolationMode", "Lambda",
    "Normalize", "PILToTensor", "Pad", "PadMode", "RandomAffine", "RandomCrop",
    "RandomHorizontalFlip", "RandomRotation", "RandomVerticalFlip", "ToTensor", "Transform",
    "apply_batch", "functional",
]
from .color import ColorJitter, Grayscale  # noqa: E402
from .resize import Resize  # noqa: E402

__all__ += ["ColorJitter", "Grayscale", "Resize"]
