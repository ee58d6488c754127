"""What runs inside a DataLoader worker process, and what crosses between the processes.

A worker (started by ``_multiprocess.py``) seeds its random generators, sets up
``get_worker_info()``, runs ``worker_init_fn``, then loops: it takes a task
``(epoch, idx, indices)`` from its own index queue, builds that batch with the same code the
main process uses (``_fetch.py``) and puts ``(epoch, idx, batch)`` on the data queue shared by
all workers. ``None`` on its index queue tells it to stop. It also stops by itself when its
parent process has gone (killed without a chance to clean up), so it never outlives it.

An exception while building a batch is not raised in the worker: it travels back as an
``ExceptionWrapper`` holding the exception's type and the worker's traceback as text, and the
main process raises it, naming the worker. Ctrl-C is ignored in the workers (the terminal sends
it to the whole process group): the main process gets it and shuts the workers down.

Tensors refuse plain pickling (``npgrad.save`` is their file format), so this module teaches
``multiprocessing``'s own pickler, and only it, to pass them between processes: as their
NumPy array. How the bytes travel is ``_transfer.py``.
"""
import os
import queue
import random
import signal
import sys
import traceback

import numpy as np

from ..._tensor import Tensor, wrap

_POLL_SECONDS = 1.0  # how often an idle worker checks that its parent is alive
_worker_info = None


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id`` (0..num_workers-1),
    ``num_workers``, ``seed`` (the seed of this worker's generators) and ``dataset`` (this
    worker's copy of the dataset)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __setattr__(self, name, value):
        if hasattr(self, "dataset"):  # all four set: frozen, as PyTorch's
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        object.__setattr__(self, name, value)

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


def get_worker_info():
    """In a DataLoader worker process, its ``WorkerInfo``; in the main process, None."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as type + text."""

    def __init__(self, worker_id, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        where = f" {where}" if where else ""
        self.message = (f"Caught {exc_type.__name__}{where} in DataLoader worker process "
                        f"{worker_id}.\nOriginal {text}")

    def reraise(self):
        message = self.message
        if self.exc_type is KeyError:  # KeyError's str() would show the text quoted on one line
            message = KeyErrorMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:  # a type whose constructor wants other arguments
            raise RuntimeError(message) from None
        raise error


class KeyErrorMessage(str):
    def __repr__(self):
        return str(self)


class WorkerStopped:
    """The answer of a worker whose IterableDataset iterator is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def worker_seeds(base_seed, worker_id):
    """(seed for npgrad's generator and ``random``, NumPy global state seed) of one worker.
    As PyTorch: ``base_seed + worker_id``; NumPy's legacy global generator takes only 32 bits,
    so it is seeded from a SeedSequence of both numbers (workers and epochs never share it)."""
    seed = (base_seed + worker_id) % (2 ** 64)
    np_seed = np.random.SeedSequence([worker_id, base_seed]).generate_state(4)
    return seed, np_seed


def worker_loop(stream, dataset, index_queue, data_queue, done_event, collate_fn,
                default_collate, batch_size, drop_last, base_seed, init_fn, worker_id,
                num_workers, parent_pid, shm_prefix):
    """The body of worker ``worker_id`` (see the module docstring)."""
    global _worker_info
    from ... import random as _random

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    register_tensor_pickling()  # a spawned worker starts without it
    seed, np_seed = worker_seeds(base_seed, worker_id)
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(np_seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception:
        init_error = ExceptionWrapper(worker_id, "in worker_init_fn")

    epoch, fetcher, exhausted = None, None, False
    while not done_event.is_set():
        try:
            task = index_queue.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent_pid:  # orphaned: the main process died
                break
            continue
        if task is None:
            break
        task_epoch, idx, indices = task
        if task_epoch != epoch:  # a new epoch (persistent workers): a new pass over a stream
            epoch, fetcher, exhausted = task_epoch, None, False
        if init_error is not None:
            data, init_error = init_error, None
        elif exhausted:
            data = WorkerStopped(worker_id)
        else:
            try:
                if stream:
                    if fetcher is None:
                        fetcher = stream(dataset)
                    data = fetcher.fetch()
                else:
                    data = _fetch_indices(dataset, indices, collate_fn, default_collate, batch_size)
            except StopIteration:
                data, exhausted = WorkerStopped(worker_id), True
            except Exception:
                data = ExceptionWrapper(worker_id, "")
        data_queue.put(_pickled(task_epoch, idx, data, worker_id, shm_prefix))
        del data, task, indices
    # The main process stops reading when it shuts us down: don't wait on a full pipe at exit.
    data_queue.cancel_join_thread()


def _pickled(epoch, idx, data, worker_id, shm_prefix):
    """The answer, pickled here (``_transfer.py``: big arrays through shared memory), so that
    a batch that cannot be pickled becomes an error the main process raises (the queue's own
    pickling, on a background thread, would drop it silently and leave the main process
    waiting)."""
    from . import _transfer

    try:
        return _transfer.dumps((epoch, idx, data), shm_prefix)
    except Exception:
        error = ExceptionWrapper(worker_id, "while sending a batch to the main process")
        return _transfer.dumps((epoch, idx, error), None)


def _fetch_indices(dataset, indices, collate_fn, default_collate, batch_size):
    from ._fetch import fetch_map

    if batch_size is None:  # one index, one sample
        return collate_fn(dataset[indices])
    return fetch_map(dataset, indices, collate_fn, default_collate)


# ------------------------------------------------------------------ tensors between processes
def _rebuild_tensor(cls, array, requires_grad):
    t = wrap(array)
    if cls is not Tensor:
        return cls(t, requires_grad=requires_grad)
    t._requires_grad = requires_grad
    return t


def _reduce_tensor(t):
    if t.grad_fn is not None:
        raise RuntimeError(
            "DataLoader: refusing to send a non-leaf tensor that requires grad between "
            "processes (its graph cannot travel); return t.detach() from the dataset")
    return _rebuild_tensor, (type(t), t._data, t._requires_grad)


def register_tensor_pickling():
    """Let multiprocessing's pickler (queues, spawn/forkserver arguments) carry tensors."""
    from multiprocessing.reduction import ForkingPickler

    from ...nn.parameter import Parameter

    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, _reduce_tensor)
