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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-epoch", action="store_true", help="skip the training-epoch reference")
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
