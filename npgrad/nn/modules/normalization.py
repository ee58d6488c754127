"""``LayerNorm``: normalize each sample over its trailing feature dims."""
import numbers

from ... import _dtype
from ..._backend import xp
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last
    ``len(normalized_shape)`` dims of each sample; no running state, same in train and eval."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        float_dtype = _dtype.to_np(dtype) or _dtype.default_float
        if elementwise_affine:
            self.weight = Parameter(Tensor._make(xp.ones(self.normalized_shape, float_dtype), None))
            if bias:
                self.bias = Parameter(Tensor._make(xp.zeros(self.normalized_shape, float_dtype), None))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


from .groupnorm import GroupNorm  # noqa: E402,F401  (torch.nn.modules.normalization.GroupNorm)
from .rmsnorm import RMSNorm  # noqa: E402,F401  (torch.nn.modules.normalization.RMSNorm)
