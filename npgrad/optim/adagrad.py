"""Adagrad: each weight's step shrinks with the sum of its squared gradients so far.

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g;  g ← g + weight_decay·θ          (if maximize; if weight_decay ≠ 0)
    clr ← lr / (1 + (t-1)·lr_decay)
    s ← s + g²                                ("sum", starts at initial_accumulator_value)
    θ ← θ - clr·g / (√s + ε)

Unlike Adam, its state exists from construction on (as in PyTorch), step 0 and the sum
filled with ``initial_accumulator_value``.
"""
import numpy as np

from .._tensor import wrap
from .optimizer import (Optimizer, _advance, _check, _effective_grad, _refuse_unsupported,
                        _step_tensor)


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _refuse_unsupported("Adagrad", differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, p, group):
        total = np.full_like(p._data, group["initial_accumulator_value"])
        return {"step": _step_tensor(), "sum": wrap(total)}

    def _update(self, param, grad, state, group):
        adagrad_update(param, grad, state["sum"]._data, _advance(state),
                       self._scratch(param, 2), lr=group["lr"], lr_decay=group["lr_decay"],
                       weight_decay=group["weight_decay"], eps=group["eps"],
                       maximize=group["maximize"])


def adagrad_update(param, grad, state_sum, step, scratch, *, lr, lr_decay, weight_decay, eps,
                   maximize):
    """One Adagrad step on NumPy arrays, updated in place (``grad`` is only read);
    ``step`` is the new step count (1 first); ``scratch``: two arrays like ``param``."""
    g_buf, t1 = scratch
    g = _effective_grad(param, grad, weight_decay, maximize, g_buf)
    clr = lr / (1 + (step - 1) * lr_decay)
    np.multiply(g, g, out=t1)  # s ← s + g²
    state_sum += t1
    np.sqrt(state_sum, out=t1)  # √s + ε
    t1 += eps
    # θ ← θ + (-clr·g) / (√s + ε); g may live in g_buf, which is free to overwrite now
    np.divide(np.multiply(g, -clr, out=g_buf), t1, out=t1)
    param += t1
