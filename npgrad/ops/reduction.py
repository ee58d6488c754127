"""Reductions along dimensions: sum, mean, prod, max/min, var/std, logsumexp, softmax, ...

The backward of a reduction spreads the gradient back over the reduced dimensions:
``_unreduce`` puts the reduced axes back (as size 1) so the gradient broadcasts over them.
"""
import builtins

from .. import _dtype
from .._backend import xp
from .._memory_format import fresh
from .._tensor import ReturnTypes, Tensor, _dim
from ..autograd import dual
from ..autograd.function import Op


def _axes(dim, ndim, op):
    """dim (None, an int, or a tuple) as a sorted tuple of non-negative axes (None: all)."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_dim(d, ndim, op) for d in dim))
    else:
        axes = (_dim(dim, ndim, op),)
    return axes if ndim else None  # a 0-d tensor accepts dim 0 or -1: reduce "everything"


def _drop_axes(out, axes):
    """A result computed with keepdims=True, with the reduced axes removed."""
    return out.reshape(()) if axes is None else out.squeeze(axes)


def _unreduce(grad, axes, keepdim, shape):
    """The gradient of a reduction, shaped to broadcast against the input."""
    if axes is None:
        return dual.broadcast_to(grad.reshape((1,) * len(shape)), shape)
    if not keepdim:
        grad = dual.expand_dims(grad, axes)
    return dual.broadcast_to(grad, shape)


class Sum(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x, axes=None, keepdim=False, dtype=None):
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        # ufunc.reduce directly: ndarray.sum() goes through a Python wrapper in NumPy
        return fresh(xp.add.reduce(x, axis=axes, dtype=dtype, keepdims=keepdim))

    def backward(self, grad):
        return (_unreduce(grad, self.axes, self.keepdim, self.shape),)


class Mean(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x, axes=None, keepdim=False):
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        total = fresh(xp.add.reduce(x, axis=axes, keepdims=keepdim))  # x.mean(), no wrapper
        count = x.size // builtins.max(xp.size(total), 1) if x.size else 0
        self.scale = 1.0 / count if count else 0.0
        return xp.true_divide(total, count) if count else total * xp.nan

    def backward(self, grad):
        return (_unreduce(grad * self.scale, self.axes, self.keepdim, self.shape),)


class Prod(Op):
    """d(prod)/dx_i is the product of all the other elements: the product of everything
    before i times everything after i (exclusive cumulative products), so zeros are fine."""

    def forward(self, x, axis=None, keepdim=False):
        self.axis, self.keepdim, self.shape = axis, keepdim, x.shape
        self.saved = (x,)
        with xp.errstate(all="ignore"):  # inf, nan (inf * 0) as the answer, quietly, as torch
            return fresh(x.prod(axis=axis, keepdims=keepdim))

    def backward(self, grad):
        with xp.errstate(all="ignore"):
            return self._backward(grad)

    def _backward(self, grad):
        (x,) = self.saved
        if x.size == 0:
            return (xp.zeros(self.shape, grad.dtype),)
        axes = None if self.axis is None else (self.axis,)
        zeros = xp.count_nonzero(x == 0)
        if x.dtype.kind in "fc" and not zeros:
            # no zeros: prod / x, as PyTorch (a NaN or inf then spreads as it does there)
            out = x.prod(axis=self.axis, keepdims=True)
            return (_unreduce(grad, axes, self.keepdim, self.shape) * (out / x),)
        if self.axis is None and zeros > 1:  # the whole product with two zeros: flat
            return (xp.zeros(self.shape, grad.dtype),)
        axis = self.axis
        flat = x.reshape(-1) if axis is None else x
        ax = 0 if axis is None else axis
        ones = xp.ones_like(xp.take(flat, [0], axis=ax))
        before = xp.cumprod(xp.concatenate([ones, xp.delete(flat, -1, axis=ax)], axis=ax), axis=ax)
        rev = xp.flip(flat, axis=ax)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.delete(rev, -1, axis=ax)], axis=ax), axis=ax), axis=ax)
        others = (before * after).reshape(self.shape)
        return (_unreduce(grad, axes, self.keepdim, self.shape) * others,)


class Extreme(Op):
    """max/min over axes (amax/amin): the gradient is shared evenly among tied extremes."""

    def forward(self, x, axes=None, keepdim=False, largest=True, evenly=False):
        out = fresh((xp.amax if largest else xp.amin)(x, axis=axes, keepdims=True))
        self.axes, self.keepdim, self.shape, self.evenly = axes, keepdim, x.shape, evenly
        self.saved = (x, out)
        return out if keepdim else _drop_axes(out, axes)

    _double = True  # backward works on Tensors too (create_graph): the mask is a constant

    def backward(self, grad):
        x, out = dual.data(self.saved[0]), dual.data(self.saved[1])
        if self.evenly and out.dtype.kind in "fc" and xp.isnan(out).any():
            hits = xp.isnan(x)  # max()/min() of all elements with a NaN: shared by the NaNs
        else:
            hits = x == out
        count = hits.sum(axis=self.axes, keepdims=True)
        with xp.errstate(invalid="ignore", divide="ignore"):  # amax with a NaN: 0/0, as torch
            return (_unreduce(grad, self.axes, self.keepdim, self.shape) * hits / count,)


class ExtremeAlong(Op):
    """max/min along one dim with indices: the gradient goes to the chosen index only."""

    def forward(self, x, axis, keepdim, indices):
        self.axis, self.keepdim, self.shape = axis, keepdim, x.shape
        idx = xp.expand_dims(indices, axis)  # indices come without the reduced axis
        self.saved = (idx,)
        out = fresh(xp.take_along_axis(x, idx, axis=axis))
        return out if keepdim else out.squeeze(axis)

    def backward(self, grad):
        (idx,) = self.saved
        g = grad if self.keepdim else xp.expand_dims(grad, self.axis)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        xp.put_along_axis(out, idx, g, axis=self.axis)
        return (out,)


class Var(Op):
    def forward(self, x, axes=None, correction=1, keepdim=False):
        return self._var(x, axes, correction, keepdim).astype(x.dtype, copy=False)

    def _var(self, x, axes, correction, keepdim):
        """The variance, in float64 for a float32 input: (1e38 - mean)**2 must not overflow
        where torch's accumulation does not. inf - inf and the like give nan quietly."""
        if x.dtype == xp.float32:
            x = x.astype(xp.float64)
            self._double = False  # saved a float64 copy, not the input: no create_graph
        with xp.errstate(all="ignore"):
            return self._var64(x, axes, correction, keepdim)

    def _var64(self, x, axes, correction, keepdim):
        mean = x.mean(axis=axes, keepdims=True)
        n = x.size if axes is None else builtins.int(xp.prod([x.shape[a] for a in axes]))
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        self.denominator = builtins.max(n - correction, 0)
        self.saved = (x, mean)
        return fresh(xp.var(x, axis=axes, ddof=correction, keepdims=keepdim))

    _double = True  # float64 inputs (see _var)

    def backward(self, grad):  # d/dx_i var = 2 (x_i - mean) / (n - correction)
        x, mean = self.saved[:2]
        if dual._t(x):  # create_graph: the mean as a function of x
            mean = x.mean(dim=self.axes if self.axes is not None else tuple(range(x.ndim)), keepdim=True)
        g = _unreduce(grad, self.axes, self.keepdim, self.shape)
        scale = 2.0 / self.denominator if self.denominator else xp.nan  # one value: nan, as torch
        return (g * scale * (x - mean),)


class Std(Var):
    """sqrt(var). d std = d var / (2 std), taken as 0 where std is 0 (constant input), as in
    PyTorch, where sqrt's own derivative would give 0 * inf = nan."""

    def forward(self, x, axes=None, correction=1, keepdim=False):
        out = xp.sqrt(self._var(x, axes, correction, keepdim)).astype(x.dtype, copy=False)
        self.saved = self.saved + (out,)
        return out

    _saved_out = 2

    def backward(self, grad):
        out = self.saved[2]
        zero = dual.data(out) == 0
        return super().backward(dual.where(zero, 0, grad / dual.where(zero, 1, 2 * out)))


class Norm2(Op):
    """The Euclidean norm sqrt(sum x²); its gradient x / norm is taken as 0 at a zero vector,
    as in PyTorch."""

    def forward(self, x, axes=None, keepdim=False):
        out = fresh(xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True)))
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        self.saved = (x, out)
        return out if keepdim else _drop_axes(out, axes)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        x, out = self.saved
        zero = dual.data(out) == 0
        if dual._t(x):  # create_graph: the norm as a function of x
            dims = self.axes if self.axes is not None else tuple(range(x.ndim))
            out = (x * x).sum(dim=dims, keepdim=True).sqrt() if x.ndim else abs(x)
        g = _unreduce(grad, self.axes, self.keepdim, self.shape)
        return (g * x / dual.where(zero, 1, out),)


class LogSumExp(Op):
    """log(sum(exp(x))) with the max subtracted first, so exp never overflows."""

    def forward(self, x, axes=None, keepdim=False):
        m = xp.amax(x, axis=axes, keepdims=True, initial=-xp.inf)  # -inf over empty dims
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):  # log(0) = -inf over empty dims, as PyTorch
            out = fresh(xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m)
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        self.saved = (x, out)
        return out if keepdim else _drop_axes(out, axes)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):  # d/dx_i logsumexp = softmax(x)_i
        x, out = self.saved
        if dual._t(x):  # create_graph: out as a function of x
            dims = self.axes if self.axes is not None else tuple(range(x.ndim))
            out = logsumexp(x, dims, keepdim=True) if x.ndim else x
        return (_unreduce(grad, self.axes, self.keepdim, self.shape) * dual.exp(x - out),)


def running_sum(a, axis, reverse=False):
    """``cumsum`` along ``axis`` (from the end, with ``reverse``). As PyTorch's CPU cumsum,
    float32 and float16 are added up in float64 and each sum cast back: over a million
    float32 0.1s the last sum is 100000.0, not NumPy's float32 100958.3, and a partial sum
    overflows only where the sum itself does."""
    acc = xp.float64 if a.dtype in (xp.float32, xp.float16) else None
    if reverse:
        a = xp.flip(a, axis)
    out = xp.cumsum(a, axis=axis, dtype=acc).astype(a.dtype, copy=False)
    return xp.flip(out, axis) if reverse else out


class CumSum(Op):
    def forward(self, x, axis):
        self.axis = axis
        return fresh(running_sum(x, axis))

    def backward(self, grad):  # each input feeds every later output: reversed cumsum
        return (running_sum(grad, self.axis, reverse=True),)


# ---------------------------------------------------------------- the functions
def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_np(dtype)
    if x._data.dtype.kind in "bui":  # integer sums are int64, as in PyTorch
        return _dtype.default_int
    return None


def sum(x, dim=None, keepdim=False, dtype=None):
    return Sum.apply(x, axes=_axes(dim, x._data.ndim, "sum"), keepdim=keepdim, dtype=_sum_dtype(x, dtype))


def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.type(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {x.dtype}"
        )
    return Mean.apply(x, axes=_axes(dim, x._data.ndim, "mean"), keepdim=keepdim)


def prod(x, dim=None, keepdim=False, dtype=None):
    dtype = _sum_dtype(x, dtype)  # integers multiply in int64, as in PyTorch
    if dtype is not None:
        x = x.type(dtype)
    axis = None if dim is None else _dim(dim, x._data.ndim, "prod")
    return Prod.apply(x, axis=axis, keepdim=keepdim)


def _max_or_min(x, dim, keepdim, largest, op):
    if isinstance(dim, Tensor):  # torch.max(a, b) is the element-wise maximum
        from .arithmetic import maximum, minimum

        return (maximum if largest else minimum)(x, dim)
    if x._data.size == 0 and dim is None:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:  # PyTorch's evenly_distribute_backward: NaNs share the gradient
        return Extreme.apply(x, axes=None, keepdim=False, largest=largest, evenly=True)
    axis = _dim(dim, x._data.ndim, op)
    if x._data.ndim == 0:  # max(0) of a 0-d tensor: the value itself, at index 0
        values = Extreme.apply(x, axes=None, keepdim=False, largest=largest, evenly=True)
        return ReturnTypes(values, Tensor._make(xp.zeros((), xp.int64), None))
    indices = (xp.argmax if largest else xp.argmin)(x._data, axis=axis)
    values = ExtremeAlong.apply(x, axis=axis, keepdim=keepdim, indices=indices)
    if keepdim:
        indices = xp.expand_dims(indices, axis)
    return ReturnTypes(values, Tensor._make(fresh(indices.astype(xp.int64)), None))


def max(x, dim=None, keepdim=False):
    return _max_or_min(x, dim, keepdim, True, "max")


def min(x, dim=None, keepdim=False):
    return _max_or_min(x, dim, keepdim, False, "min")


def amax(x, dim=None, keepdim=False):
    return Extreme.apply(x, axes=_axes(dim, x._data.ndim, "amax"), keepdim=keepdim, largest=True)


def amin(x, dim=None, keepdim=False):
    return Extreme.apply(x, axes=_axes(dim, x._data.ndim, "amin"), keepdim=keepdim, largest=False)


def _arg(fn, x, dim, keepdim, op):
    if dim is None:
        out = fn(x._data.reshape(-1))
        out = xp.asarray(out).reshape((1,) * x._data.ndim) if keepdim else xp.asarray(out)
    else:
        axis = _dim(dim, x._data.ndim, op)
        out = fn(x._data, axis=axis)
        if keepdim:
            out = xp.expand_dims(out, axis)
    return Tensor._make(fresh(xp.asarray(out, dtype=xp.int64)), None)


def argmax(x, dim=None, keepdim=False):
    return _arg(xp.argmax, x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    return _arg(xp.argmin, x, dim, keepdim, "argmin")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, builtins.bool):  # var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point dtypes, got {x.dtype}")
    return Var.apply(x, axes=_axes(dim, x._data.ndim, "var"), correction=_correction(unbiased, correction), keepdim=keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, builtins.bool):  # std(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point dtypes, got {x.dtype}")
    return Std.apply(x, axes=_axes(dim, x._data.ndim, "std"), correction=_correction(unbiased, correction), keepdim=keepdim)


def all(x, dim=None, keepdim=False):
    axes = _axes(dim, x._data.ndim, "all")
    return Tensor._make(fresh(xp.asarray(xp.all(x._data, axis=axes, keepdims=keepdim))), None)


def any(x, dim=None, keepdim=False):
    axes = _axes(dim, x._data.ndim, "any")
    return Tensor._make(fresh(xp.asarray(xp.any(x._data, axis=axes, keepdims=keepdim))), None)


def logsumexp(x, dim, keepdim=False):
    if x._data.dtype.kind != "f":  # integers give float32, as in PyTorch
        x = x.float()
    return LogSumExp.apply(x, axes=_axes(dim, x._data.ndim, "logsumexp"), keepdim=keepdim)


def cumsum(x, dim, dtype=None):
    if dtype is not None:
        x = x.type(dtype)
    elif x._data.dtype.kind in "bui":  # integer running sums are int64, as in PyTorch
        x = x.long()
    return CumSum.apply(x, axis=_dim(dim, x._data.ndim, "cumsum"))


def norm(x, p=2, dim=None, keepdim=False):
    from .unary import abs

    if p in (2, "fro"):
        return Norm2.apply(x, axes=_axes(dim, x._data.ndim, "norm"), keepdim=keepdim)
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if p == float("inf"):
        return amax(abs(x), dim, keepdim)
    return sum(abs(x) ** p, dim, keepdim) ** (1.0 / p)
