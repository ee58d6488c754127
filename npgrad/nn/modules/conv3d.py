"""``Conv3d``: a 3-d convolution over (N, C, D, H, W) input (volumes, video). The
arithmetic is ``npgrad/ops/conv3d.py``; arguments, parameters and init are PyTorch's (as
``Conv2d``'s, with one more spatial dim)."""
from ...ops import conv3d as conv3d_ops
from .. import functional as F
from .conv import _ConvNd


class Conv3d(_ConvNd):
    """``out_channels`` filters of shape ``(in_channels / groups, kd, kh, kw)`` slide over the
    input. ``stride``, ``padding`` (int, triple, 'valid' or 'same'), ``dilation``, ``groups``,
    ``bias`` and ``padding_mode`` ('zeros', 'reflect', 'replicate', 'circular') as PyTorch's;
    weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), ``fan_in = in/groups * kd*kh*kw``."""

    _dims = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            stride3 = stride if isinstance(stride, (tuple, list)) else (stride,) * 3
            if padding == "same" and any(s != 1 for s in stride3):
                raise ValueError("padding='same' is not supported for strided convolutions")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)
        # F.pad's order (last dim first) for the non-zero padding modes, as PyTorch keeps it
        if isinstance(self.padding, str):
            pads = (conv3d_ops.same_pads(self.kernel_size, self.dilation)
                    if self.padding == "same" else ((0, 0),) * 3)
        else:
            pads = tuple((p, p) for p in self.padding)
        self._reversed_padding_repeated_twice = tuple(v for pair in reversed(pads) for v in pair)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv3d_ops.conv3d_checked(self, padded, weight, bias, self.stride, 0,
                                             self.dilation, self.groups)
        return conv3d_ops.conv3d_checked(self, input, weight, bias, self.stride, self.padding,
                                         self.dilation, self.groups)
