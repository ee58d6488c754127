"""``repr`` of a tensor, in PyTorch's style: ``tensor([1.5000, 2.0000], requires_grad=True)``.

PyTorch's rules, followed here:
- one format for all the elements, chosen from the nonzero finite values: whole numbers print
  as ``3.``; otherwise 4 decimals; scientific (``1.0000e+10``) when the largest magnitude
  exceeds 1e8, the smallest is under 1e-4, or they are more than 1000x apart;
- every element is right-aligned to the same width; lines wrap at 80 characters;
- over 1000 elements, only the first and last 3 along each dim are shown, around ``...``;
- ``dtype=`` is shown unless it is float32, int64 or bool (always for an empty tensor that
  is not float32), ``size=`` for empty tensors that are not 1-D.
"""
import math

import numpy as np

THRESHOLD, EDGEITEMS, PRECISION, LINEWIDTH = 1000, 3, 4, 80
SCI_MODE = None  # None: chosen from the values
_DEFAULT_DTYPES = ("float32", "int64", "bool")


class _Formatter:
    """Formats single values; built from all the values that will be shown."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f" or values.dtype.name == "bfloat16"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in values.reshape(-1).tolist()), default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitude = np.abs(shown)
        lo, hi = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        if SCI_MODE is not None:  # set_printoptions(sci_mode=...)
            self.sci_mode = SCI_MODE
        extra = 1 if self.int_mode and not self.sci_mode else 0  # the "." after whole numbers
        self.width = max(len(self._text(v)) + extra for v in shown.tolist())

    def _text(self, v):
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}"
        return f"{v:.{PRECISION}f}"

    def __call__(self, v):
        text = self._text(v) if self.floating else str(v)
        if self.floating and self.int_mode and not self.sci_mode and math.isfinite(v):
            text += "."
        return text.rjust(self.width)


def _summarized(arr):
    """The first and last EDGEITEMS entries along every dim: what a long tensor shows."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        arr = np.concatenate([arr[:EDGEITEMS], arr[-EDGEITEMS:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarized(row) for row in arr])


def _vector(arr, indent, summarize, fmt):
    per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
    values = arr.tolist()
    if summarize and len(values) > 2 * EDGEITEMS:
        items = [fmt(v) for v in values[:EDGEITEMS]] + [" ..."] + [fmt(v) for v in values[-EDGEITEMS:]]
    else:
        items = [fmt(v) for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
        rows += ["..."] + [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)]
    else:
        rows = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, each on a new line when it would pass the line width."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t, prefix="tensor"):
    arr = t._data
    start = f"{prefix}("
    indent = len(start)
    suffixes = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype.name != "float32":
            suffixes.append(f"dtype=npgrad.{arr.dtype.name}")
    else:
        summarize = arr.size > THRESHOLD
        fmt = _Formatter(_summarized(arr) if summarize else arr)
        body = _nested(arr, indent, summarize, fmt)
        if arr.dtype.name not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype=npgrad.{arr.dtype.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(start + body, suffixes, indent)


_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print, as ``torch.set_printoptions``: ``precision`` (decimals),
    ``threshold`` (more elements than this are summarized), ``edgeitems`` (shown at each
    end when summarized), ``linewidth``, ``profile`` ("default", "short", "full": sets
    the four), ``sci_mode`` (True/False forces scientific notation on or off; None
    chooses it from the values)."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one "
                             f"of {sorted(_PROFILES)}")
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        PRECISION = precision
    if threshold is not None:
        THRESHOLD = threshold
    if edgeitems is not None:
        EDGEITEMS = edgeitems
    if linewidth is not None:
        LINEWIDTH = linewidth
    SCI_MODE = sci_mode
