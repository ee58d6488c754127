"""PyTorch's custom-Function API: ``class MyReLU(npgrad.autograd.Function)``.

    class MyReLU(npgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0)

    y = MyReLU.apply(x)

``forward`` and ``backward`` take and return Tensors (the internal ``Op`` of function.py takes
NumPy arrays). ``forward`` runs with recording off; ``apply`` then records one graph node,
``_CustomNode``, whose backward calls the user's ``backward`` (also with recording off).
Supported, as in PyTorch: ``ctx.save_for_backward`` / ``ctx.saved_tensors`` (checked
against in-place changes on access), ``ctx.needs_input_grad``, ``ctx.mark_dirty``,
``ctx.mark_non_differentiable``, ``ctx.set_materialize_grads``, non-tensor arguments,
several outputs, ``once_differentiable`` and the ``setup_context`` style (``forward``
without ctx, plus ``setup_context(ctx, inputs, output)``).

Several outputs: each output Tensor gets a small ``_OutputNode`` pointing at the shared
``_CustomNode``; the engine collects their gradients into one list for it.
"""
import functools

from .. import _backend
from . import grad_mode
from . import version as _versions
from .engine import _FREED_MESSAGE
from .function import Op

xp = _backend.xp


class FunctionCtx:
    """The ``ctx`` handed to ``forward``/``setup_context`` and ``backward``."""

    def __init__(self):
        self._saved = None
        self._node = None
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._dirty = ()
        self._non_differentiable = ()

    def save_for_backward(self, *tensors):
        from .._tensor import Tensor

        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {tensors.index(t)} "
                    f"is of type {type(t).__name__}"
                )
        self._saved = tuple((t, None if t is None else _versions.version(t)) for t in tensors)

    @property
    def saved_tensors(self):
        if self._saved is None:
            return ()
        if self._node is not None and self._node.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        out = []
        for t, v in self._saved:
            if t is not None and _versions.version(t) != v:
                raise RuntimeError(_versions._message(t._data, t.grad_fn, _versions.version(t), v))
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = cls  # PyTorch exposes the node class; here the node names it


class Function(metaclass=_FunctionMeta):
    """Base class of user-defined differentiable functions (PyTorch's API)."""

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please "
            "use new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor

        if kwargs:
            raise TypeError(f"{cls.__name__}.apply takes positional arguments only")
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = grad_mode._state.enabled and any(ctx.needs_input_grad)
        parents = [a.grad_fn if isinstance(a, Tensor) else None for a in args]
        new_style = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if new_style:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output

        dirty = {id(t) for t in ctx._dirty}
        if not record:
            return output
        for t in ctx._dirty:
            if t._requires_grad and t.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )

        node = _CustomNode()
        node.cls, node.ctx = cls, ctx
        ctx._node = node
        node.inputs = [
            (Tensor._make(a._data, a.grad_fn) if id(a) in dirty else a) if isinstance(a, Tensor) else None
            for a in args
        ]
        for i, a in enumerate(args):  # the "before" stand-in of a dirty input must count as needing
            if isinstance(a, Tensor) and id(a) in dirty:
                node.inputs[i]._requires_grad = a._requires_grad
        node.parents = parents
        node.saved = tuple(t for t, _ in ctx._saved) if ctx._saved else ()
        node._epoch = _versions.now()
        node.shapes = [o._data.shape if isinstance(o, Tensor) else None for o in outputs]
        node.dtypes = [o._data.dtype if isinstance(o, Tensor) else None for o in outputs]
        node.n_out = len(outputs)
        node.single = single

        non_diff = {id(t) for t in ctx._non_differentiable}
        arg_ids = {id(a) for a in args if isinstance(a, Tensor)}
        result = []
        for i, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                result.append(o)
                continue
            if id(o) in arg_ids and id(o) not in dirty:
                o = Tensor._make(o._data, None)  # an input returned as is: a new alias
            if id(o) in non_diff or o._data.dtype.kind not in "fc":
                o._requires_grad = False
                result.append(o)
                continue
            if single:
                o.grad_fn = node
            else:
                part = _OutputNode()
                part.core, part.index = node, i
                part.parents = [node]
                part.inputs = [None]
                o.grad_fn = part
            o._requires_grad = True
            result.append(o)
        return result[0] if single else tuple(result)


class _CustomNode(Op):
    """The graph node of one ``Function.apply``: calls the user's ``backward``. Under
    ``create_graph`` the gradients come in as Tensors and the user's backward is recorded
    (unless it is ``once_differentiable``), so it is differentiable if written with ops."""

    _double = True

    def name(self):
        return f"{self.cls.__name__}Backward"

    def backward(self, grads):
        from .._tensor import Tensor

        if not isinstance(grads, list):
            grads = [grads]
        ctx = self.ctx
        graph = any(isinstance(g, Tensor) for g in grads)  # create_graph=True
        tensors = []
        for g, shape, dtype in zip(grads, self.shapes, self.dtypes):
            if g is None and ctx.materialize_grads and shape is not None:
                g = xp.zeros(shape, dtype=dtype)
            tensors.append(g if g is None or isinstance(g, Tensor) else Tensor._make(g, None))
        with grad_mode.set_grad_enabled(graph):
            result = self.cls.backward(ctx, *tensors)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.inputs)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(result)})"
                )
        out = []
        for i, (r, t) in enumerate(zip(result, self.inputs)):
            if r is None or t is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"function {self.name()} returned a gradient of type {type(r).__name__} at "
                    f"index {i}; expected a Tensor or None"
                )
            g = r if graph else r._data
            if tuple(g.shape) != t._data.shape:
                try:
                    xp.broadcast_shapes(tuple(g.shape), t._data.shape)
                    ok = r._data.size >= t._data.size  # summed down to the input's shape by the engine
                except ValueError:
                    ok = False
                if not ok:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"{list(r._data.shape)} but expected shape compatible with {list(t._data.shape)}"
                    )
            out.append(g)
        return tuple(out)


class _OutputNode(Op):
    """Output ``index`` of a several-output ``_CustomNode`` ``core`` (engine.py gathers)."""
    _double = True  # gathered by the engine, never called

    def name(self):
        return self.core.name()

    def backward(self, grad):  # never called: the engine hands the gradient to ``core``
        raise AssertionError


class _TwiceError(Op):
    """Stands for a ``once_differentiable`` backward's result under create_graph: passes the
    values through, and raises if differentiated, as PyTorch does."""

    def forward(self, value, *grads):
        return value

    def backward(self, grad):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(fn):
    """Mark a ``backward`` as not itself differentiable: it runs with recording off, and
    differentiating its result (create_graph=True) raises."""
    from .._tensor import Tensor

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        recording = grad_mode._state.enabled
        with grad_mode.no_grad():
            result = fn(ctx, *args)
        live = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        if not (recording and live):
            return result
        single = not isinstance(result, tuple)
        out = tuple(
            _TwiceError.apply(r, *live) if isinstance(r, Tensor) else r
            for r in ((result,) if single else result)
        )
        return out[0] if single else out

    return wrapper
