"""nn.init against torch.nn.init: the same gains and fans; the same distributions (the random
streams differ, so the moments and bounds are compared on large tensors)."""
import math

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn as nn
from npgrad.nn import init

SHAPES = [(300, 200), (64, 16, 3, 3), (500, 40)]


@pytest.mark.parametrize(
    "nonlinearity,param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)],
)
def test_calculate_gain(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", SHAPES + [(5, 3, 2)])
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(npgrad.zeros(*shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    assert ours == theirs
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(npgrad.zeros(5))


def moments_match(ours, theirs, bound=None):
    a, b = ours.numpy(), theirs.numpy()
    assert a.dtype == np.float32 and a.shape == b.shape
    scale, n = b.std(), a.size
    # 5 standard errors of the difference of two sample means / standard deviations
    assert abs(a.mean() - b.mean()) < 5 * scale * math.sqrt(2 / n)
    assert abs(a.std() - b.std()) < 5 * scale * math.sqrt(1 / n)
    if bound is not None:
        assert np.abs(a).max() <= bound * (1 + 1e-6) and np.abs(a).max() > 0.97 * bound


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "name,kw",
    [
        ("uniform_", dict(a=-0.3, b=0.7)), ("normal_", dict(mean=0.5, std=2.0)),
        ("xavier_uniform_", {}), ("xavier_uniform_", dict(gain=2.0)), ("xavier_normal_", {}),
        ("kaiming_uniform_", {}), ("kaiming_uniform_", dict(a=math.sqrt(5))),
        ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
        ("kaiming_normal_", {}), ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu")),
        ("trunc_normal_", {}), ("trunc_normal_", dict(mean=1.0, std=0.5, a=0.0, b=1.5)),
    ],
)
def test_random_inits_have_torchs_distribution(shape, name, kw):
    npgrad.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(init, name)(npgrad.zeros(*shape), **kw)
    theirs = getattr(torch.nn.init, name)(torch.zeros(*shape), **kw)
    moments_match(ours, theirs)
    a, b = ours.numpy(), theirs.numpy()
    if "uniform" in name:
        assert a.min() >= b.min() - 0.01 * b.std() and a.max() <= b.max() + 0.01 * b.std()
    if name == "trunc_normal_":
        lo, hi = kw.get("a", -2.0), kw.get("b", 2.0)
        assert a.min() >= lo and a.max() <= hi


def test_trunc_normal_far_in_the_tail():
    with pytest.warns(UserWarning, match="more than 2 std"):
        t = init.trunc_normal_(npgrad.zeros(2000), mean=0.0, std=1.0, a=6.0, b=7.0)
    a = t.numpy()
    assert a.min() >= 6.0 and a.max() <= 7.0
    with pytest.warns(UserWarning):
        theirs = torch.nn.init.trunc_normal_(torch.zeros(2000), mean=0.0, std=1.0, a=6.0, b=7.0).numpy()
    assert abs(a.mean() - theirs.mean()) < 0.02


def test_kaiming_uniform_bound_is_the_formula():
    w = init.kaiming_uniform_(npgrad.zeros(400, 250), nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 250)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(npgrad.zeros(3, 3), mode="fan_avg")


def test_constant_inits_and_eye():
    t = npgrad.zeros(3, 4)
    assert (init.constant_(t, 2.5).numpy() == 2.5).all()
    assert (init.ones_(t).numpy() == 1).all() and not init.zeros_(t).numpy().any()
    np.testing.assert_array_equal(init.eye_(t).numpy(), torch.nn.init.eye_(torch.zeros(3, 4)).numpy())


def test_inits_work_on_parameters_in_place_and_are_reproducible():
    lin = nn.Linear(20, 10)
    w = lin.weight
    out = init.xavier_normal_(lin.weight)
    assert out is w and lin.weight is w and w.requires_grad and w.grad_fn is None
    npgrad.manual_seed(7)
    first = init.normal_(npgrad.zeros(50)).numpy().copy()
    npgrad.manual_seed(7)
    np.testing.assert_array_equal(init.normal_(npgrad.zeros(50)).numpy(), first)
    g = npgrad.Generator().manual_seed(7)
    np.testing.assert_array_equal(init.normal_(npgrad.zeros(50), generator=g).numpy(), first)
    d = init.uniform_(npgrad.zeros(4, dtype=npgrad.float64))
    assert d.dtype == npgrad.float64
