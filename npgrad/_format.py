"""``repr`` of a tensor, in PyTorch's style: ``tensor([1.5000, 2.0000], requires_grad=True)``."""
import numpy as np

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def _body(arr):
    if arr.size == 0:
        return "[]"
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and (np.abs(finite).max() >= 1e8 or (np.abs(finite[finite != 0]).min(initial=1) < 1e-4))
        if big:
            fmt = {"float_kind": lambda v: f"{v:.4e}"}
        elif integral:
            fmt = {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
        else:
            fmt = {"float_kind": lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)}
        return np.array2string(arr, separator=", ", prefix="tensor(", formatter=fmt, threshold=1000, edgeitems=3)
    return np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3)


def tensor_repr(t, prefix="tensor"):
    arr = t._data
    parts = [_body(arr)]
    if arr.size == 0 and arr.ndim > 1:
        parts.append(f"size={tuple(arr.shape)}")
    if arr.dtype.name not in _DEFAULT_DTYPES:
        parts.append(f"dtype=npgrad.{arr.dtype.name}")
    if t.grad_fn is not None:
        parts.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        parts.append("requires_grad=True")
    return f"{prefix}(" + ", ".join(parts) + ")"
