"""Conv2d and F.conv2d against PyTorch: values and gradients over a table of geometries,
gradcheck in float64, PyTorch's initialisation and repr, the error messages, Dropout2d."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from conftest import assert_same

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck
from npgrad import _fast
from npgrad._fast import conv as fast_conv
from npgrad._fast import threads as parallel
from npgrad.ops import conv as conv_ops

TOL = dict(rtol=1e-4, atol=2e-5)  # float32 sums of up to a few hundred products

# (N, C, H, W), out_channels, kernel, Conv2d keyword arguments
CASES = {
    "basic 3x3": ((2, 3, 8, 8), 4, 3, {}),
    "stride 2, padding 1": ((2, 3, 9, 9), 4, 3, dict(stride=2, padding=1)),
    "dilation 2": ((2, 2, 10, 9), 3, 3, dict(dilation=2)),
    "dilation, stride, padding mixed": ((1, 2, 11, 10), 3, (3, 2),
                                        dict(stride=(2, 1), padding=(2, 1), dilation=(1, 2))),
    "groups 2": ((2, 4, 7, 7), 6, 3, dict(groups=2, padding=1)),
    "depthwise": ((2, 3, 7, 6), 6, 3, dict(groups=3)),
    "odd sizes": ((3, 2, 7, 5), 3, 3, dict(padding=1)),
    "kernel larger than stride": ((2, 2, 11, 11), 3, 5, dict(stride=2, padding=2)),
    "stride larger than kernel": ((2, 2, 10, 11), 3, 2, dict(stride=3)),
    "batch of one": ((1, 3, 6, 6), 2, 3, {}),
    "non-square kernel 3x1": ((2, 2, 6, 5), 3, (3, 1), dict(padding=(1, 0))),
    "non-square kernel 1x5": ((2, 2, 6, 7), 3, (1, 5), {}),
    "1x1 kernel": ((2, 5, 4, 4), 3, 1, {}),
    "bias=False": ((2, 3, 6, 6), 4, 3, dict(bias=False)),
    "padding same, even kernel": ((2, 2, 7, 6), 3, 4, dict(padding="same")),
    "padding same, dilated": ((2, 2, 7, 8), 3, 3, dict(padding="same", dilation=2)),
    "padding valid": ((2, 2, 6, 6), 3, 3, dict(padding="valid")),
    "kernel = input": ((2, 3, 5, 4), 2, (5, 4), {}),
    "reflect padding": ((2, 2, 6, 5), 3, 3, dict(padding=2, padding_mode="reflect")),
    "replicate padding": ((2, 2, 5, 6), 3, 3, dict(padding=(1, 2), padding_mode="replicate")),
    "circular padding": ((2, 2, 5, 6), 3, 3, dict(padding=2, stride=2,
                                                  padding_mode="circular")),
}


def twin_convs(in_c, out_c, kernel, kwargs, dtype=np.float32):
    """An npgrad and a torch Conv2d holding the same weights."""
    ours = nn.Conv2d(in_c, out_c, kernel, **kwargs)
    theirs = torch.nn.Conv2d(in_c, out_c, kernel, **kwargs).to(getattr(torch, np.dtype(dtype).name))
    ours.weight = nn.Parameter(npgrad.tensor(theirs.weight.detach().numpy().copy()))
    if theirs.bias is not None:
        ours.bias = nn.Parameter(npgrad.tensor(theirs.bias.detach().numpy().copy()))
    return ours, theirs


def run_both(ours, theirs, x):
    """Forward and backward (with a random upstream gradient) through both layers."""
    xa = npgrad.tensor(x, requires_grad=True)
    xb = torch.tensor(x, requires_grad=True)
    ya, yb = ours(xa), theirs(xb)
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(x.dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    return xa, xb, ya, yb


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name", list(CASES))
def test_conv2d_matches_torch(name):
    shape, out_c, kernel, kwargs = CASES[name]
    torch.manual_seed(0)
    ours, theirs = twin_convs(shape[1], out_c, kernel, kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xa, xb, ya, yb = run_both(ours, theirs, x)
    assert_same(ya, yb, "output", **TOL)
    assert_same(xa.grad, xb.grad, "input grad", **TOL)
    assert_same(ours.weight.grad, theirs.weight.grad, "weight grad", **TOL)
    if theirs.bias is not None:
        assert_same(ours.bias.grad, theirs.bias.grad, "bias grad", **TOL)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name", list(CASES))
def test_reference_conv_matches_torch(name):
    with _fast.using("reference"):
        test_conv2d_matches_torch(name)


@pytest.mark.parametrize("name", [n for n in CASES if "same" not in n])
def test_fast_conv_equals_its_reference_twin(name):
    """The fast conv (channels-last, chunked, threaded) against the textbook one, float64."""
    shape, out_c, kernel, kwargs = CASES[name]
    layer = nn.Conv2d(shape[1], out_c, kernel, **kwargs).double()
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for mode in ("reference", "numpy"):
        with _fast.using(mode):
            layer.zero_grad()
            xt = npgrad.tensor(x, requires_grad=True)
            y = layer(xt)
            (y * y).sum().backward()
            results.append([y.detach().numpy(), xt.grad.numpy(), layer.weight.grad.numpy()])
    for ref, fast in zip(*results):
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("chunk_bytes", [1, 1 << 30])
def test_chunks_and_worker_threads_give_the_same_result(monkeypatch, workers, chunk_bytes):
    """One-image chunks (big-layer path: cols rebuilt in backward) or one chunk per worker
    (small-layer path: cols kept), on the calling thread alone or shared among threads:
    every image must be covered once, and the gradients summed over the shares."""
    monkeypatch.setattr(fast_conv, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(parallel, "worker_count", lambda: workers)
    for name in ("groups 2", "kernel larger than stride", "bias=False", "depthwise"):
        test_conv2d_matches_torch(name)


def test_stacked_convs_read_channels_last_memory():
    """The second conv reads the first one's output (NCHW shape over NHWC memory)."""
    torch.manual_seed(0)
    a1, b1 = twin_convs(3, 8, 3, {})
    a2, b2 = twin_convs(8, 5, 3, dict(stride=2, padding=1))
    x = np.random.default_rng(0).standard_normal((2, 3, 12, 12)).astype(np.float32)
    xa, xb, ya, yb = run_both(lambda t: a2(F.relu(a1(t))), lambda t: b2(TF.relu(b1(t))), x)
    assert_same(ya, yb, "output", **TOL)
    assert_same(xa.grad, xb.grad, "input grad", **TOL)
    assert_same(a1.weight.grad, b1.weight.grad, "first weight grad", **TOL)


def test_functional_conv2d_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 2)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    args = dict(stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    ours = [npgrad.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    ya, yb = F.conv2d(*ours, **args), TF.conv2d(*theirs, **args)
    assert_same(ya, yb, "output", **TOL)
    ya.sum().backward()
    yb.sum().backward()
    for a, b_, what in zip(ours, theirs, ("input", "weight", "bias")):
        assert_same(a.grad, b_.grad, f"{what} grad", **TOL)


def test_unbatched_input():
    torch.manual_seed(0)
    ours, theirs = twin_convs(3, 4, 3, dict(padding=1))
    x = np.random.default_rng(0).standard_normal((3, 5, 6)).astype(np.float32)
    xa, xb, ya, yb = run_both(ours, theirs, x)
    assert_same(ya, yb, "output", **TOL)
    assert_same(xa.grad, xb.grad, "input grad", **TOL)


def test_only_weight_needs_grad_and_no_grad_mode():
    """First layer: the input needs no gradient; under no_grad nothing is recorded."""
    torch.manual_seed(0)
    ours, theirs = twin_convs(1, 4, 3, {})
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    ya, yb = ours(npgrad.tensor(x)), theirs(torch.tensor(x))
    ya.sum().backward()
    yb.sum().backward()
    assert_same(ours.weight.grad, theirs.weight.grad, "weight grad", **TOL)
    with npgrad.no_grad():
        y = ours(npgrad.tensor(x))
    assert y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1, dilation=1, groups=1),
    dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1), groups=2),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="replicate"),
    dict(padding=1, padding_mode="circular"),
])
def test_gradcheck_float64(kwargs):
    npgrad.manual_seed(0)
    x = npgrad.randn(1, 2, 5, 4, dtype=npgrad.float64, requires_grad=True)
    groups = kwargs.get("groups", 1)
    w = npgrad.randn(2, 2 // groups, 3, 3, dtype=npgrad.float64, requires_grad=True)
    b = npgrad.randn(2, dtype=npgrad.float64, requires_grad=True)

    def f(x, w, b):  # F.conv2d plus Conv2d's padding_mode
        return conv_ops.conv2d_checked("conv", x, w, b, **kwargs)

    assert gradcheck(f, (x, w, b))
    with _fast.using("reference"):
        assert gradcheck(f, (x, w, b))


def test_float32_stays_float32_and_float64_works():
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    for dtype in (np.float32, np.float64):
        ours, theirs = twin_convs(2, 3, 3, dict(padding=1), dtype)
        xa, xb, ya, yb = run_both(ours, theirs, x.astype(dtype))
        assert_same(ya, yb, "output", **TOL)
        assert ours.weight.grad.dtype == ours.weight.dtype == ya.dtype


# ------------------------------------------------------------------ init and repr
def test_default_init_follows_pytorch():
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); so does the bias."""
    npgrad.manual_seed(0)
    layer = nn.Conv2d(16, 64, (3, 5), groups=2)
    bound = 1 / math.sqrt(8 * 3 * 5)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (64, 8, 3, 5) and b.shape == (64,)
    assert w.dtype == b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # a uniform's std
    assert np.abs(b).max() <= bound
    npgrad.manual_seed(0)
    np.testing.assert_array_equal(nn.Conv2d(16, 64, (3, 5), groups=2).weight.detach().numpy(), w)


def test_parameters_and_state_dict_names():
    layer = nn.Conv2d(1, 8, 3)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(nn.Conv2d(1, 8, 3, bias=False).state_dict()) == ["weight"]


@pytest.mark.parametrize("args, kwargs", [
    ((1, 8, 3), {}),
    ((4, 8, (3, 5)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ((2, 2, 3), dict(padding="same", padding_mode="reflect")),
])
def test_repr_matches_torch(args, kwargs):
    assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))


# ------------------------------------------------------------------ errors
def error_of(fn, *args):
    with pytest.raises((RuntimeError, ValueError)) as info:
        fn(*args)
    return str(info.value)


def test_channel_mismatch_names_layer_and_shape():
    layer = nn.Conv2d(1, 8, kernel_size=3)
    msg = error_of(layer, npgrad.zeros(64, 3, 28, 28))
    assert msg == ("Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1)): expected input with 1 "
                   "channels, got shape (64, 3, 28, 28)")


def test_wrong_rank_and_small_input_and_dtype_errors():
    layer = nn.Conv2d(1, 8, 3)
    msg = error_of(layer, npgrad.zeros(64, 784))
    assert "Conv2d(1, 8" in msg and "(64, 784)" in msg and "4-d" in msg
    msg = error_of(layer, npgrad.zeros(2, 1, 2, 5))
    assert "Conv2d(1, 8" in msg and "(2, 1, 2, 5)" in msg and "smaller than the kernel" in msg
    msg = error_of(layer, npgrad.zeros(2, 1, 5, 5, dtype=npgrad.float64))
    assert "float64" in msg and "float32" in msg
    msg = error_of(F.conv2d, npgrad.zeros(1, 3, 5, 5), npgrad.zeros(4, 2, 3, 3))
    assert msg.startswith("conv2d:") and "expected input with 2 channels" in msg


def test_construction_errors():
    assert "divisible by groups" in error_of(nn.Conv2d, 3, 4, 3, 1, 0, 1, 2)
    assert "padding_mode" in error_of(lambda: nn.Conv2d(1, 2, 3, padding_mode="mirror"))
    assert "'same' is not supported for strided" in error_of(
        lambda: nn.Conv2d(1, 2, 3, stride=2, padding="same"))
    assert "invalid padding string" in error_of(lambda: nn.Conv2d(1, 2, 3, padding="full"))
    msg = error_of(nn.Conv2d(1, 2, 3, padding=3, padding_mode="reflect"), npgrad.zeros(1, 1, 3, 3))
    assert "padding_mode='reflect'" in msg and "(1, 1, 3, 3)" in msg


# ------------------------------------------------------------------ Dropout2d
def test_dropout2d_zeroes_whole_channels_and_rescales():
    npgrad.manual_seed(0)
    layer = nn.Dropout2d(0.25)
    x = npgrad.ones(8, 16, 3, 3, requires_grad=True)
    y = layer(x)
    per_channel = y.detach().numpy().reshape(8, 16, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # constant per map
    np.testing.assert_allclose(np.unique(per_channel), [0.0, 1 / 0.75], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # grad = the mask
    assert y.dtype == npgrad.float32
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Dropout2d(0.25))


def test_dropout2d_p_edges_and_seed():
    x = npgrad.ones(2, 3, 4, 4)
    assert F.dropout2d(x, 0.0) is x
    assert F.dropout2d(x, 1.0).numpy().sum() == 0
    npgrad.manual_seed(5)
    a = F.dropout2d(x, 0.5).numpy()
    npgrad.manual_seed(5)
    np.testing.assert_array_equal(F.dropout2d(x, 0.5).numpy(), a)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
