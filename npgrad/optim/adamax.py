"""Adamax: Adam with the infinity norm in place of the root-mean-square (Kingma & Ba,
2015, section 7).

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g;  g ← g + weight_decay·θ           (if maximize; if weight_decay ≠ 0)
    m ← m + (1-β1)·(g - m)                     ("exp_avg")
    u ← max(β2·u, |g| + ε)                     ("exp_inf")
    θ ← θ - lr/(1-β1ᵗ) · m / u
"""
import numpy as np

from ._simple import grad_for_update, lerp_, zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported("Adamax", differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    def _update(self, param, grad, state, group):
        step = _advance(state)
        beta1, beta2 = group["betas"]
        g = grad_for_update(param, grad, group["weight_decay"], group["maximize"])
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(g) + group["eps"], out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** step)
        param += (-clr * exp_avg) / exp_inf
