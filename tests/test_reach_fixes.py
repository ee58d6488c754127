"""Small gaps real PyTorch programs hit (found by tests/test_real_programs.py), each checked
against torch: NumPy keyword spellings on reductions, log10/log2/exp2/expm1/sinh/cosh/asin/
acos/atan, dropout2d on a 2-d input."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair

UNARY = {  # name -> input values inside the function's domain
    "log10": (0.2, 3.0), "log2": (0.2, 3.0), "exp2": (-2.0, 2.0), "expm1": (-2.0, 2.0),
    "sinh": (-2.0, 2.0), "cosh": (-2.0, 2.0), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3.0, 3.0), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctan": (-3.0, 3.0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_more_matches_torch(name, dtype):
    lo, hi = UNARY[name]
    values = np.random.RandomState(0).uniform(lo, hi, (3, 4)).astype(dtype)
    ours, theirs = pair(values, requires_grad=True)
    out, expected = getattr(npgrad, name)(ours), getattr(torch, name)(theirs)
    assert_same(out, expected)
    assert_same(getattr(ours, name)(), getattr(theirs, name)())  # the method too
    weights = np.random.RandomState(1).randn(3, 4).astype(dtype)
    (out * npgrad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    assert_same(ours.grad, theirs.grad, "gradient")


@pytest.mark.parametrize("name", ["log10", "log2", "exp2", "expm1", "sinh", "cosh", "asin",
                                  "acos", "atan"])
def test_unary_more_gradcheck(name):
    lo, hi = UNARY[name]
    x = npgrad.tensor(np.random.RandomState(2).uniform(lo, hi, (5,)), requires_grad=True)
    assert gradcheck(getattr(npgrad, name), (x,))


def test_unary_more_integers_give_float32():
    ours, theirs = pair(np.array([1, 10, 100]))
    assert_same(npgrad.log10(ours), torch.log10(theirs))


REDUCTIONS = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var",
              "std", "all", "any", "logsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_numpy_keywords_on_reductions(name):
    values = np.random.RandomState(3).rand(3, 4)
    if name in ("all", "any"):
        values = values > 0.3
    ours, theirs = pair(values)
    for kwargs in ({"axis": 1}, {"dim": 0, "keepdims": True}, {"axis": 1, "keepdims": True}):
        got, want = getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs)
        got_fn, want_fn = getattr(npgrad, name)(ours, **kwargs), getattr(torch, name)(theirs, **kwargs)
        if name in ("max", "min"):  # (values, indices)
            got, want, got_fn, want_fn = got[0], want[0], got_fn[0], want_fn[0]
        assert_same(got, want)
        assert_same(got_fn, want_fn)


@pytest.mark.parametrize("name", ["cumsum", "softmax", "log_softmax", "squeeze", "unsqueeze"])
def test_numpy_axis_on_dim_functions(name):
    ours, theirs = pair(np.random.RandomState(4).rand(1, 3))
    assert_same(getattr(ours, name)(axis=1 if name != "squeeze" else 0),
                getattr(theirs, name)(axis=1 if name != "squeeze" else 0))


def test_numpy_keyword_and_its_torch_name_together_raise():
    with pytest.raises(TypeError):
        torch.ones(2, 3).sum(dim=1, axis=1)
    with pytest.raises(TypeError, match="axis"):
        npgrad.ones(2, 3).sum(dim=1, axis=1)


def test_makemore_row_normalisation():
    counts = np.random.RandomState(5).randint(0, 9, (27, 27)).astype(np.int32)
    ours, theirs = pair(counts)
    p_ours = (ours + 1).float()
    p_ours /= p_ours.sum(1, keepdims=True)
    p_theirs = (theirs + 1).float()
    p_theirs /= p_theirs.sum(1, keepdims=True)
    assert_same(p_ours, p_theirs)


def test_dropout2d_on_2d_input_drops_elements_with_torch_warning():
    x = npgrad.ones(200, 50)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        y = npgrad.nn.functional.dropout2d(x, 0.5)
    values = y.numpy()
    assert set(np.unique(values)) <= {0.0, 2.0}
    # elementwise: rows mix zeros and twos (torch does the same on (N, C))
    assert 0.3 < (values == 0).mean() < 0.7 and ((values == 0).any(1) & (values == 2).any(1)).all()
    layer = npgrad.nn.Dropout2d(0.5)
    layer.eval()
    with pytest.warns(UserWarning):
        assert_same(layer(npgrad.ones(4, 3)), torch.ones(4, 3))


def test_dropout2d_on_1d_input_raises_like_torch():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.nn.functional.dropout2d(torch.ones(5), 0.5)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        npgrad.nn.functional.dropout2d(npgrad.ones(5), 0.5)


# ---------------------------------------------------------------------------- out=

OUT_CASES = {  # name -> (args builder from a library, out shape)
    "matmul": (lambda L, a, b: (a, b.T), (2, 2)),
    "mul": (lambda L, a, b: (a, b), (2, 3)),
    "add": (lambda L, a, b: (a, b), (2, 3)),
    "cat": (lambda L, a, b: ([a, b],), (4, 3)),
    "stack": (lambda L, a, b: ([a, b],), (2, 2, 3)),
    "exp": (lambda L, a, b: (a,), (2, 3)),
    "sum": (lambda L, a, b: (a, 1), (2,)),
    "clamp": (lambda L, a, b: (a, 0.2, 0.6), (2, 3)),
    "where": (lambda L, a, b: (a > 0.5, a, b), (2, 3)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OUT_CASES))
def test_out_keyword_matches_torch(name, dtype):
    build, shape = OUT_CASES[name]
    rs = np.random.RandomState(6)
    a_np, b_np = rs.rand(2, 3).astype(dtype), rs.rand(2, 3).astype(dtype)
    a, ta = pair(a_np)
    b, tb = pair(b_np)
    out, tout = pair(np.zeros(shape, dtype))
    got = getattr(npgrad, name)(*build(npgrad, a, b), out=out)
    want = getattr(torch, name)(*build(torch, ta, tb), out=tout)
    assert got is out
    assert_same(out, tout)
    assert_same(got, want)


def test_out_resizes_with_torch_warning_and_empty_out_silently():
    import warnings
    with pytest.warns(UserWarning, match="resized"):
        torch.cat([torch.ones(2)] * 2, out=torch.zeros(3))
    with pytest.warns(UserWarning, match="resized"):
        out = npgrad.zeros(3)
        npgrad.cat([npgrad.ones(2)] * 2, out=out)
    assert_same(out, torch.ones(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, tout = npgrad.empty(0), torch.empty(0)
        npgrad.matmul(npgrad.ones(2, 3), npgrad.ones(3, 2), out=out)
        torch.matmul(torch.ones(2, 3), torch.ones(3, 2), out=tout)
    assert_same(out, tout)


def test_out_casts_like_torch():
    ours, theirs = npgrad.zeros(3), torch.zeros(3)  # int result into a float out: fine
    npgrad.add(npgrad.tensor([1, 2, 3]), 1, out=ours)
    torch.add(torch.tensor([1, 2, 3]), 1, out=theirs)
    assert_same(ours, theirs)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.add(torch.ones(2), 0.5, out=torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="can't be cast"):
        npgrad.add(npgrad.ones(2), 0.5, out=npgrad.zeros(2, dtype=npgrad.int64))


def test_out_refuses_autograd_like_torch():
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        torch.mul(torch.ones(2, requires_grad=True), 2, out=torch.zeros(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        npgrad.mul(npgrad.ones(2, requires_grad=True), 2, out=npgrad.zeros(2))
    with torch.no_grad():
        torch.mul(torch.ones(2, requires_grad=True), 2, out=torch.zeros(2))
    with npgrad.no_grad():
        out = npgrad.zeros(2)
        npgrad.mul(npgrad.ones(2, requires_grad=True), 2, out=out)
    assert_same(out, torch.full((2,), 2.0))


@pytest.mark.parametrize("name, args", [("zeros", (3,)), ("ones", (2, 2)), ("full", ((3,), 7)),
                                        ("arange", (5,)), ("eye", (3,))])
def test_out_on_creation_functions_fills_out(name, args):
    ours, theirs = npgrad.empty(0, dtype=npgrad.int64), torch.empty(0, dtype=torch.int64)
    got = getattr(npgrad, name)(*args, out=ours)
    getattr(torch, name)(*args, out=theirs)
    assert got is ours
    assert_same(ours, theirs)


# ---------------------------------------------------------------------------- set_default_dtype

DEFAULT_DTYPE_CASES = {  # what a float64 default changes (and what it leaves alone), in torch
    "zeros": lambda L: L.zeros(2), "randn": lambda L: L.randn(2), "rand": lambda L: L.rand(2),
    "tensor of floats": lambda L: L.tensor([1.5]), "tensor of ints": lambda L: L.tensor([1]),
    "arange of floats": lambda L: L.arange(0, 1, 0.5), "arange of ints": lambda L: L.arange(3),
    "linspace": lambda L: L.linspace(0, 1, 3), "full": lambda L: L.full((2,), 1.0),
    "eye": lambda L: L.eye(2), "Tensor": lambda L: L.Tensor([1.0]),
    "explicit float32": lambda L: L.ones(2, dtype=L.float32),
    "int * float": lambda L: L.tensor([1, 2]) * 2.5, "int / int": lambda L: L.tensor([1, 2]) / 2,
    "exp of int": lambda L: L.tensor([1, 2]).exp(), ".float()": lambda L: L.tensor([1]).float(),
    "Linear": lambda L: L.nn.Linear(2, 3).weight, "Conv2d": lambda L: L.nn.Conv2d(1, 1, 2).weight,
    "LSTMCell": lambda L: L.nn.LSTMCell(2, 3).weight_hh,
    "BatchNorm1d buffer": lambda L: L.nn.BatchNorm1d(3).running_var,
    "Embedding": lambda L: L.nn.Embedding(3, 2).weight,
}


@pytest.fixture
def float64_default():
    torch.set_default_dtype(torch.float64)
    npgrad.set_default_dtype(npgrad.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)
        npgrad.set_default_dtype(npgrad.float32)


@pytest.mark.parametrize("case", sorted(DEFAULT_DTYPE_CASES))
def test_set_default_dtype_float64_like_torch(case, float64_default):
    build = DEFAULT_DTYPE_CASES[case]
    assert npgrad.get_default_dtype() == npgrad.float64
    assert str(build(npgrad).dtype).split(".")[-1] == str(build(torch).dtype).split(".")[-1]


def test_set_default_dtype_values_and_restore(float64_default):
    ours, theirs = npgrad.tensor([0.1, 1 / 3]), torch.tensor([0.1, 1 / 3])
    assert_same(ours, theirs)  # float64 precision: 1/3 is not rounded to float32
    npgrad.set_default_dtype(npgrad.float32)
    assert npgrad.zeros(1).dtype == npgrad.float32 and npgrad.get_default_dtype() == npgrad.float32


def test_set_default_dtype_refuses_non_floats_like_torch():
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError, match="only floating-point types"):
        npgrad.set_default_dtype(npgrad.int64)
    assert npgrad.get_default_dtype() == npgrad.float32


# ---------------------------------------------------------------------------- small surface gaps

@pytest.mark.parametrize("y", [0, 3, 9])
def test_scatter_one_hot_of_a_0d_index_like_the_transforms_tutorial(y):
    # target_transform = Lambda(lambda y: torch.zeros(10, dtype=torch.float)
    #                                       .scatter_(0, torch.tensor(y), value=1))
    ours = npgrad.zeros(10, dtype=npgrad.float).scatter_(0, npgrad.tensor(y), value=1)
    theirs = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
    assert_same(ours, theirs)
    src, tsrc = pair(np.array([5.0, 6.0], np.float32))
    assert_same(npgrad.zeros(4).scatter(0, npgrad.tensor(2), src),
                torch.zeros(4).scatter(0, torch.tensor(2), tsrc))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True},
                                    {"dim": 1, "correction": 0}, {"dim": (0, 1)}])
def test_std_mean_var_mean_match_torch(name, kwargs, dtype):
    ours, theirs = pair(np.random.RandomState(7).rand(3, 4).astype(dtype), requires_grad=True)
    got, want = getattr(npgrad, name)(ours, **kwargs), getattr(torch, name)(theirs, **kwargs)
    assert isinstance(got, tuple) and len(got) == 2
    assert_same(got[0], want[0])
    assert_same(got[1], want[1])
    (got[0].sum() + 2 * got[1].sum()).backward()
    (want[0].sum() + 2 * want[1].sum()).backward()
    assert_same(ours.grad, theirs.grad, "gradient")


def test_sort_and_argsort_accept_stable_like_torch():
    values = np.array([2, 1, 2, 1, 0, 2])
    ours, theirs = pair(values)
    for descending in (False, True):
        got = npgrad.sort(ours, stable=True, descending=descending)
        want = torch.sort(theirs, stable=True, descending=descending)
        assert_same(got.values, want.values)
        assert_same(got.indices, want.indices)
        assert_same(ours.argsort(stable=True, descending=descending),
                    theirs.argsort(stable=True, descending=descending))
        assert_same(npgrad.argsort(ours, stable=True), torch.argsort(theirs, stable=True))


# ---------------------------------------------------------------------------- rng state

def test_rng_state_roundtrip_through_a_checkpoint(tmp_path):
    npgrad.manual_seed(3)
    state = npgrad.get_rng_state()
    assert state.dtype == npgrad.uint8 and state.dim() == 1  # as torch.get_rng_state()
    assert torch.get_rng_state().dtype == torch.uint8
    first = npgrad.randn(5)
    npgrad.save({"rng_state": state}, tmp_path / "ckpt.pt")
    npgrad.randn(7)  # move on
    npgrad.set_rng_state(npgrad.load(tmp_path / "ckpt.pt")["rng_state"])
    assert_same(npgrad.randn(5), torch.tensor(first.numpy()))


def test_set_rng_state_refuses_foreign_states():
    with pytest.raises(RuntimeError, match="not made by npgrad"):
        npgrad.set_rng_state(npgrad.tensor(torch.get_rng_state().numpy()))
    with pytest.raises(TypeError, match="uint8"):
        npgrad.set_rng_state(npgrad.ones(3))
