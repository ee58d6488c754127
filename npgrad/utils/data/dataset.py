"""Datasets: things that hand out samples by index (map-style) or by iteration.

A map-style dataset needs two methods, ``__getitem__(i)`` and ``__len__()``. The DataLoader
asks it for one index at a time and collates the samples into a batch, which works for any
dataset but runs a Python loop per sample.

The fast path. A dataset may also define ``__getitems__(indices)`` (PyTorch's name for
"fetch many at once"). It may return

- a ``list`` of samples, as PyTorch's datasets do: the DataLoader still collates them; or
- a ``Collated(batch)``: the batch already built, equal to what ``default_collate`` makes
  of ``[self[i] for i in indices]``. The DataLoader hands it out as it is. ``TensorDataset``
  does this with one NumPy fancy-index per tensor, so a batch of 64 costs a few NumPy calls
  instead of 64 ``__getitem__`` calls plus a stack.
"""
import bisect
import itertools
import math
import warnings

import numpy as np

from ... import random as _random
from ..._tensor import Tensor, wrap


class Collated:
    """A batch that ``__getitems__`` has already collated.

    ``Collated(batch).batch`` must equal ``default_collate([dataset[i] for i in indices])``
    for the same indices: the DataLoader trusts it and skips its own collation (if the user
    passes a custom ``collate_fn``, the DataLoader fetches item by item instead, since such a
    function expects a list of samples).
    """

    __slots__ = ("batch",)

    def __init__(self, batch):
        self.batch = batch

    def __repr__(self):
        return f"Collated({self.batch!r})"


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets read as a stream: subclasses define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise TypeError("ConcatDataset does not support IterableDataset; chain the iterators instead")


def _rows(t, index):
    """``t[index]`` for a tensor or array ``t``, as a tensor. Rows of a tensor that needs
    gradients go through autograd; everything else is one NumPy fancy-index, no graph."""
    if isinstance(t, Tensor):
        if t.requires_grad:
            return t[wrap(np.asarray(index, dtype=np.int64))]
        return wrap(t._data[index])
    return wrap(np.asarray(t[index]))


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: ``ds[i] == (x[i], y[i])``.

    ``TensorDataset(images, labels)`` with ``images`` of shape (N, ...) and ``labels`` of
    shape (N,). NumPy arrays are accepted too (their rows come out as arrays, which the
    DataLoader turns into tensors).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [t.shape[0] if len(t.shape) else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: every tensor needs the same "
                f"first dimension, got shapes {shapes}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.intp)
        return Collated([_rows(t, index) for t in self.tensors])

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self):
        return self._indices

    @indices.setter
    def indices(self, value):
        self._indices = value
        self._order = None  # rebuilt on the next batch fetch

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if self._order is None:  # the indices as one array, made once, for fancy-indexing
            self._order = np.asarray(self.indices, dtype=np.int64)
        inner = self._order[np.asarray(indices, dtype=np.intp)].tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another: item ``len(a)`` of ``a + b`` is ``b[0]``."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def _lengths_from_fractions(fractions, n):
    """PyTorch's rule: floor(n * f) each, then the remainder handed out one at a time,
    round-robin from the first split."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1: {frac}")
        lengths.append(math.floor(n * frac))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` are item counts summing to ``len(dataset)``, or fractions summing to 1
    (``[0.8, 0.2]``). The permutation is drawn from ``generator`` (an ``npgrad.Generator``)
    or else the global one, so ``npgrad.manual_seed`` fixes the split.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, n)
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n})"
        )
    order = _random.get_rng(generator).permutation(n).tolist()
    splits, start = [], 0
    for length in lengths:
        splits.append(Subset(dataset, order[start:start + length]))
        start += length
    return splits
