"""Tensor functions of issue 11 against PyTorch: tril/triu, einsum, diag, trace, outer, kron,
tensordot, addmm, baddbmm, cdist, lerp, erf/erfc/erfinv, bincount, histc, repeat_interleave,
meshgrid, scatter/scatter_add/index_add, masked_select, nonzero, unfold, cummax/cummin.

Each row of ``OPS`` is ``fn(L, *inputs)``, run with L = npgrad and L = torch on the same
values: outputs (values, shapes, dtypes) and the gradients of every float input must match
in float32 and float64, and float64 gradients must pass gradcheck.
"""
import warnings
import zlib
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
from npgrad.autograd import gradcheck


class Op(NamedTuple):
    name: str
    fn: Callable  # fn(L, *inputs)
    shapes: tuple  # one tuple of input shapes per case
    domain: str = "real"
    gradcheck: bool = True


def _i(L, values):
    return L.tensor(values)


def _mask(L, shape, seed=0):
    return L.tensor(np.random.default_rng(seed).random(shape) > 0.4)


OPS = [
    Op("tril", lambda L, a: L.tril(a), [((4, 4),), ((2, 3, 5),), ((0, 3),)]),
    Op("tril_k", lambda L, a: a.tril(-1) + L.tril(a, 2), [((3, 5),)]),
    Op("triu", lambda L, a: L.triu(a), [((4, 4),), ((2, 5, 3),)]),
    Op("triu_k", lambda L, a: a.triu(1) * 2 + L.triu(a, diagonal=-2), [((5, 3),)]),
    Op("narrow", lambda L, a: L.narrow(a, 1, 1, 2) + a.narrow(-1, -3, 2), [((3, 4),)]),
    Op("narrow0", lambda L, a: a.narrow(0, 2, 0), [((3, 4),)]),
    Op("einsum_mm", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))]),
    Op("einsum_implicit", lambda L, a, b: L.einsum("ij,jk", a, b), [((2, 3), (3, 4))]),
    Op("einsum_implicit_order", lambda L, a, b: L.einsum("kj,ji", a, b), [((2, 3), (3, 4))]),
    Op("einsum_batch", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [((2, 2, 3), (2, 3, 4))]),
    Op("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
       [((2, 1, 2, 3), (5, 3, 2)), ((2, 3), (3, 4))]),
    Op("einsum_ellipsis_implicit", lambda L, a, b: L.einsum("...ij,...jk", a, b), [((4, 2, 3), (3, 2))]),
    Op("einsum_ellipsis_middle", lambda L, a: L.einsum("i...j->j...i", a), [((2, 3, 4, 5),)]),
    Op("einsum_trace", lambda L, a: L.einsum("ii", a), [((3, 3),)]),
    Op("einsum_diag", lambda L, a: L.einsum("ii->i", a), [((3, 3),)]),
    Op("einsum_diag_batch", lambda L, a: L.einsum("bii->bi", a), [((2, 3, 3),)]),
    Op("einsum_sum_own_label", lambda L, a, b: L.einsum("ij,j->", a, b), [((2, 3), (3,))]),
    Op("einsum_outer", lambda L, a, b: L.einsum("i,j->ij", a, b), [((3,), (4,))]),
    Op("einsum_sumout", lambda L, a: L.einsum("ijk->j", a), [((2, 3, 4),)]),
    Op("einsum_bcast1", lambda L, a, b: L.einsum("ab,ab->ab", a, b), [((1, 3), (5, 3))]),
    Op("einsum_three", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 4), (4, 2))]),
    Op("einsum_list", lambda L, a, b: L.einsum("bhqd,bhkd->bhqk", [a, b]), [((2, 2, 3, 4), (2, 2, 5, 4))]),
    Op("einsum_upper", lambda L, a, b: L.einsum("Ab,bC->AC", a, b), [((2, 3), (3, 4))]),
    Op("einsum_spaces", lambda L, a, b: L.einsum("i j , j -> i", a, b), [((2, 3), (3,))]),
    Op("diag_embed", lambda L, a: L.diag(a) + 0, [((3,),)]),
    Op("diag_embed_k", lambda L, a: L.diag(a, 2) + a.diag(-1).sum(), [((3,),)]),
    Op("diag_take", lambda L, a: L.diag(a), [((3, 4),)]),
    Op("diag_take_k", lambda L, a: a.diag(1) * 2 + L.diag(a, -1)[:2].sum(), [((4, 3),)]),
    Op("diag_take_far", lambda L, a: a.diag(5), [((3, 4),)]),
    Op("diagonal", lambda L, a: L.diagonal(a) + a.diagonal(1).sum(), [((3, 4),), ((4, 3),)]),
    Op("diagonal_dims", lambda L, a: L.diagonal(a, -1, 0, 2) * 2 + a.diagonal(offset=1, dim1=-1, dim2=-2).sum(),
       [((3, 2, 4),)]),
    Op("trace", lambda L, a: L.trace(a) + a.trace(), [((3, 4),), ((4, 2),)]),
    Op("outer", lambda L, a, b: L.outer(a, b) + a.outer(b) + L.ger(a, b), [((3,), (4,)), ((0,), (2,))]),
    Op("kron", lambda L, a, b: L.kron(a, b), [((2, 3), (3, 2)), ((3,), (2, 2)), ((2, 1, 2), (2, 3))]),
    Op("tensordot2", lambda L, a, b: L.tensordot(a, b), [((2, 3, 4), (3, 4, 5))]),
    Op("tensordot1", lambda L, a, b: L.tensordot(a, b, dims=1), [((2, 3), (3, 4))]),
    Op("tensordot0", lambda L, a, b: L.tensordot(a, b, dims=0), [((2,), (3,))]),
    Op("tensordot_lists", lambda L, a, b: L.tensordot(a, b, dims=([1, 0], [0, 2])), [((3, 2, 4), (2, 5, 3))]),
    Op("addmm", lambda L, c, a, b: L.addmm(c, a, b), [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))]),
    Op("addmm_scaled", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=-2.0) + c.addmm(a, b, beta=0),
       [((2, 4), (2, 3), (3, 4))]),
    Op("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b) + c.baddbmm(a, b, beta=2, alpha=0.5),
       [((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((1, 4), (2, 2, 3), (2, 3, 4))]),
    Op("cdist2", lambda L, a, b: L.cdist(a, b), [((3, 4), (5, 4)), ((2, 3, 2), (2, 4, 2))]),
    Op("cdist1", lambda L, a, b: L.cdist(a, b, p=1), [((3, 4), (5, 4))]),
    Op("cdist3", lambda L, a, b: L.cdist(a, b, p=3), [((3, 4), (5, 4))]),
    Op("cdist_half", lambda L, a, b: L.cdist(a, b, p=0.5), [((3, 4), (2, 4))]),
    Op("cdist_inf", lambda L, a, b: L.cdist(a, b, p=float("inf")), [((3, 4), (2, 4))]),
    Op("cdist0", lambda L, a, b: L.cdist(a, b, p=0), [((3, 4), (2, 4))]),
    Op("lerp", lambda L, a, b: L.lerp(a, b, 0.3) + a.lerp(b, 0.75), [((2, 3), (2, 3)), ((2, 3), (3,))]),
    Op("lerp_tensor_weight", lambda L, a, b, w: L.lerp(a, b, w), [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ())]),
    Op("erf", lambda L, a: L.erf(a) + a.erf(), [((2, 3),), ((),), ((0,),)]),
    Op("erfc", lambda L, a: L.erfc(a) + a.erfc(), [((2, 3),)]),
    Op("erfinv", lambda L, a: L.erfinv(a) + a.erfinv(), [((2, 3),)], domain="unit"),
    Op("repeat_interleave_int", lambda L, a: L.repeat_interleave(a, 2), [((2, 3),), ((),)]),
    Op("repeat_interleave_dim", lambda L, a: a.repeat_interleave(3, dim=1), [((2, 3),)]),
    Op("repeat_interleave_tensor", lambda L, a: L.repeat_interleave(a, _i(L, [1, 0, 2]), dim=0), [((3, 2),)]),
    Op("repeat_interleave_neg_dim", lambda L, a: a.repeat_interleave(_i(L, [2]), dim=-1), [((2, 3),)]),
    Op("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [((3,), (4,))]),
    Op("meshgrid_xy", lambda L, a, b, c: L.meshgrid([a, b, c], indexing="xy"), [((3,), (4,), (2,))]),
    Op("meshgrid_0d", lambda L, a, b: L.meshgrid(a, b, indexing="xy"), [((), (4,))]),
    Op("scatter", lambda L, a, s: L.scatter(a, 0, _i(L, [[0, 1, 2], [2, 0, 1]]), s),
       [((3, 3), (2, 3)), ((4, 5), (2, 3))]),
    Op("scatter_dim1", lambda L, a, s: a.scatter(1, _i(L, [[3, 0], [1, 2]]), s), [((2, 4), (2, 2))]),
    Op("scatter_value", lambda L, a: L.scatter(a, 1, _i(L, [[0], [2]]), 1.5) + a.scatter(1, _i(L, [[1], [0]]), value=-2),
       [((2, 3),)]),
    Op("scatter_add", lambda L, a, s: L.scatter_add(a, 0, _i(L, [[0, 1, 0], [0, 0, 2]]), s),
       [((3, 3), (2, 3)), ((3, 4), (2, 3))]),
    Op("scatter_add_method", lambda L, a, s: a.scatter_add(1, _i(L, [[0, 0, 1]]), s), [((2, 2), (1, 3))]),
    Op("index_add", lambda L, a, s: L.index_add(a, 0, _i(L, [0, 2, 0]), s), [((3, 2), (3, 2))]),
    Op("index_add_alpha", lambda L, a, s: a.index_add(1, _i(L, [1, 1]), s, alpha=2.5), [((2, 3), (2, 2))]),
    Op("masked_select", lambda L, a: L.masked_select(a, _mask(L, (3, 4))) + 0, [((3, 4),)]),
    Op("masked_select_bcast", lambda L, a: a.masked_select(_mask(L, (2, 3, 4), 1)), [((3, 4),), ((4,),)]),
    Op("unfold", lambda L, a: a.unfold(0, 2, 1), [((5,),), ((4, 3),)]),
    Op("unfold_step", lambda L, a: a.unfold(1, 3, 2), [((2, 7),), ((2, 6, 2),)]),
    Op("unfold_gap", lambda L, a: a.unfold(-1, 2, 3), [((3, 8),)]),
    Op("cummax", lambda L, a: L.cummax(a, 1), [((3, 5),)]),
    Op("cummax_ties", lambda L, a: a.cummax(0), [((6, 2),)], domain="ties", gradcheck=False),
    Op("cummin", lambda L, a: L.cummin(a, -1), [((3, 5),)]),
]

CASES = [
    pytest.param(op, shapes, id=f"{op.name}-{'-'.join(map(str, shapes))}".replace(" ", ""))
    for op in OPS
    for shapes in op.shapes
]


def _inputs(op, shapes, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{op.name}{shapes}".encode()))
    out = []
    for s in shapes:
        if op.domain == "unit":
            x = rng.uniform(-0.9, 0.9, s)
        elif op.domain == "ties":
            x = rng.choice([-1.0, 0.0, 1.0], s)
        else:
            x = rng.uniform(-2, 2, s)
        out.append(np.asarray(x, dtype=dtype))
    return out


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("op, shapes", CASES)
def test_matches_torch(op, shapes, dtype):
    pairs = [pair(a, requires_grad=True) for a in _inputs(op, shapes, dtype)]
    ours_in, theirs_in = [p[0] for p in pairs], [p[1] for p in pairs]
    ours, theirs = _flat(op.fn(npgrad, *ours_in)), _flat(op.fn(torch, *theirs_in))
    assert len(ours) == len(theirs)
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert_same(o, t, f"{op.name}: output {k}")
        assert o.requires_grad == t.requires_grad, f"{op.name}: output {k} requires_grad"
    rng = np.random.default_rng(1)
    ours_loss = theirs_loss = 0
    for o, t in zip(ours, theirs):
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(dtype)
            ours_loss = ours_loss + (o * npgrad.tensor(w)).sum()
            theirs_loss = theirs_loss + (t * torch.tensor(w)).sum()
    if not isinstance(theirs_loss, torch.Tensor):
        return
    ours_loss.backward()
    theirs_loss.backward()
    for i, (x, tx) in enumerate(zip(ours_in, theirs_in)):
        if tx.grad is None:
            assert x.grad is None or not x.grad.abs().sum().item(), f"{op.name}: input {i} got a gradient"
            continue
        assert x.grad is not None, f"{op.name}: input {i} got no gradient"
        assert_same(x.grad, tx.grad, f"{op.name}: gradient of input {i}")


@pytest.mark.parametrize("op, shapes", [c for c in CASES if c.values[0].gradcheck])
def test_gradcheck(op, shapes):
    inputs = [npgrad.tensor(a, requires_grad=True) for a in _inputs(op, shapes, np.float64)]
    assert gradcheck(lambda *xs: op.fn(npgrad, *xs), inputs)


# ---------------------------------------------------------------- integer results, no graph
def _both(fn, *arrays):
    ours = fn(npgrad, *[npgrad.tensor(a) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a) for a in arrays])
    ours, theirs = _flat(ours), _flat(theirs)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t)


@pytest.mark.parametrize("weights", [None, np.float32, np.float64])
@pytest.mark.parametrize("minlength", [0, 9])
def test_bincount(weights, minlength):
    x = np.array([0, 3, 3, 1, 5, 0, 3])
    if weights is None:
        _both(lambda L, a: L.bincount(a, minlength=minlength), x)
        _both(lambda L, a: a.bincount(), np.zeros(0, dtype=np.int64))
    else:
        w = np.linspace(-1, 2, x.size).astype(weights)
        _both(lambda L, a, b: L.bincount(a, b, minlength=minlength), x, w)


def test_bincount_rejects_negative_and_2d():
    for bad in ([-1, 2], [[1, 2]]):
        with pytest.raises(RuntimeError, match="bincount"):
            npgrad.bincount(npgrad.tensor(bad))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bins, lo, hi", [(100, 0, 0), (4, 0, 0), (5, -1, 1), (3, 0.5, 0.5), (7, -3, 2.5)])
def test_histc(dtype, bins, lo, hi):
    x = np.random.default_rng(3).uniform(-2, 2, 50).astype(dtype)
    x[:3] = [-1.0, 1.0, 0.0]  # exact edges
    _both(lambda L, a: L.histc(a, bins=bins, min=lo, max=hi), x)
    _both(lambda L, a: a.histc(bins, lo, hi), np.full(4, 2.0, dtype))  # all equal


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (2, 0), (2, 1, 3)])
def test_nonzero_argwhere(shape):
    x = np.random.default_rng(0).choice([0.0, 1.5, -2.0], shape)
    _both(lambda L, a: L.nonzero(a), x)
    _both(lambda L, a: a.nonzero(as_tuple=True), x)
    _both(lambda L, a: L.nonzero(a, as_tuple=True), x)
    _both(lambda L, a: L.argwhere(a), x)
    _both(lambda L, a: a.argwhere(), x.astype(bool))


def test_repeat_interleave_repeats_only():
    _both(lambda L, r: L.repeat_interleave(r), np.array([2, 0, 3]))


def test_cummax_indices_and_nan():
    x = np.array([[1.0, 3.0, 3.0, np.nan, 5.0, 2.0], [2.0, 2.0, 1.0, 4.0, 4.0, 0.0]])
    _both(lambda L, a: L.cummax(a, 1), x)
    _both(lambda L, a: L.cummin(a, 1), x)
    _both(lambda L, a: a.cummax(0), np.float32(2.0))


def test_meshgrid_default_warns_and_is_ij():
    a, b = np.arange(3.0), np.arange(4.0)
    with pytest.warns(UserWarning, match="indexing"):
        ours = npgrad.meshgrid(npgrad.tensor(a), npgrad.tensor(b))
    with pytest.warns(UserWarning):
        theirs = torch.meshgrid(torch.tensor(a), torch.tensor(b))
    for o, t in zip(ours, theirs):
        assert_same(o, t)


# ---------------------------------------------------------------- in-place forms
INPLACE = [
    ("tril_", lambda x: x.tril_(1)),
    ("triu_", lambda x: x.triu_(-1)),
    ("lerp_", lambda x: x.lerp_(x * 0 + 1, 0.25)),
    ("erf_", lambda x: x.erf_()),
    ("erfc_", lambda x: x.erfc_()),
    ("torch.erf_", lambda x: (npgrad if isinstance(x, npgrad.Tensor) else torch).erf_(x)),
    ("scatter_", lambda x: x.scatter_(0, _i(npgrad if isinstance(x, npgrad.Tensor) else torch, [[2, 0, 1, 0]]), 7.0)),
    ("scatter_add_", lambda x: x.scatter_add_(1, _i(npgrad if isinstance(x, npgrad.Tensor) else torch, [[0, 0], [3, 1], [2, 2]]), (x * 1)[:, :2])),
    ("index_add_", lambda x: x.index_add_(0, _i(npgrad if isinstance(x, npgrad.Tensor) else torch, [2, 2]), (x * 1)[:2], alpha=2)),
]


def test_a_view_taken_before_an_in_place_op_on_its_base():
    """The view was used before its base changed: its gradient is the one PyTorch gives."""
    grads = []
    for L in (npgrad, torch):
        leaf = L.ones(3, 4, requires_grad=True)
        x = leaf * 1.5
        src = x[:2] * 1  # the view is used before x changes
        x.index_add_(0, L.tensor([2, 2]), src)
        x.sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("name, fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_forms(name, fn):
    a = np.random.default_rng(5).uniform(-2, 2, (3, 4))
    ours, theirs = pair(a)
    assert fn(ours) is ours
    fn(theirs)
    assert_same(ours, theirs, name)
    # in a graph: the tensor takes the new value and its gradient flows as torch's
    ours_leaf, theirs_leaf = pair(a, requires_grad=True)
    ours_y, theirs_y = ours_leaf * 1.5, theirs_leaf * 1.5
    fn(ours_y)
    fn(theirs_y)
    assert_same(ours_y, theirs_y, name)
    ours_y.sum().backward()
    theirs_y.sum().backward()
    assert_same(ours_leaf.grad, theirs_leaf.grad, f"{name}: gradient")


def test_inplace_on_leaf_raises():
    x = npgrad.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.tril_()


# ---------------------------------------------------------------- errors where torch raises
def _both_raise(fn, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises((RuntimeError, IndexError), match=match):
        fn(npgrad)


@pytest.mark.parametrize("bad", [-1, 3])
def test_index_errors(bad):
    _both_raise(lambda L: L.zeros(3, 2).scatter(0, L.tensor([[bad, 0]]), L.ones(1, 2)), f"scatter.*index {bad}.*size 3")
    _both_raise(lambda L: L.zeros(3, 2).scatter_add(0, L.tensor([[bad, 0]]), L.ones(1, 2)), f"scatter_add.*index {bad}.*size 3")
    _both_raise(lambda L: L.zeros(3, 2).index_add(0, L.tensor([bad]), L.ones(1, 2)), f"index_add.*index {bad}.*size 3")
    _both_raise(lambda L: L.zeros(3, 2).index_add_(0, L.tensor([0, bad]), L.ones(2, 2)), "index_add")


def test_shape_errors():
    _both_raise(lambda L: L.tril(L.ones(3)), "tril.*2 dimensions")
    _both_raise(lambda L: L.diag(L.ones(2, 2, 2)), "diag")
    _both_raise(lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 2)), "einsum")
    _both_raise(lambda L: L.einsum("ij->ik", L.ones(2, 3)), "einsum")
    _both_raise(lambda L: L.einsum("ijk", L.ones(2, 3)), "einsum")
    _both_raise(lambda L: L.outer(L.ones(2, 2), L.ones(2)), "outer")
    _both_raise(lambda L: L.cdist(L.ones(2, 3), L.ones(2, 4)), "columns")
    _both_raise(lambda L: L.ones(5).unfold(0, 6, 1), "size")
    _both_raise(lambda L: L.narrow(L.ones(3, 4), 1, 2, 3), "narrow")
    _both_raise(lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 2), dims=1), "contracted")
    _both_raise(lambda L: L.masked_select(L.ones(3), L.tensor([True, False])), "masked_select")
    _both_raise(lambda L: L.repeat_interleave(L.ones(3), L.tensor([1, 2])), "repeat_interleave")


# ---------------------------------------------------------------- erf accuracy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_family_accuracy(dtype):
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30]]).astype(dtype)
    for name in ("erf", "erfc"):
        ours = getattr(npgrad, name)(npgrad.tensor(x)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == np.float32 else 1e-13, atol=0, err_msg=name)
    y = np.concatenate([np.linspace(-1, 1, 20001), [1.5, -2.0, np.nan, 0.999999, -0.999999]]).astype(dtype)
    ours = npgrad.erfinv(npgrad.tensor(y)).numpy()
    theirs = torch.erfinv(torch.tensor(y)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-7 if dtype == np.float32 else 0)
    assert npgrad.erf(npgrad.tensor([1, 2])).dtype == npgrad.float32  # ints give float32, as torch


# ---------------------------------------------------------------- pow's fast paths
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 4, 0.5, -1, -0.5, -2, 2.0, 3.0, 1.5, -3, 0.0])
def test_pow_small_exponents(exponent, dtype):
    x = np.random.default_rng(0).uniform(0.1, 3, (4, 5)).astype(dtype)
    x[0, 0] = 0.0
    ours, theirs = pair(x, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        o = ours**exponent + npgrad.pow(ours, exponent)
        o.sum().backward()
    t = theirs**exponent + torch.pow(theirs, exponent)
    t.sum().backward()
    assert_same(o, t, f"x ** {exponent}", rtol=2e-6 if dtype == np.float32 else None)
    assert_same(ours.grad, theirs.grad, f"grad of x ** {exponent}", rtol=2e-6 if dtype == np.float32 else None)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_argument(reduce):
    x = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    idx = [[0, 1, 2, 0], [0, 0, 0, 0]]
    src = np.full((2, 4), 2.0, np.float32)
    with pytest.warns(UserWarning, match="deprecated"):
        ours = npgrad.tensor(x).scatter_(0, npgrad.tensor(idx), npgrad.tensor(src), reduce=reduce)
    with warnings.catch_warnings():  # torch warns once per process
        warnings.simplefilter("ignore")
        theirs = torch.tensor(x).scatter_(0, torch.tensor(idx), torch.tensor(src), reduce=reduce)
    assert_same(ours, theirs)
    ours = npgrad.scatter(npgrad.tensor(x), 1, npgrad.tensor(idx), 3.0, reduce=reduce)
    theirs = torch.scatter(torch.tensor(x), 1, torch.tensor(idx), 3.0, reduce=reduce)
    assert_same(ours, theirs)


def test_einsum_big_operands_take_the_optimized_path():
    a, b = np.random.default_rng(0).standard_normal((2, 2, 3, 40, 40)), np.random.default_rng(1).standard_normal((2, 3, 40, 40))
    (oa, ta), (ob, tb) = pair(a, requires_grad=True), pair(b, requires_grad=True)
    o = npgrad.einsum("...hqd,...hkd->...hqk", oa, ob)
    t = torch.einsum("...hqd,...hkd->...hqk", ta, tb)
    assert_same(o, t)
    o.sum().backward()
    t.sum().backward()
    assert_same(oa.grad, ta.grad)
    assert_same(ob.grad, tb.grad)


@pytest.mark.parametrize("args", [(3, 3), (3, 4, 1), (4, 3, -1), (2, 5, -3), (0, 2)])
def test_tril_triu_indices(args):
    _both(lambda L: L.tril_indices(*args))
    _both(lambda L: L.triu_indices(*args))
    _both(lambda L: L.tril_indices(*args, dtype=L.int32))
