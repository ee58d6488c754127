"""``npgrad.nn``: layers, losses and the Module machinery, with PyTorch's names."""
from . import functional, init, utils  # noqa: F401
from .module import Module
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .parameter import Buffer, Parameter

__all__ = [
    "Buffer", "Flatten", "Identity", "Linear", "Module", "ModuleDict", "ModuleList",
    "Parameter", "Sequential", "Unflatten",
]
