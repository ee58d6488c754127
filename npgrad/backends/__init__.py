"""``npgrad.backends``: the switches PyTorch programs read and set for its backends
(``backends.cudnn.benchmark = True``, ``backends.mps.is_available()``), answered as
PyTorch answers on a CPU-only machine. npgrad computes with NumPy: the flags are kept
so programs can set and read them, and change nothing."""
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
