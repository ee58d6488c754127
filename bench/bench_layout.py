"""What PyTorch's memory layout costs npgrad's fast paths: the CNN layers forward + backward
on NCHW input (the default; outputs NCHW-contiguous, as torch's) and on channels-last input
(outputs channels-last: no layout copies), npgrad and torch, in one run.

    python bench/bench_layout.py              # default threads, kernels as installed
    python bench/bench_layout.py --repeats 15

Libraries and layouts alternate within each repeat, so a busy moment hits all alike; the
median of the repeats is reported, and npgrad / torch for each layout.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name, layer factory (takes an ``nn`` namespace), input shape: the PyTorch MNIST example's
ROWS = [
    ("conv 32->64 3x3, 26x26, batch 64", lambda nn: nn.Conv2d(32, 64, 3), (64, 32, 26, 26)),
    ("max pool 2, 64x64x24x24", lambda nn: nn.MaxPool2d(2), (64, 64, 24, 24)),
    ("conv, ReLU, max pool", lambda nn: nn.Sequential(nn.Conv2d(32, 64, 3), nn.ReLU(),
                                                       nn.MaxPool2d(2)), (64, 32, 26, 26)),
    ("BatchNorm2d 64, 64x64x24x24", lambda nn: nn.BatchNorm2d(64), (64, 64, 24, 24)),
]


def build(lib, factory, state):
    layer = factory(lib.nn)
    with lib.no_grad():
        for key, p in layer.state_dict().items():
            p.copy_(lib.from_numpy(state[key].copy()))
    return layer


def step(lib, layer, x, layout):
    xt = lib.from_numpy(x).requires_grad_(True)
    if layout == "channels_last":
        xt = xt.to(memory_format=lib.channels_last)
        layer = layer.to(memory_format=lib.channels_last)
    t0 = time.perf_counter()
    out = layer(xt)
    out.sum().backward()
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    import torch

    import npgrad

    print(f"npgrad kernels: {npgrad.kernels()}; median of {args.repeats}; ms per forward + "
          "backward; ratio npgrad / torch")
    rng = np.random.default_rng(0)
    for name, factory, shape in ROWS:
        x = rng.standard_normal(shape).astype(np.float32)
        state = {k: v.detach().numpy() for k, v in factory(torch.nn).state_dict().items()}
        layers = {lib: build(lib, factory, state) for lib in (torch, npgrad)}
        times = {(lib, lay): [] for lib in (torch, npgrad) for lay in ("NCHW", "channels_last")}
        for lib, lay in times:  # warm up (compiles the kernels)
            step(lib, build(lib, factory, state), x, lay)
        for _ in range(args.repeats):
            for lib, lay in times:
                layer = layers[lib] if lay == "NCHW" else build(lib, factory, state)
                times[lib, lay].append(step(lib, layer, x, lay))
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        cells = [f"{lay}: npgrad {med[npgrad, lay]:6.2f} torch {med[torch, lay]:6.2f} "
                 f"({med[npgrad, lay] / med[torch, lay]:.2f})" for lay in ("NCHW", "channels_last")]
        print(f"{name:34s} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
