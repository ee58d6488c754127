"""``autocast``: mixed-precision regions, as ``torch.autocast`` behaves on a machine
without an accelerator.

PyTorch's autocast only changes ops on tensors of its ``device_type``. npgrad's tensors
are all on the CPU, so:
- ``autocast("cuda")`` warns that CUDA is not available and turns itself off, as
  PyTorch does; ``"mps"``, ``"xpu"``, ... regions change nothing (no tensor is there);
- ``autocast("cpu", dtype=float32/float64)`` warns and turns off, as PyTorch does (CPU
  autocast supports only bfloat16 and float16);
- ``autocast("cpu")`` (bfloat16 by default) or ``dtype=float16``, enabled: PyTorch would
  run matmuls and convolutions in that dtype. npgrad does not lower the precision of
  ops, and computing in float32 instead would give other numbers without saying so, so
  entering such a region raises an error that says what to do;
- ``enabled=False`` is always a no-op.

Works as a context manager and as a decorator (``@autocast("cuda")``).
"""
import functools
import warnings

from .. import _dtype
from .._tensor import device as _device

_CPU_AMP_DTYPES = ("bfloat16", "float16")
_AUTOCAST_DEVICES = ("cpu", "cuda", "mps", "xpu", "hpu", "mtia", "maia", "xla", "ipu",
                     "privateuseone")


def is_autocast_available(device_type):
    """Whether ``autocast`` accepts this device type (as PyTorch's answer)."""
    return device_type in _AUTOCAST_DEVICES


def get_autocast_dtype(device_type):
    """The dtype autocast uses when none is given: bfloat16 on the CPU, float16 else."""
    return _dtype.bfloat16 if device_type == "cpu" else _dtype.float16


def is_autocast_enabled(device_type=None):
    """npgrad never computes in a lowered precision: always False."""
    return False


class autocast:
    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _device(device_type)  # an unknown device type raises, as in PyTorch
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                          "autocast.", stacklevel=2)
            enabled = False
        if enabled and device_type == "cpu" and self.fast_dtype.name not in _CPU_AMP_DTYPES:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.", stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        if self._enabled and self.device == "cpu":
            name = self.fast_dtype.name
            raise NotImplementedError(
                f"npgrad.autocast(device_type='cpu', dtype=npgrad.{name}): PyTorch would run "
                f"matmuls and convolutions in {name} here, and npgrad cannot (it does not "
                "lower the precision of ops). Run the region in float32 (drop autocast, or "
                "pass enabled=False), or cast the model and its inputs with "
                f".to(npgrad.{name}) yourself."
            )
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def run_in_region(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return run_in_region
