"""The main process's side of ``DataLoader(num_workers=n)``: n worker processes build the
batches while the training loop consumes them.

How it works. Each worker has its own index queue; all of them answer on one data queue. The
batch sampler's index lists are numbered 0, 1, 2, ... and dealt round-robin (batch i to worker
i mod n, skipping a worker whose stream has ended), ``prefetch_factor`` per worker ahead of
the loop. Answers arrive in any order; they wait in a dict until their turn, so the batches come
out in exactly the order of ``num_workers=0``. Each answer received sends the next task.

Start method. ``multiprocessing_context`` chooses it; by default "fork" where the platform has
it (Linux), as PyTorch: a worker then starts in a few milliseconds and shares the dataset's
memory instead of copying it. Forking is safe with npgrad: the worker gets none of the parent's
helper threads (``npgrad/_fast/threads.py`` notices the new pid and starts its own), and NumPy's
OpenBLAS re-initialises its thread pool across a fork. Elsewhere (macOS, Windows) the default
is "spawn". "spawn" and "forkserver" start a fresh interpreter: the dataset, ``collate_fn``
and ``worker_init_fn`` are pickled to it, so they must be picklable (module-level classes and
functions, not lambdas); each worker also pays npgrad's import (~0.5 s) at every epoch unless
``persistent_workers=True``.

Transfer: see ``_transfer.py`` (pickled; arrays of 1 MB or more through /dev/shm).

Shutdown. Workers are stopped (told to, then terminated if they don't stop within a few
seconds) at the end of an epoch (unless ``persistent_workers``), when a batch fails, on Ctrl-C,
when the loop is left early (``break``) and the iterator is garbage-collected, and at
interpreter exit. The shutdown is a ``weakref.finalize`` that holds no reference to the
iterator, so dropping the iterator is enough. A worker whose parent vanished exits by itself.
"""
import itertools
import multiprocessing
import os
import pickle
import queue
import sys
import time
import weakref

from . import _transfer, _worker
from ._fetch import StreamFetcher
from ._worker import ExceptionWrapper, WorkerStopped

_POLL_SECONDS = 1.0  # how often a waiting main process checks its workers are alive
_iterators = itertools.count()  # numbers each iterator's shared-memory files apart
_JOIN_SECONDS = 2.0  # how long a worker may take to stop before it is terminated


def default_context():
    """'fork' where available (Linux), else 'spawn' (see the module docstring)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def resolve_context(context):
    if context is None:
        return default_context()
    if isinstance(context, str):
        if context not in multiprocessing.get_all_start_methods():
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in "
                f"{multiprocessing.get_all_start_methods()!r}, but got "
                f"multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    if not hasattr(context, "Process") or not hasattr(context, "Queue"):
        raise TypeError(
            f"multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context!r}")
    return context


class _StreamFactory:
    """Builds a worker's StreamFetcher for each pass (picklable, for spawn)."""

    def __init__(self, batch_size, drop_last, collate_fn):
        self.batch_size, self.drop_last, self.collate_fn = batch_size, drop_last, collate_fn

    def __call__(self, dataset):
        return StreamFetcher(dataset, self.batch_size, self.drop_last, self.collate_fn)


def _shutdown(workers, index_queues, data_queue, done_event, shm_prefix):
    """Stop every worker, close the queues, remove unread shared memory. Holds no reference
    to the iterator."""
    done_event.set()
    for q in index_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + _JOIN_SECONDS
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.is_alive():
            w.terminate()
            w.join(timeout=_JOIN_SECONDS)
        if w.is_alive():
            w.kill()
            w.join()
    for q in (*index_queues, data_queue):
        q.cancel_join_thread()
        q.close()
    if shm_prefix is not None:
        _transfer.discard(shm_prefix)


class MultiProcessIter:
    """One DataLoader's worker processes, and the batches they hand back in order.
    With ``persistent_workers`` the DataLoader keeps it and calls ``reset`` for each epoch."""

    def __init__(self, loader, base_seed):
        _worker.register_tensor_pickling()
        self._stream = loader._iterable
        self._batch_sampler = loader.batch_sampler if loader._auto_collation else loader.sampler
        self._num_workers = n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        ctx = resolve_context(loader.multiprocessing_context)
        stream = (_StreamFactory(loader.batch_size, loader.drop_last, loader.collate_fn)
                  if self._stream else None)
        batch_size = loader.batch_size if loader._auto_collation else None
        self._data_queue = ctx.Queue()
        self._done = ctx.Event()
        self._index_queues, self._workers = [], []
        shm_prefix = (f"{os.getpid()}-{next(_iterators)}"
                      if _transfer.shared_memory_available() else None)
        self._finalizer = weakref.finalize(self, _shutdown, self._workers, self._index_queues,
                                           self._data_queue, self._done, shm_prefix)
        for worker_id in range(n):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker.worker_loop, daemon=True, name=f"npgrad-dataloader-{worker_id}",
                args=(stream, loader.dataset, index_queue, self._data_queue, self._done,
                      loader.collate_fn, loader._default_collate, batch_size, loader.drop_last,
                      base_seed, loader.worker_init_fn, worker_id, n, os.getpid(), shm_prefix))
            self._index_queues.append(index_queue)
            try:
                w.start()
            except Exception as e:  # spawn/forkserver pickle the arguments here
                self._finalizer()
                if ctx.get_start_method() != "fork" and isinstance(e, (TypeError, AttributeError,
                                                                        pickle.PicklingError)):
                    raise TypeError(
                        f"DataLoader(num_workers={n}, multiprocessing_context="
                        f"'{ctx.get_start_method()}'): the dataset, collate_fn and worker_init_fn "
                        f"are sent to each worker by pickling, and one of them cannot be pickled "
                        f"({e}). Define them at module level (no lambdas or local classes), or "
                        f"use the 'fork' start method.") from e
                raise
            self._workers.append(w)
        self._epoch = 0
        try:
            self.reset()
        except BaseException:  # the sampler failed: stop the workers now, not at collection
            self._finalizer()
            raise

    # ------------------------------------------------------------------ epochs
    def reset(self):
        """Start an epoch: a fresh pass over the sampler, ``prefetch_factor`` tasks per worker."""
        self._epoch += 1
        self._tasks = iter(self._batch_sampler) if not self._stream else itertools.count()
        self._send_idx = self._rcvd_idx = 0
        self._outstanding = {}  # idx -> worker id, for the tasks of this epoch not yet handed out
        self._ready = {}  # idx -> answer that arrived before its turn
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._send_one()

    def _send_one(self):
        """Deal the next task to the next worker still active; False when none is left."""
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return False
        indices = next(self._tasks, StopIteration)
        if indices is StopIteration:
            return False
        self._index_queues[worker_id].put((self._epoch, self._send_idx, indices))
        self._outstanding[self._send_idx] = worker_id
        self._send_idx += 1
        return True

    def __iter__(self):
        return self

    def __next__(self):
        if not self._finalizer.alive:
            raise StopIteration
        try:
            return self._next()
        except StopIteration:
            if not self._persistent:
                self._finalizer()
            raise
        except BaseException:  # a worker's error, a timeout, Ctrl-C: no worker is left behind
            self._finalizer()
            raise

    def _next(self):
        while True:
            while self._rcvd_idx in self._ready:
                data = self._ready.pop(self._rcvd_idx)
                del self._outstanding[self._rcvd_idx]
                self._rcvd_idx += 1
                if isinstance(data, WorkerStopped):
                    self._active[data.worker_id] = False
                    self._send_one()
                    continue
                if isinstance(data, ExceptionWrapper):
                    data.reraise()
                self._send_one()
                return data
            if not self._outstanding:
                raise StopIteration
            epoch, idx, data = self._receive()
            if epoch == self._epoch:  # answers to an abandoned epoch are dropped
                self._ready[idx] = data

    def _receive(self):
        start = time.monotonic()
        while True:
            wait = _POLL_SECONDS
            if self._timeout > 0:
                wait = min(wait, max(0.0, self._timeout - (time.monotonic() - start)))
            try:
                return _transfer.loads(self._data_queue.get(timeout=wait))
            except queue.Empty:
                pass
            if self._timeout > 0 and time.monotonic() - start >= self._timeout:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                which = ", ".join(f"{w.name} (pid {w.pid}, exit code {w.exitcode})" for w in dead)
                raise RuntimeError(f"DataLoader worker(s) exited unexpectedly: {which}")

    def shutdown(self):
        self._finalizer()

    @property
    def alive(self):
        return self._finalizer.alive
