"""``RemovableHandle``: what ``register_forward_hook`` and friends return.

``handle.remove()`` unregisters the hook; ``with module.register_forward_hook(f):`` removes
it when the block ends.
"""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Removes entry ``id`` from ``hooks`` (and from each of ``extra``) on ``remove()``."""

    def __init__(self, hooks, *extra):
        self.id = next(_ids)
        self._hooks = hooks
        self._extra = extra

    def remove(self):
        self._hooks.pop(self.id, None)
        for table in self._extra:
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"
