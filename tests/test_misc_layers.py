"""Layers of issue 11 against PyTorch: GroupNorm, InstanceNorm1d/2d/3d, Mish, Bilinear,
CosineSimilarity, PairwiseDistance, EmbeddingBag, ParameterList, ParameterDict, and their
``F.`` forms. Values and gradients in float32 and float64, gradcheck in float64, state_dict
keys, initialisation, repr, and errors."""
import math
import warnings
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from conftest import assert_same, pair

import npgrad
import npgrad.nn.functional as F
from npgrad import nn
from npgrad.autograd import gradcheck


def _F(L):
    return F if L is npgrad else TF


def _i(L, values):
    return L.tensor(values)


# fn(L, *inputs); every input is a float tensor that requires grad
FUNCTIONAL = [
    ("group_norm", lambda L, x: _F(L).group_norm(x, 2), [(2, 4, 3)]),
    ("group_norm_affine", lambda L, x, w, b: _F(L).group_norm(x, 3, w, b, eps=1e-3), [(2, 6, 2, 3), (6,), (6,)]),
    ("group_norm_one_group", lambda L, x, w: _F(L).group_norm(x, 1, w), [(3, 4), (4,)]),
    ("instance_norm", lambda L, x: _F(L).instance_norm(x), [(2, 3, 5)]),
    ("instance_norm_affine", lambda L, x, w, b: _F(L).instance_norm(x, weight=w, bias=b), [(2, 3, 2, 3), (3,), (3,)]),
    ("mish", lambda L, x: _F(L).mish(x), [(2, 5)]),
    ("bilinear", lambda L, a, b, w, c: _F(L).bilinear(a, b, w, c), [(4, 3), (4, 2), (5, 3, 2), (5,)]),
    ("bilinear_nobias_batch", lambda L, a, b, w: _F(L).bilinear(a, b, w), [(2, 4, 3), (2, 4, 2), (5, 3, 2)]),
    ("cosine_similarity", lambda L, a, b: _F(L).cosine_similarity(a, b), [(4, 5), (4, 5)]),
    ("cosine_similarity_dim", lambda L, a, b: _F(L).cosine_similarity(a, b, dim=-1, eps=1e-6), [(2, 3, 4), (3, 4)]),
    ("cosine_similarity_1d", lambda L, a, b: _F(L).cosine_similarity(a, b, dim=0), [(5,), (5,)]),
    ("pairwise_distance", lambda L, a, b: _F(L).pairwise_distance(a, b), [(4, 5), (4, 5)]),
    ("pairwise_distance_p1_keepdim", lambda L, a, b: _F(L).pairwise_distance(a, b, p=1, keepdim=True), [(4, 5), (5,)]),
    ("pairwise_distance_p3", lambda L, a, b: _F(L).pairwise_distance(a, b, p=3.0, eps=1e-3), [(2, 3, 5), (2, 3, 5)]),
    ("pairwise_distance_1d", lambda L, a, b: _F(L).pairwise_distance(a, b), [(5,), (5,)]),
    ("embedding_bag_mean_2d", lambda L, w: _F(L).embedding_bag(_i(L, [[0, 2, 4], [4, 3, 4]]), w), [(6, 3)]),
    ("embedding_bag_sum_offsets", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 2, 4, 5, 4, 3, 2, 9]), w, _i(L, [0, 3, 3, 6]), mode="sum"), [(10, 4)]),
    ("embedding_bag_mean_offsets", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 2, 4, 5, 4, 3, 2, 9]), w, _i(L, [0, 4, 4]), mode="mean"), [(10, 4)]),
    ("embedding_bag_max", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 2, 4, 5, 4, 3, 2, 9]), w, _i(L, [0, 2, 2, 5]), mode="max"), [(10, 4)]),
    ("embedding_bag_max_2d", lambda L, w: _F(L).embedding_bag(_i(L, [[0, 2], [1, 1]]), w, mode="max"), [(3, 2)]),
    ("embedding_bag_psw", lambda L, w, p: _F(L).embedding_bag(
        _i(L, [1, 2, 4, 5, 4, 3]), w, _i(L, [0, 2]), mode="sum", per_sample_weights=p), [(6, 3), (6,)]),
    ("embedding_bag_psw_2d", lambda L, w, p: _F(L).embedding_bag(
        _i(L, [[1, 2], [0, 0]]), w, mode="sum", per_sample_weights=p), [(3, 3), (2, 2)]),
    ("embedding_bag_last_offset", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 2, 4, 5, 4, 3]), w, _i(L, [0, 2, 6]), mode="sum", include_last_offset=True), [(6, 3)]),
    ("embedding_bag_padding_mean", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 0, 4, 0, 0, 3]), w, _i(L, [0, 2, 3, 5]), mode="mean", padding_idx=0), [(6, 3)]),
    ("embedding_bag_padding_sum", lambda L, w: _F(L).embedding_bag(
        _i(L, [[1, 5], [5, 5]]), w, mode="sum", padding_idx=-1), [(6, 3)]),
    ("embedding_bag_padding_max", lambda L, w: _F(L).embedding_bag(
        _i(L, [1, 0, 4, 0, 0, 3]), w, _i(L, [0, 2, 3, 5]), mode="max", padding_idx=0), [(6, 3)]),
]
CASES = [pytest.param(fn, shapes, id=name) for name, fn, shapes in FUNCTIONAL]


def _inputs(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("fn, shapes", CASES)
def test_functional_matches_torch(fn, shapes, dtype):
    pairs = [pair(a, requires_grad=True) for a in _inputs(shapes, dtype, zlib.crc32(str(shapes).encode()))]
    ours_in, theirs_in = [p[0] for p in pairs], [p[1] for p in pairs]
    ours, theirs = fn(npgrad, *ours_in), fn(torch, *theirs_in)
    assert_same(ours, theirs, "output")
    w = np.random.default_rng(1).standard_normal(tuple(theirs.shape)).astype(dtype)
    (ours * npgrad.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (x, tx) in enumerate(zip(ours_in, theirs_in)):
        assert_same(x.grad, tx.grad, f"gradient of input {i}")


@pytest.mark.parametrize("fn, shapes", CASES)
def test_functional_gradcheck(fn, shapes):
    inputs = [npgrad.tensor(a, requires_grad=True) for a in _inputs(shapes, np.float64, 3)]
    assert gradcheck(lambda *xs: fn(npgrad, *xs), inputs)


# ---------------------------------------------------------------- modules against torch
def _copy_params(ours, theirs):
    """Load torch's state into ours (the keys must be the same)."""
    state = {k: npgrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


MODULES = [
    ("GroupNorm", lambda m: m.GroupNorm(2, 6), (3, 6, 4)),
    ("GroupNorm_noaffine", lambda m: m.GroupNorm(3, 3, eps=1e-3, affine=False), (2, 3, 2, 2)),
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(3), (2, 3, 5)),
    ("InstanceNorm1d_unbatched", lambda m: m.InstanceNorm1d(3, affine=True), (3, 5)),
    ("InstanceNorm2d_affine", lambda m: m.InstanceNorm2d(4, affine=True), (2, 4, 3, 3)),
    ("InstanceNorm2d_tracked", lambda m: m.InstanceNorm2d(4, affine=True, track_running_stats=True), (2, 4, 3, 3)),
    ("InstanceNorm2d_tracked_unbatched", lambda m: m.InstanceNorm2d(2, track_running_stats=True, momentum=0.3), (2, 3, 3)),
    ("InstanceNorm3d", lambda m: m.InstanceNorm3d(2, affine=True), (2, 2, 2, 3, 2)),
    ("Mish", lambda m: m.Mish(), (3, 4)),
    ("Bilinear", lambda m: m.Bilinear(3, 2, 4), ((5, 3), (5, 2))),
    ("Bilinear_nobias", lambda m: m.Bilinear(3, 2, 4, bias=False), ((2, 5, 3), (2, 5, 2))),
    ("CosineSimilarity", lambda m: m.CosineSimilarity(dim=0), ((4, 3), (4, 3))),
    ("PairwiseDistance", lambda m: m.PairwiseDistance(p=1.5, keepdim=True), ((4, 3), (4, 3))),
    ("EmbeddingBag", lambda m: m.EmbeddingBag(10, 3), "bags"),
    ("EmbeddingBag_sum_pad", lambda m: m.EmbeddingBag(10, 3, mode="sum", padding_idx=2), "bags"),
    ("EmbeddingBag_max", lambda m: m.EmbeddingBag(10, 3, mode="max"), "bags"),
]


def _module_inputs(spec, L, dtype):
    if spec == "bags":
        return (L.tensor([1, 2, 2, 7, 9, 0, 3]), L.tensor([0, 3, 3]))
    shapes = spec if isinstance(spec[0], tuple) else (spec,)
    arrays = _inputs(shapes, dtype, 5)
    return tuple(L.tensor(a, requires_grad=True) for a in arrays)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name, make, spec", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, make, spec, dtype):
    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()), "state_dict keys"
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs).replace("torch.", "npgrad."), "repr"
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    _copy_params(ours, theirs)
    for step in range(2):  # twice: running statistics move between the two
        x_ours, x_theirs = _module_inputs(spec, npgrad, dtype), _module_inputs(spec, torch, dtype)
        y_ours, y_theirs = ours(*x_ours), theirs(*x_theirs)
        assert_same(y_ours, y_theirs, f"{name}: output, step {step}")
        w = np.random.default_rng(step).standard_normal(tuple(y_theirs.shape)).astype(dtype)
        (y_ours * npgrad.tensor(w)).sum().backward()
        (y_theirs * torch.tensor(w)).sum().backward()
        for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_same(p.grad, tp.grad, f"{name}: grad of {k}")
        for xo, xt in zip(x_ours, x_theirs):
            if xt.requires_grad:
                assert_same(xo.grad, xt.grad, f"{name}: grad of input")
    for (k, b), (_, tb) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert_same(b, tb, f"{name}: state {k}")
    # eval: tracked running statistics normalize now
    ours.eval(), theirs.eval()
    x_ours, x_theirs = _module_inputs(spec, npgrad, dtype), _module_inputs(spec, torch, dtype)
    assert_same(ours(*x_ours), theirs(*x_theirs), f"{name}: eval output")


def test_instance_norm_momentum_none_and_functional_running_stats():
    x = np.random.default_rng(0).standard_normal((3, 2, 6)).astype(np.float32)
    for momentum in (None, 0.5):
        ours = nn.InstanceNorm1d(2, track_running_stats=True, momentum=momentum)
        theirs = torch.nn.InstanceNorm1d(2, track_running_stats=True, momentum=momentum)
        assert_same(ours(npgrad.tensor(x)), theirs(torch.tensor(x)))
        assert_same(ours.running_mean, theirs.running_mean)
        assert_same(ours.running_var, theirs.running_var)
        assert_same(ours.num_batches_tracked, theirs.num_batches_tracked)
    rm, rv = pair(np.zeros(2, np.float32)), pair(np.ones(2, np.float32))
    o = F.instance_norm(npgrad.tensor(x), rm[0], rv[0], momentum=0.2)
    t = TF.instance_norm(torch.tensor(x), rm[1], rv[1], momentum=0.2)
    assert_same(o, t)
    assert_same(rm[0], rm[1])
    assert_same(rv[0], rv[1])
    o = F.instance_norm(npgrad.tensor(x), rm[0], rv[0], use_input_stats=False)
    t = TF.instance_norm(torch.tensor(x), rm[1], rv[1], use_input_stats=False)
    assert_same(o, t)


def test_inits_follow_torch():
    npgrad.manual_seed(0)
    b = nn.Bilinear(20, 5, 30)
    bound = 1 / math.sqrt(20)
    for p in (b.weight, b.bias):
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound and a.max() - a.min() > 1.5 * bound
    assert tuple(b.weight.shape) == (30, 20, 5)
    e = nn.EmbeddingBag(2000, 8, padding_idx=3)
    w = e.weight.detach().numpy()
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    assert not w[3].any()
    g = nn.GroupNorm(2, 4)
    assert g.weight.tolist() == [1.0] * 4 and g.bias.tolist() == [0.0] * 4
    i = nn.InstanceNorm2d(3)
    assert i.weight is None and i.running_mean is None and not list(i.state_dict())


def test_embedding_bag_from_pretrained_and_paths():
    from npgrad.nn.modules.linear import Bilinear, Identity, Linear  # noqa: F401
    from npgrad.nn.modules.sparse import Embedding, EmbeddingBag

    assert Embedding is nn.Embedding and EmbeddingBag is nn.EmbeddingBag
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    ours = EmbeddingBag.from_pretrained(npgrad.tensor(w), mode="sum")
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum")
    assert ours.weight.requires_grad == theirs.weight.requires_grad == False  # noqa: E712
    assert_same(ours(npgrad.tensor([[0, 3], [1, 1]])), theirs(torch.tensor([[0, 3], [1, 1]])))


def test_torch_state_dict_loads():
    theirs = torch.nn.ModuleDict({"g": torch.nn.GroupNorm(2, 4), "b": torch.nn.Bilinear(2, 3, 4),
                                  "e": torch.nn.EmbeddingBag(5, 2),
                                  "i": torch.nn.InstanceNorm1d(4, affine=True, track_running_stats=True)})
    ours = nn.ModuleDict({"g": nn.GroupNorm(2, 4), "b": nn.Bilinear(2, 3, 4), "e": nn.EmbeddingBag(5, 2),
                          "i": nn.InstanceNorm1d(4, affine=True, track_running_stats=True)})
    state = {k: npgrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    x1, x2 = np.ones((2, 2), np.float32), np.ones((2, 3), np.float32)
    assert_same(ours["b"](npgrad.tensor(x1), npgrad.tensor(x2)), theirs["b"](torch.tensor(x1), torch.tensor(x2)))


# ---------------------------------------------------------------- errors
def _both_raise(fn, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises((RuntimeError, ValueError, IndexError, NotImplementedError, AssertionError), match=match):
        fn(npgrad)


def test_errors():
    _both_raise(lambda L: L.nn.GroupNorm(3, 4), "divisible")
    _both_raise(lambda L: _F(L).group_norm(L.ones(2, 4, 3), 3), "divisible")
    _both_raise(lambda L: L.nn.InstanceNorm2d(3)(L.ones(2, 3)), "3D or 4D")
    _both_raise(lambda L: L.nn.InstanceNorm2d(3, affine=True)(L.ones(1, 4, 2, 2)), "num_features")
    _both_raise(lambda L: _F(L).instance_norm(L.ones(2, 3, 1)), "spatial")
    _both_raise(lambda L: L.nn.Bilinear(3, 2, 4)(L.ones(5, 3), L.ones(4, 2)), "bilinear")
    _both_raise(lambda L: L.nn.Bilinear(3, 2, 4)(L.ones(5, 2), L.ones(5, 2)), "bilinear")
    _both_raise(lambda L: _F(L).embedding_bag(L.tensor([[1, 2]]), L.ones(3, 2), L.tensor([0])), "offsets")
    _both_raise(lambda L: _F(L).embedding_bag(L.tensor([1, 2]), L.ones(3, 2), L.tensor([1])), "offsets")
    _both_raise(lambda L: _F(L).embedding_bag(L.tensor([1, 2]), L.ones(3, 2), L.tensor([0]),
                                              mode="mean", per_sample_weights=L.ones(2)), "per_sample_weights")
    _both_raise(lambda L: L.nn.EmbeddingBag(3, 2, padding_idx=3), "padding_idx")
    _both_raise(lambda L: L.nn.ParameterList([L.ones(1)])[1], "out of range")
    _both_raise(lambda L: L.nn.ParameterList()(1), "should not be called")


# ---------------------------------------------------------------- ParameterList / ParameterDict
def _same_listing(ours, theirs):
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs).replace("torch.", "npgrad.")


def test_parameter_list_as_torch():
    arrays = [np.full((2, 3), 1.0, np.float32), np.zeros(4, np.float32), np.ones(1, np.float32)]

    def build(L):
        pl = L.nn.ParameterList([L.nn.Parameter(L.tensor(arrays[0])), L.tensor(arrays[1])])
        pl.append(L.tensor(arrays[2]))
        pl.extend(["not a tensor"])
        pl += [L.nn.Parameter(L.tensor(arrays[1]), requires_grad=False)]
        pl[1] = L.tensor(arrays[2])
        return pl

    ours, theirs = build(npgrad), build(torch)
    assert len(ours) == len(theirs) == 5
    _same_listing(ours, theirs)
    assert isinstance(ours[1], nn.Parameter) and ours[1].requires_grad
    assert ours[-2] == "not a tensor"
    assert [type(p).__name__ for p in ours] == [type(p).__name__ for p in theirs]
    sliced_ours, sliced_theirs = ours[1:4:2], theirs[1:4:2]
    assert isinstance(sliced_ours, nn.ParameterList) and len(sliced_ours) == len(sliced_theirs) == 2
    assert sliced_ours[0] is ours[1]
    m = nn.Module()
    m.plist = ours
    tm = torch.nn.Module()
    tm.plist = theirs
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    # trained as a model's parameters
    opt = npgrad.optim.SGD(m.parameters(), lr=0.5)
    loss = sum(p.sum() for p in m.parameters() if p.requires_grad)
    loss.backward()
    opt.step()
    assert ours[0].tolist()[0] == [0.5, 0.5, 0.5]


def test_parameter_dict_as_torch():
    def build(L):
        pd = L.nn.ParameterDict({"b": L.ones(2), "a": L.nn.Parameter(L.zeros(3, 1))})
        pd["c"] = L.ones(1, 2)
        pd.update(OrderedDict([("z", L.ones(2)), ("y", "obj")]))
        pd.update([("x", L.zeros(1))])
        pd.setdefault("w", L.ones(5))
        return pd

    ours, theirs = build(npgrad), build(torch)
    _same_listing(ours, theirs)
    assert list(ours) == list(theirs) and list(ours.keys()) == list(theirs.keys())
    assert "a" in ours and "q" not in ours and len(ours) == len(theirs)
    assert [type(v).__name__ for v in ours.values()] == [type(v).__name__ for v in theirs.values()]
    assert ours.get("q", 3) == 3 and ours["y"] == "obj"
    k, v = ours.popitem()
    tk, tv = theirs.popitem()
    assert k == tk and tuple(v.shape) == tuple(tv.shape)
    assert tuple(ours.pop("a").shape) == tuple(theirs.pop("a").shape)
    _same_listing(ours, theirs)
    merged = ours | nn.ParameterDict({"new": npgrad.ones(1)})
    assert list(merged) == list(ours) + ["new"] and "new" not in ours
    copy = ours.copy()
    assert list(copy) == list(ours) and copy["b"] is ours["b"]
    del ours["b"]
    assert "b" not in ours and "b" not in dict(ours.named_parameters())
    ours.clear()
    assert len(ours) == 0 and not list(ours.parameters())
    with pytest.raises(TypeError):
        ours[1] = npgrad.ones(1)
    with pytest.raises(KeyError):
        ours["missing"]


def test_gelu_float64_is_exact():
    """GELU's erf was a 1.5e-7 approximation: in float64 it now matches torch to 1e-12."""
    x = np.linspace(-6, 6, 2001)
    (o, t) = pair(x, requires_grad=True)
    yo, yt = F.gelu(o), TF.gelu(t)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-300)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-15)
