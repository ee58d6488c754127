"""ops/more_ops2.py beyond the op table (tests/test_ops_table.py has their values,
gradients and layout): errors as torch's, views that share memory, NaNs, integer inputs,
node names, and which index torch reports among tied values (random rows, many sizes)."""
import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
from npgrad.autograd import gradcheck

# ------------------------------------------------------------------ errors
ERRORS = [
    ("mv", lambda L: L.mv(L.ones(2, 3), L.ones(2))),
    ("mv", lambda L: L.mv(L.ones(3), L.ones(3))),
    ("mv", lambda L: L.ones(2, 3).mv(L.ones(3, 1))),
    ("mv", lambda L: L.ones(2, 3).mv(L.ones(3, dtype=L.float64))),
    ("select", lambda L: L.ones(2, 3).select(0, 2)),
    ("select", lambda L: L.ones(2, 3).select(1, -4)),
    ("select", lambda L: L.ones(2, 3).select(2, 0)),
    ("select", lambda L: L.select(L.ones(()), 0, 0)),
    ("fliplr", lambda L: L.fliplr(L.ones(3))),
    ("flipud", lambda L: L.ones(()).flipud()),
    ("take", lambda L: L.take(L.ones(3), L.tensor([3]))),
    ("take", lambda L: L.ones(3).take(L.tensor([-4]))),
    ("take", lambda L: L.take(L.ones(3), L.tensor([1.0]))),
    ("tensor_split", lambda L: L.tensor_split(L.ones(3), 0)),
    ("tensor_split", lambda L: L.ones(()).tensor_split(1)),
    ("tensor_split", lambda L: L.tensor_split(L.ones(3), 1, dim=1)),
    ("hsplit", lambda L: L.hsplit(L.ones(3, 5), 2)),
    ("hsplit", lambda L: L.hsplit(L.ones(()), 1)),
    ("vsplit", lambda L: L.ones(3).vsplit(1)),
    ("vsplit", lambda L: L.vsplit(L.ones(3, 2), 2)),
    ("dsplit", lambda L: L.dsplit(L.ones(3, 3), 1)),
    ("median", lambda L: L.median(L.ones(2, 0), 1)),
    ("median", lambda L: L.ones(3).median(1)),
    ("nanmedian", lambda L: L.ones(0).nanmedian(0)),
    ("kthvalue", lambda L: L.kthvalue(L.ones(3), 4)),
    ("kthvalue", lambda L: L.ones(3).kthvalue(0)),
    ("kthvalue", lambda L: L.ones(2, 3).kthvalue(1, 2)),
    ("kthvalue", lambda L: L.tensor([True, False]).kthvalue(1)),
    ("median", lambda L: L.tensor([True, False]).median()),
    ("median", lambda L: L.tensor([True, False]).median(0)),
    ("nanmedian", lambda L: L.nanmedian(L.tensor([True]))),
    ("aminmax", lambda L: L.aminmax(L.ones(0))),
    ("aminmax", lambda L: L.ones(2, 0).aminmax(dim=1)),
]


@pytest.mark.parametrize("op, call", ERRORS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(ERRORS)])
def test_raises_as_torch(op, call):
    """Where torch raises, npgrad raises the same type; its message names the op (torch's
    own "Dimension out of range" ones aside)."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(npgrad)
    message = str(ours.value)
    assert op in message or "out of range" in message, message


# ------------------------------------------------------------------ views
def test_select_is_a_view_as_torch():
    x = npgrad.arange(12.0).reshape(3, 4)
    row = x.select(0, -1)
    col = npgrad.select(x, 1, 2)
    x.mul_(2)
    assert row.tolist() == [16.0, 18.0, 20.0, 22.0]
    assert col.tolist() == [4.0, 12.0, 20.0]
    assert col.stride() == torch.arange(12.0).reshape(3, 4).select(1, 2).stride()
    assert not col.is_contiguous()


@pytest.mark.parametrize("split", [
    lambda L, x: L.tensor_split(x, 3, dim=1),
    lambda L, x: x.tensor_split([1, 3], 1),
    lambda L, x: L.hsplit(x, [2]),
    lambda L, x: x.vsplit(2),
])
def test_splits_are_views(split):
    x = npgrad.arange(24.0).reshape(4, 6)
    parts = split(npgrad, x)
    x.add_(1)
    expected = split(torch, torch.arange(24.0).reshape(4, 6) + 1)
    assert len(parts) == len(expected)
    for ours, theirs in zip(parts, expected):
        assert_same(ours, theirs)
        assert ours.stride() == theirs.stride()


def test_tensor_split_takes_an_index_tensor():
    for sections in ([1, 4], 3):
        ours, theirs = pair(np.arange(14.0).reshape(7, 2))
        a = npgrad.tensor(sections)
        b = torch.tensor(sections)
        got, want = ours.tensor_split(a), theirs.tensor_split(b)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w)


# ------------------------------------------------------------------ take
def test_take_repeated_index_adds_gradients():
    for dtype in (np.float32, np.float64):
        ours, theirs = pair(np.arange(6, dtype=dtype).reshape(2, 3), requires_grad=True)
        index = [[5, 5, -1], [0, 0, 0]]
        out_ours = npgrad.take(ours, npgrad.tensor(index))
        out_theirs = torch.take(theirs, torch.tensor(index))
        assert_same(out_ours, out_theirs)
        assert out_ours.grad_fn.name() == out_theirs.grad_fn.name() == "TakeBackward0"
        w = np.arange(6, dtype=dtype).reshape(2, 3) + 1
        (out_ours * npgrad.tensor(w)).sum().backward()
        (out_theirs * torch.tensor(w)).sum().backward()
        assert_same(ours.grad, theirs.grad)


def test_take_gradcheck():
    x = npgrad.tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.take(npgrad.tensor([1, 1, -2, 7])), (x,))


# ------------------------------------------------------------------ mv
def test_mv_node_and_dtypes():
    for dtype in (np.float32, np.float64, np.int64):
        m, tm = pair(np.arange(12).reshape(3, 4).astype(dtype))
        v, tv = pair(np.arange(4).astype(dtype))
        assert_same(npgrad.mv(m, v), torch.mv(tm, tv))
    m = npgrad.ones(2, 3, requires_grad=True)
    assert m.mv(npgrad.ones(3)).grad_fn.name() == "MvBackward0"


# ------------------------------------------------------------------ median & co
NAN_ROWS = np.array([[1.0, np.nan, 3.0, np.nan, 2.0],
                     [np.nan, np.nan, np.nan, np.nan, np.nan],
                     [4.0, 1.0, 2.0, 2.0, 0.0]])


@pytest.mark.parametrize("call", [
    lambda L, x: L.median(x),
    lambda L, x: L.nanmedian(x),
    lambda L, x: x[2].median(),
    lambda L, x: x[0].nanmedian(),
    lambda L, x: x[1].nanmedian(),
    lambda L, x: L.median(x, 1),
    lambda L, x: L.nanmedian(x, 1),
    lambda L, x: x.nanmedian(0, keepdim=True),
    lambda L, x: L.kthvalue(x, 4, 1),
    lambda L, x: L.kthvalue(x, 2, 0, True),
    lambda L, x: L.aminmax(x),
    lambda L, x: x.aminmax(dim=1),
])
def test_nans_as_torch(call):
    """NaN is the median of a row holding one (its first NaN's index); nanmedian skips them
    (NaN where all are); kthvalue counts NaN above every number. Gradients too."""
    for dtype in (np.float32, np.float64):
        ours, theirs = pair(NAN_ROWS.astype(dtype), requires_grad=True)
        got, want = call(npgrad, ours), call(torch, theirs)
        got = list(got) if isinstance(got, tuple) else [got]
        want = list(want) if isinstance(want, tuple) else [want]
        for g, w in zip(got, want):
            assert_same(g, w)
        weights = [np.arange(w.numel(), dtype=dtype).reshape(w.shape) + 1 for w in want]
        sum((g * npgrad.tensor(a)).sum() for g, a in zip(got, weights)
            if g.dtype.is_floating_point).backward()
        sum((w * torch.tensor(a)).sum() for w, a in zip(want, weights)
            if w.dtype.is_floating_point).backward()
        a, b = ours.grad.numpy(), theirs.grad.numpy()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32])
def test_integers_and_node_names(dtype):
    x = np.array([[3, 1, 2, 2], [0, 5, 5, 1]]).astype(dtype)
    ours, theirs = pair(x)
    for call in (lambda L, t: t.median(), lambda L, t: L.median(t, 1),
                 lambda L, t: t.kthvalue(2), lambda L, t: L.aminmax(t, dim=0)):
        got, want = call(npgrad, ours), call(torch, theirs)
        for g, w in zip(got if isinstance(got, tuple) else [got],
                        want if isinstance(want, tuple) else [want]):
            assert_same(g, w)
    y, ty = pair(x.astype(np.float64), requires_grad=True)
    for call in (lambda L, t: t.median(), lambda L, t: t.median(0).values,
                 lambda L, t: t.nanmedian(1).values, lambda L, t: L.kthvalue(t, 1).values):
        assert call(npgrad, y).grad_fn.name() == type(call(torch, ty).grad_fn).__name__


def test_aminmax_fields():
    x = npgrad.tensor([[1.0, -2.0], [3.0, 0.5]])
    r = npgrad.aminmax(x, dim=0)
    assert r.min.tolist() == [1.0, -2.0] and r.max.tolist() == [3.0, 0.5]
    lo, hi = x.aminmax()
    assert (lo.item(), hi.item()) == (-2.0, 3.0)


@pytest.mark.parametrize("seed", range(4))
def test_tied_indices_as_torch(seed):
    """Random rows of few distinct values (many ties, some NaNs), sizes 1 to 300: the same
    values and the same indices as torch for median, nanmedian and kthvalue along a dim."""
    rng = np.random.default_rng(seed)
    for trial in range(40):
        n = int(rng.integers(1, 300 if trial % 4 == 0 else 30))
        x = rng.integers(0, 4, (3, n)).astype(np.float32)
        if trial % 2:
            x[rng.random(x.shape) < 0.3] = np.nan
        k = int(rng.integers(1, n + 1))
        ours, theirs = pair(x)
        for call in (lambda L, t: L.median(t, 1), lambda L, t: t.nanmedian(1),
                     lambda L, t: L.kthvalue(t, k, 1), lambda L, t: t.T.kthvalue(k, 0)):
            got, want = call(npgrad, ours), call(torch, theirs)
            assert_same(got.values, want.values)
            assert_same(got.indices, want.indices)


def test_nanmedian_of_all_nan_rows_as_torch():
    """A row of NaNs only: NaN, at the index torch's selection leaves first (not 0)."""
    for n in (1, 4, 5, 13, 64, 101):
        x = np.full((2, n), np.nan)
        x[1, n // 2] = 1.0
        ours, theirs = pair(x)
        got, want = ours.nanmedian(1), theirs.nanmedian(1)
        assert_same(got.values, want.values)
        assert_same(got.indices, want.indices)
