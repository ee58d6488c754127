"""``Parameter``: a Tensor that a Module registers as something to train.

A Parameter is an ordinary leaf Tensor with ``requires_grad=True`` by default. Its only extra
power is recognition: assigning one to a Module attribute (``self.weight = Parameter(...)``)
registers it, so it appears in ``parameters()``, ``state_dict()`` and the optimizer.
"""
from .. import _backend, _dtype
from .._tensor import Tensor

xp = _backend.xp


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)``; shares memory with ``data`` when it is a Tensor."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = xp.empty((0,), dtype=_dtype.default_float)
        elif isinstance(data, Tensor):
            array = data._data
        elif isinstance(data, _backend.ndarray):
            array = data  # an array keeps its dtype, as a Tensor would
        else:
            array = Tensor(data)._data  # a list of numbers becomes float32, as torch.Tensor does
        self._init(array)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """``self.running_mean = Buffer(t)`` registers a buffer, as ``torch.nn.Buffer`` does.

    Module turns it back into a plain Tensor on registration; only ``persistent`` is kept.
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        t = data if isinstance(data, Tensor) else Tensor(() if data is None else data)
        self._init(t._data)
        self.persistent = persistent
