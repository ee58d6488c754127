"""Gradient clipping: keep one bad batch from throwing the weights far away."""
import math

from ..._backend import xp
from ..._tensor import Tensor, wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad._data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of all gradient entries as one vector. Each
    gradient is multiplied in place by min(1, max_norm / (norm + 1e-6)). Returns the norm
    measured before clipping, as a 0-d tensor.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return wrap(xp.asarray(0.0, dtype=xp.float32))
    dtype = grads[0].dtype
    if norm_type == math.inf:
        total = max(float(xp.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        per = [float(xp.linalg.norm(g.reshape(-1), ord=norm_type)) for g in grads]
        total = float(xp.linalg.norm(xp.asarray(per), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0 or not math.isfinite(total):
        for g in grads:
            g *= dtype.type(coef)
    return wrap(xp.asarray(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp.clip(g, -clip_value, clip_value, out=g)
