"""``F.conv3d`` and ``nn.Conv3d`` against PyTorch: values and gradients (input, weight,
bias) in float32 and float64 over strides, paddings (ints, triples, 'same', 'valid'),
dilations, groups, no bias, unbatched input and every padding mode; gradcheck in float64;
PyTorch's errors; the layer's parameters, init bounds and repr."""
import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
import npgrad.nn.functional as F
from npgrad import nn
from npgrad.autograd import gradcheck

CASES = {  # name: (input shape, weight shape, bias?, keyword arguments)
    "plain": ((2, 3, 5, 6, 4), (4, 3, 3, 3, 3), True, {}),
    "stride": ((1, 2, 7, 6, 5), (3, 2, 3, 2, 2), True, {"stride": 2}),
    "stride_triple": ((2, 2, 6, 7, 5), (3, 2, 2, 3, 1), True, {"stride": (1, 2, 3)}),
    "padding": ((1, 3, 4, 4, 4), (2, 3, 3, 3, 3), True, {"padding": 1}),
    "padding_triple": ((1, 2, 3, 5, 4), (2, 2, 2, 3, 3), True, {"padding": (0, 2, 1)}),
    "same": ((2, 2, 5, 4, 6), (3, 2, 3, 2, 4), True, {"padding": "same"}),
    "same_dilated": ((1, 2, 6, 6, 5), (2, 2, 3, 2, 2), True,
                     {"padding": "same", "dilation": (2, 1, 3)}),
    "valid": ((1, 2, 4, 4, 4), (2, 2, 2, 2, 2), True, {"padding": "valid"}),
    "dilation": ((1, 2, 7, 7, 6), (3, 2, 3, 3, 2), True, {"dilation": 2}),
    "groups": ((2, 4, 4, 5, 4), (6, 2, 2, 3, 2), True, {"groups": 2}),
    "depthwise": ((1, 3, 4, 4, 4), (6, 1, 3, 3, 3), True, {"groups": 3, "padding": 1}),
    "no_bias": ((1, 2, 4, 5, 3), (3, 2, 2, 2, 2), False, {"stride": (2, 1, 1)}),
    "everything": ((2, 4, 7, 6, 8), (4, 2, 2, 3, 2), True,
                   {"stride": (2, 1, 3), "padding": (1, 2, 0), "dilation": (1, 2, 2),
                    "groups": 2}),
    "unbatched": ((2, 4, 4, 4), (3, 2, 3, 2, 2), True, {}),
    "one_by_one": ((2, 3, 2, 3, 4), (5, 3, 1, 1, 1), True, {}),
}


def _arrays(name, dtype):
    xs, ws, bias, kwargs = CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype) if bias else None
    return x, w, b, kwargs


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_conv3d_matches_torch(name, dtype):
    x, w, b, kwargs = _arrays(name, dtype)
    arrays = [x, w] + ([b] if b is not None else [])
    pairs = [pair(a, requires_grad=True) for a in arrays]
    ours_in, theirs_in = [p[0] for p in pairs], [p[1] for p in pairs]
    if b is None:
        ours_in.append(None)
        theirs_in.append(None)
    out = F.conv3d(*ours_in, **kwargs)
    tout = torch.nn.functional.conv3d(*theirs_in, **kwargs)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_same(out, tout, "output", **tol)
    assert out.is_contiguous() and out.stride() == tout.stride()
    g = np.random.default_rng(0).standard_normal(tuple(tout.shape)).astype(dtype)
    out.backward(npgrad.tensor(g))
    tout.backward(torch.tensor(g))
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t is not None:
            assert_same(o.grad, t.grad, f"gradient of input {i}", **tol)


@pytest.mark.parametrize("name", ["plain", "everything", "same_dilated", "no_bias", "unbatched"])
def test_conv3d_gradcheck(name):
    x, w, b, kwargs = _arrays(name, np.float64)
    # smaller volumes keep the central differences quick
    x = x[..., :5, :6, :6] if x.ndim == 5 else x
    inputs = [npgrad.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None
                                                                       else ())]
    if b is None:
        assert gradcheck(lambda a, c: F.conv3d(a, c, None, **kwargs), inputs)
    else:
        assert gradcheck(lambda a, c, d: F.conv3d(a, c, d, **kwargs), inputs)


def _layer_pair(dtype=np.float64, **kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.Conv3d(**kwargs).to(torch.float64 if dtype == np.float64 else
                                          torch.float32)
    ours = nn.Conv3d(**kwargs).to(npgrad.float64 if dtype == np.float64 else npgrad.float32)
    ours.load_state_dict({k: npgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kwargs", [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=4, out_channels=4, kernel_size=(2, 3, 1), stride=(1, 2, 1), padding=1,
         groups=2),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 2, 2), padding=(1, 1, 0),
         padding_mode="replicate", bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=2, padding=(1, 0, 1), dilation=2,
         padding_mode="circular"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=(1, 2, 1),
         padding_mode="circular"),
], ids=["plain", "groups_stride", "same_reflect", "replicate", "circular", "same_circular"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_conv3d_layer_matches_torch(kwargs, dtype, batched):
    ours, theirs = _layer_pair(dtype, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours._reversed_padding_repeated_twice == tuple(
        theirs._reversed_padding_repeated_twice)
    shape = (2, kwargs["in_channels"], 5, 6, 5)
    x = np.random.default_rng(1).standard_normal(shape if batched else shape[1:]).astype(dtype)
    (xo, xt) = pair(x, requires_grad=True)
    out, tout = ours(xo), theirs(xt)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_same(out, tout, "output", **tol)
    g = np.random.default_rng(2).standard_normal(tuple(tout.shape)).astype(dtype)
    out.backward(npgrad.tensor(g))
    tout.backward(torch.tensor(g))
    assert_same(xo.grad, xt.grad, "input gradient", **tol)
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_same(p.grad, tp.grad, f"gradient of {k}", **tol)


def test_conv3d_layer_parameters_and_init():
    npgrad.manual_seed(0)
    m = nn.Conv3d(4, 6, (2, 3, 2), groups=2)
    t = torch.nn.Conv3d(4, 6, (2, 3, 2), groups=2)
    assert tuple(m.weight.shape) == tuple(t.weight.shape) == (6, 2, 2, 3, 2)
    assert tuple(m.bias.shape) == (6,)
    bound = 1 / np.sqrt(2 * 2 * 3 * 2)  # 1/sqrt(fan_in), as kaiming_uniform(a=sqrt(5)) gives
    for p in (m.weight, m.bias):
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound
        assert values.max() - values.min() > bound  # spread over the range, not constant
    assert m.weight.dtype == npgrad.float32
    assert nn.Conv3d(1, 1, 1, bias=False).bias is None
    assert nn.Conv3d(1, 1, 1, dtype=npgrad.float64).weight.dtype == npgrad.float64


M = dict(input=np.zeros((1, 4, 5, 5, 5)), weight=np.zeros((6, 2, 3, 3, 3)))


@pytest.mark.parametrize("call", [
    lambda L, x, w: L.nn.functional.conv3d(x[0], w[:, :, 0]),
    lambda L, x, w: L.nn.functional.conv3d(x[0, 0], w, groups=2),
    lambda L, x, w: L.nn.functional.conv3d(x, w[:, :, 0]),
    lambda L, x, w: L.nn.functional.conv3d(x, w),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=4),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, stride=2, padding="same"),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, padding="foo"),
    lambda L, x, w: L.nn.functional.conv3d(x[:, :, :2], w, groups=2),
    lambda L, x, w: L.nn.functional.conv3d(x, w, L.zeros(5, dtype=L.float64), groups=2),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, padding=-1),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, stride=0),
    lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, stride=(1, 2)),
    lambda L, x, w: L.nn.functional.conv3d(x.float(), w, groups=2),
], ids=["input_3d", "unbatched_channels", "weight_4d", "channels", "groups_divide",
        "same_strided", "padding_string", "too_small", "bias_size", "negative_padding",
        "zero_stride", "stride_length", "dtypes"])
def test_conv3d_errors_as_torch(call):
    with pytest.raises(RuntimeError):
        call(torch, *(torch.tensor(a) for a in M.values()))
    with pytest.raises(RuntimeError, match="conv3d"):
        call(npgrad, *(npgrad.tensor(a) for a in M.values()))


@pytest.mark.parametrize("kwargs", [
    dict(padding="foo"), dict(padding="same", stride=(1, 2, 1)), dict(groups=3),
    dict(padding_mode="mirror"), dict(out_channels=5, groups=2),
])
def test_conv3d_layer_errors_as_torch(kwargs):
    args = {"in_channels": 4, "out_channels": 6, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError):
        torch.nn.Conv3d(**args)
    with pytest.raises(ValueError):
        nn.Conv3d(**args)
