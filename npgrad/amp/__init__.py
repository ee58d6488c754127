"""``npgrad.amp``: automatic mixed precision, PyTorch's API on npgrad's CPU.

- ``GradScaler("cpu")`` scales the loss, unscales the gradients, skips steps whose
  gradients overflowed and adapts the scale, as PyTorch's does on the CPU;
  ``GradScaler("cuda")`` (also ``npgrad.cuda.amp.GradScaler()``) warns that CUDA is not
  available and turns itself off: a pass-through.
- ``autocast(device_type, dtype)``: npgrad does not lower the precision of ops, so it
  runs float32 programs unchanged, warns and turns off where PyTorch would (``"cuda"``
  without CUDA, an unsupported dtype), and raises a clear error where PyTorch would
  compute in bfloat16/float16 on the CPU.
"""
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler, OptState

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
