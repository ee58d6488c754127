"""F.unfold / F.fold and nn.Unfold / nn.Fold against PyTorch: values, gradients (float32,
float64), gradcheck, the fold(unfold(x)) identity with a count, errors."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck

# input (N, C, H, W), keyword arguments
CASES = [
    ((2, 3, 5, 6), dict(kernel_size=3)),
    ((2, 2, 7, 6), dict(kernel_size=(2, 3), stride=2, padding=1)),
    ((1, 2, 8, 9), dict(kernel_size=3, dilation=(2, 1), padding=(1, 2), stride=(1, 2))),
    ((2, 3, 4, 4), dict(kernel_size=2, stride=2)),
    ((3, 5, 6), dict(kernel_size=2, stride=(2, 1))),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_unfold_and_fold_match_torch(shape, kw, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ua, ub = F.unfold(xa, **kw), torch.nn.functional.unfold(xb, **kw)
    assert_same(ua, ub, "unfold")
    # fold the columns back (overlaps add up), then back-propagate through both
    fa = F.fold(ua * 2, shape[-2:], **kw)
    fb = torch.nn.functional.fold(ub * 2, shape[-2:], **kw)
    assert_same(fa, fb, "fold")
    seed = np.random.default_rng(1).standard_normal(tuple(fb.shape)).astype(dtype)
    fa.backward(npgrad.tensor(seed))
    fb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad")


def test_gradcheck_both():
    rng = np.random.default_rng(2)
    x = npgrad.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    kw = dict(kernel_size=(2, 3), padding=1, stride=(2, 1), dilation=(1, 2))
    assert gradcheck(lambda t: F.unfold(t, **kw), (x,))
    cols = F.unfold(x, **kw).detach().requires_grad_(True)
    assert gradcheck(lambda t: F.fold(t, (4, 5), **kw), (cols,))


def test_modules_and_repr():
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 6)).astype(np.float32)
    for make in (lambda lib: lib.nn.Unfold(3, padding=1, stride=2),
                 lambda lib: lib.nn.Unfold((2, 3), dilation=2)):
        assert repr(make(npgrad)) == repr(make(torch))
        assert_same(make(npgrad)(npgrad.tensor(x)), make(torch)(torch.tensor(x)))
    cols = np.random.default_rng(4).standard_normal((2, 3 * 4, 25)).astype(np.float32)
    ours, theirs = npgrad.nn.Fold((6, 6), 2), torch.nn.Fold((6, 6), 2)
    assert repr(ours) == repr(theirs)
    assert_same(ours(npgrad.tensor(cols)), theirs(torch.tensor(cols)))


@pytest.mark.parametrize("call,shape,match", [
    (lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (1, 7, 9), "divisible by the product"),
    (lambda lib, x: lib.nn.functional.fold(x, (4, 4), 2), (1, 8, 10), "sliding blocks 3 \\* 3"),
    (lambda lib, x: lib.nn.functional.unfold(x, 3), (2, 2, 4), "unfold.*\\(2, 2, 4\\)"),
    (lambda lib, x: lib.nn.functional.unfold(x, 5), (1, 2, 4, 4), "unfold.*at least one"),
])
def test_errors_as_torch(call, shape, match):
    with pytest.raises(RuntimeError):
        call(torch, torch.zeros(shape))
    with pytest.raises(RuntimeError, match=match):
        call(npgrad, npgrad.zeros(*shape))
