"""nn.utils against torch.nn.utils: gradient clipping and parameter <-> vector."""
import math

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn as nn
from npgrad.nn import utils


def twin_grads(scale=1.0):
    """Three parameters with the same gradients in npgrad and torch."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 2, 2)]]
    grads = [(rng.standard_normal(a.shape) * scale).astype(np.float32) for a in arrays]
    ours, theirs = [], []
    for a, g in zip(arrays, grads):
        p = nn.Parameter(npgrad.tensor(a))
        p.grad = npgrad.tensor(g)
        t = torch.nn.Parameter(torch.tensor(a))
        t.grad = torch.tensor(g)
        ours.append(p), theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e6])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ours, theirs = twin_grads()
    n_ours = utils.clip_grad_norm_(ours, max_norm, norm_type)
    n_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert n_ours.dtype == npgrad.float32 and n_ours.ndim == 0
    np.testing.assert_allclose(n_ours.item(), n_theirs.item(), rtol=1e-5)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(npgrad.ones(3))
    assert utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients at all
    p.grad = npgrad.tensor([3.0, 4.0, 0.0])
    np.testing.assert_allclose(utils.clip_grad_norm_(p, 1.0).item(), 5.0)  # a single tensor
    np.testing.assert_allclose(np.linalg.norm(p.grad.numpy()), 1.0, rtol=1e-5)
    p.grad = npgrad.tensor([float("inf"), 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    ours, theirs = twin_grads(scale=3.0)
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_parameters_to_vector_and_back():
    ours, theirs = twin_grads()
    v_ours = utils.parameters_to_vector(ours)
    v_theirs = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v_ours.detach().numpy(), v_theirs.detach().numpy())
    (v_ours * npgrad.arange(v_ours.shape[0]).float()).sum().backward()  # differentiable
    (v_theirs * torch.arange(v_theirs.shape[0]).float()).sum().backward()
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    new = np.arange(v_ours.shape[0], dtype=np.float32)
    utils.vector_to_parameters(npgrad.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, t in zip(ours, theirs):
        assert tuple(p.shape) == tuple(t.shape)
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    with pytest.raises(TypeError, match="expected npgrad.Tensor"):
        utils.vector_to_parameters(new, ours)
