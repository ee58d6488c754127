"""The CNN's compiled kernels (npgrad/_fast/compiled) against their NumPy twins, bit for
bit, and against torch: max pooling on channels-last arrays, forward and backward."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad import _fast

pytest.importorskip("numba", reason="the compiled kernels need the [fast] extra (numba)")

# kernel, stride, padding, dilation, ceil_mode: the CNNs' 2x2 pool, overlapping windows
# (added into, in the reference's tap order), padding, dilation, ceil_mode's extra window
CONFIGS = [(2, 2, 0, 1, False), (2, 2, 0, 1, True), (3, 2, 1, 1, True), (3, 1, 1, 2, False),
           ((2, 3), (1, 2), (1, 0), 1, False)]


def _pool(mode, x, g, config, channels_last):
    kernel, stride, padding, dilation, ceil_mode = config
    with _fast.using(mode):
        data = x
        if channels_last:  # as a conv hands it over: NCHW shape over NHWC memory
            data = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        t = npgrad.tensor(data, requires_grad=True)
        out = npgrad.nn.functional.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode)
        out.backward(npgrad.tensor(g[: out.numel()].reshape(out.shape)))
        return out.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("channels_last", [True, False])
def test_max_pool_kernel_equals_numpy_bit_for_bit_and_torch(dtype, config, channels_last):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5, 12, 11)).astype(dtype)
    x[:, :, ::3, ::2] = x[:, :, 1::3, ::2]  # ties: the first tap in the window wins
    g = rng.standard_normal(x.size).astype(dtype)
    out, grad = _pool("compiled", x, g, config, channels_last)
    ref_out, ref_grad = _pool("numpy", x, g, config, channels_last)
    assert out.dtype == ref_out.dtype == dtype
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(grad, ref_grad)

    kernel, stride, padding, dilation, ceil_mode = config
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation, ceil_mode)
    tout.backward(torch.tensor(g[: tout.numel()].reshape(tout.shape)))
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[2]])
@pytest.mark.parametrize("channels_last", [True, False])
def test_max_pool_kernel_keeps_nan_inf_and_negative_zero_like_numpy(config, channels_last):
    x = np.zeros((2, 3, 4, 4))
    x[0, 0, 0, 1], x[0, 1, 2, 2], x[1, 2, 1, 1] = np.nan, np.inf, -np.inf
    x[1, 0, 2, 2] = np.nan  # NaN in a later tap than the maximum
    x[1, 0, 3, 3] = 5.0
    g = np.array([-1.0, np.nan, np.inf, 2.0] * 24)
    out, grad = _pool("compiled", x, g, config, channels_last)
    ref_out, ref_grad = _pool("numpy", x, g, config, channels_last)
    assert np.isnan(out[0, 0, 0, 0])
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(grad, ref_grad)  # NaN where NaN, inf where inf
    np.testing.assert_array_equal(np.signbit(grad), np.signbit(ref_grad))  # -g * False = -0.0


@pytest.mark.parametrize("channels_last, suffix", [(True, ""), (False, "_planes")])
def test_max_pool_kernel_is_used(monkeypatch, channels_last, suffix):
    """Channels-last memory takes the channel-innermost loop, NCHW memory the plane loop."""
    from npgrad._fast.compiled import _numba

    calls = []
    for name in ("max_pool_fwd", "max_pool_bwd", "max_pool_fwd_planes", "max_pool_bwd_planes"):
        real = getattr(_numba, name)
        monkeypatch.setattr(_numba, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    _pool("compiled", x, np.ones(x.size, np.float32), CONFIGS[0], channels_last)
    assert calls == ["max_pool_fwd" + suffix, "max_pool_bwd" + suffix]


# ------------------------------------------------------------------ BatchNorm2d statistics
def _batch_norm(mode, x, g, dtype, training=True, affine=True, channels_last=True):
    npgrad.manual_seed(0)
    with _fast.using(mode):
        bn = npgrad.nn.BatchNorm2d(x.shape[1], affine=affine).to(
            npgrad.float64 if dtype == np.float64 else npgrad.float32)
        if affine:
            with npgrad.no_grad():
                bn.weight.copy_(npgrad.tensor(np.linspace(0.5, 2, x.shape[1]).astype(dtype)))
                bn.bias.copy_(npgrad.tensor(np.linspace(-1, 1, x.shape[1]).astype(dtype)))
        bn.train(training)
        data = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) if channels_last else x
        t = npgrad.tensor(data, requires_grad=True)
        out = bn(t)
        out.backward(npgrad.tensor(g))
        grads = [] if not affine else [bn.weight.grad.numpy(), bn.bias.grad.numpy()]
        return [out.detach().numpy(), t.grad.numpy(), *grads, bn.running_mean.numpy().copy(),
                bn.running_var.numpy().copy()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last", [True, False])
def test_batch_norm_kernel_against_numpy_and_torch(dtype, channels_last):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((6, 5, 9, 7)) * 3 + 2).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    got = _batch_norm("compiled", x, g, dtype, channels_last=channels_last)
    ref = _batch_norm("numpy", x, g, dtype, channels_last=channels_last)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(got, ref):  # float64 sums here, NumPy's pairwise float32 sums there
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, **tol)

    bn = torch.nn.BatchNorm2d(5).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(np.linspace(0.5, 2, 5).astype(dtype)))
        bn.bias.copy_(torch.tensor(np.linspace(-1, 1, 5).astype(dtype)))
    tx = torch.tensor(x, requires_grad=True)
    out = bn(tx)
    out.backward(torch.tensor(g))
    expected = [out.detach().numpy(), tx.grad.numpy(), bn.weight.grad.numpy(),
                bn.bias.grad.numpy(), bn.running_mean.numpy(), bn.running_var.numpy()]
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, **tol)


def test_batch_norm_kernel_is_used_only_where_its_check_passes(monkeypatch):
    from npgrad._fast.compiled import _numba

    calls = []
    for name in ("batch_norm_fwd", "batch_norm_bwd", "batch_norm_fwd_planes",
                 "batch_norm_bwd_planes"):
        real = getattr(_numba, name)
        monkeypatch.setattr(_numba, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    _batch_norm("compiled", x, g, np.float32)
    assert calls == ["batch_norm_fwd", "batch_norm_bwd"]
    calls.clear()
    _batch_norm("compiled", x, g, np.float32, channels_last=False)
    assert calls == ["batch_norm_fwd_planes", "batch_norm_bwd_planes"]
    calls.clear()
    # evaluation mode, no affine parameters: the reference, the same numbers
    for options in (dict(training=False), dict(affine=False)):
        got = _batch_norm("compiled", x, g, np.float32, **options)
        ref = _batch_norm("numpy", x, g, np.float32, **options)
        for a, b in zip(got, ref):
            np.testing.assert_array_equal(a, b)
    assert calls == []
