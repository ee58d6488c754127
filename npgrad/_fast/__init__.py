"""The fast paths, kept together behind one seam.

npgrad's ops, layers and optimizers are written first as the *reference path*: plain NumPy
that reads like a textbook (``npgrad/ops``, ``npgrad/optim``). Everything done only for
speed lives here instead, each piece the twin of one named reference function, chosen by
a cheap check, and tested equal to its twin:

==========================  =========================================  ==================
fast path (here)            its reference twin                         tested in
==========================  =========================================  ==================
``threads.run_split``       a plain loop over the chunks               test_fast_threads
``threads.matmul``          ``a @ b`` (rows split between threads)     test_fast_threads
``conv.Conv2d``             ``ops/conv.py`` ``Conv2d`` (im2col, NCHW)  test_conv
``pool.MaxPool2d``          ``ops/pool.py`` ``MaxPool2d`` (one thread) test_pool
``flat.adam_step_group``    ``optim/adam.py`` ``Adam._update`` per     test_optim_flat
                            parameter (``foreach=False``)
``inference.run``           ``nn.Sequential.forward`` under no_grad    test_fast_inference
                            (Flatten/Linear/ReLU/Dropout on arrays)
``compiled/`` (``[fast]``)  named NumPy functions (see compiled/)      test_kernels
==========================  =========================================  ==================

Which path runs is one setting, ``NPGRAD_KERNELS`` in the environment (read at import) or
``npgrad.set_kernels(mode)``; ``npgrad.kernels()`` says which is active:

- ``"reference"``: only the textbook code; no helper threads, no flat buffers.
- ``"numpy"``: the NumPy fast paths above (helper threads, flat Adam, channels-last conv).
- ``"compiled"``: those, plus the compiled kernels of the optional ``[fast]`` extra (numba).
- ``"auto"`` (the default): ``"compiled"`` when numba is installed, else ``"numpy"``.

Turning every fast path off changes no result beyond float rounding: the tests run both.

Threads (the whole model is in ``docs/threads.md``): BLAS gets one thread by default; the
helper threads of ``threads.py`` deal out chunks only while BLAS has one thread, so the two
never run against each other; compiled kernels are serial and run on whichever thread calls
them. ``denormal.py`` (``npgrad.set_flush_denormal``) sets its CPU flag on all of them.
"""
import os

MODES = ("reference", "numpy", "compiled", "auto")

_requested = os.environ.get("NPGRAD_KERNELS", "auto").strip().lower() or "auto"
if _requested not in MODES:
    raise ValueError(f"NPGRAD_KERNELS={_requested!r}: expected one of {', '.join(MODES)}")
_active = None  # the resolved mode, worked out at first use (numba is looked for lazily)


def set_kernels(mode):
    """Choose the paths: 'reference', 'numpy', 'compiled' or 'auto' (see this module)."""
    global _requested, _active
    if mode not in MODES:
        raise ValueError(f"set_kernels: expected one of {', '.join(MODES)}, got {mode!r}")
    _requested, _active = mode, None


def kernels():
    """The active path: 'reference', 'numpy' or 'compiled'."""
    global _active
    if _active is None:
        mode = _requested
        if mode in ("auto", "compiled"):
            from .compiled import available

            if available():
                mode = "compiled"
            elif mode == "compiled":
                raise RuntimeError("NPGRAD_KERNELS=compiled needs numba: pip install "
                                   "'npgrad[fast]' (or choose numpy/auto)")
            else:
                mode = "numpy"
        _active = mode
    return _active


def use_fast():
    """Are the NumPy fast paths on (any mode but 'reference')?"""
    return (_active or kernels()) != "reference"


def use_compiled():
    """Are the compiled kernels on?"""
    return (_active or kernels()) == "compiled"


class using:
    """``with _fast.using("reference"): ...`` runs a block on one path (tests compare them)."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self._saved = (_requested, _active)
        set_kernels(self.mode)
        return self

    def __exit__(self, *exc):
        global _requested, _active
        _requested, _active = self._saved
        return False


# ------------------------------------------------------------------ the dispatch points
def matmul(a, b):
    """``a @ b``; on the fast path a big product's rows are split between helper threads."""
    if use_fast():
        return threads.matmul(a, b)
    return a @ b


def compiled_op(name):
    """The compiled twin called ``name`` (``compiled/functions.py``) when the compiled
    kernels are on, else None: ``(compiled_op("X") or X).apply(...)``."""
    global _functions
    if not use_compiled():
        return None
    if _functions is None:  # imported once (an import statement costs ~0.6 us a call)
        from .compiled import functions as _functions
    return getattr(_functions, name)


_functions = None


def image_chunks(n, bytes_per_image):
    """``range(n)`` images as ``(start, stop)`` chunks: cache-sized ones dealt to threads on
    the fast path (``conv.batch_chunks``), the whole batch at once on the reference path."""
    if use_fast():
        return conv.batch_chunks(n, bytes_per_image)
    return [(0, n)]


def run_split(work, chunks):
    """``work(chunks)``; on the fast path the chunks are dealt out to helper threads."""
    if use_fast():
        return threads.run_split(work, chunks)
    return work(chunks)


from . import conv, threads  # noqa: E402  (after the mode functions they use)
