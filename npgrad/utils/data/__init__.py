"""Datasets, samplers and the DataLoader, with ``torch.utils.data``'s names and semantics.

    from npgrad.utils.data import DataLoader, TensorDataset, random_split

A map-style dataset has ``__getitem__`` and ``__len__``. One that can also fetch a whole
batch with a single NumPy fancy-index (``TensorDataset``, ``Subset`` of one, the vision
datasets) defines ``__getitems__`` and returns a ``Collated`` batch: the DataLoader then hands
it out as it is, with no Python loop over the items. See ``dataloader.py``.
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    Collated,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "Collated", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
    "get_worker_info", "random_split",
]

from . import distributed  # noqa: E402
from .distributed import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
