"""``FloatTensor``, ``LongTensor``, ... : PyTorch's legacy typed constructors.

``npgrad.LongTensor([1, 2])`` gives int64 values and ``FloatTensor(2, 3)`` a 2x3 float32
tensor, as in torch; ``isinstance(t, npgrad.LongTensor)`` is true for an int64 tensor only.
They are not subclasses: what they make is an ordinary ``Tensor``.
"""
import numpy as np

from ._tensor import Tensor, _legacy_array


class _TypedMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == cls._np_dtype


def _typed(name, np_dtype):
    def __new__(cls, *args):
        return Tensor._make(_legacy_array(args, cls._np_dtype, name), None)

    return _TypedMeta(name, (), {"_np_dtype": np.dtype(np_dtype), "__new__": __new__,
                                 "__doc__": f"``{name}(...)``: a {np.dtype(np_dtype)} tensor."})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)
