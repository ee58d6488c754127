"""Datasets with torchvision's names: ``MNIST``, ``FashionMNIST``, ``KMNIST``, ``CIFAR10``,
``CIFAR100``.

Also the pieces they are made of, for other datasets and for tests: the IDX reader
(``read_idx``), verified downloads (``download_file``) and the data root (``default_root``).
"""
from .download import ChecksumError, DownloadError, check_md5, download_file, md5_of
from .files import clear_cache
from .idx import CorruptFileError, parse_idx, read_idx
from .mnist import KMNIST, MNIST, DatasetNotFoundError, FashionMNIST
from .download import DownloadLimitError  # a response past its size cap or its deadline
from .root import default_root
from .cifar import CIFAR10, CIFAR100  # noqa: E402
from .safe_pickle import UnsafePickleError  # noqa: E402

__all__ = [
    "KMNIST", "MNIST", "ChecksumError", "CorruptFileError", "DatasetNotFoundError",
    "DownloadError", "FashionMNIST", "check_md5", "clear_cache", "default_root",
    "download_file", "md5_of", "parse_idx", "read_idx",
]
__all__ += ["DownloadLimitError"]
__all__ += ["CIFAR10", "CIFAR100", "UnsafePickleError"]
