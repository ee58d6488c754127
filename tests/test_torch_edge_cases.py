"""torch's answers on edge cases where npgrad used to differ silently (issue 12): each case
runs on torch and npgrad in the same test; both raise, or both give the same values."""
import warnings

import numpy as np
import pytest
import torch

import npgrad

NAN, INF = float("nan"), float("inf")


def outcome(case, L):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # NumPy stays quiet where torch is
            result = case(L)
    except (RuntimeError, IndexError) as e:
        return "raise", type(e).__name__
    out = []
    for r in result if isinstance(result, (tuple, list)) else (result,):
        if r is None or isinstance(r, (bool, int, float, str)):
            out.append(r)
        elif hasattr(r, "is_floating_point") and not hasattr(r, "numpy"):
            out.append(str(r))
        elif type(r).__name__ == "dtype":
            out.append(str(r).split(".")[-1])
        else:
            a = r.detach().numpy()
            out.append((str(a.dtype), a.shape, a.tolist()))
    return "ok", out


def same(case):
    kt, vt = outcome(case, torch)
    kn, vn = outcome(case, npgrad)
    assert (kt, vt) == (kn, vn) or (kt == kn == "ok" and _close(vt, vn)), f"torch {kt} {vt}\nnpgrad {kn} {vn}"


def _close(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, tuple) and isinstance(y, tuple):
            if x[:2] != y[:2] or not np.allclose(np.array(x[2], dtype=float), np.array(y[2], dtype=float), equal_nan=True, rtol=1e-6, atol=0):
                return False
        elif x != y:
            return False
    return True


CASES = {
    "fmod_scalar": lambda L: L.tensor([-3.0, 3.0, -5.5]).fmod(2),
    "fmod_tensor": lambda L: L.fmod(L.tensor([-3.0, 3.0, -5.5]), L.tensor([2.0, -2.0, 2.0])),
    "remainder": lambda L: L.tensor([-3.0, 3.0, -5.5]).remainder(2),
    "softmax_dtype": lambda L: L.tensor([1.0, 2.0]).softmax(0, dtype=L.float64),
    "log_softmax_dtype": lambda L: L.tensor([1.0, 2.0]).log_softmax(0, dtype=L.float64),
    "sum_dtype": lambda L: L.tensor([1.0, 2.0]).sum(dtype=L.float64),
    "mean_dtype": lambda L: L.tensor([1.0, 2.0]).mean(dtype=L.float64),
    "cumsum_dtype": lambda L: L.tensor([1.0, 2.0]).cumsum(0, dtype=L.float64),
    "cumsum_int_dtype": lambda L: L.cumsum(L.tensor([1, 2]), 0, dtype=L.float32),
    "view_int32": lambda L: L.tensor([1.0, 2.0]).view(L.int32),
    "view_int16": lambda L: L.tensor([1.0, -2.0]).view(L.int16),
    "view_float64": lambda L: L.tensor([1.0, 2.0, 3.0, 4.0]).view(L.float64),
    "view_uint8_2d": lambda L: L.tensor([[1.0, 2.0], [3.0, 4.0]]).view(L.uint8),
    "view_float64_odd": lambda L: L.tensor([1.0, 2.0, 3.0]).view(L.float64),
    "view_0d_other_size": lambda L: L.tensor(1.0).view(L.float64),
    "view_0d_same_size": lambda L: L.tensor(1.0).view(L.int32),
    "view_strided_last": lambda L: L.ones(2, 3).t().view(L.float16),
    "view_dtype_shares_memory": lambda L: _view_shares(L),
    "gather_negative": lambda L: L.tensor([1.0, 2.0, 3.0]).gather(0, L.tensor([-1])),
    "gather_too_big": lambda L: L.tensor([1.0, 2.0, 3.0]).gather(0, L.tensor([3])),
    "index_select_negative": lambda L: L.tensor([1.0, 2.0, 3.0]).index_select(0, L.tensor([-1])),
    "take_along_dim_negative": lambda L: L.take_along_dim(L.tensor([1.0, 2.0, 3.0]), L.tensor([-1, -3]), 0),
    "take_along_dim_wraps": lambda L: L.take_along_dim(L.tensor([1.0, 2.0, 3.0]), L.tensor([-4, -7, 3, 4]), 0),
    "index_negative": lambda L: L.tensor([1.0, 2.0, 3.0])[L.tensor([-1])],
    "backward_inputs": lambda L: _backward_inputs(L),
    "backward_inputs_nonleaf": lambda L: _backward_inputs_nonleaf(L),
    "ce_all_ignored_mean": lambda L: _ce(L, "mean", L.nn.functional.cross_entropy),
    "ce_all_ignored_sum": lambda L: _ce(L, "sum", L.nn.functional.cross_entropy),
    "ce_all_ignored_none": lambda L: _ce(L, "none", L.nn.functional.cross_entropy),
    "nll_all_ignored_mean": lambda L: _ce(L, "mean", L.nn.functional.nll_loss),
}
for _name in ("max", "min", "amax", "amin"):
    CASES[f"{_name}_backward_with_nan"] = (lambda n: lambda L: _nan_grad(L, lambda x: getattr(x, n)()))(_name)
CASES["max_dim_backward_with_nan"] = lambda L: _nan_grad(L, lambda x: x.max(0)[0])
CASES["max_backward_with_inf"] = lambda L: _nan_grad(L, lambda x: x.max(), [1.0, INF, 3.0, INF])


def _view_shares(L):
    a = L.tensor([1.0, 2.0])
    v = a.view(L.int32)
    v[0] = 0
    return a, a._version, v._version


def _backward_inputs(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    w = L.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    return x.grad, w.grad


def _backward_inputs_nonleaf(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h, x])
    return x.grad, h.grad


def _ce(L, reduction, fn):
    x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = fn(x, L.tensor([-100, -100]), reduction=reduction)
    loss.sum().backward()
    return loss, x.grad


def _nan_grad(L, f, values=(1.0, NAN, 3.0, NAN)):
    x = L.tensor(list(values), requires_grad=True)
    y = f(x)
    y.backward()
    return y, x.grad


@pytest.mark.parametrize("name", list(CASES))
def test_edge_case_matches_torch(name):
    same(CASES[name])
