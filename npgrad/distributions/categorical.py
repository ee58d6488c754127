"""``Categorical(probs=...)`` or ``Categorical(logits=...)``: one of K outcomes per batch entry.

Both parameters are kept normalised over the last dim (probs sum to 1; logits are
log-probabilities), as PyTorch keeps them, and each is derived from the other on demand."""
import numpy as np

from .. import _creation, _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .distribution import Distribution


class Categorical(Distribution):
    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        if not isinstance(given, Tensor):
            raise TypeError(f"Categorical: the parameter must be a Tensor, got {type(given).__name__}")
        if given.dim() < 1:
            raise ValueError("Categorical: `probs`/`logits` must be at least one-dimensional "
                             f"(got shape {tuple(given.shape)})")
        if probs is not None:
            self._probs, self._logits = probs / probs.sum(-1, keepdim=True), None
        else:
            self._probs, self._logits = None, logits - logits.logsumexp(-1, keepdim=True)
        self._num_events = given.shape[-1]
        super().__init__(tuple(given.shape[:-1]), (), validate_args)

    @property
    def probs(self):
        if self._probs is None:
            self._probs = self._logits.exp()
        return self._probs

    @property
    def logits(self):
        if self._logits is None:
            eps = float(np.finfo(self._probs._data.dtype).eps)
            self._logits = self._probs.clamp(eps, 1 - eps).log()
        return self._logits

    @property
    def param_shape(self):
        return (self._probs if self._probs is not None else self._logits).shape

    def _params(self):
        return {"probs" if self._probs is not None else "logits":
                self._probs if self._probs is not None else self._logits}

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        per_row = int(np.prod(tuple(sample_shape), dtype=np.int64))  # draws per batch entry
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)  # (batch, K)
            if per_row == 0:
                return _creation.zeros(shape, dtype=_dtype.int64)
            draws = _creation.multinomial(probs_2d, per_row, replacement=True)  # (batch, S)
        return draws.t().reshape(shape)

    def log_prob(self, value):
        value = value.long()
        if value.numel() and (value.min().item() < 0 or value.max().item() >= self._num_events):
            raise ValueError(f"Categorical.log_prob: values must lie in [0, {self._num_events}), "
                             f"got {value}")
        logits = self.logits
        shape = np.broadcast_shapes(tuple(value.shape), tuple(logits.shape[:-1]))
        logits = logits.expand(*shape, self._num_events)
        index = value.expand(*shape).unsqueeze(-1)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self):
        logits = self.logits
        min_real = float(np.finfo(logits._data.dtype).min)
        return -(self.probs * logits.clamp(min=min_real)).sum(-1)

    @property
    def mean(self):
        return _creation.full(tuple(self.batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def enumerate_support(self, expand=True):
        values = _creation.arange(self._num_events).view(-1, *([1] * len(self.batch_shape)))
        return values.expand(-1, *self.batch_shape) if expand else values
