"""npgrad.linalg against torch.linalg: norms, inv, solve, det - values and gradients in
float32 and float64, gradcheck in float64, and the errors PyTorch raises."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd import gradcheck

from conftest import assert_same, pair

NORMS = [
    ("vector_norm", {}), ("vector_norm", {"ord": 1, "dim": 1}), ("vector_norm", {"ord": 3, "dim": -1}),
    ("vector_norm", {"ord": float("inf")}), ("vector_norm", {"ord": float("-inf"), "dim": 0}),
    ("vector_norm", {"ord": 0, "dim": 1}), ("vector_norm", {"dim": (0, 1), "keepdim": True}),
    ("matrix_norm", {}), ("matrix_norm", {"ord": 1}), ("matrix_norm", {"ord": -1}),
    ("matrix_norm", {"ord": float("inf"), "keepdim": True}), ("matrix_norm", {"ord": float("-inf")}),
    ("norm", {}), ("norm", {"dim": 1}), ("norm", {"ord": "fro", "dim": (1, 2)}), ("norm", {"ord": 1, "dim": (1, 2)}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", NORMS)
def test_norms_match_torch(name, kwargs, dtype):
    ours, theirs = pair(np.random.RandomState(0).randn(2, 3, 4).astype(dtype), requires_grad=True)
    got, want = getattr(npgrad.linalg, name)(ours, **kwargs), getattr(torch.linalg, name)(theirs, **kwargs)
    assert_same(got, want)
    if kwargs.get("ord") != 0:
        weights = np.asarray(np.random.RandomState(1).rand(*want.shape)).astype(dtype)
        (got * npgrad.tensor(weights)).sum().backward()
        (want * torch.tensor(weights)).sum().backward()
        assert_same(ours.grad, theirs.grad, "gradient")


def _well_conditioned(shape, dtype, seed=2):
    a = np.random.RandomState(seed).randn(*shape)
    return (a + 3 * np.eye(shape[-1])).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_inv_det_match_torch(shape, dtype):
    ours, theirs = pair(_well_conditioned(shape, dtype), requires_grad=True)
    for name in ("inv", "det"):
        got, want = getattr(npgrad.linalg, name)(ours), getattr(torch.linalg, name)(theirs)
        assert_same(got, want, rtol=1e-4 if dtype == np.float32 else None,
                    atol=1e-5 if dtype == np.float32 else None)
        got.sum().backward()
        want.sum().backward()
        assert_same(ours.grad, theirs.grad, "gradient", rtol=1e-4 if dtype == np.float32 else None,
                    atol=1e-5 if dtype == np.float32 else None)
        ours.grad, theirs.grad = None, None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                              ((2, 3, 3), (2, 3)), ((2, 3, 3), (2, 3, 4))])
def test_solve_matches_torch(a_shape, b_shape, dtype):
    a, ta = pair(_well_conditioned(a_shape, dtype), requires_grad=True)
    b, tb = pair(np.random.RandomState(3).randn(*b_shape).astype(dtype), requires_grad=True)
    got, want = npgrad.linalg.solve(a, b), torch.linalg.solve(ta, tb)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_same(got, want, **tol)
    got.sum().backward()
    want.sum().backward()
    assert_same(a.grad, ta.grad, "gradient", **tol)
    assert_same(b.grad, tb.grad, "gradient", **tol)


def test_gradcheck_inv_solve_det():
    a = npgrad.tensor(_well_conditioned((3, 3), np.float64), requires_grad=True)
    b = npgrad.tensor(np.random.RandomState(4).randn(3, 2), requires_grad=True)
    assert gradcheck(npgrad.linalg.inv, (a,))
    assert gradcheck(npgrad.linalg.det, (a,))
    assert gradcheck(npgrad.linalg.solve, (a, b))
    assert gradcheck(lambda x: npgrad.linalg.norm(x), (a,))


def test_errors_like_torch():
    with pytest.raises(RuntimeError, match="square"):
        torch.linalg.inv(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="square"):
        npgrad.linalg.inv(npgrad.ones(2, 3))
    with pytest.raises(RuntimeError, match="singular"):
        torch.linalg.inv(torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match="singular"):
        npgrad.linalg.inv(npgrad.zeros(2, 2))
    with pytest.raises(RuntimeError, match="singular"):
        npgrad.linalg.solve(npgrad.zeros(2, 2), npgrad.ones(2))
    for lib in (torch, npgrad):
        with pytest.raises(RuntimeError, match="must be 1D or 2D"):
            lib.linalg.norm(lib.ones(2, 2, 2), ord="fro")
    with pytest.raises(NotImplementedError, match="singular values"):
        npgrad.linalg.matrix_norm(npgrad.ones(2, 2), "nuc")
