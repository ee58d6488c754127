"""The data-loading lines of the seed tutorials run as written, with npgrad's module names.

Each test runs in a temporary folder whose ./data is a link to ../shared/data, so the seeds'
literal './data' root (and their download=True) find the verified files and write nothing.
"""
import os
import re

import numpy as np
import pytest

import npgrad

from conftest import DATA as SHARED
from conftest import SHARED as _SHARED_ROOT, requires_mnist

SEEDS = str(_SHARED_ROOT / "seeds")
pytestmark = requires_mnist


@pytest.fixture
def in_tutorial_folder(tmp_path, monkeypatch):
    os.symlink(SHARED, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


#: the seeds' data-loading lines, as the tutorials print them: the tests run these on a
#: fresh clone, and check that they still stand in the seed files where those are present
SEED_LINES = {
    "002_": (
        "from torch.utils.data import DataLoader\nfrom torchvision import datasets, transforms\n\n"
        "# Hyperparameters\nBATCH_SIZE = 64\nLEARNING_RATE = 0.001\nEPOCHS = 5\n\n"
        "# Load MNIST dataset\ntransform = transforms.Compose([\n    transforms.ToTensor(),\n"
        "    transforms.Normalize((0.1307,), (0.3081,))\n])\n\n"
        "train_dataset = datasets.MNIST('./data', train=True, download=True, transform=transform)\n"
        "test_dataset = datasets.MNIST('./data', train=False, transform=transform)\n\n"
        "train_loader = DataLoader(train_dataset, batch_size=BATCH_SIZE, shuffle=True)\n"
        "test_loader = DataLoader(test_dataset, batch_size=BATCH_SIZE)"),
    "004_": (
        "transform = transforms.ToTensor() train_data = datasets.MNIST('./data', train=True, "
        "download=True, transform=transform) train_loader = torch.utils.data.DataLoader("
        "train_data, batch_size=64, shuffle=True)"),
}


def seed_text(prefix):
    """The seed's lines; where ../shared/seeds is present, also check they are still there."""
    if os.path.isdir(SEEDS):
        (name,) = [f for f in os.listdir(SEEDS) if f.startswith(prefix)]
        with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
            assert SEED_LINES[prefix] in f.read(), f"seed {name} no longer holds the lines tested"
    return SEED_LINES[prefix]


def to_npgrad(code):
    return code.replace("from torchvision import", "from npgrad.vision import") \
               .replace("from torch.utils.data import", "from npgrad.utils.data import")


def test_seed_002_data_lines(in_tutorial_folder):
    text = seed_text("002_")
    start = text.index("from torch.utils.data import DataLoader")
    stop = text.index("test_loader = DataLoader(test_dataset, batch_size=BATCH_SIZE)")
    code = text[start:stop] + "test_loader = DataLoader(test_dataset, batch_size=BATCH_SIZE)\n"
    code = "\n".join(line for line in code.splitlines() if not line.startswith("# "))
    scope = {}
    exec(to_npgrad(code), scope)  # noqa: S102 - the tutorial's own lines
    train_loader, test_loader = scope["train_loader"], scope["test_loader"]
    assert len(train_loader) == 938 and len(test_loader) == 157
    data, target = next(iter(train_loader))
    assert tuple(data.shape) == (64, 1, 28, 28) and data.dtype == npgrad.float32
    assert tuple(target.shape) == (64,) and target.dtype == npgrad.int64
    x, _ = next(iter(test_loader))
    assert abs(float(x.mean()) - 0.0) < 0.2 and abs(float(x.std()) - 1.0) < 0.2  # normalised
    assert not [f for f in os.listdir(os.path.join(SHARED, "MNIST", "raw")) if f.startswith(".")]


def test_seed_004_data_lines(in_tutorial_folder):
    text = seed_text("004_")
    match = re.search(r"(transform = transforms\.ToTensor\(\).*?shuffle=True\))", text)
    lines = match.group(1).replace(" train_data", "\ntrain_data").replace(" train_loader", "\ntrain_loader")
    code = "import npgrad as torch\nfrom npgrad.vision import datasets, transforms\n" + lines
    scope = {}
    exec(code, scope)  # noqa: S102 - the tutorial's own lines
    images, labels = next(iter(scope["train_loader"]))
    assert tuple(images.shape) == (64, 1, 28, 28) and float(images.max()) <= 1.0
    assert labels.dtype == npgrad.int64 and len(scope["train_loader"]) == 938


def test_seed_003_pipeline_with_batch_transforms(in_tutorial_folder):
    """fastai's after_item [ToTensor, CropPad(34), RandomCrop(28)] (fastai's ToTensor keeps
    the bytes: our PILToTensor) and after_batch [IntToFloatTensor, Normalize] on 3s and 7s."""
    from npgrad.utils.data import DataLoader
    from npgrad.vision import datasets, transforms

    tfms = transforms.Compose([transforms.PILToTensor(), transforms.CropPad(size=34, pad_mode=transforms.PadMode.Zeros),
                               transforms.RandomCrop(size=28)])
    dsets = datasets.MNIST("./data", train=True, transform=tfms, classes=[3, 7])
    after_batch = transforms.Compose([transforms.IntToFloatTensor(), transforms.Normalize()])
    npgrad.manual_seed(0)
    xb, yb = next(iter(DataLoader(dsets, batch_size=128, shuffle=True)))
    xb = after_batch.batch(xb)
    assert tuple(xb.shape) == (128, 1, 28, 28) and xb.dtype == npgrad.float32
    np.testing.assert_allclose(float(xb.mean()), 0.0, atol=1e-4)
    assert set(yb.tolist()) == {0, 1}
