"""The ops of ``ops/more_ops2`` as ``torch.X`` and ``Tensor.X`` (PyTorch has a method for
each): mv, select, fliplr, flipud, take, tensor_split, hsplit, vsplit, dsplit, median,
nanmedian, kthvalue, aminmax. Beside ``_more_ops`` (the same idea), in its own file so that
helpers adding ops there and here do not edit the same lines."""
from ._tensor import Tensor
from .ops import more_ops2

FUNCTIONS = more_ops2.FUNCTIONS
METHODS = more_ops2.FUNCTIONS


def install(module):
    for name, fn in FUNCTIONS.items():
        if not hasattr(module, name):
            setattr(module, name, fn)
    for name, fn in METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
