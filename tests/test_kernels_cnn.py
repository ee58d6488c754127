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
def test_max_pool_kernel_keeps_nan_inf_and_negative_zero_like_numpy():
    x = np.zeros((2, 3, 4, 4))
    x[0, 0, 0, 1], x[0, 1, 2, 2], x[1, 2, 1, 1] = np.nan, np.inf, -np.inf
    g = np.array([-1.0, np.nan, np.inf, 2.0] * 12)
    out, grad = _pool("compiled", x, g, (2, 2, 0, 1, False), True)
    ref_out, ref_grad = _pool("numpy", x, g, (2, 2, 0, 1, False), True)
    assert np.isnan(out[0, 0, 0, 0])
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(grad, ref_grad)  # NaN where NaN, inf where inf
    np.testing.assert_array_equal(np.signbit(grad), np.signbit(ref_grad))  # -g * False = -0.0


def test_max_pool_kernel_is_used(monkeypatch):
    from npgrad._fast.compiled import _numba

    calls = []
    for name in ("max_pool_fwd", "max_pool_bwd"):
        real = getattr(_numba, name)
        monkeypatch.setattr(_numba, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
    _pool("compiled", x, np.ones(x.size, np.float32), CONFIGS[0], True)
    assert calls == ["max_pool_fwd", "max_pool_bwd"]
