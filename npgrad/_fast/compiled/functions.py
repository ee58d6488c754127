"""The compiled twins as npgrad ops: each subclasses (or stands beside) its reference and
falls back to it wherever the cheap check fails (dtype, memory layout, options)."""
import numpy as np

from ...autograd.function import Op
from ...ops import loss, normalization, pool as ops_pool
from ...ops.spatial import nchw, nhwc, nhwc_memory
from .. import pool as fast_pool, threads
from . import kernels

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_NO_MASK = {dt: np.empty((0, 0), dt) for dt in _FLOATS}


def _ok(*arrays):
    """The kernels' cheap check: float32/float64, C-ordered, one dtype."""
    dtype = arrays[0].dtype
    if dtype not in _FLOATS:
        return False
    for a in arrays:  # a plain loop: all() over a generator costs a microsecond per call
        if a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True


class CrossEntropyIndices(loss.CrossEntropyIndices):
    """Twin of ``ops.loss.CrossEntropyIndices``: one pass over each row of logits forward
    (max, exp, sum, log, softmax), one backward. Equal to it within 1e-6 (float32): NumPy
    sums a row pairwise, the kernel in order."""

    def forward(self, logits, target, reduction="mean"):
        if not (_ok(logits) and target.dtype == np.int64 and logits.shape[0]):
            return super().forward(logits, target, reduction)
        losses = np.empty(logits.shape[0], logits.dtype)
        probs = np.empty_like(logits)
        kernels().cross_entropy_fwd(logits, np.ascontiguousarray(target), losses, probs)
        self.saved = (probs, target)
        self.reduction = reduction
        return loss._reduce(losses, reduction)

    def backward(self, grad):
        probs, target = self.saved
        if probs.dtype not in _FLOATS or target.dtype != np.int64:
            return super().backward(grad)
        n = probs.shape[0]
        scale = loss._scale(grad, self.reduction, n)
        scale = np.broadcast_to(np.asarray(scale, probs.dtype), (n,))
        out = np.empty_like(probs)
        kernels().cross_entropy_bwd(probs, np.ascontiguousarray(target),
                                    np.ascontiguousarray(scale), out)
        return out, None


class LinearReLU(Op):
    """``relu(x @ weight.T + bias)``, then ``* mask`` (dropout) if a mask is given: the
    twin of ``ops.linalg.Linear`` -> ``ops.activation.Relu`` (-> ``ops.activation.MaskMul``)
    in one node. The matmuls stay BLAS; the bias, ReLU and mask are one pass forward and
    one backward (which also sums the bias gradient). Bit for bit equal to the three."""

    def forward(self, x, weight, bias, mask=None):
        out = threads.matmul(x, weight.T)
        mask = _NO_MASK[out.dtype] if mask is None else mask
        kernels().bias_relu_fwd(out, bias, mask)
        self.saved = (x, weight, out, mask)
        return out

    def backward(self, grad):
        x, weight, out, mask = self.saved
        grad = np.ascontiguousarray(grad)
        gin = np.empty_like(grad)
        gbias = np.empty(grad.shape[1], grad.dtype)
        kernels().bias_relu_bwd(grad, out, mask, gin, gbias)
        gx = threads.matmul(gin, weight) if self.needs[0] else None
        gw = threads.matmul(gin.T, x) if self.needs[1] else None
        return gx, gw, gbias, None


def linear_relu_fits(x, weight, bias):
    return x.ndim == 2 and bias is not None and _ok(x, weight, bias)


def adam_flat(flat, grad, m, v, vmax, step, lr, beta1, beta2, eps, maximize):
    """Twin of ``optim.adam.adam_update`` over a whole flat group (param None, weight decay
    folded in before): the step goes to ``flat.step``. Bit for bit equal."""
    dt = m.dtype.type
    kernels().adam_flat(grad, m, v, _NO_MASK[m.dtype].reshape(0) if vmax is None else vmax, flat.step,
                        dt(1 - beta1), dt(beta2), dt(1 - beta2), dt((1 - beta2**step) ** 0.5),
                        dt(-(lr / (1 - beta1**step))), dt(eps), maximize, vmax is not None)


def sgd_momentum(param, grad, buf, first, *, lr, momentum, dampening, nesterov, weight_decay,
                 maximize):
    """Twin of ``optim.sgd.sgd_update`` with momentum, on one parameter. Bit for bit equal."""
    dt = param.dtype.type
    kernels().sgd_momentum(param.reshape(-1), grad.reshape(-1), buf.reshape(-1), dt(-lr),
                           dt(momentum), dt(1 - dampening), nesterov, dt(weight_decay),
                           maximize, first, weight_decay != 0, dampening == 0)


def sgd_fits(param, grad):
    return _ok(param, grad) and param.shape == grad.shape


class MaxPool2d(fast_pool.MaxPool2d):
    """Twin of ``ops.pool.MaxPool2d`` (through its threaded twin ``_fast/pool.py``, which
    still deals the images out to the helper threads): each range of images is one pass of
    a compiled loop over the channels-last windows instead of a NumPy pass per tap. Bit for
    bit equal (a max and a select); float inputs only, other dtypes take the reference."""

    def _forward_images(self, xpad, out, ranges):
        if out.dtype not in _FLOATS:
            return super()._forward_images(xpad, out, ranges)
        (arg,) = self.saved
        _, _, (kh, kw), (sh, sw), (dh, dw), _ = self.geometry
        if nhwc_memory(out):
            kernel = kernels().max_pool_fwd
        else:  # NCHW memory: the plane-by-plane loop, on NCHW views of the same arrays
            kernel, xpad, out, arg = kernels().max_pool_fwd_planes, nchw(xpad), nchw(out), nchw(arg)
        threads.run_split(lambda share: [kernel(xpad[a:b], out[a:b], arg[a:b], kh, kw, sh, sw,
                                                dh, dw) for a, b in share],
                          threads.split_images(out.shape[0], out[0].nbytes))

    def _backward_images(self, g, gpad, ranges):
        if g.dtype not in _FLOATS:
            return super()._backward_images(g, gpad, ranges)
        (arg,) = self.saved
        _, _, kernel_hw, stride, dilation, _ = self.geometry
        (kh, kw), (sh, sw), (dh, dw) = kernel_hw, stride, dilation
        disjoint = ops_pool._disjoint(kernel_hw, stride, dilation)
        if nhwc_memory(gpad):
            kernel = kernels().max_pool_bwd
        else:  # NCHW memory (``g`` and ``arg`` have the layout of ``gpad``)
            kernel, g, arg, gpad = kernels().max_pool_bwd_planes, nchw(g), nchw(arg), nchw(gpad)
        threads.run_split(lambda share: [kernel(g[a:b], arg[a:b], gpad[a:b], kh, kw, sh, sw,
                                                dh, dw, disjoint) for a, b in share],
                          threads.split_images(g.shape[0], g[0].nbytes))


class BatchNorm(normalization.BatchNorm):
    """Twin of ``ops.normalization.BatchNorm`` in training, for a 4-d float input in NCHW or
    channels-last memory and a weight and bias: two passes forward (the statistics, then
    x_hat and the output), two backward (the sums, then the input gradient), over the
    ``(N, C, H*W)`` planes or the ``(N*H*W, C)`` rows instead of NumPy's strided reductions.
    The sums are taken in float64, so float32 results differ from NumPy's pairwise float32
    sums by rounding (tested to 1e-5); anything else takes the reference."""

    def forward(self, x, weight=None, bias=None, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        # channels-last memory: (N*H*W, C) rows; NCHW memory: (N, C, H*W) planes
        self.planes = x.ndim == 4 and x.flags.c_contiguous
        if x.ndim != 4:
            data = None
        elif self.planes:
            data = x.reshape(x.shape[0], x.shape[1], -1)
        else:
            data = nhwc(x)
        self.compiled = (training and data is not None and weight is not None
                         and bias is not None and _ok(data, weight, bias))
        if not self.compiled:
            return super().forward(x, weight, bias, running_mean, running_var, training,
                                   momentum, eps)
        n, c, h, w = x.shape
        if not self.planes:
            data = data.reshape(-1, c)
        out, x_hat = np.empty_like(data), np.empty_like(data)
        mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)
        kernel = kernels().batch_norm_fwd_planes if self.planes else kernels().batch_norm_fwd
        invstd = kernel(data, weight, bias, x.dtype.type(eps), out, x_hat, mean, var)
        if running_mean is not None:  # as the reference, from the float statistics
            m = n * h * w
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var
        self.saved = (x_hat, invstd, weight)
        self.training, self.shape = training, (n, h, w, c)
        return out.reshape(n, c, h, w) if self.planes else nchw(out.reshape(n, h, w, c))

    def backward(self, grad):
        if not self.compiled:
            return super().backward(grad)
        x_hat, invstd, weight = self.saved
        n, h, w, c = self.shape
        if self.planes:
            g = np.ascontiguousarray(grad).reshape(n, c, -1)
        else:
            g = np.ascontiguousarray(nhwc(grad)).reshape(-1, c)
        gx, gw, gb = np.empty_like(g), np.empty(c, g.dtype), np.empty(c, g.dtype)
        kernel = kernels().batch_norm_bwd_planes if self.planes else kernels().batch_norm_bwd
        kernel(g, x_hat, invstd, weight, gx, gw, gb)
        gx = gx.reshape(n, c, h, w) if self.planes else nchw(gx.reshape(n, h, w, c))
        return (gx if self.needs[0] else None,
                gw if self.needs[1] else None, gb if self.needs[2] else None)
