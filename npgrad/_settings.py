"""Global switches PyTorch programs set at the top (``torch.set_float32_matmul_precision``,
``torch.use_deterministic_algorithms``): kept and reported back. npgrad's float32
matmuls always run in full float32 (NumPy's BLAS), and its ops are deterministic, so the
switches change no result."""
import warnings

_state = {"matmul_precision": "highest", "deterministic": False, "warn_only": False}


def set_float32_matmul_precision(precision):
    """"highest", "high" or "medium"; anything else warns and is ignored, as in PyTorch."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    _state["deterministic"] = bool(mode)
    _state["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    modes = {"default": 0, "warn": 1, "error": 2}
    level = modes.get(debug_mode, debug_mode)
    if level not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                           f"`error`, but got {debug_mode}")
    use_deterministic_algorithms(level != 0, warn_only=level == 1)


def get_deterministic_debug_mode():
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_default_device(device):
    """Only the CPU (or None) can be the default device; another raises at once, with
    npgrad's "no such backend" error (PyTorch would fail at the next tensor made)."""
    from ._tensor import _require_cpu

    if device is not None:
        _require_cpu(device)


def get_default_device():
    from ._tensor import _CPU

    return _CPU
