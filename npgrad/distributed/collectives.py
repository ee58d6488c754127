"""The collectives of ``torch.distributed`` on MPI, each a thin wrapper over one mpi4py call
on the tensors' NumPy buffers. Results are written into the given tensors in place, as in
PyTorch. With ``async_op=True`` the non-blocking MPI call is started and a ``Work`` is
returned; ``work.wait()`` finishes it (and any step after it, such as AVG's division).

``src``/``dst`` are world ranks, as in PyTorch, also when ``group`` is a subgroup.
"""
import numpy as np

from .process_group import _mpi, resolve, wait_all


class ReduceOp:
    """How ``all_reduce``/``reduce``/``reduce_scatter_tensor`` combine the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class _ReduceOpNamespace:  # torch.distributed.reduce_op (deprecated spelling)
    SUM, PRODUCT, MIN, MAX = ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX


reduce_op = _ReduceOpNamespace


def _mpi_op(op, what):
    MPI = _mpi()
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
             ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    if op not in table:
        raise ValueError(f"{what}: unknown reduce op {op!r}; use dist.ReduceOp.SUM, AVG, "
                         f"PRODUCT, MIN, MAX, BAND, BOR or BXOR")
    return table[op]


class Work:
    """A started operation: ``wait()`` blocks until it is done (then runs ``finish``)."""

    def __init__(self, requests=(), finish=None, what="a collective"):
        self._requests = [r for r in requests if r is not None]
        self._finish = finish
        self._done = False
        self._what = what

    def wait(self, timeout=None):
        if not self._done:
            if self._requests:
                wait_all(self._requests, self._what)
            self._done = True
            if self._finish is not None:
                self._finish()
        return True

    def is_completed(self):
        if not self._done and self._requests:
            if _mpi().Request.Testall(self._requests):
                self.wait()
        return self._done or not self._requests

    def is_success(self):
        return self.is_completed()

    def result(self):
        self.wait()
        return []

    def exception(self):
        return None

    def source_rank(self):
        return self._source if hasattr(self, "_source") else -1


def _done(work, async_op):
    """Return ``work`` for async_op, else finish it now (returning None, as PyTorch does)."""
    if async_op:
        return work
    work.wait()
    return None


def _buffer(tensor, what):
    """The tensor's NumPy array, which MPI reads and writes in place."""
    data = getattr(tensor, "_data", None)
    if data is None:
        raise TypeError(f"{what}: expected an npgrad Tensor, got {type(tensor).__name__}")
    if not data.flags.c_contiguous or not data.flags.writeable:
        raise ValueError(f"{what}: the tensor must be contiguous and writable (call "
                         f".contiguous() / .clone() first); got shape {tuple(data.shape)}")
    return data


def _avg(data, n, what):
    if not np.issubdtype(data.dtype, np.floating):
        raise ValueError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {data.dtype}")
    def finish():
        np.divide(data, n, out=data)

    return finish


def _member(group, what):
    g = resolve(group, what)
    return g if g.comm is not None else None


# ---------------------------------------------------------------------- collectives
def barrier(group=None, async_op=False, device_ids=None):
    g = _member(group, "barrier")
    if g is None:
        return None
    return _done(Work([g.comm.Ibarrier()], what="barrier"), async_op)


def broadcast(tensor, src=0, group=None, async_op=False, group_src=None):
    g = _member(group, "broadcast")
    if g is None:
        return None
    data = _buffer(tensor, "broadcast")
    root = group_src if group_src is not None else g.group_rank(src, "broadcast")
    return _done(Work([g.comm.Ibcast(data, root=root)], what="broadcast"), async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    g = _member(group, "all_reduce")
    if g is None:
        return None
    data = _buffer(tensor, "all_reduce")
    mpi_op = _mpi_op(op, "all_reduce")
    finish = _avg(data, g.size(), "all_reduce") if op == ReduceOp.AVG else None
    request = g.comm.Iallreduce(_mpi().IN_PLACE, data, op=mpi_op)
    return _done(Work([request], finish, what="all_reduce"), async_op)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine every rank's ``tensor`` into ``dst``'s; the others' tensors are left as they were."""
    g = _member(group, "reduce")
    if g is None:
        return None
    data = _buffer(tensor, "reduce")
    root = group_dst if group_dst is not None else g.group_rank(dst, "reduce")
    mpi_op = _mpi_op(op, "reduce")
    if g.comm.Get_rank() == root:
        finish = _avg(data, g.size(), "reduce") if op == ReduceOp.AVG else None
        request = g.comm.Ireduce(_mpi().IN_PLACE, data, op=mpi_op, root=root)
    else:
        if op == ReduceOp.AVG:
            _avg(data, 1, "reduce")  # the same dtype check on every rank
        finish, request = None, g.comm.Ireduce(data.copy(), None, op=mpi_op, root=root)
    return _done(Work([request], finish, what="reduce"), async_op)


def _check_list(tensors, n, data, what, name):
    if len(tensors) != n:
        raise ValueError(f"{what}: {name} must hold one tensor per rank ({n}), got {len(tensors)}")
    for t in tensors:
        arr = getattr(t, "_data", None)
        if arr is None or arr.shape != data.shape or arr.dtype != data.dtype:
            raise ValueError(
                f"{what}: every tensor in {name} must have the input's shape "
                f"{tuple(data.shape)} and dtype {data.dtype}; got "
                f"{None if arr is None else (tuple(arr.shape), str(arr.dtype))}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` receives rank i's ``tensor``."""
    g = _member(group, "all_gather")
    if g is None:
        return None
    data = _buffer(tensor, "all_gather")
    _check_list(tensor_list, g.size(), data, "all_gather", "tensor_list")
    out = np.empty((g.size(),) + data.shape, data.dtype)

    def finish():
        for t, part in zip(tensor_list, out):
            t._data[...] = part

    return _done(Work([g.comm.Iallgather(data, out)], finish, what="all_gather"), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """The ranks' inputs concatenated along dim 0 (or stacked) into ``output_tensor``."""
    g = _member(group, "all_gather_into_tensor")
    if g is None:
        return None
    data = _buffer(input_tensor, "all_gather_into_tensor")
    out = _buffer(output_tensor, "all_gather_into_tensor")
    if out.size != data.size * g.size() or out.dtype != data.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output must have world_size ({g.size()}) times the "
            f"input's elements and its dtype; got output {tuple(out.shape)} {out.dtype}, "
            f"input {tuple(data.shape)} {data.dtype}")
    return _done(Work([g.comm.Iallgather(data, out)], what="all_gather_into_tensor"), async_op)


_all_gather_base = all_gather_into_tensor


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False, group_dst=None):
    """On ``dst``, ``gather_list[i]`` receives rank i's ``tensor``."""
    g = _member(group, "gather")
    if g is None:
        return None
    data = _buffer(tensor, "gather")
    root = group_dst if group_dst is not None else g.group_rank(dst, "gather")
    if g.comm.Get_rank() != root:
        if gather_list:
            raise ValueError("gather: Argument ``gather_list`` must NOT be specified on "
                             "non-destination ranks.")
        return _done(Work([g.comm.Igather(data, None, root=root)], what="gather"), async_op)
    if gather_list is None:
        raise ValueError("gather: Argument ``gather_list`` must be specified on destination rank.")
    _check_list(gather_list, g.size(), data, "gather", "gather_list")
    out = np.empty((g.size(),) + data.shape, data.dtype)

    def finish():
        for t, part in zip(gather_list, out):
            t._data[...] = part

    return _done(Work([g.comm.Igather(data, out, root=root)], finish, what="gather"), async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False, group_src=None):
    """Rank i's ``tensor`` receives ``scatter_list[i]`` from ``src``."""
    g = _member(group, "scatter")
    if g is None:
        return None
    data = _buffer(tensor, "scatter")
    root = group_src if group_src is not None else g.group_rank(src, "scatter")
    if g.comm.Get_rank() != root:
        if scatter_list:
            raise ValueError("scatter: Argument ``scatter_list`` must NOT be specified on "
                             "non-source ranks.")
        return _done(Work([g.comm.Iscatter(None, data, root=root)], what="scatter"), async_op)
    if scatter_list is None:
        raise ValueError("scatter: Argument ``scatter_list`` must be specified on source rank.")
    _check_list(scatter_list, g.size(), data, "scatter", "scatter_list")
    send = np.stack([t._data for t in scatter_list])
    return _done(Work([g.comm.Iscatter(send, data, root=root)], what="scatter"), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce the ranks' ``input`` (world_size chunks along dim 0); rank i gets chunk i."""
    g = _member(group, "reduce_scatter_tensor")
    if g is None:
        return None
    out = _buffer(output, "reduce_scatter_tensor")
    data = _buffer(input, "reduce_scatter_tensor")
    if data.size != out.size * g.size() or out.dtype != data.dtype:
        raise ValueError(
            f"reduce_scatter_tensor: input must have world_size ({g.size()}) times the "
            f"output's elements and its dtype; got input {tuple(data.shape)} {data.dtype}, "
            f"output {tuple(out.shape)} {out.dtype}")
    finish = _avg(out, g.size(), "reduce_scatter_tensor") if op == ReduceOp.AVG else None
    request = g.comm.Ireduce_scatter_block(data, out, op=_mpi_op(op, "reduce_scatter_tensor"))
    return _done(Work([request], finish, what="reduce_scatter_tensor"), async_op)


_reduce_scatter_base = reduce_scatter_tensor


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Like ``reduce_scatter_tensor`` with the input given as one tensor per rank."""
    from .._tensor import wrap

    stacked = wrap(np.ascontiguousarray(np.stack([t._data for t in input_list])))
    return reduce_scatter_tensor(output, stacked, op=op, group=group, async_op=async_op)


def all_to_all_single(output, input, group=None, async_op=False):
    """Even split along dim 0: rank i's chunk j goes to rank j's chunk i."""
    g = _member(group, "all_to_all_single")
    if g is None:
        return None
    out, data = _buffer(output, "all_to_all_single"), _buffer(input, "all_to_all_single")
    return _done(Work([g.comm.Ialltoall(data, out)], what="all_to_all_single"), async_op)


# ---------------------------------------------------------------------- point to point
def send(tensor, dst, group=None, tag=0):
    work = isend(tensor, dst, group=group, tag=tag)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from ``src`` (None: from any rank); returns the sender's rank."""
    g = _member(group, "recv")
    if g is None:
        return -1
    MPI = _mpi()
    status = MPI.Status()
    source = MPI.ANY_SOURCE if src is None else g.group_rank(src, "recv")
    request = g.comm.Irecv(_buffer(tensor, "recv"), source=source, tag=tag)
    wait_all([request], "recv", [status])
    return g.ranks[status.Get_source()]


def isend(tensor, dst, group=None, tag=0):
    g = _member(group, "isend")
    if g is None:
        return None
    return Work([g.comm.Isend(_buffer(tensor, "isend"), dest=g.group_rank(dst, "isend"), tag=tag)],
                what="send")


def irecv(tensor, src=None, group=None, tag=0):
    g = _member(group, "irecv")
    if g is None:
        return None
    MPI = _mpi()
    source = MPI.ANY_SOURCE if src is None else g.group_rank(src, "irecv")
    return Work([g.comm.Irecv(_buffer(tensor, "irecv"), source=source, tag=tag)], what="recv")


# ---------------------------------------------------------------------- Python objects
def broadcast_object_list(object_list, src=0, group=None, device=None):
    g = _member(group, "broadcast_object_list")
    if g is not None:
        object_list[:] = g.comm.bcast(list(object_list), root=g.group_rank(src, "broadcast_object_list"))


def all_gather_object(object_list, obj, group=None):
    g = _member(group, "all_gather_object")
    if g is not None:
        object_list[:] = g.comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    g = _member(group, "gather_object")
    if g is not None:
        result = g.comm.gather(obj, root=g.group_rank(dst, "gather_object"))
        if result is not None and object_gather_list is not None:
            object_gather_list[:] = result
