"""``LayerNorm``: normalize each sample over its trailing feature dims."""
import numbers

from ... import _dtype
from ..._backend import xp
from ..._tensor import wrap
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


def affine_parameters(module, shape, dtype, affine, bias):
    """``weight`` (ones) and ``bias`` (zeros) of ``shape`` when ``affine`` (``bias=False``
    leaves the bias out), else both registered as None: the norm layers' shared setup."""
    float_dtype = _dtype.to_np(dtype) or _dtype.default_float
    if affine:
        module.weight = Parameter(wrap(xp.ones(shape, float_dtype)))
        if bias:
            module.bias = Parameter(wrap(xp.zeros(shape, float_dtype)))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module):
    """Back to weight = 1, bias = 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


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
        affine_parameters(self, self.normalized_shape, dtype, elementwise_affine, bias)

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


from .groupnorm import GroupNorm  # noqa: E402,F401  (torch.nn.modules.normalization.GroupNorm)
from .rmsnorm import RMSNorm  # noqa: E402,F401  (torch.nn.modules.normalization.RMSNorm)
