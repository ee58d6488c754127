"""Adadelta: a step size from the ratio of recent update sizes to recent gradient sizes
(Zeiler, 2012), so ``lr`` (default 1.0) only rescales it.

For each parameter θ with gradient g (PyTorch's formulation)::

    g ← -g;  g ← g + weight_decay·θ           (if maximize; if weight_decay ≠ 0)
    v ← ρ·v + (1-ρ)·g²                         ("square_avg")
    Δ ← √(u + ε) / √(v + ε) · g                 u: running mean of Δ² ("acc_delta")
    u ← ρ·u + (1-ρ)·Δ²
    θ ← θ - lr·Δ
"""
import numpy as np

from ._simple import grad_for_update, zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported("Adadelta", differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "square_avg": zeros_like(p), "acc_delta": zeros_like(p)}

    def _update(self, param, grad, state, group):
        _advance(state)
        rho, eps = group["rho"], group["eps"]
        g = grad_for_update(param, grad, group["weight_decay"], group["maximize"])
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        delta = np.sqrt(acc_delta + eps)
        delta /= np.sqrt(square_avg + eps)
        delta *= g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param += -group["lr"] * delta
