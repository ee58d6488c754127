"""Lesson 2 — activation functions (seed 002 "Activation Functions", seeds 000/001/004).

Without a non-linearity between them, two linear layers are one linear layer. The four the
seeds name, with the derivative that backpropagation multiplies by:

    ReLU      max(0, x)              (0 for x < 0, 1 for x > 0; PyTorch takes 0 at x = 0)
    sigmoid   1 / (1 + e^-x)         s(x) * (1 - s(x))      at most 0.25: gradients fade
    tanh      tanh(x)                1 - tanh(x)^2          at most 1, at x = 0
    softmax   e^xi / sum_j e^xj      ds_i/dx_j = s_i * (delta_ij - s_j)

The derivatives are computed twice: by the formula, and by npgrad's autograd
(``y.sum().backward()`` gives each element's own derivative, since the elements do not
interact). Then seed 002's 2x2 figure, with each derivative dashed beside its function.
"""
import numpy as np

import npgrad as torch
import npgrad.nn.functional as F

from ..train.plots import plot_functions
from ._common import figure, heading, note

FORMULAS = {
    "relu": (lambda x: np.maximum(0, x), lambda x: (x > 0).astype(x.dtype)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}
NPGRAD = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def derivative(fn, x):
    """f(x) and f'(x) for an elementwise ``fn``, by autograd."""
    xt = torch.tensor(x, dtype=torch.float64).requires_grad_()
    y = fn(xt)
    y.sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


def softmax_jacobian(v):
    """ds_i/dx_j by autograd: one backward pass per output."""
    x = torch.tensor(v, dtype=torch.float64).requires_grad_()
    s = F.softmax(x, dim=0)
    rows = []
    for i in range(len(v)):
        x.grad = None
        s[i].backward(retain_graph=True)
        rows.append(x.grad.numpy().copy())
    return s.detach().numpy(), np.stack(rows)


def run(out_dir=None, quick=False, data_dir=None):
    results = {}
    points = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    grid = np.linspace(-5, 5, 100)
    for name in ("relu", "sigmoid", "tanh"):
        heading(f"{name}: value and derivative")
        value, grad = derivative(NPGRAD[name], points)
        f, df = FORMULAS[name]
        print(f"{'x':>6} {name + '(x)':>12} {'autograd':>12} {'formula':>12}")
        for x, v, g, h in zip(points, value, grad, df(points)):
            print(f"{x:>6.1f} {v:>12.4f} {g:>12.4f} {h:>12.4f}")
        grid_value, grid_grad = derivative(NPGRAD[name], grid)
        err = float(max(np.abs(grid_value - f(grid)).max(), np.abs(grid_grad - df(grid)).max()))
        print(f"largest difference from the formulas over linspace(-5, 5, 100): {err:.2e}")
        results[name] = {"x": points.tolist(), "value": value.tolist(), "grad": grad.tolist(),
                         "grad_formula": df(points).tolist(), "max_error": err,
                         "max_grad": float(grid_grad.max())}
    note("sigmoid's slope never exceeds 0.25: ten sigmoid layers scale a gradient by at most "
         "0.25**10 ~ 1e-6 - the vanishing gradient. ReLU passes it on unchanged where x > 0.")
    note("ReLU's derivative at exactly 0 is undefined; PyTorch (and npgrad) use 0.")

    heading("softmax: scores to probabilities")
    v = np.array([2.0, 1.0, 0.1])
    probs, jac = softmax_jacobian(v)
    jac_formula = np.diag(probs) - np.outer(probs, probs)
    print(f"softmax({v.tolist()}) = {np.round(probs, 4).tolist()}  (sum {probs.sum():.4f})")
    print("Jacobian ds_i/dx_j by autograd:")
    print(np.array2string(jac, precision=4, suppress_small=True))
    err = float(np.abs(jac - jac_formula).max())
    print(f"largest difference from s_i * (delta_ij - s_j): {err:.2e}")
    note("each row of the Jacobian sums to 0: adding a constant to every score changes nothing")
    results["softmax"] = {"input": v.tolist(), "probs": probs.tolist(), "sum": float(probs.sum()),
                          "jacobian": jac.tolist(), "max_error": err}

    # seed 002's figure: x = np.linspace(-5, 5, 100); the softmax panel is the seed's
    # np.exp(x) / np.sum(np.exp(x)) over those 100 points, as one vector
    soft, _ = derivative(lambda t: F.softmax(t, dim=0), grid)
    curves = {
        "Sigmoid": derivative(torch.sigmoid, grid),
        "ReLU": derivative(torch.relu, grid),
        "Tanh": derivative(torch.tanh, grid),
        "Softmax (single value)": (soft, soft * (1 - soft)),
    }
    results["figure"] = figure(out_dir, "activations.png", plot_functions, grid, curves)
    return results
