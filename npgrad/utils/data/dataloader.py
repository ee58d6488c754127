"""The DataLoader: batches from a dataset, in the order a sampler picks, epoch after epoch.

    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for images, labels in loader:      # one epoch; iterate again for the next
        ...

Each epoch: the batch sampler yields lists of indices; for each list the loader fetches the
samples and collates them into a batch. Fetching takes the fast path when the dataset has
``__getitems__`` returning a ``Collated`` batch (see ``dataset.py``): one fancy-index per
array instead of one ``__getitem__`` call per sample.

npgrad loads in the main process: ``num_workers > 0`` raises (no worker processes exist to
run it). With the fast path an in-memory dataset is read far faster than workers would be.
"""
import math

from .collate import default_collate, default_convert
from .dataset import Collated, IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def get_worker_info():
    """Always None: npgrad's DataLoader runs in the main process, with no workers."""
    return None


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
        num_workers: must be 0: npgrad loads in the main process.
        pin_memory: accepted and ignored: there is no GPU memory to pin for.
        worker_init_fn: accepted and never called, as in PyTorch with ``num_workers=0``.
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
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
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
        if self._iterable:
            return self._iter_stream()
        if self._auto_collation:
            return (self._fetch(indices) for indices in self.batch_sampler)
        return (self.collate_fn(self.dataset[i]) for i in self.sampler)

    def _fetch(self, indices):
        """One batch for a list of indices: the dataset's own batch fetch if it has one."""
        dataset = self.dataset
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            data = getitems(indices)
            if not isinstance(data, Collated):
                return self.collate_fn(data)  # a list of samples, PyTorch's convention
            if self._default_collate:
                return data.batch  # already what default_collate would make
        return self.collate_fn([dataset[i] for i in indices])

    def _iter_stream(self):
        """Batches from an IterableDataset: ``batch_size`` samples at a time, in stream order."""
        it = iter(self.dataset)
        if self.batch_size is None:
            for sample in it:
                yield self.collate_fn(sample)
            return
        while True:
            batch = []
            for sample in it:
                batch.append(sample)
                if len(batch) == self.batch_size:
                    break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"batches={len(self) if hasattr(self.dataset, '__len__') else '?'})")


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                   multiprocessing_context):
    """Refuse every option that only means something with worker processes."""
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
        )
    if num_workers > 0:
        raise NotImplementedError(
            f"DataLoader(num_workers={num_workers}): npgrad loads data in the main process; pass "
            f"num_workers=0 (the default). In-memory datasets such as MNIST and TensorDataset "
            f"are fetched a whole batch per NumPy call, faster than worker processes would be."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing; npgrad loads in "
            "the main process, so leave prefetch_factor=None"
        )
    if persistent_workers:
        raise ValueError("persistent_workers option needs num_workers > 0, which npgrad does not support")
    if multiprocessing_context is not None:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            "(num_workers > 0), which npgrad does not support"
        )
    # worker_init_fn is accepted: with num_workers=0 PyTorch never calls it either.
