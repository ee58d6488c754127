"""Run under ``mpiexec -n N``: every collective of npgrad.distributed against NumPy.

Each rank can build every rank's input (``data(r)``), so it computes the expected result
with NumPy and compares. Prints ``collectives ok rank R`` at the end."""
import numpy as np

import npgrad
import npgrad.distributed as dist


def data(r, shape=(3, 4), dtype=np.float64):
    return np.random.default_rng(100 + r).standard_normal(shape).astype(dtype)


def T(a):
    return npgrad.tensor(np.ascontiguousarray(a))


def check(got, want, what):
    got = got._data if hasattr(got, "_data") else np.asarray(got)
    assert got.shape == np.shape(want), (what, got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=what)


dist.init_process_group("gloo")
rank, n = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi"
allx = [data(r) for r in range(n)]
x = allx[rank]

for dtype in (np.float32, np.float64):
    xs = [a.astype(dtype) for a in allx]
    for op, fn in ((dist.ReduceOp.SUM, lambda s: np.sum(s, 0)),
                   (dist.ReduceOp.AVG, lambda s: np.mean(s, 0)),
                   (dist.ReduceOp.MAX, lambda s: np.max(s, 0)),
                   (dist.ReduceOp.MIN, lambda s: np.min(s, 0)),
                   (dist.ReduceOp.PRODUCT, lambda s: np.prod(s, 0))):
        t = T(xs[rank])
        assert dist.all_reduce(t, op=op) is None
        check(t, fn(np.stack(xs)).astype(dtype), f"all_reduce {op} {dtype}")
        assert t.dtype == npgrad.float32 if dtype == np.float32 else t.dtype == npgrad.float64
        t = T(xs[rank])
        work = dist.all_reduce(t, op=op, async_op=True)
        work.wait()
        check(t, fn(np.stack(xs)).astype(dtype), f"async all_reduce {op} {dtype}")
        t = T(xs[rank])
        dist.reduce(t, dst=n - 1, op=op)
        check(t, fn(np.stack(xs)).astype(dtype) if rank == n - 1 else xs[rank], f"reduce {op}")

ints = [np.arange(6, dtype=np.int64) * (r + 1) for r in range(n)]
t = T(ints[rank])
dist.all_reduce(t)
check(t, np.sum(ints, 0), "all_reduce int64")
assert t._data.dtype == np.int64
try:
    dist.all_reduce(T(ints[rank]), op=dist.ReduceOp.AVG)
    raise AssertionError("AVG on integers must raise")
except ValueError as exc:
    assert "AVG" in str(exc)

for src in range(n):
    t = T(x)
    dist.broadcast(t, src=src)
    check(t, allx[src], f"broadcast from {src}")

outs = [T(np.zeros((3, 4))) for _ in range(n)]
dist.all_gather(outs, T(x))
for r in range(n):
    check(outs[r], allx[r], "all_gather")

out = T(np.zeros((3 * n, 4)))
dist.all_gather_into_tensor(out, T(x))
check(out, np.concatenate(allx), "all_gather_into_tensor (cat)")
out = T(np.zeros((n, 3, 4)))
dist.all_gather_into_tensor(out, T(x), async_op=True).wait()
check(out, np.stack(allx), "all_gather_into_tensor (stack, async)")

if rank == 0:
    glist = [T(np.zeros((3, 4))) for _ in range(n)]
    dist.gather(T(x), glist, dst=0)
    for r in range(n):
        check(glist[r], allx[r], "gather")
else:
    dist.gather(T(x), dst=0)

t = T(np.zeros((3, 4)))
chunks = [data(50 + r) for r in range(n)]
dist.scatter(t, [T(c) for c in chunks] if rank == 0 else None, src=0)
check(t, chunks[rank], "scatter")

big = [data(r, (2 * n, 5)) for r in range(n)]
for op, fn in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean), (dist.ReduceOp.MAX, np.max)):
    out = T(np.zeros((2, 5)))
    dist.reduce_scatter_tensor(out, T(big[rank]), op=op)
    check(out, fn(np.stack(big), 0)[2 * rank:2 * rank + 2], f"reduce_scatter_tensor {op}")
out = T(np.zeros((2, 5)))
dist.reduce_scatter(out, [T(big[rank][2 * r:2 * r + 2]) for r in range(n)])
check(out, np.sum(np.stack(big), 0)[2 * rank:2 * rank + 2], "reduce_scatter")

# point to point: a ring, blocking and non-blocking
right, left = (rank + 1) % n, (rank - 1) % n
t = T(np.zeros((3, 4)))
if rank % 2 == 0:
    dist.send(T(x), dst=right)
    sender = dist.recv(t, src=left)
else:
    sender = dist.recv(t, src=left)
    dist.send(T(x), dst=right)
assert sender == left
check(t, allx[left], "send/recv")
t = T(np.zeros((3, 4)))
reqs = [dist.isend(T(x), dst=right, tag=7), dist.irecv(t, src=left, tag=7)]
for w in reqs:
    w.wait()
check(t, allx[left], "isend/irecv")

dist.barrier()
dist.barrier(async_op=True).wait()

# objects
objs = [{"rank": rank}] if rank == 0 else [None]
dist.broadcast_object_list(objs, src=0)
assert objs == [{"rank": 0}]
got = [None] * n
dist.all_gather_object(got, ("r", rank))
assert got == [("r", r) for r in range(n)]

# a subgroup of rank 0 alone, and the world as a group
g = dist.new_group([0])
if rank == 0:
    assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
    t = T(x)
    dist.all_reduce(t, group=g)
    check(t, x, "all_reduce on a 1-rank group")
else:
    assert dist.get_rank(g) == -1
    assert dist.all_reduce(T(x), group=g) is None
w = dist.new_group()
t = T(x)
dist.all_reduce(t, group=w)
check(t, np.sum(allx, 0), "all_reduce on new_group()")

# errors a user can make
for bad, what in ((lambda: dist.all_gather([T(np.zeros(2))], T(x)), "all_gather"),
                  (lambda: dist.all_reduce(T(x), op="nope"), "unknown reduce op")):
    try:
        bad()
        raise AssertionError(f"{what} must raise")
    except ValueError as exc:
        assert what.split()[0] in str(exc), exc
try:
    dist.init_process_group("mpi")
    raise AssertionError("a second init must raise")
except RuntimeError as exc:
    assert "twice" in str(exc)

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"collectives ok rank {rank}", flush=True)
