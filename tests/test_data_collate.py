"""default_collate and default_convert against PyTorch's, on the same samples."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import npgrad
from npgrad.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def same_structure(ours, theirs, where="batch"):
    """Walk both results together: same containers, same tensors (dtype, shape, values)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, npgrad.Tensor), f"{where}: expected a Tensor, got {type(ours)}"
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], where
        assert tuple(ours.shape) == tuple(theirs.shape), where
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for key in theirs:
            same_structure(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{where}: {type(ours)} vs {type(theirs)}"
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same_structure(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, where


def to_torch(sample):
    """The same sample with npgrad tensors replaced by torch tensors."""
    if isinstance(sample, npgrad.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return type(sample)((k, to_torch(v)) for k, v in sample.items())
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(to_torch(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(to_torch(v) for v in sample)
    return sample


def samples_of(kind, rng):
    if kind == "tensor":
        return [npgrad.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(4)]
    if kind == "int64 tensor":
        return [npgrad.tensor(int(v)) for v in rng.integers(0, 9, 4)]
    if kind == "ndarray":
        return [rng.integers(0, 255, (3, 2)).astype(np.uint8) for _ in range(4)]
    if kind == "numpy scalars":
        return [np.float32(v) for v in rng.standard_normal(4)]
    if kind == "floats":
        return [float(v) for v in rng.standard_normal(4)]
    if kind == "ints":
        return [int(v) for v in rng.integers(0, 9, 4)]
    if kind == "bools":
        return [True, False, True, True]
    if kind == "strings":
        return ["a", "b", "c", "d"]
    if kind == "tuples (image, label)":
        return [(rng.standard_normal((1, 2, 2)).astype(np.float32), int(i)) for i in range(4)]
    if kind == "dicts":
        return [{"x": rng.standard_normal(3), "y": i, "name": f"n{i}"} for i in range(4)]
    if kind == "ordered dicts":
        return [collections.OrderedDict(b=float(i), a=np.int64(i)) for i in range(4)]
    if kind == "namedtuples":
        return [Point(np.arange(2) + i, float(i)) for i in range(4)]
    if kind == "nested":
        return [({"img": rng.standard_normal((2,)), "meta": [i, float(i)]}, (i, "s"))
                for i in range(3)]
    raise AssertionError(kind)


KINDS = ["tensor", "int64 tensor", "ndarray", "numpy scalars", "floats", "ints", "bools",
         "strings", "tuples (image, label)", "dicts", "ordered dicts", "namedtuples", "nested"]


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_matches_torch(kind):
    samples = samples_of(kind, np.random.default_rng(0))
    ours = default_collate(samples)
    theirs = tud.default_collate([to_torch(s) for s in samples])
    same_structure(ours, theirs)


@pytest.mark.parametrize("kind", ["ndarray", "tuples (image, label)", "dicts", "namedtuples",
                                  "nested", "floats"])
def test_default_convert_matches_torch(kind):
    samples = samples_of(kind, np.random.default_rng(1))
    for sample in samples:
        same_structure(default_convert(sample), tud.default_convert(to_torch(sample)))


def test_collate_keeps_float32():
    batch = default_collate([np.zeros(3, np.float32), np.ones(3, np.float32)])
    assert batch.dtype == npgrad.float32


def test_collate_keeps_gradient_path():
    a = npgrad.tensor([1.0, 2.0], requires_grad=True)
    b = npgrad.tensor([3.0, 4.0], requires_grad=True)
    out = default_collate([a, b])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_collate_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1, 2, 3]])
    with pytest.raises(RuntimeError, match=r"\[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([npgrad.zeros(2), npgrad.zeros(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])
