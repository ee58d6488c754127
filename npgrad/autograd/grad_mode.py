"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

One module-level flag, read by ``Function.apply`` before it records a node. Each class works
as a context manager and as a decorator, like PyTorch's.
"""
import functools

_enabled = True


def is_grad_enabled():
    return _enabled


def _set(mode):
    global _enabled
    _enabled = bool(mode)


class _GradMode:
    mode = True

    def __enter__(self):
        self._prev = _enabled
        _set(self.mode)

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Inside ``with npgrad.no_grad():`` no graph is recorded (inference, weight updates)."""

    mode = False


class enable_grad(_GradMode):
    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once; as a context manager it
    restores the previous mode on exit."""

    def __init__(self, mode):
        self._prev = _enabled
        self.mode = bool(mode)
        _set(mode)

    def __enter__(self):
        pass  # already switched in __init__, as in PyTorch

    def __call__(self, fn):
        _set(self._prev)  # used as a decorator: undo the switch made by __init__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    def __init__(self, mode=True):
        self.mode = not mode
