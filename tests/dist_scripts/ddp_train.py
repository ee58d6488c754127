"""Run under ``mpiexec -n N``: DistributedDataParallel against a single-process run.

Each check trains 20 steps with DDP on N ranks, every rank on its share of the same global
batches, and compares the weights with one process training on the whole global batches
(within 1e-5). Usage: ``ddp_train.py CHECKPOINT_DIR``. Prints ``ddp ok rank R``."""
import os
import sys

import numpy as np

import npgrad
import npgrad.distributed as dist
import npgrad.nn as nn
import npgrad.optim as optim
from npgrad.nn.parallel import DistributedDataParallel as DDP

STEPS, BATCH = 20, 8


class Net(nn.Module):
    def __init__(self, extra=False):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(5, 16), nn.Linear(16, 3)
        if extra:
            self.spare = nn.Linear(16, 3)  # used only when forward(..., spare=True)
            self.never = nn.Linear(2, 2)  # never used

    def forward(self, x, spare=False):
        h = self.fc1(x).relu()
        return self.fc2(h) + (self.spare(h) if spare else 0)


DTYPE = [np.float32]


def make(seed, extra=False):
    npgrad.manual_seed(seed)
    net = Net(extra)
    return net.double() if DTYPE[0] == np.float64 else net


def batch(step):
    rng = np.random.default_rng(step)
    x = rng.standard_normal((BATCH, 5)).astype(DTYPE[0])
    y = rng.integers(0, 3, BATCH)
    return npgrad.tensor(x), npgrad.tensor(y)


def local(t, rank, n):
    return t[rank::n]


def weights(model):
    return {k: v._data.copy() for k, v in model.state_dict().items()}


def same(a, b, what):
    assert a.keys() == b.keys(), (what, sorted(a), sorted(b))
    atol = 1e-5 if DTYPE[0] == np.float32 else 1e-12
    for k in a:
        assert a[k].dtype == DTYPE[0], (what, k, a[k].dtype)
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=atol, err_msg=f"{what}: {k}")


def train(model, rank, n, accum=1, spare_every=0, start=0, steps=STEPS, opt=None, ddp=None):
    """SGD with momentum; with ``accum`` > 1 each step accumulates that many micro-batches
    (DDP: under no_sync() for all but the last)."""
    opt = opt or optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(start, start + steps):
        x, y = batch(step)
        opt.zero_grad()
        spare = bool(spare_every) and step % spare_every == 0
        for m in range(accum):
            xm, ym = x[m::accum], y[m::accum]
            if ddp is not None:
                xm, ym = local(xm, rank, n), local(ym, rank, n)
            last = m == accum - 1
            ctx = ddp.no_sync() if (ddp is not None and not last) else _nothing()
            with ctx:
                loss = loss_fn(model(xm, spare=spare), ym) / accum
                loss.backward()
        opt.step()
    return opt


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(n)

# 1. plain DDP, float32 and float64; ranks start from different weights: construction
#    broadcasts rank 0's
for DTYPE[0] in (np.float64, np.float32):
    ref = make(0)
    train(ref, 0, 1)
    net = make(rank)
    ddp = DDP(net, bucket_cap_mb=0.0002)  # tiny buckets: several allreduces per backward
    assert len(ddp._buckets) > 1
    assert all(k.startswith("module.") for k in ddp.state_dict())
    assert ddp.module is net
    started_early = []
    net.fc1.weight.register_post_accumulate_grad_hook(lambda p: started_early.append(ddp._started))
    train(ddp, rank, n, ddp=ddp)
    same(weights(net), weights(ref), "plain DDP")
    assert started_early and min(started_early) >= 1, ("no bucket started during backward", started_early)

# 2. gradient accumulation with no_sync
ref = make(0)
train(ref, 0, 1, accum=2)
net = make(0)
ddp = DDP(net)
train(ddp, rank, n, accum=2, ddp=ddp)
same(weights(net), weights(ref), "no_sync accumulation")

# 3. find_unused_parameters: `spare` is used every third step, `never` never
ref = make(0, extra=True)
train(ref, 0, 1, spare_every=3)
net = make(0, extra=True)
ddp = DDP(net, find_unused_parameters=True)
train(ddp, rank, n, spare_every=3, ddp=ddp)
same(weights(net), weights(ref), "find_unused_parameters")
assert net.never.weight.grad is None and ref.never.weight.grad is None

# 4. without find_unused_parameters, an unused parameter is an error, never a silent wrong step
net = make(0, extra=True)
ddp = DDP(net)
loss_fn = nn.CrossEntropyLoss()
x, y = batch(0)
loss_fn(ddp(local(x, rank, n)), local(y, rank, n)).backward()
try:
    ddp(local(x, rank, n))
    raise AssertionError("an unfinished reduction must raise")
except RuntimeError as exc:
    assert "Expected to have finished reduction" in str(exc) and "spare.weight" in str(exc), exc

# 5. checkpoint at step 10 (rank 0 writes, atomically), resume, finish: same as 20 straight steps
folder = sys.argv[1]
path = os.path.join(folder, "ckpt.safetensors")
ref = make(0)
train(ref, 0, 1)
net = make(0)
ddp = DDP(net)
opt = train(ddp, rank, n, steps=10, ddp=ddp)
if rank == 0:
    npgrad.save({"model": ddp.module.state_dict(), "optimizer": opt.state_dict(), "step": 10}, path)
dist.barrier()
assert sorted(os.listdir(folder)) == ["ckpt.safetensors"], os.listdir(folder)
ckpt = npgrad.load(path)
net = make(1234)  # a fresh process's weights; the checkpoint replaces them
net.load_state_dict(ckpt["model"])
ddp = DDP(net)
opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
opt.load_state_dict(ckpt["optimizer"])
train(ddp, rank, n, start=ckpt["step"], steps=STEPS - ckpt["step"], opt=opt, ddp=ddp)
same(weights(net), weights(ref), "resumed from a checkpoint")

# 6. a forward without backward is fine; buffers follow rank 0's at each synchronised forward;
#    eval() mode still averages gradients (as in PyTorch)
npgrad.manual_seed(0)
bn_net = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4))
ddp = DDP(bn_net)
x, y = batch(1)
ddp(x)  # e.g. a look at the outputs with autograd on; no backward follows
bn_net[1].running_mean._data[...] = rank  # ranks drift apart...
ddp.eval()
out = ddp(local(x, rank, n))
assert np.all(bn_net[1].running_mean._data == 0), "buffers are broadcast from rank 0"
out.sum().backward()
grads = [None] * n
dist.all_gather_object(grads, bn_net[0].weight.grad._data)
for g in grads:
    np.testing.assert_array_equal(g, grads[0])
with npgrad.no_grad():
    ddp(x)  # no sync under no_grad: nothing is pending afterwards
assert not ddp._expect_reduction

dist.destroy_process_group()
print(f"ddp ok rank {rank}", flush=True)
