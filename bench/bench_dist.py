"""Data-parallel MNIST on MPI: one epoch on 1 process vs 2 processes x 1 thread, the share of
time spent in communication, and a paper model of 8 and 64 ranks.

    python bench/bench_dist.py                 # needs the distributed extra (mpi4py, mpich)
    python bench/bench_dist.py --batch 128 --steps 0   # steps 0 = a whole epoch

Both runs train npgrad's default ``npgrad train`` network (784-256-128-10 MLP, Adam) on the
same global batch of 128 images per step, every process on one thread (BLAS and npgrad's
helper threads); with 2 ranks each rank computes 64 of them and
DistributedDataParallel averages the gradients (one ~0.9 MB allreduce per step, started
from the backward hooks). "Communication" is the time a rank spends inside MPI waits (the
allreduce itself plus waiting for the slower rank). The 8/64-rank rows are a model, not a
measurement: compute per step is measured here at the per-rank batch that N ranks would
have, and the ring allreduce of the gradient is costed with assumed network figures.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

NETWORKS = {  # name: (latency per message in s, bandwidth in bytes/s) -- assumptions
    "shared memory (1 node)": (1e-6, 10e9),
    "10 GbE": (30e-6, 1.1e9),
    "100 Gb InfiniBand": (2e-6, 11e9),
}


def load_train():
    from npgrad.vision.datasets import MNIST

    root = os.environ.get("NPGRAD_DATA", os.path.join(ROOT, "..", "shared", "data"))
    d = MNIST(root, train=True)
    x = (d.data.numpy().reshape(len(d), 784).astype(np.float32) / 255 - 0.1307) / 0.3081
    return x, d.targets.numpy().astype(np.int64)


def build():
    import npgrad
    from npgrad.train.zoo import build as zoo

    npgrad.manual_seed(0)
    return zoo("mlp")


# ---------------------------------------------------------------------- the worker (mpiexec)
def worker(args):
    import npgrad
    import npgrad.distributed as dist
    from npgrad.distributed import collectives
    from npgrad.nn.parallel import DistributedDataParallel as DDP

    from npgrad._fast import threads as parallel

    dist.init_process_group("mpi")  # with 2 ranks this gives each one core's worth of threads
    rank, n = dist.get_rank(), dist.get_world_size()
    if n == 1:
        parallel._CPUS = 1  # the baseline runs on one thread too
    waited = [0.0]
    real_wait = collectives.wait_all

    def timed_wait(*a, **k):
        t = time.perf_counter()
        try:
            return real_wait(*a, **k)
        finally:
            waited[0] += time.perf_counter() - t

    collectives.wait_all = timed_wait
    x, y = load_train()
    model = build()
    ddp = DDP(model) if n > 1 else model
    opt = npgrad.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = npgrad.nn.CrossEntropyLoss()
    order = np.random.default_rng(0).permutation(len(x))
    steps = len(x) // args.batch if args.steps == 0 else args.steps
    local = args.batch // n
    waited[0] = 0.0
    dist.barrier()
    start = time.perf_counter()
    for s in range(steps):
        idx = order[s * args.batch:(s + 1) * args.batch][rank * local:(rank + 1) * local]
        loss = loss_fn(ddp(npgrad.from_numpy(x[idx])), npgrad.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    comm = waited[0]
    weights = np.concatenate([p._data.ravel() for p in model.parameters()])
    stats = [None] * n
    dist.all_gather_object(stats, {"seconds": seconds, "comm": comm})
    if rank == 0:
        print("RESULT " + json.dumps({"n": n, "steps": steps, "stats": stats,
                                      "checksum": float(np.abs(weights).sum())}), flush=True)
    dist.destroy_process_group()


def step_times(batches, rounds=7, steps=8):
    """Seconds per training step (forward, backward, Adam) at each batch size, 1 process.
    The sizes take turns, ``steps`` at a time; the fastest round counts (on a shared machine
    the slow rounds measure the neighbours, not the step)."""
    import npgrad
    from npgrad._fast import threads as parallel

    parallel._CPUS = 1  # one thread, as in the mpiexec runs
    runners = {}
    for b in batches:
        rng = np.random.default_rng(b)
        xb = npgrad.from_numpy(rng.standard_normal((b, 784)).astype(np.float32))
        yb = npgrad.from_numpy(rng.integers(0, 10, b))
        model = build()
        runners[b] = (model, npgrad.optim.Adam(model.parameters(), lr=1e-3), xb, yb)
    loss_fn = npgrad.nn.CrossEntropyLoss()
    best = {b: float("inf") for b in batches}
    for _ in range(rounds):
        for b, (model, opt, xb, yb) in runners.items():
            t = time.perf_counter()
            for _ in range(steps):
                loss = loss_fn(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            best[b] = min(best[b], (time.perf_counter() - t) / steps)
    return best


def launch(n, args):
    from npgrad.distributed._env import find_mpiexec

    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
           "--batch", str(args.batch), "--steps", str(args.steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"mpiexec -n {n} failed:\n{out.stdout}\n{out.stderr}")


def main(args):
    import npgrad.distributed as dist

    if not dist.is_available():
        sys.exit('bench_dist needs the distributed extra: pip install -e ".[distributed]"')
    runs = {n: launch(n, args) for n in (1, 2)}
    one, two = runs[1], runs[2]
    t1 = one["stats"][0]["seconds"]
    t2 = max(s["seconds"] for s in two["stats"])
    comm = [s["comm"] / s["seconds"] for s in two["stats"]]
    print(f"one epoch ({one['steps']} steps of {args.batch} images), mlp 784-256-128-10, Adam")
    print(f"  1 process  x 1 thread : {t1:7.2f} s")
    print(f"  2 processes x 1 thread: {t2:7.2f} s   speed-up {t1 / t2:.2f}x "
          f"(ideal 2.00x); time in MPI waits: "
          + ", ".join(f"rank {r} {c:.0%}" for r, c in enumerate(comm)))
    print(f"  final weights |w| sum: 1 process {one['checksum']:.4f}, 2 processes "
          f"{two['checksum']:.4f} (same global batches; float32 sums in another order drift apart over hundreds of Adam steps)")

    model = build()
    params = sum(p._data.size for p in model.parameters())
    grad_bytes = 4 * params
    print(f"\npaper model: {params:,} parameters = {grad_bytes / 1e6:.2f} MB of float32 "
          f"gradient per step")
    ranks = (1, 8, 64)
    per_rank = {n: max(1, args.batch // n) for n in ranks}
    compute = step_times(sorted(set(per_rank.values()) | {args.batch}))
    print(f"measured compute per step here (1 thread): " + ", ".join(
        f"batch {b}: {compute[b] * 1e3:.2f} ms" for b in sorted(compute)))
    print("ring allreduce per rank per step: sends and receives 2(N-1)/N x gradient, "
          "in 2(N-1) messages")
    header = f"{'network':<24}{'N':>4}{'MB/step':>9}{'comm ms':>9}"
    print(f"\nstrong scaling (global batch {args.batch}, split over N ranks):")
    print(header + f"{'compute ms':>12}{'speed-up':>10}")
    for name, (latency, bandwidth) in NETWORKS.items():
        for n in ranks[1:]:
            volume = 2 * (n - 1) / n * grad_bytes
            c = 2 * (n - 1) * latency + volume / bandwidth
            comp = compute[per_rank[n]]
            print(f"{name:<24}{n:>4}{volume / 1e6:>9.2f}{c * 1e3:>9.2f}{comp * 1e3:>12.2f}"
                  f"{compute[args.batch] / (comp + c):>9.1f}x")
    print(f"\nweak scaling ({args.batch} images per rank, global batch {args.batch}N):")
    print(header + f"{'compute ms':>12}{'throughput':>12}")
    for name, (latency, bandwidth) in NETWORKS.items():
        for n in ranks[1:]:
            volume = 2 * (n - 1) / n * grad_bytes
            c = 2 * (n - 1) * latency + volume / bandwidth
            comp = compute[args.batch]
            print(f"{name:<24}{n:>4}{volume / 1e6:>9.2f}{c * 1e3:>9.2f}{comp * 1e3:>12.2f}"
                  f"{n * comp / (comp + c):>11.1f}x")
    print("\n(no overlap assumed: with backward hooks the allreduce of the last layers runs "
          "during the backward of the first, so the real figure lies between these and "
          "compute alone)")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=128, help="global batch per step (default 128)")
    p.add_argument("--steps", type=int, default=0, help="steps to time (default 0: one epoch)")
    a = p.parse_args()
    worker(a) if a.worker else main(a)
