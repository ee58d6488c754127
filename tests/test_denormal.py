"""npgrad.set_flush_denormal against torch.set_flush_denormal: a denormal product is 0 with
flushing on and the denormal with it off, on the calling thread and on npgrad's helpers."""
import threading

import numpy as np
import pytest
import torch

import npgrad
from npgrad._fast import denormal, threads

TINY32, TINY64 = 1e-39, 1e-310  # below float32's / float64's smallest normal number


@pytest.fixture
def restore_flush():
    yield
    npgrad.set_flush_denormal(False)
    torch.set_flush_denormal(False)


def _products():
    a = npgrad.tensor([TINY32], dtype=npgrad.float32) * 1.0
    b = npgrad.tensor([TINY64], dtype=npgrad.float64) * 1.0
    return a.numpy()[0], b.numpy()[0]


def _torch_products():
    a = torch.tensor([TINY32], dtype=torch.float32) * 1.0
    b = torch.tensor([TINY64], dtype=torch.float64) * 1.0
    return a.numpy()[0], b.numpy()[0]


def test_flushing_turns_a_denormal_product_to_zero_as_torch_does(restore_flush):
    pytest.importorskip("numba", reason="set_flush_denormal needs the [fast] extra (numba)")
    if not denormal.supported():
        pytest.skip("flushing denormals needs an x86-64 CPU")
    assert torch.set_flush_denormal(True) is True
    flushed_torch = _torch_products()
    torch.set_flush_denormal(False)
    kept_torch = _torch_products()
    assert flushed_torch == (0.0, 0.0) and kept_torch[0] > 0 and kept_torch[1] > 0

    assert npgrad.set_flush_denormal(True) is True
    assert _products() == flushed_torch
    assert npgrad.set_flush_denormal(False) is True
    kept = _products()
    assert kept == kept_torch
    assert np.float32(kept[0]) == np.float32(TINY32)


def test_flushing_reaches_the_helper_threads(restore_flush):
    pytest.importorskip("numba", reason="set_flush_denormal needs the [fast] extra (numba)")
    if not denormal.supported() or threads.worker_count() < 2:
        pytest.skip("needs an x86-64 CPU and at least two worker threads")
    workers = threads.worker_count()

    def run():
        seen, barrier = {}, threading.Barrier(workers, timeout=10)

        def work(dealer):  # every worker thread takes part (the barrier makes them meet)
            for _ in dealer:
                seen[threading.current_thread().name] = float(np.float32(TINY32) * np.float32(1))
                barrier.wait()
                break
        threads.run_split(work, list(range(workers)))
        return seen

    assert npgrad.set_flush_denormal(True)
    seen = run()
    assert len(seen) == workers and set(seen.values()) == {0.0}, seen
    assert npgrad.set_flush_denormal(False)
    seen = run()
    assert len(seen) == workers and all(v > 0 for v in seen.values()), seen


def test_unsupported_returns_false_and_changes_nothing(monkeypatch):
    """Without numba (or off x86-64) the call answers False, as torch does where unsupported."""
    from npgrad._fast import compiled

    monkeypatch.setattr(compiled, "available", lambda: False)
    before = denormal.generation
    assert npgrad.set_flush_denormal(True) is False
    assert denormal.generation == before
    assert np.float32(TINY32) * np.float32(1) > 0
    monkeypatch.undo()
    monkeypatch.setattr(denormal.platform, "machine", lambda: "arm64")
    assert npgrad.set_flush_denormal(True) is False
