"""npgrad: a deep-learning library written from scratch on NumPy, with PyTorch's API.

    import npgrad as torch

runs code written for PyTorch's tensors, autograd, nn, optim and data loading.
"""
from . import _dtype, _threads, autograd, cuda, random
from ._creation import (
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    linspace, logspace, multinomial, normal, ones, ones_like, rand, rand_like, randint,
    randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from ._dtype import (
    bool, double, dtype, float, float16, float32, float64, half, int, int8, int16, int32,
    int64, long, short, uint8,
)
from ._tensor import Size, Tensor, device
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled,
)
from .ops.arithmetic import (
    add, div, floor_divide, maximum, minimum, mul, neg, pow, remainder, sub, where,
)
from .ops.activation import log_softmax, relu, sigmoid, softmax
from .ops.linalg import bmm, dot, linear as _linear, matmul, mm
from .ops.logical import (
    allclose, eq, equal, ge, gt, isclose, le, logical_and, logical_not, logical_or, lt, ne,
)
from .ops.reduction import (
    all, amax, amin, any, argmax, argmin, cumsum, logsumexp, max, mean, min, norm, prod,
    std, sum, var,
)
from .ops.shape import (
    broadcast_shapes, broadcast_to, cat, chunk, clone, concat, concatenate, flatten, flip,
    gather, index_select, permute, reshape, roll, sort, split, squeeze, stack, take_along_dim,
    topk, transpose, unbind, unique, unsqueeze,
)
from .ops.unary import (
    abs, ceil, clamp, clip, cos, exp, floor, log, log1p, round, rsqrt, sign,
    sin, sqrt, tanh, trunc,
)
from ._threads import get_num_threads, set_num_threads
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from ._tensor_functions import (  # noqa: F401  (also adds their Tensor methods)
    addbmm, addmm, addmv, argwhere, baddbmm, bincount, cdist, cummax, cummin, diag, einsum,
    erf, erfc, erfinv, ger, histc, index_add, kron, lerp, masked_select, meshgrid, narrow,
    nonzero, outer, repeat_interleave, scatter, scatter_add, tensordot, trace, tril, triu,
    diagonal, erf_, erfc_, tril_indices, triu_indices,
)

__version__ = "0.1.0"

_threads.default_to_one_thread()  # small matrices: one BLAS thread is faster (see _threads.py)

subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
absolute = abs
FloatTensor = DoubleTensor = LongTensor = Tensor


def numel(t):
    return t.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def t(x):
    return x.t()


def argsort(x, dim=-1, descending=False, stable=False):
    return x.argsort(dim, descending)


def masked_fill(x, mask, value):
    return x.masked_fill(mask, value)


def square(x):
    return x * x


def isnan(x):
    return x.isnan()


def isinf(x):
    return x.isinf()


def isfinite(x):
    return x.isfinite()


def count_nonzero(x, dim=None):
    return x.count_nonzero(dim)


def get_default_dtype():
    """The dtype Python floats and float-making functions give (float32 unless changed)."""
    return _dtype._FROM_NP[_dtype.default_float]


def set_default_dtype(d):
    """``torch.set_default_dtype(torch.float64)``: Python floats, ``zeros``/``randn``/...,
    ``arange`` of floats and new layers' parameters are then float64. float32 and float64
    only (npgrad has no float16 default: its arithmetic would be slow and lossy)."""
    if not isinstance(d, _dtype.dtype) or d.np.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d}")
    if d.np.itemsize not in (4, 8):
        raise TypeError(f"set_default_dtype: npgrad supports float32 and float64 as the default "
                        f"type, got {d}")
    _dtype.default_float = d.np




# Subpackages load on first use (PEP 562), so `import npgrad` stays fast and
# `import npgrad as torch; torch.nn.Linear(...)` still works.
_LAZY = {
    "nn": ".nn", "optim": ".optim", "utils": ".utils", "vision": ".vision",
    "models": ".models", "train": ".train", "lessons": ".lessons",
}
_LAZY_ATTRS = {"save": (".serialization", "save"), "load": (".serialization", "load"),
               "summary": ("._summary", "summary")}
_LAZY["serialization"] = ".serialization"  # npgrad.serialization.add_safe_globals, as in torch
_LAZY["onnx"] = ".onnx"  # npgrad.onnx.export (the onnx package is imported at export)


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return importlib.import_module(_LAZY[name], __name__)
    if name in _LAZY_ATTRS:
        mod, attr = _LAZY_ATTRS[name]
        return getattr(importlib.import_module(mod, __name__), attr)
    raise AttributeError(f"module 'npgrad' has no attribute '{name}'")


from ._fast import kernels, set_kernels  # noqa: E402  which paths run: see npgrad/_fast
from . import distributed  # noqa: E402,F401  (torch.distributed on MPI; mpi4py loads lazily)
# issue 11: the legacy typed constructors make their dtype (they were aliases of Tensor)
from ._legacy_tensors import (  # noqa: E402,F401
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor,
)
_LAZY_ATTRS.update({  # torch.cosine_similarity / torch.pairwise_distance, as F.'s (issue 11)
    "cosine_similarity": (".nn._functional_extra", "cosine_similarity"),
    "pairwise_distance": (".nn._functional_extra", "pairwise_distance"),
})
# What CPU-only programs probe about their environment (devices, backends, mixed
# precision, compilers), answered as PyTorch answers without an accelerator.
from ._dtype import bfloat16
from ._format import set_printoptions
from ._settings import (
    are_deterministic_algorithms_enabled, get_default_device, get_deterministic_debug_mode,
    get_float32_matmul_precision, is_deterministic_algorithms_warn_only_enabled,
    set_default_device, set_deterministic_debug_mode, set_float32_matmul_precision,
    use_deterministic_algorithms,
)

_LAZY.update({"accelerator": ".accelerator", "backends": ".backends", "amp": ".amp",
              "jit": ".jit", "compiler": ".compiler", "cpu": ".cpu", "mps": ".mps",
              "xpu": ".xpu"})
_LAZY_ATTRS.update({"compile": (".compiler", "compile"),
                    "autocast": (".amp.autocast_mode", "autocast"),
                    "is_autocast_enabled": (".amp.autocast_mode", "is_autocast_enabled"),
                    "get_autocast_dtype": (".amp.autocast_mode", "get_autocast_dtype")})
from .autograd.grad_mode import is_inference_mode_enabled  # noqa: E402
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly as _set_detect_anomaly  # noqa: E402,F401
from .ops.fmod import fmod  # noqa: E402,F401

import warnings as _warnings  # noqa: E402

# NumPy's floating-point warnings ("divide by zero encountered", "invalid value ...") from
# npgrad's own ops: PyTorch is silent there (inf and nan are the answer), so npgrad is too.
# Only warnings raised from npgrad's modules are filtered; the user's NumPy code keeps its own.
# (A tool that resets the warning filters after import, as pytest does per test, can call
# ``npgrad._quiet_numpy_warnings()`` again.)


def _quiet_numpy_warnings():
    _warnings.filterwarnings(
        "ignore",
        message=r"(divide by zero|invalid value|overflow|underflow) encountered",
        category=RuntimeWarning,
        module=r"npgrad(\.|$)",
    )


_quiet_numpy_warnings()
# issue 16: npgrad.viz (the autograd graph as a picture) loads on first use too
_LAZY["viz"] = ".viz"
from ._fast.denormal import set_flush_denormal  # noqa: E402  (torch.set_flush_denormal)
# NumPy spellings PyTorch accepts on reductions: x.sum(axis=1), P.sum(1, keepdims=True)
from . import _numpy_names  # noqa: E402
_numpy_names.install(__import__(__name__))
# log10, log2, exp2, expm1, sinh, cosh, asin, acos, atan (+ arc* aliases): functions and methods
from .ops import unary_more as _unary_more  # noqa: E402
for _name, _fn in _unary_more.FUNCTIONS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
    globals().setdefault(_name, _fn)
# out= on the functions tutorials call with it: torch.matmul(a, b, out=c), torch.zeros(3, out=t)
from . import _out  # noqa: E402
_out.install(__import__(__name__))
# std_mean / var_mean: both statistics in one call, as PyTorch's
from ._stats import std_mean, var_mean  # noqa: E402,F401
_LAZY.update({"distributions": ".distributions"})  # Categorical, Normal (policy gradients, VAEs)
_LAZY.update({"linalg": ".linalg"})  # vector_norm, matrix_norm, norm, inv, solve, det
# finfo/iinfo, and hstack/vstack/movedim/tile/diff/clamp_min/addcmul/... (+ methods, mT)
from ._type_info import finfo, iinfo  # noqa: E402,F401
from . import _tensor_more  # noqa: E402
_tensor_more.install(__import__(__name__))
from ._rng_state import get_rng_state, set_rng_state  # noqa: E402,F401  (checkpoint/resume code)

# memory formats (issue 17): an op's output keeps its input's, as in PyTorch
from ._memory_format import (  # noqa: E402
    channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format,
)
# atan2/arctan2, cumprod, logcumsumexp, searchsorted, bucketize, rot90, diag_embed; mv, select,
# fliplr/flipud, take, tensor_split, h/v/dsplit, median, kthvalue, aminmax (+ methods)
from . import _more_ops  # noqa: E402
_more_ops.install(__import__(__name__))
