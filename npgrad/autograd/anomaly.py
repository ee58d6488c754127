"""Anomaly detection: ``set_detect_anomaly``, ``detect_anomaly``, ``is_anomaly_enabled``.

While it is on, every recorded node keeps the traceback of the forward call that made it
(``Op.apply``), and the engine runs each backward through ``checked_backward``: a backward
that returns NaN raises ``RuntimeError("Function 'DivBackward0' returned nan values in its
0th output.")``, and any error in a backward first warns with the forward traceback, as
PyTorch does. Off (the default), it costs one list lookup per recorded op.
"""
import traceback
import warnings

import numpy as np

_enabled = [False]
_check_nan = [True]


def is_anomaly_enabled():
    return _enabled[0]


def is_anomaly_check_nan_enabled():
    return _check_nan[0]


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` switches it on at once; as a context manager it restores
    the previous setting on exit."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_enabled[0], _check_nan[0])
        _enabled[0], _check_nan[0] = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _enabled[0], _check_nan[0] = self._prev
        return False


class detect_anomaly:
    """``with detect_anomaly():`` (or as a decorator) anomaly detection is on inside."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self._prev = (_enabled[0], _check_nan[0])
        _enabled[0], _check_nan[0] = True, bool(self.check_nan)

    def __exit__(self, *exc):
        _enabled[0], _check_nan[0] = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def forward_stack():
    return traceback.format_stack()[:-2]  # without apply and this function


def _warn(fn):
    stack = "".join(fn._stack) if fn._stack else "  (no traceback: the node was made with anomaly detection off)\n"
    warnings.warn(
        f"Error detected in {fn.name()}. Traceback of forward call that caused the error:\n{stack}",
        stacklevel=3,
    )


def checked_backward(fn, grad):
    try:
        grads = fn.backward(grad)
    except Exception:
        _warn(fn)
        raise
    if _check_nan[0]:
        for i, g in enumerate(grads):
            if g is None:
                continue
            a = np.asarray(g)
            if a.dtype.kind in "fc" and np.isnan(a).any():
                _warn(fn)
                raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th output.")
    return grads
