"""2-d convolution (NCHW), forward beside backward: the reference, written as a textbook.

Every output pixel is a dot product between the weights and the ``C x kh x kw`` patch of
input under the kernel::

    out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * xpad[n, c, s*y + d*i, s*x + d*j]

``sliding_window_view`` shows every patch at once as a strided view of the padded input (no
copy), so forward is one ``einsum`` over it, and so is the weight's gradient. The input's
gradient sends each kernel tap's share back onto the pixels that tap read: a loop over the
``kh*kw`` taps. With ``groups`` the channels split into independent convolutions.

This is the twin every faster convolution is tested against. ``conv2d`` runs the fast one
(``npgrad/_fast/conv.py``: channels-last im2col in cache-sized chunks on helper threads)
unless ``npgrad.set_kernels("reference")`` chose this one. Checks and PyTorch's functional
API (``conv2d``, ``conv_pads``) are below.
"""
from numpy.lib.stride_tricks import sliding_window_view

from .. import _fast
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .spatial import (
    channels_last, check_positive, check_spatial_input, nchw, nhwc, pad_nhwc, pair, shape_of,
    to_layout, unpad_nhwc,
)


class Conv2d(Op):
    """``pads`` is ``(top, bottom, left, right)``, ``padding_mode`` 'zeros', 'reflect',
    'replicate' or 'circular'; input ``(N, C, H, W)``, weight ``(O, C/groups, kh, kw)``."""

    def forward(self, x, weight, bias, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1),
                groups=1, padding_mode="zeros"):
        xpad = nchw(pad_nhwc(nhwc(x), pads, padding_mode))
        (n, c, hp, wp), (o, cg, kh, kw), g = xpad.shape, weight.shape, groups
        (sh, sw), (dh, dw) = stride, dilation
        ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
        # patches[n, c, y, x, i, j] = xpad[n, c, sh*y + dh*i, sw*x + dw*j]  (a view)
        span = sliding_window_view(xpad, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        patches = span[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :ho, :wo]
        patches = patches.reshape(n, g, cg, ho, wo, kh, kw)
        w = weight.reshape(g, o // g, cg, kh, kw)
        out = xp.einsum("ngcyxij,gocij->ngoyx", patches, w, optimize=True).reshape(n, o, ho, wo)
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        # the output in PyTorch's memory format: channels-last if the input or the weight is,
        # else NCHW (einsum's may be neither)
        out = nchw(to_layout(nhwc(out), channels_last(x) or channels_last(weight)))
        self.saved = (patches, w)
        self.geometry = (x.shape, xpad.shape, pads, padding_mode, stride, dilation)
        return out

    def backward(self, grad):
        patches, w = self.saved
        (n, c, h, wd), padded, pads, padding_mode, (sh, sw), (dh, dw) = self.geometry
        g, og, cg, kh, kw = w.shape
        ho, wo = grad.shape[2:]
        gout = grad.reshape(n, g, og, ho, wo)
        gx = gw = gb = None
        if self.needs[0]:  # each tap (i, j) sends grad @ weight[:, :, i, j] back where it read
            taps = xp.einsum("ngoyx,gocij->ijngcyx", gout, w, optimize=True)
            gpad = xp.zeros(padded, grad.dtype)
            for i in range(kh):
                for j in range(kw):
                    gpad[:, :, i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                         j * dw : j * dw + (wo - 1) * sw + 1 : sw] += taps[i, j].reshape(n, c, ho, wo)
            gx = nchw(unpad_nhwc(nhwc(gpad), pads, padding_mode, h, wd))
        if self.needs[1]:
            gw = xp.einsum("ngoyx,ngcyxij->gocij", gout, patches, optimize=True)
            gw = gw.reshape(g * og, cg, kh, kw)
        if self.needs[2]:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb


# --------------------------------------------------------------------------- functional API
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_pads(padding, kernel, stride, dilation, where="conv2d"):
    """``padding`` (int, pair, 'valid' or 'same') -> ``(top, bottom, left, right)``.

    'same' keeps the size at stride 1: the dilated kernel's extra ``d * (k - 1)`` rows are
    split with the odd one at the bottom/right, as PyTorch does.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{where}: invalid padding string {padding!r}, should be one of "
                             "{'valid', 'same'}")
        if stride != (1, 1):
            raise ValueError(f"{where}: padding='same' is not supported for strided "
                             f"convolutions (stride={stride})")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"{where}: negative padding is not supported, got {(ph, pw)}")
    return (ph, ph, pw, pw)


def conv2d_checked(where, input, weight, bias=None, stride=1, padding=0, dilation=1,
                   groups=1, padding_mode="zeros"):
    """``conv2d`` with every user error reported in terms of ``where``: a name, or the layer
    itself (formatted only when an error is raised; a repr per call would cost time)."""
    check_spatial_input(where, input)
    if not isinstance(weight, Tensor) or weight._data.ndim != 4:
        raise RuntimeError(f"{where}: expected a 4-d weight (out, in/groups, kh, kw), got "
                           f"{shape_of(weight) if isinstance(weight, Tensor) else type(weight)}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{where}: padding_mode must be one of {list(PADDING_MODES)}, but got "
                         f"padding_mode={padding_mode!r}")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    check_positive(where, stride=stride, dilation=dilation)
    o, cg, kh, kw = weight._data.shape
    pads = conv_pads(padding, (kh, kw), stride, dilation, where)
    if groups < 1 or o % groups:
        raise RuntimeError(f"{where}: groups={groups} must be positive and divide the "
                           f"{o} output channels of weight {shape_of(weight)}")
    batched = input._data.ndim == 4
    shape = shape_of(input)
    c, h, w = shape[-3:]
    if c != cg * groups:
        raise RuntimeError(f"{where}: expected input with {cg * groups} channels, got shape "
                           f"{shape}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"{where}: input is {input.dtype} but weight is {weight.dtype}; "
                           "convert one so they match (e.g. input.float())")
    if bias is not None and shape_of(bias) != (o,):
        raise RuntimeError(f"{where}: expected a bias of shape ({o},), got {shape_of(bias)}")
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if hp < span[0] or wp < span[1]:
        raise RuntimeError(f"{where}: input of shape {shape} (padded to {hp}x{wp}) is smaller "
                           f"than the kernel ({kh}x{kw}, spanning {span[0]}x{span[1]})")
    if padding_mode != "zeros":
        limit_ok = (lambda p, n: p < n) if padding_mode == "reflect" else (lambda p, n: p <= n)
        if not all(limit_ok(p, n) for p, n in zip(pads, (h, h, w, w))):
            raise RuntimeError(f"{where}: padding {pads[::2]} is too large for "
                               f"padding_mode={padding_mode!r} on input of shape {shape}")
    x = input if batched else input.unsqueeze(0)
    op = _fast.conv.Conv2d if _fast.use_fast() else Conv2d
    out = op.apply(x, weight, bias, stride=stride, pads=pads, dilation=dilation,
                       groups=groups, padding_mode=padding_mode)
    return out if batched else out.squeeze(0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``F.conv2d``: a 2-d convolution (cross-correlation) over NCHW input.

    ``weight`` is ``(out_channels, in_channels / groups, kh, kw)``; ``padding`` an int, a
    pair, 'valid' or 'same'. Returns ``(N, out_channels, Ho, Wo)`` (on the fast path in
    channels-last memory).
    """
    return conv2d_checked("conv2d", input, weight, bias, stride, padding, dilation, groups)
