"""nn.RMSNorm / F.rms_norm against torch: values and gradients (input and weight) in float32
and float64, eps None and given, several normalized shapes, gradcheck, state_dict, errors."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, normalized", [((2, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("eps", [None, 1e-6])
def test_rmsnorm_matches_torch(shape, normalized, eps, dtype):
    ours, theirs = pair(np.random.RandomState(0).randn(*shape).astype(dtype), requires_grad=True)
    m = npgrad.nn.RMSNorm(normalized, eps=eps, dtype=getattr(npgrad, np.dtype(dtype).name))
    tm = torch.nn.RMSNorm(normalized, eps=eps, dtype=getattr(torch, np.dtype(dtype).name))
    w = np.random.RandomState(1).rand(*tm.weight.shape).astype(dtype) + 0.5
    with npgrad.no_grad():
        m.weight.copy_(npgrad.tensor(w))
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    got, want = m(ours), tm(theirs)
    assert_same(got, want)
    g = np.random.RandomState(2).randn(*shape).astype(dtype)
    (got * npgrad.tensor(g)).sum().backward()
    (want * torch.tensor(g)).sum().backward()
    assert_same(ours.grad, theirs.grad, "gradient")
    assert_same(m.weight.grad, tm.weight.grad, "gradient")
    assert list(m.state_dict()) == list(tm.state_dict()) and repr(m) == repr(tm)


def test_rms_norm_functional_without_weight_and_gradcheck():
    ours, theirs = pair(np.random.RandomState(3).randn(3, 4))
    assert_same(npgrad.nn.functional.rms_norm(ours, (4,)), torch.nn.functional.rms_norm(theirs, (4,)))
    x = npgrad.tensor(np.random.RandomState(4).randn(2, 3), requires_grad=True)
    w = npgrad.tensor(np.random.RandomState(5).rand(3) + 0.5, requires_grad=True)
    assert gradcheck(lambda a, b: npgrad.nn.functional.rms_norm(a, [3], b, 1e-5), (x, w))


def test_rmsnorm_without_affine_and_shape_error_like_torch():
    assert npgrad.nn.RMSNorm(4, elementwise_affine=False).weight is None
    with pytest.raises(RuntimeError, match="expected input with shape"):
        torch.nn.RMSNorm(4)(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="expected input with shape"):
        npgrad.nn.RMSNorm(4)(npgrad.ones(2, 3))
