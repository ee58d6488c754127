"""Every overload of the creation functions tutorials use, against torch: the same call on
both libraries gives the same shape and dtype (and the same values where they are not
random)."""
import numpy as np
import pytest
import torch
from conftest import assert_same, dtype_name

import npgrad

# (name, fn(L), values too?)
CALLS = [
    ("zeros_varargs", lambda L: L.zeros(2, 3), True),
    ("zeros_tuple", lambda L: L.zeros((2, 3)), True),
    ("zeros_list", lambda L: L.zeros([2, 3]), True),
    ("zeros_size_kw", lambda L: L.zeros(size=(2, 3)), True),
    ("zeros_Size", lambda L: L.zeros(L.Size([4, 1])), True),
    ("zeros_scalar_shape", lambda L: L.zeros(()), True),
    ("zeros_dtype_device", lambda L: L.zeros(2, dtype=L.long, device="cpu"), True),
    ("ones_varargs_kw", lambda L: L.ones(2, 3, dtype=L.float64, requires_grad=True), True),
    ("ones_size_kw", lambda L: L.ones(size=[3]), True),
    ("ones_bool", lambda L: L.ones(2, dtype=L.bool), True),
    ("empty_shape", lambda L: L.empty(3, 2).fill_(1.0), True),
    ("empty_size_kw", lambda L: L.empty(size=(2, 2)).zero_(), True),
    ("full_float", lambda L: L.full((2, 3), 1.5), True),
    ("full_int", lambda L: L.full((2,), 7), True),
    ("full_bool", lambda L: L.full([2], True), True),
    ("full_dtype", lambda L: L.full((2, 2), 3, dtype=L.float32), True),
    ("full_kw", lambda L: L.full(size=(1, 2), fill_value=-1.0, dtype=L.float64), True),
    ("full_list_shape", lambda L: L.full([3], 0.25), True),
    ("arange_end", lambda L: L.arange(5), True),
    ("arange_float_end", lambda L: L.arange(2.5), True),
    ("arange_start_end", lambda L: L.arange(2, 7), True),
    ("arange_step", lambda L: L.arange(0, 10, 3), True),
    ("arange_float_step", lambda L: L.arange(0, 1, 0.1), True),
    ("arange_neg_step", lambda L: L.arange(5, 0, -1.5), True),
    ("arange_dtype", lambda L: L.arange(0, 5, 1, dtype=L.float32), True),
    ("arange_dtype64", lambda L: L.arange(1.0, 2.0, 0.3, dtype=L.float64), True),
    ("arange_kw", lambda L: L.arange(start=1, end=4, step=1), True),
    ("arange_tensor", lambda L: L.arange(L.tensor(4)), True),
    ("arange_device", lambda L: L.arange(3, device="cpu"), True),
    ("tensor_device", lambda L: L.tensor([1.0, 2.0], device="cpu"), True),
    ("tensor_device_obj", lambda L: L.tensor([1, 2], device=L.device("cpu")), True),
    ("tensor_dtype", lambda L: L.tensor([1, 2], dtype=L.float32), True),
    ("tensor_empty", lambda L: L.tensor([]), True),
    ("tensor_nested", lambda L: L.tensor([[1, 2], [3, 4]]), True),
    ("tensor_bool", lambda L: L.tensor([True, False]), True),
    ("tensor_scalar", lambda L: L.tensor(3.5, requires_grad=True), True),
    ("eye", lambda L: L.eye(3), True),
    ("eye_rect", lambda L: L.eye(2, 4, dtype=L.int64), True),
    ("linspace", lambda L: L.linspace(0, 1, 5), True),
    ("linspace_kw", lambda L: L.linspace(-1, 1, steps=4, dtype=L.float64), True),
    ("zeros_like", lambda L: L.zeros_like(L.ones(2, 3, dtype=L.float64)), True),
    ("ones_like_dtype", lambda L: L.ones_like(L.ones(2, 3), dtype=L.int64), True),
    ("full_like", lambda L: L.full_like(L.ones(2), 4), True),
    ("rand_varargs", lambda L: L.rand(2, 3), False),
    ("rand_tuple", lambda L: L.rand((2, 3)), False),
    ("rand_size_kw", lambda L: L.rand(size=(2, 3)), False),
    ("randn_varargs", lambda L: L.randn(2, 3), False),
    ("randn_size_kw", lambda L: L.randn(size=(4,)), False),
    ("randn_dtype", lambda L: L.randn(2, dtype=L.float64, requires_grad=True), False),
    ("randn_generator", lambda L: L.randn(2, 3, generator=L.Generator().manual_seed(0)), False),
    ("rand_generator", lambda L: L.rand(3, generator=L.Generator().manual_seed(1)), False),
    ("randint_high_size", lambda L: L.randint(10, (3, 2)), False),
    ("randint_high_size_kw", lambda L: L.randint(10, size=(3,)), False),
    ("randint_low_high_size", lambda L: L.randint(3, 10, (2, 2)), False),
    ("randint_all_kw", lambda L: L.randint(low=0, high=5, size=(4,)), False),
    ("randint_high_kw", lambda L: L.randint(high=5, size=(4,)), False),
    ("randint_dtype", lambda L: L.randint(0, 5, (3,), dtype=L.int32), False),
    ("randint_float_dtype", lambda L: L.randint(0, 5, (3,), dtype=L.float32), False),
    ("randint_generator", lambda L: L.randint(0, 5, (3,), generator=L.Generator().manual_seed(0)), False),
    ("randint_list_size", lambda L: L.randint(5, [2, 3]), False),
    ("randperm", lambda L: L.randperm(5), False),
    ("randperm_dtype", lambda L: L.randperm(4, dtype=L.int32), False),
    ("rand_like", lambda L: L.rand_like(L.ones(2, 3, dtype=L.float64)), False),
    ("randn_like", lambda L: L.randn_like(L.ones(2, 3)), False),
    ("randint_like", lambda L: L.randint_like(L.ones(2, 3), 10), False),
    ("randint_like_low_high", lambda L: L.randint_like(L.ones(2, 3), 3, 10), False),
    ("normal_size", lambda L: L.normal(0.0, 1.0, size=(2, 3)), False),
    ("empty_like", lambda L: L.empty_like(L.ones(2, dtype=L.int64)), False),
]


@pytest.mark.parametrize("name, fn, values", CALLS, ids=[c[0] for c in CALLS])
def test_creation_overload(name, fn, values):
    ours, theirs = fn(npgrad), fn(torch)
    assert tuple(ours.shape) == tuple(theirs.shape), name
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), name
    assert ours.requires_grad == theirs.requires_grad, name
    if values:
        assert_same(ours, theirs, name)


def test_randint_range_and_generator_repeat():
    x = npgrad.randint(3, 10, (1000,))
    assert x.min().item() >= 3 and x.max().item() <= 9
    a = npgrad.randint(0, 100, (5,), generator=npgrad.Generator().manual_seed(7))
    b = npgrad.randint(0, 100, (5,), generator=npgrad.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()


def test_creation_errors():
    for fn in (lambda L: L.randint(5, 3, (2,)), lambda L: L.zeros(-1, 2), lambda L: L.tensor([1.0], device="cuda")):
        with pytest.raises(Exception):
            fn(torch)
        with pytest.raises((RuntimeError, TypeError, ValueError)):
            fn(npgrad)


LEGACY = [
    ("Tensor_data", lambda L: L.Tensor([1, 2])),
    ("Tensor_nested", lambda L: L.Tensor([[1.5, 2], [3, 4]])),
    ("Tensor_sizes", lambda L: L.Tensor(2, 3).zero_()),
    ("Tensor_one_size", lambda L: L.Tensor(3).zero_()),
    ("Tensor_Size", lambda L: L.Tensor(L.Size([2, 1])).zero_()),
    ("Tensor_empty", lambda L: L.Tensor()),
    ("Tensor_of_tensor", lambda L: L.Tensor(L.tensor([1, 2]))),
    ("LongTensor_data", lambda L: L.LongTensor([1, 2])),
    ("LongTensor_floats", lambda L: L.LongTensor([1.7, -2.2])),
    ("LongTensor_sizes", lambda L: L.LongTensor(2, 2).zero_()),
    ("FloatTensor", lambda L: L.FloatTensor([1, 2])),
    ("DoubleTensor", lambda L: L.DoubleTensor([[1, 2]])),
    ("IntTensor", lambda L: L.IntTensor([3])),
    ("ByteTensor", lambda L: L.ByteTensor([3, 250])),
    ("BoolTensor", lambda L: L.BoolTensor([1, 0, 1])),
    ("HalfTensor", lambda L: L.HalfTensor([0.5])),
]


@pytest.mark.parametrize("name, fn", LEGACY, ids=[c[0] for c in LEGACY])
def test_legacy_constructors(name, fn):
    assert_same(fn(npgrad), fn(torch), name)


def test_legacy_isinstance_and_errors():
    for cls, ok in (("LongTensor", "int64"), ("FloatTensor", "float32"), ("DoubleTensor", "float64")):
        for dt in ("int64", "float32", "float64"):
            assert isinstance(npgrad.zeros(2, dtype=getattr(npgrad, dt)), getattr(npgrad, cls)) == (dt == ok)
            assert isinstance(torch.zeros(2, dtype=getattr(torch, dt)), getattr(torch, cls)) == (dt == ok)
    assert isinstance(npgrad.LongTensor([1]), npgrad.Tensor)
    for fn in (lambda L: L.Tensor(2.5), lambda L: L.Tensor(-1)):
        with pytest.raises((TypeError, RuntimeError)):
            fn(torch)
        with pytest.raises((TypeError, RuntimeError)):
            fn(npgrad)


@pytest.mark.parametrize("target", ["LongTensor", "DoubleTensor", "torch.IntTensor", "torch.FloatTensor"])
def test_type_with_legacy_names(target):
    x = np.array([1.5, -2.0], np.float32)

    def conv(L):
        t = L.tensor(x)
        return t.type(target) if "." in target else t.type(getattr(L, target))

    assert_same(conv(npgrad), conv(torch))


@pytest.mark.parametrize("call", [
    "L.normal(mean=L.zeros(3), std=1.0)", "L.normal(2, 3, size=(1, 4))",
    "L.normal(L.zeros(2, 2, dtype=L.float64), L.ones(2, 2, dtype=L.float64))", "L.normal(0.0, L.ones(3))",
    "L.rand(3).bernoulli()", "L.rand(2, 3, dtype=L.float64).bernoulli()", "L.zeros(4).bernoulli(0.5)",
])
def test_random_shapes_and_dtypes(call):
    ours, theirs = eval(call, {"L": npgrad}), eval(call, {"L": torch})
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    if "bernoulli" in call:
        assert set(np.unique(ours.numpy())) <= {0.0, 1.0}
