"""Run under ``mpiexec -n N``: the Learner trains a DDP-wrapped model with a
DistributedSampler, and SaveBestModel writes its checkpoint from rank 0 alone. Usage:
``learner_ddp.py FOLDER``. Prints ``learner ok rank R``."""
import os
import sys

import numpy as np

import npgrad
import npgrad.distributed as dist
import npgrad.nn as nn
from npgrad.nn.parallel import DistributedDataParallel as DDP
from npgrad.train import Learner, SaveBestModel, accuracy
from npgrad.utils.data import DataLoader, DistributedSampler, TensorDataset

folder = sys.argv[1]
dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
x = rng.standard_normal((96, 6)).astype(np.float32)
y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
ds = TensorDataset(npgrad.tensor(x), npgrad.tensor(y))
sampler = DistributedSampler(ds, seed=3)
train_dl = DataLoader(ds, batch_size=8, sampler=sampler)
valid_dl = DataLoader(ds, batch_size=32)
npgrad.manual_seed(rank)  # different starts: DDP broadcasts rank 0's
model = DDP(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2)))
path = os.path.join(folder, "best.safetensors")
learn = Learner(model, train_dl, valid_dl, nn.CrossEntropyLoss(), lr=1e-2, metrics=[accuracy],
                callbacks=[SaveBestModel(path, monitor="accuracy")], progress=False,
                verbose=rank == 0)
learn.fit(3)
assert sampler.epoch == 2, sampler.epoch  # the Learner moved the shuffle on every epoch
assert len(learn.history.losses) == 3 * len(train_dl) == 3 * 96 // (8 * n)
mine = np.mean(learn.history.losses[-len(train_dl):])
means = [None] * n
dist.all_gather_object(means, mine)
assert abs(learn.history.epochs[-1]["train_loss"] - np.mean(means)) < 1e-9  # all ranks' batches
flat = np.concatenate([p._data.ravel() for p in model.parameters()])
everyone = [None] * n
dist.all_gather_object(everyone, flat)
for other in everyone:
    np.testing.assert_array_equal(other, flat)  # every copy took the same steps
assert os.listdir(folder) == ["best.safetensors"], os.listdir(folder)
saved = npgrad.load(path)
assert sorted(saved) == ["0.bias", "0.weight", "2.bias", "2.weight"]  # the bare module's keys
assert learn.history.epochs[-1]["accuracy"] > 0.8, learn.history.epochs
dist.destroy_process_group()
print(f"learner ok rank {rank}", flush=True)
