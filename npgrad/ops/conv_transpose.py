"""Transposed convolution ("deconvolution"), 2-d and 1-d, forward beside backward; and conv1d.

What a transposed convolution computes
--------------------------------------
A convolution reads, for every output pixel, the window of input under the kernel. Its
transpose runs the same wiring backwards: every *input* pixel ``x[n, :, h, w]`` is multiplied
by the kernel and *added* onto the window of the output at ``(h * stride, w * stride)``::

    full[n, o, h*s + i*d, w*s + j*d] += sum_c x[n, c, h, w] * weight[c, o, i, j]

and ``padding`` then crops ``padding`` rows/columns off each side of ``full``
(``output_padding`` adds rows/columns at the bottom/right, so that a strided layer can
reach every output size a strided convolution could have come from). It is exactly the
input gradient of ``conv2d`` with the same weight, which is why its weight is shaped
``(in_channels, out_channels / groups, kh, kw)``.

Forward is therefore "col2im": for each of the ``kh*kw`` taps, one matmul
``x @ W[:, :, i, j]`` is added onto the tap's strided window of the output (``tap_slices``).
(One matmul for all taps at once, then the adds, is slower: its ``rows x kh*kw*Og`` result
leaves the cache - 37 ms instead of 23 ms for a 64->32, 4x4, 16x16 batch-64 layer.)

Backward is a plain convolution of the output gradient ("im2col"): ``windows`` views each
input pixel's window of the gradient, copied a few images at a time into a cache-sized
``cols`` block, and ``dx = cols @ W.T``, ``dW = x.T @ cols``. Arrays are channels-last
views (see conv.py).
"""
from .. import _fast
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .conv import conv2d_checked
from .spatial import (
    channels_last, check_positive, nchw, nhwc, pair, shape_of, tap_slices, to_layout, windows,
)


class ConvTranspose2d(Op):
    """Inputs 4-d: x (N, C, H, W), weight (C, Og, kh, kw), bias (G*Og,) or None."""

    def forward(self, x, weight, bias, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                dilation=(1, 1), groups=1):
        n, c, h, w = x.shape
        _, og, kh, kw = weight.shape
        g, cg = groups, c // groups
        # the uncropped output: the taps reach (H-1)*s + d*(k-1) + 1, output_padding more
        fh = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
        fw = (w - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
        ho, wo = fh - 2 * padding[0], fw - 2 * padding[1]
        # tap (i, j) of the weight as a (G, Cg, Og) matrix, contiguous
        taps = xp.ascontiguousarray(weight.reshape(g, cg, og, kh, kw).transpose(3, 4, 0, 1, 2))
        # (G, rows, Cg), contiguous: a matmul on a strided (NCHW) view would not use BLAS
        xg = xp.ascontiguousarray(nhwc(x).reshape(n * h * w, g, cg).transpose(1, 0, 2))
        full = xp.zeros((n, fh, fw, g * og), x.dtype)
        hw = h * w

        def work(share):  # images are independent: chunks of them go to the worker threads
            for a, b in share:
                for i in range(kh):  # col2im: tap (i, j) sends x @ W[:, :, i, j] onto its
                    for j in range(kw):  # strided window of the output
                        part = xp.matmul(xg[:, a * hw : b * hw], taps[i, j])  # (G, rows, Og)
                        rows, cols = tap_slices(i, j, stride, dilation, (h, w))
                        part = part.transpose(1, 0, 2).reshape(b - a, h, w, g * og)
                        full[a:b, rows, cols] += part

        _fast.run_split(work, _fast.image_chunks(n, hw * kh * kw * g * og * x.itemsize))
        out = full[:, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo]
        if bias is not None:
            out += bias
        self.saved = (xg, weight)
        self.geometry = (x.shape, stride, padding, dilation, g, (fh, fw))
        self.nhwc_memory = channels_last(x)  # the output, and x's gradient, keep x's format
        return nchw(to_layout(out, self.nhwc_memory))

    def backward(self, grad):
        xg, weight = self.saved
        (n, c, h, w), stride, padding, dilation, g, (fh, fw) = self.geometry
        _, og, kh, kw = weight.shape
        cg = c // g
        gx = gw = gb = None
        gnhwc = nhwc(grad)
        if self.needs[2]:
            gb = gnhwc.sum(axis=(0, 1, 2))
        if not (self.needs[0] or self.needs[1]):
            return gx, gw, gb
        # the gradient of the uncropped output: zero where padding cropped it away
        ho, wo = grad.shape[2:]
        gfull = xp.zeros((n, fh, fw, g * og), grad.dtype)
        gfull[:, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo] = gnhwc
        # im2col: for each input pixel, the window of the gradient its taps wrote to
        win = windows(gfull, (kh, kw), stride, dilation, (h, w))  # (N, H, W, G*Og, kh, kw)
        win = win.reshape(n, h, w, g, og, kh, kw).transpose(0, 1, 2, 3, 5, 6, 4)
        wmat = weight.reshape(g, cg, og, kh, kw).transpose(0, 1, 3, 4, 2).reshape(g, cg, -1)
        xs = xg.reshape(g, n, h * w, cg)  # the input, by image
        gx = xp.empty((g, n, h * w, cg), grad.dtype) if self.needs[0] else None
        # a few images at a time, so that their cols stay in cache while both matmuls read
        # them (as Conv2d does, trick 4 of conv.py): 25% faster than one big cols matrix;
        # the chunks go to the worker threads
        chunks = _fast.image_chunks(n, h * w * kh * kw * og * g * grad.itemsize)
        largest = max(b - a for a, b in chunks)
        partial = {}  # chunk start -> its weight gradient, summed in chunk order below

        def work(share):
            buf = xp.empty((largest, h, w, g, kh, kw, og), grad.dtype)
            for a, b in share:
                part = buf[: b - a]
                xp.copyto(part, win[a:b])
                cols = part.reshape(-1, g, kh * kw * og).transpose(1, 0, 2)  # (G, rows, K)
                if gx is not None:  # dx = cols @ W.T: a convolution of the gradient
                    xp.matmul(cols, wmat.transpose(0, 2, 1), out=gx[:, a:b].reshape(g, -1, cg))
                if self.needs[1]:  # dW = x.T @ cols
                    x_t = xs[:, a:b].reshape(g, -1, cg).transpose(0, 2, 1)
                    partial[a] = xp.matmul(x_t, cols)

        _fast.run_split(work, chunks)
        gw = sum(partial[a] for a, _ in chunks) if self.needs[1] else None
        if gx is not None:
            gx = gx.reshape(g, n, h, w, cg).transpose(1, 2, 3, 0, 4).reshape(n, h, w, c)
            gx = nchw(to_layout(gx, self.nhwc_memory))
        if gw is not None:  # (G, Cg, kh*kw*Og) -> (C, Og, kh, kw)
            gw = gw.reshape(g, cg, kh, kw, og).transpose(0, 1, 4, 2, 3).reshape(c, og, kh, kw)
        return gx, gw, gb


# --------------------------------------------------------------------------- functional API
def output_padding_for(where, output_size, in_hw, kernel, stride, padding, dilation):
    """PyTorch's ``output_size`` argument -> the ``output_padding`` that produces it.

    A strided transposed convolution can produce ``stride`` different sizes (all convolve
    back to the input's size); ``output_size`` picks one of them.
    """
    k = len(in_hw)
    size = [int(s) for s in output_size]
    if len(size) == k + 2:
        size = size[2:]
    elif len(size) == k + 1:
        size = size[1:]
    if len(size) != k:
        raise ValueError(f"{where}: output_size must have {k} or {k + 2} elements (got "
                         f"{len(output_size)})")
    smallest = [(i - 1) * s - 2 * p + d * (kk - 1) + 1
                for i, kk, s, p, d in zip(in_hw, kernel, stride, padding, dilation)]
    largest = [m + s - 1 for m, s in zip(smallest, stride)]
    for want, lo, hi in zip(size, smallest, largest):
        if not lo <= want <= hi:
            raise ValueError(f"{where}: requested an output size of {size}, but valid sizes "
                             f"range from {smallest} to {largest} (for an input of "
                             f"{list(in_hw)})")
    return tuple(want - lo for want, lo in zip(size, smallest))


def conv_transpose2d_checked(where, input, weight, bias=None, stride=1, padding=0,
                             output_padding=0, groups=1, dilation=1, output_size=None):
    """``conv_transpose2d`` with every user error naming ``where`` (a name or the layer)."""
    if not isinstance(input, Tensor) or input._data.ndim not in (3, 4):
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got "
                           f"{got}")
    if not isinstance(weight, Tensor) or weight._data.ndim != 4:
        got = shape_of(weight) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{where}: expected a 4-d weight (in, out/groups, kh, kw), got {got}")
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    dilation, output_padding = pair(dilation, "dilation"), pair(output_padding, "output_padding")
    check_positive(where, stride=stride, dilation=dilation)
    if min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"{where}: negative padding is not supported, got padding={padding}, "
                         f"output_padding={output_padding}")
    shape = shape_of(input)
    c = shape[-3]
    cg_w, og, kh, kw = weight._data.shape
    if groups < 1 or cg_w % groups:
        raise RuntimeError(f"{where}: groups={groups} must be positive and divide the "
                           f"{cg_w} input channels of weight {shape_of(weight)}")
    if c != cg_w:
        raise RuntimeError(f"{where}: weight {shape_of(weight)} expects {cg_w} input channels, "
                           f"got input of shape {shape}")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"{where}: input is {input.dtype} but weight is {weight.dtype}; "
                           "convert one so they match (e.g. input.float())")
    if bias is not None and shape_of(bias) != (og * groups,):
        raise RuntimeError(f"{where}: expected a bias of shape ({og * groups},), got "
                           f"{shape_of(bias)}")
    if output_size is not None:
        output_padding = output_padding_for(where, output_size, shape[-2:], (kh, kw), stride,
                                            padding, dilation)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"{where}: output padding must be smaller than either stride "
                               f"or dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    out_hw = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, k, s, p, d, op in
              zip(shape[-2:], (kh, kw), stride, padding, dilation, output_padding)]
    if min(out_hw) < 1:
        raise RuntimeError(f"{where}: input of shape {shape} with kernel {(kh, kw)}, "
                           f"stride={stride}, padding={padding}, dilation={dilation} gives "
                           f"an output of {out_hw[0]}x{out_hw[1]}, which is too small")
    batched = input._data.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = ConvTranspose2d.apply(x, weight, bias, stride=stride, padding=padding,
                                output_padding=output_padding, dilation=dilation, groups=groups)
    return out if batched else out.squeeze(0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """PyTorch's ``F.conv_transpose2d``: the transpose (input gradient) of ``conv2d``.

    ``weight`` is ``(in_channels, out_channels / groups, kh, kw)``. Output size per axis:
    ``(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    return conv_transpose2d_checked("conv_transpose2d", input, weight, bias, stride, padding,
                                    output_padding, groups, dilation)


# --------------------------------------------------------------------------- 1-d forms
def _one(value, name):
    """A 1-d layer's int or 1-tuple argument -> an int."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return int(value)


def _as_2d(where, input, weight, what):
    """(N, C, L) input and (A, B, K) weight -> unit-height 2-d forms (a view each)."""
    if not isinstance(input, Tensor) or input._data.ndim not in (2, 3):
        got = shape_of(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: expected a 2-d (C, L) or 3-d (N, C, L) input to {what}, "
                           f"got {got}")
    if not isinstance(weight, Tensor) or weight._data.ndim != 3:
        got = shape_of(weight) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{where}: expected a 3-d weight for {what}, got {got}")
    return input.unsqueeze(-2), weight.unsqueeze(-2)


def conv1d_checked(where, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros"):
    """A 1-d convolution as a 2-d one of unit height (errors name ``where``)."""
    x, w = _as_2d(where, input, weight, "conv1d")
    o, cg, _ = weight._data.shape
    if groups < 1 or o % groups:
        raise RuntimeError(f"{where}: groups={groups} must be positive and divide the {o} "
                           f"output channels of weight {shape_of(weight)}")
    if shape_of(input)[-2] != cg * groups:
        raise RuntimeError(f"{where}: expected input with {cg * groups} channels (weight "
                           f"{shape_of(weight)}, groups={groups}), got shape {shape_of(input)}")
    if not isinstance(padding, str):
        padding = (0, _one(padding, "padding"))
    out = conv2d_checked(where, x, w, bias, (1, _one(stride, "stride")), padding,
                         (1, _one(dilation, "dilation")), groups, padding_mode)
    return out.squeeze(-2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``F.conv1d`` over (N, C, L) input; weight ``(out, in / groups, k)``."""
    return conv1d_checked("conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d_checked(where, input, weight, bias=None, stride=1, padding=0,
                             output_padding=0, groups=1, dilation=1, output_size=None):
    x, w = _as_2d(where, input, weight, "conv_transpose1d")
    if output_size is not None:
        output_size = (1, list(output_size)[-1])
    out = conv_transpose2d_checked(
        where, x, w, bias, (1, _one(stride, "stride")), (0, _one(padding, "padding")),
        (0, _one(output_padding, "output_padding")), groups, (1, _one(dilation, "dilation")),
        output_size)
    return out.squeeze(-2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """PyTorch's ``F.conv_transpose1d``; weight ``(in, out / groups, k)``."""
    return conv_transpose1d_checked("conv_transpose1d", input, weight, bias, stride, padding,
                                    output_padding, groups, dilation)
