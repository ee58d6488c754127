"""The compiled twins as npgrad ops: each subclasses (or stands beside) its reference and
falls back to it wherever the cheap check fails (dtype, memory layout, options)."""
import numpy as np

from ...autograd.function import Op
from ...ops import loss
from .. import threads
from . import kernels

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_NO_MASK = {dt: np.empty((0, 0), dt) for dt in _FLOATS}


def _ok(*arrays):
    """The kernels' cheap check: float32/float64, C-ordered, one dtype."""
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)


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
    twin of ``ops.linalg.Linear`` -> ``ops.unary.Relu`` (-> ``ops.activation.MaskMul``)
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
