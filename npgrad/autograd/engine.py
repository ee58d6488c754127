"""The backward pass: walk the graph from the output to the leaves, applying the chain rule.

1. Order the nodes (Functions) topologically with an explicit stack: a chain of 100,000 ops
   needs no recursion.
2. Visit them from the output down. Each node receives the sum of the gradients of its
   output's uses, calls its ``backward``, and passes one gradient to each input.
3. A gradient is summed down to its input's shape (broadcasting's backward) and cast to its
   dtype here, in one place, so no op has to.
4. Leaves accumulate into ``.grad``; a non-leaf keeps one only after ``retain_grad()``.
5. Before a node's backward, its saved values are checked against in-place changes made
   since it was recorded (version.py): one integer compare when nothing changed anywhere.

Higher-order gradients (``create_graph=True``) take ``run_backward_graph``, a second loop
kept apart so that the array loop above stays as fast as it was. It calls the *same*
``backward`` of each node, but with Tensors: the incoming gradient, and ``saved`` with the
node's inputs (and output, for ops that save it: ``_saved_out``) swapped for the Tensors in
the graph, so every operation of the formula is recorded. Formulas are written once, with
operators and the few functions of dual.py that dispatch on ndarray vs Tensor. An op whose
backward is written that way says ``_double = True``; any other op refuses create_graph
with an error naming it, rather than return a wrong second derivative.
"""
from .. import _backend
from . import post_accumulate as _post
from . import version
from .version import _epoch as _EPOCH
from . import anomaly
from .anomaly import _enabled as _ANOMALY

xp = _backend.xp
_ndarray = _backend.ndarray

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need "
    "to backward through the graph a second time or if you need to access saved tensors "
    "after calling backward."
)


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting (the one place it is undone)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def topological_order(roots):
    """Every node reachable from ``roots``, each before the nodes it depends on."""
    order, seen = [], set()
    stack = [(fn, False) for fn in roots]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in seen:
            continue
        seen.add(fn)
        stack.append((fn, True))
        for parent in fn.parents:
            if parent is not None and parent not in seen:
                stack.append((parent, False))
    order.reverse()
    return order


def _shared(grad, incoming):
    """Could this gradient array be seen elsewhere? True for the node's own incoming
    gradient (passed straight through, as by an add) or a view of another array. Such a
    gradient is copied before it becomes a ``.grad`` that users and optimizers write into."""
    return grad is incoming or grad.base is not None or not grad.flags.writeable


def _run_hooks(hooks, grad):
    from .._tensor import Tensor

    for hook in list(hooks.values()):
        result = hook(Tensor._make(grad, None))
        if result is not None:
            grad = result._data
    return grad


def _laid_out_like(grad, data, shared):
    """PyTorch's gradient layout contract: a leaf's first ``.grad`` has the leaf's memory
    layout when the leaf is dense (a channels-last input gets a channels-last gradient), else
    it is contiguous. ``shared``: ``grad`` may be kept elsewhere, so never store it itself."""
    if grad.strides == data.strides or (grad.flags.c_contiguous and data.flags.c_contiguous):
        return grad.copy(order="K") if shared else grad
    dense = data.ndim > 0 and 0 not in data.strides and data.transpose(
        xp.argsort(data.strides, kind="stable")[::-1]).flags.c_contiguous
    out = xp.empty_like(data, dtype=grad.dtype) if dense else xp.empty(grad.shape, grad.dtype)
    xp.copyto(out, grad)
    return out


def _accumulate(tensor, grad, shared):
    """Add ``grad`` into ``tensor.grad`` (PyTorch's AccumulateGrad)."""
    from .._tensor import Tensor

    if tensor.grad is None:
        tensor.grad = Tensor._make(_laid_out_like(grad, tensor._data, shared), None)
    else:
        acc = tensor.grad._data
        if acc.shape == grad.shape and acc.flags.writeable:
            xp.add(acc, grad, out=acc)
        else:
            tensor.grad = Tensor._make(acc + grad, None)


def _check_root_views(nodes):
    """``v.backward()`` on a view ``v``: its caller uses ``v`` now (see check_view_use)."""
    for fn in nodes:
        if fn._view and _EPOCH[0] > fn._epoch:
            version.check_view_use(fn, _EPOCH[0])


def run_backward(roots, root_grads, retain_graph=False, capture=None, only=None):
    """Backpropagate ``root_grads`` from the Tensors ``roots``.

    Without ``capture`` gradients accumulate into the leaves' ``.grad`` (only into the
    Tensors of ``only``, when given: ``backward(inputs=...)``; a non-leaf among them gets its
    gradient in ``.grad`` too). With ``capture`` (a
    dict id(tensor) -> None, as ``autograd.grad`` uses) nothing is accumulated; the gradient
    of each captured tensor is stored in the dict instead.
    """
    grads = {}
    # A leaf may get several contributions (x used twice); they are summed here and
    # delivered once at the end, so its hooks see the total, as in PyTorch.
    leaves = {}  # id(leaf) -> [leaf, summed gradient, shared?]
    for t, g in zip(roots, root_grads):
        if t.grad_fn is None:  # backward() called on a leaf itself
            _collect(leaves, t, g, True)
        elif t.grad_fn in grads:
            grads[t.grad_fn] = grads[t.grad_fn] + g
        else:
            grads[t.grad_fn] = g
    _check_root_views(grads)

    captured_fns = {}
    if only is not None:
        capture = _Only(only)
    if capture is not None:
        for t in capture.values_tensors:
            if t.grad_fn is not None:
                captured_fns[t.grad_fn] = t

    order = topological_order(list(grads))
    # With post-accumulate hooks (DDP) a leaf gets its gradient as soon as it is complete.
    uses = _post.leaf_uses(order) if _post.REGISTRY and capture is None else None

    for fn in order:
        grad = grads.pop(fn, None)
        if grad is None:
            continue
        if fn._hooks:
            grad = _run_hooks(fn._hooks, grad)
        if fn._retained is not None and capture is None:
            out = fn._retained()
            if out is not None:
                _accumulate(out, grad, True)
        if fn in captured_fns:
            capture[id(captured_fns[fn])] = grad
        core = fn.core
        if core is not None:  # output i of a several-output custom Function: gather for it
            slot = grads.get(core)
            if slot is None:
                slot = grads[core] = [None] * core.n_out
            slot[fn.index] = grad if slot[fn.index] is None else slot[fn.index] + grad
            continue
        if fn.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        made = fn._epoch
        if _EPOCH[0] > made:  # something changed in place since this node was made
            version.check(fn)

        # An input needs a gradient if it came from a node, or is a leaf that requires one.
        needs = fn.needs = [
            p is not None or (t is not None and t.grad_fn is None and t._requires_grad)
            for t, p in zip(fn.inputs, fn.parents)
        ]
        if _ANOMALY[0]:
            input_grads = anomaly.checked_backward(fn, grad)
        else:
            input_grads = fn.backward(grad)
        if not retain_graph and fn.saved:
            fn.saved = None

        for t, parent, need, g in zip(fn.inputs, fn.parents, needs, input_grads):
            if g is None or not need:
                continue
            if type(g) is not _ndarray:
                g = xp.asarray(g)
            data = t._data
            if g.shape != data.shape:
                g = sum_to(g, data.shape)
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
            if parent is None:
                _collect(leaves, t, g, _shared(g, grad))
                continue
            if parent._view and _EPOCH[0] > parent._epoch:
                version.check_view_use(parent, made)
            if parent in grads:
                grads[parent] = grads[parent] + g
            else:
                grads[parent] = g
        if uses is not None:
            _post.deliver_ready(uses, fn, leaves, lambda t, g, s: _deliver_to_leaf(t, g, s, None))

    for t, g, shared in leaves.values():
        _deliver_to_leaf(t, g, shared, capture)
    if only is not None:
        capture.deliver()


def _collect(leaves, t, g, shared):
    entry = leaves.get(id(t))
    if entry is None:
        leaves[id(t)] = [t, g, shared]
    else:
        entry[1] = entry[1] + g  # a fresh array: no longer shared
        entry[2] = False


def _deliver_to_leaf(t, g, shared, capture):
    if capture is not None:
        if id(t) in capture:
            capture[id(t)] = g
        return
    if t._hooks:
        hooked = _run_hooks(t._hooks, g)
        shared = shared or hooked is not g
        g = hooked
    _accumulate(t, g, shared)
    if _post.REGISTRY:
        _post.run(t)


class _Only(dict):
    """``backward(inputs=...)``: capture the gradients of ``tensors``, then accumulate them."""

    def __init__(self, tensors):
        super().__init__((id(t), None) for t in tensors)
        self.values_tensors = list(tensors)

    def deliver(self):
        for t in self.values_tensors:
            g = self[id(t)]
            if g is not None:
                if t._hooks and t.grad_fn is None:
                    g = _run_hooks(t._hooks, g)
                _accumulate(t, g, True)


class Capture(dict):
    """id(tensor) -> gradient, for ``autograd.grad``."""

    def __init__(self, tensors):
        super().__init__((id(t), None) for t in tensors)
        self.values_tensors = list(tensors)


# ------------------------------------------------------------------ create_graph=True
_NO_DOUBLE = (
    "npgrad cannot differentiate through the backward of {name} (create_graph=True / "
    "higher-order gradients): its backward formula is not written for Tensors yet. The ops "
    "that support it are listed in npgrad/autograd/dual.py's users (_double = True)."
)


def _graph_saved(fn):
    """``fn.saved`` with the op's inputs and output as Tensors in the graph (so the backward
    formula is recorded as a function of them); other saved values stay constants."""
    from .._tensor import Tensor

    by_id = {id(t._data): t for t in fn.inputs if t is not None}
    out_index = fn._saved_out
    saved = []
    for k, s in enumerate(fn.saved):
        if out_index is not None and k == out_index:
            t = Tensor._make(s, fn)  # the output, made by fn: differentiable through fn
            saved.append(t)
        elif isinstance(s, _ndarray) and id(s) in by_id:
            saved.append(by_id[id(s)])
        else:
            saved.append(s)
    return tuple(saved)


def run_backward_graph(roots, root_grads, capture=None, only=None):
    """``run_backward`` with ``create_graph=True``: every gradient is a Tensor computed by
    recorded ops, so it can be differentiated again. Nodes are never freed here."""
    from .._tensor import Tensor
    from . import dual, grad_mode

    def as_t(g):
        return g if isinstance(g, Tensor) else Tensor._make(xp.asarray(g), None)

    grads, leaves = {}, {}
    for t, g in zip(roots, root_grads):
        g = as_t(g)
        if t.grad_fn is None:
            leaves[id(t)] = [t, g] if id(t) not in leaves else [t, leaves[id(t)][1] + g]
        else:
            grads[t.grad_fn] = grads[t.grad_fn] + g if t.grad_fn in grads else g
    _check_root_views(grads)
    if only is not None:
        capture = _Only(only)
    captured_fns = {}
    if capture is not None:
        for t in capture.values_tensors:
            if t.grad_fn is not None:
                captured_fns[t.grad_fn] = t

    with grad_mode.enable_grad():
        for fn in topological_order(list(grads)):
            grad = grads.pop(fn, None)
            if grad is None:
                continue
            if fn._hooks:
                for hook in list(fn._hooks.values()):
                    r = hook(grad)
                    grad = grad if r is None else r
            if fn._retained is not None and capture is None:
                out = fn._retained()
                if out is not None:
                    out.grad = grad if out.grad is None else out.grad + grad
            if fn in captured_fns:
                capture[id(captured_fns[fn])] = grad
            core = fn.core
            if core is not None:  # output i of a several-output custom Function
                slot = grads.get(core)
                if slot is None:
                    slot = grads[core] = [None] * core.n_out
                slot[fn.index] = grad if slot[fn.index] is None else slot[fn.index] + grad
                continue
            if not fn._double:
                raise RuntimeError(_NO_DOUBLE.format(name=fn.name()))
            if fn.saved is None:
                raise RuntimeError(_FREED_MESSAGE)
            made = fn._epoch
            if _EPOCH[0] > made:
                version.check(fn)
            needs = fn.needs = [
                p is not None or (t is not None and t.grad_fn is None and t._requires_grad)
                for t, p in zip(fn.inputs, fn.parents)
            ]
            arrays = fn.saved
            fn.saved = _graph_saved(fn)
            try:
                input_grads = fn.backward(grad)
            finally:
                fn.saved = arrays
            for t, parent, need, g in zip(fn.inputs, fn.parents, needs, input_grads):
                if g is None or not need:
                    continue
                g = as_t(g)
                data = t._data
                if tuple(g.shape) != data.shape:
                    g = dual.sum_to(g, data.shape)
                if g._data.dtype != data.dtype:
                    g = g.type(t.dtype)
                if parent is None:
                    entry = leaves.get(id(t))
                    leaves[id(t)] = [t, g] if entry is None else [t, entry[1] + g]
                else:
                    if parent._view and _EPOCH[0] > parent._epoch:
                        version.check_view_use(parent, made)
                    grads[parent] = grads[parent] + g if parent in grads else g

        for t, g in leaves.values():
            if capture is not None:
                if id(t) in capture:
                    capture[id(t)] = g
                continue
            if t._hooks:
                for hook in list(t._hooks.values()):
                    r = hook(g)
                    g = g if r is None else r
            t.grad = g if t.grad is None else t.grad + g
    if only is not None:
        for t in only:
            g = capture[id(t)]
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
