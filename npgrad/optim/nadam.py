"""NAdam: Adam with Nesterov momentum (Dozat, 2016), with PyTorch's momentum schedule.

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g                                     if maximize
    θ ← θ·(1 - lr·weight_decay)                if decoupled_weight_decay
    g ← g + weight_decay·θ                     otherwise, if weight_decay ≠ 0
    μₜ = β1·(1 - ½·0.96^(t·momentum_decay))    the momentum of step t
    Πₜ = μ₁·…·μₜ                               ("mu_product", a float32 scalar)
    m ← m + (1-β1)·(g - m);  v ← β2·v + (1-β2)·g²
    d = √(v/(1-β2ᵗ)) + ε
    θ ← θ - lr·(1-μₜ)/(1-Πₜ) · g/d - lr·μₜ₊₁/(1-Πₜ·μₜ₊₁) · m/d
"""
import numpy as np

from ._simple import grad_for_update, lerp_, scalar_state, zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        _refuse_unsupported("NAdam", differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "mu_product": scalar_state(1.0),
                "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

    def _update(self, param, grad, state, group):
        step = _advance(state)
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        decay = group["momentum_decay"]
        if wd != 0 and group["decoupled_weight_decay"]:
            param *= 1 - lr * wd
            wd = 0
        g = grad_for_update(param, grad, wd, group["maximize"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        mu_product = state["mu_product"]._data
        mu_product *= mu  # a float32 scalar, rounded as PyTorch rounds it
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        denom = np.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denom += eps
        product = float(mu_product)
        param += (-lr * (1.0 - mu) / (1.0 - product)) * g / denom
        param += ((-lr * mu_next) / (1.0 - product * mu_next)) * exp_avg / denom
