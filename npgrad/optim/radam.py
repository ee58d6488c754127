"""RAdam: Adam whose adaptive step is switched on gradually, as the variance of the
running second moment becomes trustworthy (Liu et al., 2020).

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g                                     if maximize
    θ ← θ·(1 - lr·weight_decay)                if decoupled_weight_decay
    g ← g + weight_decay·θ                     otherwise, if weight_decay ≠ 0
    m ← m + (1-β1)·(g - m);  v ← β2·v + (1-β2)·g²
    ρ∞ = 2/(1-β2) - 1;  ρₜ = ρ∞ - 2t·β2ᵗ/(1-β2ᵗ)
    m̂ = m/(1-β1ᵗ)
    θ ← θ - m̂·lr·√(1-β2ᵗ)/(√v + ε)·r          r = √((ρₜ-4)(ρₜ-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρₜ)), if ρₜ > 5
    θ ← θ - m̂·lr                               otherwise (plain momentum SGD)
"""
import numpy as np

from ._simple import grad_for_update, lerp_, zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported("RAdam", differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

    def _update(self, param, grad, state, group):
        step = _advance(state)
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if wd != 0 and group["decoupled_weight_decay"]:
            param *= 1 - lr * wd
            wd = 0
        g = grad_for_update(param, grad, wd, group["maximize"])
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2 ** 0.5) / (np.sqrt(exp_avg_sq) + eps)
            param -= corrected * lr * adaptive * rect
        else:
            param -= corrected * lr
