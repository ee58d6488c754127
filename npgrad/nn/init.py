"""Weight initialisation: ``nn.init.kaiming_uniform_(layer.weight)`` and friends.

Each function fills a tensor in place, outside the graph, and returns it. The formulas are
PyTorch's; the random numbers come from ``npgrad.random.get_rng(generator)``, so
``npgrad.manual_seed`` makes an initialisation reproducible.

Why scale at all: a layer with ``fan_in`` inputs sums ``fan_in`` products, so with unit-variance
weights its output variance grows by ``fan_in`` per layer. Xavier (Glorot) and Kaiming (He)
choose the weight variance that keeps activations (and gradients) at a steady scale through
depth; ``gain`` corrects for what the nonlinearity does to the variance (ReLU halves it).
"""
import math
import warnings

import numpy as np

from ..autograd import version as _versions
from ..random import get_rng

_LINEAR_LIKE = (
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for weights feeding ``nonlinearity``.

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)),
    selu 3/4.
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """For a weight shaped ``(out, in, *kernel)``: fan_in = in * kernel, fan_out = out * kernel."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(shape)})"
        )
    receptive_field = 1
    for s in shape[2:]:
        receptive_field *= s
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _float_dtype(array):
    """Draw directly in float32 when the tensor is float32 (no float64 temporary)."""
    return array.dtype if array.dtype in (np.float32, np.float64) else np.float64


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    data = tensor._data
    rng = get_rng(generator)
    draw = rng.random(data.shape, dtype=_float_dtype(data))
    draw *= b - a
    draw += a
    data[...] = draw
    _versions.bump(tensor)  # an in-place fill, as in PyTorch
    return tensor


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    data = tensor._data
    draw = get_rng(generator).standard_normal(data.shape, dtype=_float_dtype(data))
    draw *= std
    draw += mean
    data[...] = draw
    _versions.bump(tensor)  # an in-place fill, as in PyTorch
    return tensor


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) truncated to [a, b] (``a``, ``b`` are absolute bounds).

    Rejection sampling: draw normals and redraw only those that fell outside [a, b] — exactly
    the truncated distribution. When the interval holds almost no probability mass (far in a
    tail) it falls back to the inverse-CDF method, as PyTorch uses.
    """
    data = tensor._data
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    rng = get_rng(generator)
    flat = rng.normal(mean, std, size=data.size)
    for _ in range(64):
        bad = np.flatnonzero((flat < a) | (flat > b))
        if bad.size == 0:
            break
        flat[bad] = rng.normal(mean, std, size=bad.size)
    else:  # a tiny acceptance rate: sample the rest through the normal's inverse CDF
        flat[bad] = _inverse_cdf_truncated(rng, bad.size, mean, std, a, b)
    data[...] = flat.reshape(data.shape)
    _versions.bump(tensor)  # an in-place fill, as in PyTorch
    return tensor


def _inverse_cdf_truncated(rng, n, mean, std, a, b):
    """Draw u uniformly between Phi(a) and Phi(b) and solve Phi(x) = u by bisection."""
    erf = np.vectorize(math.erf)  # rarely used: only for far-tail truncation

    def phi(z):
        return 0.5 * (1 + erf(z / math.sqrt(2)))

    lo = np.full(n, (a - mean) / std)
    hi = np.full(n, (b - mean) / std)
    u = rng.uniform(phi(lo[:1])[0], phi(hi[:1])[0], size=n)
    for _ in range(60):
        mid = (lo + hi) / 2
        below = phi(mid) < u
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return mean + std * (lo + hi) / 2


def constant_(tensor, val):
    """Fill with ``val``."""
    tensor._data[...] = val
    _versions.bump(tensor)
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})")
    data = tensor._data
    data[...] = 0
    np.fill_diagonal(data, 1)
    _versions.bump(tensor)  # an in-place fill, as in PyTorch
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    ``nn.Linear`` uses it with ``a=sqrt(5)``, which makes the bound exactly 1/sqrt(fan_in).
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix (Saxe et al. 2013), as recurrent weights often are.

    The tensor is seen as (rows, everything else); the Q of the QR decomposition of a normal
    matrix, its columns' signs fixed by R's diagonal (so Q is uniformly distributed), times
    ``gain``. Rows are orthonormal when rows <= cols, columns otherwise.
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    data = tensor._data
    rows = data.shape[0]
    cols = data.size // rows
    flat = get_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    data[...] = (gain * q).reshape(data.shape)
    return tensor
