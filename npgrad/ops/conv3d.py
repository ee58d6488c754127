"""3-d convolution (NCDHW), forward beside backward: the textbook reference, as conv.py's
Conv2d with one more spatial dim (volumes, video)::

    out[n, o, z, y, x] = bias[o] + sum_{c, i, j, k} weight[o, c, i, j, k]
                                   * xpad[n, c, sd*z + dd*i, sh*y + dh*j, sw*x + dw*k]

``sliding_window_view`` shows every ``C x kd x kh x kw`` patch as a strided view of the
padded input, so forward is one ``einsum``, and so is the weight's gradient; the input's
gradient sends each kernel tap's share back onto the voxels it read (a loop over the taps).
``groups`` split the channels into independent convolutions. Padding modes other than zeros
are ``F.pad`` before the convolution (nn.Conv3d does that, as PyTorch's).
"""
from numpy.lib.stride_tricks import sliding_window_view

from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op


class Conv3d(Op):
    """Input ``(N, C, D, H, W)``, weight ``(O, C/groups, kd, kh, kw)``; ``pads`` is
    ``((front, back), (top, bottom), (left, right))`` of zeros."""

    def forward(self, x, weight, bias, stride, pads, dilation, groups):
        xpad = xp.pad(x, ((0, 0), (0, 0)) + tuple(pads)) if any(map(any, pads)) else x
        (n, _, *padded), (o, cg, *kernel), g = xpad.shape, weight.shape, groups
        spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        sizes = tuple((p - s) // st + 1 for p, s, st in zip(padded, spans, stride))
        (sd, sh, sw), (dd, dh, dw) = stride, dilation
        # patches[n, c, z, y, x, i, j, k] = xpad[n, c, sd*z + dd*i, sh*y + dh*j, sw*x + dw*k]
        view = sliding_window_view(xpad, spans, axis=(2, 3, 4))
        patches = view[:, :, ::sd, ::sh, ::sw, ::dd, ::dh, ::dw]
        patches = patches[:, :, :sizes[0], :sizes[1], :sizes[2]]
        patches = patches.reshape(n, g, cg, *sizes, *kernel)
        w = weight.reshape(g, o // g, cg, *kernel)
        out = xp.einsum("ngczyxijk,gocijk->ngozyx", patches, w, optimize=True)
        out = xp.ascontiguousarray(out.reshape(n, o, *sizes))
        if bias is not None:
            out += bias.reshape(1, o, 1, 1, 1)
        self.saved = (patches, w)
        self.geometry = (x.shape, xpad.shape, pads, stride, dilation)
        return out

    def backward(self, grad):
        patches, w = self.saved
        shape, padded, pads, stride, dilation = self.geometry
        g, og, cg, kd, kh, kw = w.shape
        n, c = shape[:2]
        sizes = grad.shape[2:]
        gout = grad.reshape(n, g, og, *sizes)
        gx = gw = gb = None
        if self.needs[0]:  # each tap (i, j, k) sends grad @ weight[..., i, j, k] where it read
            taps = xp.einsum("ngozyx,gocijk->ijkngczyx", gout, w, optimize=True)
            gpad = xp.zeros(padded, grad.dtype)
            for i in range(kd):
                for j in range(kh):
                    for k in range(kw):
                        where = tuple(slice(t * d, t * d + (m - 1) * s + 1, s) for t, d, m, s in
                                      zip((i, j, k), dilation, sizes, stride))
                        gpad[(slice(None), slice(None)) + where] += \
                            taps[i, j, k].reshape(n, c, *sizes)
            inner = tuple(slice(p0, size - p1) for (p0, p1), size in zip(pads, padded[2:]))
            gx = gpad[(slice(None), slice(None)) + inner]
        if self.needs[1]:
            gw = xp.einsum("ngozyx,ngczyxijk->gocijk", gout, patches, optimize=True)
            gw = gw.reshape(g * og, cg, kd, kh, kw)
        if self.needs[2]:
            gb = grad.sum(axis=(0, 2, 3, 4))
        return gx, gw, gb


# --------------------------------------------------------------------------- functional API
def triple(value, name, where="conv3d"):
    """``3 -> (3, 3, 3)``; a sequence of 3 (or 1) ints as a tuple; else PyTorch's error."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * 3
        if len(value) != 3:
            raise RuntimeError(f"{where}: expected {name} to be a single integer value or a list of 3 "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def same_pads(kernel, dilation):
    """'same' padding: the dilated kernel's extra ``d * (k - 1)`` split with the odd one at
    the end, as PyTorch does: ``((front, back), (top, bottom), (left, right))``."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def conv3d_pads(where, padding, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * 3
        if padding != "same":
            raise RuntimeError(f"{where}: Invalid padding string: {padding!r}")
        if stride != (1, 1, 1):
            raise RuntimeError(f"{where}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        return same_pads(kernel, dilation)
    padding = triple(padding, "padding", where)
    if min(padding) < 0:
        raise RuntimeError(f"{where}: negative padding is not supported, got {padding}")
    return tuple((p, p) for p in padding)


def _shape(t):
    return list(t.shape)


def conv3d_checked(where, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``conv3d`` with every user error reported in terms of ``where`` (a name or a layer)."""
    if not isinstance(input, Tensor) or input._data.ndim not in (4, 5):
        got = _shape(input) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{where}: Expected 4D (unbatched) or 5D (batched) input to conv3d, "
                           f"but got input of size: {got}")
    if not isinstance(weight, Tensor) or weight._data.ndim != 5:
        got = _shape(weight) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{where}: expected a 5-d weight (out, in/groups, kd, kh, kw), got "
                           f"{got}")
    stride, dilation = triple(stride, "stride", where), triple(dilation, "dilation", where)
    if min(stride) <= 0:
        raise RuntimeError(f"{where}: non-positive stride is not supported, got {stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"{where}: dilation should be greater than zero, got {dilation}")
    o, cg, *kernel = weight._data.shape
    pads = conv3d_pads(where, padding, kernel, stride, dilation)
    if groups < 1 or o % groups:
        raise RuntimeError(f"{where}: Given groups={groups}, expected weight to be divisible "
                           f"by {groups} at dimension 0, but got weight of size "
                           f"{_shape(weight)} instead")
    batched = input._data.ndim == 5
    x = input if batched else input.unsqueeze(0)
    if x._data.shape[1] != cg * groups:
        raise RuntimeError(f"{where}: Given groups={groups}, weight of size {_shape(weight)}, "
                           f"expected input{_shape(x)} to have {cg * groups} channels, but "
                           f"got {x._data.shape[1]} channels instead")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"{where}: Input type ({input.dtype}) and weight type "
                           f"({weight.dtype}) should be the same")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != o):
        raise RuntimeError(f"{where}: Given weight of size {_shape(weight)}, expected bias to "
                           f"be 1-dimensional with {o} elements, but got bias of size "
                           f"{_shape(bias)} instead")
    padded = [s + a + b for s, (a, b) in zip(x._data.shape[2:], pads)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"{where}: Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater "
                           f"than actual input size")
    out = Conv3d.apply(x, weight, bias, stride, pads, dilation, groups)
    return out if batched else out.squeeze(0)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's ``F.conv3d``: a 3-d convolution (cross-correlation) over NCDHW input.

    ``weight`` is ``(out_channels, in_channels / groups, kd, kh, kw)``; ``padding`` an int, a
    triple, 'valid' or 'same'. Returns ``(N, out_channels, Do, Ho, Wo)``, contiguous.
    """
    return conv3d_checked("conv3d", input, weight, bias, stride, padding, dilation, groups)
