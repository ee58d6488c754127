"""The error function family: ``erf``, ``erfc``, ``erfinv``.

NumPy has no erf. Values come from Python's ``math.erf`` / ``math.erfc`` (correctly rounded
to float64) applied element-wise, then cast to the input's dtype, so float32 and float64
both match PyTorch to the last bits. ``erfinv`` starts from Giles' single-precision
approximation and polishes it with Newton steps on ``erf``.
"""
import math

from .._backend import xp
from ..autograd.function import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf_u = xp.frompyfunc(math.erf, 1, 1)
_erfc_u = xp.frompyfunc(math.erfc, 1, 1)


def _elementwise(ufunc, a):
    out = ufunc(a.astype(xp.float64, copy=False))
    return xp.asarray(out, dtype=xp.float64).astype(a.dtype, copy=False)


def erf_array(a):
    return _elementwise(_erf_u, a)


def erfc_array(a):
    return _elementwise(_erfc_u, a)


def erfinv_array(a):
    y = a.astype(xp.float64)
    with xp.errstate(divide="ignore", invalid="ignore"):
        w = -xp.log((1.0 - y) * (1.0 + y))
        small = w < 5.0
        ws, wb = w - 2.5, xp.sqrt(w) - 3.0
        p_small = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p_small = c + p_small * ws
        p_big = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p_big = c + p_big * wb
        x = xp.where(small, p_small, p_big) * y
        for _ in range(2):  # Newton on erf(x) = y; converges quadratically from ~1e-7
            fine = xp.isfinite(x)
            err = xp.where(fine, _elementwise(_erf_u, xp.where(fine, x, 0.0)) - y, 0.0)
            x = x - err / (_TWO_OVER_SQRT_PI * xp.exp(-xp.where(fine, x, 0.0) ** 2))
        x = xp.where(y == 1, xp.inf, xp.where(y == -1, -xp.inf, x))
        x = xp.where(xp.abs(y) > 1, xp.nan, x)
    return x.astype(a.dtype, copy=False)


class Erf(Function):
    """d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)."""

    def forward(self, x):
        self.saved = (x,)
        return erf_array(x)

    def backward(self, grad):
        (x,) = self.saved
        return (grad * (_TWO_OVER_SQRT_PI * xp.exp(-x * x)).astype(x.dtype, copy=False),)


class Erfc(Function):
    def forward(self, x):
        self.saved = (x,)
        return erfc_array(x)

    def backward(self, grad):
        (x,) = self.saved
        return (grad * (-_TWO_OVER_SQRT_PI * xp.exp(-x * x)).astype(x.dtype, copy=False),)


class Erfinv(Function):
    """d/dy erfinv(y) = sqrt(pi)/2 * exp(erfinv(y)^2)."""

    def forward(self, y):
        out = erfinv_array(y)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad * ((1 / _TWO_OVER_SQRT_PI) * xp.exp(out * out)).astype(out.dtype, copy=False),)


def _floating(x, op):
    from .unary import _floating as check

    return check(x, op)


def erf(x):
    return Erf.apply(_floating(x, "erf"))


def erfc(x):
    return Erfc.apply(_floating(x, "erfc"))


def erfinv(x):
    return Erfinv.apply(_floating(x, "erfinv"))
