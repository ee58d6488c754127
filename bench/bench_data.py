"""How long one DataLoader pass over MNIST train takes (batch 64, shuffled, ToTensor + Normalize).

    python bench/bench_data.py              # median of 3 alternating runs
    python bench/bench_data.py --runs 5 --no-epoch

Contenders, all handing out the same normalised 64 x 1 x 28 x 28 float32 batches:

- npgrad batched:   npgrad's MNIST + Compose([ToTensor(), Normalize()]): a batch is one
                    fancy-index into the uint8 images and the transforms run on the batch;
- npgrad items:     the same dataset seen only through __getitem__: per-image transforms,
                    then default_collate (the path any Dataset takes);
- npgrad tensors:   npgrad's TensorDataset over pre-transformed tensors (seed 004's style);
- torch tensors:    PyTorch's DataLoader over a TensorDataset of the same pre-transformed
                    tensors (the issue's yardstick: npgrad batched should take <= 0.2x this);
- torch items:      PyTorch's DataLoader over a Dataset that transforms each uint8 image in
                    NumPy (what a torchvision MNIST pipeline does, without PIL).

Ratios are taken pair by pair within each round (runs alternate), then the median is shown.
With --epoch (default) it also times one npgrad training epoch of 784-50-10 + Adam, to show
what fraction of an epoch the data costs.

The workers table (skip it with --no-workers, or run only it with --workers-only): an
augmented epoch as seed 003 builds it, one image at a time (zero-pad 28 -> 34, RandomCrop 28,
to float, Normalize), batch 64, shuffled, with 0 and 2 worker processes, through npgrad's
DataLoader and PyTorch's (its dataset does the same arithmetic in NumPy per image). Then the
transfer alone: 38.5 MB batches from 2 workers that do no work.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
DATA = os.environ.get("NPGRAD_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
MEAN, STD = 0.1307, 0.3081


def one_pass(loader):
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def contenders():
    import torch

    import npgrad
    from npgrad.utils.data import DataLoader, Dataset, TensorDataset
    from npgrad.vision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    mnist = datasets.MNIST(DATA, train=True, transform=tf)

    class ItemsOnly(Dataset):
        def __init__(self, inner):
            self.inner = inner

        def __getitem__(self, i):
            return self.inner[i]

        def __len__(self):
            return len(self.inner)

    images = mnist.data.numpy()
    labels = mnist.targets.numpy()
    pre = ((images.astype(np.float32) / np.float32(255) - np.float32(MEAN)) / np.float32(STD))[:, None]

    class TorchItems(torch.utils.data.Dataset):
        def __getitem__(self, i):
            x = images[i].astype(np.float32) / np.float32(255)
            return torch.from_numpy(((x - np.float32(MEAN)) / np.float32(STD))[None]), int(labels[i])

        def __len__(self):
            return len(images)

    npgrad_tensors = TensorDataset(npgrad.from_numpy(pre), npgrad.from_numpy(labels))
    torch_tensors = torch.utils.data.TensorDataset(torch.from_numpy(pre), torch.from_numpy(labels))
    return {
        "npgrad batched": lambda: DataLoader(mnist, batch_size=64, shuffle=True),
        "npgrad items": lambda: DataLoader(ItemsOnly(mnist), batch_size=64, shuffle=True),
        "npgrad tensors": lambda: DataLoader(npgrad_tensors, batch_size=64, shuffle=True),
        "torch tensors": lambda: torch.utils.data.DataLoader(torch_tensors, batch_size=64, shuffle=True),
        "torch items": lambda: torch.utils.data.DataLoader(TorchItems(), batch_size=64, shuffle=True),
    }


def npgrad_epoch():
    """One training epoch of 784-50-10, ReLU, Adam, batch 64 on npgrad, fed by the batched path."""
    from npgrad import nn, optim
    from npgrad.utils.data import DataLoader
    from npgrad.vision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    loader = DataLoader(datasets.MNIST(DATA, train=True, transform=tf), batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return time.perf_counter() - start


def worker_contenders(limit):
    """(name -> loader maker) for the augmented, item-by-item epoch, 0 and 2 workers."""
    import torch

    from npgrad.utils.data import DataLoader, Dataset, Subset
    from npgrad.vision import datasets, transforms

    tf = transforms.Compose([transforms.Pad(3), transforms.RandomCrop(28), transforms.ToTensor(),
                             transforms.Normalize((MEAN,), (STD,))])
    mnist = datasets.MNIST(DATA, train=True, transform=tf)
    images, labels = mnist.data.numpy(), mnist.targets.numpy()

    class Augmented(Dataset):  # only __getitem__: the per-image path
        def __getitem__(self, i):
            return mnist[i]

        def __len__(self):
            return limit

    class TorchAugmented(torch.utils.data.Dataset):
        def __getitem__(self, i):
            padded = np.pad(images[i], 3)
            top, left = np.random.randint(0, 7, size=2)
            x = padded[top:top + 28, left:left + 28].astype(np.float32) / np.float32(255)
            return torch.from_numpy(((x - np.float32(MEAN)) / np.float32(STD))[None]), int(labels[i])

        def __len__(self):
            return limit

    ours, theirs = Augmented(), TorchAugmented()
    return {
        f"npgrad {w} workers": (lambda w=w: DataLoader(ours, batch_size=64, shuffle=True, num_workers=w))
        for w in (0, 2)
    } | {
        f"torch {w} workers": (lambda w=w: torch.utils.data.DataLoader(theirs, batch_size=64, shuffle=True,
                                                                       num_workers=w))
        for w in (0, 2)
    }


def workers_table(runs, limit):
    makers = worker_contenders(limit)
    times = {name: [] for name in makers}
    for _ in range(runs):
        for name, make in makers.items():
            times[name].append(one_pass(make()))  # worker start-up included, as a user pays it
    base = {lib: statistics.median(times[f"{lib} 0 workers"]) for lib in ("npgrad", "torch")}
    print(f"\nAugmented epoch, one image at a time (pad 3, RandomCrop 28, ToTensor, Normalize), "
          f"{limit} images, batch 64, shuffled; median of {runs} alternating runs "
          f"({os.cpu_count()} CPUs)")
    print(f"{'':18s} {'seconds':>8s} {'x same lib, 0 workers':>22s} {'x torch same workers':>21s}")
    for name in makers:
        lib, workers = name.split()[0], name.split()[1]
        med = statistics.median(times[name])
        other = statistics.median(times[f"torch {workers} workers"])
        print(f"{name:18s} {med:8.3f} {med / base[lib]:22.3f} {med / other:21.3f}")


BIG = (64, 3, 224, 224)  # an ImageNet-sized float32 batch: 38.5 MB


def transfer_table(runs, batches=20):
    """Batches of BIG zeros handed out by 2 workers (no work in them): the transfer alone."""
    import torch

    import npgrad
    from npgrad.utils.data import DataLoader, IterableDataset

    block = np.zeros(BIG, dtype=np.float32)

    class Ours(IterableDataset):
        def __iter__(self):
            for _ in range(batches // npgrad.utils.data.get_worker_info().num_workers):
                yield block

    class Theirs(torch.utils.data.IterableDataset):
        def __iter__(self):
            for _ in range(batches // torch.utils.data.get_worker_info().num_workers):
                yield torch.from_numpy(block)

    makers = {"npgrad": lambda: DataLoader(Ours(), batch_size=None, num_workers=2),
              "torch": lambda: torch.utils.data.DataLoader(Theirs(), batch_size=None, num_workers=2)}
    times = {name: [] for name in makers}
    for _ in range(runs):
        for name, make in makers.items():
            times[name].append(one_pass(make()))
    print(f"\nTransfer: {batches} batches of {'x'.join(map(str, BIG))} float32 ({block.nbytes / 1e6:.1f} MB) "
          f"from 2 workers; median of {runs}")
    for name in makers:
        med = statistics.median(times[name])
        print(f"{name:18s} {med:8.3f} s {batches * block.nbytes / med / 1e9:6.2f} GB/s "
              f"{med / statistics.median(times['torch']):8.3f} x torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-epoch", action="store_true", help="skip the training-epoch reference")
    parser.add_argument("--no-workers", action="store_true", help="skip the worker-process table")
    parser.add_argument("--workers-only", action="store_true", help="only the worker-process table")
    parser.add_argument("--images", type=int, default=60000, help="images per augmented epoch")
    args = parser.parse_args()
    if args.workers_only:
        workers_table(args.runs, args.images)
        transfer_table(args.runs)
        return

    import npgrad
    import torch

    npgrad.manual_seed(0)
    torch.manual_seed(0)
    makers = contenders()
    times = {name: [] for name in makers}
    ratios = {name: [] for name in makers}
    for _ in range(args.runs):
        for name, make in makers.items():
            times[name].append(one_pass(make()))
        for name in makers:  # pair by pair, within this round
            ratios[name].append(times[name][-1] / times["torch tensors"][-1])
    print(f"One DataLoader pass over MNIST train (60,000 images), batch 64, shuffled, "
          f"ToTensor + Normalize; median of {args.runs} alternating runs")
    print(f"{'':16s} {'seconds':>8s} {'x torch tensors':>16s}")
    for name in makers:
        print(f"{name:16s} {statistics.median(times[name]):8.3f} {statistics.median(ratios[name]):16.3f}")
    if not args.no_epoch:
        epoch = statistics.median(npgrad_epoch() for _ in range(args.runs))
        data = statistics.median(times["npgrad batched"])
        print(f"\nnpgrad training epoch (784-50-10, Adam, batch 64): {epoch:.3f} s; "
              f"the batched data pass is {100 * data / epoch:.1f}% of it")
    if not args.no_workers:
        workers_table(args.runs, args.images)
        transfer_table(args.runs)


if __name__ == "__main__":
    main()
