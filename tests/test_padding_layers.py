"""Padding layers (Zero/Constant/Reflection/Replication/Circular, 1-d and 2-d) and F.pad's
non-constant modes against PyTorch: values, gradients (float32, float64), gradcheck, repr,
and the errors torch raises."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
from npgrad.autograd.gradcheck import gradcheck

LAYERS = [
    ("ZeroPad2d", (2,), (2, 3, 4, 5)),
    ("ZeroPad2d", ((1, 0, 2, 3),), (3, 4, 5)),
    ("ZeroPad1d", ((2, 1),), (2, 3, 4)),
    ("ConstantPad2d", ((1, 2, 0, 1), 3.5), (2, 2, 3, 3)),
    ("ConstantPad1d", (3, -1.0), (2, 4)),
    ("ReflectionPad2d", (2,), (2, 3, 4, 5)),
    ("ReflectionPad2d", ((3, 0, 1, 2),), (3, 4, 5)),
    ("ReflectionPad1d", ((1, 3),), (2, 3, 5)),
    ("ReplicationPad2d", ((1, 2, 3, 4),), (2, 2, 3, 3)),
    ("ReplicationPad1d", (2,), (3, 4)),
    ("CircularPad2d", ((1, 2, 2, 1),), (2, 2, 3, 4)),
    ("CircularPad1d", (2,), (2, 3, 4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,shape", LAYERS, ids=[f"{n}{a}{s}" for n, a, s in LAYERS])
def test_layers_match_torch(name, args, shape, dtype):
    ours, theirs = getattr(npgrad.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(xa), theirs(xb)
    assert_same(ya, yb, "output")
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_f_pad_gradcheck(mode):
    x = npgrad.tensor(np.random.default_rng(2).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: npgrad.nn.functional.pad(t, (2, 1, 1, 2), mode=mode), (x,))


@pytest.mark.parametrize("shape,pad,mode", [
    ((1, 1, 3, 3), (1, 1), "reflect"),      # 4D input, one padded dim: torch refuses
    ((3, 3), (1, 1, 1, 1), "replicate"),    # 2D input, two padded dims
    ((3,), (1, 1), "reflect"),              # 1D input
    ((1, 1, 3, 3), (3, 3, 0, 0), "reflect"),  # padding >= size
    ((1, 2, 3), (4, 0), "circular"),        # wraps around more than once
])
def test_f_pad_errors_as_torch(shape, pad, mode):
    with pytest.raises((RuntimeError, NotImplementedError, ValueError)):
        torch.nn.functional.pad(torch.zeros(shape), pad, mode=mode)
    with pytest.raises((RuntimeError, NotImplementedError, ValueError), match=r"[Pp]ad"):
        npgrad.nn.functional.pad(npgrad.zeros(*shape), pad, mode=mode)


def test_layer_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"ReflectionPad2d.*3D or 4D.*\(5,\)"):
        npgrad.nn.ReflectionPad2d(1)(npgrad.zeros(5))
