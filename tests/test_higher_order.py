"""Higher-order gradients: create_graph=True, gradgradcheck and autograd.functional against
torch (float64). For every op of the op table, the second derivative either equals torch's
or npgrad refuses with a clear error naming the op: never a wrong number silently."""
import numpy as np
import pytest
import torch
from test_ops_table import OPS, _inputs, _outputs, _seed

import npgrad
from npgrad.autograd import gradgradcheck

NO_DOUBLE = "cannot differentiate through the backward"


def _first_case(op):
    for shapes in op.shapes:
        if all(int(np.prod(s)) > 0 for s in shapes):
            return shapes
    return op.shapes[0]


CASES = [pytest.param(op, _first_case(op), id=op.name) for op in OPS if op.torch_grad]


def _second(L, op, arrays):
    """d/dx [ sum_k w_k * (dL/dx)_k ] where dL/dx = J^T v, built with create_graph=True."""
    xs = [L.tensor(a.copy(), requires_grad=True) for a in arrays]
    outs = [o for o in _outputs(op.fn(L, *xs)) if o.requires_grad]
    if not outs:
        return None
    rng = np.random.default_rng(5)
    vs = [L.tensor(rng.standard_normal(tuple(o.shape))) for o in outs]
    gs = L.autograd.grad(outs, xs, vs, create_graph=True, allow_unused=True)
    total = None
    for g in gs:
        if g is not None and g.requires_grad:
            term = (g * L.tensor(rng.standard_normal(tuple(g.shape)))).sum()
            total = term if total is None else total + term
    first = [_arr(g) for g in gs]
    if total is None:
        return first, None
    hs = L.autograd.grad(total, xs, allow_unused=True)
    return first, [_arr(h) for h in hs]


def _arr(t):
    if t is None:
        return None
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros (abs'')
        return np.zeros(tuple(t.shape))
    return t.detach().numpy().copy()


@pytest.mark.parametrize("op, shapes", CASES)
def test_second_derivative_matches_torch_or_refuses(op, shapes):
    arrays = _inputs(op, shapes, np.float64, _seed(op, shapes))
    theirs = _second(torch, op, arrays)
    try:
        ours = _second(npgrad, op, arrays)
    except RuntimeError as e:
        assert NO_DOUBLE in str(e), f"{op.name}: unexpected error {e}"
        return
    if theirs is None:
        assert ours is None
        return
    for a, b in zip(ours[0], theirs[0]):
        if a is None or b is None:
            assert a is None or not np.any(a) if b is None else b is None or not np.any(b)
            continue
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=f"{op.name}: first derivative")  # torch takes log(2) of 2 ** x in float32
    if theirs[1] is None or ours[1] is None:
        return
    for a, b in zip(ours[1], theirs[1]):
        a = 0.0 if a is None else a
        b = 0.0 if b is None else b
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=f"{op.name}: second derivative")


# the ops with a differentiable backward must not refuse, and pass gradgradcheck
SUPPORTED = [
    "add", "add_fn", "add_alpha", "sub", "sub_fn", "mul", "mul_fn", "div", "div_fn", "pow", "pow_fn",
    "neg", "add_scalar", "radd_scalar", "rsub_scalar", "mul_scalar", "rmul_scalar", "div_scalar",
    "rdiv_scalar", "pow_int", "pow_two", "pow_half", "pow_negative", "rpow", "rpow_float",
    "pow_scalar_fn", "matmul", "matmul_fn", "mm", "exp", "exp_method", "log", "log_method",
    "log1p", "sqrt", "sqrt_method", "sin", "cos", "tanh", "tanh_method", "sigmoid",
    "sigmoid_method", "sum", "sum_fn", "sum_dim", "sum_neg_dim", "sum_tuple", "sum_keepdim",
    "sum_tuple_keepdim", "mean", "mean_fn", "mean_dim", "mean_tuple_keepdim", "reshape",
    "reshape_fn", "reshape_tuple", "view", "view_sizes", "flatten", "flatten_fn", "squeeze",
    "unsqueeze", "transpose", "transpose_fn", "permute", "permute_tuple", "t", "t_fn", "T",
    "expand", "expand_minus1", "relu", "relu_method", "softmax", "softmax_dim0", "softmax_neg",
    "log_softmax", "log_softmax_dim0", "index_int", "index_negative", "index_two_ints",
    "index_chain", "index_slice", "index_step", "index_none", "index_none_mid", "index_ellipsis",
    "index_ellipsis_none", "split", "split_fn", "split_sizes", "split_sum", "chunk", "chunk_fn",
    "abs", "abs_fn", "clamp", "clamp_min", "clamp_max", "clip", "clip_method", "maximum",
    "minimum", "where", "where_scalar", "where_method", "max", "max_fn", "min", "min_fn", "var",
    "var_dim", "var_tuple", "var_keepdim", "var_biased", "var_correction", "std", "std_dim",
    "std_biased", "std_correction", "norm", "norm_dim", "logsumexp", "logsumexp_keepdim", "logsumexp_tuple", "cat", "cat_dim1", "cat_neg_dim", "stack",
    "stack_dim", "stack_neg_dim", "mod", "mod_scalar", "masked_fill", "masked_fill_fn",
]
BY_NAME = {op.name: op for op in OPS}


@pytest.mark.parametrize("name", SUPPORTED)
def test_gradgradcheck_on_supported_ops(name):
    op = BY_NAME[name]
    shapes = _first_case(op)
    arrays = _inputs(op, shapes, np.float64, _seed(op, shapes))
    xs = [npgrad.tensor(a, requires_grad=True) for a in arrays]
    assert _second(npgrad, op, arrays) is not None  # no refusal
    assert gradgradcheck(lambda *t: op.fn(npgrad, *t), xs)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class WrongSin(npgrad.autograd.function.Op):
        _double = True

        def forward(self, x):
            self.saved = (x,)
            return np.sin(x)

        def backward(self, grad):  # right first derivative, but written with a constant
            x = self.saved[0]
            return (grad * np.cos(x.detach().numpy() if hasattr(x, "detach") else x),)

    x = npgrad.tensor([0.3, -1.2], dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradcheck(WrongSin.apply, (x,))
    assert gradgradcheck(WrongSin.apply, (x,), raise_exception=False) is False


def test_backward_create_graph_fills_differentiable_grads():
    def case(L):
        x = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        y = (x.sin() * x.exp() + x**3).sum()
        y.backward(create_graph=True)
        g = x.grad
        assert g.requires_grad
        (h,) = L.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()

    for a, b in zip(case(npgrad), case(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_unsupported_op_refuses_by_name():
    x = npgrad.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=npgrad.float64, requires_grad=True)
    y = x.prod(1).sum()
    with pytest.raises(RuntimeError, match="ProdBackward0"):
        npgrad.autograd.grad(y, x, create_graph=True)


def test_third_derivative():
    def case(L):
        x = L.tensor([0.7, 1.3], dtype=L.float64, requires_grad=True)
        y = (x**4 + x.sin()).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x, create_graph=True)
        (t,) = L.autograd.grad(h.sum(), x)
        return t.numpy()

    np.testing.assert_allclose(case(npgrad), case(torch), rtol=1e-12)


# ------------------------------------------------------------------ autograd.functional
def _f_scalar(L):
    return lambda x, y: (x**3 * y).sum() + (x * y.exp()).sum()


def _vals(L):
    x = L.tensor([0.5, -1.0, 2.0], dtype=L.float64)
    y = L.tensor([1.5, 0.25, -0.5], dtype=L.float64)
    return x, y


def _np(r):
    if isinstance(r, (tuple, list)):
        return [_np(t) for t in r]
    return r.detach().numpy()


def _same(a, b):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_functional_matches_torch(name, create_graph):
    def run(L):
        F = L.autograd.functional
        x, y = _vals(L)
        v = L.tensor([1.0, -2.0, 0.5], dtype=L.float64)
        vec = lambda x, y: x.sin() * y + x * x  # noqa: E731
        if name == "jacobian":
            return [F.jacobian(vec, (x, y), create_graph=create_graph),
                    F.jacobian(lambda x: x.exp() @ x.reshape(3, 1) * x, x, create_graph=create_graph)]
        if name == "hessian":
            return [F.hessian(_f_scalar(L), (x, y), create_graph=create_graph),
                    F.hessian(lambda x: (x**3).sum(), x, create_graph=create_graph)]
        if name == "vjp":
            return [F.vjp(vec, (x, y), v, create_graph=create_graph), F.vjp(lambda x: (x**2).sum(), x)]
        if name == "jvp":
            return [F.jvp(vec, (x, y), (v, v * 2), create_graph=create_graph)]
        if name == "hvp":
            return [F.hvp(_f_scalar(L), (x, y), (v, v * 3), create_graph=create_graph)]
        return [F.vhp(_f_scalar(L), (x, y), (v, -v), create_graph=create_graph)]

    _same(_np(run(npgrad)), _np(run(torch)))


@pytest.mark.parametrize("L", [torch, npgrad], ids=["torch", "npgrad"])
def test_functional_strict_raises_for_an_independent_input(L):
    x, y = _vals(L)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        L.autograd.functional.vjp(lambda x, y: x * 2, (x, y), L.ones(3, dtype=L.float64), strict=True)
    _, (gx, gy) = L.autograd.functional.vjp(lambda x, y: x * 2, (x, y), L.ones(3, dtype=L.float64))
    assert not gy.numpy().any()


def test_functional_create_graph_results_are_differentiable():
    for L in (torch, npgrad):
        x = L.tensor([0.5, 1.5], dtype=L.float64, requires_grad=True)
        h = L.autograd.functional.hessian(lambda x: (x**4).sum(), x, create_graph=True)
        assert h.requires_grad


def test_hessian_of_a_small_mlp_loss_matches_torch():
    """nn.Linear + tanh + mse: the Hessian of the loss w.r.t. the first layer's weight."""
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((3, 2)), rng.standard_normal(3)
    w2 = rng.standard_normal((1, 3))
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))

    def run(L):
        F = L.nn.functional
        X, Y, B1, W2 = (L.tensor(a, dtype=L.float64) for a in (x, y, b1, w2))

        def loss(w):
            return F.mse_loss(F.linear(F.linear(X, w, B1).tanh(), W2), Y)

        return L.autograd.functional.hessian(loss, L.tensor(w1, dtype=L.float64)).numpy()

    np.testing.assert_allclose(run(npgrad), run(torch), rtol=1e-10, atol=1e-12)


def test_hessian_through_indexing_matches_torch():
    def run(L):
        f = lambda x: x[0] ** 2 * x[1] + x[1:].sin().sum() * x[0]  # noqa: E731
        return L.autograd.functional.hessian(f, L.tensor([0.3, -1.1, 2.0], dtype=L.float64)).numpy()

    np.testing.assert_allclose(run(npgrad), run(torch), rtol=1e-12)
