"""Every layer against its torch twin: same weights copied in, same input, same outputs, same
gradients (for the input and for every parameter), plus running statistics and errors."""
import math

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F

TOL = dict(rtol=1e-5, atol=1e-6)


def sync(ours, theirs):
    """Copy torch's parameters and buffers into the npgrad layer, by name."""
    mine = dict(list(ours.named_parameters()) + list(ours.named_buffers()))
    for name, t in list(theirs.named_parameters()) + list(theirs.named_buffers()):
        mine[name]._data[...] = t.detach().numpy()


def check(ours, theirs, x, *, grad=True, train=True, steps=1, integer_input=False, seed=0):
    """Run both layers on x (``steps`` times), compare outputs, input grads, param grads and
    buffers."""
    sync(ours, theirs)
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        if integer_input:
            xo, xt = npgrad.tensor(x), torch.tensor(x)
        else:
            xo = npgrad.tensor(x, requires_grad=grad)
            xt = torch.tensor(x, requires_grad=grad)
        yo, yt = ours(xo), theirs(xt)
        assert tuple(yo.shape) == tuple(yt.shape)
        assert yo.dtype == npgrad.float32
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), err_msg="output", **TOL)
        if grad:
            upstream = rng.standard_normal(yt.shape).astype(np.float32)
            yo.backward(npgrad.tensor(upstream))
            yt.backward(torch.tensor(upstream))
            if not integer_input:
                np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), err_msg="input grad", rtol=1e-4, atol=1e-5)
            for (name, po), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
                np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), err_msg=name, rtol=1e-4, atol=1e-5)
                assert po.grad.dtype == npgrad.float32
            ours.zero_grad(), theirs.zero_grad()
    for (name, bo), (_, bt) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(bo.numpy(), bt.numpy(), err_msg=name, **TOL)
        assert bo.dtype == npgrad.float32 or name == "num_batches_tracked"
    return yo


def data(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


# ---------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7), (7,)])
def test_linear(bias, shape):
    check(nn.Linear(7, 4, bias=bias), torch.nn.Linear(7, 4, bias=bias), data(*shape))


def test_linear_weight_shape_and_default_init_follow_torch():
    npgrad.manual_seed(0)
    lin = nn.Linear(400, 300)
    assert tuple(lin.weight.shape) == (300, 400) and tuple(lin.bias.shape) == (300,)
    assert lin.weight.dtype == npgrad.float32
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) works out to this bound
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound): std = bound / sqrt(3); torch's draw has the same statistics
    t = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.std() - t.std()) < 0.01 * bound and abs(w.mean()) < 0.01 * bound
    npgrad.manual_seed(0)
    again = nn.Linear(400, 300)
    np.testing.assert_array_equal(again.weight.detach().numpy(), w)  # seeded: reproducible


def test_linear_names_itself_when_the_input_is_wrong():
    lin = nn.Linear(784, 50)
    with pytest.raises(RuntimeError) as e:
        lin(npgrad.zeros(64, 100))
    msg = str(e.value)
    assert "Linear(in_features=784, out_features=50" in msg and "100" in msg and "(64, 100)" in msg
    with pytest.raises(TypeError, match="expected an npgrad Tensor"):
        lin(np.zeros((2, 784), np.float32))


# ---------------------------------------------------------------------- activations
ACTIVATIONS = [
    ("ReLU", {}), ("LeakyReLU", {}), ("LeakyReLU", dict(negative_slope=0.3)), ("ELU", {}),
    ("ELU", dict(alpha=0.5)), ("GELU", {}), ("GELU", dict(approximate="tanh")), ("SiLU", {}),
    ("Sigmoid", {}), ("Tanh", {}), ("Softmax", dict(dim=1)), ("Softmax", dict(dim=0)),
    ("LogSoftmax", dict(dim=1)), ("LogSoftmax", dict(dim=-1)), ("Softplus", {}),
    ("Softplus", dict(beta=2.0, threshold=3.0)), ("Hardtanh", {}), ("ReLU6", {}),
    ("Softmin", dict(dim=1)), ("Identity", {}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}{kw}" for n, kw in ACTIVATIONS])
def test_activation(name, kw):
    x = data(6, 5, scale=3.0)
    x[0, :3] = [0.0, 1e-3, -1e-3]
    check(getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw), x)


@pytest.mark.parametrize("name,kw", ACTIVATIONS[:18], ids=[f"{n}{kw}" for n, kw in ACTIVATIONS[:18]])
def test_activation_is_finite_at_extremes(name, kw):
    x = np.array([[-1e4, -1000.0, -80.0, 0.0, 80.0, 1000.0, 1e4]], np.float32)
    check(getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw), x)


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "SiLU", "Hardtanh"])
def test_inplace_activation(name):
    x = data(4, 3)
    ours = getattr(nn, name)(inplace=True)
    theirs = getattr(torch.nn, name)(inplace=True)
    xo, xt = npgrad.tensor(x.copy()), torch.tensor(x.copy())
    yo, yt = ours(xo), theirs(xt)
    assert yo is xo and yt is xt  # the input itself now holds the result
    np.testing.assert_allclose(xo.numpy(), xt.numpy(), **TOL)
    # inside a graph: the result is right and gradients flow
    a = npgrad.tensor(x, requires_grad=True)
    h = a * 1.0
    out = ours(h)
    out.sum().backward()
    at = torch.tensor(x, requires_grad=True)
    theirs(at * 1.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), **TOL)


def test_functional_activations_match_torch():
    x = data(3, 4, scale=2.0)
    xo, xt = npgrad.tensor(x), torch.tensor(x)
    pairs = [
        (F.relu(xo), torch.nn.functional.relu(xt)),
        (F.leaky_relu(xo, 0.2), torch.nn.functional.leaky_relu(xt, 0.2)),
        (F.elu(xo, 2.0), torch.nn.functional.elu(xt, 2.0)),
        (F.gelu(xo, approximate="tanh"), torch.nn.functional.gelu(xt, approximate="tanh")),
        (F.silu(xo), torch.nn.functional.silu(xt)),
        (F.sigmoid(xo), torch.sigmoid(xt)),
        (F.tanh(xo), torch.tanh(xt)),
        (F.softplus(xo, beta=0.5), torch.nn.functional.softplus(xt, beta=0.5)),
        (F.softmax(xo, dim=-1), torch.nn.functional.softmax(xt, dim=-1)),
        (F.log_softmax(xo, 1), torch.nn.functional.log_softmax(xt, 1)),
        (F.softmax(xo, dim=0, dtype=npgrad.float64), torch.nn.functional.softmax(xt, dim=0, dtype=torch.float64)),
        (F.normalize(xo), torch.nn.functional.normalize(xt)),
        (F.relu6(xo * 4), torch.nn.functional.relu6(xt * 4)),
    ]
    for o, t in pairs:
        assert o.dtype.name == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(o.numpy(), t.numpy(), **TOL)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        np.testing.assert_allclose(F.softmax(xo).numpy(), torch.nn.functional.softmax(xt, dim=1).numpy(), **TOL)
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(xo, approximate="erf")


# ---------------------------------------------------------------------- Flatten and friends
def test_flatten_unflatten_identity():
    x = data(2, 3, 4, 5)
    check(nn.Flatten(), torch.nn.Flatten(), x)
    check(nn.Flatten(0, 2), torch.nn.Flatten(0, 2), x)
    check(nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)), x)
    check(nn.Sequential(nn.Flatten(), nn.Unflatten(1, (12, 5))),
          torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Unflatten(1, (12, 5))), x)
    assert nn.Identity(3, key=4)(npgrad.ones(1)).item() == 1.0


# ---------------------------------------------------------------------- Dropout
def test_dropout_is_inverted_and_reproducible():
    npgrad.manual_seed(3)
    drop = nn.Dropout(0.25)
    x = npgrad.ones(200, 100, requires_grad=True)
    y = drop(x)
    out = y.detach().numpy()
    assert out.dtype == np.float32
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # survivors are scaled by 1/(1-p)
    y.backward(npgrad.full((200, 100), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), 2 * out)  # the gradient uses the same mask
    npgrad.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.25)(npgrad.ones(200, 100)).numpy(), out)


def test_dropout_is_identity_in_eval_and_at_p0():
    x = npgrad.randn(5, 5)
    drop = nn.Dropout(0.5).eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert F.dropout(x, 0.9, training=False) is x
    assert not nn.Dropout(1.0)(x).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_dropout_matches_torch_given_the_same_mask():
    """Same mask (read off our output) -> same values and gradient as torch's formula."""
    x = data(30, 40)
    npgrad.manual_seed(1)
    xo = npgrad.tensor(x, requires_grad=True)
    yo = F.dropout(xo, 0.3)
    mask = (yo.detach().numpy() != 0).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = xt * torch.tensor(mask) / 0.7
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), **TOL)
    yo.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), **TOL)


# ---------------------------------------------------------------------- BatchNorm
@pytest.mark.parametrize(
    "cls,shape,kw",
    [
        ("BatchNorm1d", (8, 5), {}),
        ("BatchNorm1d", (4, 5, 3), {}),
        ("BatchNorm1d", (8, 5), dict(momentum=None)),
        ("BatchNorm1d", (8, 5), dict(affine=False)),
        ("BatchNorm1d", (8, 5), dict(bias=False)),
        ("BatchNorm1d", (8, 5), dict(track_running_stats=False)),
        ("BatchNorm1d", (8, 5), dict(eps=1e-2, momentum=0.5)),
        ("BatchNorm2d", (4, 3, 5, 6), {}),
        ("BatchNorm2d", (4, 3, 5, 6), dict(momentum=None, affine=False)),
    ],
)
def test_batchnorm_train_then_eval(cls, shape, kw):
    ours, theirs = getattr(nn, cls)(shape[1], **kw), getattr(torch.nn, cls)(shape[1], **kw)
    with torch.no_grad():  # non-trivial affine parameters
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    x = data(*shape, scale=2.0) + 0.5
    check(ours, theirs, x, train=True, steps=3)  # running stats after 3 updates are compared
    if theirs.num_batches_tracked is not None:
        assert ours.num_batches_tracked.item() == 3
    check(ours, theirs, data(*shape, seed=1), train=False)  # eval: running statistics
    assert repr(ours) == repr(theirs)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(npgrad.randn(1, 3))
    nn.BatchNorm1d(3).eval()(npgrad.randn(1, 3))  # fine in eval
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(npgrad.randn(2, 3))
    with pytest.raises(ValueError, match="3 channels"):
        nn.BatchNorm1d(4)(npgrad.randn(2, 3))


def test_functional_batch_norm_matches_torch():
    x = data(6, 4, 3)
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)
    w, b = data(4, seed=2), data(4, seed=3)
    o_rm, o_rv = npgrad.tensor(rm), npgrad.tensor(rv)
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    for training in (True, False):
        yo = F.batch_norm(npgrad.tensor(x), o_rm, o_rv, npgrad.tensor(w), npgrad.tensor(b), training, 0.2, 1e-3)
        yt = torch.nn.functional.batch_norm(torch.tensor(x), t_rm, t_rv, torch.tensor(w), torch.tensor(b), training, 0.2, 1e-3)
        np.testing.assert_allclose(yo.numpy(), yt.numpy(), **TOL)
        np.testing.assert_allclose(o_rm.numpy(), t_rm.numpy(), **TOL)
        np.testing.assert_allclose(o_rv.numpy(), t_rv.numpy(), **TOL)


# ---------------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize(
    "shape,norm,kw",
    [((4, 6), 6, {}), ((2, 3, 4, 5), (4, 5), {}), ((3, 6), 6, dict(elementwise_affine=False)),
     ((3, 6), [6], dict(bias=False)), ((3, 6), 6, dict(eps=0.1))],
)
def test_layernorm(shape, norm, kw):
    ours, theirs = nn.LayerNorm(norm, **kw), torch.nn.LayerNorm(norm, **kw)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    check(ours, theirs, data(*shape, scale=3.0) + 1)
    assert repr(ours) == repr(theirs)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        ours(npgrad.randn(3, 7))


# ---------------------------------------------------------------------- Embedding
@pytest.mark.parametrize(
    "kw", [{}, dict(padding_idx=1), dict(padding_idx=-2), dict(scale_grad_by_freq=True), dict(max_norm=1.0)]
)
def test_embedding(kw):
    ours, theirs = nn.Embedding(6, 4, **kw), torch.nn.Embedding(6, 4, **kw)
    idx = np.array([[0, 1, 1, 5], [4, 4, 4, 1]], np.int64)  # repeated ids accumulate
    check(ours, theirs, idx, integer_input=True)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), **TOL)
    assert repr(ours) == repr(theirs)


def test_embedding_defaults_and_errors():
    npgrad.manual_seed(0)
    emb = nn.Embedding(1000, 20, padding_idx=0)
    w = emb.weight.detach().numpy()
    assert not w[0].any() and abs(w[1:].std() - 1) < 0.02  # N(0, 1), padding row zero
    with pytest.raises(IndexError, match="index 1000 is out of range for a table of 1000 rows"):
        emb(npgrad.tensor([1, 1000]))
    with pytest.raises(RuntimeError, match="integer"):
        emb(npgrad.tensor([1.0]))
    pre = nn.Embedding.from_pretrained(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(pre(npgrad.tensor([1])).numpy(), [[3.0, 4.0]])
