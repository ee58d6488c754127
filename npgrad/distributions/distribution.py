"""The base every distribution shares: batch and event shapes, the shape of a sample."""
from .._tensor import Tensor
from .._tensor import Size


class Distribution:
    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        if isinstance(sample_shape, int):
            raise TypeError(f"{type(self).__name__}.sample(): sample_shape must be a tuple or "
                            f"torch.Size, got the int {sample_shape} (write ({sample_shape},))")
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        raise NotImplementedError

    def __repr__(self):
        params = ", ".join(f"{k}: {v.shape if isinstance(v, Tensor) else v}"
                           for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self):
        return {}
