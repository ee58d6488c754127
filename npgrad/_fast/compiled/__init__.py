"""Compiled twins of named NumPy functions: the optional ``[fast]`` extra (numba).

Each kernel here is the twin of one reference function and is tested against it
(``tests/test_kernels.py``):

=========================  ==================================================  =============
kernel                     its NumPy twin                                      equal to it
=========================  ==================================================  =============
``adam_flat``              ``optim.adam.adam_update`` over the flat buffers    bit for bit
``sgd_momentum``           ``optim.sgd.sgd_update`` (momentum, weight decay)   bit for bit
``cross_entropy_fwd/bwd``  ``ops.loss.CrossEntropyIndices``                    1e-6 (float32)
``bias_relu_fwd/bwd``      ``ops.linalg.Linear`` + bias + ``ops.activation.Relu``   bit for bit
                           (+ ``MaskMul``, dropout)
``max_pool_fwd/bwd``       ``ops.pool._max_over_taps`` / ``MaxPool2d``         bit for bit
(``_planes``: NCHW)        ``._backward_images`` (channels-last, any window)
``batch_norm_fwd/bwd``     ``ops.normalization.BatchNorm`` in training, on     1e-5 (float32;
(``_planes``: NCHW)        a 4-d input with weight and bias                    float64 sums)
=========================  ==================================================  =============

How they are built (what a prototype of them found):
- ``error_model="numpy"``: division by zero gives inf/nan as NumPy does, and without the
  Python error checks the loops vectorise;
- serial (no ``parallel=True``: it gained nothing here, and numba's, OpenBLAS's and
  PyTorch's thread pools fighting over two cores stalled for 10-200x);
- ``cache=True``: compiled once, then loaded from ``__pycache__`` by later processes;
- numba is imported here at the first use of a kernel, never by ``import npgrad``.
- Scalars are cast to the arrays' dtype before use, so float32 arithmetic stays float32
  and rounds exactly as NumPy's does (NumPy treats a Python float as a "weak" scalar).
"""
import importlib.util

_kernels = None


def available():
    """Is numba installed? (Looked up without importing it.)"""
    return importlib.util.find_spec("numba") is not None


def kernels():
    """The module of compiled kernels (imports numba and compiles on first call)."""
    global _kernels
    if _kernels is None:
        from . import _numba

        _kernels = _numba
    return _kernels
