"""Denormal Adam state, late in training: steps with and without ``set_flush_denormal``.

    python bench/bench_denormal.py                 # 784-50-10, batch 64, Adam lr 1e-3
    python bench/bench_denormal.py --warmup 800 --steps 200 --rounds 3

Each library (npgrad, PyTorch) trains the same model for ``--warmup`` steps with flushing
off. By then ``exp_avg`` of the weights on rarely lit pixels has decayed (x0.9 a step, the
gradient being 0) below float32's smallest normal number. From that state (copied) it then
runs ``--steps`` more steps twice per round, flushing off and on, alternately, and reports
the median time per step and the share of denormal numbers in the Adam state.
"""
import argparse
import copy
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench_train import initial_weights, load_mnist, make_model  # noqa: E402

TINY = np.finfo(np.float32).tiny


def denormal_share(lib, opt):
    total = small = 0
    for state in opt.state.values():
        for key in ("exp_avg", "exp_avg_sq"):
            a = np.asarray(state[key].detach().numpy() if hasattr(state[key], "detach") else state[key])
            total += a.size
            small += int(np.count_nonzero((a != 0) & (np.abs(a) < TINY)))
    return small / max(total, 1)


def steps(lib, model, opt, X, Y, batches):
    loss_fn = lib.nn.CrossEntropyLoss()
    for idx in batches:
        xb, yb = lib.from_numpy(X[idx]), lib.from_numpy(Y[idx])
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()


def run(lib, X, Y, order, args):
    lib.manual_seed(0)
    bs = args.batch
    batches = [order[i : i + bs] for i in range(0, len(order) - bs + 1, bs)]
    batches = (batches * (1 + (args.warmup + args.steps) // len(batches)))
    model = make_model(lib, [784, 50, 10], 0.0, initial_weights([784, 50, 10]))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    lib.set_flush_denormal(False)
    steps(lib, model, opt, X, Y, batches[: args.warmup])
    share = denormal_share(lib, opt)
    late = batches[args.warmup : args.warmup + args.steps]
    times = {False: [], True: []}
    for _ in range(args.rounds):
        for flush in (False, True):
            m, o = copy.deepcopy((model, opt))
            lib.set_flush_denormal(flush)
            t = time.perf_counter()
            steps(lib, m, o, X, Y, late)
            times[flush].append((time.perf_counter() - t) / len(late))
            lib.set_flush_denormal(False)
    return share, {k: statistics.median(v) for k, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=800)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    import torch

    import npgrad

    torch.set_num_threads(1)  # as npgrad's BLAS: one thread each, side by side
    (X, Y), _ = load_mnist()
    order = np.random.default_rng(0).permutation(len(X))
    print(f"784-50-10, batch {args.batch}, Adam: {args.steps} steps after {args.warmup}")
    print(f"{'library':<8} {'denormal state':>14} {'ms/step off':>12} {'ms/step on':>11} {'off/on':>7}")
    for name, lib in (("npgrad", npgrad), ("torch", torch)):
        share, t = run(lib, X, Y, order, args)
        print(f"{name:<8} {share:>13.1%} {t[False] * 1e3:>12.3f} {t[True] * 1e3:>11.3f} "
              f"{t[False] / t[True]:>7.2f}")


if __name__ == "__main__":
    main()
