"""Image transforms: ``from npgrad.vision import transforms`` as torchvision's.

Each transform works on one image, ``t(img)``, and on a whole batch, ``t.batch(images)``;
``functional`` holds the NumPy arithmetic they share.
"""
from . import functional
from .transforms import (
    CenterCrop,
    Compose,
    CropPad,
    InterpolationMode,
    IntToFloatTensor,
    Lambda,
    Normalize,
    Pad,
    PadMode,
    PILToTensor,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    ToTensor,
    Transform,
    apply_batch,
)

__all__ = [
    "CenterCrop", "Compose", "CropPad", "IntToFloatTensor", "InterpolationMode", "Lambda",
    "Normalize", "PILToTensor", "Pad", "PadMode", "RandomAffine", "RandomCrop",
    "RandomHorizontalFlip", "RandomRotation", "RandomVerticalFlip", "ToTensor", "Transform",
    "apply_batch", "functional",
]
