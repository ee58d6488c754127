"""``npgrad.distributed``: PyTorch's ``torch.distributed`` API on MPI (mpi4py).

    # mpiexec -n 4 python train.py
    import npgrad.distributed as dist
    dist.init_process_group("mpi")            # "gloo" maps to it; ranks come from MPI
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

Importing this package needs nothing beyond npgrad: ``mpi4py`` is imported by
``init_process_group`` (``is_available()`` says whether it can be). Install it with
``pip install "npgrad[distributed]"``. See ``process_group.py`` (groups, queries, abort on error) and
``collectives.py`` (the collectives and point-to-point calls).
"""
from . import _env
from .collectives import (
    ReduceOp, Work, _all_gather_base, _reduce_scatter_base, all_gather, all_gather_into_tensor,
    all_gather_object, all_reduce, all_to_all_single, barrier, broadcast, broadcast_object_list,
    gather, gather_object, irecv, isend, recv, reduce, reduce_op, reduce_scatter,
    reduce_scatter_tensor, scatter, send,
)
from .process_group import (
    ProcessGroup, destroy_process_group, get_backend, get_global_rank,
    get_process_group_ranks, get_rank, get_world_size, init_process_group, is_available,
    is_gloo_available, is_initialized, is_mpi_available, is_nccl_available,
    is_torchelastic_launched, new_group,
)


class GroupMember:
    WORLD = None  # None stands for the default group in every call
    NON_GROUP_MEMBER = -100


group = GroupMember


class Backend(str):
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"

    def __new__(cls, name):
        return str.__new__(cls, name.lower())


_env.fill()  # RANK / WORLD_SIZE / LOCAL_RANK under mpiexec, for scripts written for torchrun

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all_single",
    "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather",
    "gather_object", "get_backend", "get_global_rank", "get_process_group_ranks", "get_rank",
    "get_world_size", "init_process_group", "irecv", "is_available", "is_initialized",
    "isend", "new_group", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
    "scatter", "send",
]
