"""``fmod``: C's remainder, with the sign of the dividend (``remainder`` takes the divisor's).

    fmod([-3, 3, -5.5], 2) = [-1, 1, -1.5]        remainder(...) = [1, 1, 0.5]
"""
from .._backend import xp
from ..autograd.function import Op
from .arithmetic import promote


class Fmod(Op):
    _saved_for = ((1,), (1,))  # a is needed only for b's gradient

    def forward(self, a, b):
        self.saved = (a, b)
        return xp.fmod(a, b)

    def backward(self, grad):
        a, b = self.saved
        # d/da = 1; d/db = -trunc(a / b), as in PyTorch
        gb = -grad * xp.trunc(a / b) if self.needs[1] else None
        return grad, gb


def fmod(a, b):
    return Fmod.apply(*promote(a, b))
