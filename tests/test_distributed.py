"""npgrad.distributed, DistributedDataParallel, DistributedSampler and data-parallel training.

The multi-process tests launch ``mpiexec -n 2 python tests/dist_scripts/<script>`` (each
script checks itself against NumPy or a single-process run and prints an ``ok`` line per
rank), with a timeout so a hang fails instead of blocking. They are skipped only when the
``distributed`` extra (mpi4py + the mpich wheels) is not installed; CI installs it. The rest
(hooks, sampler, import without mpi4py, errors) runs in this process against PyTorch.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import npgrad
import npgrad.distributed as dist
from npgrad.distributed._env import fill, find_mpiexec
from npgrad.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "dist_scripts"
MPIEXEC = find_mpiexec()
needs_mpi = pytest.mark.skipif(
    not dist.is_available() or MPIEXEC is None,
    reason='needs the distributed extra: pip install -e ".[distributed]" (mpi4py + mpich wheels '
           'with mpiexec); CI installs it')


def launch(args, n=2, timeout=90, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PMI_RANK", "PMI_SIZE"):
        env.pop(key, None)
    start = time.monotonic()
    proc = subprocess.run([MPIEXEC, "-n", str(n), sys.executable] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    return proc, time.monotonic() - start


def ok_lines(proc, word, n=2):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    for r in range(n):
        assert f"{word} ok rank {r}" in proc.stdout, out[-4000:]


# ---------------------------------------------------------------------- under mpiexec
@needs_mpi
def test_collectives_match_numpy_on_2_ranks():
    proc, _ = launch([SCRIPTS / "collectives.py"])
    ok_lines(proc, "collectives")


@needs_mpi
def test_ddp_equals_single_process_training(tmp_path):
    """Plain, no_sync accumulation, find_unused_parameters, the unused-parameter error, and a
    resume from a rank-0 checkpoint: each 20 steps, weights within 1e-5 of one process."""
    proc, _ = launch([SCRIPTS / "ddp_train.py", tmp_path])
    ok_lines(proc, "ddp")


@needs_mpi
def test_learner_under_ddp(tmp_path):
    """DistributedSampler epochs, equal weights on every rank, SaveBestModel from rank 0."""
    proc, _ = launch([SCRIPTS / "learner_ddp.py", tmp_path])
    ok_lines(proc, "learner")
    assert proc.stdout.count("train_loss") == 1  # only rank 0 prints


@needs_mpi
@pytest.mark.parametrize("mode", ["raise", "kill", "exit"])
def test_a_failing_rank_ends_the_job(mode):
    proc, seconds = launch([SCRIPTS / "fault.py", mode], timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    assert seconds < 60
    assert "finished all steps" not in out
    if mode == "raise":
        assert "rank 1 failed (ValueError: deliberate failure at step 5)" in out, out[-4000:]
    elif mode == "exit":
        assert "rank 1 has exited while rank 0 still waits for it in all_reduce" in out, out[-4000:]
    else:
        assert "BAD TERMINATION" in out or "Killed" in out, out[-4000:]


@needs_mpi
def test_npgrad_train_on_2_processes(tmp_path):
    from conftest import DATA

    if DATA is None:
        pytest.skip("MNIST not found (see tests/conftest.py for where it is looked for)")
    out = tmp_path / "run"
    proc, _ = launch(["-m", "npgrad", "train", "--subset", "256", "--epochs", "2", "--batch-size",
                      "64", "--data-dir", DATA, "--out", out, "--no-progress"],
                     timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    text = proc.stdout
    assert text.count("training mlp") == 1 and text.count("accuracy:") == 1, text
    assert "data-parallel on 2 processes (32 images each per step)" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no stray runs/ folder
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".png") == [
        "history.csv", "model.safetensors", "run.json"]
    from npgrad.train.checkpoint import load_checkpoint

    model, name, _ = load_checkpoint(str(out / "model.safetensors"))  # bare keys, no module.
    assert name == "mlp"


# ---------------------------------------------------------------------- in this process
def test_post_accumulate_grad_hook_matches_torch():
    def run(lib):
        w = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        b = lib.tensor(np.ones(3), requires_grad=True)
        seen = []

        def hook(p):
            seen.append(("w" if p is w else "b", p.grad.detach().numpy().copy()))

        hw = w.register_post_accumulate_grad_hook(hook)
        b.register_post_accumulate_grad_hook(hook)
        x = lib.tensor(np.array([[1.0, -2.0], [0.5, 3.0]]))
        ((x @ w + b) ** 2).sum().backward()
        ((x @ w) * b).sum().backward()  # accumulates: the hook sees the running total
        hw.remove()
        (w * b).sum().backward()  # only b's hook is left
        return seen

    ours, theirs = run(npgrad), run(torch)
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_post_accumulate_grad_hook_errors_like_torch():
    for lib in (npgrad, torch):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="non-leaf"):
            (x * 2).register_post_accumulate_grad_hook(lambda p: None)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(3).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_hook_runs_while_backward_is_running():
    """As in torch, the last layer's weight is accumulated (and its hook runs) before backward
    reaches the hidden activation below it: DDP can start communicating that early."""
    def events(lib):
        lib.manual_seed(0)
        l1, l2 = lib.nn.Linear(4, 4), lib.nn.Linear(4, 2)
        seen = []
        l2.weight.register_post_accumulate_grad_hook(lambda p: seen.append("l2.weight"))
        l1.weight.register_post_accumulate_grad_hook(lambda p: seen.append("l1.weight"))
        h = l1(lib.randn(3, 4))
        h.register_hook(lambda g: seen.append("hidden"))
        l2(h.relu()).sum().backward()
        return seen

    assert events(npgrad) == events(torch) == ["l2.weight", "hidden", "l1.weight"]


@pytest.mark.parametrize("n", [0, 1, 5, 7, 10, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 4, False),
                                                  (7, 2, False), (9, 4, True)])
def test_distributed_sampler_shuffled_partition_matches_torch(monkeypatch, n, replicas, drop_last):
    """npgrad's permutation differs from torch's (another generator); given the same
    permutation, the padding and partition are torch's."""
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for epoch in (0, 3):
        ours = [DistributedSampler(range(n), replicas, r, seed=5, drop_last=drop_last)
                for r in range(replicas)]
        for s in ours:
            s.set_epoch(epoch)
        perm = ours[0]._permutation()
        monkeypatch.setattr(torch, "randperm", lambda *a, **k: torch.tensor(perm))
        for r, s in enumerate(ours):
            theirs = TorchSampler(range(n), replicas, r, seed=5, drop_last=drop_last)
            theirs.set_epoch(epoch)
            assert list(s) == list(theirs)
    a = DistributedSampler(range(50), 2, 0, seed=1)
    first = list(a)
    a.set_epoch(1)
    b = DistributedSampler(range(50), 2, 1, seed=1)
    b.set_epoch(1)
    assert list(a) != first and sorted(list(a) + list(b)) == list(range(50))


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    if not dist.is_initialized():
        with pytest.raises(RuntimeError, match="init_process_group"):
            DistributedSampler(range(4))


def test_distributed_sampler_in_a_dataloader():
    ds = npgrad.utils.data.TensorDataset(npgrad.arange(10))
    seen = []
    for rank in range(3):
        dl = npgrad.utils.data.DataLoader(ds, batch_size=2,
                                          sampler=DistributedSampler(ds, 3, rank, seed=0))
        seen += [int(v) for (xb,) in dl for v in xb]
    assert len(seen) == 12 and set(seen) == set(range(10))  # 2 padded repeats


def test_import_and_errors_without_mpi4py():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'mpi4py':\n"
        "            raise ModuleNotFoundError(\"No module named 'mpi4py'\")\n"
        "sys.meta_path.insert(0, Block())\n"
        "import npgrad, npgrad.distributed as dist, npgrad.nn.parallel\n"
        "from npgrad.utils.data import DistributedSampler\n"
        "assert not dist.is_available() and not dist.is_initialized()\n"
        "try:\n"
        "    dist.init_process_group('mpi')\n"
        "except RuntimeError as e:\n"
        "    print('ERR', e)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "ERR" in proc.stdout and 'pip install "npgrad[distributed]"' in proc.stdout


def test_import_npgrad_does_not_load_mpi4py():
    code = "import sys, npgrad, npgrad.distributed, npgrad.nn.parallel; print('mpi4py' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_backend_errors():
    with pytest.raises(RuntimeError, match="nccl.*GPUs"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="unknown backend 'foo'"):
        dist.init_process_group("foo")
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        npgrad.nn.parallel.DistributedDataParallel(npgrad.nn.Linear(2, 2))


@needs_mpi
def test_single_process_group_without_mpiexec():
    code = ("import npgrad, npgrad.distributed as d\n"
            "d.init_process_group('gloo')\n"
            "t = npgrad.tensor([1.0, 2.0]); d.all_reduce(t, op=d.ReduceOp.AVG)\n"
            "m = npgrad.nn.parallel.DistributedDataParallel(npgrad.nn.Linear(2, 1))\n"
            "m(t[None]).sum().backward()\n"
            "print(d.get_rank(), d.get_world_size(), t.tolist(), m.module.weight.grad.tolist())\n")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(env, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "1", "[1.0,", "2.0]", "[[1.0,", "2.0]]"]


@needs_mpi
def test_world_size_that_mpi_did_not_start_is_an_error():
    code = "import npgrad.distributed as d\nd.init_process_group('mpi')\n"
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(env, PYTHONPATH=str(ROOT), WORLD_SIZE="4"), timeout=60)
    assert proc.returncode != 0
    assert "WORLD_SIZE=4 but MPI started 1 process(es)" in proc.stderr, proc.stderr


def test_torchrun_variables_from_the_mpi_launcher():
    env = {"PMI_RANK": "3", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1", "MPI_LOCALNRANKS": "2"}
    fill(env)
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == ("3", "4", "1", "2")
    env = {"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2", "RANK": "9"}
    fill(env)
    assert env["RANK"] == "9" and env["WORLD_SIZE"] == "2"  # never overwrites
    env = {}
    fill(env)
    assert env == {}


def test_ddp_and_dataparallel_state_dict_keys_match_torch():
    npgrad.manual_seed(0)
    ours = npgrad.nn.parallel.DataParallel(npgrad.nn.Sequential(npgrad.nn.Linear(3, 2)))
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2)))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.0.weight", "module.0.bias"]
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(npgrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)
