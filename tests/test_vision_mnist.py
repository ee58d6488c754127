"""MNIST from ../shared/data (read-only: every test that writes uses tmp_path), its torchvision
attributes, the 3s-and-7s subset, and the batched fast path against the item-by-item one."""
import gzip
import hashlib
import os
import shutil
import struct

import numpy as np
import pytest

import npgrad
from npgrad.utils.data import Collated, DataLoader, Dataset
from npgrad.vision import datasets, transforms
from npgrad.vision.datasets import ChecksumError, DatasetNotFoundError

from conftest import DATA as ROOT, requires_mnist
RAW = os.path.join(ROOT or "", "MNIST", "raw")
pytestmark = requires_mnist
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NORMALIZE = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])


@pytest.fixture(scope="module")
def train():
    return datasets.MNIST(ROOT, train=True)


@pytest.fixture(scope="module")
def test():
    return datasets.MNIST(ROOT, train=False)


def test_sizes_class_counts_and_first_label(train, test):
    assert len(train) == 60000 and len(test) == 10000
    assert np.bincount(train.targets.numpy()).tolist() == TRAIN_COUNTS
    assert np.bincount(test.targets.numpy()).tolist() == TEST_COUNTS
    image, label = train[0]
    assert label == 5 and type(label) is int
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)


def test_torchvision_attributes(train):
    assert isinstance(train.data, npgrad.Tensor)
    assert train.data.dtype == npgrad.uint8 and tuple(train.data.shape) == (60000, 28, 28)
    assert train.targets.dtype == npgrad.int64
    assert train.classes[5] == "5 - five" and train.class_to_idx["7 - seven"] == 7
    assert train.raw_folder == os.path.join(ROOT, "MNIST", "raw")
    assert "Number of datapoints: 60000" in repr(train) and "Split: Train" in repr(train)


def test_files_are_parsed_once_per_process(train):
    again = datasets.MNIST(ROOT, train=True)
    assert np.shares_memory(again.data.numpy(), train.data.numpy())


def test_to_tensor_item(test):
    ds = datasets.MNIST(ROOT, train=False, transform=transforms.ToTensor())
    image, label = ds[1]
    assert image.dtype == npgrad.float32 and tuple(image.shape) == (1, 28, 28)
    expected = test.data.numpy()[1].astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(image.numpy()[0], expected)
    assert 0.0 <= image.numpy().min() and image.numpy().max() <= 1.0 and label == test[1][1]


class ItemByItem(Dataset):
    """The same dataset, seen only through __getitem__ (no batched fetch)."""

    def __init__(self, inner):
        self.inner = inner

    def __getitem__(self, i):
        return self.inner[i]

    def __len__(self):
        return len(self.inner)


@pytest.mark.parametrize("transform", [None, NORMALIZE, transforms.ToTensor()])
def test_fast_path_equals_item_path_then_collate(transform):
    ds = datasets.MNIST(ROOT, train=False, transform=transform)
    assert isinstance(ds.__getitems__([0, 1]), Collated)
    for shuffle in (False, True):
        fast = DataLoader(ds, batch_size=64, shuffle=shuffle, generator=npgrad.Generator().manual_seed(5))
        slow = DataLoader(ItemByItem(ds), batch_size=64, shuffle=shuffle,
                          generator=npgrad.Generator().manual_seed(5))
        for k, ((xf, yf), (xs, ys)) in enumerate(zip(fast, slow)):
            assert xf.dtype == xs.dtype and xf.shape == xs.shape and yf.dtype == ys.dtype
            np.testing.assert_array_equal(xf.numpy(), xs.numpy())  # bit for bit
            np.testing.assert_array_equal(yf.numpy(), ys.numpy())
            if k == 3:
                break


def test_seed_pipeline_batches_are_normalised(test):
    ds = datasets.MNIST(ROOT, train=False, transform=NORMALIZE)
    x, y = next(iter(DataLoader(ds, batch_size=1000)))
    assert tuple(x.shape) == (1000, 1, 28, 28) and x.dtype == npgrad.float32
    raw = test.data.numpy()[:1000].astype(np.float32) / 255
    np.testing.assert_allclose(x.numpy()[:, 0], (raw - 0.1307) / 0.3081, rtol=1e-6, atol=1e-6)


def test_a_plain_function_transform_falls_back_to_items():
    ds = datasets.MNIST(ROOT, train=False, transform=lambda img: int(img.sum()), target_transform=lambda t: t * 10)
    got = ds.__getitems__([0, 1])
    assert isinstance(got, list) and got[0] == ds[0]
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    assert yb.tolist() == [ds[i][1] for i in range(3)] == [70, 20, 10]
    assert xb.tolist() == [int(ds.data.numpy()[i].sum()) for i in range(3)]


def test_three_and_seven_subset(train):
    sub = datasets.MNIST(ROOT, train=True, classes=[3, 7])
    assert len(sub) == TRAIN_COUNTS[3] + TRAIN_COUNTS[7]
    assert sorted(set(sub.targets.tolist())) == [0, 1]
    assert (sub.targets.numpy() == 0).sum() == TRAIN_COUNTS[3]
    assert sub.classes == ["3 - three", "7 - seven"] and sub.source_classes == [3, 7]
    threes = train.data.numpy()[train.targets.numpy() == 3]
    np.testing.assert_array_equal(sub.data.numpy()[sub.targets.numpy() == 0], threes)
    swapped = datasets.MNIST(ROOT, train=True, classes=[7, 3])
    assert (swapped.targets.numpy() == 1).sum() == TRAIN_COUNTS[3]
    assert datasets.MNIST.classes[3] == "3 - three"  # the class attribute is untouched
    for bad in ([3, 3], [10], []):
        with pytest.raises(ValueError, match="classes must be distinct labels in 0..9"):
            datasets.MNIST(ROOT, classes=bad)


def test_data_and_targets_can_be_cut_down(test):
    ds = datasets.MNIST(ROOT, train=False)
    ds.data, ds.targets = ds.data[:100], ds.targets[:100]
    assert len(ds) == 100 and len(list(DataLoader(ds, batch_size=30))) == 4


def test_root_none_reads_npgrad_data(monkeypatch):
    monkeypatch.setenv("NPGRAD_DATA", ROOT)
    assert datasets.default_root() == ROOT
    assert len(datasets.MNIST(train=False)) == 10000
    monkeypatch.delenv("NPGRAD_DATA")
    assert datasets.default_root() == os.path.join(os.path.expanduser("~"), ".cache", "npgrad")


def test_missing_files_say_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="download=True") as err:
        datasets.MNIST(tmp_path, train=False)
    assert str(tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz") in str(err.value)
    with pytest.raises(DatasetNotFoundError, match="FashionMNIST"):
        datasets.FashionMNIST(tmp_path)


def copy_raw(tmp_path, folder="MNIST"):
    raw = tmp_path / folder / "raw"
    shutil.copytree(RAW, raw)
    for f in raw.iterdir():
        f.chmod(0o644)
    return raw


def test_a_corrupt_file_is_refused_by_name(tmp_path):
    raw = copy_raw(tmp_path)
    labels = raw / "t10k-labels-idx1-ubyte.gz"
    payload = bytearray(gzip.decompress(labels.read_bytes()))
    payload[100] = (payload[100] + 1) % 10  # one label changed: valid gzip, valid IDX
    labels.write_bytes(gzip.compress(bytes(payload)))
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz: the MD5 of its decompressed payload"):
        datasets.MNIST(tmp_path, train=False)


def test_torchvision_style_decompressed_files_are_read(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(gzip.decompress(open(os.path.join(RAW, name + ".gz"), "rb").read()))
    ds = datasets.MNIST(tmp_path, train=False)
    assert len(ds) == 10000 and ds[0][1] == 7


def test_a_cousin_with_file_checksums_reuses_the_code(tmp_path):
    """FashionMNIST and KMNIST are MNIST with other files, checksums and class names; a tiny
    dataset built the same way proves the mechanism on files we can make."""
    def idx(arr):
        return bytes([0, 0, 8, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()

    raw = tmp_path / "Tiny" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (6, 4, 4)).astype(np.uint8), np.array([0, 1, 1, 0, 1, 1], np.uint8)
    md5s = {}
    for name, arr in [("train-images-idx3-ubyte.gz", images), ("train-labels-idx1-ubyte.gz", labels)]:
        blob = gzip.compress(idx(arr), mtime=0)
        (raw / name).write_bytes(blob)
        md5s[name] = hashlib.md5(blob).hexdigest()

    class Tiny(datasets.MNIST):
        resources = [(n, md5s[n]) for n in md5s] * 2
        checksum_of = "file"
        classes = ["zero", "one"]

    ds = Tiny(tmp_path, transform=transforms.ToTensor())
    assert len(ds) == 6 and ds.classes == ["zero", "one"]
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert datasets.FashionMNIST.checksum_of == "file" and len(datasets.FashionMNIST.classes) == 10
    assert datasets.KMNIST.classes[0] == "o" and datasets.FashionMNIST.classes[9] == "Ankle boot"
