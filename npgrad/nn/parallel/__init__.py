"""``npgrad.nn.parallel``: ``DistributedDataParallel`` (data parallelism over MPI ranks) and
``DataParallel`` (a single-process pass-through on CPU). Importing this needs no mpi4py."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
