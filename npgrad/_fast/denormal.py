"""``npgrad.set_flush_denormal``: denormal floats read and written as zero, as
``torch.set_flush_denormal`` does.

Why: Adam's ``exp_avg`` for a weight whose input is almost never lit (an MNIST corner pixel)
decays by beta1 every step and after some 700 steps falls below float32's smallest normal
number (1.2e-38). Arithmetic on such denormal numbers takes a slow microcode path on x86
CPUs, and a whole epoch slows down (the issue measured ~35%). With flushing on, the CPU
treats them as zero instead: a difference of less than 1e-38 in any value.

How: the flush-to-zero (FTZ) and denormals-are-zero (DAZ) bits of the SSE control register
(MXCSR) of a thread. Nothing in NumPy or Python can set them; a two-instruction numba
kernel (``compiled/_mxcsr.py``) does, so it needs the ``[fast]`` extra and an x86-64 CPU;
elsewhere ``set_flush_denormal`` returns False and changes nothing, as torch does where
unsupported. The register is per thread: it is set on the calling thread (where NumPy's
ufuncs and single-threaded BLAS run) and on npgrad's helper threads (``threads.py``), each
of which picks the setting up before its next job. BLAS's own threads, when you give it
more than one, keep theirs (as PyTorch's setting leaves other threads alone).
"""
import platform

_flush = False  # what was asked for last
generation = 0  # bumped on every change, so helper threads can see they are behind


def supported():
    """Can this process flush denormals (x86-64 and numba installed)?"""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    from .compiled import available

    return available()


def set_flush_denormal(mode):
    """Flush denormal floats to zero (``mode=True``) or compute with them (False), on this
    thread and npgrad's helper threads. Returns True where supported, else False."""
    global _flush, generation
    if not supported():
        return False
    try:
        from .compiled import _mxcsr

        _mxcsr.set_flush_bits(bool(mode))
    except Exception:  # a numba that cannot build the kernel: unsupported, as elsewhere
        return False
    _flush, generation = bool(mode), generation + 1
    return True


def sync_thread():
    """Called by a helper thread whose setting is older than ``generation``."""
    from .compiled import _mxcsr

    _mxcsr.set_flush_bits(_flush)
