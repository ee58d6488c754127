"""Side by side: one MNIST training epoch, the same program on PyTorch and on npgrad, and the
same network written by hand in NumPy (the floor: npgrad's bookkeeping is the gap to it).

    python bench/bench_train.py            # all models, median of 3 alternating runs
    python bench/bench_train.py --runs 1 --models mlp50

npgrad runs twice: on its NumPy fast paths (``npgrad``) and with the compiled kernels of
the ``[fast]`` extra (``npgrad+k``, when numba is installed). The FLOP floor is the epoch's
matrix products alone - the exact GEMMs of every step, forward and backward, timed in NumPy
in the same run - the hardware's limit for this work on one thread.

All three start from the same initial weights and see the batches in the same order, so
their accuracies agree (up to dropout's random masks). The three epochs of a run are
interleaved, 50 batches of each in turn, so that the machine's slow and fast moments (on
this shared 2-core box they last seconds, longer than an epoch) hit all three alike. Ratios
are taken pair by pair within one run: absolute seconds on a shared machine mean little.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

MODELS = {
    # name: (layer sizes, dropout, batch size, normalise with MNIST's mean/std)
    "mlp50": ([784, 50, 10], 0.0, 64, False),  # seeds 000/001
    "mlp256": ([784, 256, 128, 10], 0.2, 64, True),  # seed 002
    "mlp128-b512": ([784, 128, 64, 10], 0.0, 512, False),  # seed 004's model, big batches
}


def load_mnist():
    from npgrad.vision.datasets import MNIST

    root = os.environ.get("NPGRAD_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
    train, test = MNIST(root, train=True), MNIST(root, train=False)
    prep = lambda d: (d.data.numpy().reshape(len(d), 784).astype(np.float32) / 255, d.targets.numpy().astype(np.int64))  # noqa: E731
    return prep(train), prep(test)


def initial_weights(sizes, seed=0):
    """PyTorch's default Linear init, drawn once and shared by all three runners."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        W = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        weights.append((W, b))
    return weights


# ---------------------------------------------------------------- the PyTorch-API program
def make_model(lib, sizes, dropout, weights):
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
    model = nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with lib.no_grad():
        for lin, (W, b) in zip(linears, weights):
            lin.weight.copy_(lib.from_numpy(W.copy()))
            lin.bias.copy_(lib.from_numpy(b.copy()))
    return model


def epoch_steps(lib, model, X, Y, order, batch_size, losses, lr=1e-3):
    """One epoch of the seeds' training loop, pausing (yield) after every batch so that the
    benchmark can interleave the libraries; each batch's loss goes into ``losses``."""
    optimizer = lib.optim.Adam(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()
    model.train()
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        xb, yb = lib.from_numpy(X[idx]), lib.from_numpy(Y[idx])
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        yield


def train_epoch(lib, model, X, Y, order, batch_size, lr=1e-3):
    losses = []
    for _ in epoch_steps(lib, model, X, Y, order, batch_size, losses, lr):
        pass
    return losses


def interleaved(steppers, slice_batches=50):
    """Run the libraries' epochs (generators that yield once per batch) side by side,
    ``slice_batches`` batches of one, then of the next, and so on: a slow moment of this
    shared machine (they last seconds) then hits them all alike. Returns the seconds each
    spent on its own batches."""
    seconds = {k: 0.0 for k in steppers}
    active = dict(steppers)
    while active:
        for k, steps in list(active.items()):
            t = time.perf_counter()
            for _ in range(slice_batches):
                if next(steps, StopIteration) is StopIteration:
                    del active[k]
                    break
            seconds[k] += time.perf_counter() - t
    return seconds


def accuracy(lib, model, X, Y):
    model.eval()
    with lib.no_grad():
        pred = model(lib.from_numpy(X)).argmax(1).numpy()
    return float((pred == Y).mean())


# ---------------------------------------------------------------- the same, by hand in NumPy
class NumpyMLP:
    """ReLU MLP, softmax cross-entropy, inverted dropout and Adam, written out in NumPy."""

    def __init__(self, weights, dropout, seed=0):
        self.params = [a.copy() for W, b in weights for a in (W, b)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.dropout, self.rng, self.t = dropout, np.random.default_rng(seed), 0

    def forward(self, x, train=True):
        acts, masks = [x], []
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            x = x @ W.T + b
            if i < n_layers - 1:
                x = np.maximum(x, 0)
                if train and self.dropout:
                    keep = (self.rng.random(x.shape, dtype=np.float32) >= self.dropout) / np.float32(1 - self.dropout)
                    x = x * keep
                    masks.append(keep)
                acts.append(x)
        return x, acts, masks

    def step(self, x, y, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        logits, acts, masks = self.forward(x)
        shifted = logits - logits.max(1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        g = p
        g[np.arange(n), y] -= 1
        g /= n
        grads = [None] * len(self.params)
        for i in reversed(range(len(self.params) // 2)):
            W = self.params[2 * i]
            grads[2 * i] = g.T @ acts[i]
            grads[2 * i + 1] = g.sum(0)
            if i:
                g = g @ W
                if masks:
                    g *= masks[i - 1]
                g *= acts[i] > 0
        self.t += 1
        bc1, bc2 = 1 - b1**self.t, 1 - b2**self.t
        for p_, g_, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g_
            v *= b2
            v += (1 - b2) * g_ * g_
            p_ -= (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
        return float(loss)

    def epoch_steps(self, X, Y, order, batch_size, losses):
        for i in range(0, len(order), batch_size):
            losses.append(self.step(X[order[i : i + batch_size]], Y[order[i : i + batch_size]]))
            yield

    def accuracy(self, X, Y):
        return float((self.forward(X, train=False)[0].argmax(1) == Y).mean())


def in_mode(npgrad, mode, steps):
    """An npgrad epoch (a generator) whose every batch runs with ``set_kernels(mode)``."""
    while True:
        npgrad.set_kernels(mode)
        if next(steps, StopIteration) is StopIteration:
            return
        yield


def gemm_floor(sizes, batch_size, n, repeats=5):
    """Seconds for the epoch's GEMMs alone: per step and layer x @ W.T, the weight gradient
    g.T @ x and (but for the first layer) the input gradient g @ W, each the best of
    ``repeats``, times the steps. Returns (seconds, GFLOP/s achieved)."""
    rng = np.random.default_rng(0)
    steps, last = divmod(n, batch_size)
    total = flops = 0.0
    for b, count in ((batch_size, steps), (last, 1 if last else 0)):
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            x = rng.standard_normal((b, fan_in), dtype=np.float32)
            w = rng.standard_normal((fan_out, fan_in), dtype=np.float32)
            g = rng.standard_normal((b, fan_out), dtype=np.float32)
            products = [lambda: x @ w.T, lambda: g.T @ x] + ([lambda: g @ w] if i else [])
            for f in products:
                best = min(_timed(f) for _ in range(repeats))
                total += best * count
                flops += 2.0 * b * fan_in * fan_out * count
    return total, flops / total / 1e9


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


# ---------------------------------------------------------------- the measurement
def run(name, data, runs):
    import torch

    import npgrad

    sizes, dropout, batch_size, normalise = MODELS[name]
    (X, Y), (Xt, Yt) = data
    if normalise:
        X, Xt = (X - 0.1307) / 0.3081, (Xt - 0.1307) / 0.3081
        X, Xt = X.astype(np.float32), Xt.astype(np.float32)
    weights = initial_weights(sizes)
    order = np.random.default_rng(1).permutation(len(X))

    # warm-up, untimed: PyTorch's first batches are slow (its first epoch in a process took
    # 2.5 s against 0.9 s for the next), and npgrad's helper threads start on first use
    for lib in (torch, npgrad):
        for _ in zip(range(30), epoch_steps(lib, make_model(lib, sizes, dropout, weights), X, Y, order, batch_size, [])):
            pass
    from npgrad._fast.compiled import available

    modes = {"npgrad": "numpy"}
    if available():
        modes["npgrad+k"] = "compiled"
        npgrad.set_kernels("compiled")  # compile the kernels before the clock starts
        for _ in zip(range(30), epoch_steps(npgrad, make_model(npgrad, sizes, dropout, weights), X, Y, order, batch_size, [])):
            pass
    times = {k: [] for k in ("torch", *modes, "numpy", "floor")}
    results = {}
    for _ in range(runs):
        libs = {"torch": torch, **{k: npgrad for k in modes}}
        models = {k: make_model(lib, sizes, dropout, weights) for k, lib in libs.items()}
        net = NumpyMLP(weights, dropout)
        losses = {k: [] for k in times}
        steppers = {k: epoch_steps(lib, models[k], X, Y, order, batch_size, losses[k])
                    for k, lib in libs.items()}
        for k, mode in modes.items():
            steppers[k] = in_mode(npgrad, mode, steppers[k])
        steppers["numpy"] = net.epoch_steps(X, Y, order, batch_size, losses["numpy"])
        for k, secs in interleaved(steppers).items():
            times[k].append(secs)
        floor, gflops = gemm_floor(sizes, batch_size, len(X))
        times["floor"].append(floor)
        for k, mode in modes.items():
            npgrad.set_kernels(mode)
            results[k] = (accuracy(npgrad, models[k], Xt, Yt), losses[k])
        results["torch"] = (accuracy(torch, models["torch"], Xt, Yt), losses["torch"])
        results["numpy"] = (net.accuracy(Xt, Yt), losses["numpy"])
    npgrad.set_kernels("auto")
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))  # noqa: E731
    line = (f"{name:12s} batch {batch_size:4d} | floor {med['floor']:5.2f}s ({gflops:.0f} GFLOP/s) | "
            f"torch {med['torch']:5.2f}s {results['torch'][0]:.4f} | numpy {med['numpy']:5.2f}s")
    out = {}
    for k in modes:
        drift = max(abs(a - b) for a, b in zip(results[k][1], results["torch"][1]))
        out[k] = (ratio(k, "torch"), ratio(k, "numpy"), ratio(k, "floor"))
        line += (f" | {k} {med[k]:5.2f}s {results[k][0]:.4f}: /torch {out[k][0]:.2f} "
                 f"/numpy {out[k][1]:.2f} /floor {out[k][2]:.1f} (loss drift {drift:.0e})")
    print(line + f" | torch/floor {ratio('torch', 'floor'):.1f}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    data = load_mnist()
    print(f"one MNIST epoch, Adam lr 1e-3, median of {args.runs} alternating runs")
    for name in args.models:
        run(name, data, args.runs)


if __name__ == "__main__":
    main()
