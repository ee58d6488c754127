"""``MaxPool3d`` and ``AvgPool3d`` over (N, C, D, H, W) input; the arithmetic is
``npgrad/ops/pool3d.py``. Arguments, attributes and repr are PyTorch's."""
from ...ops import pool3d as pool3d_ops
from ..module import Module


class MaxPool3d(Module):
    """The maximum of each ``kernel_size`` window (spaced by ``dilation``); with
    ``return_indices`` also where it was (flat ``z * H * W + y * W + x``)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return pool3d_ops.max_pool3d_checked(self, input, self.kernel_size, self.stride,
                                             self.padding, self.dilation, self.ceil_mode,
                                             self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool3d(Module):
    """The mean of each ``kernel_size`` window; the padding counts in the mean unless
    ``count_include_pad=False``; ``divisor_override`` replaces the window size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return pool3d_ops.avg_pool3d_checked(self, input, self.kernel_size, self.stride,
                                             self.padding, self.ceil_mode,
                                             self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
