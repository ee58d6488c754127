"""Write an op — a new differentiable function, the way PyTorch's own tutorial does it.

PyTorch's "Learning PyTorch with Examples" fits ``y = a + b * P3(c + d * x)`` to ``sin(x)``,
where ``P3(x) = (5x³ - 3x) / 2`` is the Legendre polynomial of degree 3, written as a custom
``torch.autograd.Function``: a ``forward`` that computes the value, a ``backward`` that
receives dLoss/dOutput and returns dLoss/dInput by the chain rule, here
``grad_output * 1.5 * (5x² - 1)``.

Three things make an op trustworthy, and this lesson does all three:

1. **Write it**: ``forward(ctx, x)`` saves what backward needs (``ctx.save_for_backward``);
   ``backward(ctx, grad_output)`` reads it back (``ctx.saved_tensors``).
2. **Check it**: ``gradcheck`` compares the backward you wrote with finite differences
   (``(f(x + eps) - f(x - eps)) / 2eps``) in float64. A wrong backward fails here, loudly.
3. **See it**: the op is one node of the graph, named after the class
   (``LegendrePolynomial3Backward``), between the nodes of the ordinary ops around it.

npgrad's own ops are written the same way, one level down: ``npgrad/ops/*.py`` subclass the
internal ``Op`` and work on NumPy arrays (see ``npgrad/autograd/function.py``).
"""
import math

import npgrad as torch
from npgrad.autograd import gradcheck

from ._common import heading, note


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x³ - 3x) / 2, as in PyTorch's tutorial."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


class WrongP3(LegendrePolynomial3):
    """The same op with a classic slip in backward: the factor 1.5 forgotten."""

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * (5 * input**2 - 1)


def fit(steps=2000, lr=5e-6):
    """The tutorial's program: a, b, c, d by gradient descent on the summed squared error."""
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    P3 = LegendrePolynomial3.apply
    losses = []
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 500 == 99:
            print(f"  step {t:4d}: loss {loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return losses, [p.item() for p in (a, b, c, d)], y_pred


def run(out_dir=None, quick=False, data_dir=None):
    heading("1. The op: LegendrePolynomial3, forward and backward")
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = LegendrePolynomial3.apply(x)
    y.sum().backward()
    print(f"  P3({x.detach().tolist()}) = {y.detach().tolist()}")
    print(f"  dP3/dx by its backward = {x.grad.tolist()}  (1.5 * (5x² - 1))")

    heading("2. gradcheck: the backward against finite differences, in float64")
    inputs = (torch.randn(6, dtype=torch.float64, requires_grad=True),)
    right = gradcheck(LegendrePolynomial3.apply, inputs)
    print(f"  LegendrePolynomial3: gradcheck -> {right}")
    try:
        wrong = gradcheck(WrongP3.apply, inputs)
    except RuntimeError as exc:
        wrong = False
        print(f"  WrongP3 (1.5 forgotten): gradcheck raised: {str(exc).splitlines()[0]}")
    note("gradcheck is how every op of npgrad is tested, beside a comparison with PyTorch")

    heading("3. The op in the graph")
    c = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    out = 2.0 * LegendrePolynomial3.apply(c + x.detach())
    node, names = out.grad_fn, []
    while node is not None:
        names.append(node.name())
        nexts = [n for n, _ in node.next_functions if n is not None]
        node = nexts[0] if nexts else None
    print("  " + " <- ".join(names))
    note("one node for the whole op: its backward is the one you wrote")

    heading("4. PyTorch's tutorial: fit a + b * P3(c + d x) to sin(x)")
    losses, (a, b, c_, d), _ = fit(steps=300 if quick else 2000)
    print(f"  Result: y = {a:.4f} + {b:.4f} * P3({c_:.4f} + {d:.4f} x)  (loss {losses[-1]:.2f})")
    return {"grad": x.grad.tolist(), "gradcheck": right, "wrong_gradcheck": wrong,
            "graph": names, "losses": losses, "coefficients": (a, b, c_, d)}
