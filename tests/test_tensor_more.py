"""finfo/iinfo and the composed tensor functions (hstack, vstack, column_stack, movedim,
swapaxes, tile, diff, clamp_min/max, addcmul/addcdiv, mT) against torch: values and
gradients in float32 and float64, gradcheck."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair

CASES = {
    "hstack": lambda L, a, b: L.hstack([a, b]),
    "hstack 1-d": lambda L, a, b: L.hstack([a[0], b[1]]),
    "vstack": lambda L, a, b: L.vstack([a[0], b]),
    "column_stack": lambda L, a, b: L.column_stack([a[:, 0], b]),
    "movedim": lambda L, a, b: L.movedim(a.reshape(2, 2, 2), 0, -1),
    "movedim tuple": lambda L, a, b: L.movedim(a.reshape(2, 2, 2), (0, 1), (2, 0)),
    "moveaxis": lambda L, a, b: L.moveaxis(a, 1, 0) * b.T,
    "swapaxes": lambda L, a, b: a.swapaxes(0, 1),
    "swapdims": lambda L, a, b: L.swapdims(a, 0, 1),
    "tile": lambda L, a, b: L.tile(a, (2, 1, 2)),
    "tile short": lambda L, a, b: a.tile((2,)),
    "diff": lambda L, a, b: L.diff(a),
    "diff n=2 dim 0 prepend": lambda L, a, b: L.diff(a, n=2, dim=0, prepend=b),
    "clamp_min": lambda L, a, b: a.clamp_min(0.3),
    "clamp_max": lambda L, a, b: L.clamp_max(a, 0.6),
    "addcmul": lambda L, a, b: L.addcmul(a, a, b, value=0.5),
    "addcdiv": lambda L, a, b: a.addcdiv(a, b + 1, value=-2),
    "mT": lambda L, a, b: a.mT @ b,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_composed_functions_match_torch(case, dtype):
    rs = np.random.RandomState(0)
    a, ta = pair(rs.rand(2, 4).astype(dtype) if case != "moveaxis" else rs.rand(2, 4).astype(dtype),
                 requires_grad=True)
    b, tb = pair(rs.rand(2, 4).astype(dtype), requires_grad=True)
    if case in ("moveaxis",):
        b, tb = pair(rs.rand(2, 4).astype(dtype), requires_grad=True)
    got, want = CASES[case](npgrad, a, b), CASES[case](torch, ta, tb)
    assert_same(got, want)
    w = np.asarray(np.random.RandomState(1).rand(*want.shape)).astype(dtype)
    (got * npgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    assert_same(a.grad, ta.grad, "gradient")
    if tb.grad is not None:
        assert_same(b.grad, tb.grad, "gradient")


def test_in_place_forms_and_bool_diff_like_torch():
    ours, theirs = pair(np.array([0.1, 0.5, 0.9], np.float32))
    assert_same(ours.clone().clamp_min_(0.4), theirs.clone().clamp_min_(0.4))
    assert_same(ours.clone().addcmul_(ours, ours, value=2), theirs.clone().addcmul_(theirs, theirs, value=2))
    assert_same(ours.clone().addcdiv_(ours, ours + 1), theirs.clone().addcdiv_(theirs, theirs + 1))
    bo, bt = pair(np.array([True, True, False]))
    assert_same(npgrad.diff(bo), torch.diff(bt))


def test_gradcheck_composed():
    a = npgrad.tensor(np.random.RandomState(2).rand(3, 4), requires_grad=True)
    assert gradcheck(lambda x: npgrad.diff(x, n=2, dim=1), (a,))
    assert gradcheck(lambda x: npgrad.movedim(x, 0, 1).tile((2, 1)), (a,))
    assert gradcheck(lambda x: npgrad.addcdiv(x, x, x + 2, value=0.3), (a,))


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_finfo_matches_torch(name):
    ours, theirs = npgrad.finfo(getattr(npgrad, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.dtype == theirs.dtype and repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo_matches_torch(name):
    ours, theirs = npgrad.iinfo(getattr(npgrad, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)


def test_finfo_default_and_errors_like_torch():
    assert npgrad.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError):
        torch.finfo(torch.int64)
    with pytest.raises(TypeError, match="iinfo"):
        npgrad.finfo(npgrad.int64)
    with pytest.raises(TypeError):
        torch.iinfo(torch.float32)
    with pytest.raises(TypeError, match="finfo"):
        npgrad.iinfo(npgrad.float32)
