"""Vision data with torchvision's names.

    from npgrad.vision import datasets, transforms
    from npgrad.vision.utils import make_grid, show_batch

``datasets`` (MNIST and its cousins, verified downloads), ``transforms`` (on one image or a
whole batch, in NumPy), ``utils`` (image grids; matplotlib only when saving a picture).
"""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
