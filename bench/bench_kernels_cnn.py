"""The CNN kernels of the [fast] extra, layer by layer and in a whole training step: npgrad
on its NumPy paths, npgrad with the compiled kernels, and PyTorch, measured in one run.

    python bench/bench_kernels_cnn.py               # 7 repeats, median
    python bench/bench_kernels_cnn.py --repeats 3

Each layer row times forward + backward (the sum of the output as the loss) on an input laid
out channels-last, as a convolution leaves it; the last rows are one Adam step of
``npgrad.models.small_cnn`` (the benchmark's small CNN) and of ``mnist_cnn``
(conv-BatchNorm-ReLU-pool twice, then the MLP head), batch 64.
The three alternate within each repeat, so a busy moment hits them alike; ratios are the
median of the per-repeat ratios to torch (below 1: npgrad faster). CPU time of the process
(``time.process_time``), so the work of npgrad's helper threads counts; torch runs on one
thread (``set_num_threads(1)``: its idle OpenMP workers would spin on CPU time).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYERS = [  # name, layer factory (takes an ``nn`` namespace), input shape
    ("MaxPool2d 2x2, 64x32x28x28", lambda nn: nn.MaxPool2d(2), (64, 32, 28, 28)),
    ("MaxPool2d 2x2, 64x8x26x26 (small CNN)", lambda nn: nn.MaxPool2d(2), (64, 8, 26, 26)),
    ("BatchNorm2d(32), 64x32x28x28", lambda nn: nn.BatchNorm2d(32), (64, 32, 28, 28)),
    ("BatchNorm2d(64), 64x64x14x14", lambda nn: nn.BatchNorm2d(64), (64, 64, 14, 14)),
]


def layer_runners(factory, shape):
    import torch

    import npgrad

    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    tlayer, nlayer = factory(torch.nn), factory(npgrad.nn)

    def npgrad_step():
        t = npgrad.from_numpy(x).requires_grad_()
        nlayer(t).sum().backward()

    def torch_step():
        t = torch.from_numpy(x).requires_grad_()
        tlayer(t).sum().backward()

    return npgrad_step, torch_step


def cnn_runners(factory):
    import torch

    import npgrad

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    torch.manual_seed(0)
    tmodel = factory(torch.nn)
    nmodel = factory(npgrad.nn)
    nmodel.load_state_dict({k: npgrad.from_numpy(v.detach().numpy().copy())
                            for k, v in tmodel.state_dict().items()})

    def stepper(lib, model):
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        xb, yb = lib.from_numpy(x), lib.from_numpy(y)

        def step():
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        return step

    return stepper(npgrad, nmodel), stepper(torch, tmodel)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import torch

    import npgrad
    from npgrad._fast.compiled import available

    torch.set_num_threads(1)

    modes = ["numpy"] + (["compiled"] if available() else [])
    rows = [(name, *layer_runners(f, s), 20) for name, f, s in LAYERS]
    from npgrad.models import mnist_cnn, small_cnn

    rows.append(("small_cnn, one Adam step, batch 64", *cnn_runners(small_cnn), 10))
    rows.append(("mnist_cnn, one Adam step, batch 64", *cnn_runners(mnist_cnn), 3))
    print(f"forward+backward, CPU ms, median of {args.repeats}; npgrad / torch per path")
    print(f"{'':42s} {'torch':>7s} " + " ".join(f"{'npgrad ' + m:>16s} {'/torch':>6s}" for m in modes))
    for name, npgrad_step, torch_step, calls in rows:
        times = {k: [] for k in ["torch", *modes]}
        for r in range(args.repeats + 1):  # the first repeat warms up (numba's cache, pools)
            for key in times:
                run = torch_step if key == "torch" else npgrad_step
                npgrad.set_kernels("auto" if key == "torch" else key)
                t = time.process_time()
                for _ in range(calls):
                    run()
                if r:
                    times[key].append((time.process_time() - t) / calls * 1e3)
        npgrad.set_kernels("auto")
        line = f"{name:42s} {statistics.median(times['torch']):7.2f} "
        for m in modes:
            ratio = statistics.median(a / b for a, b in zip(times[m], times["torch"]))
            line += f"{statistics.median(times[m]):16.2f} {ratio:6.2f} "
        print(line)


if __name__ == "__main__":
    main()
