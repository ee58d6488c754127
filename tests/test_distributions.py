"""npgrad.distributions against torch.distributions: Categorical and Normal values, gradients
(float32 and float64), gradcheck, sample shapes and frequencies, errors."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_categorical_log_prob_entropy_and_gradients(param, dtype):
    raw = np.random.RandomState(0).rand(4, 3).astype(dtype) + 0.1
    ours, theirs = pair(raw, requires_grad=True)
    m = npgrad.distributions.Categorical(**{param: ours})
    tm = torch.distributions.Categorical(**{param: theirs})
    value = np.array([0, 2, 1, 2])
    v, tv = pair(value)
    assert_same(m.probs, tm.probs)
    assert_same(m.logits, tm.logits)
    assert_same(m.log_prob(v), tm.log_prob(tv))
    assert_same(m.entropy(), tm.entropy())
    assert_same(m.mode, tm.mode)
    (m.log_prob(v).sum() * 2 + m.entropy().sum()).backward()
    (tm.log_prob(tv).sum() * 2 + tm.entropy().sum()).backward()
    assert_same(ours.grad, theirs.grad, "gradient")
    assert tuple(m.batch_shape) == tuple(tm.batch_shape) and tuple(m.event_shape) == ()


def test_categorical_log_prob_broadcasts_values_like_torch():
    ours, theirs = pair(np.random.RandomState(1).rand(3, 4).astype(np.float32))
    v, tv = pair(np.array([[0], [3]]))  # (2, 1) against batch (3,)
    assert_same(npgrad.distributions.Categorical(probs=ours).log_prob(v),
                torch.distributions.Categorical(probs=theirs).log_prob(tv))


def test_categorical_gradcheck():
    logits = npgrad.tensor(np.random.RandomState(2).randn(3, 4), requires_grad=True)
    value = npgrad.tensor([1, 3, 0])

    def f(lg):
        m = npgrad.distributions.Categorical(logits=lg)
        return m.log_prob(value) + m.entropy()

    assert gradcheck(f, (logits,))


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_categorical_sample_shapes_like_torch(sample_shape):
    probs = np.full((4, 3), 1 / 3, np.float32)
    ours, theirs = pair(probs)
    got = npgrad.distributions.Categorical(probs=ours).sample(sample_shape)
    want = torch.distributions.Categorical(probs=theirs).sample(sample_shape)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == npgrad.int64


def test_categorical_sample_frequencies_follow_probs():
    npgrad.manual_seed(0)
    draws = npgrad.distributions.Categorical(probs=npgrad.tensor([0.1, 0.6, 0.3])).sample((20000,))
    freq = np.bincount(draws.numpy(), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.02)


def test_categorical_errors_like_torch():
    with pytest.raises(ValueError, match="(?i)either `probs` or `logits`"):
        torch.distributions.Categorical()
    with pytest.raises(ValueError, match="(?i)either `probs` or `logits`"):
        npgrad.distributions.Categorical()
    with pytest.raises(ValueError, match="(?i)either `probs` or `logits`"):
        npgrad.distributions.Categorical(probs=npgrad.ones(2), logits=npgrad.ones(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_log_prob_entropy_rsample_gradients(dtype):
    rs = np.random.RandomState(3)
    loc, tloc = pair(rs.randn(3).astype(dtype), requires_grad=True)
    scale, tscale = pair(rs.rand(3).astype(dtype) + 0.5, requires_grad=True)
    v, tv = pair(rs.randn(2, 3).astype(dtype))
    m, tm = npgrad.distributions.Normal(loc, scale), torch.distributions.Normal(tloc, tscale)
    assert_same(m.log_prob(v), tm.log_prob(tv))
    assert_same(m.entropy(), tm.entropy())
    assert_same(m.cdf(v), tm.cdf(tv))
    assert_same(m.variance, tm.variance)
    (m.log_prob(v).sum() + m.entropy().sum()).backward()
    (tm.log_prob(tv).sum() + tm.entropy().sum()).backward()
    assert_same(loc.grad, tloc.grad, "gradient")
    assert_same(scale.grad, tscale.grad, "gradient")
    r = m.rsample((4,))
    assert tuple(r.shape) == tuple(tm.rsample((4,)).shape) == (4, 3) and r.requires_grad
    assert not m.sample((4,)).requires_grad


def test_normal_gradcheck_and_scalar_parameters():
    loc = npgrad.tensor([0.3, -0.2], dtype=npgrad.float64, requires_grad=True)
    scale = npgrad.tensor([0.7, 1.4], dtype=npgrad.float64, requires_grad=True)
    value = npgrad.tensor([0.1, 0.5], dtype=npgrad.float64)
    assert gradcheck(lambda l, s: npgrad.distributions.Normal(l, s).log_prob(value), (loc, scale))
    assert_same(npgrad.distributions.Normal(0.0, 1.0).log_prob(npgrad.tensor([0.5])),
                torch.distributions.Normal(0.0, 1.0).log_prob(torch.tensor([0.5])))
