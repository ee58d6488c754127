"""The DataLoader: batches from a dataset, in the order a sampler picks, epoch after epoch.

    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for images, labels in loader:      # one epoch; iterate again for the next
        ...

Each epoch: the batch sampler yields lists of indices; for each list the loader fetches the
samples and collates them into a batch. Fetching takes the fast path when the dataset has
``__getitems__`` returning a ``Collated`` batch (see ``dataset.py``): one fancy-index per
array instead of one ``__getitem__`` call per sample.

With ``num_workers=0`` (the default) the main process loads. With ``num_workers=n`` n worker
processes build the batches ahead of the loop, in the same order (see ``_multiprocess.py``
for how, which start method, and when the workers stop; ``_worker.py`` for what a worker
does). Workers pay off when fetching a batch is slow Python work (per-image augmentation,
decoding files); an in-memory dataset with the fast path is read faster in the main process.
"""
import math

from ... import random as _random

from ._fetch import StreamFetcher, fetch_map
from ._worker import get_worker_info  # noqa: F401  (re-exported by the package)
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's ``torch.utils.data.DataLoader``).

    Args:
        dataset: a map-style dataset (``__getitem__`` + ``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch (``None`` turns batching off: samples come one by one).
        shuffle: a new random order every epoch, drawn from ``generator`` or the global
            generator (so ``npgrad.manual_seed`` makes it reproducible).
        sampler / batch_sampler: a custom order of indices / of lists of indices.
        drop_last: drop the last batch when it is shorter than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        generator: an ``npgrad.Generator`` for the shuffling.
        num_workers: worker processes building batches (0: the main process loads).
        pin_memory: accepted and ignored: there is no GPU memory to pin for.
        timeout: seconds to wait for a worker's batch before raising (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding
            (never with ``num_workers=0``, as in PyTorch).
        multiprocessing_context: a start method name ("fork", "spawn", "forkserver") or a
            ``multiprocessing`` context; default "fork" on Linux, else "spawn".
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) between epochs.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                       multiprocessing_context)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value}"
                    )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self._workers_iter = None  # the persistent workers' iterator
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        # With workers, each epoch first draws the workers' base seed from ``generator`` (or the
        # global generator), as PyTorch does. PyTorch draws it with num_workers=0 too; npgrad
        # does not, so that seeded programs without workers keep their numbers. Hence under
        # the same seed a shuffled order differs between num_workers=0 and > 0 (each stays
        # reproducible); a sampler with its own generator gives the same order either way.
        if self.num_workers > 0:
            base_seed = int(_random.get_rng(self.generator).integers(0, 2 ** 63))
            return self._worker_iter(base_seed)
        if self._iterable:
            return self._iter_stream()
        if self._auto_collation:
            return (self._fetch(indices) for indices in self.batch_sampler)
        return (self.collate_fn(self.dataset[i]) for i in self.sampler)

    def _worker_iter(self, base_seed):
        from ._multiprocess import MultiProcessIter

        if not self.persistent_workers:
            return MultiProcessIter(self, base_seed)
        if self._workers_iter is None or not self._workers_iter.alive:
            self._workers_iter = MultiProcessIter(self, base_seed)
        else:
            self._workers_iter.reset()
        return self._workers_iter

    def _fetch(self, indices):
        """One batch for a list of indices: the dataset's own batch fetch if it has one."""
        return fetch_map(self.dataset, indices, self.collate_fn, self._default_collate)

    def _iter_stream(self):
        """Batches from an IterableDataset: ``batch_size`` samples at a time, in stream order."""
        fetcher = StreamFetcher(self.dataset, self.batch_size, self.drop_last, self.collate_fn)
        while True:
            try:
                batch = fetcher.fetch()
            except StopIteration:
                return
            yield batch

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"batches={len(self) if hasattr(self.dataset, '__len__') else '?'})")


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                   multiprocessing_context):
    """PyTorch's checks of the worker options (some only mean something with workers)."""
    if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing. let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
        raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        if num_workers == 0:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                "(num_workers > 0), but got num_workers=0"
            )
        from ._multiprocess import resolve_context

        resolve_context(multiprocessing_context)  # a bad name or object fails here, as in PyTorch
