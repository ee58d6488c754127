"""Version counters: catching an in-place change to a value that backward still needs.

As in PyTorch, every in-place change of a tensor (``add_``, ``x[i] = v``, ``copy_``, an
optimizer step, inside ``no_grad`` or not) bumps a version counter shared by the tensor and
its aliases: ``.detach()`` and the views that view ops (reshape, view, transpose, basic
indexing, expand) return when NumPy shares the memory. ``.data`` shares the memory but gets
a counter of its own, as in PyTorch: changes made through it go unnoticed.

Design, to keep ``Function.apply`` (the hot path) lean:

- A counter is made lazily, on the first bump or when a view/detach must share it; tensors
  that are never changed in place never get one (``Tensor._vc`` stays unset).
- There is one global *epoch*, advanced by every bump. A recording node notes the epoch
  it was made at (one attribute store). A bump notes its epoch in the counter.
- In backward, a node made after the last bump anywhere (the usual case: one integer
  compare) is fine. Otherwise, for each input Tensor and for its own output, the engine
  asks: was it bumped after this node was made, and did the node save its memory? Then it
  raises PyTorch's error, with the version now and the version the node saw.
"""
from bisect import bisect_right

_epoch = [0]  # advanced by every bump; a node made at epoch e saw every counter as of e


class Counter:
    __slots__ = ("version", "epochs", "base", "producer", "owner", "graph_epochs")

    def __init__(self, producer, owner):
        self.version = 0
        self.epochs = []  # the epoch of each recent bump, ascending
        self.base = 0  # bumps forgotten from the front of ``epochs`` (kept short)
        self.producer = producer  # the node whose output this memory is (None: a leaf)
        self.owner = owner  # the ndarray owning the memory
        self.graph_epochs = []  # the epochs of the in-place changes recorded in the graph

    def bumped_after(self, epoch):
        return bool(self.epochs) and self.epochs[-1] > epoch

    def version_at(self, epoch):
        return self.base + bisect_right(self.epochs, epoch)


def owner(arr):
    """The array that owns ``arr``'s memory (NumPy keeps ``.base`` pointing at it)."""
    base = getattr(arr, "base", None)
    return arr if base is None else base


def counter(t):
    """``t``'s counter, made on first use."""
    c = getattr(t, "_vc", None)
    if c is None:
        c = t._vc = Counter(t.grad_fn, owner(t._data))
    return c


def version(t):
    c = getattr(t, "_vc", None)
    return 0 if c is None else c.version


def bump(t):
    """Record one in-place change of ``t``'s memory."""
    c = counter(t)
    _epoch[0] += 1
    c.version += 1
    c.epochs.append(_epoch[0])
    if len(c.epochs) > 64:
        del c.epochs[:32]
        c.base += 32
    if c.producer is not None:
        c.producer._out_vc = c  # its output changed: checked if it saved the output
    return c


def share(view, base):
    """``view`` shares ``base``'s counter when NumPy made it a view of the same memory."""
    if owner(view._data) is owner(base._data):
        view._vc = counter(base)


def now():
    return _epoch[0]


# ------------------------------------------------------------------ the check in backward
def _saved_owners(saved):
    owners = set()
    stack = [saved]
    while stack:
        s = stack.pop()
        if isinstance(s, (tuple, list)):
            stack.extend(s)
        elif hasattr(s, "__array_interface__") and hasattr(s, "base"):
            owners.add(id(owner(s)))
        elif hasattr(s, "_data"):  # a Tensor saved by a custom Function
            owners.add(id(owner(s._data)))
    return owners


def record_in_graph(c):
    """An in-place change of ``c``'s memory was just recorded in the graph."""
    c.graph_epochs.append(_epoch[0])


def check_view_use(fn, used_at):
    """``fn`` made a view of a tensor; a node made at epoch ``used_at`` (or the caller of
    ``backward``, now) used that view. Fine if the view's base was not changed in the graph
    in between: the user saw the values the view node describes. If it was, the user saw
    the changed values, which PyTorch handles by replaying the view on the changed base;
    npgrad refuses rather than return a gradient that misses the in-place op."""
    c = getattr(fn.inputs[0], "_vc", None)
    if c is None or not c.graph_epochs:
        return
    i = bisect_right(c.graph_epochs, fn._epoch)  # the first graph change after the view
    if i < len(c.graph_epochs) and c.graph_epochs[i] <= used_at:
        raise RuntimeError(
            f"{fn.name()}: this view of a tensor of shape {tuple(fn.inputs[0]._data.shape)} "
            "was taken before an in-place op changed that tensor in the graph, and used "
            "after it; npgrad cannot backpropagate through such a view. Take the view again "
            "after the in-place op, or use an out-of-place op.")


def check(fn):
    """Raise PyTorch's error when ``fn`` saved memory that was changed in place since."""
    made = fn._epoch
    saved = None
    uses = fn._saved_for
    for i, (t, parent) in enumerate(zip(fn.inputs, fn.parents)):
        c = getattr(t, "_vc", None) if t is not None else None
        if c is not None and c.bumped_after(made):
            if uses is not None and not any(_needs(fn, j) for j in uses[i]):
                continue  # saved, but only for gradients nobody asks for (PyTorch saves less)
            if saved is None:
                saved = _saved_owners(fn.saved)
            if id(owner(t._data)) in saved:
                # PyTorch names the node that made the tensor as it is now
                raise RuntimeError(_message(t._data, c.producer, c.version, c.version_at(made)))
    c = fn._out_vc
    if c is not None and c.bumped_after(made):
        if saved is None:
            saved = _saved_owners(fn.saved)
        if id(c.owner) in saved:
            raise RuntimeError(_message(c.owner, fn, c.version, c.version_at(made)))
    if not fn._view:  # a view node keeps the epoch it was made at, for check_view_use
        fn._epoch = _epoch[0]  # checked: nothing to look at again until the next bump


def _needs(fn, j):
    t, p = fn.inputs[j], fn.parents[j]
    return p is not None or (t is not None and t.grad_fn is None and t._requires_grad)


def _message(arr, producer, now_version, expected):
    from .._tensor import Tensor

    desc = f"[{Tensor._make(arr, None).type()} [{', '.join(str(n) for n in arr.shape)}]]"
    if producer is not None:
        name = producer.name()
        for suffix in ("Backward0", "Backward1", "Backward"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        desc += f", which is output 0 of {name},"
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {desc} is at version {now_version}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to "
        "compute its gradient, with npgrad.autograd.set_detect_anomaly(True)."
    )
