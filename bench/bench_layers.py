"""Layer forward+backward, npgrad against PyTorch, measured in one run (issue 11 layers).

    python bench/bench_layers.py              # default threads (torch: its own; npgrad: _threads)
    python bench/bench_layers.py --threads 1  # one thread each

Each row builds the same layer in both libraries from the same weights and input, then
times forward + backward (a sum of the output as the loss). Libraries alternate within
each repeat, so a busy moment of the machine hits both alike; the median of the repeats
is reported, and the ratio npgrad / torch (> 1: npgrad slower).
"""
import os
import statistics
import sys
import time

if "--threads" in sys.argv:  # must reach OpenBLAS (and torch's OpenMP) before they load
    _n = sys.argv[sys.argv.index("--threads") + 1]
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _n

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name, layer factory (takes an ``nn`` namespace), input shape
ROWS = [
    ("ConvTranspose2d 64->32 4x4 s2 p1, 16x16 -> 32x32, batch 64",
     lambda nn: nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), (64, 64, 16, 16)),
    ("ConvTranspose2d 100->256 4x4 s1 p0, 1x1 -> 4x4, batch 64 (DCGAN first layer)",
     lambda nn: nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), (64, 100, 1, 1)),
    ("Conv1d 32->64 k5 p2, L=256, batch 32",
     lambda nn: nn.Conv1d(32, 64, 5, padding=2), (32, 32, 256)),
    ("Upsample bilinear x2, (32, 16, 32, 32)",
     lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), (32, 16, 32, 32)),
    ("Upsample nearest x2, (32, 16, 32, 32)",
     lambda nn: nn.Upsample(scale_factor=2), (32, 16, 32, 32)),
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
    out = layer(xt)
    out.sum().backward()
    return time.perf_counter() - t0


def main(repeats=7):
    import torch

    import npgrad

    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    print(f"{'forward + backward':78s} {'npgrad ms':>10s} {'torch ms':>10s} {'npgrad/torch':>13s}")
    for name, factory, shape in ROWS:
        torch.manual_seed(0)
        ref = factory(torch.nn)
        state = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
        ours, theirs = build(npgrad, factory, state), build(torch, factory, state)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        step(npgrad, ours, x), step(torch, theirs, x)  # warm-up
        t_ours, t_theirs = [], []
        for _ in range(repeats):
            t_ours.append(step(npgrad, ours, x))
            t_theirs.append(step(torch, theirs, x))
        a, b = statistics.median(t_ours), statistics.median(t_theirs)
        print(f"{name:78s} {a * 1e3:10.2f} {b * 1e3:10.2f} {a / b:13.2f}")


if __name__ == "__main__":
    main()
