"""Turning what the sampler asks for into a batch: shared by the main process
(``num_workers=0``) and the worker processes (``_worker.py``), so both make the same batches.

``fetch_map`` serves a map-style dataset: the dataset's own ``__getitems__`` when it has one
(see ``dataset.py``: a ``Collated`` batch is handed out as it is), else one ``__getitem__`` per
index and ``collate_fn``. ``StreamFetcher`` serves an ``IterableDataset``: the next
``batch_size`` samples of one iterator over it.
"""
from .dataset import Collated


def fetch_map(dataset, indices, collate_fn, default_collate):
    """One batch for the list ``indices`` (``default_collate`` says collate_fn is the default)."""
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        data = getitems(indices)
        if not isinstance(data, Collated):
            return collate_fn(data)  # a list of samples, PyTorch's convention
        if default_collate:
            return data.batch  # already what default_collate would make
    return collate_fn([dataset[i] for i in indices])


class StreamFetcher:
    """Batches from one pass over an IterableDataset: ``batch_size`` samples at a time (one
    sample, converted, when ``batch_size`` is None). ``fetch()`` raises StopIteration at the end."""

    def __init__(self, dataset, batch_size, drop_last, collate_fn):
        self.it = iter(dataset)
        self.batch_size, self.drop_last, self.collate_fn = batch_size, drop_last, collate_fn

    def fetch(self):
        if self.batch_size is None:
            return self.collate_fn(next(self.it))
        batch = []
        for sample in self.it:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)
