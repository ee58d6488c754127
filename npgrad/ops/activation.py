"""Activation functions and dropout, each forward beside its backward: ReLU, sigmoid, softmax
and log-softmax first, then the rest (leaky ReLU, ELU, GELU, SiLU, softplus, hardtanh), then
dropout. (``tanh`` is also an activation, but as ``torch.tanh`` it lives with the other
element-wise math in ``ops.unary``.) Every backward here is the local derivative times the incoming gradient;
where the derivative is cheapest from the output or from a mask, that is what is saved.
Python-number constants keep float32 arrays float32 (NumPy 2 treats them as "weak").
"""
import math

from .._backend import xp
from .._memory_format import dense_order, fresh
from .._tensor import Tensor, _dim
from ..autograd import dual
from ..autograd.function import Op
from ..random import get_rng
from . import inplace
from .unary import _floating


def _stable_sigmoid(x):
    """1 / (1 + e^-x) without overflow: e^-|x| never exceeds 1."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------------- the classic four
# ReLU, sigmoid, softmax and log-softmax: the activations every tutorial starts with.
class Relu(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0

    def forward(self, x):
        out = xp.maximum(x, 0)
        self.saved = (out,)
        return out

    def backward(self, grad):  # 0 where x <= 0 (also at 0), else 1 - NaN included, as PyTorch
        return (grad * ~(self.saved[0] <= 0),)


class Sigmoid(Op):
    """1 / (1 + e^-x), computed so that it never overflows: e^-|x| is at most 1."""
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0  # saved[0] is the output

    def forward(self, x):
        out = _stable_sigmoid(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx σ(x) = σ(x) (1 - σ(x))
        out = self.saved[0]
        return (grad * out * (1 - out),)


class Softmax(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0

    def forward(self, x, axis):
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        out = fresh(e / e.sum(axis=axis, keepdims=True))  # contiguous, as torch's, whatever x's
        self.axis = axis
        self.saved = (out,)
        return out

    def backward(self, grad):  # y * (g - sum(g * y))
        (y,) = self.saved
        return (y * (grad - dual.sum(grad * y, axis=self.axis, keepdims=True)),)


class LogSoftmax(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0

    def forward(self, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = fresh(shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)))
        self.axis = axis
        self.saved = (out,)
        return out

    def backward(self, grad):  # g - softmax * sum(g)
        (out,) = self.saved
        return (grad - dual.exp(out) * dual.sum(grad, axis=self.axis, keepdims=True),)


def relu(x):
    return Relu.apply(x)


def sigmoid(x):
    return Sigmoid.apply(_floating(x, "sigmoid"))


def softmax(x, dim):
    return Softmax.apply(x, axis=_dim(dim, x._data.ndim, "softmax"))


def log_softmax(x, dim):
    return LogSoftmax.apply(x, axis=_dim(dim, x._data.ndim, "log_softmax"))


class LeakyRelu(Op):
    """x where x > 0, else slope * x."""

    def forward(self, x, slope):
        positive = x > 0
        self.saved = (positive,)
        self.slope = slope
        return xp.where(positive, x, x * slope)

    def backward(self, grad):
        (positive,) = self.saved
        return xp.where(positive, grad, grad * self.slope), None


class Elu(Op):
    """x where x > 0, else alpha * (e^x - 1); derivative alpha * e^x = out + alpha there."""

    def forward(self, x, alpha):
        positive = x > 0
        out = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
        self.saved = (positive, out)
        self.alpha = alpha
        return out

    def backward(self, grad):
        positive, out = self.saved
        return xp.where(positive, grad, grad * (out + self.alpha)), None


_SQRT_HALF = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def erf(x):
    """The error function, element-wise (NumPy has none).

    Abramowitz & Stegun 7.1.26: erf(|x|) = 1 - (a1 t + ... + a5 t^5) e^(-x^2), t = 1/(1 + p|x|),
    absolute error below 1.5e-7 — under float32's resolution near 1.
    """
    if x.dtype == xp.float64:  # 1.5e-7 is far from float64's resolution: the exact one
        from .special import erf_array

        return erf_array(x)
    a = xp.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    y = 1 - poly * xp.exp(-a * a)
    return xp.copysign(y, x)


class Gelu(Op):
    """x * Phi(x), Phi the standard normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def forward(self, x, approximate):
        self.approximate = approximate
        if approximate == "tanh":  # in place where it can: this runs on whole MLP layers
            inner = x * x
            inner *= _SQRT_2_OVER_PI * 0.044715
            inner += _SQRT_2_OVER_PI
            inner *= x
            th = xp.tanh(inner, out=inner)
            self.saved = (x, th)
            out = th + 1
            out *= x
            out *= 0.5
            return out
        cdf = 0.5 * (1 + erf(x * _SQRT_HALF))
        self.saved = (x, cdf)
        return x * cdf

    def backward(self, grad):
        x, s = self.saved
        if self.approximate == "tanh":
            # d/dx = 0.5 (1 + th) + 0.5 x (1 - th^2) d(inner)/dx
            #      = 0.5 (1 + th) (1 + x (1 - th) d(inner)/dx),  d(inner)/dx = c (1 + 3a x^2)
            d = x * x
            d *= _SQRT_2_OVER_PI * 3 * 0.044715
            d += _SQRT_2_OVER_PI
            d *= x
            d *= 1 - s
            d += 1
            d *= 1 + s
            d *= 0.5
            d *= grad
            return d, None
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)  # d/dx x Phi(x) = Phi(x) + x phi(x)
        return grad * (s + x * pdf), None


class Silu(Op):
    """x * sigmoid(x) (a.k.a. swish); derivative s (1 + x (1 - s))."""

    def forward(self, x):
        s = _stable_sigmoid(x)
        self.saved = (x, s)
        return x * s

    def backward(self, grad):
        x, s = self.saved
        return (grad * (s * (1 + x * (1 - s))),)


class Softplus(Op):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch).

    Written as max(z, 0) + log1p(e^-|z|) with z = beta x, so it never overflows. Its
    derivative is sigmoid(beta x).
    """

    def forward(self, x, beta, threshold):
        z = x * beta if beta != 1 else x
        linear = z > threshold
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        self.saved = (z, linear)
        return xp.where(linear, x, soft)

    def backward(self, grad):
        z, linear = self.saved
        return xp.where(linear, grad, grad * _stable_sigmoid(z)), None, None


class Hardtanh(Op):
    """x clipped to [lo, hi]; gradient 1 strictly inside, 0 outside."""

    def forward(self, x, lo, hi):
        self.saved = ((x > lo) & (x < hi),)
        return xp.clip(x, lo, hi)

    def backward(self, grad):
        return grad * self.saved[0], None, None


class MaskMul(Op):
    """x * mask for a constant mask (dropout): the backward is grad * mask."""

    def forward(self, x, mask):
        self.saved = (mask,)
        return x * mask

    def backward(self, grad):
        return grad * self.saved[0], None


# ---------------------------------------------------------------------- functions
def _float_input(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point input, got {x.dtype}")
    return x


def maybe_inplace(x, result_fn, inplace_):
    """``inplace=True``: write the result into ``x`` (PyTorch's ``relu_`` and friends).

    Outside a recording graph the array is overwritten; inside one, the out-of-place result
    is written into ``x``, which takes its node (see ops/inplace.py). Both bump the version.
    """
    if not inplace_:
        return result_fn(x)
    if inplace._records(x):
        return inplace._take_over(x, result_fn(inplace._before(x)))
    x._data[...] = result_fn(x)._data
    return inplace._written(x)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _float_input(input, "leaky_relu")
    return maybe_inplace(input, lambda x: LeakyRelu.apply(x, negative_slope), inplace)


def elu(input, alpha=1.0, inplace=False):
    _float_input(input, "elu")
    return maybe_inplace(input, lambda x: Elu.apply(x, alpha), inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return Gelu.apply(_float_input(input, "gelu"), approximate)


def silu(input, inplace=False):
    _float_input(input, "silu")
    return maybe_inplace(input, Silu.apply, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(_float_input(input, "softplus"), beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if max_val < min_val:
        raise ValueError(f"hardtanh: max_val ({max_val}) cannot be less than min_val ({min_val})")
    _float_input(input, "hardtanh")
    return maybe_inplace(input, lambda x: Hardtanh.apply(x, min_val, max_val), inplace)


def dropout_mask(shape, p, dtype, rng):
    """Inverted dropout's mask: 0 with probability p, else 1 / (1 - p), so the expected
    output equals the input and evaluation needs no rescaling."""
    keep = rng.random(shape, dtype=xp.float32) >= p
    return xp.multiply(keep, 1 / (1 - p), dtype=dtype)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the survivors by
    1 / (1 - p). The identity when not training or when p = 0."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    data = input._data
    order = dense_order(data)  # the mask in the input's memory order, so the output's too
    shape = data.shape if order is None else tuple(data.shape[k] for k in order)
    if p == 1.0:
        mask = xp.zeros(shape, dtype=data.dtype)
    else:
        mask = dropout_mask(shape, p, data.dtype, get_rng())
    if order is not None:
        mask = mask.transpose(xp.argsort(order))
    return maybe_inplace(input, lambda x: MaskMul.apply(x, mask), inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout: zero whole feature maps ``input[n, c]`` with probability ``p`` and
    scale the rest by 1 / (1 - p). Neighbouring pixels of a map are strongly correlated, so
    dropping single pixels regularises little; dropping maps does (Tompson et al., 2015).

    Input (N, C, H, W), or (N, C, L) treated per channel as PyTorch does. Other inputs of at
    least 2 dims are accepted with PyTorch's deprecation warning and the same behaviour: the
    mask is drawn per ``input[n, c]`` (so a 2-d (N, C) input drops single elements).
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(input, Tensor) or input._data.ndim < 2:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"dropout2d: feature dropout requires at least 2 dimensions in the "
                           f"input, got {got}")
    if input._data.ndim not in (3, 4):
        import warnings
        warnings.warn(f"dropout2d: Received a {input._data.ndim}-D input to dropout2d, which is "
                      "deprecated (PyTorch will make it an error). Use dropout instead: "
                      "dropout2d drops whole channels of 3-D or 4-D inputs.", stacklevel=2)
    if not training or p == 0.0:
        return input
    data = input._data
    mask_shape = data.shape[:2] + (1,) * (data.ndim - 2)
    if p == 1.0:
        mask = xp.zeros(mask_shape, data.dtype)
    else:
        mask = dropout_mask(mask_shape, p, data.dtype, get_rng())
    return maybe_inplace(input, lambda x: MaskMul.apply(x, mask), inplace)
