"""TensorBoard logging under PyTorch's name: ``npgrad.utils.tensorboard.SummaryWriter``.

Built on the ``tensorboard`` package's own event-file writer and protocol buffers (extra
``tensorboard``: ``pip install 'npgrad[tensorboard]'``). This package imports without it;
creating a ``SummaryWriter`` then raises an ImportError that says what to install.
"""
from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
