"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

For each parameter θ with gradient g (PyTorch's formulation)::

    g ← -g;  g ← g + weight_decay·θ          (if maximize; if weight_decay ≠ 0)
    v ← α·v + (1-α)·g²                         running mean of g²   ("square_avg")
    a ← √(v - ḡ²) + ε   with ḡ ← ḡ + (1-α)(g - ḡ)   if centered (variance, not 2nd moment)
    a ← √v + ε                                 otherwise
    b ← momentum·b + g/a;  θ ← θ - lr·b        if momentum > 0
    θ ← θ - lr·g/a                             otherwise
"""
import numpy as np

from .._tensor import wrap
from .optimizer import (Optimizer, _advance, _check, _effective_grad, _refuse_unsupported,
                        _step_tensor)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        _refuse_unsupported("RMSprop", differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        def zeros():
            return wrap(np.zeros_like(p._data))

        state = {"step": _step_tensor(), "square_avg": zeros()}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros()
        if group["centered"]:
            state["grad_avg"] = zeros()
        return state

    def _update(self, param, grad, state, group):
        _advance(state)  # RMSprop's formula does not use the count; kept for state_dicts
        grad_avg = state["grad_avg"]._data if group["centered"] else None
        buf = state["momentum_buffer"]._data if group["momentum"] > 0 else None
        rmsprop_update(param, grad, state["square_avg"]._data, grad_avg, buf,
                       self._scratch(param, 3), lr=group["lr"], alpha=group["alpha"],
                       eps=group["eps"], weight_decay=group["weight_decay"],
                       momentum=group["momentum"], maximize=group["maximize"])


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, scratch, *, lr, alpha,
                   eps, weight_decay, momentum, maximize):
    """One RMSprop step on NumPy arrays, updated in place (``grad`` is only read).
    ``grad_avg`` is None unless centered, ``momentum_buffer`` None unless momentum > 0;
    ``scratch``: three arrays like ``param``, free to overwrite."""
    g_buf, t1, t2 = scratch
    g = _effective_grad(param, grad, weight_decay, maximize, g_buf)

    square_avg *= alpha  # v ← α·v + ((1-α)·g)·g
    np.multiply(g, 1 - alpha, out=t1)
    t1 *= g
    square_avg += t1
    if grad_avg is not None:  # centered
        np.subtract(g, grad_avg, out=t1)  # ḡ ← ḡ + (1-α)(g - ḡ), torch's lerp
        t1 *= 1 - alpha
        grad_avg += t1
        np.multiply(grad_avg, -1, out=t1)  # v - ḡ·ḡ, as torch's addcmul(value=-1)
        t1 *= grad_avg
        t1 += square_avg
        np.sqrt(t1, out=t1)
    else:
        np.sqrt(square_avg, out=t1)
    t1 += eps  # t1 is now the denominator a

    if momentum > 0:
        momentum_buffer *= momentum  # b ← momentum·b + g/a;  θ ← θ - lr·b
        np.divide(g, t1, out=t2)
        momentum_buffer += t2
        np.multiply(momentum_buffer, -lr, out=t2)
    else:
        np.multiply(g, -lr, out=t2)  # θ ← θ + (-lr·g)/a
        t2 /= t1
    param += t2
