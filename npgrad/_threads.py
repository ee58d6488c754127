"""How many threads NumPy's BLAS (the library behind ``@``) may use.

npgrad's matrices are small (a batch of 64 by a few hundred features), and for those one
thread is faster than two: measured on a 2-core machine, one MNIST epoch of 784-50-10
took 0.70 s with one OpenBLAS thread and 0.82 s with two; and when anything else is
running, two threads spin against each other (the default ``npgrad train`` took 87 s
instead of 7.6 s). So on import npgrad asks BLAS for one thread, unless you chose a number
yourself (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL_NUM_THREADS in the environment).
``npgrad.set_num_threads(n)`` changes it, as ``torch.set_num_threads`` does.

It uses ``threadpoolctl`` when installed (it knows every BLAS build); otherwise it calls
the OpenBLAS that NumPy's wheels bundle directly. Where neither works, nothing changes.
"""
import ctypes
import glob
import os

_ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads = None  # what we last set, for get_num_threads


def _bundled_openblas():
    """NumPy's own OpenBLAS (pip wheels ship it in numpy.libs / numpy/.dylibs), as ctypes
    set/get functions, or None."""
    import numpy

    here = os.path.dirname(numpy.__file__)
    for path in glob.glob(os.path.join(here, "..", "numpy.libs", "*openblas*")) + glob.glob(
        os.path.join(here, ".dylibs", "*openblas*")
    ):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    return setter, getter
    return None


def set_num_threads(n):
    """Let NumPy's BLAS use ``n`` threads. Returns True if a BLAS library took the setting."""
    global _threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        openblas = _bundled_openblas()
        if openblas is None:
            return False
        openblas[0](n)
    else:
        threadpool_limits(limits=n, user_api="blas")
    _threads = n
    return True


def blas_threads():
    """The BLAS thread count npgrad set (on import or by set_num_threads), or None if it
    set none (the environment chose). Conv and pooling spread their chunks over worker
    threads only while BLAS runs on one (see npgrad/_fast/threads.py)."""
    return _threads


def get_num_threads():
    if _threads is not None:
        return _threads
    return os.cpu_count() or 1


def default_to_one_thread():
    """Called on ``import npgrad``: one BLAS thread unless the user's environment says."""
    if any(v in os.environ for v in _ENV_VARS):
        return
    try:
        set_num_threads(1)
    except Exception:  # never let a thread setting break the import
        pass
