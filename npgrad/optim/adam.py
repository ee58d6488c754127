"""Adam: per-parameter step sizes from running averages of the gradient and its square.

For each parameter θ with gradient g, at step t (PyTorch's formulation)::

    g ← -g                              if maximize
    θ ← θ·(1 - lr·weight_decay)         if decoupled_weight_decay (that is AdamW)
    g ← g + weight_decay·θ              otherwise, if weight_decay ≠ 0 (L2 penalty)
    m ← m + (1-β1)·(g - m)              running mean of g      (= β1·m + (1-β1)·g)
    v ← β2·v + (1-β2)·g²                running mean of g²
    v̂ ← max(v̂, v) if amsgrad, else v
    θ ← θ - lr/(1-β1ᵗ) · m / (√v̂/√(1-β2ᵗ) + ε)

The divisions by 1-β1ᵗ and 1-β2ᵗ ("bias corrections") undo the pull towards zero of
averages that start at zero. The arithmetic is done in PyTorch's order, so float32
results agree with ``torch.optim.Adam`` to rounding.
"""
import numpy as np

from .. import _fast
from .._tensor import wrap
from .optimizer import Optimizer, _advance, _check, _refuse_unsupported, _step_tensor


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported(type(self).__name__, differentiable)
        # foreach (None or True: the flat fast path; False: per parameter) is honoured;
        # fused/capturable choose PyTorch kernels: accepted and recorded only.
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        self._flat_groups = {}  # id(param group) -> its flat pack (npgrad/_fast/flat.py)

    def _init_state(self, p, group):
        state = {"step": _step_tensor(),
                 "exp_avg": wrap(np.zeros_like(p._data)),
                 "exp_avg_sq": wrap(np.zeros_like(p._data))}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = wrap(np.zeros_like(p._data))
        return state

    def _step_group(self, group):
        """``foreach`` (PyTorch's default, None, included): the whole group in one update over
        flat buffers, a fast path beside this file (``npgrad/_fast/flat.py``). It returns
        False, and ``step`` goes parameter by parameter through ``_update``, where it cannot
        pack the group; ``foreach=False`` always goes parameter by parameter."""
        if group["foreach"] is False or not _fast.use_fast():
            return False
        from .._fast.flat import adam_step_group

        return adam_step_group(self, group)

    def _update(self, param, grad, state, group):
        max_sq = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
        beta1, beta2 = group["betas"]
        step = _advance(state)
        adam_update(param, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data, max_sq,
                    step, self._scratch(param, 2), lr=group["lr"], beta1=beta1, beta2=beta2,
                    eps=group["eps"], weight_decay=group["weight_decay"],
                    decoupled=group["decoupled_weight_decay"], maximize=group["maximize"])


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, scratch, *, lr,
                beta1, beta2, eps, weight_decay, decoupled, maximize):
    """One Adam step on NumPy arrays, all updated in place; ``grad`` is only read.

    ``max_exp_avg_sq`` is None unless amsgrad; ``step`` is the new step count (1 first);
    ``scratch`` is two arrays like ``grad`` whose contents may be overwritten. Works the
    same on one parameter or on all parameters packed into one flat array. With ``param``
    None (and no weight decay), the change to add to the parameter is left in
    ``scratch[1]`` instead: the flat path adds it to each parameter itself."""
    t1, t2 = scratch
    if maximize:
        grad = np.negative(grad, out=t2)
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            np.multiply(param, weight_decay, out=t1)
            grad = np.add(grad, t1, out=t2)  # t2 holds -grad already if maximizing

    # m ← m + (1-β1)(g - m): PyTorch's lerp form (rounds like torch's exp_avg.lerp_)
    np.subtract(grad, exp_avg, out=t1)
    t1 *= 1 - beta1
    exp_avg += t1
    # v ← β2·v + ((1-β2)·g)·g
    exp_avg_sq *= beta2
    np.multiply(grad, 1 - beta2, out=t1)
    t1 *= grad
    exp_avg_sq += t1

    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    step_size = lr / bias_correction1
    if max_exp_avg_sq is not None:  # amsgrad: normalise by the largest v seen so far
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    else:
        v = exp_avg_sq
    # denominator √v / √(1-β2ᵗ) + ε, in t1
    np.sqrt(v, out=t1)
    t1 /= bias_correction2_sqrt
    t1 += eps
    # θ ← θ + (-step_size·m) / denominator, in t2 (grad is no longer needed)
    np.multiply(exp_avg, -step_size, out=t2)
    t2 /= t1
    if param is not None:
        param += t2
