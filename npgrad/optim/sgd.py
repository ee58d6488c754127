"""Stochastic gradient descent, optionally with momentum, Nesterov momentum, weight decay.

For each parameter θ with gradient g (PyTorch's formulation, step by step)::

    g ← -g                        if maximize
    g ← g + weight_decay·θ        if weight_decay ≠ 0   (L2 penalty)
    b ← g                         on the first step       } if momentum ≠ 0
    b ← momentum·b + (1-dampening)·g   afterwards         }
    g ← g + momentum·b  if nesterov, else  g ← b
    θ ← θ - lr·g
"""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check, _effective_grad, _refuse_unsupported, required


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check(lr is required or lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _refuse_unsupported("SGD", differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        # foreach/fused are PyTorch's kernel choices; accepted and recorded, nothing more.
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {} if group["momentum"] != 0 else None

    def _update(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        g_buf, tmp = self._scratch(param, 2)
        g = _effective_grad(param, grad, group["weight_decay"], group["maximize"], g_buf)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # first step: the buffer starts as a copy of the gradient
                state["momentum_buffer"] = Tensor._make(g.copy(), None)
                buf = state["momentum_buffer"]._data
            else:
                buf = buf._data
                buf *= momentum
                dampening = group["dampening"]
                if dampening == 0:
                    buf += g  # skips a multiply by 1 (exact either way)
                else:
                    np.multiply(g, 1 - dampening, out=tmp)
                    buf += tmp
            if group["nesterov"]:
                np.multiply(buf, momentum, out=tmp)
                g = np.add(g, tmp, out=g_buf)  # g may be p.grad itself: never write it
            else:
                g = buf
        np.multiply(g, -lr, out=tmp)
        param += tmp
