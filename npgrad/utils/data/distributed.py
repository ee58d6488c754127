"""``DistributedSampler``: each rank's share of a dataset, for data-parallel training.

Every rank draws the same order (a permutation seeded by ``seed + epoch``: call
``set_epoch(epoch)`` before each epoch for a new one), pads it by repeating its start until it
divides evenly (or, with ``drop_last``, cuts the tail), and takes every ``num_replicas``-th
index starting at its ``rank``. The padding and the partition are PyTorch's rule; the
permutation itself comes from npgrad's generator (PCG64), so shuffled orders differ from
PyTorch's for the same seed.
"""
import math

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available() or not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: num_replicas and rank default to the process group's, "
                    "which is not initialized; call npgrad.distributed.init_process_group() "
                    "first or pass num_replicas= and rank=")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _permutation(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        return np.random.default_rng(self.seed + self.epoch).permutation(n).astype(np.int64)

    def _index_array(self):
        indices = self._permutation()
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0:
                indices = np.concatenate([indices, np.resize(indices, pad)])
        else:
            indices = indices[:self.total_size]
        return indices[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use a new shuffle for ``epoch`` (the same on every rank)."""
        self.epoch = epoch
