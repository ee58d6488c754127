"""Utilities under PyTorch's names. ``npgrad.utils.data`` holds datasets and data loaders."""
from . import data

__all__ = ["data"]
