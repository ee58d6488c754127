"""Lesson 10 — seed 003's fastai pipeline: augmentation, batch normalisation, batch 128.

    tfms     = [ToTensor(), CropPad(size=34, pad_mode=PadMode.Zeros), RandomCrop(size=28)]
    gpu_tfms = [IntToFloatTensor(), Normalize()]
    dls      = dsets.dataloaders(bs=128, after_item=tfms, after_batch=gpu_tfms)

Each training image is padded to 34x34 with zeros and a random 28x28 window is cut out of
it, so the digit lands up to 3 pixels off centre in every direction — a new variant every
epoch, which teaches the model that position does not matter. Validation images are left
as they are. After batching, pixels become floats in [0, 1] and are normalised with the
mean and standard deviation that ``Normalize()`` measures on the first batch (fastai's
behaviour). The seed trains "for 3 epochs ... around 98% accuracy".

The model is the best npgrad has: the CNN of ``npgrad.models.cnn`` (``mnist_cnn``) when it
is there, else an MLP (784-256-128-10; also what ``quick=True`` uses, with 3000 images and
one epoch). Trained with the Learner's ``fit_one_cycle``.
``show_batch`` saves a picture of one augmented batch.
"""
import time

import npgrad as torch
from npgrad import nn, optim
from npgrad.utils.data import DataLoader, Subset
from npgrad.vision import transforms
from npgrad.vision.transforms import CropPad, IntToFloatTensor, Normalize, PadMode, RandomCrop
from npgrad.vision.utils import show_batch

from ..train import Learner, accuracy
from ..train.data import AfterBatch, mnist
from ..train.plots import plot_history
from ._common import figure, heading, note

SEED_ACCURACY = 0.98


def best_model(quick=False):
    """(name, model): npgrad's MNIST CNN if the models package has it (and this is not a
    quick run: on a CPU the CNN takes minutes an epoch), else an MLP."""
    mlp = ("mlp 784-256-128-10", lambda: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10)))
    if quick:
        return mlp[0], mlp[1]()
    try:
        from npgrad.models.cnn import mnist_cnn
    except ImportError:
        return mlp[0], mlp[1]()
    return "cnn (npgrad.models.cnn.mnist_cnn)", mnist_cnn()


def dataloaders(data_dir, bs=128, limit=None):
    """Seed 003's pipeline: per-item CropPad + RandomCrop on the training images, then per
    batch IntToFloatTensor + Normalize (statistics of the first training batch)."""
    tfms = transforms.Compose([transforms.PILToTensor(), CropPad(size=34, pad_mode=PadMode.Zeros),
                               RandomCrop(size=28)])
    train_ds = mnist(data_dir, train=True, transform=tfms)
    valid_ds = mnist(data_dir, train=False, transform=transforms.PILToTensor())
    if limit:
        train_ds, valid_ds = Subset(train_ds, range(limit)), Subset(valid_ds, range(limit // 3))
    normalize = Normalize()  # shared: measured once, on the first training batch
    train_dl = AfterBatch(DataLoader(train_ds, batch_size=bs, shuffle=True),
                          IntToFloatTensor(), normalize)
    valid_dl = AfterBatch(DataLoader(valid_ds, batch_size=512), IntToFloatTensor(), normalize)
    return train_dl, valid_dl, normalize


def run(out_dir=None, quick=False, data_dir=None, seed=0, epochs=None):
    torch.manual_seed(seed)
    epochs = epochs or (1 if quick else 3)
    train_dl, valid_dl, normalize = dataloaders(data_dir, limit=3000 if quick else None)
    heading("One augmented batch")
    xb, yb = train_dl.one_batch()
    print(f"xb {tuple(xb.shape)} {xb.dtype}, yb {tuple(yb.shape)}; Normalize() measured "
          f"mean {normalize.mean[0]:.4f}, std {normalize.std[0]:.4f}")
    batch_figure = figure(out_dir, "augmented_batch.png",
                          lambda x, y, path: show_batch(x, y, path=path, max_images=32),
                          xb[:32], yb[:32])

    name, model = best_model(quick)
    heading(f"{name}: fit_one_cycle({epochs}, 3e-3), Adam, batch 128")
    learn = Learner(model, train_dl, valid_dl, nn.CrossEntropyLoss(), opt_func=optim.Adam,
                    metrics=[accuracy])
    start = time.perf_counter()
    learn.fit_one_cycle(epochs, 3e-3)
    seconds = time.perf_counter() - start
    acc = learn.history.epochs[-1]["accuracy"]
    print(f"accuracy {acc:.4f} after {epochs} epochs ({seconds:.0f}s); the seed reports about "
          f"{SEED_ACCURACY}")
    note("the validation images are not augmented: only training sees shifted digits")
    return {"model": name, "accuracy": acc, "epochs": epochs, "seconds": seconds,
            "normalize": {"mean": normalize.mean[0], "std": normalize.std[0]},
            "batch_shape": tuple(xb.shape), "figure_batch": batch_figure,
            "figure_history": figure(out_dir, "augmented_history.png", plot_history, learn.history)}
