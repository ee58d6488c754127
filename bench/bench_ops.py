"""Per-op overhead on small tensors: npgrad vs PyTorch (CPU), in microseconds per op.

    python bench/bench_ops.py

On (64, 50) float32 tensors the arithmetic itself costs about a microsecond, so these
numbers measure each library's bookkeeping: dispatch, graph recording, result objects.
Also times `import npgrad` against `import torch` (fresh interpreters, median of 5).
"""
import statistics
import subprocess
import sys
import timeit

import numpy as np


def per_op(stmt, setup_globals, number=2000, repeat=7):
    timer = timeit.Timer(stmt, globals=setup_globals)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def cases(lib):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((64, 50)).astype(np.float32)
    b_np = rng.standard_normal((64, 50)).astype(np.float32)
    w_np = rng.standard_normal((50, 10)).astype(np.float32)
    g = {"lib": lib}
    g["a"] = lib.tensor(a_np, requires_grad=True)
    g["b"] = lib.tensor(b_np, requires_grad=True)
    g["w"] = lib.tensor(w_np, requires_grad=True)
    g["an"], g["bn"], g["wn"] = a_np, b_np, w_np
    return g


STMTS = [
    ("add", "a + b", "an + bn"),
    ("mul", "a * b", "an * bn"),
    ("matmul", "a @ w", "an @ wn"),
    ("relu", "a.relu()", "np.maximum(an, 0)"),
    ("sum", "a.sum()", "an.sum()"),
    (
        "forward+backward of ((a*b+a) @ w).relu().sum()",
        "((a * b + a) @ w).relu().sum().backward()",
        None,
    ),
]


def import_time(module, runs=5):
    def once(code):
        t = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"],
                capture_output=True, text=True, check=True,
            )
            t.append(float(out.stdout))
        return statistics.median(t)

    return once(f"import {module}")


def main():
    import torch

    import npgrad

    torch.set_num_threads(1)
    g_np, g_t = cases(npgrad), cases(torch)
    print(f"{'op on (64, 50) float32':50s} {'npgrad µs':>10s} {'torch µs':>10s} {'numpy µs':>10s} {'npgrad/torch':>13s}")
    for name, stmt, np_stmt in STMTS:
        tn = per_op(stmt, g_np)
        tt = per_op(stmt, g_t)
        tnp = per_op(np_stmt, {**g_np, "np": np}) if np_stmt else float("nan")
        print(f"{name:50s} {tn:10.2f} {tt:10.2f} {tnp:10.2f} {tn / tt:13.2f}")
    with npgrad.no_grad(), torch.no_grad():
        for name, stmt, _ in STMTS[:5]:
            tn, tt = per_op(stmt, g_np), per_op(stmt, g_t)
            print(f"{name + ' (no_grad)':50s} {tn:10.2f} {tt:10.2f} {'':10s} {tn / tt:13.2f}")
    pow_vs_mul()
    ti_np, ti_t = import_time("npgrad"), import_time("torch")
    print(f"\nimport time: npgrad {ti_np * 1e3:.0f} ms, torch {ti_t * 1e3:.0f} ms, ratio {ti_np / ti_t:.3f}")


def pow_vs_mul(shape=(256, 1024)):
    """``x ** 3.0`` against ``x * x * x`` on a bigger float32 tensor: small exponents take
    the multiplication path (NumPy's general ``x ** 3.0``, the 'before', is shown too)."""
    import torch

    import npgrad

    x_np = np.random.default_rng(0).uniform(0.1, 2, shape).astype(np.float32)
    g = {"x": npgrad.tensor(x_np), "xt": torch.tensor(x_np), "xn": x_np, "np": np,
         "xg": npgrad.tensor(x_np, requires_grad=True), "npgrad": npgrad, "torch": torch}
    n = 20
    rows = [
        ("npgrad x ** 3.0", "x ** 3.0"), ("npgrad torch.pow(x, 3.0)", "npgrad.pow(x, 3.0)"),
        ("npgrad x * x * x", "x * x * x"), ("npgrad x ** 0.5", "x ** 0.5"),
        ("npgrad (xg ** 3.0).sum().backward()", "(xg ** 3.0).sum().backward()"),
        ("npgrad (xg * xg * xg).sum().backward()", "(xg * xg * xg).sum().backward()"),
        ("torch x ** 3.0", "xt ** 3.0"), ("numpy general power xn ** 3.0 (before)", "np.power(xn, np.float32(3.0))"),
        ("numpy xn * xn * xn", "xn * xn * xn"),
    ]
    print(f"\n{'pow on ' + str(shape) + ' float32':50s} {'µs':>10s}")
    for name, stmt in rows:
        print(f"{name:50s} {per_op(stmt, g, number=n, repeat=5):10.1f}")


if __name__ == "__main__":
    if "--pow" in sys.argv:
        pow_vs_mul()
    else:
        main()
