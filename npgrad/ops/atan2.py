"""``atan2(a, b)``: the angle of the point (b, a), in (-pi, pi], element-wise with
broadcasting; integers give float32, as in PyTorch.

    atan2([1, 1, -1], [1, -1, 0]) = [pi/4, 3pi/4, -pi/2]
"""
from .. import _dtype
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from .arithmetic import promote


class Atan2(Op):
    def forward(self, a, b):
        self.saved = (a, b)
        return xp.arctan2(a, b)

    def backward(self, grad):
        # d/da atan2(a, b) = b / (a^2 + b^2);  d/db = -a / (a^2 + b^2)
        # (at a = b = 0 PyTorch gives 0, not 0 * inf = nan; so do we)
        a, b = self.saved
        r2 = a * a + b * b
        scale = grad * xp.where(r2 == 0, 0, 1 / xp.where(r2 == 0, 1, r2)).astype(r2.dtype, copy=False)
        return (scale * b if self.needs[0] else None,
                -scale * a if self.needs[1] else None)


def atan2(input, other, *, out=None):
    for name, t, pos in (("input", input, 1), ("other", other, 2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"atan2(): argument '{name}' (position {pos}) must be Tensor, "
                            f"not {type(t).__name__}")
    a, b = promote(input, other)
    if a._data.dtype.kind != "f":  # integer (or bool) angles are float32, as in PyTorch
        a = Tensor._make(a._data.astype(_dtype.default_float), None)
        b = Tensor._make(b._data.astype(_dtype.default_float), None)
    result = Atan2.apply(a, b)
    if out is not None:
        out.copy_(result)
        return out
    return result


#: name -> function, as ``npgrad.<name>`` and ``Tensor.<name>``
FUNCTIONS = {"atan2": atan2, "arctan2": atan2}
