"""Every loss, as a module and as a function, against torch: values and gradients (for the
input, and for a float target) under every reduction, with the edge targets."""
import warnings

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F

TOL = dict(rtol=1e-5, atol=1e-6)
REDUCTIONS = ["mean", "sum", "none"]


def run(name, x, target, kw=None, target_grad=False, functional=None):
    """The loss ``name`` (a module class name) in both libraries on the same arrays; compare
    value, input gradient and (optionally) target gradient. Returns our loss value."""
    kw = kw or {}
    t_kw = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    o_kw = {k: (npgrad.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    xo, xt = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    floating = np.asarray(target).dtype.kind == "f"
    to = npgrad.tensor(target, requires_grad=target_grad and floating)
    tt = torch.tensor(target, requires_grad=target_grad and floating)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if functional:
            lo = getattr(F, functional)(xo, to, **o_kw)
            lt = getattr(torch.nn.functional, functional)(xt, tt, **t_kw)
        else:
            lo = getattr(nn, name)(**o_kw)(xo, to)
            lt = getattr(torch.nn, name)(**t_kw)(xt, tt)
    assert tuple(lo.shape) == tuple(lt.shape), (lo.shape, lt.shape)
    assert lo.dtype == npgrad.float32
    np.testing.assert_allclose(lo.detach().numpy(), lt.detach().numpy(), err_msg="loss", **TOL)
    upstream = np.random.default_rng(1).standard_normal(lt.shape).astype(np.float32) + 1
    lo.backward(npgrad.tensor(upstream))
    lt.backward(torch.tensor(upstream))
    assert xo.grad.dtype == npgrad.float32
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), err_msg="input grad", rtol=1e-4, atol=1e-6)
    if target_grad and floating:
        np.testing.assert_allclose(to.grad.numpy(), tt.grad.numpy(), err_msg="target grad", rtol=1e-4, atol=1e-6)
    return lo


def rng(seed=0):
    return np.random.default_rng(seed)


def logits(*shape, seed=0, scale=2.0):
    return (rng(seed).standard_normal(shape) * scale).astype(np.float32)


def classes(n_classes, *shape, seed=0):
    return rng(seed + 100).integers(0, n_classes, shape).astype(np.int64)


def probs(*shape, seed=0, dim=1):
    p = rng(seed + 200).random(shape).astype(np.float32) + 0.05
    return (p / p.sum(axis=dim, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kw",
    [
        {},  # the fast path
        dict(weight=np.array([0.2, 1.0, 3.0, 0.5, 1.5], np.float32)),
        dict(ignore_index=2),
        dict(label_smoothing=0.1),
        dict(weight=np.array([0.2, 1.0, 3.0, 0.5, 1.5], np.float32), ignore_index=0, label_smoothing=0.3),
    ],
    ids=["plain", "weight", "ignore", "smoothing", "all"],
)
def test_cross_entropy_class_indices(kw, reduction):
    target = classes(5, 8)
    target[:3] = [0, 2, 4]
    run("CrossEntropyLoss", logits(8, 5), target, dict(kw, reduction=reduction))
    run(None, logits(8, 5), target, dict(kw, reduction=reduction), functional="cross_entropy")


def test_cross_entropy_default_ignore_index_minus_100():
    target = classes(4, 6)
    target[[1, 4]] = -100  # torch ignores -100 by default
    for reduction in REDUCTIONS:
        run("CrossEntropyLoss", logits(6, 4), target, dict(reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.2), dict(weight=np.array([1.0, 2.0, 0.5], np.float32))])
def test_cross_entropy_spatial_and_unbatched(kw, reduction):
    run("CrossEntropyLoss", logits(2, 3, 4, 5), classes(3, 2, 4, 5), dict(kw, reduction=reduction))
    run("CrossEntropyLoss", logits(3), np.array(1, np.int64), dict(kw, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.25), dict(weight=np.array([0.5, 2.0, 1.0, 1.0], np.float32))])
def test_cross_entropy_probability_targets(kw, reduction):
    run("CrossEntropyLoss", logits(6, 4), probs(6, 4), dict(kw, reduction=reduction), target_grad=True)
    run("CrossEntropyLoss", logits(2, 4, 3), probs(2, 4, 3), dict(kw, reduction=reduction), target_grad=True)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_is_finite_for_huge_logits(scale):
    x = logits(5, 4, scale=1.0)
    x[:, 0] = scale
    x[2] = [scale, -scale, scale, 0.0]
    target = np.array([0, 1, 2, 3, 0], np.int64)
    for kw in ({}, dict(label_smoothing=0.1), dict(reduction="none")):
        lo = run("CrossEntropyLoss", x, target, kw)
        assert np.isfinite(lo.detach().numpy()).all()
    lo = run("CrossEntropyLoss", x, probs(5, 4), {})
    assert np.isfinite(lo.item())


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = logits(4, 3)
    target = np.array([2, 0, 1, 1])
    xo = npgrad.tensor(x, requires_grad=True)
    F.cross_entropy(xo, npgrad.tensor(target), reduction="sum").backward()
    soft = np.exp(x - x.max(1, keepdims=True))
    soft /= soft.sum(1, keepdims=True)
    np.testing.assert_allclose(xo.grad.numpy(), soft - np.eye(3)[target], **TOL)


def test_cross_entropy_out_of_range_target_is_a_clear_error():
    x = npgrad.randn(4, 10)
    with pytest.raises(IndexError) as e:
        F.cross_entropy(x, npgrad.tensor([1, 2, 10, 3]))
    assert "Target 10 is out of bounds" in str(e.value) and "10 classes" in str(e.value)
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        nn.CrossEntropyLoss()(x, npgrad.tensor([1, -1, 0, 3]))
    with pytest.raises(IndexError, match="Target 12"):
        F.cross_entropy(x, npgrad.tensor([1, 12, 0, 3]), weight=npgrad.ones(10))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"):
        F.cross_entropy(x, npgrad.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="class probabilities"):
        F.cross_entropy(x, npgrad.tensor([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, npgrad.tensor([1, 2, 3, 4]), weight=npgrad.ones(3))


def test_cross_entropy_all_targets_ignored_is_nan_like_torch():
    x = logits(3, 4)
    t = np.full(3, -100, np.int64)
    ours = F.cross_entropy(npgrad.tensor(x), npgrad.tensor(t))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())


def test_cross_entropy_weight_is_a_buffer_like_torch():
    w = np.array([1.0, 2.0], np.float32)
    ours, theirs = nn.CrossEntropyLoss(weight=npgrad.tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert repr(ours) == repr(theirs)


def test_legacy_size_average_and_reduce():
    x, t = logits(5, 3), classes(3, 5)
    run("CrossEntropyLoss", x, t, dict(size_average=False))
    run("CrossEntropyLoss", x, t, dict(reduce=False))
    run("MSELoss", logits(4), logits(4, seed=1), dict(size_average=False))


# ---------------------------------------------------------------------- NLL
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kw", [{}, dict(weight=np.array([0.5, 2.0, 1.0], np.float32)), dict(ignore_index=1)], ids=["plain", "weight", "ignore"]
)
def test_nll_loss(kw, reduction):
    log_p = torch.log_softmax(torch.tensor(logits(7, 3)), 1).numpy()
    target = classes(3, 7)
    target[:3] = [0, 1, 2]
    run("NLLLoss", log_p, target, dict(kw, reduction=reduction))
    run("NLLLoss", logits(2, 3, 4), classes(3, 2, 4), dict(kw, reduction=reduction))
    run(None, log_p, target, dict(kw, reduction=reduction), functional="nll_loss")


def test_nll_errors():
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.nll_loss(npgrad.randn(2, 3), npgrad.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="class indices"):
        F.nll_loss(npgrad.randn(2, 3), npgrad.tensor([0.0, 1.0]))


def test_log_softmax_then_nll_equals_cross_entropy():
    x, t = npgrad.tensor(logits(6, 5)), npgrad.tensor(classes(5, 6))
    a = F.nll_loss(F.log_softmax(x, dim=1), t)
    b = F.cross_entropy(x, t)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)


# ---------------------------------------------------------------------- binary
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    x = rng().uniform(0.01, 0.99, (6, 3)).astype(np.float32)
    y = rng(1).integers(0, 2, (6, 3)).astype(np.float32)
    y[0] = [0.3, 0.5, 1.0]  # soft labels are allowed
    run("BCELoss", x, y, dict(reduction=reduction), target_grad=True)
    w = rng(2).uniform(0.5, 2, (6, 3)).astype(np.float32)
    run("BCELoss", x, y, dict(reduction=reduction, weight=w))
    run(None, x, y, dict(reduction=reduction, weight=w[:1]), functional="binary_cross_entropy")


def test_bce_clamps_the_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5], np.float32)
    lo = run("BCELoss", x, y, dict(reduction="none"))
    np.testing.assert_allclose(lo.detach().numpy()[:4], [100.0, 100.0, 0.0, 0.0])
    run("BCELoss", x, y, {})


def test_bce_refuses_inputs_outside_0_1():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(npgrad.tensor([0.5, 1.5]), npgrad.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(npgrad.tensor([0.5, float("nan")]), npgrad.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="same size"):
        nn.BCELoss()(npgrad.tensor([[0.5], [0.5]]), npgrad.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kw",
    [{}, dict(pos_weight=np.array([1.0, 3.0, 0.5], np.float32)),
     dict(weight=np.array([2.0, 1.0, 0.5], np.float32), pos_weight=np.array([2.0, 2.0, 2.0], np.float32))],
    ids=["plain", "pos_weight", "both"],
)
def test_bce_with_logits(kw, reduction):
    x = logits(5, 3, scale=3.0)
    y = rng(3).integers(0, 2, (5, 3)).astype(np.float32)
    run("BCEWithLogitsLoss", x, y, dict(kw, reduction=reduction), target_grad=True)
    run(None, x, y, dict(kw, reduction=reduction), functional="binary_cross_entropy_with_logits")


def test_bce_with_logits_is_stable_at_extremes():
    x = np.array([[-1e4, 1e4, -100.0, 100.0, 0.0]], np.float32)
    y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]], np.float32)
    for kw in ({}, dict(pos_weight=np.full(5, 2.0, np.float32))):
        lo = run("BCEWithLogitsLoss", x, y, dict(kw, reduction="none"))
        assert np.isfinite(lo.detach().numpy()).all()
    with pytest.raises(ValueError, match="must be the same as input size"):
        nn.BCEWithLogitsLoss()(npgrad.zeros(3, 1), npgrad.zeros(3))


# ---------------------------------------------------------------------- regression
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kw",
    [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}), ("SmoothL1Loss", dict(beta=0.5)),
     ("SmoothL1Loss", dict(beta=0.0)), ("HuberLoss", {}), ("HuberLoss", dict(delta=0.3))],
)
def test_regression_losses(name, kw, reduction):
    x, y = logits(4, 5), logits(4, 5, seed=1)
    y[0, :2] = x[0, :2]  # a zero difference: the kink of L1
    y[1, 0] = x[1, 0] + 0.5  # exactly at beta / delta for some
    run(name, x, y, dict(kw, reduction=reduction), target_grad=True)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_functional_and_broadcasting(name):
    x, y = logits(4, 3), logits(4, 1, seed=2)
    run(None, x, y, {}, functional=name)  # broadcast: warns, as torch
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(F, name)(npgrad.tensor(x), npgrad.tensor(y))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_elementwise_weight(name, reduction):
    w = rng(5).uniform(0.1, 2.0, (4, 3)).astype(np.float32)
    run(None, logits(4, 3), logits(4, 3, seed=1), dict(weight=w, reduction=reduction), functional=name)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = torch.log_softmax(torch.tensor(logits(4, 5)), 1).numpy()
    t = probs(4, 5, seed=3)
    t[0, 1] = 0.0  # a zero probability contributes 0
    if log_target:
        t = np.log(probs(4, 5, seed=3))
    run("KLDivLoss", x, t, dict(reduction=reduction, log_target=log_target), target_grad=log_target)
    run(None, x, t, dict(reduction=reduction, log_target=log_target), functional="kl_div")


def test_loss_reprs_match_torch():
    for name, kw in [("MSELoss", {}), ("CrossEntropyLoss", dict(label_smoothing=0.1)), ("KLDivLoss", {}),
                     ("HuberLoss", dict(delta=2.0)), ("SmoothL1Loss", {}), ("BCEWithLogitsLoss", {})]:
        assert repr(getattr(nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
