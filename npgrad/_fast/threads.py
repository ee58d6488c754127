"""Independent chunks of work on worker threads: images of a batch (conv, pooling), row
blocks of a big matmul (``matmul`` below), chunks of Adam's flat update (``flat.py``).

``import npgrad`` keeps NumPy's BLAS on one thread (faster for small matrices, and no two
BLAS threads spinning against each other on a busy machine: see ``npgrad/_threads.py``).
Convolution and max pooling use the cores instead by splitting a batch into chunks that
threads take in turn. NumPy releases the GIL inside ``copyto``, ``matmul`` and ufuncs such
as ``+=``, so the threads really run at once: the 32->64 conv of the PyTorch MNIST example
runs its forward in 14 ms on 2 cores instead of 27 ms on one.
"""
import os
import threading

from .._backend import xp
from . import denormal

_CPUS = os.cpu_count() or 1
_MAX_HELPERS = 3


def share_cores(processes):
    """This process is one of ``processes`` on the machine (distributed training): its
    helper threads take only its share of the cores."""
    global _CPUS
    _CPUS = max(1, (os.cpu_count() or 1) // processes)


def worker_count():
    """Threads for the chunk loops: every core (up to 4) while BLAS runs on one
    thread, as ``import npgrad`` sets it; one when BLAS threads by itself (set_num_threads(n)
    or the environment chose), so that the two never fight over the cores."""
    from .._threads import blas_threads

    if blas_threads() != 1:
        return 1
    return min(_MAX_HELPERS + 1, _CPUS)


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


class _Helper:
    """One persistent thread that runs a job when told to. Two plain locks are the whole
    protocol: ``_go`` is released to start a job, ``_done`` by the thread when it ends.

    Why not ``concurrent.futures.ThreadPoolExecutor``: its submit/result round trip costs
    ~70 µs on this 2-core machine, a lock handoff ~20 µs — and the jobs handed out here
    (half of a matmul, of an Adam step) take 100 µs to a few ms."""

    def __init__(self):
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job, self._error = None, None
        self._fp_generation = 0  # which set_flush_denormal this thread has applied
        threading.Thread(target=self._loop, daemon=True, name="npgrad-helper").start()

    def _loop(self):
        while True:
            self._go.acquire()
            try:
                if self._fp_generation != denormal.generation:  # per-thread CPU setting
                    self._fp_generation = denormal.generation
                    denormal.sync_thread()
                self._job()
            except BaseException as e:  # handed to the caller by wait()
                self._error = e
            self._job = None
            self._done.release()

    def start(self, job):
        self._job, self._error = job, None
        self._go.release()

    def wait(self):
        self._done.acquire()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


_helpers, _helpers_pid = [], None
_busy = threading.Lock()  # one run_split at a time; a second caller's thread works alone


def _get_helpers(n):
    global _helpers, _helpers_pid
    if _helpers_pid != os.getpid():  # a forked child has none of its parent's threads
        _helpers, _helpers_pid = [], os.getpid()
    while len(_helpers) < n:
        _helpers.append(_Helper())
    return _helpers[:n]


def run_split(work, chunks):
    """Run ``work(dealer)`` on every worker thread at once (the calling thread is one of
    them); each loops ``for start, stop in dealer``. Which thread gets which chunk depends on
    timing, so ``work`` must keep its results per chunk (disjoint slices of an output, or a
    dict keyed by the chunk, summed in chunk order afterwards): results then do not."""
    n_workers = min(worker_count(), len(chunks))
    if n_workers == 1 or not _busy.acquire(blocking=False):
        work(iter(chunks))
        return
    try:
        dealer = _Dealer(chunks)
        helpers = _get_helpers(n_workers - 1)
        for h in helpers:
            h.start(lambda: work(dealer))
        try:
            work(dealer)
        finally:
            errors = []
            for h in helpers:  # wait for every helper, even if this thread's part failed
                try:
                    h.wait()
                except BaseException as e:
                    errors.append(e)
        if errors:
            raise errors[0]
    finally:
        _busy.release()


_SPLIT_MIN_BYTES = 1 << 20


def split_images(n, bytes_per_image):
    """``range(n)`` images as one ``(start, stop)`` chunk per worker thread; one chunk below
    ``_SPLIT_MIN_BYTES``, where handing work to a thread costs more than it saves."""
    parts = worker_count() if n * bytes_per_image >= _SPLIT_MIN_BYTES else 1
    step = -(-n // max(1, min(n, parts)))
    return [(a, min(a + step, n)) for a in range(0, n, step)] or [(0, 0)]


# A matmul with many rows is split by rows between the threads: each computes its block
# of the output, so no thread waits for another's result. Measured on this 2-core machine
# (median µs, one thread -> two): 512x784 @ 784x128, the first layer of a batch of 512,
# 1192 -> 839; its weight gradient (128x512 @ 512x784) 1338 -> 890; 10000x784 @ 784x128,
# inference over the MNIST test set, 28.7 -> 15.6 ms. Small products are left whole:
# for a batch of 64 the split gained nothing (OpenBLAS then spends its time packing the
# right-hand matrix, which every thread would pack again), nor for a weight gradient whose
# inner dimension is a batch of 64; and below ~8M multiply-adds the handoff (~30 µs) costs
# more than it saves. With thousands of rows the packing is shared out well at any width.
_SPLIT_MIN_ROWS, _SPLIT_MIN_INNER, _SPLIT_MIN_WORK, _SPLIT_MANY_ROWS = 128, 256, 1 << 23, 1024


def matmul(a, b):
    """``a @ b`` for 2-D arrays (either may be a transposed view), its rows split between
    the worker threads when the product is big enough to gain from it."""
    (m, k), n = a.shape, b.shape[1]
    if m < _SPLIT_MIN_ROWS or m * k * n < _SPLIT_MIN_WORK or (k < _SPLIT_MIN_INNER and m < _SPLIT_MANY_ROWS):
        return a @ b
    workers = worker_count()
    if workers == 1:
        return a @ b
    out = xp.empty((m, n), dtype=xp.result_type(a, b))
    step = -(-m // workers)

    def work(dealer):
        for start in dealer:
            xp.matmul(a[start : start + step], b, out=out[start : start + step])

    run_split(work, range(0, m, step))
    return out
