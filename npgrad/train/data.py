"""MNIST for the lessons and the ``npgrad`` command: where it is, how to load it, and a
loader wrapper for fastai's batch-level transforms.

    train_ds = mnist(data_dir, train=True, transform=transforms.ToTensor())
    x, y = mnist_arrays(data_dir, train=False, classes=[3, 7])   # float32 (N, 784) in [0, 1]
    dl = AfterBatch(DataLoader(train_ds, 128, shuffle=True), IntToFloatTensor(), Normalize())

A missing dataset raises ``DataNotFoundError`` with a message saying where it looked and
the three ways to provide the files (``--data-dir``/``data_dir=``, ``$NPGRAD_DATA``, download).
"""
import os

import numpy as np

from .._tensor import wrap

__all__ = ["AfterBatch", "DataNotFoundError", "data_root", "mnist", "mnist_arrays"]


class DataNotFoundError(FileNotFoundError):
    """The MNIST files are not where we looked; the message says how to get them."""


def data_root(data_dir=None):
    """The data root: ``data_dir`` if given, else ``$NPGRAD_DATA``, else ``~/.cache/npgrad``."""
    from ..vision.datasets import default_root

    return os.path.expanduser(os.fspath(data_dir)) if data_dir is not None else default_root()


def how_to_get_data(root):
    return ("Provide MNIST in one of three ways:\n"
            "  --data-dir PATH      (or data_dir=PATH): a folder holding MNIST/raw/*-ubyte.gz, "
            "torchvision's layout\n"
            "  NPGRAD_DATA=PATH     the same, through the environment\n"
            f"  --download           (or download=True): fetch the files into {root} "
            "(needs internet access)")


def mnist(data_dir=None, train=True, transform=None, classes=None, download=False):
    """``vision.datasets.MNIST`` at ``data_root(data_dir)``, or a DataNotFoundError that says
    where it looked and how to get the files."""
    from ..vision.datasets import MNIST, DatasetNotFoundError

    root = data_root(data_dir)
    try:
        return MNIST(root, train=train, transform=transform, classes=classes, download=download)
    except DatasetNotFoundError as exc:
        files = [os.path.join(exc.folder, name) for name, _ in MNIST.resources]
        missing = "\n".join(f"  {path}" for path in files if not os.path.isfile(path)
                            and not os.path.isfile(path[:-3]))
        raise DataNotFoundError(
            f"MNIST not found. Looked in {exc.folder} and did not find:\n{missing}\n"
            + how_to_get_data(root)) from None


def mnist_arrays(data_dir=None, train=True, classes=None, flatten=True, download=False):
    """All of a split at once: images as float32 in [0, 1] ((N, 784), or (N, 28, 28) with
    ``flatten=False``) and int64 labels, as two NumPy arrays."""
    ds = mnist(data_dir, train=train, classes=classes, download=download)
    x = ds.data._data.astype(np.float32)
    x /= np.float32(255)
    if flatten:
        x = x.reshape(len(x), -1)
    return x, ds.targets._data.copy()


class AfterBatch:
    """A loader whose input batches pass through ``transforms`` (each called with ``.batch``
    if it has one) before they are handed out: fastai's ``after_batch`` (``IntToFloatTensor``,
    ``Normalize``) on top of any DataLoader. ``len`` and re-iteration work as the wrapped
    loader's do."""

    def __init__(self, loader, *transforms):
        self.loader, self.transforms = loader, transforms
        self.dataset = getattr(loader, "dataset", None)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for xb, yb in self.loader:
            for t in self.transforms:
                xb = t.batch(xb) if hasattr(t, "batch") else t(xb)
            yield xb, yb

    def one_batch(self):
        """The first batch (fastai's ``dls.one_batch()``)."""
        return next(iter(self))


def as_tensor(array):
    """Wrap a NumPy array as a Tensor without copying."""
    return wrap(np.ascontiguousarray(array))
