"""``Linear`` (y = x Wᵀ + b), ``Identity`` and ``Flatten`` / ``Unflatten``."""
import math

from ... import _dtype
from ..._tensor import Tensor, wrap
from ..._backend import xp
from ...ops import linalg
from ...ops import shape as shape_ops
from .. import init
from ..module import Module
from ..parameter import Parameter

def _empty(*sizes, dtype=None):
    """An uninitialised float tensor (reset_parameters fills it)."""
    return wrap(xp.empty(sizes, dtype=_dtype.to_np(dtype) or _dtype.default_float))


class Identity(Module):
    """Returns its input unchanged; takes (and ignores) any arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """A fully connected layer: ``y = x @ weight.T + bias``.

    ``weight`` is shaped ``(out_features, in_features)``, as in PyTorch, and both tensors
    start as PyTorch initialises them: U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_ with a = sqrt(5) is PyTorch's choice; it works out to a bound of
        # 1/sqrt(fan_in), the same bound the bias gets below.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        try:
            n = input._data.shape[-1]
        except (AttributeError, IndexError):
            raise _input_error(self, input) from None
        if n != self.in_features:
            raise _input_error(self, input)
        return linalg.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _input_error(layer, input):
    if not isinstance(input, Tensor):
        return TypeError(f"{layer!r}: expected an npgrad Tensor as input, got {type(input).__name__}")
    shape = tuple(input._data.shape)
    if not shape:
        return RuntimeError(f"{layer!r}: input is a 0-d tensor; expected shape (..., {layer.in_features})")
    return RuntimeError(
        f"{layer!r}: input has {shape[-1]} features, expected {layer.in_features} "
        f"(input shape {shape})"
    )


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one: (N, 1, 28, 28) -> (N, 784) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return shape_ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size``: (N, 784) -> (N, 1, 28, 28)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return shape_ops.unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear by another name: PyTorch's class for MultiheadAttention's ``out_proj``."""


from .bilinear import Bilinear  # noqa: E402,F401  (torch.nn.modules.linear.Bilinear)
