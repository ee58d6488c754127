"""``Tensor.view(dtype)``: the same bytes read as another dtype, as in PyTorch.

Same element size: same shape. A smaller element size multiplies the last dimension by the
ratio; a larger one divides it (it must divide evenly). Either needs the last dimension
contiguous and a tensor of at least one dimension. The result shares memory and version
counter with the input and is not differentiable (PyTorch's view(dtype) is not either).
"""
from .. import _dtype
from .._tensor import Tensor
from ..autograd import version as _versions


def view_dtype(x, dtype):
    a = x._data
    target = _dtype.to_np(dtype)
    src_name, dst_name = _dtype.from_np(a.dtype), _dtype.from_np(target)
    old, new = a.dtype.itemsize, target.itemsize
    if old != new:
        what = f"to view {_short(src_name)} as {_short(dst_name)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        stride = a.strides[-1] // old if a.shape[-1] > 1 else 1
        if stride != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride}")
        if new > old and (a.shape[-1] * old) % new:
            raise RuntimeError(
                f"self.size(-1) must be divisible by {new // old} {what}, but got {a.shape[-1]}"
            )
    out = a.view(target)  # NumPy >= 1.23 reinterprets along a contiguous last axis
    t = Tensor._make(out, None)
    t._vc = _versions.counter(x)
    return t


def _short(name):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(str(name).split(".")[-1], str(name))
