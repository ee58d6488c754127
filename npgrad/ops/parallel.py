"""Independent chunks of work (images of a batch) on worker threads.

``import npgrad`` keeps NumPy's BLAS on one thread (faster for small matrices, and no two
BLAS threads spinning against each other on a busy machine: see ``npgrad/_threads.py``).
Convolution and max pooling use the cores instead by splitting a batch into chunks that
threads take in turn. NumPy releases the GIL inside ``copyto``, ``matmul`` and ufuncs such
as ``+=``, so the threads really run at once: the 32->64 conv of the PyTorch MNIST example
runs its forward in 14 ms on 2 cores instead of 27 ms on one.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_CPUS = os.cpu_count() or 1
_pool, _pool_pid = None, None


def worker_count():
    """Threads for the chunk loops: every core (up to 4) while BLAS runs on one
    thread, as ``import npgrad`` sets it; one when BLAS threads by itself (set_num_threads(n)
    or the environment chose), so that the two never fight over the cores."""
    from .._threads import blas_threads

    if blas_threads() != 1:
        return 1
    return min(4, _CPUS)


class _Dealer:
    """The chunks, handed out one at a time to whichever thread asks next: a core that
    another program slows down simply takes fewer chunks."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:
            return next(self._chunks)


def run_split(work, chunks):
    """Run ``work(dealer)`` on every worker thread at once (the calling thread is one of
    them); each loops ``for start, stop in dealer``. Which thread gets which chunk depends on
    timing, so ``work`` must keep its results per chunk (disjoint slices of an output, or a
    dict keyed by the chunk, summed in chunk order afterwards): results then do not."""
    n_workers = min(worker_count(), len(chunks))
    if n_workers == 1:
        work(iter(chunks))
        return
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # a forked child starts its own threads
        _pool, _pool_pid = ThreadPoolExecutor(max_workers=3), os.getpid()
    dealer = _Dealer(chunks)
    futures = [_pool.submit(work, dealer) for _ in range(n_workers - 1)]
    work(dealer)
    for f in futures:
        f.result()


_SPLIT_MIN_BYTES = 1 << 20


def split_images(n, bytes_per_image):
    """``range(n)`` images as one ``(start, stop)`` chunk per worker thread; one chunk below
    ``_SPLIT_MIN_BYTES``, where handing work to a thread costs more than it saves."""
    parts = worker_count() if n * bytes_per_image >= _SPLIT_MIN_BYTES else 1
    step = -(-n // max(1, min(n, parts)))
    return [(a, min(a + step, n)) for a in range(0, n, step)] or [(0, 0)]
