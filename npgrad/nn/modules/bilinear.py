"""``Bilinear``: y = x1ᵀ A x2 + b, one matrix A per output feature."""
import math

from ... import _dtype
from ..._backend import xp
from ..._tensor import wrap
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Bilinear(Module):
    """``weight`` (out_features, in1_features, in2_features) and ``bias`` (out_features), both
    U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as in PyTorch."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        float_dtype = _dtype.to_np(dtype) or _dtype.default_float
        self.weight = Parameter(wrap(xp.empty((out_features, in1_features, in2_features), float_dtype)))
        if bias:
            self.bias = Parameter(wrap(xp.empty(out_features, float_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
