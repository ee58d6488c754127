"""Lesson 5 — autograd (seed 003 "Calculating gradients with Pytorch", "An End-to-End SGD
Example"; the fastai book's chapter 4 which it follows).

    xt = tensor(8.).requires_grad_()   # track every operation on xt
    yt = f(xt)                         # the forward pass records the graph
    yt.backward()                      # the backward pass applies the chain rule
    xt.grad                            # dy/dx at x = 8: for f(x) = x**2, 2*8 = 16

Then the seed's "dummy data" example: the speed of a roller coaster over 20 seconds,
fitted with a quadratic ``a*t**2 + b*t + c`` by the seven steps, where step 5 is
``params.data -= lr * params.grad.data`` and ``params.grad = None`` clears the gradient.
"""
import npgrad as torch
from npgrad import tensor

from ..train.plots import plot_losses
from ._common import figure, heading, note


def f(x):
    return x**2


def run(out_dir=None, quick=False, data_dir=None, seed=42):
    heading("A gradient at one point")
    xt = tensor(8.).requires_grad_()
    yt = f(xt)
    print("yt =", yt)
    yt.backward()
    print("xt.grad =", xt.grad)
    note("f(x) = x**2, so f'(x) = 2x and f'(8) = 16")

    heading("Gradients of a vector: f(x) = (x**2).sum()")
    xv = tensor([3., 4., 10.]).requires_grad_()
    yv = (xv**2).sum()
    yv.backward()
    print("xt.grad =", xv.grad)

    heading("An end-to-end SGD example: a quadratic through 20 noisy speeds")
    torch.manual_seed(seed)
    time = torch.arange(0, 20).float()
    speed = torch.randn(20) * 3 + 0.75 * (time - 9.5) ** 2 + 1

    def quadratic(t, params):
        a, b, c = params
        return a * (t**2) + (b * t) + c

    def mse(preds, targets):
        return ((preds - targets) ** 2).mean()

    params = torch.randn(3).requires_grad_()  # step 1: initialise
    lr = 1e-5
    losses = []
    graph = None
    if out_dir is not None:  # the graph that loss.backward() walks (values, gradients)
        from ..viz import _lesson_graph

        first = mse(quadratic(time, params), speed)
        first.backward()
        graph = figure(out_dir, "autograd_graph.svg", _lesson_graph, first,
                       params={"params": params, "time": time, "speed": speed, "loss": first})
        params.grad = None

    def apply_step(params, prn=True):
        preds = quadratic(time, params)  # step 2: predict
        loss = mse(preds, speed)  # step 3: loss
        loss.backward()  # step 4: gradients
        params.data -= lr * params.grad.data  # step 5: step
        params.grad = None
        if prn:
            print(loss.item())
        losses.append(loss.item())
        return preds

    steps = 10
    for _ in range(steps):  # step 6: repeat ...
        apply_step(params)
    # ... step 7: stop (here: after a fixed number of steps)
    print(f"params after {steps} steps: {[round(float(p), 4) for p in params.detach().numpy()]}")
    note("the loss falls fast, then crawls: t**2 reaches 361, so 'a' has a gradient ~100x "
         "larger than 'c' and lr must be tiny for 'a' - too tiny for 'c' to move")
    fig = figure(out_dir, "autograd_sgd_loss.png", plot_losses, losses,
                 title="SGD on a quadratic", xlabel="Step")
    return {"grad": xt.grad.item(), "vector_grad": xv.grad.tolist(), "losses": losses,
            "params": params.detach().numpy().tolist(), "figure": fig, "graph": graph}
