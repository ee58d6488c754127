"""SELU, CELU, LogSigmoid, Hardsigmoid, Hardswish, PReLU, GLU, Threshold, Tanhshrink,
Softshrink, Hardshrink, Softsign, Softmax2d against torch: module and functional values and
gradients in float32 and float64, gradcheck, PReLU's parameter, errors."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair

MODULES = {
    "SELU": (), "CELU": (0.7,), "LogSigmoid": (), "Hardsigmoid": (), "Hardswish": (),
    "PReLU": (), "GLU": (1,), "Threshold": (0.1, 20.0), "Tanhshrink": (), "Softshrink": (0.4,),
    "Hardshrink": (0.4,), "Softsign": (), "Softmax2d": (),
}
FUNCTIONAL = {"selu": (), "celu": (0.7,), "logsigmoid": (), "hardsigmoid": (), "hardswish": (),
              "glu": (1,), "threshold": (0.1, 20.0), "tanhshrink": (), "softshrink": (0.4,),
              "hardshrink": (0.4,), "softsign": ()}


def _input(dtype, shape=(2, 4, 3, 3)):
    # values away from the kinks (0, +-3, +-0.4, 0.1) where one-sided derivatives differ
    x = np.random.RandomState(0).uniform(-5, 5, shape)
    for k in (0.0, 3.0, -3.0, 0.4, -0.4, 0.1):
        x[np.abs(x - k) < 0.05] += 0.1
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_match_torch(name, dtype):
    ours, theirs = pair(_input(dtype), requires_grad=True)
    m = getattr(npgrad.nn, name)(*MODULES[name])
    tm = getattr(torch.nn, name)(*MODULES[name])
    if dtype == np.float64:
        m, tm = m.double(), tm.double()
    got, want = m(ours), tm(theirs)
    assert_same(got, want)
    w = np.random.RandomState(1).rand(*want.shape).astype(dtype)
    (got * npgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    # torch's float64 Hardsigmoid/CELU backward use single-precision constants (1.0f / 6, ...):
    # ours is the exact derivative, so compare those two at float32-constant precision
    loose = dtype == np.float64 and name in ("Hardsigmoid", "CELU")
    assert_same(ours.grad, theirs.grad, "gradient", **(dict(rtol=1e-6, atol=1e-9) if loose else {}))
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    ours, theirs = pair(_input(np.float32, (3, 4)))
    assert_same(getattr(npgrad.nn.functional, name)(ours, *FUNCTIONAL[name]),
                getattr(torch.nn.functional, name)(theirs, *FUNCTIONAL[name]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_per_channel_weight_gradients(dtype):
    ours, theirs = pair(_input(dtype), requires_grad=True)
    m, tm = npgrad.nn.PReLU(4, init=0.1), torch.nn.PReLU(4, init=0.1)
    w = np.array([0.1, 0.2, -0.3, 0.5], dtype)
    if dtype == np.float64:
        m, tm = m.double(), tm.double()
    with npgrad.no_grad():
        m.weight.copy_(npgrad.tensor(w))
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    got, want = m(ours), tm(theirs)
    assert_same(got, want)
    got.sum().backward()
    want.sum().backward()
    assert_same(ours.grad, theirs.grad, "gradient")
    assert_same(m.weight.grad, tm.weight.grad, "gradient")


def test_gradcheck_activations():
    x = npgrad.tensor(_input(np.float64, (2, 4)), requires_grad=True)
    w = npgrad.tensor([0.2, 0.3, 0.1, 0.4], dtype=npgrad.float64, requires_grad=True)
    F = npgrad.nn.functional
    for fn in (F.selu, F.logsigmoid, F.hardswish, F.softsign, F.tanhshrink,
               lambda t: F.celu(t, 0.7), lambda t: F.glu(t, 1), lambda t: F.softshrink(t, 0.4)):
        assert gradcheck(fn, (x,))
    assert gradcheck(F.prelu, (x, w))


def test_errors_like_torch():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        torch.nn.functional.glu(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        npgrad.nn.functional.glu(npgrad.ones(2, 3))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        torch.nn.PReLU(3)(torch.ones(2, 4))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        npgrad.nn.PReLU(3)(npgrad.ones(2, 4))
