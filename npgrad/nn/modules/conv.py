"""``Conv2d``, the convolutional layer.

The arithmetic (a textbook convolution, and its fast twin) lives in ``npgrad/ops/conv.py``.
"""
import math

from ... import _dtype
from ..._backend import xp
from ..._tensor import wrap
from ...ops import conv as conv_ops
from ...ops import conv_transpose as ct_ops
from .. import init
from ..module import Module
from ..parameter import Parameter


class Conv2d(Module):
    """A 2-d convolution over (N, C, H, W) input: ``out_channels`` learned filters of shape
    ``(in_channels / groups, kh, kw)`` slide over the input; each output pixel is one filter's
    dot product with the patch under it, plus a bias.

    Arguments are PyTorch's: ``stride``, ``padding`` (int, pair, 'valid' or 'same'),
    ``dilation`` (spacing between kernel taps), ``groups`` (split channels into independent
    groups; ``groups=in_channels`` is a depthwise convolution), ``bias``, and
    ``padding_mode`` ('zeros', 'reflect', 'replicate' or 'circular').

    Initialisation is PyTorch's: weight ~ kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias the same, with
    ``fan_in = in_channels / groups * kh * kw``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        if groups < 1:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in conv_ops.PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(conv_ops.PADDING_MODES)}, "
                             f"but got padding_mode={padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = conv_ops.pair(kernel_size, "kernel_size")
        self.stride = conv_ops.pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else conv_ops.pair(padding, "padding")
        self.dilation = conv_ops.pair(dilation, "dilation")
        self.groups = groups
        self.padding_mode = padding_mode
        conv_ops.conv_pads(self.padding, self.kernel_size, self.stride, self.dilation,
                           "Conv2d")  # reject a bad padding now, not at the first forward
        float_dtype = _dtype.to_np(dtype) or _dtype.default_float
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(wrap(xp.empty(shape, float_dtype)))
        if bias:
            self.bias = Parameter(wrap(xp.empty(out_channels, float_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        """The convolution with given weights (PyTorch's hook for weight-transforming
        subclasses). The layer itself names errors; its repr is built only then."""
        return conv_ops.conv2d_checked(
            self, input, weight, bias, self.stride, self.padding, self.dilation, self.groups,
            self.padding_mode,
        )

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


# --------------------------------------------------------------------------- 1-d and transposed
def _ntuple(value, n, name):
    """``3 -> (3,) * n``; a sequence of length ``n`` -> a tuple of ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a {n}-tuple, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _ConvNd(Module):
    """What Conv1d, ConvTranspose1d and ConvTranspose2d share: checked arguments, the
    parameters (PyTorch's shapes) and PyTorch's initialisation (as ``Conv2d``)."""

    _dims = 1
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding=0, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if groups < 1:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        if padding_mode not in conv_ops.PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(conv_ops.PADDING_MODES)}, "
                             f"but got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size")
        self.stride = _ntuple(stride, n, "stride")
        if isinstance(padding, str) and self._transposed:
            raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n, "padding")
        self.dilation = _ntuple(dilation, n, "dilation")
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, self._transposed
        if isinstance(padding, str):  # reject a bad padding string now, not at forward
            conv_ops.conv_pads(padding, (1,) + self.kernel_size[-1:], (1,) + self.stride[-1:],
                               (1,) + self.dilation[-1:], name)
        float_dtype = _dtype.to_np(dtype) or _dtype.default_float
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(wrap(xp.empty(shape, float_dtype)))
        if bias:
            self.bias = Parameter(wrap(xp.empty(out_channels, float_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        zero = (0,) * self._dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != zero:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != zero:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """A 1-d convolution over (N, C, L) input (sequences, audio): weight
    ``(out_channels, in_channels / groups, k)``; arguments and init as ``Conv2d``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        return ct_ops.conv1d_checked(self, input, weight, bias, self.stride, self.padding,
                                     self.dilation, self.groups, self.padding_mode)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype=dtype)


class ConvTranspose1d(_ConvTransposeNd):
    """The transpose of ``Conv1d`` (its input gradient as a layer): upsamples (N, C, L) by
    ``stride``. Weight ``(in_channels, out_channels / groups, k)``."""

    def forward(self, input, output_size=None):
        return ct_ops.conv_transpose1d_checked(
            self, input, self.weight, self.bias, self.stride, self.padding,
            self.output_padding, self.groups, self.dilation, output_size)


class ConvTranspose2d(_ConvTransposeNd):
    """The transpose of ``Conv2d`` (its input gradient as a layer), the upsampling layer of
    generators and decoders: each input pixel adds a weighted copy of the kernel onto the
    output at ``stride`` spacing. Weight ``(in_channels, out_channels / groups, kh, kw)``;
    ``output_size`` in ``forward`` picks among the sizes a strided layer can produce."""

    _dims = 2

    def forward(self, input, output_size=None):
        return ct_ops.conv_transpose2d_checked(
            self, input, self.weight, self.bias, self.stride, self.padding,
            self.output_padding, self.groups, self.dilation, output_size)
