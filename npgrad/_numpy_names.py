"""NumPy's keyword names where PyTorch accepts them: ``axis`` for ``dim`` and ``keepdims`` for
``keepdim``. PyTorch's argument parser takes both spellings on its reductions and a few
dim-taking functions (``x.sum(axis=1)``, ``P.sum(1, keepdims=True)`` in Karpathy's makemore);
these wrappers rename them before the call, on the Tensor methods and the ``npgrad.*``
functions alike. ``F.softmax`` and friends are plain Python in PyTorch and take only ``dim``.
"""
import functools

from ._tensor import Tensor

#: functions taking ``dim`` and ``keepdim``: both NumPy spellings are accepted
KEEPDIM = ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var",
           "std", "all", "any", "logsumexp", "nansum", "median", "mode")
#: functions taking ``dim`` only: ``axis`` is accepted
DIM_ONLY = ("cumsum", "cumprod", "softmax", "log_softmax", "count_nonzero", "squeeze",
            "unsqueeze")

_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _renaming(fn, aliases):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for numpy_name, torch_name in aliases.items():
            if numpy_name in kwargs:
                if torch_name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {torch_name!r} and its NumPy "
                                    f"alias {numpy_name!r}")
                kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    wrapper._numpy_names = True
    return wrapper


def install(module):
    """Wrap ``Tensor.<name>`` and ``module.<name>`` (npgrad) for every name above they have."""
    for names, aliases in ((KEEPDIM, _ALIASES), (DIM_ONLY, {"axis": "dim"})):
        for name in names:
            for owner in (Tensor, module):
                fn = owner.__dict__.get(name) if owner is Tensor else getattr(owner, name, None)
                if callable(fn) and not getattr(fn, "_numpy_names", False):
                    setattr(owner, name, _renaming(fn, aliases))
