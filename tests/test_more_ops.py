"""atan2, cumprod, logcumsumexp, searchsorted, bucketize, rot90, diag_embed (branch moreops):
what the op table (tests/test_ops_table.py) does not check — dtypes of integer inputs,
memory layout, in-place forms, errors, and searchsorted/bucketize (no gradient) — each
against PyTorch."""
import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad


def _both(fn, *arrays):
    ours = fn(npgrad, *[npgrad.tensor(a) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a) for a in arrays])
    return ours, theirs


def _same_error(fn, *arrays):
    """npgrad raises where torch raises, the same kind of error, naming the op."""
    with pytest.raises(Exception) as theirs:
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(type(theirs.value)) as ours:
        fn(npgrad, *[npgrad.tensor(a) for a in arrays])
    return str(ours.value)


# ---------------------------------------------------------------- dtypes of integer inputs
@pytest.mark.parametrize("fn", [
    lambda L, a, b: L.atan2(a, b),
    lambda L, a, b: L.atan2(a, b.double()),
    lambda L, a, b: a.atan2(b[0]),
    lambda L, a, b: L.cumprod(a, 1),
    lambda L, a, b: L.cumprod(a > 0, 0),
    lambda L, a, b: a.cumprod(1, dtype=L.float32),
    lambda L, a, b: L.rot90(a),
    lambda L, a, b: L.diag_embed(b),
], ids=["atan2_int", "atan2_int_double", "atan2_0d", "cumprod_int", "cumprod_bool",
        "cumprod_dtype", "rot90_int", "diag_embed_int"])
def test_integer_inputs(fn):
    a = np.array([[3, -1, 2], [0, 4, -5]], dtype=np.int64)
    b = np.array([[1, 2, -3], [4, 0, 6]], dtype=np.int64)
    ours, theirs = _both(fn, a, b)
    assert_same(ours, theirs)


# ---------------------------------------------------------------- memory layout
@pytest.mark.parametrize("fn", [
    lambda L, a: L.atan2(a, a * 2),
    lambda L, a: L.atan2(a.transpose(0, 2), a.transpose(0, 2) + 1),
    lambda L, a: L.cumprod(a, 1),
    lambda L, a: L.cumprod(a.transpose(0, 2), 0),
    lambda L, a: L.logcumsumexp(a.transpose(1, 2), 1),
    lambda L, a: L.logcumsumexp(a, 2),
    lambda L, a: L.rot90(a),
    lambda L, a: L.rot90(a, 2, [1, 2]),
    lambda L, a: L.rot90(a, 3, [2, 0]),
    lambda L, a: L.rot90(a, 0),
    lambda L, a: L.diag_embed(a),
    lambda L, a: L.diag_embed(a, 1, 0, 2),
    lambda L, a: L.diag_embed(a, -1, 3, 1),
    lambda L, a: L.searchsorted(L.tensor([0.0, 0.5, 1.0]), a.transpose(0, 1)),
], ids=["atan2", "atan2_transposed", "cumprod", "cumprod_transposed", "logcumsumexp_transposed", "logcumsumexp", "rot90", "rot90_k2",
        "rot90_k3", "rot90_k0", "diag_embed", "diag_embed_dims", "diag_embed_dims_swapped",
        "searchsorted_transposed"])
@pytest.mark.filterwarnings("ignore:torch.searchsorted.*non-contiguous")  # torch's own note
def test_contiguous_as_torch(fn):
    a = np.random.default_rng(0).uniform(-1, 1, (2, 3, 4))
    ours, theirs = _both(fn, a)
    assert_same(ours, theirs)
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.stride() == theirs.stride()


# ---------------------------------------------------------------- in-place forms
@pytest.mark.parametrize("name", ["atan2_", "arctan2_", "cumprod_"])
def test_in_place(name):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-2, 2, (3, 4)), rng.uniform(0.5, 2, (3, 4))
    (x, tx), (y, ty) = pair(a), pair(b)
    arg, targ = (y, ty) if "tan2" in name else (1, 1)
    assert getattr(x, name)(arg) is x
    getattr(tx, name)(targ)
    assert_same(x, tx)


def test_in_place_records_the_graph():
    rng = np.random.default_rng(2)
    (w, tw), (y, ty) = pair(rng.uniform(-2, 2, (3, 4)), True), pair(rng.uniform(1, 2, (3, 4)))
    x, tx = w * 2, tw * 2
    x.atan2_(y).cumprod_(1).sum().backward()
    tx.atan2_(ty).cumprod_(1).sum().backward()
    assert_same(w.grad, tw.grad)


# ---------------------------------------------------------------- cumprod's gradient with zeros
@pytest.mark.parametrize("values", [
    [0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 3.0, 2.0], [1.5, 0.0, 2.0, 0.0, 3.0],
    [0.0, 0.0, 2.0], [-2.0, 3.0, 0.5, 0.0],
])
def test_cumprod_gradient_with_zeros(values):
    x, tx = pair(np.array(values), requires_grad=True)
    g = np.arange(1.0, len(values) + 1)
    npgrad.cumprod(x, 0).backward(npgrad.tensor(g))
    torch.cumprod(tx, 0).backward(torch.tensor(g))
    assert_same(x.grad, tx.grad)


def test_logcumsumexp_minus_infinity_and_large():
    a = np.array([[-np.inf, 0.0, -np.inf, 1000.0], [-1000.0, -1000.0, 5.0, -np.inf]])
    (x, tx) = pair(a, requires_grad=True)
    out, tout = npgrad.logcumsumexp(x, 1), torch.logcumsumexp(tx, 1)
    assert_same(out, tout)
    g = np.array([[1.0, -2.0, 0.5, 1.0], [0.25, 1.0, -1.0, 3.0]])
    out.backward(npgrad.tensor(g))
    tout.backward(torch.tensor(g))
    assert_same(x.grad, tx.grad)


# ---------------------------------------------------------------- searchsorted / bucketize
SORTED = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
VALUES = np.array([[0.0, 3.0, 4.0], [5.0, 7.0, 9.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("kwargs", [
    {}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True},
    {"right": False, "side": "right"},
], ids=["default", "right", "side_right", "side_left", "int32", "right_false_side_right"])
def test_searchsorted(kwargs, dtype):
    ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v, **kwargs),
                         SORTED.astype(dtype), VALUES.astype(dtype))
    assert_same(ours, theirs)
    assert ours.is_contiguous()


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_rows(right):
    seq = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 5.0]])
    values = np.array([[2.0, 3.0, 4.0, 0.0], [0.0, 5.0, -1.0, 6.0]])
    ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v, right=right), seq, values)
    assert_same(ours, theirs)
    batch = np.random.default_rng(3).uniform(0, 1, (2, 3, 6))
    seqs = np.sort(batch[..., :4], axis=-1)
    ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v, right=right), seqs, batch)
    assert_same(ours, theirs)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_sorter(right):
    seq = np.array([5.0, 1.0, 3.0, 3.0])
    order = np.argsort(seq, kind="stable")
    values = np.array([3.0, 0.0, 6.0, 4.0])
    ours = npgrad.searchsorted(npgrad.tensor(seq), npgrad.tensor(values), right=right,
                               sorter=npgrad.tensor(order))
    theirs = torch.searchsorted(torch.tensor(seq), torch.tensor(values), right=right,
                                sorter=torch.tensor(order))
    assert_same(ours, theirs)


def test_searchsorted_scalar_and_empty():
    for value in (2.0, 3, 10.0):
        ours = npgrad.searchsorted(npgrad.tensor(SORTED), value)
        theirs = torch.searchsorted(torch.tensor(SORTED), value)
        assert_same(ours, theirs)
    ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v), np.zeros(0), VALUES)
    assert_same(ours, theirs)
    ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v), SORTED, np.zeros((0, 2)))
    assert_same(ours, theirs)


def test_searchsorted_out():
    out, tout = npgrad.zeros(2, 3, dtype=npgrad.int64), torch.zeros(2, 3, dtype=torch.int64)
    r = npgrad.searchsorted(npgrad.tensor(SORTED), npgrad.tensor(VALUES), out=out)
    torch.searchsorted(torch.tensor(SORTED), torch.tensor(VALUES), out=tout)
    assert r is out
    assert_same(out, tout)


@pytest.mark.parametrize("kwargs", [{}, {"right": True}, {"out_int32": True}])
def test_bucketize(kwargs):
    ours, theirs = _both(lambda L, v, b: L.bucketize(v, b, **kwargs), VALUES, SORTED)
    assert_same(ours, theirs)
    ours = npgrad.bucketize(4.0, npgrad.tensor(SORTED), **kwargs)
    assert_same(ours, torch.bucketize(4.0, torch.tensor(SORTED), **kwargs))


def test_no_gradient_through_search():
    s, v = npgrad.tensor(SORTED, requires_grad=True), npgrad.tensor(VALUES, requires_grad=True)
    assert not npgrad.searchsorted(s, v).requires_grad
    assert not npgrad.bucketize(v, s).requires_grad


# ---------------------------------------------------------------- errors, as torch's
M = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("fn, arrays, words", [
    (lambda L, a: L.rot90(a, 1, [0]), (M,), "rot90"),
    (lambda L, a: L.rot90(a, 1, [0, 0]), (M,), "different"),
    (lambda L, a: L.rot90(a, 1, [1, -1]), (M,), "different"),
    (lambda L, a: L.rot90(a), (np.arange(3.0),), "dims >= 2"),
    (lambda L, a: L.rot90(a, 1, [0, 2]), (M,), "rot90"),
    (lambda L, a: L.diag_embed(a, 0, 1, 1), (M,), "diag_embed"),
    (lambda L, a: L.diag_embed(a, 0, 0, 3), (M,), "diag_embed"),
    (lambda L, a: L.diag_embed(a), (np.array(1.0),), "diag_embed"),
    (lambda L, a: L.cumprod(a, 2), (M,), "cumprod"),
    (lambda L, a: L.logcumsumexp(a, -3), (M,), "logcumsumexp"),
    (lambda L, a: L.logcumsumexp(a.long(), 0), (M,), "logcumsumexp"),
    (lambda L, a: L.atan2(a, 2.0), (M,), "atan2"),
    (lambda L, a, b: L.atan2(a, b), (M, np.ones(4)), "atan2"),
    (lambda L, a, b: L.searchsorted(a, b), (M, np.ones(3)), "searchsorted"),
    (lambda L, a, b: L.searchsorted(a, b), (M, np.ones((3, 1))), "searchsorted"),
    (lambda L, a, b: L.searchsorted(a, b, right=True, side="left"), (SORTED, M), "opposites"),
    (lambda L, a, b: L.searchsorted(a, b, side="middle"), (SORTED, M), "side"),
    (lambda L, a, b: L.searchsorted(a, b, sorter=L.tensor([0, 1])), (SORTED, M), "sorter"),
    (lambda L, a, b: L.searchsorted(a, b, sorter=L.tensor([0, 1, 2, 3, 4], dtype=L.int32)),
     (SORTED, M), "sorter"),
    (lambda L, a, b: L.bucketize(a, b), (M, M), "bucketize"),
], ids=["rot90_one_dim", "rot90_same_dims", "rot90_same_dims_negative", "rot90_1d",
        "rot90_dim_range", "diag_embed_same_dims", "diag_embed_dim_range", "diag_embed_0d",
        "cumprod_dim", "logcumsumexp_dim", "logcumsumexp_int", "atan2_float", "atan2_shapes",
        "searchsorted_rows", "searchsorted_rows_mismatch", "searchsorted_opposites",
        "searchsorted_side", "searchsorted_sorter_size", "searchsorted_sorter_dtype",
        "bucketize_2d_boundaries"])
def test_errors_as_torch(fn, arrays, words):
    message = _same_error(fn, *arrays)
    assert words in message


def test_methods_exist_as_in_torch():
    for name in ("atan2", "arctan2", "cumprod", "logcumsumexp", "rot90", "diag_embed",
                 "atan2_", "arctan2_", "cumprod_", "searchsorted", "bucketize"):
        assert hasattr(npgrad.Tensor, name) == hasattr(torch.Tensor, name), name


def test_out_keyword():
    rng = np.random.default_rng(6)
    a, b = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
    for fn in (lambda L, o: L.atan2(L.tensor(a), L.tensor(b), out=o),
               lambda L, o: L.cumprod(L.tensor(a), 1, out=o),
               lambda L, o: L.logcumsumexp(L.tensor(a), 0, out=o)):
        out, tout = npgrad.zeros(2, 3, dtype=npgrad.float64), torch.zeros(2, 3,
                                                                          dtype=torch.float64)
        assert fn(npgrad, out) is out
        fn(torch, tout)
        assert_same(out, tout)


def test_searchsorted_nan():
    """NaN values, and NaN inside the sequence, land where PyTorch's search puts them."""
    values = np.array([np.nan, 2.0, np.nan, 0.5, 9.0])
    for seq in (SORTED, np.array([1.0, np.nan]), np.array([np.nan, 1.0, 3.0]),
                np.array([[1.0, 2.0, np.nan], [np.nan, np.nan, np.nan]])):
        vals = values if seq.ndim == 1 else np.stack([values, values[::-1]])
        for right in (False, True):
            ours, theirs = _both(lambda L, s, v: L.searchsorted(s, v, right=right), seq, vals)
            assert_same(ours, theirs)


def test_cumsum_adds_float32_in_float64_as_torch():
    """PyTorch's CPU cumsum accumulates float32 in float64: over a million 0.1s it ends at
    100000.0, where a float32 running sum drifts to 100958; the gradient (a reversed cumsum)
    and cumprod's gradient add up the same way."""
    a = np.full(1_000_000, 0.1, np.float32)
    ours = npgrad.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(npgrad.cumsum(ours, 0).detach().numpy(),
                                  torch.cumsum(theirs, 0).detach().numpy())
    w = np.linspace(0.5, 1.5, a.size).astype(np.float32)
    (npgrad.cumsum(ours, 0) * npgrad.tensor(w)).sum().backward()
    (torch.cumsum(theirs, 0) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)
