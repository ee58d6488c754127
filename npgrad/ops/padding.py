"""``pad``: grow (or, with negative amounts, crop) the last dims of a tensor.

``pad=(left, right, top, bottom, ...)`` lists amounts for the last dim first, as PyTorch
does. Mode ``'constant'`` fills with ``value``; ``'reflect'``, ``'replicate'`` and
``'circular'`` copy values from inside the tensor (NumPy's reflect / edge / wrap).

Backward: each output element came from one input element (or from the constant), so the
gradient is scattered back with ``np.add.at`` along each padded dim, one dim at a time.
"""
from .. import _memory_format
from .._backend import xp
from ..autograd.function import Op

_NUMPY_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _sources(n, before, after, mode):
    """For each output position along one dim, the input position it copies (-1: constant)."""
    if mode == "constant":
        src = xp.arange(-before, n + after)
        return xp.where((src >= 0) & (src < n), src, -1)
    return xp.pad(xp.arange(n), (before, after), mode=_NUMPY_MODE[mode])


class Pad(Op):
    def forward(self, x, widths=(), mode="constant", value=0.0):
        """``widths``: one (before, after) pair per dim of ``x`` (0, 0 for unpadded dims)."""
        self.shape, self.widths, self.mode = x.shape, widths, mode
        if (x.ndim == 4 and mode != "circular" and not x.flags.c_contiguous
                and _memory_format.is_in(x, _memory_format.channels_last)):
            # channels-last in, channels-last out, as torch's: pad the (N, H, W, C) view
            nhwc = (0, 2, 3, 1)
            return _padded(x.transpose(nhwc), [widths[k] for k in nhwc], mode, value).transpose(
                0, 3, 1, 2)
        return _padded(x, widths, mode, value)

    def backward(self, grad):
        g = grad
        for axis in reversed(range(len(self.widths))):
            before, after = self.widths[axis]
            if before == 0 and after == 0:
                continue
            n = self.shape[axis]
            src = _sources(n, before, after, self.mode)
            keep = src >= 0
            shape = list(g.shape)
            shape[axis] = n
            acc = xp.zeros(shape, dtype=g.dtype)
            index = [slice(None)] * g.ndim
            index[axis] = src[keep]
            picked = xp.compress(keep, g, axis=axis)
            xp.add.at(acc, tuple(index), picked)
            g = acc
        return (g,)


def _padded(x, widths, mode, value):
    out = x
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        src = _sources(out.shape[axis], before, after, mode)
        taken = xp.take(out, xp.maximum(src, 0), axis=axis)
        if mode == "constant":
            fill = (src < 0).reshape((-1,) + (1,) * (out.ndim - axis - 1))
            taken = xp.where(fill, xp.asarray(value, dtype=x.dtype), taken)
        out = taken
    return out if out is not x else x.copy()
