"""The seam between the reference path and the fast paths (npgrad/_fast): one setting picks
the path, and every result is the same on both."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import npgrad
from npgrad import _fast, nn


def test_kernels_reports_and_set_kernels_switches():
    with _fast.using("auto"):  # the default
        assert npgrad.kernels() in ("numpy", "compiled")
    with _fast.using("reference"):
        assert npgrad.kernels() == "reference" and not _fast.use_fast()
    with _fast.using("numpy"):
        assert npgrad.kernels() == "numpy" and _fast.use_fast() and not _fast.use_compiled()
    with pytest.raises(ValueError, match="set_kernels: expected one of"):
        npgrad.set_kernels("gpu")


def test_the_environment_variable_chooses_and_a_bad_value_is_named():
    code = "import npgrad; print(npgrad.kernels())"
    env = dict(os.environ, NPGRAD_KERNELS="reference")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "reference", out.stderr
    env["NPGRAD_KERNELS"] = "fastest"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "NPGRAD_KERNELS='fastest'" in out.stderr


def _train_cnn_steps(mode, foreach=None, steps=3):
    npgrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 5 * 5, 10))
    model.double()
    opt = npgrad.optim.Adam(model.parameters(), lr=1e-2, foreach=foreach)
    rng = np.random.default_rng(0)
    x = npgrad.tensor(rng.standard_normal((8, 1, 14, 14)))
    y = npgrad.tensor(rng.integers(0, 10, 8))
    losses = []
    with _fast.using(mode):
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_training_on_the_reference_path_equals_the_fast_path():
    """Conv, max pool, Linear and Adam: textbook code alone against every NumPy fast path."""
    ref_losses, ref_params = _train_cnn_steps("reference")
    fast_losses, fast_params = _train_cnn_steps("numpy")
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-12)
    for a, b in zip(fast_params, ref_params):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_foreach_false_goes_parameter_by_parameter_and_equals_foreach(monkeypatch):
    from npgrad._fast import flat

    calls = []
    real = flat.adam_step_group
    monkeypatch.setattr(flat, "adam_step_group", lambda *a: calls.append(1) or real(*a))
    plain = _train_cnn_steps("numpy", foreach=False)
    assert calls == []  # foreach=False never reaches the flat path
    packed = _train_cnn_steps("numpy", foreach=True)
    assert calls  # foreach=True (and None, the default) does
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in plain[1]]),
                                  np.concatenate([p.ravel() for p in packed[1]]))


@pytest.mark.parametrize("mode", ["reference", "numpy"])
def test_max_pool_on_both_paths_matches_torch(mode):
    x = np.random.default_rng(0).standard_normal((3, 2, 9, 9)).astype(np.float32)
    ours = npgrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    with _fast.using(mode):
        y = nn.functional.max_pool2d(ours, 3, 2, 1)
        y.backward(npgrad.ones_like(y))
    torch.nn.functional.max_pool2d(theirs, 3, 2, 1).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), torch.nn.functional.max_pool2d(theirs, 3, 2, 1).detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
