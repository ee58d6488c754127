"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``.

Pooling summarises each window of a feature map by one number (its maximum or mean):
it shrinks the map, so later layers see a wider field for the same cost, and makes the
network less sensitive to small shifts. The arithmetic lives in ``npgrad/ops/pool.py``.
"""
from ...ops import pool as pool_ops
from ..module import Module


class MaxPool2d(Module):
    """The maximum of each ``kernel_size`` window (``stride`` defaults to ``kernel_size``)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return pool_ops.max_pool2d_checked(
            self, input, self.kernel_size, self.stride, self.padding, self.dilation,
            self.ceil_mode, self.return_indices,
        )

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window. ``count_include_pad`` decides whether zero
    padding counts in the divisor; ``divisor_override`` replaces the divisor."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return pool_ops.avg_pool2d_checked(
            self, input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
            self.count_include_pad, self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (``(1, 1)`` is global
    average pooling); ``None`` in ``output_size`` keeps that input dimension."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return pool_ops.adaptive_avg_pool2d_checked(self, input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


# --------------------------------------------------------------------------- 1-d, adaptive max
from ...ops import pool1d as pool1d_ops  # noqa: E402


class MaxPool1d(MaxPool2d):
    """The maximum of each ``kernel_size`` window of (N, C, L) input."""

    def forward(self, input):
        return pool1d_ops.max_pool1d_checked(
            self, input, self.kernel_size, self.stride, self.padding, self.dilation,
            self.ceil_mode, self.return_indices,
        )


class AvgPool1d(Module):
    """The mean of each ``kernel_size`` window of (N, C, L) input."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        one = pool1d_ops._one
        self.kernel_size = (one(kernel_size, "kernel_size"),)
        self.stride = (one(stride, "stride"),) if stride is not None else self.kernel_size
        self.padding = (one(padding, "padding"),)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return pool1d_ops.avg_pool1d_checked(
            self, input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed ``output_size`` whatever the input size; ``None`` in
    ``output_size`` keeps that input dimension."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return pool1d_ops.adaptive_max_pool2d_checked(self, input, self.output_size,
                                                      self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    def forward(self, input):
        return pool1d_ops.adaptive_max_pool1d_checked(self, input, self.output_size,
                                                      self.return_indices)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    def forward(self, input):
        return pool1d_ops.adaptive_avg_pool1d_checked(self, input, self.output_size)
