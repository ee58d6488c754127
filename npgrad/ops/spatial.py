"""What convolution and pooling share: NCHW <-> channels-last views, padding (and its
backward), the windows of a kernel as a strided view, and argument checks.

Convolution and pooling work on channels-last ``(N, H, W, C)`` *views* of NCHW-shaped
arrays, so every helper here takes and returns that shape. The *memory* under such a view is
NCHW (what PyTorch, and npgrad, make by default) or channels-last (a tensor in PyTorch's
``channels_last`` memory format): as in PyTorch, each op's output keeps its input's memory
format (``channels_last``, ``empty_nhwc``), so ``conv(x).is_contiguous()`` answers as there. A kernel "tap" ``(i, j)`` is one position inside the window; ``tap_slices`` gives
the region of the input it touches over all output positions at once.
"""
from .._backend import xp
from .._tensor import Tensor


def pair(value, name="value"):
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``; anything else is a clear error."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value), int(value))


def out_size(size, kernel, stride, pad_total, dilation, ceil_mode=False):
    """Number of window positions along one axis (PyTorch's formula, incl. ceil_mode)."""
    span = size + pad_total - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    if not ceil_mode:
        return span // stride + 1
    n = -(-span // stride) + 1
    # in ceil mode the last window must start inside the input or the left padding
    if (n - 1) * stride >= size + pad_total // 2:
        n -= 1
    return n


# np.pad's names for PyTorch's padding modes
_NP_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def channels_last(x):
    """Is the memory under this NCHW-shaped array channels-last (and not also NCHW)?"""
    return x.ndim == 4 and nhwc_memory(nhwc(x))


def nhwc_memory(v):
    """Is the memory under this NHWC-shaped view channels-last (and not also NCHW)?"""
    return v.flags.c_contiguous and not nchw(v).flags.c_contiguous


def empty_nhwc(shape, dtype, like, fill=None):
    """A new ``(N, H, W, C)``-shaped array whose memory has the layout of the NHWC view
    ``like``: channels-last if ``like``'s memory is, else NCHW. ``fill`` fills it."""
    n, h, w, c = shape
    new = xp.zeros if fill == 0 else xp.empty
    if nhwc_memory(like):
        out = new(shape, dtype)
    else:
        out = nhwc(new((n, c, h, w), dtype))
    if fill is not None and fill != 0:
        out.fill(fill)
    return out


def like_layout(x, like):
    """``x`` (an NHWC view) with the memory layout of ``like`` (copied only if it differs)."""
    return to_layout(x, nhwc_memory(like))


def to_layout(x, channels_last_memory):
    """``x`` (an NHWC view) in channels-last memory, or else NCHW (copied only if needed)."""
    if channels_last_memory:
        return xp.ascontiguousarray(x)
    return nhwc(xp.ascontiguousarray(nchw(x)))


def pad_nhwc(x, pads, mode="zeros", fill=0.0):
    """Pad a channels-last ``(N, H, W, C)`` array by ``pads = (top, bottom, left, right)``.

    ``mode`` is 'zeros' (a constant ``fill``: 0 for convolution, -inf for max pooling),
    'reflect', 'replicate' or 'circular'. Returns ``x`` itself when there is nothing to pad;
    a padded copy keeps ``x``'s memory layout.
    """
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    if mode == "zeros":
        out = empty_nhwc((n, h + top + bottom, w + left + right, c), x.dtype, x, fill)
        out[:, top : top + h, left : left + w] = x  # in x's memory layout
        return out
    if channels_last(nchw(x)):
        return xp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), mode=_NP_PAD_MODE[mode])
    return nhwc(xp.pad(nchw(x), ((0, 0), (0, 0), (top, bottom), (left, right)),
                       mode=_NP_PAD_MODE[mode]))


def unpad_nhwc(grad, pads, mode, h, w):
    """The backward of ``pad_nhwc``: the gradient of the unpadded input.

    For zero padding it is the interior (a view). For the other modes every padded row or
    column is a copy of some interior one, so its gradient is added back there. Padding a
    vector of indices with the same mode tells which interior index each position copies.
    """
    top, bottom, left, right = pads
    if mode == "zeros" or not (top or bottom or left or right):
        return grad[:, top : top + h, left : left + w]
    src_h = xp.pad(xp.arange(h), (top, bottom), mode=_NP_PAD_MODE[mode])
    src_w = xp.pad(xp.arange(w), (left, right), mode=_NP_PAD_MODE[mode])
    rows = xp.zeros((grad.shape[0], h, grad.shape[2], grad.shape[3]), grad.dtype)
    xp.add.at(rows, (slice(None), src_h), grad)
    out = xp.zeros((grad.shape[0], h, w, grad.shape[3]), grad.dtype)
    xp.add.at(out, (slice(None), slice(None), src_w), rows)
    return out


def windows(x_padded, kernel, stride, dilation, out_hw):
    """All kernel windows of a padded channels-last array, as a view ``(N, Ho, Wo, C, kh, kw)``.

    ``sliding_window_view`` gives every window of the dilated kernel's extent at stride 1;
    slicing with ``::stride`` picks the output positions and ``::dilation`` the taps. No data
    is copied.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = xp.lib.stride_tricks.sliding_window_view(x_padded, extent, axis=(1, 2))
    return view[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, :, ::dh, ::dw]


def tap_slices(i, j, stride, dilation, out_hw):
    """The region of the padded input that kernel tap ``(i, j)`` touches, over all outputs:
    ``x_padded[:, rows, cols]`` lines up element by element with an ``(N, Ho, Wo, C)`` output."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    rows = slice(i * dh, i * dh + (ho - 1) * sh + 1, sh)
    cols = slice(j * dw, j * dw + (wo - 1) * sw + 1, sw)
    return rows, cols


def nhwc(x):
    """An NCHW-shaped array as an NHWC-shaped view (free; contiguous if memory is NHWC)."""
    return x.transpose(0, 2, 3, 1)


def nchw(x):
    """The inverse view of ``nhwc``."""
    return x.transpose(0, 3, 1, 2)



def shape_of(t):
    return tuple(t._data.shape)


def check_spatial_input(where, input, what="conv2d"):
    """A Tensor of rank 3 (C, H, W) or 4 (N, C, H, W) with a floating dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: expected an npgrad Tensor as input, got {type(input).__name__}")
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"{where}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input to "
                           f"{what}, got shape {shape_of(input)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{where}: expected a floating point input, got {input.dtype}")


def check_positive(where, **pairs):
    for name, value in pairs.items():
        if min(value) < 1:
            raise ValueError(f"{where}: {name} must be positive, got {value}")
