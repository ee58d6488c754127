"""``out=``: write a function's result into an existing tensor, as PyTorch's functions do
(``torch.matmul(a, b, out=c)`` in the Tensors tutorial, ``torch.cat(xs, out=buf)``).

PyTorch's rules, kept here: the result is computed, cast to ``out``'s dtype (refused when the
cast would lose its kind, e.g. float into long), ``out`` is resized when its shape differs (with
a warning unless it was empty), and ``out`` is returned. Autograd does not flow through
``out=``: where the result needs a gradient, PyTorch raises and so does this.
"""
import functools
import warnings

from ._backend import xp
from ._tensor import Tensor
from .autograd import grad_mode

#: functions computing one tensor from their inputs
COMPUTE = ("add", "sub", "mul", "div", "matmul", "mm", "bmm", "cat", "stack", "sum", "mean",
           "prod", "exp", "log", "sqrt", "abs", "clamp", "tanh", "sigmoid", "pow", "where",
           "neg", "sin", "cos", "maximum", "minimum", "cumsum", "addmm", "baddbmm", "outer",
           "tril", "triu", "floor", "ceil", "round", "remainder", "argmax", "argmin")
#: creation functions: the result takes ``out``'s dtype unless ``dtype=`` is given
CREATE = ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "randn", "rand",
          "randint", "randperm")

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _write(name, result, out):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if result.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    src, dst = result._data.dtype, out._data.dtype
    if _KIND_RANK[src.kind] > _KIND_RANK[dst.kind]:
        raise RuntimeError(f"{name}(): result type {result.dtype} can't be cast to the desired "
                           f"output type {out.dtype}")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(f"{name}(): an output with one or more elements was resized since it "
                          f"had shape {list(out.shape)}, which does not match the required "
                          f"output shape {list(result.shape)}.", UserWarning, stacklevel=3)
        out._data = xp.empty(tuple(result.shape), dst)
    with grad_mode.no_grad():
        out.copy_(result.detach())
    return out


def _with_out(fn, creates):
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if creates and kwargs.get("dtype") is None and isinstance(out, Tensor):
            kwargs["dtype"] = out.dtype
        return _write(name, fn(*args, **kwargs), out)

    wrapper._out_kwarg = True
    return wrapper


def install(module):
    """Give ``module.<name>`` (npgrad) an ``out=`` keyword for every name above it has."""
    for names, creates in ((COMPUTE, False), (CREATE, True)):
        for name in names:
            fn = getattr(module, name, None)
            if callable(fn) and not getattr(fn, "_out_kwarg", False):
                setattr(module, name, _with_out(fn, creates))
