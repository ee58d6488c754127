"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``.

The mode is per thread, as in PyTorch: a ``no_grad`` block in one thread leaves recording on
in the others. It lives in a ``threading.local`` whose class attributes give every new
thread the defaults (recording on, inference mode off); ``Function.apply`` reads
``_state.enabled`` once per op. npgrad's helper threads (ops/parallel.py) run NumPy chunks
only and never read it. Each class works as a context manager and as a decorator.
"""
import functools
import threading


class _State(threading.local):
    enabled = True  # class attributes: the defaults every thread starts with
    inference = False


_state = _State()


def __getattr__(name):
    # ``grad_mode._enabled`` was a process-wide flag before; it now reads this thread's mode
    if name == "_enabled":
        return _state.enabled
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_grad_enabled():
    return _state.enabled


def is_inference_mode_enabled():
    return _state.inference


def _set(mode):
    _state.enabled = bool(mode)


class _GradMode:
    mode = True

    def __enter__(self):
        self._prev = _state.enabled
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
        self._prev = _state.enabled
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


class inference_mode(_GradMode):
    """``inference_mode()``: no recording, and ``is_inference_mode_enabled()`` is True."""

    def __init__(self, mode=True):
        self.enter_inference = bool(mode)
        self.mode = not mode

    def __enter__(self):
        self._prev = _state.enabled
        self._prev_inference = _state.inference
        if self.enter_inference:
            _set(False)
        _state.inference = self.enter_inference

    def __exit__(self, *exc):
        _set(self._prev)
        _state.inference = self._prev_inference
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(self.enter_inference):
                return fn(*args, **kwargs)

        if isinstance(fn, type) or not callable(fn):
            raise TypeError("inference_mode decorates a function")
        return wrapper
