"""DataLoader(num_workers>0) with real worker processes, against num_workers=0 and PyTorch:
batch order, worker seeding and get_worker_info, IterableDataset sharding, errors re-raised
naming the worker, timeouts, persistent workers, and that no process outlives the loop
(end, error, break, garbage collection, Ctrl-C)."""
import gc
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch.utils.data as tud

import npgrad
from npgrad.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Items(Dataset):
    """Rows of a float array and their labels, one __getitem__ at a time (module level, so
    'spawn' can pickle it)."""

    def __init__(self, n):
        self.x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)

    def __getitem__(self, i):
        return self.x[i], i

    def __len__(self):
        return len(self.x)


class WhoLoads(Dataset):
    """Each item says which worker built it and what its random generators drew."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return {"index": i, "worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed % (2 ** 62),
                "npgrad": float(npgrad.rand(1).item()), "numpy": float(np.random.rand()),
                "random": random.random()}


class Fails(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad item {i}")
        return i


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(30)
        return i


class Range(IterableDataset):
    """start..stop-1, each worker taking its share (the sharding PyTorch's docs show)."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.stop))
        per = -(-(self.stop - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.stop)))


class TorchRange(tud.IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        info = tud.get_worker_info()
        per = -(-(self.stop - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.stop)))


def rows(loader):
    out = []
    for batch in loader:
        parts = batch if isinstance(batch, list) else [batch]
        out.append([np.asarray(p.numpy() if hasattr(p, "numpy") else p).tolist() for p in parts])
    return out


def no_children(timeout=10.0):
    """True once this process has no live child processes (waits up to ``timeout``)."""
    deadline = time.monotonic() + timeout
    while multiprocessing.active_children():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(autouse=True)
def check_no_children_left():
    assert no_children(), "a previous test left worker processes"
    yield
    assert no_children(), "worker processes outlived the test"


@pytest.mark.parametrize("workers,batch_size", [(1, 3), (2, 3), (3, 2), (2, None)])
def test_batches_come_in_the_order_of_the_main_process_and_torch(workers, batch_size):
    ours = rows(DataLoader(Items(11), batch_size=batch_size, num_workers=workers))
    assert ours == rows(DataLoader(Items(11), batch_size=batch_size))
    theirs = rows(tud.DataLoader(Items(11), batch_size=batch_size, num_workers=workers))
    assert ours == theirs


def test_a_sampler_order_is_kept_with_or_without_workers_and_seeds_reproduce():
    from npgrad.utils.data import RandomSampler

    ds = TensorDataset(npgrad.arange(50), npgrad.arange(50) * 2)
    runs = []
    for workers in (0, 2, 0, 3):  # the sampler has its own generator: the same order for all
        sampler = RandomSampler(ds, generator=npgrad.Generator().manual_seed(7))
        loader = DataLoader(ds, batch_size=8, sampler=sampler, num_workers=workers)
        runs.append([rows(loader) for _ in range(2)])  # two epochs each
    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert runs[0][0] != runs[0][1]
    assert sorted(sum((b[0] for b in runs[0][0]), [])) == list(range(50))
    seeded = []
    for _ in range(2):  # shuffle=True with workers: reproducible under the global seed
        npgrad.manual_seed(7)
        seeded.append(rows(DataLoader(ds, batch_size=8, shuffle=True, num_workers=2)))
    assert seeded[0] == seeded[1]


def test_worker_info_and_per_worker_seeds():
    npgrad.manual_seed(3)
    batches = list(DataLoader(WhoLoads(), batch_size=2, num_workers=3))
    workers = [b["worker"].tolist() for b in batches]
    assert workers == [[0, 0], [1, 1], [2, 2], [0, 0], [1, 1], [2, 2]]  # batches dealt round-robin
    seeds = {w[0]: b["seed"][0].item() for w, b in zip(workers, batches)}
    assert seeds[1] == seeds[0] + 1 and seeds[2] == seeds[0] + 2  # base_seed + worker id
    for key in ("npgrad", "numpy", "random"):
        draws = [b[key][0].item() for b in batches[:3]]
        assert len(set(draws)) == 3, f"workers drew the same {key} numbers: {draws}"
    # the same global seed gives the same worker seeds and draws; another seed other ones
    npgrad.manual_seed(3)
    again = list(DataLoader(WhoLoads(), batch_size=2, num_workers=3))
    npgrad.manual_seed(4)
    other = list(DataLoader(WhoLoads(), batch_size=2, num_workers=3))
    for key in ("seed", "npgrad", "numpy", "random"):
        assert [b[key].tolist() for b in again] == [b[key].tolist() for b in batches]
        assert [b[key].tolist() for b in other] != [b[key].tolist() for b in batches]
    assert get_worker_info() is None  # in the main process


def _record_init(worker_id):
    info = get_worker_info()
    assert info.id == worker_id
    info.dataset.init_by = worker_id


class Tagged(Dataset):
    init_by = None

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.init_by


def test_worker_init_fn_runs_in_each_worker_with_its_id():
    out = [b.tolist() for b in DataLoader(Tagged(), batch_size=1, num_workers=2,
                                          worker_init_fn=_record_init)]
    assert out == [[0], [1], [0], [1], [0], [1]]
    ds = Tagged()
    list(DataLoader(ds, batch_size=1, num_workers=2, worker_init_fn=_record_init))
    assert ds.init_by is None  # the workers changed their copies, not the main process's
    # without workers PyTorch never calls worker_init_fn; neither do we
    assert list(DataLoader(ds, batch_size=None, worker_init_fn=_record_init)) == [None] * 6


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_iterable_dataset_each_worker_iterates_its_shard_as_torch(workers):
    ours = rows(DataLoader(Range(0, 17), batch_size=4, num_workers=workers))
    theirs = rows(tud.DataLoader(TorchRange(0, 17), batch_size=4, num_workers=workers))
    assert ours == theirs
    assert sorted(sum((b[0] for b in ours), [])) == list(range(17))


def test_iterable_dataset_without_sharding_is_repeated_per_worker_as_torch():
    class Whole(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    out = rows(DataLoader(Whole(), batch_size=None, num_workers=2))
    assert [b[0] for b in out] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_an_error_in_a_worker_is_raised_naming_the_worker_with_its_traceback():
    loader = DataLoader(Fails(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    with pytest.raises(ValueError) as info:
        for _ in it:
            pass
    text = str(info.value)
    assert "DataLoader worker process 0" in text  # batch [4, 5] is batch 2: worker 0 of 2
    assert "bad item 5" in text and "Traceback" in text and "__getitem__" in text
    assert no_children()


def test_an_error_in_worker_init_fn_is_raised_naming_the_worker():
    def init(worker_id):
        if worker_id == 1:
            raise RuntimeError("init failed here")

    with pytest.raises(RuntimeError, match=r"(?s)worker_init_fn in DataLoader worker process 1.*init failed here"):
        list(DataLoader(Items(8), batch_size=2, num_workers=2, worker_init_fn=init))


def test_break_and_garbage_collection_stop_the_workers():
    loader = DataLoader(Items(400), batch_size=2, num_workers=2)
    for _ in loader:
        assert len(multiprocessing.active_children()) == 2
        break
    assert no_children()
    it = iter(loader)
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    gc.collect()
    assert no_children()


def test_a_finished_epoch_stops_the_workers_unless_persistent():
    loader = DataLoader(Items(10), batch_size=3, num_workers=2)
    list(loader)
    assert no_children(timeout=0.5)
    loader = DataLoader(Items(10), batch_size=3, num_workers=2, persistent_workers=True)
    first = rows(loader)
    pids = sorted(p.pid for p in multiprocessing.active_children())
    assert len(pids) == 2
    assert rows(loader) == first == rows(DataLoader(Items(10), batch_size=3))
    assert sorted(p.pid for p in multiprocessing.active_children()) == pids  # the same workers
    it = iter(loader)
    next(it)  # an epoch left half-way: the next one starts clean
    assert rows(loader) == first
    del loader, it
    gc.collect()
    assert no_children()


def test_persistent_workers_restart_an_iterable_dataset_each_epoch():
    loader = DataLoader(Range(0, 9), batch_size=2, num_workers=2, persistent_workers=True)
    assert rows(loader) == rows(loader)
    del loader
    gc.collect()


def test_timeout_raises_and_stops_the_workers():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Slow(), batch_size=1, num_workers=2, timeout=0.5))
    assert no_children()


def test_a_worker_killed_from_outside_is_reported():
    it = iter(DataLoader(Slow(), batch_size=1, num_workers=1))
    (worker,) = multiprocessing.active_children()
    os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"exited unexpectedly.*exit code -9"):
        next(it)


def test_spawn_context_with_a_picklable_dataset():
    ds = TensorDataset(npgrad.arange(10.0).reshape(5, 2), npgrad.arange(5))
    ours = rows(DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    assert ours == rows(DataLoader(ds, batch_size=2))


def test_option_checks_match_torch():
    for kwargs in (dict(prefetch_factor=2), dict(persistent_workers=True),
                   dict(multiprocessing_context="spawn"), dict(num_workers=-1)):
        with pytest.raises(ValueError):
            tud.DataLoader(Items(4), **kwargs)
        with pytest.raises(ValueError):
            DataLoader(Items(4), **kwargs)
    with pytest.raises(ValueError, match="start method"):
        DataLoader(Items(4), num_workers=1, multiprocessing_context="no-such-method")
    loader = DataLoader(Items(4), num_workers=2, pin_memory=True)
    assert loader.prefetch_factor == 2
    assert rows(DataLoader(Items(9), batch_size=2, num_workers=2, prefetch_factor=1)) == \
        rows(DataLoader(Items(9), batch_size=2))


def test_parameters_and_tensors_travel_between_processes():
    class Params(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return npgrad.nn.Parameter(npgrad.full((2,), float(i)))

    out = list(DataLoader(Params(), batch_size=None, num_workers=1))
    assert [type(t).__name__ for t in out] == ["Parameter", "Parameter"]
    assert [t.tolist() for t in out] == [[0.0, 0.0], [1.0, 1.0]]


CTRL_C_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from npgrad.utils.data import DataLoader, Dataset

    class Slowish(Dataset):
        def __len__(self):
            return 10 ** 6
        def __getitem__(self, i):
            time.sleep(0.01)
            return np.zeros(3, dtype=np.float32)

    loader = DataLoader(Slowish(), batch_size=4, num_workers=2)
    import multiprocessing
    for i, batch in enumerate(loader):
        if i == 2:
            print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
""")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")
def test_ctrl_c_leaves_no_worker_behind():
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": ROOT})
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)
    assert "Traceback" not in err.split("KeyboardInterrupt")[-1]  # workers printed nothing


def test_a_batch_that_cannot_be_pickled_is_an_error_not_a_hang():
    class Lambdas(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return lambda: i

    with pytest.raises(Exception, match="(?s)while sending a batch.*worker process 0"):
        list(DataLoader(Lambdas(), batch_size=None, num_workers=1, timeout=30))


def test_spawn_refuses_an_unpicklable_dataset_clearly():
    class Local(Dataset):  # a local class cannot be pickled by name
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="(?s)spawn.*cannot be pickled.*module level"):
        iter(DataLoader(Local(), num_workers=2, multiprocessing_context="spawn"))


def _matmul_in_chunks(i):
    """Work that uses npgrad's helper threads (a row-split matmul)."""
    from npgrad._fast import threads as parallel

    a = np.full((1024, 256), float(i), dtype=np.float32)
    return float(parallel.matmul(a, np.ones((256, 64), dtype=np.float32))[0, 0])


class UsesHelperThreads(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return _matmul_in_chunks(i)


def test_fork_after_helper_threads_ran_does_not_deadlock():
    """The parent's helper threads exist (and may hold locks) when it forks: the workers must
    start their own instead of waiting on threads they did not inherit."""
    from npgrad._fast import threads as parallel

    if parallel.worker_count() == 1:
        pytest.skip("one core or BLAS threading: npgrad starts no helper threads here")
    _matmul_in_chunks(1)  # the parent's helpers are now started
    assert parallel._helpers
    out = list(DataLoader(UsesHelperThreads(), batch_size=None, num_workers=2, timeout=60))
    assert [float(v) for v in out] == [_matmul_in_chunks(i) for i in range(4)]


@pytest.mark.parametrize("method", ["forkserver"])
def test_other_start_methods(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available on this platform")
    ds = TensorDataset(npgrad.arange(12.0).reshape(6, 2), npgrad.arange(6))
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context=method,
                        persistent_workers=True)
    assert rows(loader) == rows(loader) == rows(DataLoader(ds, batch_size=4))
    del loader
    gc.collect()


class BigBatches(Dataset):
    """Items of 2 MB: each batch crosses through shared memory (_transfer.SHARED_MIN_BYTES)."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return np.full((512, 1024), i, dtype=np.float32)


def _shm_files():
    from npgrad.utils.data import _transfer

    if not _transfer.shared_memory_available():
        return []
    return [f for f in os.listdir(_transfer.SHM_DIR) if f.startswith(f"npgrad-dataloader-{os.getpid()}-")]


def test_big_batches_travel_through_shared_memory_and_leave_nothing_behind():
    from npgrad.utils.data import _transfer

    out = list(DataLoader(BigBatches(), batch_size=2, num_workers=2))
    assert [b.shape for b in out] == [(2, 512, 1024)] * 3
    for k, b in enumerate(out):
        np.testing.assert_array_equal(b.numpy()[:, 0, 0], [2 * k, 2 * k + 1])
        b.add_(1)  # writable, as a batch made in the main process
    assert _shm_files() == []
    for _ in DataLoader(BigBatches(), batch_size=1, num_workers=2, prefetch_factor=3):
        time.sleep(0.3)  # let the workers fill their prefetch, then leave it unread
        break
    gc.collect()
    assert no_children()
    assert _shm_files() == []
    payload, buffers = _transfer.dumps(np.ones(SIZE := 1 << 19, np.float32), prefix="t")
    assert len(buffers) == 1 and isinstance(buffers[0], tuple) or not _transfer.shared_memory_available()
    np.testing.assert_array_equal(_transfer.loads((payload, buffers)), np.ones(SIZE, np.float32))


def test_a_full_shared_memory_falls_back_to_the_pipe(monkeypatch):
    from npgrad.utils.data import _transfer

    def full(raw, prefix):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_transfer, "_to_shared", full)
    payload, buffers = _transfer.dumps(np.arange(1 << 19, dtype=np.float32), prefix="t")
    assert [type(b) for b in buffers] == [bytes]
    np.testing.assert_array_equal(_transfer.loads((payload, buffers)),
                                  np.arange(1 << 19, dtype=np.float32))


class BrokenStream(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        yield info.id
        if info.id == 1:
            raise KeyError("stream broke")
        yield 10 + info.id


def test_an_error_in_an_iterable_dataset_names_its_worker():
    it = iter(DataLoader(BrokenStream(), batch_size=None, num_workers=2))
    assert [int(next(it)), int(next(it)), int(next(it))] == [0, 1, 10]
    with pytest.raises(KeyError) as info:
        next(it)
    assert "KeyError" in str(info.value) and "DataLoader worker process 1" in str(info.value)
    assert "stream broke" in str(info.value)


def test_a_failing_sampler_stops_the_workers_at_once():
    def bad_sampler():
        yield [0, 1]
        raise IndexError("sampler broke")

    class Once:
        def __iter__(self):
            return bad_sampler()

        def __len__(self):
            return 2

    with pytest.raises(IndexError, match="sampler broke"):
        iter(DataLoader(Items(4), batch_sampler=Once(), num_workers=2))
    assert no_children(timeout=0.5)
