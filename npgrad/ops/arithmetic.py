"""Element-wise arithmetic with broadcasting: + - * / // % ** maximum minimum where.

Broadcasting's backward (summing a gradient back down to an input's shape) happens once, in
the engine, so each backward here just returns the gradient with the output's shape.
"""
import builtins

from .. import _dtype
from .._backend import xp
from .._tensor import Tensor
from ..autograd import dual
from ..autograd.function import Op

# ---------------------------------------------------------------- type promotion
# PyTorch's rules, which differ from NumPy's: categories bool < integer < float; the higher
# category wins (int64 tensor + float32 tensor -> float32, where NumPy says float64), a
# Python number only changes the dtype when it is of a higher category (int tensor * 2.5 ->
# float32), and a 0-d tensor gives way to a tensor with dimensions of the same category.
# kind "V": ml_dtypes' bfloat16 (npgrad.bfloat16), a float for promotion with Python scalars
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2}


def _scalar_category(x):
    if isinstance(x, builtins.bool):
        return 0
    if isinstance(x, builtins.int):
        return 1
    return 2


def _to_operand(x):
    """Python numbers stay numbers; NumPy values and arrays become constant Tensors."""
    if isinstance(x, xp.generic):  # first: np.float64 is a float, but would make NumPy
        return x.item()  # compute float32 * np.float64(2) in float64
    if isinstance(x, Tensor) or isinstance(x, (builtins.int, builtins.float)):
        return x
    if isinstance(x, xp.ndarray):
        return Tensor._make(x, None)
    raise TypeError(f"unsupported operand type for a tensor op: {type(x).__name__}")


def promote(a, b):
    """``a`` and ``b`` made ready for a binary op, cast to PyTorch's result dtype."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype:
        return a, b  # the common case, first
    a, b = _to_operand(a), _to_operand(b)
    a_is_t, b_is_t = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_is_t and b_is_t:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
        if ca != cb:
            target = da if ca > cb else db
        elif a._data.ndim == 0 and b._data.ndim > 0:
            target = db
        elif b._data.ndim == 0 and a._data.ndim > 0:
            target = da
        else:
            target = xp.promote_types(da, db)
        return _cast(a, target), _cast(b, target)
    if not (a_is_t or b_is_t):
        raise TypeError("at least one operand must be a Tensor")
    t = a if a_is_t else b
    scalar = b if a_is_t else a
    if _scalar_category(scalar) > _CATEGORY[t._data.dtype.kind]:
        target = _dtype.default_float if isinstance(scalar, builtins.float) else _dtype.default_int
        t = _cast(t, target)
    return (t, scalar) if a_is_t else (scalar, t)


def _cast(t, target):
    if t._data.dtype == target:
        return t
    from .shape import cast

    return cast(t, target)


def _float_operands(a, b):
    """True division always gives a float result, as in PyTorch."""
    a, b = promote(a, b)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype.kind != "f":
        a = _cast(a, _dtype.default_float) if isinstance(a, Tensor) else a
        b = _cast(b, _dtype.default_float) if isinstance(b, Tensor) else b
    return a, b


# ---------------------------------------------------------------- the ops
class Add(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs[1] else None)


class Mul(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_for = ((1,), (0,))  # a is needed only for b's gradient, and b for a's

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return (grad * b if self.needs[0] else None), (grad * a if self.needs[1] else None)


class Div(Op):
    _double = True  # backward works on Tensors too (create_graph)
    _saved_for = ((1,), (0, 1))

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        ga = grad / b if self.needs[0] else None
        gb = -grad * a / (b * b) if self.needs[1] else None
        return ga, gb


class Neg(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


def _power(a, b):
    """a ** b, by multiplications and square roots where the exponent is a small Python
    number: NumPy's general float power is 5-20x slower than ``a*a*a`` (powf per element),
    and ``x ** 3`` in a GELU or ``x ** 2`` in a loss is the common case."""
    if type(b) is builtins.float or type(b) is builtins.int:
        if b == 2:
            return a * a
        if b == 3:
            return a * a * a
        if b == 1:
            return a.copy()
        if b == 0.5:
            return xp.sqrt(a)
        if b == -1:
            return xp.reciprocal(a) if a.dtype.kind == "f" else a**b
        if b == -0.5 and a.dtype.kind == "f":
            return xp.reciprocal(xp.sqrt(a))
        if b == -2 and a.dtype.kind == "f":
            return xp.reciprocal(a * a)
        if b == 4:
            sq = a * a
            return sq * sq
    return a**b


class Pow(Op):
    """a ** b. d/da = b * a**(b-1); d/db = a**b * log(a), taken as 0 where a == 0 <= b."""
    _double = True
    _saved_out = 2

    def forward(self, a, b):
        out = _power(a, b)
        self.saved = (a, b, out)
        if isinstance(b, xp.ndarray) and not xp.all(xp.greater(a, 0)):
            # a tensor exponent over a base <= 0: the second derivative's special cases
            # (0 ** 0, log of a negative) are not PyTorch's yet: refuse create_graph here
            self._double = False
        return out

    def backward(self, grad):
        a, b, out = self.saved
        ga = gb = None
        if self.needs[0]:  # a**0 is flat: its derivative is 0 even at a = 0, as PyTorch
            if isinstance(b, (xp.ndarray, Tensor)):  # a Tensor under create_graph
                with xp.errstate(divide="ignore", invalid="ignore"):
                    ga = grad * dual.where(b == 0, 0, b * a ** (b - 1))
            elif b == 0.5:  # PyTorch takes x ** 0.5 as sqrt: 1 / (2 sqrt(x)) (-inf at -0)
                ga = grad / (2 * out)
            else:
                # arrays: the fast small-exponent powers; Tensors (create_graph): recorded
                power = _power(a, b - 1) if type(a) is xp.ndarray else a ** (b - 1)
                ga = grad * (b * power) if b != 0 else xp.zeros_like(grad)
        if self.needs[1]:  # nan where a < 0 (no real log), as PyTorch
            with xp.errstate(divide="ignore", invalid="ignore"):
                gb = grad * dual.where((a == 0) & (b >= 0), 0, out * dual.log(a))
        return ga, gb


class Remainder(Op):
    """a % b with Python's sign convention (PyTorch's ``remainder``)."""
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.remainder(a, b)

    def backward(self, grad):
        a, b = dual.data(self.saved[0]), dual.data(self.saved[1])  # floor(a / b): a constant
        gb = -grad * xp.floor_divide(a, b) if self.needs[1] else None
        return grad, gb


class Maximum(Op):
    """Where a and b tie, each gets half the gradient, as in PyTorch."""
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.maximum(a, b)

    def backward(self, grad):
        return _extreme_grads(self, grad, xp.less, xp.greater)


def _extreme_grads(fn, grad, loses_a, loses_b):
    """PyTorch's maximum/minimum backward: half each at a tie, nothing to the loser, and the
    whole gradient to both where neither wins (a NaN on either side)."""
    a, b = dual.data(fn.saved[0]), dual.data(fn.saved[1])  # masks: constants
    g = dual.where(a == b, grad / 2, grad)
    ga = dual.where(loses_a(a, b), 0, g) if fn.needs[0] else None
    gb = dual.where(loses_b(a, b), 0, g) if fn.needs[1] else None
    return ga, gb


class Minimum(Op):
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.minimum(a, b)

    def backward(self, grad):
        return _extreme_grads(self, grad, xp.greater, xp.less)


class Where(Op):
    """where(condition, a, b): a's value where the condition holds, else b's."""
    _double = True  # backward works on Tensors too (create_graph)

    def forward(self, cond, a, b):
        self.saved = (cond,)
        return xp.where(cond, a, b)

    def backward(self, grad):
        cond = dual.data(self.saved[0])
        ga = dual.where(cond, grad, 0) if self.needs[1] else None
        gb = dual.where(cond, 0, grad) if self.needs[2] else None
        return None, ga, gb


# ---------------------------------------------------------------- the functions
def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return Add.apply(*promote(a, b))


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return Sub.apply(*promote(a, b))


def mul(a, b):
    return Mul.apply(*promote(a, b))


def div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        from .unary import trunc

        return trunc(div(a, b))
    if rounding_mode is not None:
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    return Div.apply(*_float_operands(a, b))


def floor_divide(a, b):
    """a // b. Not differentiable: the result carries no graph."""
    a, b = promote(a, b)
    arr = lambda x: x._data if isinstance(x, Tensor) else x  # noqa: E731
    return Tensor._make(xp.asarray(xp.floor_divide(arr(a), arr(b))), None)


def remainder(a, b):
    return Remainder.apply(*promote(a, b))


def neg(a):
    return Neg.apply(a)


def pow(a, b):
    a, b = promote(a, b)
    if isinstance(b, Tensor) and b._data.dtype.kind in "iu" and isinstance(a, Tensor) and a._data.dtype.kind in "iu":
        return Tensor._make(xp.asarray(a._data ** b._data), None)
    return Pow.apply(a, b)


def maximum(a, b):
    return Maximum.apply(*promote(a, b))


def minimum(a, b):
    return Minimum.apply(*promote(a, b))


def where(condition, a=None, b=None):
    """``where(cond, a, b)``; ``where(cond)`` alone gives the indices, as ``nonzero``."""
    cond = condition._data if isinstance(condition, Tensor) else xp.asarray(condition)
    if a is None and b is None:
        return tuple(Tensor._make(i, None) for i in xp.nonzero(cond))
    if cond.dtype != xp.bool_:
        cond = cond.astype(bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # where(cond, 1.0, 0.0)
        a = Tensor._make(xp.asarray(a, dtype=_SCALAR_DTYPES[_scalar_category(_to_operand(a))]), None)
    a, b = promote(a, b)
    return Where.apply(cond, a, b)


_SCALAR_DTYPES = (xp.bool_, _dtype.default_int, _dtype.default_float)  # by _scalar_category
