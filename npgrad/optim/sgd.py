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

from .. import _fast
from .._tensor import wrap
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
        buf = state.get("momentum_buffer") if state is not None else None
        if group["momentum"] != 0 and group["foreach"] is not False and _fast.use_compiled():
            from .._fast.compiled.functions import sgd_fits, sgd_momentum

            if sgd_fits(param, grad) and (buf is None or buf._data.flags.c_contiguous):
                first = buf is None
                if first:
                    buf = state["momentum_buffer"] = wrap(np.empty_like(param))
                sgd_momentum(param, grad, buf._data, first, lr=group["lr"],
                             momentum=group["momentum"], dampening=group["dampening"],
                             nesterov=group["nesterov"], weight_decay=group["weight_decay"],
                             maximize=group["maximize"])
                return
        new_buf = sgd_update(param, grad, None if buf is None else buf._data,
                             self._scratch(param, 2), lr=group["lr"],
                             momentum=group["momentum"], dampening=group["dampening"],
                             nesterov=group["nesterov"], weight_decay=group["weight_decay"],
                             maximize=group["maximize"])
        if buf is None and new_buf is not None:  # first step with momentum: keep the buffer
            state["momentum_buffer"] = wrap(new_buf)


def sgd_update(param, grad, momentum_buffer, scratch, *, lr, momentum, dampening, nesterov,
               weight_decay, maximize):
    """One SGD step on NumPy arrays: ``param`` (and ``momentum_buffer``) change in place,
    ``grad`` is only read. ``momentum_buffer`` is None on the first step; the buffer
    then made is returned (None without momentum). ``scratch``: two arrays like
    ``param``, free to overwrite."""
    g_buf, tmp = scratch
    g = _effective_grad(param, grad, weight_decay, maximize, g_buf)
    if momentum != 0:
        buf = momentum_buffer
        if buf is None:  # first step: the buffer starts as a copy of the gradient
            buf = g.copy()
        else:
            buf *= momentum
            if dampening == 0:
                buf += g  # skips a multiply by 1 (exact either way)
            else:
                np.multiply(g, 1 - dampening, out=tmp)
                buf += tmp
        if nesterov:
            np.multiply(buf, momentum, out=tmp)
            g = np.add(g, tmp, out=g_buf)  # g may be p.grad itself: never write into it
        else:
            g = buf
    else:
        buf = None
    np.multiply(g, -lr, out=tmp)
    param += tmp
    return buf
