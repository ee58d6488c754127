"""Side by side: MNIST CNN training, the same PyTorch-API program on PyTorch and on npgrad, and
the same network written by hand in NumPy (a plain NCHW im2col CNN).

    python bench/bench_cnn.py                       # both CNNs, 200 batches, median of 3 runs
    python bench/bench_cnn.py --batches 0 --runs 1  # one full epoch (938 batches) each
    python bench/bench_cnn.py --threads 1           # one thread each (a fair race on a busy box)

Two networks (issue 7), batch 64, Adam lr 1e-3, cross-entropy:
  small    conv 1->8 3x3, ReLU, maxpool 2, conv 8->16 3x3, ReLU, maxpool 2, linear 400->10
  example  PyTorch's examples/mnist: conv 1->32 3x3, ReLU, conv 32->64 3x3, ReLU, maxpool 2,
           dropout 0.25, linear 9216->128, ReLU, dropout 0.5, linear 128->10

All three start from the same weights (drawn by torch) and see the same batches in the same
order. On a shared 2-core machine a full epoch of each, three times over, takes too long, so
by default each run trains on the first 200 batches of the epoch (12,800 images) and the
seconds are also scaled to a full epoch (x 938/200). Runs alternate torch / npgrad / numpy,
so a busy moment of the machine hits all three alike; ratios are taken within a run.

npgrad runs twice: on its NumPy fast paths (``npgrad``) and with the compiled kernels of the
``[fast]`` extra (``npgrad+k``, when numba is installed). The FLOP floor is the run's matrix
products alone - every GEMM of every step (each conv as its im2col product, forward, weight
gradient and input gradient; each linear layer), timed in NumPy on one thread in the same
run: the hardware's limit for this work on one core.

Threads, by default: torch uses its own (one per core); npgrad keeps BLAS on one thread and
deals conv / max-pool chunks out to one worker thread per core; the hand-written NumPy gets
BLAS on every core. ``--threads 1`` runs all three on one core.
"""
import argparse
import os
import statistics
import sys
import time

if "--threads" in sys.argv:  # must reach OpenBLAS (and torch's OpenMP) before they load
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from npgrad.models import pytorch_example_cnn, small_cnn  # noqa: E402
from bench_train import train_epoch  # noqa: E402  (bench/ is on sys.path as the script's folder)

BATCH = 64
FACTORY = {"small": small_cnn, "example": pytorch_example_cnn}  # each takes an ``nn`` namespace


def load_mnist():
    from npgrad.train.data import mnist_arrays

    root = os.environ.get("NPGRAD_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
    x, y = mnist_arrays(root, train=True, flatten=False)
    return ((x - 0.1307) / 0.3081).astype(np.float32)[:, None], y


# ---------------------------------------------------------------- the PyTorch-API program
def build(lib, name, state):
    """The model ``name`` in library ``lib`` (torch or npgrad), holding the weights ``state``."""
    model = FACTORY[name](lib.nn)
    with lib.no_grad():
        for key, p in model.state_dict().items():
            p.copy_(lib.from_numpy(state[key].copy()))
    return model


def train(lib, model, X, Y, order):
    """The same PyTorch-API epoch as the MLP benchmark's, at this benchmark's batch size."""
    return train_epoch(lib, model, X, Y, order, BATCH)


# ---------------------------------------------------------------- the same, by hand in NumPy
class NumpyCNN:
    """The two CNNs written out in NumPy the textbook way (CS231n's im2col layout): NCHW
    arrays; im2col as a ``(C*kh*kw, N*Ho*Wo)`` matrix copied from a ``sliding_window_view``;
    one matmul per conv; col2im by a loop over the kernel offsets; 2x2 max pool as the
    maximum of four strided slices, backward by masks; inverted dropout; softmax cross-entropy; Adam."""

    def __init__(self, name, state, seed=0):
        self.layers = {
            "small": ["conv0", "relu", "pool", "conv3", "relu", "pool", "flat", "lin7"],
            "example": ["conv0", "relu", "conv2", "relu", "pool", "drop0.25", "flat", "lin7",
                        "relu", "drop0.5", "lin10"],
        }[name]
        self.params = {k: v.copy() for k, v in state.items()}
        self.m = {k: np.zeros_like(v) for k, v in state.items()}
        self.v = {k: np.zeros_like(v) for k, v in state.items()}
        self.rng, self.t = np.random.default_rng(seed), 0

    # each forward returns (output, what its backward needs)
    def conv_forward(self, x, key):
        w, b = self.params[key + ".weight"], self.params[key + ".bias"]
        o, c, kh, kw = w.shape
        n, _, h, wd = x.shape
        ho, wo = h - kh + 1, wd - kw + 1
        win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
        cols = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(c * kh * kw, -1)
        out = w.reshape(o, -1) @ cols + b[:, None]  # (O, N*Ho*Wo)
        return out.reshape(o, n, ho, wo).transpose(1, 0, 2, 3), (cols, x.shape)

    def conv_backward(self, g, key, cache):
        cols, (n, c, h, wd) = cache
        w = self.params[key + ".weight"]
        o, _, kh, kw = w.shape
        ho, wo = h - kh + 1, wd - kw + 1
        g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)  # (O, N*Ho*Wo)
        grads = {key + ".weight": (g2 @ cols.T).reshape(w.shape), key + ".bias": g2.sum(1)}
        dcols = (w.reshape(o, -1).T @ g2).reshape(c, kh, kw, n, ho, wo)
        dx = np.zeros((n, c, h, wd), np.float32)
        for i in range(kh):
            for j in range(kw):
                dx[:, :, i : i + ho, j : j + wo] += dcols[:, i, j].transpose(1, 0, 2, 3)
        return dx, grads

    @staticmethod
    def pool_forward(x):
        n, c, h, w = x.shape
        x = x[:, :, : h // 2 * 2, : w // 2 * 2]
        corners = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        out = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
        return out, (corners, out, (n, c, h, w))

    @staticmethod
    def pool_backward(g, cache):
        corners, out, (n, c, h, w) = cache
        dx = np.zeros((n, c, h, w), np.float32)
        # ties (a window of ReLU zeros) all get the gradient; ReLU's backward zeroes it again
        for (i, j), corner in zip([(0, 0), (0, 1), (1, 0), (1, 1)], corners):
            dx[:, :, i : h // 2 * 2 : 2, j : w // 2 * 2 : 2] = g * (corner == out)
        return dx

    def step(self, x, y, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        caches = []
        for layer in self.layers:
            if layer.startswith("conv"):
                x, cache = self.conv_forward(x, layer[4:])
            elif layer == "relu":
                cache = x > 0
                x = x * cache
            elif layer == "pool":
                x, cache = self.pool_forward(x)
            elif layer.startswith("drop"):
                p = float(layer[4:])
                cache = (self.rng.random(x.shape, dtype=np.float32) >= p) / np.float32(1 - p)
                x = x * cache
            elif layer == "flat":
                cache = x.shape
                x = x.reshape(len(x), -1)
            else:  # linear
                cache = x
                key = layer[3:]
                x = x @ self.params[key + ".weight"].T + self.params[key + ".bias"]
            caches.append(cache)

        shifted = x - x.max(1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(1, keepdims=True)
        rows = np.arange(len(y))
        loss = -np.log(p[rows, y]).mean()
        g = p
        g[rows, y] -= 1
        g /= len(y)

        grads = {}
        for layer, cache in zip(reversed(self.layers), reversed(caches)):
            if layer.startswith("conv"):
                g, gr = self.conv_backward(g, layer[4:], cache)
                grads.update(gr)
            elif layer in ("relu",) or layer.startswith("drop"):
                g = g * cache
            elif layer == "pool":
                g = self.pool_backward(g, cache)
            elif layer == "flat":
                g = g.reshape(cache)
            else:
                key = layer[3:]
                grads[key + ".weight"] = g.T @ cache
                grads[key + ".bias"] = g.sum(0)
                g = g @ self.params[key + ".weight"]

        self.t += 1
        bc1, bc2 = 1 - b1**self.t, 1 - b2**self.t
        for k, param in self.params.items():
            gk, m, v = grads[k], self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * gk
            v *= b2
            v += (1 - b2) * gk * gk
            param -= (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
        return float(loss)

    def train(self, X, Y, order):
        return [self.step(X[order[i : i + BATCH]], Y[order[i : i + BATCH]])
                for i in range(0, len(order), BATCH)]


# ---------------------------------------------------------------- the FLOP floor
# per model: convs as (in channels, out channels, output side, needs an input gradient),
# 3x3 kernels; linear layers as (fan in, fan out); every linear's input needs a gradient
CONVS = {"small": [(1, 8, 26, False), (8, 16, 11, True)],
         "example": [(1, 32, 26, False), (32, 64, 24, True)]}
LINEARS = {"small": [(400, 10)], "example": [(9216, 128), (128, 10)]}


def gemms(name, b=BATCH):
    """(rows, inner, columns) of every matrix product of one training step of ``name``."""
    out = []
    for c, o, side, input_grad in CONVS[name]:
        m, k = b * side * side, 9 * c
        out += [(m, k, o), (k, m, o)] + ([(m, o, k)] if input_grad else [])
    for fan_in, fan_out in LINEARS[name]:
        out += [(b, fan_in, fan_out), (fan_out, b, fan_in), (b, fan_out, fan_in)]
    return out


def gemm_floor(name, batches, repeats=3):
    """Seconds for ``batches`` steps' GEMMs alone (each the best of ``repeats``), and the
    GFLOP/s they reached."""
    rng = np.random.default_rng(0)
    total = flops = 0.0
    for m, k, n in gemms(name):
        a = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((k, n), dtype=np.float32)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            a @ w
            best = min(best, time.perf_counter() - t)
        total += best * batches
        flops += 2.0 * m * k * n * batches
    return total, flops / total / 1e9


# ---------------------------------------------------------------- the measurement
def run(name, X, Y, n_batches, runs, threads=None):
    import torch

    import npgrad

    torch.manual_seed(0)  # the initial weights: torch's default init, shared by all three
    state = {k: v.detach().numpy().copy() for k, v in FACTORY[name](torch.nn).state_dict().items()}
    order = np.random.default_rng(1).permutation(len(X))
    if n_batches:
        order = order[: n_batches * BATCH]
    batches = -(-len(order) // BATCH)

    def lib_runner(lib, mode=None):
        def go():
            if mode:  # npgrad on one of its paths (see npgrad/_fast)
                npgrad.set_kernels(mode)
            try:
                model = build(lib, name, state)
                t = time.perf_counter()
                losses = train(lib, model, X, Y, order)
                return time.perf_counter() - t, losses
            finally:
                npgrad.set_kernels("auto")
        return go

    def numpy_runner():
        # ``import npgrad`` put BLAS on one thread (npgrad then runs its own worker threads);
        # the hand-written program gets NumPy's usual default back: BLAS on every core
        blas = npgrad.get_num_threads()
        if threads is None:
            npgrad.set_num_threads(os.cpu_count() or 1)
        try:
            net = NumpyCNN(name, state)
            t = time.perf_counter()
            losses = net.train(X, Y, order)
            return time.perf_counter() - t, losses
        finally:
            npgrad.set_num_threads(blas)

    from npgrad._fast.compiled import available

    modes = {"npgrad": "numpy", **({"npgrad+k": "compiled"} if available() else {})}
    runners = {"torch": lib_runner(torch),
               **{k: lib_runner(npgrad, mode) for k, mode in modes.items()},
               "numpy": numpy_runner}
    # first calls pay one-off costs (torch's kernel setup, numba compiling or loading its
    # cache): untimed
    warm = order[: 3 * BATCH]
    train(torch, build(torch, name, state), X, Y, warm)
    for mode in modes.values():
        npgrad.set_kernels(mode)
        train(npgrad, build(npgrad, name, state), X, Y, warm)
    npgrad.set_kernels("auto")
    NumpyCNN(name, state).train(X, Y, warm)

    times = {k: [] for k in (*runners, "floor")}
    losses = {}
    for _ in range(runs):
        for k, go in runners.items():
            secs, losses[k] = go()
            times[k].append(secs)
        floor, gflops = gemm_floor(name, batches)
        times["floor"].append(floor)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))  # noqa: E731
    scale = 938 / batches
    tail = lambda k: np.mean(losses[k][-20:])  # noqa: E731
    line = (f"{name:8s} {batches} batches | floor {med['floor']:6.2f}s ({gflops:.0f} GFLOP/s) | "
            f"torch {med['torch']:6.2f}s | numpy {med['numpy']:6.2f}s")
    for k in modes:
        line += (f" | {k} {med[k]:6.2f}s: /torch {ratio(k, 'torch'):.2f} /numpy "
                 f"{ratio(k, 'numpy'):.2f} /floor {ratio(k, 'floor'):.1f}")
    print(line + f" | torch/floor {ratio('torch', 'floor'):.1f}")
    print(f"         per epoch (x{scale:.2f}): " + " ".join(
        f"{k} {med[k] * scale:.0f}s" for k in times) + " | mean loss of last 20 batches: "
        + " ".join(f"{k} {tail(k):.3f}" for k in runners))
    print("         all runs (s): " + "; ".join(
        f"{k} " + " ".join(f"{t:.2f}" for t in v) for k, v in times.items()))
    return {k: ratio(k, "torch") for k in modes}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200,
                        help="batches per run (0: the full epoch of 938)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="*", default=["small", "example"],
                        choices=["small", "example"])
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and OpenBLAS (default: theirs, i.e. all cores)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    X, Y = load_mnist()
    threads = args.threads or f"default ({os.cpu_count()} CPUs)"
    print(f"MNIST CNN training, batch {BATCH}, Adam lr 1e-3, median of {args.runs} alternating "
          f"runs (torch, npgrad, npgrad+kernels, hand-written numpy), threads: {threads}, load average "
          f"{os.getloadavg()[0]:.1f}")
    for name in args.models:
        run(name, X, Y, args.batches, args.runs, args.threads)


if __name__ == "__main__":
    main()
