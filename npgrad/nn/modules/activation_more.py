"""More activations PyTorch programs use, each a function (``F.selu``, ...) and a module
(``nn.SELU``, ...), composed from differentiable ops so each gradient is theirs: SELU, CELU,
LogSigmoid, Hardsigmoid, Hardswish, PReLU (a learned slope per channel), GLU, Threshold,
Tanhshrink, Softshrink, Hardshrink, Softsign, Softmax2d."""
import math

from ..._tensor import Tensor
from ..module import Module
from ..parameter import Parameter

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _F():
    from .. import functional
    return functional


def _where(cond, a, b):
    from ... import where
    return where(cond, a, b)


def selu(input, inplace=False):
    return _SELU_SCALE * _F().elu(input, _SELU_ALPHA)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError, alpha must not be 0")
    return _F().elu(input / alpha, 1.0) * alpha


def logsigmoid(input):
    return -_F().softplus(-input)


def hardsigmoid(input, inplace=False):
    return (input / 6 + 0.5).clamp(0.0, 1.0)


def hardswish(input, inplace=False):
    return input * (input + 3).clamp(0.0, 6.0) / 6


def prelu(input, weight):
    if weight.numel() != 1:
        channels = input.shape[1] if input.dim() >= 2 else None
        if channels != weight.numel():
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
        weight = weight.reshape(1, -1, *([1] * (input.dim() - 2)))
    return _where(input >= 0, input, weight * input)


def glu(input, dim=-1):
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim % input.dim()} "
                           f"is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def threshold(input, threshold, value, inplace=False):
    return _where(input > threshold, input, float(value))


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}.")
    return _where(input > lambd, input - lambd, _where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5):
    return _where(input.abs() > lambd, input, 0.0)


def softsign(input):
    return input / (1 + input.abs())


def _simple(name, fn, doc):
    class Activation(Module):
        def forward(self, input):
            return fn(input)

    Activation.__name__ = Activation.__qualname__ = name
    Activation.__doc__ = doc
    return Activation


LogSigmoid = _simple("LogSigmoid", logsigmoid, "log(sigmoid(x)), computed stably.")
Tanhshrink = _simple("Tanhshrink", tanhshrink, "x - tanh(x).")
Softsign = _simple("Softsign", softsign, "x / (1 + |x|).")


class _Inplace(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SELU(_Inplace):
    def forward(self, input):
        return selu(input)


class Hardsigmoid(_Inplace):
    def forward(self, input):
        return hardsigmoid(input)


class Hardswish(_Inplace):
    def forward(self, input):
        return hardswish(input)


class CELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return celu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        from ... import full
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype))

    def reset_parameters(self):
        from .. import init as _init
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Threshold(Module):
    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Softshrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    def forward(self, input):
        return hardshrink(input, self.lambd)


class Softmax2d(Module):
    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return _F().softmax(input, -3)


FUNCTIONS = ("selu", "celu", "logsigmoid", "hardsigmoid", "hardswish", "prelu", "glu",
             "threshold", "tanhshrink", "softshrink", "hardshrink", "softsign")
MODULES = ("SELU", "CELU", "LogSigmoid", "Hardsigmoid", "Hardswish", "PReLU", "GLU", "Threshold",
           "Tanhshrink", "Softshrink", "Hardshrink", "Softsign", "Softmax2d")
