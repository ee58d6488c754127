"""torchrun's environment variables under ``mpiexec``.

Scripts written for ``torchrun`` read ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` before (or
instead of) asking ``torch.distributed``. MPI launchers set their own names: MPICH's hydra
``PMI_RANK``/``PMI_SIZE``/``MPI_LOCALRANKID``, Open MPI ``OMPI_COMM_WORLD_*``, Slurm
``SLURM_PROCID``/``SLURM_NTASKS``/``SLURM_LOCALID``. ``fill()`` copies them to torchrun's names
(never overwriting a value that is already set). It runs when ``npgrad`` is imported and costs
a few dictionary look-ups; it imports nothing.
"""
import os

_LAUNCHERS = (
    # (rank, world size, local rank)
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"),
    ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK"),
    ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"),
)


def launcher_ranks(environ=os.environ):
    """(rank, world_size, local_rank) as the MPI launcher set them, or None."""
    for rank, size, local in _LAUNCHERS:
        if rank in environ and size in environ:
            r, n = int(environ[rank]), int(environ[size])
            return r, n, int(environ.get(local, r))
    return None


def fill(environ=os.environ):
    found = launcher_ranks(environ)
    if found is None:
        return
    rank, size, local = found
    environ.setdefault("RANK", str(rank))
    environ.setdefault("WORLD_SIZE", str(size))
    environ.setdefault("LOCAL_RANK", str(local))
    environ.setdefault("LOCAL_WORLD_SIZE", environ.get("MPI_LOCALNRANKS", str(size)))


def find_mpiexec():
    """The ``mpiexec`` to launch jobs with: the one beside this Python (where the ``mpich``
    wheel puts it, even when that folder is not on PATH), else the first on PATH, else None."""
    import shutil
    import sys

    for folder in (os.path.dirname(sys.executable), os.path.join(sys.prefix, "bin")):
        path = os.path.join(folder, "mpiexec")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("mpiexec")
