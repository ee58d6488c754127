"""Data-parallel training for the Learner and ``npgrad train`` under ``mpiexec -n N``.

``prepare(model, train_dl, seed)`` does nothing in a single process. Started by mpiexec (or
with torchrun's ``WORLD_SIZE`` > 1) it joins the process group, gives each rank its share of
every epoch with a ``DistributedSampler`` (the global batch is split evenly across ranks, so
N ranks take the same steps as one process with the same ``batch_size``), and wraps the model
in ``DistributedDataParallel``. Only rank 0 (``is_main()``) prints and writes files.
"""
import os

__all__ = ["DataParallelRun", "is_main", "prepare", "unwrap", "world_size"]


def world_size():
    """The number of processes of this job (1 outside mpiexec/torchrun), without starting MPI."""
    from .. import distributed as dist

    if dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main():
    """True on rank 0 (and in a single process): the one rank that prints and writes."""
    from .. import distributed as dist

    if dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


def unwrap(model):
    """The module inside a DistributedDataParallel/DataParallel wrapper (else ``model``)."""
    from ..nn.parallel import DataParallel, DistributedDataParallel

    while isinstance(model, (DataParallel, DistributedDataParallel)):
        model = model.module
    return model


def mean_over_ranks(model, value):
    """``value`` averaged over the ranks when ``model`` is DistributedDataParallel (each
    rank saw its share of the batches), else ``value`` itself."""
    from ..nn.parallel import DistributedDataParallel

    if not isinstance(model, DistributedDataParallel) or model._world == 1:
        return value
    import numpy as np

    from .. import distributed as dist
    from .._creation import from_numpy

    t = from_numpy(np.array([value], dtype=np.float64))
    dist.all_reduce(t, op=dist.ReduceOp.AVG, group=model.process_group)
    return float(t._data[0])


def barrier():
    """Wait for every rank (a no-op in a single process)."""
    from .. import distributed as dist

    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


class DataParallelRun:
    def __init__(self, model, train_dl, rank, world):
        self.model, self.train_dl, self.rank, self.world = model, train_dl, rank, world
        self.main = rank == 0

    def describe(self):
        if self.world == 1:
            return ""
        return (f", data-parallel on {self.world} processes "
                f"({self.train_dl.batch_size} images each per step)")


def prepare(model, train_dl, seed=0):
    """``DataParallelRun(model, train_dl, rank, world)``: unchanged in one process, else
    the DDP-wrapped model and this rank's loader. Raises ValueError if ``train_dl``'s batch
    size does not split evenly across the ranks."""
    if world_size() <= 1:
        return DataParallelRun(model, train_dl, 0, 1)
    from .. import distributed as dist
    from ..nn.parallel import DistributedDataParallel
    from ..utils.data import DataLoader, DistributedSampler

    if not dist.is_initialized():
        dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    batch = train_dl.batch_size
    if batch is None or batch % world:
        raise ValueError(f"the batch size ({batch}) must split evenly across the {world} "
                         f"processes: use a multiple of {world}")
    sampler = DistributedSampler(train_dl.dataset, num_replicas=world, rank=rank,
                                 shuffle=True, seed=seed)
    loader = DataLoader(train_dl.dataset, batch_size=batch // world, sampler=sampler,
                        collate_fn=None if getattr(train_dl, "_default_collate", False)
                        else train_dl.collate_fn)
    return DataParallelRun(DistributedDataParallel(model), loader, rank, world)
