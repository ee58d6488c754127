"""Run under ``mpiexec -n 2``: rank 1 fails in the middle of DDP training while rank 0 goes on
into the next gradient allreduce. The job must end (not hang). Usage: ``fault.py MODE`` with
MODE ``raise`` (an uncaught exception), ``kill`` (SIGKILL) or ``exit`` (sys.exit(3))."""
import os
import signal
import sys

import npgrad
import npgrad.distributed as dist
import npgrad.nn as nn
import npgrad.optim as optim
from npgrad.nn.parallel import DistributedDataParallel as DDP

mode = sys.argv[1]
dist.init_process_group("mpi")
rank = dist.get_rank()
npgrad.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
opt = optim.SGD(model.parameters(), lr=0.1)
for step in range(1000):
    if rank == 1 and step == 5:
        if mode == "raise":
            raise ValueError(f"deliberate failure at step {step}")
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "exit":
            sys.exit(3)
    x = npgrad.randn(16, 4)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"rank {rank} finished all steps: the failure was not noticed", flush=True)
