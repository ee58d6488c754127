"""``F.max_pool3d``/``nn.MaxPool3d`` and ``F.avg_pool3d``/``nn.AvgPool3d`` against PyTorch:
values, indices and gradients in float32 and float64 over strides, padding, dilation,
ceil_mode, count_include_pad, divisor_override, ties, NaN and unbatched input; gradcheck in
float64; PyTorch's errors; the layers' repr."""
import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
import npgrad.nn.functional as F
from npgrad import nn
from npgrad.autograd import gradcheck

MAX = {
    "plain": dict(kernel_size=2),
    "overlap": dict(kernel_size=3, stride=1),
    "stride_padding": dict(kernel_size=3, stride=2, padding=1),
    "ceil": dict(kernel_size=3, stride=2, ceil_mode=True),
    "ceil_padding": dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    "triples": dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0)),
    "dilation": dict(kernel_size=2, dilation=(2, 1, 2), stride=1),
    "dilation_ceil": dict(kernel_size=(2, 2, 3), dilation=2, stride=2, padding=1,
                          ceil_mode=True),
}
AVG = {
    "plain": dict(kernel_size=2),
    "overlap": dict(kernel_size=3, stride=1),
    "padding": dict(kernel_size=3, stride=2, padding=1),
    "exclude_pad": dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    "ceil": dict(kernel_size=3, stride=2, ceil_mode=True),
    "ceil_padding": dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    "ceil_exclude_pad": dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                             count_include_pad=False),
    "triples": dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0)),
    "divisor": dict(kernel_size=(2, 3, 2), padding=(1, 0, 1), divisor_override=5),
}
SHAPES = [(2, 3, 7, 6, 5), (3, 5, 6, 7)]  # batched and unbatched


def _check(ours_fn, theirs_fn, x, dtype):
    (xo, xt) = pair(x.astype(dtype), requires_grad=True)
    ours, theirs = ours_fn(xo), theirs_fn(xt)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert_same(o, t, f"output {k}")
        assert o.is_contiguous() and o.stride() == t.stride()
    g = np.random.default_rng(0).standard_normal(tuple(theirs[0].shape)).astype(dtype)
    ours[0].backward(npgrad.tensor(g))
    theirs[0].backward(torch.tensor(g))
    assert_same(xo.grad, xt.grad, "input gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=["batched", "unbatched"])
@pytest.mark.parametrize("name", list(MAX))
def test_max_pool3d_matches_torch(name, shape, dtype):
    kw = MAX[name]
    x = np.random.default_rng(len(name)).standard_normal(shape)
    _check(lambda a: F.max_pool3d(a, return_indices=True, **kw),
           lambda a: torch.nn.functional.max_pool3d(a, return_indices=True, **kw), x, dtype)
    _check(lambda a: nn.MaxPool3d(**kw)(a), lambda a: torch.nn.MaxPool3d(**kw)(a), x, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=["batched", "unbatched"])
@pytest.mark.parametrize("name", list(AVG))
def test_avg_pool3d_matches_torch(name, shape, dtype):
    kw = AVG[name]
    x = np.random.default_rng(len(name)).standard_normal(shape)
    _check(lambda a: F.avg_pool3d(a, **kw), lambda a: torch.nn.functional.avg_pool3d(a, **kw),
           x, dtype)
    _check(lambda a: nn.AvgPool3d(**kw)(a), lambda a: torch.nn.AvgPool3d(**kw)(a), x, dtype)


def test_max_pool3d_ties_and_nan():
    """Ties: the first in window order wins (its index and its gradient); NaN wins."""
    x = np.random.default_rng(1).choice([0.0, 1.0], (1, 2, 4, 4, 4))
    x[0, 1, 1, 2, 3] = np.nan
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        _check(lambda a: F.max_pool3d(a, return_indices=True, **kw),
               lambda a: torch.nn.functional.max_pool3d(a, return_indices=True, **kw),
               x, np.float64)


@pytest.mark.parametrize("name", ["overlap", "ceil_padding", "dilation_ceil"])
def test_max_pool3d_gradcheck(name):
    # distinct values, so no window has a tie (where the max has no derivative)
    x = np.random.default_rng(2).permutation(2 * 5 * 6 * 5).reshape(2, 5, 6, 5) / 10.0
    assert gradcheck(lambda a: F.max_pool3d(a, **MAX[name]),
                     [npgrad.tensor(x, requires_grad=True)])


@pytest.mark.parametrize("name", ["overlap", "ceil_exclude_pad", "divisor", "triples"])
def test_avg_pool3d_gradcheck(name):
    x = np.random.default_rng(3).standard_normal((1, 2, 5, 6, 5))
    assert gradcheck(lambda a: F.avg_pool3d(a, **AVG[name]),
                     [npgrad.tensor(x, requires_grad=True)])


X = np.zeros((1, 2, 5, 5, 5))


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.max_pool3d(x, 3, padding=2),
    lambda L, x: L.nn.functional.avg_pool3d(x, 3, padding=2),
    lambda L, x: L.nn.functional.max_pool3d(x[0, 0], 3),
    lambda L, x: L.nn.functional.max_pool3d(x, (2, 2)),
    lambda L, x: L.nn.functional.max_pool3d(x, 6),
    lambda L, x: L.nn.functional.avg_pool3d(x, 6),
    lambda L, x: L.nn.functional.max_pool3d(x, 2, stride=0),
    lambda L, x: L.nn.functional.avg_pool3d(x, 2, divisor_override=0),
], ids=["max_pad", "avg_pad", "input_3d", "kernel_pair", "max_too_small", "avg_too_small",
        "zero_stride", "zero_divisor"])
def test_pool3d_errors_as_torch(call):
    with pytest.raises(RuntimeError):
        call(torch, torch.tensor(X))
    with pytest.raises(RuntimeError, match="pool3d"):
        call(npgrad, npgrad.tensor(X))


def test_pool3d_layers_repr_as_torch():
    for args, kwargs in [((2,), {}), (((2, 1, 2), 1), {"padding": (1, 0, 1)}),
                         ((3,), {"stride": 2, "ceil_mode": True})]:
        assert repr(nn.MaxPool3d(*args, **kwargs)) == repr(torch.nn.MaxPool3d(*args, **kwargs))
        assert repr(nn.AvgPool3d(*args, **kwargs)) == repr(torch.nn.AvgPool3d(*args, **kwargs))
