"""Lesson 4 — the chain rule (seed 002 "The Chain Rule", ``backpropagation_example``).

One weight, one input, one target:

    y = w*x + b = 3*2 + 1 = 7        loss = (y - 5)**2 = 4

    dloss/dy = 2*(y - 5) = 4         dy/dw = x = 2
    dloss/dw = dloss/dy * dy/dw = 8  (the chain rule)

    w_new = w - 0.01 * 8 = 2.92

First exactly as the seed writes it, by hand; then the same numbers from npgrad's autograd,
which applies the same rule to every node of the graph it recorded during the forward pass.
"""
import npgrad as torch

from ._common import figure, heading, note


def backpropagation_example():
    """Simple example of chain rule in backprop (seed 002, verbatim apart from the return)"""

    # Forward pass
    x = 2.0
    w = 3.0
    b = 1.0

    # y = wx + b
    y = w * x + b  # y = 7

    # Loss = (y - target)^2
    target = 5.0
    loss = (y - target) ** 2  # loss = 4

    # Backward pass
    # dLoss/dy = 2(y - target)
    dloss_dy = 2 * (y - target)  # = 4

    # dy/dw = x
    dy_dw = x  # = 2

    # dLoss/dw = dLoss/dy * dy/dw
    dloss_dw = dloss_dy * dy_dw  # = 8

    print(f"Gradient of loss w.r.t. weight: {dloss_dw}")

    # Update weight
    learning_rate = 0.01
    w_new = w - learning_rate * dloss_dw
    print(f"New weight: {w_new}")
    return {"y": y, "loss": loss, "dloss_dy": dloss_dy, "dloss_dw": dloss_dw, "w_new": w_new}


def with_autograd(out_dir=None):
    """The same example, with npgrad recording the graph and running backward; with
    ``out_dir``, the graph with its values and gradients is drawn to chain_rule_graph.svg."""
    x = torch.tensor(2.0)
    w = torch.tensor(3.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    y = w * x + b
    y.retain_grad()  # keep dloss/dy too (an intermediate result keeps no .grad otherwise)
    loss = (y - 5.0) ** 2
    loss.backward()
    print(f"y = {y.item()}, loss = {loss.item()}")
    print(f"dloss/dy = {y.grad.item()}, dloss/dw = w.grad = {w.grad.item()}, "
          f"dloss/db = b.grad = {b.grad.item()}")
    from ..viz import _lesson_graph

    graph = figure(out_dir, "chain_rule_graph.svg", _lesson_graph, loss,
                   params={"w": w, "b": b, "x": x, "y": y, "loss": loss})
    with torch.no_grad():
        w -= 0.01 * w.grad
    print(f"New weight: {w.item():.4f}")
    return {"y": y.item(), "loss": loss.item(), "dloss_dy": y.grad.item(),
            "dloss_dw": w.grad.item(), "dloss_db": b.grad.item(), "w_new": w.item(),
            "figure": graph}


def run(out_dir=None, quick=False, data_dir=None):
    heading("By hand (seed 002's backpropagation_example)")
    by_hand = backpropagation_example()
    heading("By autograd")
    auto = with_autograd(out_dir)
    note("the weight is float32 in npgrad, so 2.92 is stored as 2.9200000762939453 - "
         "the nearest float32")
    note("dloss/db = dloss/dy * dy/db = 4 * 1 = 4: the bias gets the upstream gradient as it is")
    return {"by_hand": by_hand, "autograd": auto}
