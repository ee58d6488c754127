"""The compiled kernels of the [fast] extra (npgrad/_fast/compiled) against their NumPy
twins: bit for bit where the arithmetic is the same (Adam, SGD, Linear+ReLU+Dropout), within
a stated tolerance where NumPy sums in another order (cross-entropy), and against torch."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import npgrad
from npgrad import _fast, nn

pytest.importorskip("numba", reason="the compiled kernels need the [fast] extra (numba)")


def test_import_npgrad_does_not_import_numba():
    code = "import sys, npgrad; npgrad.zeros(2) + 1; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_auto_picks_compiled_when_numba_is_there():
    with _fast.using("auto"):
        assert npgrad.kernels() == "compiled"


def _mlp(dtype, dropout):
    npgrad.manual_seed(0)
    layers = [nn.Flatten(), nn.Linear(20, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(0.3))
    layers += [nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 5)]
    return nn.Sequential(*layers).to(dtype)


def _train(mode, optimizer, dtype=npgrad.float32, dropout=True, steps=5, **options):
    """A few training steps; returns losses, final weights and gradients."""
    model = _mlp(dtype, dropout)
    opt = getattr(npgrad.optim, optimizer)(model.parameters(), **options)
    rng = np.random.default_rng(0)
    x = npgrad.tensor(rng.standard_normal((9, 4, 5)).astype(np.dtype(str(dtype).split(".")[-1])))
    y = npgrad.tensor(rng.integers(0, 5, 9))
    losses = []
    with _fast.using(mode):
        npgrad.manual_seed(1)  # the same dropout masks on both paths
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return (np.array(losses), [p.detach().numpy().copy() for p in model.parameters()],
            [p.grad.numpy().copy() for p in model.parameters()])


ADAM_OPTIONS = [dict(lr=1e-2), dict(lr=1e-2, amsgrad=True), dict(lr=1e-2, maximize=True),
                dict(lr=1e-2, weight_decay=0.1), dict(lr=1e-2, weight_decay=0.1, amsgrad=True)]


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", [npgrad.float32, npgrad.float64])
def test_compiled_training_equals_numpy_training(optimizer, options, dtype, monkeypatch):
    """Adam over the flat group, Linear->ReLU->Dropout fused, cross-entropy: the whole step.
    Cross-entropy's row sums differ in order, so the loss is compared with a tolerance;
    with that one kernel off, everything else is bit for bit."""
    compiled = _train("compiled", optimizer, dtype, **options)
    numpy_path = _train("numpy", optimizer, dtype, **options)
    tol = 1e-6 if dtype == npgrad.float32 else 1e-14
    for a, b in zip(compiled[1] + compiled[2], numpy_path[1] + numpy_path[2]):
        np.testing.assert_allclose(a, b, rtol=tol * 10, atol=tol)
    from npgrad._fast.compiled import functions
    monkeypatch.setattr(functions, "CrossEntropyIndices", npgrad.ops.loss.CrossEntropyIndices)
    exact = _train("compiled", optimizer, dtype, **options)
    for a, b in zip(exact[1] + exact[2], numpy_path[1] + numpy_path[2]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("options", [
    dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    dict(lr=0.1, momentum=0.5, maximize=True, weight_decay=0.02)], ids=str)
def test_compiled_sgd_momentum_is_bit_identical(options, monkeypatch):
    from npgrad._fast.compiled import functions
    monkeypatch.setattr(functions, "CrossEntropyIndices", npgrad.ops.loss.CrossEntropyIndices)
    compiled = _train("compiled", "SGD", dropout=False, **options)
    numpy_path = _train("numpy", "SGD", dropout=False, **options)
    for a, b in zip(compiled[1], numpy_path[1]):
        np.testing.assert_array_equal(a, b)


def test_the_kernels_were_really_used(monkeypatch):
    from npgrad._fast.compiled import functions
    calls = []
    for name in ("adam_flat", "sgd_momentum"):
        real = getattr(functions, name)
        monkeypatch.setattr(functions, name, lambda *a, _r=real, _n=name, **k: calls.append(_n) or _r(*a, **k))
    real_apply = functions.LinearReLU.apply
    monkeypatch.setattr(functions.LinearReLU, "apply",
                        classmethod(lambda cls, *a: calls.append("linear_relu") or real_apply(*a)))
    _train("compiled", "Adam", steps=1, lr=1e-3)
    _train("compiled", "SGD", steps=2, lr=1e-3, momentum=0.9)
    assert {"adam_flat", "sgd_momentum", "linear_relu"} <= set(calls)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_kernel_against_numpy_and_torch(dtype, reduction):
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((33, 10)) * 30).astype(dtype)  # big logits: the max shift
    z[0, 3] = 1e4
    t = rng.integers(0, 10, 33)
    results = []
    for mode in ("compiled", "numpy"):
        with _fast.using(mode):
            x = npgrad.tensor(z, requires_grad=True)
            loss = nn.functional.cross_entropy(x, npgrad.tensor(t), reduction=reduction)
            loss.backward(npgrad.ones_like(loss))
            results.append((loss.detach().numpy(), x.grad.numpy()))
    xt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(t), reduction=reduction)
    lt.backward(torch.ones_like(lt))
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(results[0][0], results[1][0], **tol)
    np.testing.assert_allclose(results[0][1], results[1][1], **tol)
    np.testing.assert_allclose(results[0][0], lt.detach().numpy(), **tol)
    np.testing.assert_allclose(results[0][1], xt.grad.numpy(), **tol)


def test_fused_layers_keep_hooks_and_eval_mode_and_nan():
    """A hook on the ReLU turns the fusion off for that run (the hook must see its input);
    eval mode drops dropout; a NaN input propagates as on the NumPy path."""
    model = _mlp(npgrad.float32, dropout=True)
    seen = []
    model[2].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    x = npgrad.randn(3, 4, 5)
    x._data[0, 0, 0] = np.nan
    outs = []
    for mode in ("compiled", "numpy"):
        with _fast.using(mode):
            model.eval()
            outs.append(model(x).detach().numpy())
    assert len(seen) == 2
    np.testing.assert_array_equal(outs[0], outs[1])
    assert np.isnan(outs[0][0]).all() and not np.isnan(outs[0][1:]).any()
