"""MNIST, Fashion-MNIST and Kuzushiji-MNIST, as torchvision lays them out and hands them out.

    from npgrad.vision import datasets, transforms
    train = datasets.MNIST("./data", train=True, download=True, transform=transforms.ToTensor())
    image, label = train[0]        # a 1x28x28 float32 tensor in [0, 1], and the int 5

Files live in ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``, ...), as in torchvision, so a
folder torchvision downloaded into works as it is. An item's image is a 28x28 uint8 NumPy
array (torchvision gives a PIL image; ``ToTensor`` accepts both), its label a Python int.

Every file is checked against its MD5 before use: a corrupt or truncated file is never
trained on. ``download=True`` fetches missing or corrupt files through ``download_file``
(mirrors tried in order, verified, renamed into place).

The fast path: ``__getitems__`` reads a whole batch with one fancy-index into ``data`` and,
when the transforms can do whole batches (they have a ``.batch`` method, as every transform in
``npgrad.vision.transforms`` does), transforms it at once.
"""
import os

import numpy as np

from ..._creation import from_numpy
from ..._tensor import Tensor, wrap
from ...utils.data.dataset import Dataset
from .download import download_file
from .files import is_intact, load_idx
from .items import ImageItems
from .root import resolve_root


class DatasetNotFoundError(RuntimeError):
    """The dataset's files are not on disk (and ``download`` was not asked for)."""

    def __init__(self, message, folder, missing):
        super().__init__(message)
        self.folder = folder
        self.missing = missing


#: MNIST's pixel mean and standard deviation over the training set (pixels in [0, 1]),
#: the ``Normalize((0.1307,), (0.3081,))`` every MNIST tutorial writes
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class MNIST(ImageItems, Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8.

    Args:
        root: the folder holding ``MNIST/raw/``; ``None`` means ``$NPGRAD_DATA``, else
            ``~/.cache/npgrad``.
        train: the training split (else the test split).
        transform: applied to each image (and, when it has ``.batch``, to whole batches).
        target_transform: applied to each label.
        download: fetch the files that are missing or corrupt.
        classes: keep only these labels, renumbered 0..k-1 in the order given:
            ``MNIST(root, classes=[3, 7])`` holds the 3s (label 0) and the 7s (label 1);
            ``classes=[7, 3]`` makes the 3s label 1. ``source_classes`` keeps the original
            labels, ``classes`` their names.
    """

    # Tried in order. yann.lecun.com, the original home, now answers 403 Forbidden.
    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    # (file, MD5 of the decompressed payload): gzip wrappers differ between mirrors, the
    # payload does not.
    resources = [
        ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"),
        ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"),
    ]
    checksum_of = "payload"  # what the MD5s above are of: "payload" or "file" (the .gz)
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    timeout = 30.0  # seconds a mirror may stay silent before we move on
    deadline = 600.0  # seconds one file's download may take in all, per mirror

    def payload_bytes(self, filename):
        """The size of a file's IDX payload, known from the dataset's layout (60,000 or
        10,000 items; 28x28 uint8 images, uint8 labels). Inflating stops there, so a gzip
        bomb posing as this file costs no more memory than the real file would."""
        n = 60000 if filename.startswith("train") else 10000
        return 16 + n * 28 * 28 if "images" in filename else 8 + n

    def download_bytes(self, filename):
        """The most bytes a download of ``filename`` may bring: a gzip is never much larger
        than its payload (mirrors' gzip wrappers differ, so this is the exact bound we know)."""
        size = self.payload_bytes(filename)
        return size + size // 100 + 1024

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, classes=None):
        self.root = resolve_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        images, labels = self._load()
        self.source_classes = list(range(len(type(self).classes)))
        if classes is not None:
            images, labels = self._keep(images, labels, classes)
        self._images = images
        self._labels = labels

    # ------------------------------------------------------------------ files
    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _split_files(self):
        images, labels = (self.resources[0], self.resources[1]) if self.train else (
            self.resources[2], self.resources[3])
        return images, labels

    def _path(self, filename):
        """The file on disk: the ``.gz``, or the decompressed copy torchvision leaves beside
        it (only for payload checksums: a ``.gz``'s own MD5 says nothing about its content)."""
        path = os.path.join(self.raw_folder, filename)
        plain = path[:-3] if path.endswith(".gz") else path
        if not os.path.isfile(path) and self.checksum_of == "payload" and os.path.isfile(plain):
            return plain
        return path

    def _check_exists(self):
        return all(is_intact(self._path(f), md5, self.checksum_of, self.payload_bytes(f))
                   for f, md5 in self.resources)

    def download(self):
        """Fetch every file that is missing or fails its checksum (both splits, as torchvision
        does, so ``train=False`` finds its files later)."""
        for filename, md5 in self.resources:
            if not is_intact(self._path(filename), md5, self.checksum_of, self.payload_bytes(filename)):
                download_file(filename, self.raw_folder, self.mirrors, md5,
                              checksum_of=self.checksum_of, timeout=self.timeout,
                              max_bytes=self.download_bytes(filename), deadline=self.deadline,
                              max_payload=self.payload_bytes(filename))

    def _load(self):
        name = type(self).__name__
        files = self._split_files()
        missing = [os.path.join(self.raw_folder, f) for f, _ in files
                   if not os.path.isfile(self._path(f))]
        if missing:
            listing = "\n".join(f"  {m}" for m in missing)
            raise DatasetNotFoundError(
                f"{name}: dataset not found. Missing:\n{listing}\nUse download=True to download it, "
                f"or place the files there by hand (root={self.root!r}; with root=None the data root "
                f"is $NPGRAD_DATA, else ~/.cache/npgrad).",
                self.raw_folder, missing,
            )
        (image_file, image_md5), (label_file, label_md5) = files
        images = load_idx(self._path(image_file), image_md5, self.checksum_of,
                          self.payload_bytes(image_file))
        labels = load_idx(self._path(label_file), label_md5, self.checksum_of,
                          self.payload_bytes(label_file))
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{name}: {image_file} holds {images.dtype} of shape {images.shape}, "
                             f"expected uint8 images N x H x W")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(f"{name}: {label_file} holds shape {labels.shape} but {image_file} has "
                             f"{len(images)} images")
        return images, labels.astype(np.int64)

    def _keep(self, images, labels, classes):
        """Only the images of ``classes``, their labels renumbered 0..k-1."""
        n = len(type(self).classes)
        wanted = [int(c) for c in classes]
        if not wanted or len(set(wanted)) != len(wanted) or not all(0 <= c < n for c in wanted):
            raise ValueError(f"{type(self).__name__}: classes must be distinct labels in 0..{n - 1}, "
                             f"got {list(classes)}")
        new_label = np.full(n, -1, dtype=np.int64)
        new_label[wanted] = np.arange(len(wanted))
        keep = new_label[labels] >= 0
        self.source_classes = wanted
        self.classes = [type(self).classes[c] for c in wanted]
        return images[keep], new_label[labels[keep]]

    # ------------------------------------------------------------------ torchvision's attributes
    @property
    def data(self):
        """All images, a uint8 tensor N x 28 x 28 (read-only: shared with other instances)."""
        return wrap(self._images)

    @data.setter
    def data(self, value):
        self._images = np.asarray(value._data if isinstance(value, Tensor) else value)

    @property
    def targets(self):
        """All labels, an int64 tensor of length N."""
        return from_numpy(self._labels)

    @targets.setter
    def targets(self, value):
        self._labels = np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.int64)

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    # ------------------------------------------------------------------ items (ImageItems)
    def _images_and_labels(self):
        return self._images, self._labels

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.source_classes != list(range(len(type(self).classes))):
            lines.append(f"    Classes: {self.source_classes} (labels 0..{len(self.source_classes) - 1})")
        if self.transform is not None:
            lines.append("    Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append("    Target transform: " + repr(self.target_transform))
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of ten kinds of clothing, MNIST's layout.

    Its published MD5s are those of the ``.gz`` files (``checksum_of = "file"``)."""

    mirrors = [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    checksum_of = "file"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: ten cursive Japanese (hiragana) characters, MNIST's layout.

    Its published MD5s are those of the ``.gz`` files (``checksum_of = "file"``)."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    checksum_of = "file"
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
