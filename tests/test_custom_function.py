"""PyTorch's custom-Function API and anomaly detection, each case run on torch and npgrad."""
import warnings

import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd.function import Function as ModuleLevel, Op

LIBS = pytest.mark.parametrize("L", [torch, npgrad], ids=["torch", "npgrad"])


def arr(t):
    return None if t is None else np.asarray(t.detach().numpy(), dtype=np.float64)


def both(case):
    rt, rn = case(torch), case(npgrad)
    for a, b in zip(rt, rn):
        if a is None or b is None:
            assert a is None and b is None
        elif isinstance(a, (bool, int, float, str, tuple)):
            assert a == b
        else:
            np.testing.assert_allclose(arr(b), arr(a), rtol=1e-6, atol=1e-7)


def make_relu(L):
    class MyReLU(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            g = grad_output.clone()
            g[x < 0] = 0
            return g

    return MyReLU


def make_legendre(L):
    class LegendrePolynomial3(L.autograd.Function):  # PyTorch tutorial's example
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def test_function_is_the_pytorch_class_everywhere_and_op_the_internal_base():
    # as torch.autograd.function.Function is torch.autograd.Function
    assert ModuleLevel is npgrad.autograd.Function and npgrad.autograd.Function is not Op
    assert all(issubclass(type(y.grad_fn), Op) for y in [npgrad.ones(2, requires_grad=True) * 2])


def test_relu_and_legendre_match_torch():
    def case(L):
        x = L.tensor([-1.5, 0.5, 2.0, -0.1], dtype=L.float64, requires_grad=True)
        y = make_relu(L).apply(x)
        z = make_legendre(L).apply(x)
        (y * 2 + z).sum().backward()
        return y, z, x.grad, type(y.grad_fn).__name__ if L is torch else y.grad_fn.name()

    both(case)


def test_tutorial_training_loop_matches_torch():
    def case(L):
        x = L.linspace(-3.14159, 3.14159, 200, dtype=L.float64)
        y = L.sin(x)
        a, b, c, d = (L.full((), v, dtype=L.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        P3 = make_legendre(L).apply
        for _ in range(20):
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with L.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        return a, b, c, d, loss

    both(case)


def test_gradcheck_on_a_custom_function():
    x = npgrad.tensor([-0.7, 0.3, 1.2], dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradcheck(make_legendre(npgrad).apply, (x,))


def test_needs_input_grad_non_tensor_args_and_multiple_outputs():
    def case(L):
        seen = []

        class ScaleSplit(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, w, k):
                ctx.k = k
                seen.append(ctx.needs_input_grad)
                ctx.save_for_backward(x, w)
                return x * w * k, x + w

            @staticmethod
            def backward(ctx, g1, g2):
                x, w = ctx.saved_tensors
                gx = g1 * w * ctx.k + g2 if ctx.needs_input_grad[0] else None
                gw = g1 * x * ctx.k + g2 if ctx.needs_input_grad[1] else None
                return gx, gw, None

        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, -1.0])
        a, b = ScaleSplit.apply(x, w, 3.0)
        (a.sum() * 2 + (b * b).sum()).backward()
        a2, _ = ScaleSplit.apply(x, w, 2.0)
        a2.sum().backward()  # only output 0 used: output 1's gradient is materialized as zeros
        return a, b, x.grad, tuple(seen[0])

    both(case)


def test_mark_dirty_in_place_function():
    def case(L):
        class AddOneInPlace(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 1

        w = L.tensor([1.0, 2.0], requires_grad=True)
        h = w * 3
        out = AddOneInPlace.apply(h)
        (out * out).sum().backward()
        return out, h, w.grad, out is h

    both(case)


@LIBS
def test_mark_dirty_on_a_leaf_raises(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="leaf Variable"):
        Bad.apply(L.tensor([1.0], requires_grad=True))


def test_mark_non_differentiable_and_materialize_grads():
    def case(L):
        got = []

        class SortLike(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                idx = L.argsort(x)
                ctx.mark_non_differentiable(idx)
                ctx.set_materialize_grads(False)
                ctx.save_for_backward(idx)
                return x[idx], idx

            @staticmethod
            def backward(ctx, g, g_idx):
                got.append(g_idx is None)
                (idx,) = ctx.saved_tensors
                out = L.zeros_like(g)
                out[idx] = g
                return out

        x = L.tensor([3.0, 1.0, 2.0], requires_grad=True)
        v, idx = SortLike.apply(x)
        (v * L.tensor([1.0, 10.0, 100.0])).sum().backward()
        return v, x.grad, idx.requires_grad, got[0]

    both(case)


def test_setup_context_style():
    def case(L):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(x, k):
                return x**3 * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x**2 * ctx.k, None

        x = L.tensor([1.0, -2.0], requires_grad=True)
        y = Cube.apply(x, 2.0)
        y.sum().backward()
        return y, x.grad

    both(case)


def test_once_differentiable_and_no_grad_inputs():
    def case(L):
        class Double(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            @L.autograd.function.once_differentiable
            def backward(ctx, g):
                return g * 2

        x = L.tensor([1.0, 2.0])
        y = Double.apply(x)  # nothing requires grad: no node
        xr = L.tensor([1.0, 2.0], requires_grad=True)
        z = Double.apply(xr)
        z.sum().backward()
        return y, y.requires_grad, xr.grad

    both(case)


@LIBS
def test_saved_tensor_changed_in_place_raises(L):
    x = L.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1
    y = make_relu(L).apply(h)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@LIBS
def test_wrong_number_of_gradients_raises(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x = L.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


@LIBS
def test_saved_tensors_freed_after_backward(L):
    x = L.tensor([-1.0, 2.0], requires_grad=True)
    y = make_relu(L).apply(x * 1).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


# ------------------------------------------------------------------ anomaly detection
@LIBS
def test_anomaly_names_the_node_and_warns_with_the_forward_traceback(L):
    x = L.tensor([0.0, 1.0], requires_grad=True)
    b = L.tensor([0.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with L.autograd.detect_anomaly():
            assert L.is_anomaly_enabled()
            y = ((x / b) * 0).sum()  # Div's backward: 0 / 0 = nan for x
            with pytest.raises(RuntimeError, match=r"Function 'DivBackward0' returned nan values in its 0th output\."):
                y.backward()
    assert not L.is_anomaly_enabled()
    texts = [str(w.message) for w in caught]
    assert any("Error detected in DivBackward0" in t and "test_custom_function.py" in t for t in texts)


@LIBS
def test_set_detect_anomaly_and_check_nan_false(L):
    x = L.tensor([0.0, 1.0], requires_grad=True)
    L.autograd.set_detect_anomaly(True, check_nan=False)
    try:
        assert L.is_anomaly_enabled()
        (x / x).sum().backward()  # no nan check: computes
        assert np.isnan(x.grad.numpy()[0])
    finally:
        L.autograd.set_detect_anomaly(False)
    assert not L.is_anomaly_enabled()
    x.grad = None
    (x / x).sum().backward()  # off: no error
    assert np.isnan(x.grad.numpy()[0])


def test_double_backward_through_a_custom_function():
    def case(L):
        x = L.tensor([-0.7, 0.3, 1.2], dtype=L.float64, requires_grad=True)
        y = make_legendre(L).apply(x).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g, h

    both(case)
    x = npgrad.tensor([-0.7, 0.3, 1.2], dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradgradcheck(make_legendre(npgrad).apply, (x,))


@LIBS
def test_once_differentiable_refuses_a_second_derivative(L):
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @L.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
    v = L.tensor([1.0, 1.0], dtype=L.float64, requires_grad=True)  # a grad_output in the graph
    (g,) = L.autograd.grad(Square.apply(x), x, v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()
