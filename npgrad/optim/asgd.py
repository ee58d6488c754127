"""ASGD: SGD with a decaying step and a running average of the iterates (Polyak &
Juditsky, 1992); the average ``ax`` is the answer, the parameter keeps moving.

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g;  g ← g + weight_decay·θ           (if maximize; if weight_decay ≠ 0)
    θ ← θ·(1 - λ·η);  θ ← θ - η·g              η starts at lr
    ax ← ax + μ·(θ - ax)                       (ax ← θ while μ = 1)
    η ← lr / (1 + λ·lr·t)^α;  μ ← 1 / max(1, t - t0)

η and μ are float32 scalars in the state (``eta``, ``mu``), as PyTorch keeps them.
"""
import numpy as np

from ._simple import grad_for_update, scalar_state, zeros_like
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported("ASGD", differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": _step_tensor(), "eta": scalar_state(group["lr"]),
                "mu": scalar_state(1.0), "ax": zeros_like(p)}

    def _update(self, param, grad, state, group):
        step = _advance(state)
        lr, lambd = group["lr"], group["lambd"]
        g = grad_for_update(param, grad, group["weight_decay"], group["maximize"])
        eta = float(state["eta"]._data)
        param *= 1 - lambd * eta
        param += -eta * g
        ax, mu = state["ax"]._data, state["mu"]._data
        if float(mu) != 1:
            ax += (param - ax) * mu.astype(param.dtype)
        else:
            ax[...] = param
        # rounded to float32 even where a loaded state holds them in float64, as torch
        # does (it copies a new float32 scalar into the state tensor)
        state["eta"]._data[...] = np.float32(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        mu[...] = np.float32(1 / max(1, step - group["t0"]))
