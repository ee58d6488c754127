"""Grad mode is per thread, as in PyTorch: overlapping no_grad / inference_mode blocks in one
thread never switch recording off in another, and npgrad's helper threads stay correct."""
import threading

import numpy as np
import pytest
import torch

import npgrad


def _overlap(L, rounds=200):
    """A trainer thread records graphs while an inference thread toggles no_grad /
    inference_mode / set_grad_enabled; returns what each thread saw."""
    problems = []
    start = threading.Barrier(2)
    stop = threading.Event()

    def inference():
        start.wait()
        x = L.ones(4, 3)
        i = 0
        while not stop.is_set():
            ctx = [L.no_grad(), L.inference_mode(), L.set_grad_enabled(False)][i % 3]
            with ctx:
                if L.is_grad_enabled():
                    problems.append("inference thread: recording inside no-grad block")
                y = x * 2
                if y.requires_grad:
                    problems.append("inference thread: result requires grad")
            i += 1

    def trainer():
        start.wait()
        w = L.ones(3, requires_grad=True)
        for _ in range(rounds):
            if not L.is_grad_enabled():
                problems.append("trainer: grad mode off")
            y = (w * 3).sum()
            if not y.requires_grad:
                problems.append("trainer: no graph recorded")
                continue
            y.backward()
        if not np.allclose(w.grad.numpy(), 3 * rounds):
            problems.append(f"trainer: wrong gradient {w.grad}")
        stop.set()

    threads = [threading.Thread(target=inference), threading.Thread(target=trainer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return problems


@pytest.mark.parametrize("L", [torch, npgrad], ids=["torch", "npgrad"])
def test_trainer_beside_an_inference_thread(L):
    for _ in range(10):
        assert _overlap(L) == []


def test_overlapping_no_grad_blocks_restore_each_threads_mode():
    """Two threads enter and leave no_grad out of order, many times: each ends with its own mode."""
    results = []

    def worker(delay_inside):
        ev = threading.Event()
        ok = True
        for _ in range(300):
            with npgrad.no_grad():
                ok &= not npgrad.is_grad_enabled()
                if delay_inside:
                    ev.wait(0.00001)
            ok &= npgrad.is_grad_enabled()
        results.append(ok)

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4
    assert npgrad.is_grad_enabled()


def test_a_new_thread_starts_with_grad_on_as_torch():
    for L in (torch, npgrad):
        seen = []
        with L.no_grad():
            t = threading.Thread(target=lambda: seen.append((L.is_grad_enabled(), L.is_inference_mode_enabled())))
            t.start()
            t.join()
        assert seen == [(True, False)]


@pytest.mark.parametrize("L", [torch, npgrad], ids=["torch", "npgrad"])
def test_inference_mode_flags(L):
    assert not L.is_inference_mode_enabled()
    with L.inference_mode():
        assert L.is_inference_mode_enabled() and not L.is_grad_enabled()
        with L.inference_mode(False):
            assert not L.is_inference_mode_enabled()
    assert not L.is_inference_mode_enabled() and L.is_grad_enabled()

    @L.inference_mode()
    def f(x):
        return x * 2, L.is_inference_mode_enabled()

    y, flag = f(L.ones(2, requires_grad=True))
    assert flag and not y.requires_grad


def test_helper_thread_matmul_is_correct_while_another_thread_is_in_no_grad():
    """Linear on a big batch splits rows between npgrad's helper threads; run it in a
    recording thread while another thread sits in no_grad, and check values and grads."""
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((2048, 64)).astype(np.float32)
    wa = rng.standard_normal((32, 64)).astype(np.float32)
    stop = threading.Event()

    def idle():
        while not stop.is_set():
            with npgrad.no_grad():
                npgrad.ones(3) * 2

    bg = threading.Thread(target=idle)
    bg.start()
    try:
        for _ in range(5):
            x = npgrad.tensor(xa)
            w = npgrad.tensor(wa, requires_grad=True)
            y = npgrad.nn.functional.linear(x, w)
            assert y.requires_grad
            y.sum().backward()
            tx, tw = torch.tensor(xa), torch.tensor(wa, requires_grad=True)
            ty = torch.nn.functional.linear(tx, tw)
            ty.sum().backward()
            np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-3)
    finally:
        stop.set()
        bg.join()
