"""Small helpers for the optimizers written plainly in NumPy (Adadelta, Adamax, NAdam,
RAdam, ASGD, Rprop): fresh state arrays, and PyTorch's ``lerp`` with its rounding."""
import numpy as np

from .._tensor import wrap


def zeros_like(p):
    """A new state tensor of zeros shaped and typed like parameter ``p``."""
    return wrap(np.zeros_like(p._data))


def scalar_state(value):
    """A 0-d float32 state tensor (``mu_product``, ``eta``, ``mu``), as PyTorch keeps them."""
    return wrap(np.array(value, dtype=np.float32))


def grad_for_update(param, grad, weight_decay, maximize):
    """``-grad`` if maximizing, then ``+ weight_decay·param`` (a new array; ``grad`` is
    left alone)."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    return g


def lerp_(start, end, weight):
    """``start ← start + weight·(end - start)`` in place, computed as torch's ``lerp_``
    computes it (for weights ≥ 0.5 from the ``end`` side), so float32 bits agree."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)
