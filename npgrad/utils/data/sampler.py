"""Samplers decide the order in which a DataLoader visits a dataset's indices.

``SequentialSampler`` walks 0, 1, 2, ...; ``RandomSampler`` draws a fresh permutation every
time it is iterated (every epoch); ``BatchSampler`` groups any sampler's indices into lists of
``batch_size``. Every random draw comes from ``npgrad.random.get_rng(generator)``: the
sampler's own ``npgrad.Generator`` if it has one, else the global one that
``npgrad.manual_seed`` seeds.

Our samplers also have ``_index_array()``: the whole epoch's order as one NumPy array, drawn
at once. ``BatchSampler`` slices it instead of pulling indices one by one through Python.
``RandomSampler`` draws in chunks either way, and beyond 2**24 samples only lazily (its
``_index_array`` then returns None): ``num_samples=10**10`` never allocates 80 GB.
"""
import itertools
import math

import numpy as np

from ... import random as _random


class Sampler:
    """Base class: an iterable of dataset indices, usually with a ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


def _fast_order(sampler):
    """The epoch's indices as one array when ``sampler`` can draw them at once, else None.

    Only trusted when the class that defines ``__iter__`` also defines ``_index_array`` (a
    subclass that overrides ``__iter__`` alone gets its own order, through Python)."""
    for klass in type(sampler).__mro__:
        if "__iter__" in klass.__dict__:
            return sampler._index_array() if "_index_array" in klass.__dict__ else None
    return None


# RandomSampler draws its indices in pieces of this many: a sampler of 10**10 draws with
# replacement never holds more than one piece; below _WHOLE_EPOCH_MAX indices the pieces are
# joined into one array for BatchSampler's fast path (the same numbers either way).
_CHUNK = 1 << 16
_WHOLE_EPOCH_MAX = 1 << 24


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _index_array(self):
        return np.arange(len(self.data_source), dtype=np.int64)


class RandomSampler(Sampler):
    """Indices in random order, a new order every epoch.

    Without replacement each epoch is a permutation (several in a row when ``num_samples``
    exceeds the dataset's length). With ``replacement=True``, ``num_samples`` independent draws,
    made ``_CHUNK`` at a time as the iteration goes (as PyTorch draws 32 at a time).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def _pieces(self):
        """The epoch's indices as a lazy sequence of arrays: draws of ``_CHUNK`` indices (with
        replacement), or one permutation after another (without), cut at ``num_samples``."""
        rng = _random.get_rng(self.generator)
        n, left = len(self.data_source), self.num_samples
        while left > 0:
            if self.replacement:
                piece = rng.integers(0, n, size=min(left, _CHUNK), dtype=np.int64)
            else:
                piece = rng.permutation(n)[:left]
            left -= len(piece)
            yield piece

    def _index_array(self):
        if self.num_samples > _WHOLE_EPOCH_MAX:
            return None  # too many to hold at once: drawn lazily by __iter__
        parts = list(self._pieces())
        return np.concatenate(parts) if len(parts) != 1 else parts[0]

    def __iter__(self):
        for piece in self._pieces():
            yield from piece.tolist()


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a random order every epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __len__(self):
        return len(self.indices)

    def _index_array(self):
        order = _random.get_rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[order]

    def __iter__(self):
        return iter(self._index_array().tolist())


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {np.count_nonzero(w)} non-zero weights"
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __len__(self):
        return self.num_samples

    def _index_array(self):
        rng = _random.get_rng(self.generator)
        p = self.weights / self.weights.sum()
        return rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).astype(np.int64)

    def __iter__(self):
        return iter(self._index_array().tolist())


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    The last, shorter batch is kept unless ``drop_last=True``.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)

    def __iter__(self):
        order = _fast_order(self.sampler)  # None: the sampler's own (maybe lazy) order
        if order is not None:  # the fast way: one array for the epoch, sliced into batches
            stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
            for start in range(0, stop, self.batch_size):
                yield order[start:start + self.batch_size].tolist()
            return
        it = iter(self.sampler)  # any iterable of indices (a list, a range, a generator)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch
