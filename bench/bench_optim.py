"""One optimizer step per call, npgrad against PyTorch (CPU), on parameters shaped like an
MLP's (784-256-128-10, ~235k weights) or bigger (--scale). Steps alternate between the
libraries; each figure is the median of --runs rounds of --steps steps. Prints the time
per step and the ratio npgrad / torch (below 1: npgrad is faster).

    python bench/bench_optim.py [--steps 200] [--runs 3] [--scale 1] [names...]
"""
import argparse
import statistics
import time
import warnings

import numpy as np
import torch

import npgrad

OPTIMIZERS = {
    "SGD": dict(lr=0.01, momentum=0.9), "Adam": dict(), "Adadelta": dict(), "Adamax": dict(),
    "NAdam": dict(), "RAdam": dict(), "ASGD": dict(), "Rprop": dict(),
}


def make(lib, name, shapes, seed=0):
    rng = np.random.default_rng(seed)
    params = [lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in shapes]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
    return getattr(lib.optim, name)(params, **OPTIMIZERS[name])


def time_steps(opt, steps):
    start = time.perf_counter()
    for _ in range(steps):
        opt.step()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(OPTIMIZERS))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1, help="multiply the widths by this")
    args = parser.parse_args()
    k = args.scale
    shapes = [(256 * k, 784), (256 * k,), (128 * k, 256 * k), (128 * k,), (10, 128 * k), (10,)]
    print(f"{sum(int(np.prod(s)) for s in shapes):,} float32 weights in {len(shapes)} tensors, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'optimizer':10s} {'torch µs':>10s} {'npgrad µs':>10s} {'ratio':>7s}")
    warnings.simplefilter("ignore")
    for name in args.names:
        ours, theirs = make(npgrad, name, shapes), make(torch, name, shapes)
        time_steps(ours, 5), time_steps(theirs, 5)  # warm-up: state allocated
        t_ours, t_theirs = [], []
        for _ in range(args.runs):
            t_theirs.append(time_steps(theirs, args.steps))
            t_ours.append(time_steps(ours, args.steps))
        a, b = statistics.median(t_theirs), statistics.median(t_ours)
        print(f"{name:10s} {a * 1e6:10.0f} {b * 1e6:10.0f} {b / a:7.2f}")


if __name__ == "__main__":
    main()
