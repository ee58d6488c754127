"""The rest of the speed table (see bench/README.md), npgrad vs PyTorch in one run:

    python bench/bench_speed.py                 # everything, median of 3 alternating runs
    python bench/bench_speed.py --only seed004 --epochs 1

- seed004:   seed 004's whole program: TensorDataset + DataLoader(batch 64, shuffle) over
             MNIST, Flatten + 784-128-64-10, CrossEntropyLoss, Adam, N epochs;
- data:      one DataLoader pass over MNIST train, batch 64, ToTensor + Normalize (npgrad's
             MNIST dataset vs PyTorch's DataLoader over a TensorDataset of the same tensors);
- inference: one image at a time (latency) and 10,000 at once, 784-128-64-10;
- memory:    peak RSS of a 784-50-10 training run, and its growth across 10 epochs, each
             library in a fresh process.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
DATA = os.environ.get("NPGRAD_DATA", os.path.join(HERE, "..", "..", "shared", "data"))


def mnist_arrays():
    from npgrad.vision.datasets import MNIST

    train, test = MNIST(DATA, train=True), MNIST(DATA, train=False)
    return train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()


def simple_nn(lib):
    """Seed 004's SimpleNN, as written there."""
    nn = lib.nn

    class SimpleNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.layers = nn.Sequential(
                nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
            )

        def forward(self, x):
            return self.layers(self.flatten(x))

    return SimpleNN()


def copy_weights(src_torch, dst_np_lib_model, lib):
    with lib.no_grad():
        for (_, p), (_, q) in zip(src_torch.state_dict().items(), dst_np_lib_model.state_dict().items()):
            q.copy_(lib.from_numpy(p.detach().numpy().copy()))


def paired(runners, runs):
    times = {k: [] for k in runners}
    for _ in range(runs):
        for k, go in runners.items():
            times[k].append(go())
    ratio = statistics.median(a / b for a, b in zip(times["npgrad"], times["torch"]))
    return {k: statistics.median(v) for k, v in times.items()}, ratio


# ---------------------------------------------------------------- seed 004's program
def seed004(lib, X, Y, epochs, seed):
    lib.manual_seed(seed)
    images = lib.from_numpy(X.reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    labels = lib.from_numpy(Y.astype(np.int64))
    train_loader = lib.utils.data.DataLoader(
        lib.utils.data.TensorDataset(images, labels), batch_size=64, shuffle=True
    )
    model = simple_nn(lib)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=0.001)
    t = time.perf_counter()
    for epoch in range(epochs):
        total_loss = 0
        for images_b, labels_b in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images_b), labels_b)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
    return time.perf_counter() - t


def bench_seed004(arrays, runs, epochs):
    import torch

    import npgrad

    X, Y = arrays[0], arrays[1]
    times, ratio = paired({"torch": lambda: seed004(torch, X, Y, epochs, 0),
                           "npgrad": lambda: seed004(npgrad, X, Y, epochs, 0)}, runs)
    print(f"seed 004 program, {epochs} epoch(s): torch {times['torch']:.2f}s  npgrad {times['npgrad']:.2f}s  "
          f"npgrad/torch {ratio:.2f}")


# ---------------------------------------------------------------- one DataLoader pass
def bench_data(arrays, runs):
    import torch

    import npgrad
    from npgrad.utils.data import DataLoader
    from npgrad.vision import datasets, transforms

    X, Y = arrays[0], arrays[1]
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(DATA, train=True, transform=tf)
    pre = torch.from_numpy(((X.astype(np.float32) / 255 - 0.1307) / 0.3081).reshape(-1, 1, 28, 28))
    tds = torch.utils.data.TensorDataset(pre, torch.from_numpy(Y.astype(np.int64)))

    def one_pass(loader):
        def go():
            t = time.perf_counter()
            for _ in loader:
                pass
            return time.perf_counter() - t

        return go

    npgrad.manual_seed(0)
    torch.manual_seed(0)
    times, ratio = paired({"torch": one_pass(torch.utils.data.DataLoader(tds, batch_size=64, shuffle=True)),
                           "npgrad": one_pass(DataLoader(ds, batch_size=64, shuffle=True))}, runs)
    print(f"DataLoader pass, MNIST train, batch 64, ToTensor+Normalize: torch (TensorDataset) "
          f"{times['torch']:.3f}s  npgrad (MNIST + transforms) {times['npgrad']:.3f}s  npgrad/torch {ratio:.2f}")


# ---------------------------------------------------------------- inference
def bench_inference(arrays, runs):
    import torch

    import npgrad

    Xt = arrays[2].reshape(-1, 1, 28, 28).astype(np.float32) / 255
    tm = simple_nn(torch).eval()
    nm = simple_nn(npgrad).eval()
    copy_weights(tm, nm, npgrad)
    one_t, one_n = torch.from_numpy(Xt[:1]), npgrad.from_numpy(Xt[:1])
    all_t, all_n = torch.from_numpy(Xt), npgrad.from_numpy(Xt)

    def latency(lib, model, x, n=2000):
        def go():
            with lib.no_grad():
                t = time.perf_counter()
                for _ in range(n):
                    model(x)
                return (time.perf_counter() - t) / n

        return go

    def batch(lib, model, x):
        def go():
            with lib.no_grad():
                t = time.perf_counter()
                model(x)
                return time.perf_counter() - t

        return go

    with torch.no_grad():
        ref = tm(all_t).numpy()
    with npgrad.no_grad():
        assert np.allclose(nm(all_n).numpy(), ref, atol=1e-4), "npgrad and torch disagree on inference"
    times, ratio = paired({"torch": latency(torch, tm, one_t), "npgrad": latency(npgrad, nm, one_n)}, runs)
    print(f"inference, one image: torch {times['torch'] * 1e6:.1f} µs  npgrad {times['npgrad'] * 1e6:.1f} µs  "
          f"npgrad/torch {ratio:.2f}")
    times, ratio = paired({"torch": batch(torch, tm, all_t), "npgrad": batch(npgrad, nm, all_n)}, max(runs, 5))
    print(f"inference, 10,000 images at once: torch {times['torch'] * 1e3:.1f} ms  npgrad {times['npgrad'] * 1e3:.1f} ms  "
          f"npgrad/torch {ratio:.2f}")


# ---------------------------------------------------------------- memory
_MEMORY_CHILD = r"""
import os, sys, numpy as np
sys.path.insert(0, {root!r})
lib = __import__({lib!r})
from npgrad.vision.datasets import MNIST
ds = MNIST({data!r}, train=True)
X = ds.data.numpy().reshape(-1, 784).astype(np.float32) / 255
Y = ds.targets.numpy().astype(np.int64)
def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
nn = lib.nn
model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
opt = lib.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
xs, ys = lib.from_numpy(X), lib.from_numpy(Y)
rss = []
for epoch in range({epochs}):
    perm = np.random.default_rng(epoch).permutation(len(X))
    for i in range(0, len(X), 64):
        idx = lib.from_numpy(perm[i:i + 64])
        opt.zero_grad()
        loss = loss_fn(model(xs[idx]), ys[idx])
        loss.backward()
        opt.step()
    rss.append(rss_mb())
import resource
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, *rss)
"""


def bench_memory(epochs):
    out = {}
    for lib in ("torch", "npgrad"):
        code = _MEMORY_CHILD.format(root=os.path.dirname(HERE), lib=lib, data=DATA, epochs=epochs)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        peak, *rss = map(float, res.stdout.split())
        out[lib] = (peak, rss)
        print(f"memory, {lib:6s}: peak RSS {peak:.0f} MiB; RSS after epoch 1 {rss[0]:.0f} MiB, after epoch "
              f"{epochs} {rss[-1]:.0f} MiB (growth {rss[-1] - rss[0]:+.1f} MiB)")
    print(f"memory, npgrad/torch peak RSS {out['npgrad'][0] / out['torch'][0]:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of seed 004's program")
    parser.add_argument("--memory-epochs", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=["seed004", "data", "inference", "memory"])
    args = parser.parse_args()
    arrays = mnist_arrays()
    if "seed004" in args.only:
        bench_seed004(arrays, args.runs, args.epochs)
    if "data" in args.only:
        bench_data(arrays, args.runs)
    if "inference" in args.only:
        bench_inference(arrays, args.runs)
    if "memory" in args.only:
        bench_memory(args.memory_epochs)


if __name__ == "__main__":
    main()
