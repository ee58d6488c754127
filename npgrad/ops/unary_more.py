"""More element-wise math PyTorch programs use: log10, log2, exp2, expm1, sinh, cosh, asin,
acos, atan (and NumPy's arc* aliases, as torch has). Integer inputs give float32, as in
PyTorch; each backward sits beside its forward."""
import math

from .._backend import xp
from ..autograd.function import Op
from .unary import _floating


class Log10(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.log10(x)

    def backward(self, grad):  # d/dx log10 x = 1 / (x ln 10)
        return (grad / (self.saved[0] * math.log(10.0)),)


class Log2(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.log2(x)

    def backward(self, grad):  # d/dx log2 x = 1 / (x ln 2)
        return (grad / (self.saved[0] * math.log(2.0)),)


class Exp2(Op):
    def forward(self, x):
        out = xp.exp2(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx 2^x = 2^x ln 2
        return (grad * self.saved[0] * math.log(2.0),)


class Expm1(Op):
    def forward(self, x):
        out = xp.expm1(x)
        self.saved = (out,)
        return out

    def backward(self, grad):  # d/dx (e^x - 1) = e^x = out + 1
        return (grad * (self.saved[0] + 1),)


class Sinh(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.sinh(x)

    def backward(self, grad):
        return (grad * xp.cosh(self.saved[0]),)


class Cosh(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.cosh(x)

    def backward(self, grad):
        return (grad * xp.sinh(self.saved[0]),)


class Asin(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.arcsin(x)

    def backward(self, grad):  # 1 / sqrt(1 - x^2)
        x = self.saved[0]
        return (grad / xp.sqrt(1 - x * x),)


class Acos(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.arccos(x)

    def backward(self, grad):  # -1 / sqrt(1 - x^2)
        x = self.saved[0]
        return (-grad / xp.sqrt(1 - x * x),)


class Atan(Op):
    def forward(self, x):
        self.saved = (x,)
        return xp.arctan(x)

    def backward(self, grad):  # 1 / (1 + x^2)
        x = self.saved[0]
        return (grad / (1 + x * x),)


def _op(cls, name):
    def fn(input):
        return cls.apply(_floating(input, name))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}``: element-wise, differentiable; integers give float32."
    return fn


log10 = _op(Log10, "log10")
log2 = _op(Log2, "log2")
exp2 = _op(Exp2, "exp2")
expm1 = _op(Expm1, "expm1")
sinh = _op(Sinh, "sinh")
cosh = _op(Cosh, "cosh")
asin = _op(Asin, "asin")
acos = _op(Acos, "acos")
atan = _op(Atan, "atan")

#: name -> function, as ``npgrad.<name>`` and ``Tensor.<name>`` (PyTorch's arc* aliases too)
FUNCTIONS = {"log10": log10, "log2": log2, "exp2": exp2, "expm1": expm1, "sinh": sinh,
             "cosh": cosh, "asin": asin, "acos": acos, "atan": atan,
             "arcsin": asin, "arccos": acos, "arctan": atan}
