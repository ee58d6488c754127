"""``searchsorted`` and ``bucketize``: where values would go in a sorted sequence to keep it
sorted (no gradient: the answers are indices).

    searchsorted([1, 3, 5], [3, 6])              = [1, 3]
    searchsorted([1, 3, 5], [3, 6], right=True)  = [2, 3]
    bucketize([3, 6], boundaries=[1, 3, 5])      = [1, 3]
"""
import math
import numbers

from .._backend import xp
from .._tensor import Tensor


def _side(right, side, op):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}: side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of "
                               f"left while right was True")
        return side
    return "right" if right else "left"


def _binary_search(rows, values, right):
    """For each value, the first index whose element is > it (``right``) or >= it (left),
    all rows at once. PyTorch's search, comparison for comparison, so NaNs (which compare
    false) land where PyTorch puts them; NumPy's searchsorted sorts NaN last instead."""
    lo = xp.zeros(values.shape, dtype=xp.int64)
    hi = xp.full(values.shape, rows.shape[-1], dtype=xp.int64)
    if rows.shape[-1] == 0:
        return lo
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = lo + ((hi - lo) >> 1)
        at = xp.take_along_axis(rows, xp.minimum(mid, rows.shape[-1] - 1), axis=-1)
        after = ~(at > values) if right else ~(at >= values)  # the answer is past mid
        lo = xp.where(active & after, mid + 1, lo)
        hi = xp.where(active & ~after, mid, hi)


def _result(index, out_int32, out):
    index = index.astype(xp.int32 if out_int32 else xp.int64, copy=False)
    if out is not None:
        out._data[...] = index  # out= keeps its own tensor, as PyTorch's
        return out
    return Tensor._make(index if index.flags.c_contiguous else index.copy(), None)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 out=None, sorter=None):
    """``torch.searchsorted``: for each value of ``input``, the index in ``sorted_sequence``
    (sorted along its last dim) where it would be inserted. A 1-D sequence serves every value;
    an N-D one has one sorted row per row of ``input`` (the first N-1 dims must match)."""
    op = "torch.searchsorted()"
    how = _side(right, side, op)
    if not isinstance(sorted_sequence, Tensor):
        raise TypeError(f"searchsorted(): argument 'sorted_sequence' must be Tensor, not "
                        f"{type(sorted_sequence).__name__}")
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    if scalar and not isinstance(input, numbers.Number):
        raise TypeError(f"searchsorted(): argument 'input' must be Tensor or Number, not "
                        f"{type(input).__name__}")
    values = xp.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor [] and input value tensor "
                           f"{list(values.shape)}")
    if seq.ndim > 1 and (scalar or seq.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor {list(seq.shape)} and input "
                           f"value tensor {list(values.shape)}")
    if sorter is not None:
        order = sorter._data if isinstance(sorter, Tensor) else xp.asarray(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(f"{op}: boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor "
                               f"{list(order.shape)}")
        if order.dtype != xp.int64:
            raise RuntimeError(f"{op}: sorter must be a tensor of long dtype but got "
                               f"{sorter.dtype}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError(f"{op}: sorter index out of range")
        seq = xp.take_along_axis(seq, order.astype(xp.int64), axis=-1)
    # one sorted row per row of values (a 1-D sequence is one row serving them all)
    n_rows = math.prod(seq.shape[:-1])
    rows = seq.reshape(n_rows, seq.shape[-1])
    flat = values.reshape(n_rows, values.size // n_rows if n_rows else 0)
    index = _binary_search(rows, flat, how == "right").reshape(values.shape)
    return _result(xp.asarray(index), out_int32, out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """``torch.bucketize``: the bucket of each value of ``input`` between 1-D ``boundaries``:
    ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``<=``/``<`` with ``right=True``)."""
    if not isinstance(boundaries, Tensor):
        raise TypeError(f"bucketize(): argument 'boundaries' must be Tensor, not "
                        f"{type(boundaries).__name__}")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


#: name -> function, as ``npgrad.<name>`` (PyTorch has no Tensor methods for these)
FUNCTIONS = {"searchsorted": searchsorted, "bucketize": bucketize}
