"""The Tensor's public API: creation, dtypes and promotion, attributes, conversion, repr,
operators with Python numbers, comparisons and bitwise ops.

Most checks are expressions written once, evaluated with ``L = npgrad`` and ``L = torch``,
whose results must agree (values, shape and dtype for tensors; equality otherwise).
"""
import itertools
import operator

import numpy as np
import pytest
import torch
from conftest import assert_same, dtype_name

import npgrad


def _plain(r):
    """A non-tensor result made comparable across the libraries."""
    if isinstance(r, (npgrad.Size, torch.Size)):
        return ("Size", tuple(r))
    if isinstance(r, (npgrad.dtype, torch.dtype)):
        return ("dtype", dtype_name(r))
    if isinstance(r, str):
        return r.replace("torch.", "npgrad.")
    if isinstance(r, (list, tuple)):
        return type(r)(_plain(v) for v in r)
    return r


def check_both(expr):
    """Evaluate ``expr`` with both libraries and compare the results."""
    ours = eval(expr, {"L": npgrad, "np": np})
    theirs = eval(expr, {"L": torch, "np": np})
    if isinstance(theirs, torch.Tensor):
        assert_same(ours, theirs, expr)
    elif isinstance(theirs, tuple) and theirs and isinstance(theirs[0], torch.Tensor):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{expr}: {ours!r}"
        for o, t in zip(ours, theirs):
            assert_same(o, t, expr)
    else:
        assert not isinstance(ours, npgrad.Tensor), f"{expr}: got a Tensor, torch gives {theirs!r}"
        assert _plain(ours) == _plain(theirs), f"{expr}: {ours!r} != torch's {theirs!r}"
        assert type(ours) is type(theirs) or isinstance(theirs, (torch.Size, torch.dtype, str)), (
            f"{expr}: {type(ours).__name__} where torch gives {type(theirs).__name__}"
        )


CREATION = [
    "L.tensor(1.5)", "L.tensor(3)", "L.tensor(True)", "L.tensor([1, 2.5])",
    "L.tensor([[1, 2], [3, 4]])", "L.tensor([[True], [False]])",
    "L.tensor(np.array([1.0, 2.0]))", "L.tensor(np.array([1, 2], dtype=np.int32))",
    "L.tensor(np.array([1, 2], dtype=np.uint8))", "L.tensor([1, 2], dtype=L.float64)",
    "L.tensor([1.7, -1.7], dtype=L.int64)", "L.tensor([])", "L.tensor([], dtype=L.int64)",
    "L.tensor(np.float64(2.0))", "L.tensor([np.float32(1.5), 2])", "L.tensor(L.tensor([1, 2]))",
    "L.as_tensor([1, 2])", "L.as_tensor(np.array([1.0, 2.0]), dtype=L.float32)",
    "L.zeros(2, 3)", "L.zeros((2, 3))", "L.zeros([2, 3], dtype=L.int64)", "L.zeros(())",
    "L.zeros(0, 2)", "L.ones(3)", "L.ones(2, 1, dtype=L.bool)", "L.ones(2, dtype=L.uint8)",
    "L.full((2, 2), 7)", "L.full((2,), 7.5)", "L.full((2,), True)", "L.full([2], 3, dtype=L.float32)",
    "L.empty(2, 3).shape", "L.empty(0).dtype", "L.empty((2,), dtype=L.int32).dtype",
    "L.arange(5)", "L.arange(1, 4)", "L.arange(0, 1, 0.25)", "L.arange(1.0, 4.0)",
    "L.arange(5, dtype=L.float32)", "L.arange(10, 0, -3)", "L.arange(0, 1, 0.1)", "L.arange(0)",
    "L.linspace(0, 1, 5)", "L.linspace(-1, 1, 4)", "L.linspace(0, 10, 1)", "L.linspace(2, 3, 0)",
    "L.eye(3)", "L.eye(2, 3)", "L.eye(2, dtype=L.int64)",
    "L.zeros_like(L.ones(2, dtype=L.int32))", "L.ones_like(L.zeros(2, 3))",
    "L.full_like(L.zeros(2), 4)", "L.full_like(L.zeros(2, dtype=L.int64), 4.7)",
    "L.empty_like(L.zeros(2, 3, dtype=L.float64)).shape",
    "L.empty_like(L.zeros(2, 3, dtype=L.float64)).dtype",
    "L.zeros_like(L.zeros(2), dtype=L.int64)", "L.ones_like(L.zeros(2), requires_grad=True)",
    "L.zeros(2, requires_grad=True)", "L.tensor([1.0], requires_grad=True).requires_grad",
]

DTYPES = [
    "L.tensor([1.5, -2.5]).long()", "L.tensor([1.5, 0.0]).bool()", "L.tensor([1, 2]).float()",
    "L.tensor([1, 2]).double()", "L.tensor([1.7, -1.7]).int()", "L.tensor([1.0, 2.0]).to(L.float64)",
    "L.tensor([1, 2]).to(L.tensor(1.0))", "L.tensor([1.0, 2.0]).type(L.int64)",
    "L.tensor([3.0]).to('cpu')", "L.tensor([1.0, 2.0]).to('cpu', L.float64)",
    "L.tensor([1.0, 2.0]).to(dtype=L.int32)", "L.tensor([300, -1]).to(L.uint8)",
    "L.tensor([0, 2]).bool()", "L.tensor([True, False]).float()", "L.tensor([1, 2]).type_as(L.ones(1))",
    "L.tensor([1.0, 2.0]).dtype == L.float32", "L.tensor([1, 2]).dtype == L.int64",
    "L.tensor([1, 2]).dtype != L.int32", "L.tensor([True]).dtype == L.bool",
    "L.float32 == L.float", "L.float64 == L.double", "L.int64 == L.long", "L.int32 == L.int",
    "L.float32", "L.int64", "L.tensor([1.0]).dtype", "L.tensor([1]).dtype", "L.tensor([1.0]).double().dtype",
    "L.float32.is_floating_point", "L.int64.is_floating_point", "L.bool.is_floating_point",
    "L.tensor([1.0, 2.0]).is_floating_point()", "L.tensor([1, 2]).is_floating_point()",
    "L.ones(2).type()", "L.ones(2, dtype=L.int64).type()", "L.ones(2, dtype=L.float64).type()",
    "L.tensor([1, 2], dtype=L.int32).sum().dtype", "L.tensor([True, True]).sum()",
    "L.tensor([1.0, 2.0]).mean().dtype", "L.tensor([1, 2, 3], dtype=L.uint8).prod()",
    "L.tensor([1, 2, 3]).cumsum(0)", "L.tensor([1, 2]).logsumexp(0)",
]

ATTRIBUTES = [
    "L.ones(2, 3).shape", "L.ones(2, 3).shape == (2, 3)", "isinstance(L.ones(2).shape, tuple)",
    "L.ones(2, 3).shape[1]", "L.ones(2, 3).shape[-2:]", "tuple(L.ones(2, 3).shape)",
    "L.ones(2, 3).size()", "L.ones(2, 3).size(1)", "L.ones(2, 3).size(-1)", "L.ones(2, 3).size(dim=0)",
    "L.ones(2, 3).dim()", "L.ones(2, 3).ndim", "L.ones(()).ndim", "L.ones(2, 3).numel()",
    "L.ones(2, 0).numel()", "L.ones(2, 3).shape.numel()", "str(L.ones(2).device)",
    "L.ones(2).device.type", "L.ones(2).device == L.device('cpu')", "L.ones(2).is_leaf",
    "(L.ones(2, requires_grad=True) * 2).is_leaf", "L.ones(2, requires_grad=True).is_leaf",
    "L.ones(2).requires_grad", "L.ones(2).grad", "L.ones(2).grad_fn",
    "L.tensor([[1, 2], [3, 4]]).T", "L.tensor([1, 2]).T", "L.tensor([[1.0, 2.0]]).t().shape",
    "L.tensor([1.5]).item()", "L.tensor(3).item()", "L.tensor([True]).item()",
    "L.tensor([[1, 2]]).tolist()", "L.tensor(2.5).tolist()", "L.tensor([[1.5], [2.0]]).tolist()",
    "L.tensor([True, False]).tolist()", "L.ones(2, 3).numpy().shape", "L.ones(2, 3).numpy().dtype",
    "L.tensor([[1, 2], [3, 4]]).contiguous()", "L.tensor([[1, 2], [3, 4]]).t().is_contiguous()",
    "L.tensor([[1, 2], [3, 4]]).t().contiguous().is_contiguous()",
    "L.tensor([[1, 2], [3, 4]]).t().contiguous()", "L.tensor([1.0, 2.0]).clone()",
    "L.tensor([1.0], requires_grad=True).detach().requires_grad", "len(L.zeros(4, 2))",
    "[t.tolist() for t in L.tensor([[1, 2], [3, 4]])]", "float(L.tensor(2.5))", "int(L.tensor(3))",
    "bool(L.tensor([0.0]))", "bool(L.tensor(2))", "L.tensor([1, 2, 3])[L.tensor(1)]",
    "list(range(5))[L.tensor(2)]", "L.ones(2, 3).new_zeros(4)", "L.ones(2, dtype=L.float64).new_ones((1, 2))",
    "L.ones(2).new_tensor([1, 2])", "L.ones(2).new_full((2,), 3.0)", "L.ones(2, 3).element_size()",
    "L.ones(2).cpu()", "f'{L.tensor(2.5):.2f}'", "L.arange(6).view(2, 3).max(dim=1)",
    "L.max(L.arange(6.0).view(2, 3), 0).indices", "L.tensor([3, 1, 2]).sort()", "L.arange(7).chunk(3)", "L.tensor([3.0, 1.0]).argmax().item()",
]

OPERATORS = [
    "L.tensor(5) // 2", "L.tensor([-7, 7]) // 2", "L.tensor([-7, 7]) % 3", "L.tensor([-7.0, 7.0]) % 3",
    "7 // L.tensor([2, -2])", "L.tensor([5, 3]) / L.tensor([2, 2])", "L.tensor([5, 3]) / 2",
    "1 / L.tensor([2, 4])", "L.tensor([2]) ** 3", "2 ** L.tensor([3])", "L.tensor([2]) ** -1.0",
    "L.tensor([2]) ** 0.5", "2.5 ** L.tensor([2])", "L.tensor([1, 2]) * 2.5", "2.5 * L.tensor([1, 2])",
    "L.tensor([1, 2]) + 1.0", "1 - L.tensor([1, 2])",
    "L.tensor([True]) + L.tensor([True])", "L.tensor([True]) + 1", "L.tensor([True]) * 2.5",
    "L.tensor([True, False]) * L.tensor([3, 4])", "L.tensor([1, 2], dtype=L.int32) * 2",
    "L.tensor([1, 2], dtype=L.int32) + L.tensor(5)", "L.tensor([1, 2], dtype=L.int32) + L.tensor([5])",
    "L.tensor([1.0, 2.0]) + L.tensor(5.0, dtype=L.float64)",
    "L.tensor([1.0, 2.0]) + L.tensor([5.0], dtype=L.float64)",
    "L.tensor([1, 2]) + L.tensor([0.5, 1.5])", "L.tensor(1) + L.tensor([0.5])",
    "L.tensor([1, 2], dtype=L.uint8) + L.tensor([1], dtype=L.int32)",
    "L.ones(2, dtype=L.uint8) * 200 + 100", "-L.tensor([1, -2])", "abs(L.tensor([-1, 2]))",
    "abs(L.tensor([-1.5]))", "+L.tensor([1.0])", "L.tensor([[1, 2], [3, 4]]) @ L.tensor([1, 1])",
    "L.tensor([1.0, 2.0]) @ L.tensor([3.0, 4.0])",
    "L.tensor([1, 2]) > 1", "1 < L.tensor([1, 2])", "L.tensor([1.0, 2.0]) == L.tensor([1.0, 3.0])",
    "L.tensor([1, 2]) == 2.0", "L.tensor([1, 2]) != 2", "L.tensor([1.0, 2.0]) >= 2", "L.tensor([1.0, 2.0]) <= 1.5",
    "L.tensor([1.0, 2.0]).eq(1.0)", "L.tensor([1, 2]).lt(L.tensor([2, 2]))", "L.tensor([0.5]) > L.tensor([[0.0], [1.0]])",
    "L.tensor([True, False]) & L.tensor([True, True])", "L.tensor([True, False]) | L.tensor([False, False])",
    "~L.tensor([True, False])", "L.tensor([True, False]) ^ L.tensor([True, True])", "L.tensor([6, 3]) & 2",
    "(L.tensor([1.0, 2.0]) > 1) & (L.tensor([1.0, 2.0]) < 3)", "~(L.tensor([1, 2]) > 1)",
    "L.tensor([1, 2]) | True", "L.where(L.tensor([True, False]), 1.0, 0.0)",
    "L.where(L.tensor([True, False]), 1, 0)", "L.where(L.tensor([True, False]), 1, 0.5)",
    "L.where(L.arange(4) > 1, L.arange(4), -1)", "L.where(L.arange(4) > 1, 0.5, L.arange(4))",
    "L.where(L.arange(4) > 1)", "L.tensor([-1.5, 2.5, 0.5]).round()", "L.tensor([1.25, 2.35]).round(decimals=1)",
]

REPRS = [
    "L.tensor([1.0, 2.0], requires_grad=True)", "L.tensor(3.0)", "L.tensor(2.5)", "L.tensor([1, 2, 3])",
    "L.tensor([True, False])", "L.tensor([1.5, 2.25])", "L.tensor([1.5, 2.25], dtype=L.float64)",
    "L.tensor([1, 2], dtype=L.int32)", "L.tensor([1, 2], dtype=L.uint8)",
    "L.tensor([1.0, 2.0], requires_grad=True) * 2", "L.tensor([1.0, 2.0], requires_grad=True) + 2",
    "L.tensor([1.0, 2.0], requires_grad=True).sum()", "L.tensor([[1.0, 2.0], [3.0, 4.0]])",
    "L.tensor([[1.5, -2.0], [3.0, 4.0]])", "L.tensor([])", "L.zeros(2, 0)", "L.zeros(0, dtype=L.int64)",
    "L.tensor([1e10, 1.0])", "L.tensor([1e-5, 1.0])", "L.tensor([float('inf'), float('nan'), 1.0])",
    "L.tensor([-1.0, 0.5])", "L.arange(12).reshape(3, 4)", "L.tensor(7)", "L.tensor([123.456, 0.001])",
    "L.zeros(2, 2, 2)", "L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)", "L.tensor([0.1, 0.2, 0.3])",
    "L.tensor(-0.0)", "L.tensor([100000.5])", "L.arange(2000.0)", "L.arange(2000).reshape(40, 50)",
    "L.arange(3000.0).reshape(10, 300) / 7", "L.arange(30.0) / 7", "L.arange(30) - 15",
    "L.arange(24.0).reshape(2, 3, 4) - 10", "L.tensor(1e20)", "L.tensor([0.0, 0.0])",
    "L.tensor(np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32))",
    "L.tensor(np.random.default_rng(1).standard_normal((3, 20)).astype(np.float32), requires_grad=True) * 1",
    "L.ones(2).shape", "L.float64", "L.int64",
]


@pytest.mark.parametrize("expr", CREATION + DTYPES + ATTRIBUTES + OPERATORS)
def test_same_as_torch(expr):
    check_both(expr)


@pytest.mark.parametrize("expr", REPRS)
def test_repr_same_as_torch(expr):
    ours = repr(eval(expr, {"L": npgrad, "np": np}))
    theirs = repr(eval(expr, {"L": torch, "np": np})).replace("torch.", "npgrad.")
    assert ours == theirs


# ------------------------------------------------------------------ type promotion
PROMOTION_DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
PROMOTION_OPS = {
    "add": operator.add, "mul": operator.mul, "truediv": operator.truediv,
    "maximum": lambda a, b: a.maximum(b), "eq": operator.eq,
}


def _sample(L, name, ndim):
    t = L.tensor([1, 0, 1] if name == "bool" else [1, 2, 3], dtype=getattr(L, name))
    return t[0] if ndim == 0 else t


@pytest.mark.parametrize("op", list(PROMOTION_OPS))
def test_type_promotion_between_tensors_matches_torch(op):
    """Every pair of dtypes, with and without 0-d operands (a 0-d tensor gives way)."""
    fn = PROMOTION_OPS[op]
    for a, b in itertools.product(PROMOTION_DTYPES, PROMOTION_DTYPES):
        for nda, ndb in [(1, 1), (0, 1), (1, 0), (0, 0)]:
            what = f"{a}{'[0-d]' if nda == 0 else ''} {op} {b}{'[0-d]' if ndb == 0 else ''}"
            assert_same(fn(_sample(npgrad, a, nda), _sample(npgrad, b, ndb)),
                        fn(_sample(torch, a, nda), _sample(torch, b, ndb)), what)


@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
def test_type_promotion_with_python_numbers_matches_torch(scalar):
    ops = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv}
    for name, nd, (op_name, fn), reverse in itertools.product(
        PROMOTION_DTYPES, (0, 1), ops.items(), (False, True)
    ):
        if name == "bool" and op_name == "sub" or scalar is True and op_name == "sub":
            continue  # torch refuses subtraction with bools
        what = f"{'scalar ' + op_name + ' ' + name if reverse else name + ' ' + op_name + ' scalar'}"
        ours, theirs = _sample(npgrad, name, nd), _sample(torch, name, nd)
        args = ((scalar, ours), (scalar, theirs)) if reverse else ((ours, scalar), (theirs, scalar))
        assert_same(fn(*args[0]), fn(*args[1]), what)


def test_float32_stays_float32_with_numpy_scalars():
    x = npgrad.ones(2)
    assert (x * np.float64(2.0)).dtype == npgrad.float32
    assert (np.float64(2.0) * x).dtype == npgrad.float32
    assert isinstance(np.float64(2.0) * x, npgrad.Tensor)


# ------------------------------------------------------------------ memory sharing
def test_tensor_copies_its_data():
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = npgrad.tensor(arr)
    arr[0] = 100.0
    assert t[0].item() == 1.0


def test_from_numpy_shares_memory_both_ways():
    arr = np.array([1.0, 2.0])
    t = npgrad.from_numpy(arr)
    assert t.dtype == npgrad.float64  # keeps the array's dtype
    arr[0] = 5.0
    assert t[0].item() == 5.0
    t[1] = 7.0
    assert arr[1] == 7.0
    t.add_(1)
    np.testing.assert_array_equal(arr, [6.0, 8.0])


def test_from_numpy_rejects_other_objects():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        npgrad.from_numpy([1, 2])


def test_as_tensor_shares_memory_when_it_can():
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = npgrad.as_tensor(arr)
    arr[0] = 9.0
    assert t[0].item() == 9.0
    existing = npgrad.ones(2)
    assert npgrad.as_tensor(existing) is existing


def test_numpy_shares_memory_and_refuses_requires_grad():
    t = npgrad.zeros(2)
    t.numpy()[0] = 3.0
    assert t[0].item() == 3.0
    w = npgrad.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\)"):
        w.numpy()
    assert w.detach().numpy().shape == (2,)


def test_data_is_readable_and_assignable():
    w = npgrad.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 10.0  # shares memory, no in-place error: .data is outside the graph
    assert w[0].item() == 10.0
    w.data = npgrad.tensor([3.0, 4.0])
    assert w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 4.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 8.0])


def test_clone_is_a_copy_in_the_graph():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None
    with npgrad.no_grad():
        c[0] = 50.0
    assert x[0].item() == 1.0
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_item_of_many_elements_raises():
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        npgrad.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(npgrad.ones(2))


def test_cuda_raises_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA") as excinfo:
        npgrad.ones(2).cuda()
    assert "cpu" in str(excinfo.value).lower()
    with pytest.raises(RuntimeError, match="cuda"):
        npgrad.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        npgrad.zeros(2, device="cuda:0")
    assert npgrad.cuda.is_available() is False
    assert npgrad.ones(2).to("cpu").device == "cpu"


def test_size_repr_and_numel():
    s = npgrad.ones(2, 3).shape
    assert repr(s) == repr(torch.ones(2, 3).shape).replace("torch.", "npgrad.")
    assert s == torch.Size([2, 3]) and s.numel() == 6


# ------------------------------------------------------------------ random
RANDOM_CALLS = {
    "rand": lambda: npgrad.rand(3, 4),
    "randn": lambda: npgrad.randn((3, 4)),
    "randint": lambda: npgrad.randint(0, 10, (20,)),
    "randint_high_only": lambda: npgrad.randint(5, (20,)),
    "randperm": lambda: npgrad.randperm(10),
    "rand_like": lambda: npgrad.rand_like(npgrad.zeros(2, 2, dtype=npgrad.float64)),
    "randn_like": lambda: npgrad.randn_like(npgrad.zeros(3)),
    "randint_like": lambda: npgrad.randint_like(npgrad.zeros(4, dtype=npgrad.int64), 3),
    "uniform_": lambda: npgrad.empty(5).uniform_(-2, 2),
    "normal_": lambda: npgrad.empty(5).normal_(1.0, 0.1),
}


@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_manual_seed_makes_random_draws_reproducible(name):
    call = RANDOM_CALLS[name]
    npgrad.manual_seed(123)
    first, again = call(), call()
    npgrad.manual_seed(123)
    second = call()
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert first.dtype == second.dtype and first.shape == second.shape
    assert not np.array_equal(first.numpy(), again.numpy())  # the stream moves on


def test_random_shapes_dtypes_and_ranges():
    npgrad.manual_seed(0)
    r = npgrad.rand(1000)
    assert r.dtype == npgrad.float32 and r.shape == (1000,)
    assert 0 <= r.min().item() and r.max().item() < 1
    n = npgrad.randn(2000)
    assert n.dtype == npgrad.float32 and abs(n.mean().item()) < 0.1 and 0.9 < n.std().item() < 1.1
    assert npgrad.randn(2, 3, dtype=npgrad.float64).dtype == npgrad.float64
    i = npgrad.randint(3, 7, (1000,))
    assert i.dtype == npgrad.int64 and i.min().item() == 3 and i.max().item() == 6
    p = npgrad.randperm(50)
    assert p.dtype == npgrad.int64 and sorted(p.tolist()) == list(range(50))
    u = npgrad.empty(1000).uniform_(-2, 2)
    assert -2 <= u.min().item() and u.max().item() < 2 and u.dtype == npgrad.float32
    assert npgrad.rand(2, 2, requires_grad=True).requires_grad


def test_generator_objects_are_independent_of_the_global_seed():
    g = npgrad.Generator().manual_seed(7)
    a = npgrad.rand(4, generator=g)
    npgrad.manual_seed(99)
    g2 = npgrad.Generator().manual_seed(7)
    b = npgrad.rand(4, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert npgrad.manual_seed(5) is npgrad.default_generator
    assert npgrad.initial_seed() == 5
