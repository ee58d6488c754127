"""MaxPool1d, AvgPool1d, AdaptiveMaxPool2d/1d, AdaptiveAvgPool1d and their F. forms against
PyTorch: values, indices, gradients in float32 and float64, gradcheck, errors."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
import npgrad.nn as nn
from npgrad.autograd.gradcheck import gradcheck

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

# layer name, constructor arguments, input shape
CASES = [
    ("MaxPool1d", (3,), (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1), (2, 3, 10)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, dilation=2, ceil_mode=True), (2, 2, 11)),
    ("MaxPool1d", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), (3, 12)),
    ("AvgPool1d", (3,), (2, 3, 10)),
    ("AvgPool1d", dict(kernel_size=4, stride=2, padding=2, count_include_pad=False),
     (2, 3, 9)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 2, 10)),
    ("AvgPool1d", (2,), (3, 7)),
    ("AdaptiveMaxPool2d", ((3, 4),), (2, 3, 7, 9)),
    ("AdaptiveMaxPool2d", (5,), (2, 2, 5, 5)),
    ("AdaptiveMaxPool2d", ((None, 2),), (3, 6, 7)),
    ("AdaptiveMaxPool2d", (1,), (2, 4, 5, 6)),
    ("AdaptiveMaxPool2d", ((4, 6),), (1, 2, 3, 4)),  # output larger than input: overlap
    ("AdaptiveMaxPool1d", (4,), (2, 3, 10)),
    ("AdaptiveAvgPool1d", (3,), (2, 3, 7)),
]
IDS = [f"{c[0]}{c[1]}{c[2]}" for c in CASES]


def make(lib, name, args):
    cls = getattr(lib.nn, name)
    return cls(**args) if isinstance(args, dict) else cls(*args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,shape", CASES, ids=IDS)
def test_matches_torch(name, args, shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = make(npgrad, name, args)(xa), make(torch, name, args)(xb)
    assert_same(ya, yb, "output", **TOL[dtype])
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad", **TOL[dtype])


def test_ties_go_to_the_first_maximum_row_major():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = x[0, 0, 2, 0] = x[0, 0, 1, 3] = 5.0
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ya, ia), (yb, ib) = [lib.nn.functional.adaptive_max_pool2d(t, 1, return_indices=True)
                          for lib, t in ((npgrad, xa), (torch, xb))]
    assert_same(ia, ib, "indices")
    ya.sum().backward()
    yb.sum().backward()
    assert_same(xa.grad, xb.grad, "grad")


@pytest.mark.parametrize("fn", ["adaptive_max_pool2d", "max_pool1d", "adaptive_max_pool1d"])
def test_return_indices(fn):
    shape = (2, 3, 7, 9) if fn.endswith("2d") else (2, 3, 11)
    arg = (3, 4) if fn == "adaptive_max_pool2d" else 3
    x = np.random.default_rng(2).standard_normal(shape)
    (ya, ia), (yb, ib) = [getattr(lib.nn.functional, fn)(lib.tensor(x), arg, return_indices=True)
                          for lib in (npgrad, torch)]
    assert_same(ya, yb, "values")
    assert_same(ia, ib, "indices")


@pytest.mark.parametrize("fn,arg,shape", [
    ("max_pool1d", dict(kernel_size=3, stride=2, padding=1), (2, 2, 7)),
    ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 2, 7)),
    ("adaptive_max_pool2d", dict(output_size=(2, 3)), (1, 2, 5, 4)),
    ("adaptive_max_pool1d", dict(output_size=3), (2, 2, 7)),
    ("adaptive_avg_pool1d", dict(output_size=3), (2, 2, 7)),
])
def test_gradcheck_float64(fn, arg, shape):
    x = npgrad.tensor(np.random.default_rng(3).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: getattr(npgrad.nn.functional, fn)(t, **arg), (x,))


def test_float32_stays_float32_and_repr():
    x = npgrad.randn(2, 3, 8)
    assert nn.MaxPool1d(2)(x).dtype == npgrad.float32
    assert nn.AdaptiveMaxPool2d((2, 2))(npgrad.randn(1, 2, 5, 5)).dtype == npgrad.float32
    assert repr(nn.AdaptiveMaxPool2d((2, 3))) == repr(torch.nn.AdaptiveMaxPool2d((2, 3)))
    assert repr(nn.AvgPool1d(3, 2)) == repr(torch.nn.AvgPool1d(3, 2))


@pytest.mark.parametrize("layer,shape,match", [
    (lambda lib: lib.nn.MaxPool1d(3), (2, 3, 4, 4), r"MaxPool1d.*\(N, C, L\).*\(2, 3, 4, 4\)"),
    (lambda lib: lib.nn.MaxPool1d(5), (2, 3, 4), r"MaxPool1d.*too small"),
    (lambda lib: lib.nn.AvgPool1d(2, padding=2), (2, 3, 8), r"AvgPool1d.*padding should be"),
    (lambda lib: lib.nn.AdaptiveMaxPool2d(2), (2, 3), r"AdaptiveMaxPool2d.*\(2, 3\)"),
])
def test_errors_as_torch_naming_the_layer(layer, shape, match):
    with pytest.raises((RuntimeError, ValueError)):
        layer(torch)(torch.zeros(shape))
    with pytest.raises((RuntimeError, ValueError), match=match):
        layer(npgrad)(npgrad.zeros(*shape))


def test_module_reprs_as_torch():
    for make in (lambda lib: lib.nn.MaxPool1d(3), lambda lib: lib.nn.MaxPool1d(3, 2, 1, 2, True),
                 lambda lib: lib.nn.AvgPool1d(4, padding=2),
                 lambda lib: lib.nn.AdaptiveMaxPool1d(5), lambda lib: lib.nn.AdaptiveAvgPool1d(3)):
        assert repr(make(npgrad)) == repr(make(torch))
