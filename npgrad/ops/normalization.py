"""Batch and layer normalization, each one fused node.

Both compute x_hat = (x - mean) / sqrt(var + eps) over some axes, then y = x_hat * w + b.
BatchNorm takes the statistics over the batch (and spatial) axes, one pair per channel;
LayerNorm over the trailing feature axes, one pair per sample.

When the statistics come from the input itself, the gradient must flow through them too.
With g_hat = dL/dx_hat and means taken over the normalized axes, the result is

    dL/dx = (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)) / sqrt(var + eps)

— the two subtracted terms are the paths through the mean and through the variance.
"""
from .. import _fast
from .._backend import xp
from .._memory_format import fresh
from ..autograd.function import Op


def _normalized_grad(g_hat, x_hat, invstd, axes):
    return invstd * (
        g_hat
        - g_hat.mean(axis=axes, keepdims=True)
        - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)
    )


class BatchNorm(Op):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1).

    In training the batch's statistics are used and the running buffers (``running_mean``,
    ``running_var``, plain arrays) are updated in place with ``momentum``:
    running = (1 - momentum) * running + momentum * batch, the variance unbiased (n / (n - 1)),
    as PyTorch does. In evaluation the running statistics are used and are constants.
    """

    def forward(self, x, weight=None, bias=None, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        axes = (0,) + tuple(range(2, x.ndim))
        stat_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=axes, keepdims=True)
            if running_mean is not None:
                n = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += (momentum * n / (n - 1)) * var.reshape(-1)
        else:
            centered = x - running_mean.reshape(stat_shape)
            var = running_var.reshape(stat_shape)
        invstd = 1 / xp.sqrt(var + eps)
        x_hat = centered * invstd
        self.saved = (x_hat, invstd, weight)
        self.axes, self.training, self.stat_shape = axes, training, stat_shape
        out = x_hat if weight is None else x_hat * weight.reshape(stat_shape)
        if bias is not None:
            out = out + bias.reshape(stat_shape)
        return out

    def backward(self, grad):
        x_hat, invstd, weight = self.saved
        axes = self.axes
        gx = gw = gb = None
        if self.needs[0]:
            g_hat = grad if weight is None else grad * weight.reshape(self.stat_shape)
            if self.training:
                gx = _normalized_grad(g_hat, x_hat, invstd, axes)
            else:
                gx = g_hat * invstd
        if self.needs[1]:
            gw = (grad * x_hat).sum(axis=axes)
        if self.needs[2]:
            gb = grad.sum(axis=axes)
        return gx, gw, gb


class LayerNorm(Op):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last
    ``n_axes`` dims of each sample (weight and bias are shaped like those dims)."""

    def forward(self, x, weight=None, bias=None, n_axes=1, eps=1e-5):
        axes = tuple(range(x.ndim - n_axes, x.ndim))
        x = fresh(x)  # a transposed input: a contiguous result, as torch's
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        invstd = 1 / xp.sqrt(var + eps)
        x_hat = centered * invstd
        self.saved = (x_hat, invstd, weight)
        self.axes = axes
        out = x_hat if weight is None else x_hat * weight
        if bias is not None:
            out = out + bias
        return out

    def backward(self, grad):
        x_hat, invstd, weight = self.saved
        lead = tuple(range(grad.ndim - len(self.axes)))  # the batch dims, summed for w and b
        gx = gw = gb = None
        if self.needs[0]:
            g_hat = grad if weight is None else grad * weight
            gx = _normalized_grad(g_hat, x_hat, invstd, self.axes)
        if self.needs[1]:
            gw = (grad * x_hat).sum(axis=lead)
        if self.needs[2]:
            gb = grad.sum(axis=lead)
        return gx, gw, gb


def batch_norm_function():
    """``BatchNorm``, or its compiled twin when the ``[fast]`` kernels are on."""
    return _fast.compiled_op("BatchNorm") or BatchNorm
