"""The Tensor: a NumPy array, plus what autograd needs to know about it.

A Tensor holds
- ``_data``: the NumPy array with its values (``.data`` gives it as a Tensor, ``.numpy()`` as
  an array);
- ``grad_fn``: the Function that produced it, or ``None`` for a leaf (a tensor made by the
  user). Following ``grad_fn.inputs`` from a result walks the graph back to the leaves;
- ``grad``: after ``backward()``, the gradient of the output with respect to this tensor.

The methods are thin: each computes with an op from ``npgrad.ops``, where every op's forward
and backward are written side by side.
"""
import builtins
import weakref
from collections import namedtuple

from . import _backend, _dtype, _memory_format
from .autograd import grad_mode
from .autograd import version as _versions

xp = _backend.xp
_ndarray = _backend.ndarray


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``npgrad.Size([64, 784])``."""

    def __repr__(self):
        return f"npgrad.Size({list(self)})"

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out  # x.shape[1:] is a Size too

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cuda:0')``, ``device('mps')``.

    Any device PyTorch names can be constructed (programs build
    ``device('cuda' if cuda.is_available() else 'cpu')`` and compare it), but npgrad
    computes on the CPU only: putting a tensor or a model anywhere else raises a clear
    error (see ``_require_cpu``)."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        else:
            text = str(type)
            type, _, number = text.partition(":")
            if type not in _DEVICE_TYPES:
                raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type "
                                   f"at start of device string: {text}")
            if number:
                if index is not None or not number.isdigit():
                    raise RuntimeError(f"Invalid device string: '{text}'")
                index = builtins.int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, but got {index}")
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):  # npgrad also accepts device('cpu') == 'cpu'
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")


def _require_cpu(dev):
    """Check that ``dev`` (a device, a string, or an int: a CUDA index) is the CPU;
    anything else raises the "no such backend" error."""
    if isinstance(dev, builtins.int) and not isinstance(dev, builtins.bool):
        dev = f"cuda:{dev}"
    dev = device(dev)
    if dev.type != "cpu":
        raise RuntimeError(_NO_GPU.format(dev.type))
    return dev


_NO_GPU = (
    "npgrad has no {} backend yet: it computes with NumPy on the CPU. "
    "Leave tensors and models on 'cpu' (drop .cuda() / .to('cuda'))."
)
_CPU = device("cpu")

ReturnTypes = namedtuple("values_indices", ["values", "indices"])


def wrap(array):
    """A new leaf Tensor (no history, ``requires_grad`` False) over ``array``, sharing its
    memory: the internal way for code above the core (nn, optim, data, files, programs) to
    turn a NumPy array it has just made into a Tensor.

    It checks nothing and copies nothing, so it costs what ``Tensor._make(array, None)``
    costs (it runs in the optimizers' and the DataLoader's inner loops). The caller promises
    that ``array`` is an ``np.ndarray`` (0-d included) of a dtype npgrad supports. Where that
    is not certain, or in code written to be read (lessons, examples), use the public
    ``npgrad.from_numpy`` (checks the type and dtype, shares memory), ``npgrad.as_tensor``
    (converts lists and scalars, shares when it can) or ``npgrad.tensor`` (always copies).
    Op results with a ``grad_fn`` are made in the core only (``Tensor._make``, ``Op.apply``).
    """
    t = _new(Tensor)
    t._init(array)
    return t


_new = object.__new__


class Tensor:
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_hooks", "_vc", "__weakref__")

    # NumPy must not treat a Tensor as an array in `ndarray * tensor`: it defers to our
    # reflected operators, so the result is a Tensor that stays in the graph.
    __array_ufunc__ = None

    def __init__(self, *args, requires_grad=False):
        """``npgrad.Tensor([1, 2])`` makes a float32 tensor and ``npgrad.Tensor(2, 3)`` a 2x3
        one (zeros here, uninitialised in torch), as ``torch.Tensor`` does. Prefer
        ``npgrad.tensor(data)``, which keeps ints as int64."""
        self._init(_legacy_array(args, None, "Tensor"))
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, grad_fn):
        """Wrap an ndarray without copying: how every op's result, and every tensor the core
        makes from an array it owns, becomes a Tensor (``grad_fn`` None: a leaf). Code above
        the core uses ``wrap(array)`` below (tests/test_architecture.py checks)."""
        t = object.__new__(cls)
        t._init(array, grad_fn)
        return t

    def _init(self, array, grad_fn=None):
        """Every slot of a new Tensor, set in this one place: ``__init__``, ``_make``,
        ``Op.apply``, ``Parameter`` and ``Buffer`` all come through here. (The version
        counter, ``_vc``, is made on the first in-place change: see autograd/version.py.)"""
        self._data = array
        self._requires_grad = grad_fn is not None
        self.grad = None
        self.grad_fn = grad_fn
        self._hooks = None

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim, "size")]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return _dtype.from_np(self._data.dtype)

    @property
    def device(self):
        return _CPU

    is_cuda = False
    # what programs probe before choosing a code path: all False on npgrad's CPU tensors
    is_mps = is_xpu = is_meta = is_sparse = is_quantized = is_mkldnn = is_nested = False
    is_cpu = True

    def get_device(self):
        """-1: the CPU (a CUDA tensor would answer its GPU index)."""
        return -1

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients "
                f"(this tensor is {self.dtype})"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach()."
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same values as a Tensor outside the graph (shares memory)."""
        return Tensor._make(self._data, None)

    @data.setter
    def data(self, value):
        """``t.data = other``: ``t`` takes ``other``'s array (shape and dtype too), sharing it,
        and keeps its own identity, ``requires_grad`` and ``grad``; no version bump, as in
        PyTorch. Code above the core swaps a tensor's storage this way:
        ``t.data = wrap(new_array)``."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def T(self):
        if self._data.ndim <= 2:
            return self.t() if self._data.ndim == 2 else self
        return self.permute(*reversed(range(self._data.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)
        elif not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a
        replacement gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        owner = self.grad_fn if self.grad_fn is not None else self
        if owner._hooks is None:
            owner._hooks = {}
        return _HookHandle(owner._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after this leaf's ``.grad`` has been accumulated in backward.
        Returns a handle whose ``remove()`` unregisters it (see autograd/post_accumulate.py)."""
        from .autograd.post_accumulate import register

        return register(self, hook)

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def detach(self):
        t = Tensor._make(self._data, None)
        t._vc = _versions.counter(self)  # shares memory and version counter, as in PyTorch
        return t

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (shared with its views
        and ``.detach()``; ``.data`` counts apart, as in PyTorch)."""
        return _versions.version(self)

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, memory_format=_memory_format.preserve_format):
        return _ops.shape.clone(self, memory_format)

    def contiguous(self, memory_format=_memory_format.contiguous_format):
        if _memory_format.is_in(self._data, memory_format, "contiguous"):
            return self
        return _ops.shape.clone(self, memory_format)

    def is_contiguous(self, memory_format=_memory_format.contiguous_format):
        return _memory_format.is_in(self._data, memory_format)

    def stride(self, dim=None):
        """The step in elements along each dimension (``dim``: along that one)."""
        steps = _memory_format.strides(self._data)
        return steps if dim is None else steps[_dim(dim, self._data.ndim, "stride")]

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError(_NO_GPU.format("CUDA"))

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to('cpu')``, ``to(other_tensor)``, ``to(device, dtype)``, and
        ``memory_format=`` (``npgrad.channels_last``, ...)."""
        fmt = kwargs.pop("memory_format", _memory_format.preserve_format)
        dtype = _to_dtype(args, kwargs)
        out = self if dtype is None else self.type(dtype)
        if _memory_format.check(fmt, "to") is _memory_format.preserve_format:
            return out
        return out.contiguous(fmt)

    def type(self, dtype=None):
        if dtype is None:
            return f"npgrad.{_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
        if isinstance(dtype, str) and dtype.split(".")[-1] in _TYPE_DTYPES:  # "torch.LongTensor"
            dtype = _TYPE_DTYPES[dtype.split(".")[-1]]
        target = _dtype.to_np(getattr(dtype, "_np_dtype", dtype))  # or npgrad.LongTensor
        if target == self._data.dtype:
            return self
        return _ops.shape.cast(self, target)

    def type_as(self, other):
        return self.type(other.dtype)

    def float(self):
        return self.type(_dtype.float32)

    def double(self):
        return self.type(_dtype.float64)

    def half(self):
        return self.type(_dtype.float16)

    def bfloat16(self):
        return self.type(_dtype.bfloat16)  # needs ml_dtypes (npgrad[bf16])

    def long(self):
        return self.type(_dtype.int64)

    def int(self):
        return self.type(_dtype.int32)

    def short(self):
        return self.type(_dtype.int16)

    def byte(self):
        return self.type(_dtype.uint8)

    def bool(self):
        return self.type(_dtype.bool)

    # ------------------------------------------------------------------ backward
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    # ------------------------------------------------------------------ Python protocol
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if self._requires_grad and grad_mode._state.enabled:
            return (self[i] for i in range(self._data.shape[0]))
        return (Tensor._make(row, None) for row in self._data)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return builtins.bool(self._data)

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return self._data.item()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__

    def __repr__(self):
        return _format.tensor_repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("npgrad tensors are not pickled; save them with npgrad.save (safetensors)")

    def __deepcopy__(self, memo):
        t = Tensor._make(self._data.copy(), None)
        t._requires_grad = self._requires_grad
        if self.grad is not None:
            t.grad = Tensor._make(self.grad._data.copy(), None)
        if type(self) is not Tensor:
            t = type(self)(t, requires_grad=self._requires_grad)
        memo[id(self)] = t
        return t

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _ops.arithmetic.add(self, other)

    def __radd__(self, other):
        return _ops.arithmetic.add(other, self)

    def __sub__(self, other):
        return _ops.arithmetic.sub(self, other)

    def __rsub__(self, other):
        return _ops.arithmetic.sub(other, self)

    def __mul__(self, other):
        return _ops.arithmetic.mul(self, other)

    def __rmul__(self, other):
        return _ops.arithmetic.mul(other, self)

    def __truediv__(self, other):
        return _ops.arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return _ops.arithmetic.div(other, self)

    def __floordiv__(self, other):
        return _ops.arithmetic.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.arithmetic.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.arithmetic.remainder(self, other)

    def __rmod__(self, other):
        return _ops.arithmetic.remainder(other, self)

    def __pow__(self, other):
        return _ops.arithmetic.pow(self, other)

    def __rpow__(self, other):
        return _ops.arithmetic.pow(other, self)

    def __matmul__(self, other):
        return _ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)

    def __neg__(self):
        return _ops.arithmetic.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.unary.abs(self)

    def __invert__(self):
        return _ops.logical.bitwise_not(self)

    def __and__(self, other):
        return _ops.logical.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.logical.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.logical.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        return _ops.logical.compare(xp.equal, self, other)

    def __ne__(self, other):
        return _ops.logical.compare(xp.not_equal, self, other)

    def __lt__(self, other):
        return _ops.logical.compare(xp.less, self, other)

    def __le__(self, other):
        return _ops.logical.compare(xp.less_equal, self, other)

    def __gt__(self, other):
        return _ops.logical.compare(xp.greater, self, other)

    def __ge__(self, other):
        return _ops.logical.compare(xp.greater_equal, self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less = __gt__, __lt__

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __getitem__(self, index):
        return _ops.shape.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.inplace.setitem(self, index, value)

    # ------------------------------------------------------------------ math
    def add(self, other, alpha=1):
        return _ops.arithmetic.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return _ops.arithmetic.sub(self, other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return _ops.arithmetic.mul(self, other)

    multiply = mul

    def div(self, other, rounding_mode=None):
        return _ops.arithmetic.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other):
        return _ops.arithmetic.floor_divide(self, other)

    def remainder(self, other):
        return _ops.arithmetic.remainder(self, other)

    def fmod(self, other):
        return _ops.fmod.fmod(self, other)

    def pow(self, exponent):
        return _ops.arithmetic.pow(self, exponent)

    def neg(self):
        return _ops.arithmetic.neg(self)

    negative = neg

    def matmul(self, other):
        return _ops.linalg.matmul(self, other)

    def mm(self, other):
        return _ops.linalg.mm(self, other)

    def bmm(self, other):
        return _ops.linalg.bmm(self, other)

    def dot(self, other):
        return _ops.linalg.dot(self, other)

    def exp(self):
        return _ops.unary.exp(self)

    def log(self):
        return _ops.unary.log(self)

    def log1p(self):
        return _ops.unary.log1p(self)

    def sqrt(self):
        return _ops.unary.sqrt(self)

    def rsqrt(self):
        return _ops.unary.rsqrt(self)

    def square(self):
        return _ops.arithmetic.mul(self, self)

    def reciprocal(self):
        return _ops.arithmetic.div(1.0, self)

    def sin(self):
        return _ops.unary.sin(self)

    def cos(self):
        return _ops.unary.cos(self)

    def tanh(self):
        return _ops.unary.tanh(self)

    def sigmoid(self):
        return _ops.activation.sigmoid(self)

    def relu(self):
        return _ops.activation.relu(self)

    def abs(self):
        return _ops.unary.abs(self)

    absolute = abs

    def sign(self):
        return _ops.unary.sign(self)

    def floor(self):
        return _ops.unary.floor(self)

    def ceil(self):
        return _ops.unary.ceil(self)

    def round(self, decimals=0):
        return _ops.unary.round(self, decimals)

    def trunc(self):
        return _ops.unary.trunc(self)

    def clamp(self, min=None, max=None):
        return _ops.unary.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ops.arithmetic.maximum(self, other)

    def minimum(self, other):
        return _ops.arithmetic.minimum(self, other)

    def where(self, condition, other):
        return _ops.arithmetic.where(condition, self, other)

    def masked_fill(self, mask, value):
        # keeps self's dtype; contiguous whatever self's layout, as torch's (a contiguous clone)
        return _ops.arithmetic.where(mask, value, self).type(self.dtype).contiguous()

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def isnan(self):
        return Tensor._make(xp.isnan(self._data), None)

    def isinf(self):
        return Tensor._make(xp.isinf(self._data), None)

    def isfinite(self):
        return Tensor._make(xp.isfinite(self._data), None)

    def logical_not(self):
        return Tensor._make(xp.logical_not(self._data), None)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return builtins.bool(xp.allclose(self._data, _array(other), rtol, atol, equal_nan))

    def equal(self, other):
        o = _array(other)
        return self._data.shape == o.shape and builtins.bool((self._data == o).all())

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        return _ops.reduction.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return _ops.reduction.mean(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, dtype=None):
        return _ops.reduction.prod(self, dim, keepdim, dtype)

    def max(self, dim=None, keepdim=False):
        return _ops.reduction.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.reduction.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return _ops.reduction.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _ops.reduction.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.reduction.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.reduction.argmin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _ops.reduction.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return _ops.reduction.std(self, dim, unbiased, keepdim, correction)

    def all(self, dim=None, keepdim=False):
        return _ops.reduction.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.reduction.any(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _ops.reduction.logsumexp(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        x = self if dtype is None else self.type(dtype)  # dtype=: cast first, as in PyTorch
        return _ops.activation.softmax(x, dim)

    def log_softmax(self, dim, dtype=None):
        x = self if dtype is None else self.type(dtype)
        return _ops.activation.log_softmax(x, dim)

    def cumsum(self, dim, dtype=None):
        return _ops.reduction.cumsum(self, dim, dtype)

    def norm(self, p=2, dim=None, keepdim=False):
        return _ops.reduction.norm(self, p, dim, keepdim)

    def count_nonzero(self, dim=None):
        return Tensor._make(xp.asarray(xp.count_nonzero(self._data, axis=dim)), None)

    def sort(self, dim=-1, descending=False, stable=False):
        return _ops.shape.sort(self, dim, descending)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _ops.shape.sort(self, dim, descending).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.shape.topk(self, k, dim, largest)

    def unique(self, sorted=True, return_counts=False):
        return _ops.shape.unique(self, return_counts)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return _ops.shape.reshape(self, _shape_args(shape))

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, builtins.int)):
            return _ops.dtype_view.view_dtype(self, shape[0])  # the same bytes, another dtype
        return _ops.shape.view(self, _shape_args(shape))

    def view_as(self, other):
        return _ops.shape.view(self, other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.shape.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return _ops.shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.shape.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return _ops.shape.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        return _ops.shape.transpose(self, 0, -1) if self._data.ndim == 2 else self

    def permute(self, *dims):
        return _ops.shape.permute(self, _shape_args(dims))

    def expand(self, *sizes):
        return _ops.shape.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return _ops.shape.expand(self, other.shape)

    def repeat(self, *sizes):
        return _ops.shape.repeat(self, _shape_args(sizes))

    def split(self, split_size, dim=0):
        return _ops.shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.shape.unbind(self, dim)

    def gather(self, dim, index):
        return _ops.shape.gather(self, dim, index)

    def index_select(self, dim, index):
        return _ops.shape.index_select(self, dim, index)

    def roll(self, shifts, dims=None):
        return _ops.shape.roll(self, shifts, dims)

    def flip(self, dims):
        return _ops.shape.flip(self, dims)

    # ------------------------------------------------------------------ in place
    def add_(self, other, alpha=1):
        return _ops.inplace.apply_(self, xp.add, other if alpha == 1 else other * alpha, "add_")

    def sub_(self, other, alpha=1):
        return _ops.inplace.apply_(self, xp.subtract, other if alpha == 1 else other * alpha, "sub_")

    def mul_(self, other):
        return _ops.inplace.apply_(self, xp.multiply, other, "mul_")

    def div_(self, other):
        return _ops.inplace.apply_(self, xp.true_divide, other, "div_")

    def pow_(self, other):
        return _ops.inplace.apply_(self, xp.power, other, "pow_")

    def clamp_(self, min=None, max=None):
        return _ops.inplace.clamp_(self, min, max)

    clip_ = clamp_

    def relu_(self):
        return _ops.inplace.clamp_(self, 0, None)

    def zero_(self):
        return _ops.inplace.fill_(self, 0)

    def fill_(self, value):
        return _ops.inplace.fill_(self, value)

    def copy_(self, src):
        return _ops.inplace.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        return _ops.inplace.uniform_(self, a, b, generator)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return _ops.inplace.normal_(self, mean, std, generator)

    def bernoulli_(self, p=0.5, generator=None):
        return _ops.inplace.bernoulli_(self, p, generator)

    def masked_fill_(self, mask, value):
        return _ops.inplace.masked_fill_(self, mask, value)

    def exp_(self):
        return _ops.inplace.unary_(self, xp.exp, "exp_")

    def sqrt_(self):
        return _ops.inplace.unary_(self, xp.sqrt, "sqrt_")

    def neg_(self):
        return _ops.inplace.unary_(self, xp.negative, "neg_")

    # ------------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, requires_grad=False):
        from ._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None):
        return Tensor._make(xp.zeros(_shape_args(size), _dtype.to_np(dtype) or self._data.dtype), None)

    def new_ones(self, *size, dtype=None):
        return Tensor._make(xp.ones(_shape_args(size), _dtype.to_np(dtype) or self._data.dtype), None)

    def new_full(self, size, fill_value, dtype=None):
        return Tensor._make(xp.full(_shape_args((size,)), fill_value, _dtype.to_np(dtype) or self._data.dtype), None)

    def new_empty(self, *size, dtype=None):
        return Tensor._make(xp.empty(_shape_args(size), _dtype.to_np(dtype) or self._data.dtype), None)


class _HookHandle:
    _next_id = 0

    def __init__(self, hooks, hook):
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
    "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
}


_TYPE_DTYPES = {v: xp.dtype(k) for k, v in _TYPE_NAMES.items()}


def _to_dtype(args, kwargs):
    """The dtype asked for by ``.to(...)``'s arguments (None: keep it). A device argument
    is checked: anything but the CPU raises a clear error (an int means a CUDA index)."""
    dtype = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if a is None or isinstance(a, builtins.bool):
            continue
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, device, builtins.int)):
            _require_cpu(a)
        else:
            dtype = a
    return dtype


def _array(x):
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def _dim(d, ndim, op):
    """A dim argument made non-negative, with PyTorch's error when out of range."""
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= d <= hi:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
        )
    return d % max(ndim, 1)


def _legacy_array(args, np_dtype, name):
    """The array of the legacy constructors ``Tensor(...)``/``LongTensor(...)``: no argument
    gives an empty tensor, ints (or a Size) give that shape, one sequence gives its values
    (float32 for ``Tensor``, the named dtype for ``LongTensor`` and the like), and a tensor
    keeps its values (and, for ``Tensor``, its dtype)."""
    default = _dtype.default_float if np_dtype is None else np_dtype
    if not args:
        return xp.empty((0,), dtype=default)
    ints = builtins.all(isinstance(a, (builtins.int, xp.integer)) and not isinstance(a, builtins.bool) for a in args)
    if ints or (len(args) == 1 and isinstance(args[0], Size)):
        shape = tuple(builtins.int(a) for a in (args[0] if isinstance(args[0], Size) else args))
        if builtins.any(n < 0 for n in shape):
            raise RuntimeError(f"{name}(): Trying to create tensor with negative dimension: {list(shape)}")
        return xp.zeros(shape, dtype=default)
    if len(args) > 1:
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got {len(args)} arguments")
    data = args[0]
    if isinstance(data, Tensor):
        return data._data if np_dtype is None else data._data.astype(np_dtype)
    if isinstance(data, (builtins.float, builtins.bool)):
        raise TypeError(f"{name}(): data must be a sequence (got {type(data).__name__})")
    return xp.array(data, dtype=default)


def _shape_args(args):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both give (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = args[0]
    return tuple(builtins.int(a) for a in args)


from . import _format  # noqa: E402
from . import ops as _ops  # noqa: E402  (ops import Tensor: load them after the class)
