"""MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (and their functional forms) against PyTorch:
values and gradients over a table of geometries, gradcheck in float64, reprs, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from conftest import assert_same

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck
from npgrad._fast import threads as parallel

TOL = dict(rtol=1e-5, atol=1e-6)


def compare(ours_fn, torch_fn, x, what):
    """Run both on the same input; compare output and input gradient (random upstream)."""
    xa = npgrad.tensor(x, requires_grad=True)
    xb = torch.tensor(x, requires_grad=True)
    ya, yb = ours_fn(xa), torch_fn(xb)
    assert_same(ya, yb, f"{what}: output", **TOL)
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(x.dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, f"{what}: input grad", **TOL)


def rand(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ max pooling
MAX_CASES = {
    "2x2 (the usual)": ((2, 3, 8, 8), dict(kernel_size=2)),
    "odd size, floor": ((2, 3, 7, 9), dict(kernel_size=2)),
    "kernel 3 stride 2 padding 1": ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    "overlapping, stride 1": ((1, 2, 6, 5), dict(kernel_size=3, stride=1, padding=1)),
    "kernel != stride, non-square": ((2, 2, 9, 10), dict(kernel_size=(3, 2), stride=(2, 3))),
    "dilation": ((2, 2, 9, 9), dict(kernel_size=2, stride=1, dilation=2)),
    "ceil_mode": ((2, 2, 7, 8), dict(kernel_size=2, ceil_mode=True)),
    "ceil_mode with padding": ((2, 2, 9, 7), dict(kernel_size=3, stride=2, padding=1,
                                                  ceil_mode=True)),
    "batch of one": ((1, 4, 6, 6), dict(kernel_size=2)),
    "stride larger than kernel": ((2, 2, 10, 9), dict(kernel_size=2, stride=3)),
}


@pytest.mark.parametrize("name", list(MAX_CASES))
def test_max_pool_matches_torch(name):
    shape, kw = MAX_CASES[name]
    ours = nn.MaxPool2d(**kw)
    compare(ours, torch.nn.MaxPool2d(**kw), rand(*shape), name)
    assert repr(ours) == repr(torch.nn.MaxPool2d(**kw))


@pytest.mark.parametrize("name", ["2x2 (the usual)", "overlapping, stride 1", "ceil_mode"])
def test_max_pool_split_among_worker_threads(monkeypatch, name):
    """Images dealt out to three threads: every image pooled once, forward and backward."""
    monkeypatch.setattr(parallel, "_SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "worker_count", lambda: 3)
    shape, kw = MAX_CASES[name]
    compare(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), rand(7, *shape[1:]), name)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(kw):
    """After ReLU whole windows are 0: the gradient must go to one element, as in PyTorch."""
    x = np.maximum(rand(2, 3, 6, 6), 0).round(0)  # many zeros and repeated values
    compare(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), x, "ties")


def test_max_pool_after_conv_relu_channels_last():
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(2, 4, 3)
    ours = nn.Conv2d(2, 4, 3)
    ours.weight = nn.Parameter(npgrad.tensor(theirs.weight.detach().numpy()))
    ours.bias = nn.Parameter(npgrad.tensor(theirs.bias.detach().numpy()))
    compare(lambda t: F.max_pool2d(F.relu(ours(t)), 2),
            lambda t: TF.max_pool2d(TF.relu(theirs(t)), 2), rand(2, 2, 10, 10), "conv-relu-pool")


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                          dilation=1, ceil_mode=True)])
def test_max_pool_return_indices(kw):
    x = rand(2, 3, 7, 8)
    out, idx = nn.MaxPool2d(return_indices=True, **kw)(npgrad.tensor(x))
    t_out, t_idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    assert_same(out, t_out, "values")
    assert_same(idx, t_idx, "indices")


def test_max_pool_unbatched_and_float64():
    compare(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), rand(3, 6, 5), "3-d")
    x = rand(1, 2, 6, 6).astype(np.float64)
    compare(lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: TF.max_pool2d(t, 3, 2, 1), x, "f64")


# ------------------------------------------------------------------ average pooling
AVG_CASES = {
    "2x2": ((2, 3, 8, 8), dict(kernel_size=2)),
    "odd size": ((2, 2, 7, 9), dict(kernel_size=2)),
    "kernel 3 stride 2 padding 1": ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    "padding not counted": ((2, 2, 9, 8), dict(kernel_size=3, stride=2, padding=1,
                                               count_include_pad=False)),
    "overlapping stride 1": ((1, 2, 6, 5), dict(kernel_size=3, stride=1)),
    "non-square": ((2, 2, 9, 10), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0))),
    "ceil_mode": ((2, 2, 7, 8), dict(kernel_size=2, ceil_mode=True)),
    "ceil_mode padding": ((2, 2, 9, 7), dict(kernel_size=3, stride=2, padding=1,
                                             ceil_mode=True)),
    "ceil_mode padding not counted": ((2, 2, 8, 7), dict(kernel_size=4, stride=3, padding=2,
                                                         ceil_mode=True,
                                                         count_include_pad=False)),
    "divisor_override": ((2, 2, 8, 8), dict(kernel_size=3, stride=2, padding=1,
                                            divisor_override=5)),
}


@pytest.mark.parametrize("name", list(AVG_CASES))
def test_avg_pool_matches_torch(name):
    shape, kw = AVG_CASES[name]
    ours = nn.AvgPool2d(**kw)
    compare(ours, torch.nn.AvgPool2d(**kw), rand(*shape), name)
    assert repr(ours) == repr(torch.nn.AvgPool2d(**kw))


# ------------------------------------------------------------------ adaptive average pooling
@pytest.mark.parametrize("shape, size", [
    ((2, 3, 8, 8), (1, 1)),
    ((2, 3, 14, 14), (7, 7)),
    ((2, 2, 9, 8), (5, 3)),  # not divisible: overlapping bins
    ((2, 2, 10, 7), 4),
    ((1, 2, 3, 4), (6, 5)),  # larger than the input
    ((2, 2, 9, 8), (None, 3)),
    ((3, 7, 5), (2, 2)),  # unbatched
])
def test_adaptive_avg_pool_matches_torch(shape, size):
    ours = nn.AdaptiveAvgPool2d(size)
    compare(ours, torch.nn.AdaptiveAvgPool2d(size), rand(*shape), f"{shape}->{size}")
    assert repr(ours) == repr(torch.nn.AdaptiveAvgPool2d(size))


# ------------------------------------------------------------------ gradcheck (float64)
@pytest.mark.parametrize("fn", [
    lambda t: F.max_pool2d(t, 2),
    lambda t: F.max_pool2d(t, 3, stride=2, padding=1, ceil_mode=True),
    lambda t: F.max_pool2d(t, 2, stride=1, dilation=2),
    lambda t: F.avg_pool2d(t, 2),
    lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda t: F.adaptive_avg_pool2d(t, (3, 2)),
], ids=["max2", "max3-ceil", "max-dilated", "avg2", "avg3-ceil", "adaptive"])
def test_gradcheck_float64(fn):
    npgrad.manual_seed(0)
    x = npgrad.randn(1, 2, 5, 6, dtype=npgrad.float64, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_float32_stays_float32():
    x = npgrad.randn(2, 3, 6, 6, requires_grad=True)
    for y in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 4)):
        y.sum().backward()
        assert y.dtype == x.grad.dtype == npgrad.float32


# ------------------------------------------------------------------ errors
def error_of(fn, *args):
    with pytest.raises((RuntimeError, ValueError)) as info:
        fn(*args)
    return str(info.value)


def test_pooling_errors_name_the_layer_and_shape():
    layer = nn.MaxPool2d(2)
    msg = error_of(layer, npgrad.zeros(64, 16, 1, 1))
    assert msg.startswith("MaxPool2d(kernel_size=2") and "(64, 16, 1, 1)" in msg
    assert "too small" in msg
    msg = error_of(nn.AvgPool2d(3), npgrad.zeros(64, 10))
    assert msg.startswith("AvgPool2d(kernel_size=3") and "(64, 10)" in msg
    assert "at most half" in error_of(nn.MaxPool2d(2, padding=2), npgrad.zeros(1, 1, 8, 8))
    assert "at most half" in error_of(F.avg_pool2d, npgrad.zeros(1, 1, 8, 8), 3, 1, 2)
    assert "positive" in error_of(nn.AdaptiveAvgPool2d((0, 2)), npgrad.zeros(1, 1, 8, 8))
    assert "stride must be positive" in error_of(F.max_pool2d, npgrad.zeros(1, 1, 8, 8), 2, 0)
