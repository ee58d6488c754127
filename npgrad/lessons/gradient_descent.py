"""Lesson 8 — batch vs stochastic vs mini-batch gradient descent (seed 004 "Gradient Descent").

Three ways to estimate the gradient for one step, on the same model (784-64-10, ReLU),
the same data (MNIST) and the same number of passes over it, with plain ``optim.SGD``:

    batch        all 60,000 images per step: the exact gradient, one step per epoch
    stochastic   one image per step: 60,000 cheap, noisy steps per epoch
    mini-batch   64 images per step: 938 steps per epoch - the practical standard

What to look for: per epoch, batch GD is the fastest to compute and the slowest to learn
(a handful of steps, however exact, do not get far); stochastic GD learns the most per
epoch but pays Python's per-step cost 60,000 times; mini-batches get most of the learning
for a fraction of the time, because a batch of 64 costs little more than one image in
NumPy. A last row gives batch GD many more epochs, to show how long exactness takes.
"""
import time

import numpy as np

import npgrad as torch
from npgrad import nn, optim
from npgrad.utils.data import DataLoader, TensorDataset

from ..train.data import mnist_arrays
from ..train.plots import plot_loss_curves
from ._common import figure, heading, note


def make_model():
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def train(dataset, batch_size, lr, epochs, seed):
    """The seeds' training loop; returns the loss of every step and the seconds it took."""
    torch.manual_seed(seed)
    model = make_model()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    losses = []
    start = time.perf_counter()
    for epoch in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return model, losses, time.perf_counter() - start


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def smooth(values, window):
    """A running mean over ``window`` steps (the noise of one-image steps hides the trend)."""
    v = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(v) < window:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    return (c[window:] - c[:-window]) / window


def run(out_dir=None, quick=False, data_dir=None, seed=0):
    x, y = mnist_arrays(data_dir, train=True)
    xt, yt = mnist_arrays(data_dir, train=False)
    if quick:  # a tenth of the data, so the one-image steps take seconds
        x, y, xt, yt = x[:6000], y[:6000], xt[:2000], yt[:2000]
    n = len(x)
    dataset = TensorDataset(torch.tensor(x), torch.tensor(y))
    test_x, test_y = torch.tensor(xt), torch.tensor(yt)
    epochs = 1 if quick else 3
    runs = [("batch", n, 0.5, epochs), ("stochastic", 1, 0.01, epochs),
            ("mini-batch", 64, 0.1, epochs), ("batch, more epochs", n, 0.5, 20 if quick else 100)]

    heading(f"{n} training images, model 784-64-10, optim.SGD; test on {len(xt)} images")
    print(f"{'method':<20}{'batch':>7}{'lr':>6}{'epochs':>8}{'steps':>9}{'seconds':>9}"
          f"{'ms/step':>9}{'accuracy':>10}")
    results, curves = {}, {}
    for name, batch_size, lr, n_epochs in runs:
        model, losses, seconds = train(dataset, batch_size, lr, n_epochs, seed)
        acc = accuracy(model, test_x, test_y)
        steps = len(losses)
        print(f"{name:<20}{batch_size:>7}{lr:>6}{n_epochs:>8}{steps:>9}{seconds:>9.2f}"
              f"{1000 * seconds / steps:>9.3f}{acc:>10.4f}", flush=True)
        results[name] = {"batch_size": batch_size, "lr": lr, "epochs": n_epochs, "steps": steps,
                         "seconds": seconds, "accuracy": acc, "final_loss": losses[-1]}
        if name != "batch, more epochs":
            per_epoch = steps / n_epochs
            window = max(1, int(per_epoch // 50))
            curve = smooth(losses, window)
            xs = (np.arange(len(curve)) + window) / per_epoch
            curves[f"{name} (batch {batch_size})"] = (xs, curve)
    note("same epochs, very different numbers of steps: learning happens per step, cost "
         "is paid per step too - mini-batches balance the two")
    note("curves are running means over 1/50 of an epoch; batch GD has one point per epoch")
    results["figure"] = figure(out_dir, "gradient_descent.png", plot_loss_curves, curves,
                               title="Batch vs stochastic vs mini-batch gradient descent",
                               xlabel="Epoch (passes over the training set)")
    return results
