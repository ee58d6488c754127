"""``Op``: one differentiable op, its forward beside its backward (npgrad's internal op base).

Every op of ``npgrad/ops`` subclasses ``Op`` and works on NumPy arrays. The PyTorch-style
class users subclass, with static ``forward(ctx, ...)``/``backward(ctx, ...)`` on Tensors, is
``npgrad.autograd.Function`` (autograd/custom.py; also ``npgrad.autograd.function.Function``
as in torch).

Write an op by subclassing ``Op``::

    class Mul(Op):
        def forward(self, a, b):           # NumPy arrays (or constants) in
            self.saved = (a, b)            # what backward needs; freed after backward
            return a * b                   # one NumPy array out

        def backward(self, grad):          # dLoss/dOut in
            a, b = self.saved
            return grad * b, grad * a      # dLoss/dInput, one per positional input

    y = Mul.apply(x, w)                    # Tensors (or constants) in, a Tensor out

Rules an op can rely on, and must keep:
- ``apply`` hands ``forward`` the arrays of Tensor arguments; anything else (a Python number,
  a shape, a NumPy array) is passed through unchanged and gets no gradient. Keyword
  arguments go to ``forward`` only.
- In ``backward``, ``self.needs[i]`` says whether input ``i`` needs a gradient: skip the work
  for the others and return ``None`` in their place.
- ``backward`` may return a gradient shaped like the *broadcast* output: the engine sums it
  down to the input's shape and casts it to the input's dtype, in one place.
- ``backward`` never writes into ``grad``; it may return ``grad`` itself or a view of it.
- Arrays needed by backward go in ``self.saved``; the engine frees them after use (unless
  ``retain_graph=True``), and a second backward through the node then raises.
"""
from .. import _backend
from . import grad_mode
from . import anomaly as _anomaly
from .anomaly import _enabled as _ANOMALY
from .version import _epoch as _EPOCH, share as _share_version

_ndarray = _backend.ndarray
_asarray = _backend.xp.asarray
_new = object.__new__
_grad_state = grad_mode._state  # a threading.local: the grad mode is per thread


class _NodeName:
    """``fn.name()``: ``torch_name`` if the node set one, else "<class name>Backward0" (also
    on the class itself: ``Mul.name()``)."""

    def __get__(self, fn, cls):
        name = getattr(fn, "torch_name", None) or f"{cls.__name__}Backward0"
        return lambda: name


class Op:
    saved = ()  # arrays kept for backward; None once freed
    needs = ()  # per positional input: does it need a gradient?
    inputs = ()  # per positional input: the Tensor, or None for a constant
    parents = ()  # per positional input: its grad_fn when this op ran (the graph's edge)
    _retained = None  # weakref to the output Tensor when it called retain_grad()
    _hooks = None  # gradient hooks registered on the output Tensor
    _view = False  # True for ops whose output may be a NumPy view of input 0 (shares its version)
    _epoch = 0  # version.py's epoch when this node was recorded
    _out_vc = None  # the output's version counter, once the output was changed in place
    # Per input i: the inputs whose gradients use input i's saved values (None: any). Lets
    # the in-place check skip values PyTorch would not have saved (``h * 3`` needs no h).
    _saved_for = None
    core = None  # set on the per-output nodes of a several-output custom Function
    _double = False  # backward also runs on Tensors (create_graph=True): see dual.py
    _saved_out = None  # index in ``saved`` of the op's output, for create_graph
    _stack = None  # the forward's traceback, recorded in anomaly mode

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op, kept lean on purpose: the graph's edges are built only
        # when recording, the result Tensor inline. (``needs`` is filled in at backward.)
        fn = cls()
        record = False
        arrays = []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._requires_grad:
                    record = True
            else:
                arrays.append(a)
        record = record and _grad_state.enabled  # this thread's grad mode
        if record:
            # the graph's edges: each input and its grad_fn as it is now (a later in-place
            # op may give the tensor a new grad_fn; this node must keep pointing at the old)
            fn.inputs = [a if isinstance(a, Tensor) else None for a in args]
            fn.parents = [a.grad_fn if isinstance(a, Tensor) else None for a in args]
            fn._epoch = _EPOCH[0]
            if _ANOMALY[0]:
                fn._stack = _anomaly.forward_stack()
        try:
            out = fn.forward(*arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            raise _op_error(cls, args, e) from None
        if type(out) is not _ndarray:
            out = _asarray(out)
        t = _new(Tensor)
        t._init(out, fn if record else None)
        if cls._view and out.base is not None:
            _share_version(t, args[0])
        return t

    # PyTorch names a node "MulBackward0"; so do we, for repr and error messages. An op
    # whose PyTorch name depends on its inputs (matmul: Mm, Mv, Dot) sets ``torch_name``.
    name = _NodeName()

    @property
    def next_functions(self):
        return tuple((p, 0) for p in self.parents)

    def __repr__(self):
        return f"<{self.name()}>"


def __getattr__(name):
    # ``torch.autograd.function.Function`` (the PyTorch-style class users subclass),
    # ``once_differentiable`` and ``FunctionCtx`` live in custom.py
    if name in ("Function", "once_differentiable", "FunctionCtx"):
        from . import custom

        return getattr(custom, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _op_error(cls, args, err):
    """Turn a NumPy error deep inside an op into one that names the op and its inputs."""
    shapes = ", ".join(_describe(a) for a in args)
    return RuntimeError(f"{cls.__name__.lower()}: {err} (inputs: {shapes})")


def _describe(a):
    if isinstance(a, Tensor):
        return str(tuple(a.shape))
    if isinstance(a, _ndarray):  # a mask or an index: its shape, never its whole contents
        return f"array of shape {a.shape}"
    return repr(a)


from .._tensor import Tensor  # noqa: E402  (Tensor's module imports this one lazily)
