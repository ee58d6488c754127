"""Lesson 11 — look inside a network with hooks: why ReLU networks learn, where gradients fade.

``module.register_forward_hook(hook)`` calls ``hook(module, inputs, output)`` after every
forward of that module; ``tensor.register_hook(fn)`` calls ``fn(grad)`` when backward
reaches that tensor. Together they record, for one batch, what every layer outputs and the
gradient of the loss with respect to that output — without touching the model's code.

Two deep MLPs, identical but for the activation (784, then five hidden layers of 128, then
10; PyTorch's default initialisation), one batch of 256 MNIST images:

- ReLU: each layer's outputs are about half zeros; ReLU's slope is 1 wherever it is
  active. With PyTorch's default initialisation the signal still shrinks layer by layer;
  with Kaiming's (variance 2/fan_in) activations and gradients keep their size.
- sigmoid: the slope is at most 0.25, so each layer shrinks the gradient again; the first
  layers get gradients orders of magnitude smaller than the last and barely learn.

Then both are trained with the same plain SGD for the same steps, to see the consequence.
"""
import numpy as np

import npgrad as torch
from npgrad import nn, optim
from npgrad.utils.data import DataLoader, TensorDataset

from ..train.data import mnist_arrays
from ..train.plots import plot_histograms
from ._common import figure, heading, note

WIDTHS = [784, 128, 128, 128, 128, 128, 10]


def deep_mlp(activation, kaiming=False):
    """784-128x5-10. ``kaiming=True`` draws each weight from N(0, 2/fan_in) (He et al.,
    2015; ``nn.init.kaiming_normal_(w, nonlinearity='relu')``) and zeroes the biases."""
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        linear = nn.Linear(a, b)
        if kaiming:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(WIDTHS) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


VARIANTS = (("relu", nn.ReLU, False), ("relu + kaiming init", nn.ReLU, True),
            ("sigmoid", nn.Sigmoid, False))


class Recorder:
    """Forward hooks on the chosen modules: their outputs, and (through a tensor hook on
    each output) the gradient of the loss with respect to it."""

    def __init__(self, model, kinds):
        self.activations, self.gradients, self.handles = {}, {}, []
        for name, module in model.named_modules():
            if isinstance(module, kinds):
                self.handles.append(module.register_forward_hook(self._hook(name)))

    def _hook(self, name):
        def hook(module, inputs, output):
            self.activations[name] = output.detach().numpy().copy()
            if output.requires_grad:
                output.register_hook(lambda grad: self.gradients.__setitem__(name, grad.numpy().copy()))
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


def inspect(model, activation, xb, yb):
    """Run one batch forward and backward with the recorder attached; print and return
    each layer's statistics."""
    recorder = Recorder(model, (activation,))
    loss = nn.CrossEntropyLoss()(model(xb), yb)
    loss.backward()
    recorder.remove()
    print(f"{'layer':<8}{'act mean':>10}{'act std':>10}{'zeros':>8}{'grad std':>12}"
          f"{'weight grad std':>18}")
    linears = [m for m in model if isinstance(m, nn.Linear)]
    rows = []
    for i, name in enumerate(recorder.activations):
        act, grad = recorder.activations[name], recorder.gradients[name]
        wgrad = float(linears[i].weight.grad.numpy().std())
        row = {"layer": name, "act_mean": float(act.mean()), "act_std": float(act.std()),
               "zeros": float((act == 0).mean()), "grad_std": float(grad.std()),
               "weight_grad_std": wgrad}
        rows.append(row)
        print(f"{name:<8}{row['act_mean']:>10.4f}{row['act_std']:>10.4f}{row['zeros']:>8.1%}"
              f"{row['grad_std']:>12.2e}{wgrad:>18.2e}")
    return rows, recorder


def train_steps(model, loader, steps, lr):
    opt = optim.SGD(model.parameters(), lr=lr)
    loss_func = nn.CrossEntropyLoss()
    done = 0
    while done < steps:
        for xb, yb in loader:
            loss = loss_func(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    return model


def run(out_dir=None, quick=False, data_dir=None, seed=0):
    x, y = mnist_arrays(data_dir, train=True)
    xt, yt = mnist_arrays(data_dir, train=False)
    x = (x - 0.1307) / 0.3081
    xt = (xt - 0.1307) / 0.3081
    xb, yb = torch.tensor(x[:256]), torch.tensor(y[:256])
    results, acts, grads = {}, {}, {}
    for label, activation, kaiming in VARIANTS:
        heading(f"{label}: one batch of 256 through 784-128x5-10, at initialisation")
        torch.manual_seed(seed)
        model = deep_mlp(activation, kaiming)
        rows, recorder = inspect(model, activation, xb, yb)
        results[label] = {"layers": rows}
        for name in recorder.activations:
            acts[f"{label} layer {name}"] = recorder.activations[name]
            grads[f"{label} layer {name}"] = recorder.gradients[name]
        first, last = rows[0]["weight_grad_std"], rows[-1]["weight_grad_std"]
        results[label]["first_to_last_grad"] = first / last
        print(f"first hidden layer's weight gradients are {first / last:.3g} x the last's")
        if label == "relu":  # the hooks saw exactly what the model computed
            with torch.no_grad():
                manual = model[1](model[0](xb)).numpy()
            results["hook_matches_forward"] = float(np.abs(manual - recorder.activations["1"]).max())
    note("sigmoid's outputs sit around 0.5 with a slope of at most 0.25: every layer scales the "
         "gradient down again, so the first layers learn slowest ('vanishing gradients')")
    note("ReLU zeroes about half its inputs but passes the gradient through unchanged where "
         "it is active. With PyTorch's default init (uniform, variance 1/(3 fan_in)) each "
         "ReLU layer still shrinks the signal ~2.5x; Kaiming's variance 2/fan_in makes up "
         "for the zeroed half, and activations and gradients keep their size through depth")

    steps = 100 if quick else 1500
    heading(f"All three trained with optim.SGD(lr=0.1), batch 64, {steps} steps")
    loader = DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=64, shuffle=True)
    test_x, test_y = torch.tensor(xt), torch.tensor(yt)
    for label, activation, kaiming in VARIANTS:
        torch.manual_seed(seed)
        model = train_steps(deep_mlp(activation, kaiming), loader, steps, 0.1)
        with torch.no_grad():
            acc = (model(test_x).argmax(1) == test_y).float().mean().item()
        results[label]["trained_accuracy"] = acc
        print(f"{label}: test accuracy {acc:.4f}")
    results["steps"] = steps
    results["figure_activations"] = figure(out_dir, "look_inside_activations.png",
                                           plot_histograms, acts, ncols=5, logy=True,
                                           title="activations per layer, one batch, at init")
    results["figure_gradients"] = figure(out_dir, "look_inside_gradients.png",
                                         plot_histograms, grads, ncols=5, logy=True,
                                         title="dloss/d(layer output), one batch, at init")
    return results
