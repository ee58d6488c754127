"""ConvTranspose1d/2d, Conv1d and their F. forms against PyTorch: values and gradients
(float32 and float64) over a table of geometries, gradcheck in float64, init, state_dict
keys, output_size, and the errors."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck

TOL = {np.float32: dict(rtol=1e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}

# (input shape, out_channels, kernel, keyword arguments)
T2D = {
    "basic": ((2, 3, 5, 5), 4, 3, {}),
    "stride 2 padding 1 output_padding 1": ((2, 3, 4, 5), 2, 3,
                                            dict(stride=2, padding=1, output_padding=1)),
    "dcgan 4x4 s2 p1": ((2, 4, 4, 4), 3, 4, dict(stride=2, padding=1, bias=False)),
    "groups 2": ((2, 4, 5, 4), 6, 3, dict(groups=2, stride=2)),
    "dilation 2, output_padding via dilation": ((1, 2, 4, 5), 3, 3,
                                                dict(dilation=2, output_padding=1)),
    "all mixed": ((2, 4, 3, 5), 4, (2, 3), dict(stride=(3, 2), padding=(1, 2), dilation=(2, 1),
                                                output_padding=(2, 1), groups=2)),
    "depthwise": ((2, 3, 4, 4), 3, 3, dict(groups=3, stride=2, padding=1)),
    "1x1 kernel stride 2": ((2, 3, 3, 3), 2, 1, dict(stride=2)),
    "unbatched": ((3, 4, 4), 2, 3, dict(stride=2)),
}
T1D = {
    "basic": ((2, 3, 7), 4, 3, {}),
    "stride padding output_padding": ((2, 3, 6), 2, 5, dict(stride=3, padding=2,
                                                            output_padding=2)),
    "groups dilation": ((2, 4, 5), 6, 3, dict(groups=2, dilation=3, padding=1)),
    "unbatched": ((3, 6), 2, 4, dict(stride=2, bias=False)),
}
C1D = {
    "basic": ((2, 3, 9), 4, 3, {}),
    "stride padding": ((2, 3, 10), 2, 4, dict(stride=2, padding=1)),
    "groups dilation": ((2, 4, 11), 6, 3, dict(groups=2, dilation=2)),
    "same": ((2, 3, 8), 4, 4, dict(padding="same", dilation=2)),
    "valid": ((2, 3, 8), 4, 3, dict(padding="valid")),
    "reflect": ((2, 3, 8), 2, 3, dict(padding=2, padding_mode="reflect")),
    "circular": ((2, 3, 8), 2, 3, dict(padding=1, padding_mode="circular")),
    "unbatched, no bias": ((3, 9), 2, 3, dict(bias=False)),
}
LAYERS = {"ConvTranspose2d": T2D, "ConvTranspose1d": T1D, "Conv1d": C1D}
ALL = [(layer, name) for layer, table in LAYERS.items() for name in table]


def twins(layer, in_c, out_c, kernel, kwargs, dtype):
    """An npgrad and a torch layer holding torch's initial weights."""
    theirs = getattr(torch.nn, layer)(in_c, out_c, kernel, **kwargs).to(
        getattr(torch, np.dtype(dtype).name))
    ours = getattr(nn, layer)(in_c, out_c, kernel, **kwargs,
                              dtype=getattr(npgrad, np.dtype(dtype).name))
    ours.load_state_dict({k: npgrad.tensor(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer,name", ALL)
def test_layer_matches_torch(layer, name, dtype):
    shape, out_c, kernel, kwargs = LAYERS[layer][name]
    torch.manual_seed(0)
    in_c = shape[-3] if layer == "ConvTranspose2d" else shape[-2]  # (N,) C, spatial...
    ours, theirs = twins(layer, in_c, out_c, kernel, kwargs, dtype)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(xa), theirs(xb)
    assert_same(ya, yb, "output", **TOL[dtype])
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad", **TOL[dtype])
    assert_same(ours.weight.grad, theirs.weight.grad, "weight grad", **TOL[dtype])
    if theirs.bias is not None:
        assert_same(ours.bias.grad, theirs.bias.grad, "bias grad", **TOL[dtype])


@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 1), dilation=(1, 2), groups=2),
])
def test_conv_transpose2d_gradcheck(kwargs):
    rng = np.random.default_rng(2)
    x = npgrad.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    w = npgrad.tensor(rng.standard_normal((2, 2, 2, 3)), requires_grad=True)
    b = npgrad.tensor(rng.standard_normal(2 * kwargs.get("groups", 1)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs), (x, w, b))


def test_conv1d_and_transpose1d_gradcheck():
    rng = np.random.default_rng(3)
    x = npgrad.tensor(rng.standard_normal((2, 2, 5)), requires_grad=True)
    w = npgrad.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1), (x, w))
    w1 = npgrad.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, dilation=2), (x, w1))


def test_functional_forms_match_torch():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 4, 6)), rng.standard_normal((4, 3, 3)), rng.standard_normal(6)
    args = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    assert_same(F.conv_transpose1d(npgrad.tensor(x), npgrad.tensor(w), npgrad.tensor(b), **args),
                torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w),
                                                     torch.tensor(b), **args))
    w1 = rng.standard_normal((6, 2, 3))
    assert_same(F.conv1d(npgrad.tensor(x), npgrad.tensor(w1), npgrad.tensor(b), 1, 1, 1, 2),
                torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w1), torch.tensor(b),
                                           1, 1, 1, 2))


@pytest.mark.parametrize("size", [(9, 11), (10, 12), [2, 3, 10, 11]])
def test_output_size_argument(size):
    torch.manual_seed(1)
    ours, theirs = twins("ConvTranspose2d", 3, 3, 3, dict(stride=2, padding=1), np.float64)
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 6))
    assert_same(ours(npgrad.tensor(x), output_size=size),
                theirs(torch.tensor(x), output_size=size))
    torch.manual_seed(1)
    ours, theirs = twins("ConvTranspose1d", 3, 2, 3, dict(stride=3), np.float64)
    x1 = x[:, :, 0]
    assert_same(ours(npgrad.tensor(x1), output_size=[20]),
                theirs(torch.tensor(x1), output_size=[20]))


def test_bad_output_size_raises_with_valid_range():
    layer = nn.ConvTranspose2d(3, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 11\] to \[10, 12\]"):
        layer(npgrad.zeros(1, 3, 5, 6), output_size=(13, 11))


def test_init_state_dict_and_repr_as_torch():
    ours = nn.ConvTranspose2d(8, 6, (4, 3), stride=2, padding=1, output_padding=1, groups=2)
    theirs = torch.nn.ConvTranspose2d(8, 6, (4, 3), stride=2, padding=1, output_padding=1,
                                      groups=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (8, 3, 4, 3)
    assert repr(ours) == repr(theirs)
    # kaiming_uniform_(a=sqrt 5): weight and bias ~ U(+-1/sqrt(fan_in)), fan_in = (out/g) * k
    big = nn.ConvTranspose2d(64, 32, 3, groups=2)
    w = big.weight.detach().numpy()
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(big.bias.detach().numpy()).max() <= bound
    assert repr(nn.Conv1d(3, 4, 5, stride=2, bias=False)) == repr(
        torch.nn.Conv1d(3, 4, 5, stride=2, bias=False))
    assert repr(nn.ConvTranspose1d(3, 4, 5, dilation=2)) == repr(
        torch.nn.ConvTranspose1d(3, 4, 5, dilation=2))


@pytest.mark.parametrize("make,call,match", [
    (lambda nn: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), (1, 2, 4, 4),
     r"ConvTranspose2d.*output padding must be smaller than either stride or dilation"),
    (lambda nn: nn.ConvTranspose2d(3, 2, 3), (1, 2, 4, 4),
     r"ConvTranspose2d.*3 input channels.*\(1, 2, 4, 4\)"),
    (lambda nn: nn.ConvTranspose1d(2, 2, 3, stride=2, output_padding=3), (1, 2, 4),
     r"ConvTranspose1d.*output padding"),
    (lambda nn: nn.Conv1d(2, 2, 3), (1, 2, 4, 4), r"Conv1d.*3-d \(N, C, L\).*\(1, 2, 4, 4\)"),
    (lambda nn: nn.Conv1d(2, 2, 5), (1, 2, 3), r"Conv1d.*smaller than the kernel"),
    (lambda nn: nn.Conv1d(4, 2, 3, groups=2), (1, 3, 8), r"Conv1d.*4 channels.*\(1, 3, 8\)"),
])
def test_errors_name_the_layer_and_shapes(make, call, match):
    with pytest.raises((RuntimeError, ValueError)):  # torch raises too
        make(torch.nn)(torch.zeros(call))
    with pytest.raises((RuntimeError, ValueError), match=match):
        make(nn)(npgrad.zeros(*call))


def test_constructor_errors_as_torch():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.ConvTranspose1d(3, 2, 3, groups=2)
    with pytest.raises(ValueError):
        torch.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


@pytest.mark.parametrize("mode", ["numpy", "reference"])
@pytest.mark.parametrize("workers,chunk_bytes", [(1, 2 << 20), (3, 2 << 20), (3, 4096)])
def test_chunks_and_worker_threads_give_the_same_result(monkeypatch, workers, chunk_bytes, mode):
    """Images dealt out in chunks (many small ones at 4 KB) to up to three threads: the
    forward and every gradient still match torch (the weight gradient summed per chunk)."""
    from npgrad._fast import conv as conv_ops
    from npgrad._fast import threads as parallel

    monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(parallel, "worker_count", lambda: workers)
    monkeypatch.setattr(npgrad._fast, "_active", mode)  # the fast path, or one serial chunk
    torch.manual_seed(0)
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2)
    ours, theirs = twins("ConvTranspose2d", 4, 6, 3, kwargs, np.float64)
    x = np.random.default_rng(6).standard_normal((7, 4, 5, 6))
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(xa), theirs(xb)
    assert_same(ya, yb, "output", **TOL[np.float64])
    seed = np.random.default_rng(7).standard_normal(tuple(yb.shape))
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad", **TOL[np.float64])
    assert_same(ours.weight.grad, theirs.weight.grad, "weight grad", **TOL[np.float64])
