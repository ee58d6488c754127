"""3-d layers (branch moreops), forward + backward, npgrad against PyTorch in one run.

    python bench/bench_3d.py

Each row builds the same layer in both libraries from the same weights and input and times
forward + backward (the output's sum as the loss). The libraries alternate within each
repeat; the median of the repeats is reported with the ratio npgrad / torch (> 1: npgrad
slower). npgrad's 3-d layers are the plain NumPy reference (no fast path yet).
"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROWS = [
    ("Conv3d 8->16 k3 p1, 16^3, batch 4",
     lambda nn: nn.Conv3d(8, 16, 3, padding=1), (4, 8, 16, 16, 16)),
    ("Conv3d 16->16 k3 s2 groups=4, 16^3, batch 4",
     lambda nn: nn.Conv3d(16, 16, 3, stride=2, groups=4), (4, 16, 16, 16, 16)),
    ("MaxPool3d 2, (4, 16, 16^3)", lambda nn: nn.MaxPool3d(2), (4, 16, 16, 16, 16)),
    ("AvgPool3d 3 s2 p1, (4, 16, 16^3)", lambda nn: nn.AvgPool3d(3, 2, 1), (4, 16, 16, 16, 16)),
]


def build(lib, factory, state):
    layer = factory(lib.nn)
    with lib.no_grad():
        for key, p in layer.state_dict().items():
            p.copy_(lib.from_numpy(state[key].copy()))
    return layer


def step(lib, layer, x):
    xt = lib.from_numpy(x).requires_grad_(True)
    t0 = time.perf_counter()
    layer(xt).sum().backward()
    return time.perf_counter() - t0


def main(repeats=5):
    import torch

    import npgrad

    rng = np.random.default_rng(0)
    print(f"{'layer':48s} {'npgrad ms':>10s} {'torch ms':>9s} {'ratio':>6s}")
    for name, factory, shape in ROWS:
        reference = factory(torch.nn)
        state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
        ours, theirs = build(npgrad, factory, state), build(torch, factory, state)
        x = rng.standard_normal(shape).astype(np.float32)
        times = {"npgrad": [], "torch": []}
        for _ in range(repeats):
            times["npgrad"].append(step(npgrad, ours, x))
            times["torch"].append(step(torch, theirs, x))
        a, b = statistics.median(times["npgrad"]), statistics.median(times["torch"])
        print(f"{name:48s} {a * 1e3:10.1f} {b * 1e3:9.1f} {a / b:6.1f}")


if __name__ == "__main__":
    main()
