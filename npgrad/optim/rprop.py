"""Rprop: each weight has its own step size, grown while its gradient keeps its sign and
shrunk when the sign flips; only the gradient's sign is used (Riedmiller & Braun, 1993).

For each parameter θ with gradient g (PyTorch's formulation)::

    g ← -g                                     if maximize
    s = sign(g·g_prev)
    size ← clamp(size·η₊ where s>0, ·η₋ where s<0, min, max)     ("step_size", starts at lr)
    g ← 0 where s<0                            (skip the step after a sign flip)
    θ ← θ - sign(g)·size;  g_prev ← g          ("prev")
"""
import numpy as np

from .._tensor import wrap
from ._simple import zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        _refuse_unsupported("Rprop", differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "prev": zeros_like(p),
                "step_size": wrap(np.full_like(p._data, group["lr"]))}

    def _update(self, param, grad, state, group):
        _advance(state)
        etaminus, etaplus = group["etas"]
        size_min, size_max = group["step_sizes"]
        g = -grad if group["maximize"] else grad.copy()
        prev, step_size = state["prev"]._data, state["step_size"]._data
        product = g * prev
        factor = np.ones_like(g)
        factor[product > 0] = etaplus
        flipped = product < 0
        factor[flipped] = etaminus
        step_size *= factor
        np.clip(step_size, size_min, size_max, out=step_size)
        g[flipped] = 0
        param -= np.sign(g) * step_size
        prev[...] = g
