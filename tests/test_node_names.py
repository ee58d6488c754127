"""``grad_fn.name()`` as PyTorch names the node, where the name depends on the inputs (a
learner compares ``print(y.grad_fn)`` with the tutorial's), and ``mm``/``bmm`` refuse what
PyTorch's refuse instead of broadcasting like ``matmul``; no matrix product mixes dtypes."""
import numpy as np
import pytest
import torch

import npgrad

EXPRESSIONS = {
    "2-d @ 2-d": lambda L, a: a[0] @ L.ones(4, 2),
    "2-d @ 1-d": lambda L, a: a[0] @ L.ones(4),
    "1-d @ 1-d": lambda L, a: a[0, 0] @ L.ones(4),
    "1-d @ 2-d": lambda L, a: a[0, 0] @ L.ones(4, 2),
    "3-d @ 3-d": lambda L, a: a @ L.ones(2, 4, 2),
    "mm": lambda L, a: L.mm(a[0], L.ones(4, 2)),
    "Tensor.mm": lambda L, a: a[1].mm(L.ones(4, 2)),
    "bmm": lambda L, a: L.bmm(a, L.ones(2, 4, 5)),
    "dot": lambda L, a: L.dot(a[0, 0], L.ones(4)),
    "select": lambda L, a: a[0],
    "select, slice": lambda L, a: a[0, 1:],
    "slice, select": lambda L, a: a[1:, 0],
    "last dim select": lambda L, a: a[..., 1],
    "full slice": lambda L, a: a[:],
    "new axis": lambda L, a: a[None],
    "select, new axis": lambda L, a: a[0, None],
    "list index": lambda L, a: a[[0, 1]],
    "mixed index": lambda L, a: a[0, [1, 2]],
    "mask": lambda L, a: a[a > 0],
    "add": lambda L, a: a + 1,
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_node_names_match_torch(name):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10
    t = torch.tensor(x, requires_grad=True)
    n = npgrad.tensor(x, requires_grad=True)
    expected = EXPRESSIONS[name](torch, t).grad_fn.name()
    assert EXPRESSIONS[name](npgrad, n).grad_fn.name() == expected


@pytest.mark.parametrize("call, match", [
    (lambda L: L.mm(L.ones(2, 3, 4), L.ones(4, 2)), "mm: self must be a matrix"),
    (lambda L: L.mm(L.ones(3), L.ones(3, 2)), "mm: self must be a matrix"),
    (lambda L: L.mm(L.ones(2, 3), L.ones(3)), "mm: mat2 must be a matrix"),
    (lambda L: L.ones(2, 3).mm(L.ones(3, 2, 2)), "mm: mat2 must be a matrix"),
    (lambda L: L.bmm(L.ones(2, 3), L.ones(3, 2)), "bmm: batch1 must be a 3D tensor"),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(3, 2)), "bmm: batch2 must be a 3D tensor"),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(1, 3, 2)), r"bmm: expected size .* \[2, 3\]"),
    (lambda L: L.ones(2, 2, 3).bmm(L.ones(2, 4, 2)), r"bmm: expected size .* \[2, 3\]"),
    # no type promotion in matrix products, as PyTorch: a float32 weight times float64 data
    (lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64), "matmul: expected both .* same dtype"),
    (lambda L: L.ones(3, 2, 2) @ L.ones(2, 2, dtype=L.float64), "same dtype"),
    (lambda L: L.mm(L.ones(2, 2), L.ones(2, 2, dtype=L.int64)), "same dtype"),
    (lambda L: L.dot(L.ones(2), L.ones(2, dtype=L.float64)), "same dtype"),
])
def test_mm_and_bmm_refuse_what_torch_refuses(call, match):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=match):
        call(npgrad)


def test_mm_and_bmm_compute_like_torch():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(npgrad.bmm(npgrad.tensor(a), npgrad.tensor(b)).numpy(),
                               torch.bmm(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_allclose(npgrad.tensor(a[0]).mm(npgrad.tensor(b[0])).numpy(),
                               torch.tensor(a[0]).mm(torch.tensor(b[0])).numpy())
