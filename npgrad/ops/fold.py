"""``unfold`` (im2col) and ``fold`` (col2im): each one's backward is the other.

``unfold`` lists every ``kh x kw`` window ("block") of a zero-padded (N, C, H, W) input as a
column: ``(N, C * kh * kw, L)``, rows ordered channel-major then kernel row, kernel column,
and the ``L = Ho * Wo`` blocks in row-major order. ``fold`` puts such columns back onto an
(N, C, H, W) image, *adding* where blocks overlap. Both are written with the kernel taps of
``spatial.tap_slices``: tap ``(i, j)`` of every block at once is one strided slice of the
padded image, so each is a loop of ``kh * kw`` whole-array copies (unfold) or adds (fold).
"""
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .spatial import check_positive, out_size, pair, shape_of, tap_slices


def _blocks(hw, kernel, dilation, padding, stride):
    return tuple(out_size(n, k, s, 2 * p, d) for n, k, s, p, d in
                 zip(hw, kernel, stride, padding, dilation))


def im2col(x, kernel, dilation, padding, stride):
    """(N, C, H, W) -> (N, C * kh * kw, Ho * Wo)."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    ho, wo = _blocks((h, w), kernel, dilation, padding, stride)
    xpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    xpad[:, :, ph : ph + h, pw : pw + w] = x
    cols = xp.empty((n, c, kh, kw, ho, wo), x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols_ = tap_slices(i, j, stride, dilation, (ho, wo))
            cols[:, :, i, j] = xpad[:, :, rows, cols_]
    return cols.reshape(n, c * kh * kw, ho * wo)


def col2im(cols, out_hw, kernel, dilation, padding, stride):
    """(N, C * kh * kw, Ho * Wo) -> (N, C, H, W), overlapping blocks summed."""
    (h, w), (kh, kw), (ph, pw) = out_hw, kernel, padding
    ho, wo = _blocks(out_hw, kernel, dilation, padding, stride)
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, ho, wo)
    img = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols_ = tap_slices(i, j, stride, dilation, (ho, wo))
            img[:, :, rows, cols_] += cols[:, :, i, j]
    return img[:, :, ph : ph + h, pw : pw + w]


class Unfold(Op):
    def forward(self, x, kernel, dilation, padding, stride):
        self.args, self.hw = (kernel, dilation, padding, stride), x.shape[2:]
        return im2col(x, *self.args)

    def backward(self, grad):
        return (col2im(grad, self.hw, *self.args),)


class Fold(Op):
    def forward(self, cols, out_hw, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        return col2im(cols, out_hw, *self.args)

    def backward(self, grad):
        return (im2col(grad, *self.args),)


# --------------------------------------------------------------------------- functional API
def _args(where, kernel_size, dilation, padding, stride):
    kernel, dilation = pair(kernel_size, "kernel_size"), pair(dilation, "dilation")
    padding, stride = pair(padding, "padding"), pair(stride, "stride")
    check_positive(where, kernel_size=kernel, dilation=dilation, stride=stride)
    if min(padding) < 0:
        raise ValueError(f"{where}: padding should be non-negative, got {padding}")
    return kernel, dilation, padding, stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.unfold``: (N, C, H, W) -> (N, C * kh * kw, L), one column per block."""
    if not isinstance(input, Tensor) or input._data.ndim not in (3, 4):
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"unfold: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, "
                           f"got {got}")
    args = _args("unfold", kernel_size, dilation, padding, stride)
    shape = shape_of(input)
    blocks = _blocks(shape[-2:], *args)
    if min(blocks) < 1:
        raise RuntimeError(f"unfold: input of shape {shape} with kernel_size={args[0]}, "
                           f"dilation={args[1]}, padding={args[2]}, stride={args[3]} has "
                           f"{blocks[0]}x{blocks[1]} blocks; it must have at least one")
    batched = input._data.ndim == 4
    out = Unfold.apply(input if batched else input.unsqueeze(0), *args)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.fold``: (N, C * kh * kw, L) -> (N, C, H, W), summing overlaps."""
    if not isinstance(input, Tensor) or input._data.ndim not in (2, 3):
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"fold: expected a 2-d (C * kh * kw, L) or 3-d (N, C * kh * kw, L) "
                           f"input, got {got}")
    args = _args("fold", kernel_size, dilation, padding, stride)
    out_hw = pair(output_size, "output_size")
    shape = shape_of(input)
    kernel = args[0]
    if shape[-2] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"fold: expected size of input's dimension {len(shape) - 2} to be "
                           f"divisible by the product of kernel_size, but got "
                           f"input.size({len(shape) - 2})={shape[-2]} and "
                           f"kernel_size={kernel}")
    blocks = _blocks(out_hw, *args)
    if min(blocks) < 1 or blocks[0] * blocks[1] != shape[-1]:
        raise RuntimeError(f"fold: given output_size={out_hw}, kernel_size={kernel}, "
                           f"dilation={args[1]}, padding={args[2]}, stride={args[3]}, "
                           f"expected size of input's dimension {len(shape) - 1} to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size({len(shape) - 1})="
                           f"{shape[-1]}")
    batched = input._data.ndim == 3
    out = Fold.apply(input if batched else input.unsqueeze(0), out_hw, *args)
    return out if batched else out.squeeze(0)
