"""``Normal(loc, scale)``: independent Gaussians, broadcast together."""
import math
from numbers import Number

import numpy as np

from .. import _creation
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .distribution import Distribution


def _as_tensor(v, like=None):
    if isinstance(v, Tensor):
        return v
    dtype = like.dtype if isinstance(like, Tensor) else None
    return _creation.tensor(float(v), dtype=dtype)


class Normal(Distribution):
    def __init__(self, loc, scale, validate_args=None):
        loc, scale = _as_tensor(loc, scale), _as_tensor(scale, loc)
        shape = np.broadcast_shapes(tuple(loc.shape), tuple(scale.shape))
        self.loc, self.scale = loc.expand(*shape), scale.expand(*shape)
        if validate_args and (self.scale._data <= 0).any():
            raise ValueError(f"Normal: scale must be positive, got {scale}")
        super().__init__(shape, (), validate_args)

    def _params(self):
        return {"loc": self.loc, "scale": self.scale}

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        """loc + eps * scale, eps ~ N(0, 1): differentiable in loc and scale."""
        shape = self._extended_shape(sample_shape)
        eps = _creation.randn(*shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value):
        value = value if isinstance(value, Tensor) else _as_tensor(value, self.loc)
        var = self.scale ** 2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        from ..ops.special import erf
        return 0.5 * (1 + erf((value - self.loc) / (self.scale * math.sqrt(2))))
