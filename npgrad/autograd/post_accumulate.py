"""``Tensor.register_post_accumulate_grad_hook``: run ``hook(tensor)`` right after a leaf's
``.grad`` has been accumulated, as PyTorch does. DistributedDataParallel uses it to start
averaging a bucket of gradients while the rest of the backward pass is still running.

The hooks live here, keyed by the tensor's id (a weak reference drops the entry with the
tensor), so the Tensor class needs no new slot. While any such hook exists the engine hands
each leaf its gradient as soon as the last node that feeds it has run (``leaf_uses`` /
``deliver_ready``), instead of all leaves at the end of the pass.
"""
import weakref

REGISTRY = {}  # id(tensor) -> (weakref to the tensor, {handle id: hook})


class _Handle:
    _next_id = 0

    def __init__(self, key, hooks, hook):
        _Handle._next_id += 1
        self.id, self._key, self._hooks = _Handle._next_id, key, hooks
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)
        entry = REGISTRY.get(self._key)
        if entry is not None and entry[1] is self._hooks and not self._hooks:
            del REGISTRY[self._key]


def register(tensor, hook):
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    key = id(tensor)
    entry = REGISTRY.get(key)
    if entry is None or entry[0]() is not tensor:
        entry = (weakref.ref(tensor, lambda _, key=key: REGISTRY.pop(key, None)), {})
        REGISTRY[key] = entry
    return _Handle(key, entry[1], hook)


def run(tensor):
    """Call the post-accumulate hooks of ``tensor`` (if any), each as ``hook(tensor)``."""
    entry = REGISTRY.get(id(tensor))
    if entry is not None and entry[0]() is tensor:
        for hook in list(entry[1].values()):
            hook(tensor)


def leaf_uses(order):
    """id(leaf) -> how many edges of the graph ``order`` lead into that leaf."""
    uses = {}
    for fn in order:
        for t, parent in zip(fn.inputs, fn.parents):
            if parent is None and t is not None and t._requires_grad and t.grad_fn is None:
                uses[id(t)] = uses.get(id(t), 0) + 1
    return uses


def deliver_ready(uses, fn, leaves, deliver):
    """After node ``fn`` ran: deliver each leaf whose last incoming edge this was."""
    for t, parent in zip(fn.inputs, fn.parents):
        if parent is None and t is not None and id(t) in uses:
            uses[id(t)] -= 1
            if uses[id(t)] == 0:
                entry = leaves.pop(id(t), None)
                if entry is not None:
                    deliver(*entry)
