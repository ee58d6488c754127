"""Element-wise math on one tensor: exp, log, sqrt, trig, tanh, sigmoid, relu, clamp, ...

Each backward is the derivative of its forward times the incoming gradient (the chain rule).
Where the derivative is cheapest from the output (exp, tanh, sigmoid, relu), the output is
what gets saved.
"""
import builtins

from .. import _dtype
from .._backend import xp
from .._tensor import Tensor
from ..autograd import dual
from ..autograd.function import Op


class Exp(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0  # saved[0] is the output

    def forward(self, x):
        out = xp.exp(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx e^x = e^x
        return (grad * self.saved[0],)


class Log(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x):
        self.saved = (x,)
        return xp.log(x)

    def backward(self, grad):  # d/dx log x = 1/x
        return (grad / self.saved[0],)


class Log1p(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x):
        self.saved = (x,)
        return xp.log1p(x)

    def backward(self, grad):
        return (grad / (1 + self.saved[0]),)


class Sqrt(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0  # saved[0] is the output

    def forward(self, x):
        out = xp.sqrt(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx sqrt(x) = 1 / (2 sqrt(x))
        return (grad / (2 * self.saved[0]),)


class Rsqrt(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0  # saved[0] is the output

    def forward(self, x):
        out = 1 / xp.sqrt(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx x^-1/2 = -1/2 x^-3/2
        out = self.saved[0]
        return (grad * -0.5 * out * out * out,)


class Sin(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x):
        self.saved = (x,)
        return xp.sin(x)

    def backward(self, grad):
        return (grad * dual.cos(self.saved[0]),)


class Cos(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, x):
        self.saved = (x,)
        return xp.cos(x)

    def backward(self, grad):
        return (-grad * dual.sin(self.saved[0]),)


class Tanh(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_out = 0  # saved[0] is the output

    def forward(self, x):
        out = xp.tanh(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx tanh x = 1 - tanh² x
        out = self.saved[0]
        return (grad * (1 - out * out),)


class Abs(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.abs(x)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):  # sign(x); 0 at 0 and at NaN, as PyTorch's sgn
        return (grad * _sign(dual.data(self.saved[0])),)


class Clamp(Op):
    """Values clipped to [lo, hi]; the gradient passes where lo <= x <= hi."""

    def forward(self, x, lo=None, hi=None):
        self.saved = (x,)
        self.lo, self.hi = lo, hi
        return xp.clip(x, lo, hi)

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        x = dual.data(self.saved[0])  # the mask is a constant: its derivative is 0
        inside = xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return (grad * inside,)


class _Flat(Op):
    """Ops that are flat almost everywhere (sign, floor, ceil, round): gradient zero."""

    _double = True  # backward works on Tensors too (create_graph)

    def backward(self, grad):
        if dual._t(grad):  # create_graph: zeros, recorded as a function of grad
            return (dual.where(xp.zeros(tuple(grad.shape), bool), grad, 0.0),)
        return (xp.zeros_like(grad),)


def _sign(x):
    """-1, 0 or 1; 0 for NaN (PyTorch's sign and sgn; NumPy's sign gives NaN)."""
    if x.dtype.kind not in "fc":
        return xp.sign(x)
    return (x > 0).astype(x.dtype) - (x < 0)


class Sign(_Flat):
    def forward(self, x):
        return _sign(x)


class Floor(_Flat):
    def forward(self, x):
        return xp.floor(x)


class Ceil(_Flat):
    def forward(self, x):
        return xp.ceil(x)


class Round(_Flat):
    def forward(self, x, decimals=0):
        return xp.round(x, decimals)


class Trunc(_Flat):
    def forward(self, x):
        return xp.trunc(x)


def _floating(x, op):
    """exp, log, sqrt, ... of an integer tensor give float32, as in PyTorch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        return Tensor._make(x._data.astype(_dtype.default_float), None)
    return x


def exp(x):
    return Exp.apply(_floating(x, "exp"))


def log(x):
    return Log.apply(_floating(x, "log"))


def log1p(x):
    return Log1p.apply(_floating(x, "log1p"))


def sqrt(x):
    return Sqrt.apply(_floating(x, "sqrt"))


def rsqrt(x):
    return Rsqrt.apply(_floating(x, "rsqrt"))


def sin(x):
    return Sin.apply(_floating(x, "sin"))


def cos(x):
    return Cos.apply(_floating(x, "cos"))


def tanh(x):
    return Tanh.apply(_floating(x, "tanh"))


def abs(x):
    return Abs.apply(x)


def sign(x):
    return Sign.apply(x)


def floor(x):
    return Floor.apply(x)


def ceil(x):
    return Ceil.apply(x)


def round(x, decimals=0):
    return Round.apply(x, decimals=decimals)


def trunc(x):
    return Trunc.apply(x)


def clamp(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # tensor bounds: compose
        from .arithmetic import maximum, minimum

        out = x if min is None else maximum(x, min)
        return out if max is None else minimum(out, max)
    if x._data.dtype.kind != "f" and builtins.any(isinstance(v, builtins.float) for v in (min, max)):
        x = _floating(x, "clamp")
    return Clamp.apply(x, lo=min, hi=max)


clip = clamp
