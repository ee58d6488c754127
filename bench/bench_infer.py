"""Single-image inference: ``model(x)`` for one 1x1x28x28 image under no_grad, npgrad beside
PyTorch (and the same three matrix-vector products by hand in NumPy, the floor).

    python bench/bench_infer.py                # the default MLP (784-256-128-10)
    python bench/bench_infer.py --rounds 9 --calls 2000

Each round times ``--calls`` calls of each runner in turn (npgrad on its NumPy paths, npgrad
with the compiled kernels when numba is installed, torch, hand NumPy), so that a busy moment
of a shared machine hits them alike; the table shows the median over rounds of each
runner's microseconds per call and of its ratio to torch within the round. torch runs on one
thread, as npgrad's BLAS does. Time is the process's CPU time (``--clock cpu``, the default:
on a shared machine a preempted call then costs nothing extra; every runner here computes
on the calling thread alone) or wall time (``--clock wall``).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def runners():
    import torch

    import npgrad
    from npgrad import _fast
    from npgrad._fast import compiled
    from npgrad.models.mlp import mlp

    torch.set_num_threads(1)
    x = np.random.default_rng(0).random((1, 1, 28, 28)).astype(np.float32)
    npgrad.manual_seed(0)
    model = mlp().eval()
    tmodel = mlp(torch.nn).eval()
    tmodel.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    xn, xt = npgrad.from_numpy(x), torch.from_numpy(x)
    layers = [(lin.weight.detach().numpy(), lin.bias.detach().numpy()) for lin in model if hasattr(lin, "weight")]

    def in_mode(mode):
        def run():  # (the mode is set by the caller, outside the clock: see timed())
            with npgrad.no_grad():
                return model(xn).numpy()
        run.mode = mode
        return run

    def with_torch():
        with torch.no_grad():
            return tmodel(xt).numpy()

    def by_hand():
        h = x.reshape(1, -1)
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0)
        return h

    out = {"npgrad": in_mode("numpy")}
    if compiled.available():
        out["npgrad+k"] = in_mode("compiled")
    out.update(torch=with_torch, numpy=by_hand)
    reference = with_torch()
    for name, run in out.items():  # the same logits everywhere
        np.testing.assert_allclose(timed(run, 1, time.perf_counter), reference, rtol=1e-4,
                                   atol=1e-5, err_msg=name)
    return out


def timed(run, calls, clock):
    """``calls`` calls of ``run`` (npgrad's on its own path, chosen before the clock starts);
    returns the last result, or the seconds when ``calls`` > 1."""
    from npgrad import _fast

    mode = getattr(run, "mode", None)
    with _fast.using(mode or "auto"):
        _fast.kernels()
        t = clock()
        for _ in range(calls):
            out = run()
        return out if calls == 1 else clock() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    run = runners()
    us = {k: [] for k in run}
    for r in range(args.rounds + 1):  # round 0 warms up
        for name, f in run.items():
            seconds = timed(f, args.calls, clock)
            if r:
                us[name].append(seconds / args.calls * 1e6)
    print(f"single-image inference, 784-256-128-10, no_grad, {args.rounds} rounds x {args.calls} calls, {args.clock} time")
    print(f"{'runner':<10} {'us/call':>8} {'/ torch':>8} {'/ numpy':>8}")
    for name, times in us.items():
        ratio = statistics.median(a / b for a, b in zip(times, us["torch"]))
        floor = statistics.median(a / b for a, b in zip(times, us["numpy"]))
        print(f"{name:<10} {statistics.median(times):>8.1f} {ratio:>8.2f} {floor:>8.2f}")


if __name__ == "__main__":
    main()
