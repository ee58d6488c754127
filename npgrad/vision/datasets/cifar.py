"""CIFAR-10 and CIFAR-100, in torchvision's layout and with its signature.

    train = datasets.CIFAR10("./data", train=True, download=True, transform=transforms.ToTensor())
    image, label = train[0]        # a 3x32x32 float32 tensor in [0, 1], and an int

``root/cifar-10-batches-py/`` holds the pickled batches of the official archive
``cifar-10-python.tar.gz`` (``cifar-100-python/`` for CIFAR-100), so a folder torchvision
downloaded into works as it is. As torchvision: ``data`` is a uint8 NumPy array N x 32 x 32 x 3
(height, width, channels), ``targets`` a list of ints, ``classes`` the label names. An item's
image is that H x W x 3 uint8 array (torchvision gives a PIL image of it; ``ToTensor`` turns
either into 3 x H x W), as npgrad's MNIST hands out arrays; batches take MNIST's fast path.

Safety. Every batch file is checked against its published MD5 before it is read, and read
with a restricted unpickler (``safe_pickle.py``) that can rebuild NumPy arrays and nothing
else. ``download=True`` fetches the archive through ``download_file`` (verified, renamed into
place atomically), then extracts it member by member after checking that each is a plain
file or folder that lands inside the dataset folder (no ``..``, absolute paths or links),
into a temporary folder that is verified before it is renamed into place.
"""
import contextlib
import os
import shutil
import tarfile
import tempfile

import numpy as np

from ...utils.data.dataset import Dataset
from . import safe_pickle
from .download import check_md5, download_file
from .idx import CorruptFileError
from .items import ImageItems
from .mnist import DatasetNotFoundError
from .root import resolve_root


class CIFAR10(ImageItems, Dataset):
    """The CIFAR-10 images: 50,000 training and 10,000 test colour images, 32x32, 10 classes.

    Args:
        root: the folder holding ``cifar-10-batches-py/``; ``None`` means ``$NPGRAD_DATA``,
            else ``~/.cache/npgrad``.
        train: the training batches (else the test batch).
        transform / target_transform: applied to each image / label (and to whole batches
            when they have ``.batch``).
        download: fetch and extract the archive unless the files are there and intact.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    tgz_size = 170_498_071  # bytes: the download's size cap (with 1% slack; the md5 decides)
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    labels_key = "labels"
    timeout = 60.0

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        self.root = resolve_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        self._check_files()
        images, labels = [], []
        for name, _ in (self.train_list if train else self.test_list):
            entry = self._read(name)
            data = np.asarray(entry.get("data"))
            if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise CorruptFileError(f"{type(self).__name__}: {name} holds data of "
                                       f"{data.dtype} {data.shape}, expected uint8 N x 3072")
            found = entry.get(self.labels_key, entry.get("labels", entry.get("fine_labels")))
            if found is None or len(found) != len(data):
                raise CorruptFileError(f"{type(self).__name__}: {name} has no labels for each of "
                                       f"its {len(data)} images")
            images.append(data)
            labels.extend(int(v) for v in found)
        self.data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.targets = labels
        self.classes = [c.decode() if isinstance(c, bytes) else c
                        for c in self._read(self.meta["filename"])[self.meta["key"]]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    # ------------------------------------------------------------------ files
    @property
    def folder(self):
        return os.path.join(self.root, self.base_folder)

    def _files(self):
        return [*self.train_list, *self.test_list, [self.meta["filename"], self.meta["md5"]]]

    def _check_integrity(self, folder=None):
        folder = folder or self.folder
        for name, md5 in self._files():
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                return False
            try:
                check_md5(path, md5, "file")
            except CorruptFileError:
                return False
        return True

    def _check_files(self):
        missing = [os.path.join(self.folder, n) for n, _ in self._files()
                   if not os.path.isfile(os.path.join(self.folder, n))]
        if missing:
            listing = "\n".join(f"  {m}" for m in missing)
            raise DatasetNotFoundError(
                f"{type(self).__name__}: dataset not found. Missing:\n{listing}\nUse download=True "
                f"to download it, or extract {self.filename} into {self.root!r} by hand.",
                self.folder, missing)
        for name, md5 in self._files():
            check_md5(os.path.join(self.folder, name), md5, "file")  # ChecksumError if corrupt

    def _read(self, name):
        """A batch file as a dict with str keys (the originals are Python 2 pickles)."""
        path = os.path.join(self.folder, name)
        with open(path, "rb") as f:
            entry = safe_pickle.load(f, source=path)
        if not isinstance(entry, dict):
            raise CorruptFileError(f"{path}: expected a pickled dict, got {type(entry).__name__}")
        return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}

    def download(self):
        """Fetch the archive (verified) and extract it safely, unless the files are intact."""
        if self._check_integrity():
            return
        mirror, _ = self.url.rsplit("/", 1)
        archive = download_file(self.filename, self.root, [mirror], self.tgz_md5,
                                checksum_of="file", timeout=self.timeout,
                                max_bytes=int(self.tgz_size * 1.01))
        staging = tempfile.mkdtemp(dir=self.root, prefix=".partial-extract-")
        try:
            safe_extract(archive, staging)
            if not self._check_integrity(os.path.join(staging, self.base_folder)):
                raise CorruptFileError(f"{self.filename}: the extracted files do not match their "
                                       f"published checksums")
            if os.path.isdir(self.folder):
                shutil.rmtree(self.folder)  # a corrupt or incomplete earlier copy
            os.replace(os.path.join(staging, self.base_folder), self.folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # ------------------------------------------------------------------ items (ImageItems)
    def _images_and_labels(self):
        return self.data, self.targets

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    {self.extra_repr()}"]
        if self.transform is not None:
            lines.append("    Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append("    Target transform: " + repr(self.target_transform))
        return "\n".join(lines)


class CIFAR100(CIFAR10):
    """CIFAR-100: the same images in 100 fine classes (``targets``), CIFAR-10's layout."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    tgz_size = 169_001_437
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    labels_key = "fine_labels"


def safe_extract(archive, dest):
    """Extract the tar ``archive`` into ``dest``, refusing (before writing anything) any
    member that is not a plain file or folder, or whose path leaves ``dest``."""
    dest = os.path.realpath(dest)
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            target = os.path.realpath(os.path.join(dest, m.name))
            if not (m.isfile() or m.isdir()):
                raise CorruptFileError(f"{os.path.basename(archive)}: refusing to extract "
                                       f"{m.name!r}: not a plain file or folder (a link or device)")
            if os.path.isabs(m.name) or os.path.commonpath([dest, target]) != dest:
                raise CorruptFileError(f"{os.path.basename(archive)}: refusing to extract "
                                       f"{m.name!r}: its path leaves the destination folder")
        for m in members:
            if m.isdir():
                os.makedirs(os.path.join(dest, m.name), exist_ok=True)
                continue
            out_path = os.path.join(dest, m.name)
            os.makedirs(os.path.dirname(out_path), exist_ok=True)
            with contextlib.closing(tar.extractfile(m)) as src, open(out_path, "wb") as out:
                shutil.copyfileobj(src, out)
