"""npgrad/_fast/threads.py: chunks of work on persistent helper threads, and the row-split matmul."""
import threading

import numpy as np
import pytest
import torch

import npgrad
from npgrad._fast import threads as parallel


@pytest.fixture
def workers(monkeypatch):
    def use(n):
        monkeypatch.setattr(parallel, "worker_count", lambda: n)

    return use


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_every_chunk_runs_once_on_up_to_n_threads(workers, n):
    workers(n)
    seen, threads, lock = [], set(), threading.Lock()

    def work(dealer):
        for chunk in dealer:
            with lock:
                seen.append(chunk)
                threads.add(threading.get_ident())

    for _ in range(20):  # the helpers are reused call after call
        seen.clear()
        parallel.run_split(work, list(range(50)))
        assert sorted(seen) == list(range(50))
    assert 1 <= len(threads) <= n


def test_an_error_in_a_helper_reaches_the_caller_and_the_pool_still_works(workers):
    workers(2)
    main = threading.get_ident()

    def work(dealer):
        for _ in dealer:
            if threading.get_ident() != main:
                raise ValueError("boom in a helper")
            threading.Event().wait(0.001)  # leave chunks for the helper

    with pytest.raises(ValueError, match="boom in a helper"):
        for _ in range(50):  # until the helper takes a chunk
            parallel.run_split(work, list(range(20)))
    done = []
    parallel.run_split(lambda d: done.extend(d), list(range(10)))
    assert sorted(done) == list(range(10))


def test_a_nested_split_runs_on_the_calling_thread(workers):
    workers(2)
    out = []

    def inner(dealer):
        out.extend(dealer)

    parallel.run_split(lambda d: [parallel.run_split(inner, [(c, i) for i in range(3)]) for c in d], [0, 1])
    assert sorted(out) == [(c, i) for c in (0, 1) for i in range(3)]


@pytest.mark.parametrize("shape", [(512, 784, 128), (300, 300, 100), (64, 784, 50)])
def test_row_split_matmul_equals_numpy_and_torch(workers, shape):
    workers(2)
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    got = parallel.matmul(a, w.T)  # a transposed right-hand side, as nn.Linear's
    np.testing.assert_allclose(got, a @ w.T, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(got, (torch.from_numpy(a) @ torch.from_numpy(w).T).numpy(), rtol=1e-4, atol=1e-3)
    assert got.shape == (m, n) and got.dtype == np.float32


def test_linear_with_a_big_batch_matches_torch_forward_and_backward(workers):
    workers(2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((512, 784)).astype(np.float32)
    lin = npgrad.nn.Linear(784, 128)
    tlin = torch.nn.Linear(784, 128)
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(lin.weight.detach().numpy()))
        tlin.bias.copy_(torch.from_numpy(lin.bias.detach().numpy()))
    xi, txi = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (lin(xi) ** 2).mean().backward()
    (tlin(txi) ** 2).mean().backward()
    for ours, theirs in [(xi.grad, txi.grad), (lin.weight.grad, tlin.weight.grad), (lin.bias.grad, tlin.bias.grad)]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6)


def test_helpers_stand_aside_while_blas_has_several_threads():
    """BLAS threads and npgrad's helper threads never run at once (docs/parallel.md)."""
    from npgrad._threads import blas_threads

    before = blas_threads()
    try:
        if not npgrad.set_num_threads(2):
            pytest.skip("no BLAS library took a thread count here")
        assert parallel.worker_count() == 1
        seen = set()
        parallel.run_split(lambda dealer: [seen.add(threading.current_thread().name) for _ in dealer],
                          [(i, i + 1) for i in range(8)])
        assert seen == {threading.current_thread().name}
    finally:
        npgrad.set_num_threads(before or 1)
    assert parallel.worker_count() == min(parallel._MAX_HELPERS + 1, parallel._CPUS)
