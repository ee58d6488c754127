"""1-d pooling over (N, C, L) and adaptive max pooling; forward beside backward.

The 1-d poolings are the 2-d ones (``npgrad/ops/pool.py``) on a unit-height view: a
``(N, C, L)`` input is ``(N, C, 1, L)`` pooled by a ``1 x k`` kernel, so they share its
arithmetic, its backward and its tie rule.

Adaptive max pooling
--------------------
Output ``(i, j)`` is the maximum of the input over the bin rows ``[floor(i*H/Ho),
ceil((i+1)*H/Ho))`` by the matching columns (PyTorch's bins, which may overlap). A maximum
over a rectangle is a maximum over rows of maxima over columns, so forward is two short
loops, ``Wo`` column bins then ``Ho`` row bins, each a whole-array NumPy reduction. Each
step keeps its argmax, which together give the flat ``h * W + w`` index of the winner (the
first in row-major order on ties, as PyTorch) - ``return_indices`` - and backward adds the
gradient onto those elements.
"""
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .pool import (
    adaptive_avg_pool2d_checked, adaptive_output_size, avg_pool2d_checked, max_pool2d_checked,
)
from .spatial import check_spatial_input, shape_of


def _bins(size, n_out):
    """PyTorch's adaptive bins along one axis: ``(start, end)`` per output position."""
    return [((k * size) // n_out, -((-(k + 1) * size) // n_out)) for k in range(n_out)]


class AdaptiveMaxPool2d(Op):
    """x (N, C, H, W) -> (N, C, Ho, Wo): the maximum of each adaptive bin."""

    def forward(self, x, output_size):
        n, c, h, w = x.shape
        ho, wo = output_size
        cols = xp.empty((n, c, h, wo), x.dtype)  # the max over each column bin, per row
        col_arg = xp.empty((n, c, h, wo), xp.int64)  # ... and its column
        for j, (a, b) in enumerate(_bins(w, wo)):
            part = x[..., a:b]
            col_arg[..., j] = a + part.argmax(axis=-1)
            cols[..., j] = part.max(axis=-1)
        out = xp.empty((n, c, ho, wo), x.dtype)
        index = xp.empty((n, c, ho, wo), xp.int64)  # flat h * W + w of each maximum
        for i, (a, b) in enumerate(_bins(h, ho)):
            part = cols[:, :, a:b]
            row = a + part.argmax(axis=2)  # (N, C, Wo): the winning row of each bin
            out[:, :, i] = part.max(axis=2)
            col = xp.take_along_axis(col_arg, row[:, :, None], axis=2)[:, :, 0]
            index[:, :, i] = row * w + col
        self.saved = (index,)
        self.in_shape = x.shape
        return out

    def backward(self, grad):
        (index,) = self.saved
        n, c, h, w = self.in_shape
        gx = xp.zeros((n * c, h * w), grad.dtype)
        rows = xp.arange(n * c)[:, None]
        # bins may overlap, so one input may win several: add, don't write
        xp.add.at(gx, (rows, index.reshape(n * c, -1)), grad.reshape(n * c, -1))
        return (gx.reshape(n, c, h, w),)


def adaptive_max_pool2d_checked(where, input, output_size, return_indices=False):
    check_spatial_input(where, input, what=where)
    shape = shape_of(input)
    if shape[-2] < 1 or shape[-1] < 1:
        raise RuntimeError(f"{where}: input of shape {shape} has an empty spatial dimension")
    size = adaptive_output_size(where, output_size, shape[-2], shape[-1])
    batched = input._data.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = AdaptiveMaxPool2d.apply(x, size)
    if not batched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    index = out.grad_fn.saved[0] if out.grad_fn is not None else _indices(x, size)
    return out, Tensor._make(index if batched else index[0], None)


def _indices(x, size):
    fn = AdaptiveMaxPool2d()
    fn.forward(x._data, size)
    return fn.saved[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """PyTorch's ``F.adaptive_max_pool2d``: max pooling to a fixed ``output_size``."""
    return adaptive_max_pool2d_checked("adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


# --------------------------------------------------------------------------- 1-d forms
def _one(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return int(value)


def _unit_height(where, input):
    """(N, C, L) or (C, L) -> a (N, C, 1, L) or (C, 1, L) view."""
    if not isinstance(input, Tensor) or input._data.ndim not in (2, 3):
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: expected a 2-d (C, L) or 3-d (N, C, L) input, got {got}")
    return input.unsqueeze(-2)


def _squeeze(out):
    if isinstance(out, tuple):
        return tuple(t.squeeze(-2) for t in out)
    return out.squeeze(-2)


def max_pool1d_checked(where, input, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode=False, return_indices=False):
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride")
    out = max_pool2d_checked(where, _unit_height(where, input), (1, k), (1, s),
                             (0, _one(padding, "padding")), (1, _one(dilation, "dilation")),
                             ceil_mode, return_indices)
    return _squeeze(out)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """PyTorch's ``F.max_pool1d`` over (N, C, L)."""
    return max_pool1d_checked("max_pool1d", input, kernel_size, stride, padding, dilation,
                              ceil_mode, return_indices)


def avg_pool1d_checked(where, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True):
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, "stride")
    out = avg_pool2d_checked(where, _unit_height(where, input), (1, k), (1, s),
                             (0, _one(padding, "padding")), ceil_mode, count_include_pad)
    return _squeeze(out)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """PyTorch's ``F.avg_pool1d`` over (N, C, L)."""
    return avg_pool1d_checked("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                              count_include_pad)


def adaptive_max_pool1d_checked(where, input, output_size, return_indices=False):
    out = adaptive_max_pool2d_checked(where, _unit_height(where, input),
                                      (1, _one(output_size, "output_size")), return_indices)
    return _squeeze(out)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return adaptive_max_pool1d_checked("adaptive_max_pool1d", input, output_size,
                                       return_indices)


def adaptive_avg_pool1d_checked(where, input, output_size):
    out = adaptive_avg_pool2d_checked(where, _unit_height(where, input),
                                      (1, _one(output_size, "output_size")))
    return _squeeze(out)


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool1d_checked("adaptive_avg_pool1d", input, output_size)
