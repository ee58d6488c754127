"""Process groups on MPI: ``init_process_group``, the queries, ``new_group``, and the fault
rule (an uncaught exception on any rank aborts the whole job).

The world group wraps ``MPI.COMM_WORLD``; ``new_group(ranks)`` splits it. ``mpi4py`` is
imported here, at ``init_process_group``, never when ``npgrad`` is imported.
"""
import atexit
import os
import sys
import threading
import time

_EXTRA_HINT = 'pip install "npgrad[distributed]"  (installs mpi4py and the mpich MPI wheels)'
_BACKENDS = {None: "mpi", "mpi": "mpi", "gloo": "mpi", "cpu:gloo": "mpi", "cpu:mpi": "mpi"}


_ABORT_GRACE_S = 0.5


class ProcessGroup:
    """A set of ranks with its own MPI communicator. ``ranks`` are global (world) ranks;
    on a process outside the group ``comm`` is None."""

    def __init__(self, comm, ranks):
        self.comm = comm
        self.ranks = list(ranks)

    def rank(self):
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self):
        return len(self.ranks)

    def group_rank(self, global_rank, what):
        """The rank inside this group of world rank ``global_rank`` (``src``/``dst`` args)."""
        try:
            return self.ranks.index(int(global_rank))
        except ValueError:
            raise ValueError(f"{what}: global rank {global_rank} is not part of the group "
                             f"(ranks {self.ranks})") from None

    def name(self):
        return "mpi"

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', ranks={self.ranks})"


class _State:
    world = None  # the default ProcessGroup once init_process_group has run
    MPI = None
    hooks_installed = False
    notice_comm = None  # a duplicate of the world's communicator for exit notices


def is_available():
    """True when the MPI backend can be used (mpi4py is installed)."""
    import importlib.util

    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def _mpi():
    if _State.MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise RuntimeError(
                f"npgrad.distributed needs mpi4py and an MPI library, which are not installed "
                f"({exc}). Install the extra: {_EXTRA_HINT}") from None
        _State.MPI = MPI
    return _State.MPI


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the job's process group. Ranks come from MPI (start the job with
    ``mpiexec -n N python script.py``). ``backend`` 'mpi' or 'gloo' (its CPU stand-in);
    ``world_size``/``rank``, when given, and torchrun's ``WORLD_SIZE``/``RANK``, when set,
    must agree with MPI's."""
    key = backend.lower() if isinstance(backend, str) else backend
    if key not in _BACKENDS:
        if isinstance(key, str) and "nccl" in key:
            raise RuntimeError(
                "init_process_group: backend 'nccl' needs NVIDIA GPUs, which npgrad does not "
                "use; npgrad runs on CPUs with the 'mpi' backend (or 'gloo', which maps to it)")
        raise ValueError(f"init_process_group: unknown backend {backend!r}; "
                         f"npgrad supports 'mpi' (and 'gloo', which maps to it)")
    if _State.world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    n, r = comm.Get_size(), comm.Get_rank()
    for label, given in (("world_size", world_size), ("WORLD_SIZE", os.environ.get("WORLD_SIZE"))):
        if given is not None and int(given) not in (-1, n):
            raise RuntimeError(
                f"init_process_group: {label}={given} but MPI started {n} process(es); launch "
                f"with 'mpiexec -n {given} ...' (npgrad's ranks come from MPI, not torchrun)")
    for label, given in (("rank", rank), ("RANK", os.environ.get("RANK"))):
        if given is not None and int(given) not in (-1, r) and n > 1:
            raise RuntimeError(f"init_process_group: {label}={given} but this process is MPI "
                               f"rank {r} of {n}")
    _State.world = ProcessGroup(comm, range(n))
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
    os.environ.setdefault("RANK", str(r))
    os.environ.setdefault("WORLD_SIZE", str(n))
    os.environ.setdefault("LOCAL_RANK", str(node.Get_rank()))
    if n > 1:
        _install_abort_on_error()
        _share_cores(node.Get_size())
    node.Free()


def _share_cores(local_ranks):
    """Ranks on one machine split its cores: npgrad's helper threads (conv, big matmuls,
    Adam's chunks) get cores // local_ranks each, as torchrun gives each process one
    OpenMP thread. BLAS already runs on one thread per process (see npgrad/_threads.py)."""
    from .._fast import threads

    if local_ranks > 1:
        threads.share_cores(local_ranks)


def is_initialized():
    return _State.world is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    return is_available()


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return False


def destroy_process_group(group=None):
    """Leave the default group (and forget every group); with ``group``, free that group."""
    if group is not None and group is not _State.world:
        if group.comm is not None:
            group.comm.Free()
            group.comm = None
        return
    _State.world = None


def _world(what="this call"):
    if _State.world is None:
        raise ValueError(
            f"Default process group has not been initialized, please make sure to call "
            f"init_process_group. ({what})")
    return _State.world


def resolve(group, what):
    """The ProcessGroup ``group`` (None = the world)."""
    return _world(what) if group is None else group


def get_rank(group=None):
    g = resolve(group, "get_rank")
    if g.comm is None:
        return -1
    return g.ranks[g.comm.Get_rank()] if group is None else g.comm.Get_rank()


def get_world_size(group=None):
    g = resolve(group, "get_world_size")
    return g.size() if g.comm is not None else -1


def get_backend(group=None):
    resolve(group, "get_backend")
    return "mpi"


def get_global_rank(group, group_rank):
    return group.ranks[group_rank]


def get_process_group_ranks(group):
    return list(resolve(group, "get_process_group_ranks").ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False):
    """A group of the world ranks ``ranks`` (default all). Every rank must call it, in the
    same order, as in PyTorch; on ranks outside the group the result has no communicator
    (get_rank(group) is -1) and collectives on it do nothing."""
    world = _world("new_group")
    n = world.size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    bad = [r for r in ranks if not 0 <= r < n]
    if bad or len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks {ranks} must be distinct world ranks in [0, {n - 1}]")
    me = world.comm.Get_rank()
    MPI = _mpi()
    color = 0 if me in ranks else MPI.UNDEFINED
    key = ranks.index(me) if me in ranks else 0
    comm = world.comm.Split(color, key)
    if comm == MPI.COMM_NULL:
        comm = None
    return ProcessGroup(comm, ranks)


# ---------------------------------------------------------------------- faults
def _abort(rank, what, message=None):
    """Print which rank failed and end every process of the job (MPI_Abort)."""
    message = message or f"rank {rank} failed ({what})"
    try:
        sys.stderr.write(f"npgrad.distributed: {message}; aborting the whole job with "
                         f"MPI_Abort so no rank waits forever\n")
        sys.stderr.flush()
        time.sleep(_ABORT_GRACE_S)  # let mpiexec forward this rank's last output first
    finally:
        _State.MPI.COMM_WORLD.Abort(1)


def _install_abort_on_error():
    """An uncaught exception on any rank (main thread or another) aborts the job: the
    other ranks would otherwise wait in their next collective forever."""
    if _State.hooks_installed:
        return
    _State.hooks_installed = True
    rank = _State.world.comm.Get_rank()
    previous = sys.excepthook

    def excepthook(kind, value, tb):
        previous(kind, value, tb)
        _abort(rank, f"{kind.__name__}: {value}")

    def thread_hook(args):
        threading.__excepthook__(args)
        if args.exc_type is not SystemExit:
            _abort(rank, f"{args.exc_type.__name__} in thread {args.thread.name}: {args.exc_value}")

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    _State.notice_comm = _State.world.comm.Dup()
    threading.Thread(target=_watchdog, name="npgrad.distributed watchdog", daemon=True).start()
    atexit.register(_announce_exit)


# A rank that leaves (sys.exit, or the end of its script) while others still wait for it in
# a collective would leave them waiting forever: nothing raised, no process died. So every
# rank tells the others when it exits (a message on a communicator of its own), and a
# watchdog thread on each rank, which looks for such news twice a second, aborts the job
# when this rank has been stuck in the same wait for _EXIT_GRACE_S after a rank left. Waits
# themselves stay plain MPI_Waitall calls (mpi4py releases the GIL during them).
_EXIT_TAG = 7001
_EXIT_GRACE_S = 10.0
_LOOK_EVERY_S = 0.5


class _Waiting:
    count = 0  # how many waits have started
    what = None  # the operation now waited for (None: not waiting)
    lock = threading.Lock()  # the watchdog's MPI calls never overlap the exit's


def _announce_exit():
    comm = _State.notice_comm
    if comm is None:
        return
    import numpy as np

    with _Waiting.lock:
        _State.notice_comm = None  # stops the watchdog before MPI is finalised
    me = np.array([comm.Get_rank()], dtype=np.int64)
    for r in range(comm.Get_size()):
        if r != comm.Get_rank():
            try:
                comm.Send(me, dest=r, tag=_EXIT_TAG)  # eight bytes: sent eagerly, never blocks
            except Exception:  # that rank is gone already: nobody to tell
                pass


def _watchdog():
    import numpy as np

    MPI = _mpi()
    status, gone, since = MPI.Status(), None, None
    while True:
        time.sleep(_LOOK_EVERY_S)
        with _Waiting.lock:
            comm = _State.notice_comm
            if comm is None:
                return
            if gone is None and comm.Iprobe(source=MPI.ANY_SOURCE, tag=_EXIT_TAG, status=status):
                buf = np.zeros(1, dtype=np.int64)
                comm.Recv(buf, source=status.Get_source(), tag=_EXIT_TAG)
                gone, since = int(buf[0]), time.monotonic()
                stuck_in = _Waiting.count if _Waiting.what is not None else None
        if gone is None:
            continue
        if _Waiting.what is None or _Waiting.count != stuck_in:
            # not waiting, or a new wait began: time it from now
            stuck_in = _Waiting.count if _Waiting.what is not None else None
            since = time.monotonic()
        elif time.monotonic() - since > _EXIT_GRACE_S:
            me = comm.Get_rank()
            _abort(me, None, f"rank {gone} has exited while rank {me} still waits for it in "
                             f"{_Waiting.what}")


def wait_all(requests, what, statuses=None):
    """Wait for MPI ``requests`` (filling ``statuses``, a list of MPI.Status, if given)."""
    _Waiting.count += 1
    _Waiting.what = what
    try:
        _mpi().Request.Waitall(requests, statuses)
    finally:
        _Waiting.what = None
