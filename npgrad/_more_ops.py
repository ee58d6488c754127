"""The ops of ``ops/{atan2, cumulative, bucketize, shape_more, more_ops2}`` as ``torch.X``
and, where PyTorch has them, ``Tensor.X`` methods and ``Tensor.X_`` in-place forms:
atan2/arctan2, cumprod, logcumsumexp, searchsorted, bucketize, rot90, diag_embed; mv, select,
fliplr, flipud, take, tensor_split, hsplit, vsplit, dsplit, median, nanmedian, kthvalue,
aminmax."""
from ._tensor import Tensor
from ._tensor_functions import _in_place
from .ops import atan2, bucketize, cumulative, more_ops2, shape_more

FUNCTIONS = {**atan2.FUNCTIONS, **cumulative.FUNCTIONS, **bucketize.FUNCTIONS,
             **shape_more.FUNCTIONS, **more_ops2.FUNCTIONS}
#: PyTorch has no Tensor.searchsorted / Tensor.bucketize
METHODS = {name: fn for name, fn in FUNCTIONS.items() if name not in bucketize.FUNCTIONS}
IN_PLACE = {"atan2_": atan2.atan2, "arctan2_": atan2.atan2, "cumprod_": cumulative.cumprod}


def install(module):
    for name, fn in FUNCTIONS.items():
        if not hasattr(module, name):
            setattr(module, name, fn)
    for name, fn in METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
    for name, fn in IN_PLACE.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, _in_place(fn, name))
