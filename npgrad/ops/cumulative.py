"""Running products and running log-sum-exps along one dim: ``cumprod`` and
``logcumsumexp`` (``cumsum`` is in reduction.py, ``cummax``/``cummin`` in misc.py).

    cumprod([2, 3, 0, 4])          = [2, 6, 0, 0]
    logcumsumexp([0, 0, log 2])    = [0, log 2, log 4]
"""
from .._backend import xp
from .._tensor import _dim
from ..autograd.function import Op
from .reduction import running_sum


def _reverse_cumsum(a, axis):
    """Running sums from the end, added up as PyTorch's (``reduction.running_sum``)."""
    return running_sum(a, axis, reverse=True)


# ---------------------------------------------------------------- cumprod
class CumProd(Op):
    def forward(self, x, axis):
        self.axis = axis
        with xp.errstate(all="ignore"):  # inf * 0 = nan, overflow to inf: quietly, as torch
            out = xp.cumprod(x, axis=axis)
        if not out.flags.c_contiguous:  # NumPy keeps a transposed input's layout; torch not
            out = xp.ascontiguousarray(out)
        self.saved = (x, out)
        return out

    def backward(self, grad):
        with xp.errstate(all="ignore"):  # inf and nan inputs: quietly, as torch
            return self._backward(grad)

    def _backward(self, grad):
        # out_j = x_0 ... x_j, so d out_j / d x_k = prod_{i <= j, i != k} x_i for k <= j.
        # Without zeros that is out_j / x_k, and the gradient is a reversed running sum of
        # grad * out divided by x. A zero at z makes every out_j (j >= z) zero: inputs before
        # the first zero still follow the formula, inputs after it get 0, and the first zero
        # itself gets prefix(z) * sum_{j >= z} grad_j * prod_{z < i <= j} x_i.
        x, out = self.saved
        axis = self.axis
        n = x.shape[axis]
        if n == 0:
            return (xp.zeros_like(grad),)
        zero = x == 0
        if not zero.any():
            return (_reverse_cumsum(grad * out, axis) / x,)
        shape = [1] * x.ndim
        shape[axis] = n
        k = xp.arange(n).reshape(shape)
        first = xp.where(zero.any(axis=axis, keepdims=True), xp.argmax(zero, axis=axis, keepdims=True), n)
        before = k < first
        safe = xp.where(before, x, 1)
        # (the outputs from the first zero on are 0 whatever the inputs: left out of the sum,
        # as torch does, so an inf before the zero does not turn them into nan)
        gx = xp.where(before, _reverse_cumsum(xp.where(before, grad * out, 0), axis) / safe, 0)
        # the first zero: the product before it, times grad weighted by the products after it
        after = xp.cumprod(xp.where(k <= first, 1, x), axis=axis)
        tail = xp.where(k >= first, grad * after, 0).sum(axis=axis, keepdims=True)
        prefix = xp.prod(safe, axis=axis, keepdims=True)
        return (xp.where(k == first, prefix * tail, gx).astype(grad.dtype, copy=False),)


def cumprod(input, dim, *, dtype=None, out=None):
    """``torch.cumprod(input, dim, dtype=None)``: the running product along ``dim``.
    Integers and bools give int64 unless ``dtype`` says otherwise, as in PyTorch."""
    if dtype is not None:
        input = input.type(dtype)
    elif input._data.dtype.kind in "bui":
        input = input.long()
    axis = _dim(dim, input._data.ndim, "cumprod")
    if input._data.ndim == 0:
        result = CumProd.apply(input.reshape(1), axis=0).reshape(())
    else:
        result = CumProd.apply(input, axis=axis)
    if out is not None:
        out.copy_(result)
        return out
    return result


# ---------------------------------------------------------------- logcumsumexp
def _reverse_logcumsumexp(a, axis):
    return xp.flip(xp.logaddexp.accumulate(xp.flip(a, axis), axis=axis), axis)


class LogCumSumExp(Op):
    def forward(self, x, axis):
        self.axis = axis
        out = xp.logaddexp.accumulate(x, axis=axis) if x.shape[axis] else x.copy()
        if not out.flags.c_contiguous:  # contiguous, as PyTorch's
            out = xp.ascontiguousarray(out)
        self.saved = (x, out)
        return out

    def backward(self, grad):
        # d out_j / d x_k = exp(x_k - out_j) for k <= j, so the gradient is
        # exp(x_k) * sum_{j >= k} grad_j exp(-out_j). Computed in log space, positive and
        # negative parts of grad apart, so that large x neither overflows nor underflows.
        x, out = self.saved
        axis = self.axis
        if x.shape[axis] == 0:
            return (xp.zeros_like(grad),)
        with xp.errstate(divide="ignore", invalid="ignore"):
            pos = _reverse_logcumsumexp(xp.log(xp.maximum(grad, 0)) - out, axis)
            neg = _reverse_logcumsumexp(xp.log(xp.maximum(-grad, 0)) - out, axis)
            gx = xp.exp(x + pos) - xp.exp(x + neg)
        return (gx.astype(grad.dtype, copy=False),)


def logcumsumexp(input, dim, *, out=None):
    """``torch.logcumsumexp(input, dim)``: ``log(cumsum(exp(input)))`` along ``dim``, without
    overflow. Floating-point inputs only, as in PyTorch."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"logcumsumexp: not implemented for integer or bool tensors "
                                  f"(got {input.dtype}); convert with .float() first")
    axis = _dim(dim, input._data.ndim, "logcumsumexp")
    if input._data.ndim == 0:
        result = LogCumSumExp.apply(input.reshape(1), axis=0).reshape(())
    else:
        result = LogCumSumExp.apply(input, axis=axis)
    if out is not None:
        out.copy_(result)
        return out
    return result


#: name -> function, as ``npgrad.<name>`` and ``Tensor.<name>``
FUNCTIONS = {"cumprod": cumprod, "logcumsumexp": logcumsumexp}
