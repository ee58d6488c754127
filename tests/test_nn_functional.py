"""nn.functional's non-loss, non-activation functions against torch: linear, one_hot, pad,
layer_norm, embedding."""
import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn.functional as F

TF = torch.nn.functional
TOL = dict(rtol=1e-5, atol=1e-6)


def grads_match(fn_ours, fn_theirs, *arrays):
    """Both functions on the same float arrays: equal outputs and gradients for each array."""
    ours = [npgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo, yt = fn_ours(*ours), fn_theirs(*theirs)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), **TOL)
    up = np.random.default_rng(0).standard_normal(tuple(yt.shape)).astype(np.float32)
    yo.backward(npgrad.tensor(up))
    yt.backward(torch.tensor(up))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_linear():
    grads_match(F.linear, TF.linear, arr(4, 3), arr(5, 3, seed=1), arr(5, seed=2))
    grads_match(lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w), arr(2, 4, 3), arr(5, 3, seed=1))


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_one_hot(num_classes):
    t = np.array([[0, 3], [2, 5]], np.int64)
    ours = F.one_hot(npgrad.tensor(t), num_classes)
    theirs = TF.one_hot(torch.tensor(t), num_classes)
    assert ours.dtype == npgrad.int64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(npgrad.tensor([0, 5]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(npgrad.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(npgrad.tensor([0.0]))


@pytest.mark.parametrize(
    "shape,pad,mode,value",
    [
        ((2, 5), (1, 2), "constant", None),
        ((2, 3, 4), (1, 0, 2, 1), "constant", 1.5),
        ((2, 3, 4), (0, 0, 0, 0, 1, 1), "constant", None),
        ((2, 6), (-1, 2), "constant", None),
        ((1, 2, 5), (2, 3), "reflect", None),
        ((1, 2, 4, 5), (1, 2, 2, 1), "reflect", None),
        ((1, 2, 5), (2, 3), "replicate", None),
        ((1, 2, 4, 5), (3, 1, 0, 2), "replicate", None),
        ((1, 2, 5), (2, 3), "circular", None),
        ((1, 1, 4, 5), (1, 2, 2, 1), "circular", None),
    ],
)
def test_pad(shape, pad, mode, value):
    kw = {} if value is None else dict(value=value)
    grads_match(lambda x: F.pad(x, pad, mode, **kw), lambda x: TF.pad(x, pad, mode, **kw), arr(*shape))


def test_pad_errors():
    x = npgrad.zeros(2, 3)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="less than the corresponding input dimension"):
        F.pad(npgrad.zeros(1, 2, 3), (3, 3), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode"):
        F.pad(x, (1, 1), mode="mirror")


def test_layer_norm_functional():
    w, b = arr(4, seed=1), arr(4, seed=2)
    grads_match(lambda x, w, b: F.layer_norm(x, (4,), w, b), lambda x, w, b: TF.layer_norm(x, (4,), w, b),
                arr(3, 4), w, b)
    grads_match(lambda x: F.layer_norm(x, [2, 4], eps=1e-3), lambda x: TF.layer_norm(x, [2, 4], eps=1e-3), arr(3, 2, 4))


def test_embedding_functional():
    idx = np.array([[1, 2, 2], [0, 3, 1]])
    grads_match(lambda w: F.embedding(npgrad.tensor(idx), w), lambda w: TF.embedding(torch.tensor(idx), w), arr(4, 3))
    grads_match(lambda w: F.embedding(npgrad.tensor(idx), w, padding_idx=2),
                lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=2), arr(4, 3))


def test_functional_exports_everything_the_issue_lists():
    for name in ("linear relu leaky_relu elu gelu silu sigmoid tanh softmax log_softmax softplus "
                 "dropout one_hot pad cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss "
                 "huber_loss binary_cross_entropy binary_cross_entropy_with_logits kl_div "
                 "batch_norm layer_norm embedding").split():
        assert callable(getattr(F, name)), name
