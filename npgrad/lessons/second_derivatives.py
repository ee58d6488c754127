"""Second derivatives: Newton's method against gradient descent on the Rosenbrock valley.

    f(x, y) = (1 - x)**2 + 100 * (y - x**2)**2        minimum 0 at (1, 1)

Gradient descent steps along -grad f with a small learning rate (a bigger one diverges in
the steep walls of the valley) and crawls along its flat floor. Newton's method uses the
curvature too: it jumps to the minimum of the local quadratic model,

    step = -H^-1 grad f,    H = the Hessian (second derivatives)

and gets there in a handful of steps. npgrad computes both derivatives by autograd:

    (gx, gy) = autograd.grad(f(x, y), (x, y), create_graph=True)   # differentiable gradient
    H = autograd.functional.hessian(f, (x, y))                       # 2x2 second derivatives
"""
import numpy as np

import npgrad

from ._common import heading, note


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def gradient(x, y):
    xs = (npgrad.tensor(x, dtype=npgrad.float64, requires_grad=True),
          npgrad.tensor(y, dtype=npgrad.float64, requires_grad=True))
    f = rosenbrock(*xs)
    gx, gy = npgrad.autograd.grad(f, xs)
    return f.item(), np.array([gx.item(), gy.item()])


def hessian(x, y):
    xs = (npgrad.tensor(x, dtype=npgrad.float64), npgrad.tensor(y, dtype=npgrad.float64))
    h = npgrad.autograd.functional.hessian(rosenbrock, xs)
    return np.array([[h[0][0].item(), h[0][1].item()], [h[1][0].item(), h[1][1].item()]])


def newton(start, tol=1e-10, max_steps=50):
    p = np.array(start, dtype=np.float64)
    path = [p.copy()]
    for _ in range(max_steps):
        f, g = gradient(*p)
        if np.linalg.norm(g) < tol:
            break
        p = p - np.linalg.solve(hessian(*p), g)
        path.append(p.copy())
    return p, path


def gradient_descent(start, lr=1e-3, steps=10000, tol=1e-10):
    p = np.array(start, dtype=np.float64)
    path = [p.copy()]
    for _ in range(steps):
        f, g = gradient(*p)
        if np.linalg.norm(g) < tol:
            break
        p = p - lr * g
        path.append(p.copy())
    return p, path


def run(out_dir=None, quick=False, data_dir=None, start=(-1.2, 1.0)):
    heading("Second derivatives by autograd: create_graph=True")
    x = npgrad.tensor(2.0, dtype=npgrad.float64, requires_grad=True)
    y = x**3
    (dy,) = npgrad.autograd.grad(y, x, create_graph=True)
    (d2y,) = npgrad.autograd.grad(dy, x)
    print(f"y = x**3 at x = 2: dy/dx = {dy.item():g} (3x**2), d2y/dx2 = {d2y.item():g} (6x)")

    heading("The Rosenbrock valley from (-1.2, 1)")
    h0 = hessian(*start)
    print("Hessian at the start:\n", h0)

    p_newton, newton_path = newton(start)
    print(f"Newton's method: {len(newton_path) - 1} steps to ({p_newton[0]:.6f}, {p_newton[1]:.6f})")
    steps = 2000 if quick else 20000
    p_gd, gd_path = gradient_descent(start, steps=steps)
    f_gd = rosenbrock(*p_gd)
    print(f"gradient descent (lr 1e-3): {len(gd_path) - 1} steps to ({p_gd[0]:.6f}, {p_gd[1]:.6f}), "
          f"f = {f_gd:.3g}")
    note("Newton uses the curvature: a few steps. Gradient descent needs a learning rate small "
         "enough for the steep walls, so it crawls along the flat floor of the valley.")
    return {
        "d_dx": dy.item(), "d2_dx2": d2y.item(), "hessian_start": h0.tolist(),
        "newton_steps": len(newton_path) - 1, "newton_point": p_newton.tolist(),
        "gd_steps": len(gd_path) - 1, "gd_point": p_gd.tolist(), "gd_loss": float(f_gd),
    }
