"""``npgrad.cpu``: the device npgrad computes on (PyTorch's ``torch.cpu``)."""
import sys
import types
import warnings

from .amp import autocast_mode as _autocast_mode


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing runs asynchronously on the CPU: a no-op."""


class _CpuAutocast(_autocast_mode.autocast):
    """``npgrad.cpu.amp.autocast``: PyTorch's deprecated spelling of
    ``autocast('cpu', ...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


_CpuAutocast.__name__ = _CpuAutocast.__qualname__ = "autocast"

amp = types.ModuleType(__name__ + ".amp", "npgrad.cpu.amp: autocast('cpu') by its old name")
amp.autocast = _CpuAutocast
sys.modules[amp.__name__] = amp
