"""CIFAR-10/100 in torchvision's layout, on small files made in the real format: Python 2
style pickles (protocol 2, bytes keys, ``data`` uint8 N x 3072 channel-planar rows,
``labels`` a list), packed as the real tar.gz and served over HTTP on 127.0.0.1. Also the
attacks: a pickle that would run a command or names a global outside the allowlist, and
archives whose members escape the folder or are links."""
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

import npgrad
from npgrad.utils.data import DataLoader
from npgrad.vision import transforms
from npgrad.vision.datasets import (
    CIFAR10, CIFAR100, ChecksumError, CorruptFileError, DatasetNotFoundError, DownloadError,
    UnsafePickleError,
)
from npgrad.vision.datasets import cifar

PER_BATCH = 6
NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse",
         b"ship", b"truck"]


def md5(blob):
    return hashlib.md5(blob).hexdigest()


def batch_blob(seed, n=PER_BATCH, labels_key=b"labels"):
    rng = np.random.default_rng(seed)
    entry = {b"batch_label": b"training batch %d of 5" % seed,
             labels_key: [int(v) for v in rng.integers(0, 10, n)],
             b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    return pickle.dumps(entry, protocol=2), entry


class Evil:
    """Unpickling this would run a shell command."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def make_cifar10(files=None):
    """{name: bytes} of a small CIFAR-10 folder, and the entries."""
    blobs, entries = {}, {}
    for k in range(1, 6):
        blobs[f"data_batch_{k}"], entries[f"data_batch_{k}"] = batch_blob(k)
    blobs["test_batch"], entries["test_batch"] = batch_blob(99)
    blobs["batches.meta"] = pickle.dumps({b"label_names": NAMES, b"num_vis": 3072}, protocol=2)
    blobs.update(files or {})
    return blobs, entries


def tar_gz(members, folder="cifar-10-batches-py"):
    """The archive as bytes; ``members`` maps names to bytes (or to a TarInfo for oddities)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, blob in members.items():
            if isinstance(blob, tarfile.TarInfo):
                tar.addfile(blob)
                continue
            info = tarfile.TarInfo(f"{folder}/{name}" if folder else name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return out.getvalue()


def fake_class(blobs, base=CIFAR10, archive=None, url="http://127.0.0.1:9/nowhere/x.tar.gz"):
    """CIFAR10 with the MD5s of our small files (the real ones are of the real files)."""
    attrs = dict(train_list=[[n, md5(blobs[n])] for n, _ in base.train_list],
                 test_list=[[n, md5(blobs[n])] for n, _ in base.test_list],
                 meta={**base.meta, "md5": md5(blobs[base.meta["filename"]])},
                 tgz_md5=md5(archive) if archive is not None else base.tgz_md5, url=url,
                 timeout=10.0)
    return type("Fake" + base.__name__, (base,), attrs)


def write(folder, blobs):
    os.makedirs(folder, exist_ok=True)
    for name, blob in blobs.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)


@pytest.fixture
def served(tmp_path):
    """A local HTTP server in a thread: (base URL, folder it serves, list of paths asked)."""
    folder = tmp_path / "www"
    folder.mkdir()
    asked = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(folder), **k)

        def do_GET(self):
            asked.append(self.path)
            super().do_GET()

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder, asked
    server.shutdown()
    server.server_close()


def test_reads_the_real_layout_as_torchvision(tmp_path):
    blobs, entries = make_cifar10()
    write(tmp_path / "cifar-10-batches-py", blobs)
    Fake = fake_class(blobs)
    train, test = Fake(tmp_path, train=True), Fake(str(tmp_path), train=False)
    assert len(train) == 5 * PER_BATCH and len(test) == PER_BATCH
    rows = np.concatenate([entries[f"data_batch_{k}"][b"data"] for k in range(1, 6)])
    expected = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # torchvision's HWC
    assert train.data.dtype == np.uint8 and train.data.shape == (30, 32, 32, 3)
    np.testing.assert_array_equal(train.data, expected)
    assert train.targets == sum((entries[f"data_batch_{k}"][b"labels"] for k in range(1, 6)), [])
    assert train.classes == [n.decode() for n in NAMES] and train.class_to_idx["cat"] == 3
    image, label = train[7]
    np.testing.assert_array_equal(image, expected[7])
    assert label == train.targets[7] and isinstance(label, int)
    np.testing.assert_array_equal(test.data, entries["test_batch"][b"data"].reshape(-1, 3, 32, 32)
                                  .transpose(0, 2, 3, 1))
    # ToTensor: 3 x 32 x 32 in [0, 1], channel c is the c-th 1024 bytes of the row
    tensor_train = Fake(tmp_path, transform=transforms.ToTensor(), target_transform=lambda y: y + 100)
    x, y = tensor_train[7]
    assert tuple(x.shape) == (3, 32, 32) and y == train.targets[7] + 100
    np.testing.assert_allclose(x.numpy(), rows[7].reshape(3, 32, 32) / np.float32(255), rtol=0)
    # batches: the fast path (transform.batch) equals item by item
    fast = Fake(tmp_path, transform=transforms.ToTensor())
    (xb, yb), = list(DataLoader(fast, batch_size=30))
    np.testing.assert_array_equal(xb.numpy(), np.stack([fast[i][0].numpy() for i in range(30)]))
    assert yb.tolist() == train.targets
    assert "Number of datapoints: 30" in repr(train)


def test_missing_and_corrupt_files(tmp_path):
    blobs, _ = make_cifar10()
    Fake = fake_class(blobs)
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        Fake(tmp_path)
    write(tmp_path / "cifar-10-batches-py", {**blobs, "data_batch_3": blobs["data_batch_3"][:-5]})
    with pytest.raises(ChecksumError, match="data_batch_3"):
        Fake(tmp_path)


@pytest.mark.parametrize("payload", ["command", "global"])
def test_a_malicious_pickle_is_refused_without_running_anything(tmp_path, payload):
    marker = tmp_path / "ran"
    evil = (Evil(f"touch {marker}") if payload == "command"
            else {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0],
                  b"extra": __import__("collections").OrderedDict()})
    blob = pickle.dumps(evil, protocol=2)
    blobs, _ = make_cifar10({"data_batch_2": blob})
    write(tmp_path / "cifar-10-batches-py", blobs)
    Fake = fake_class(blobs)  # the MD5 matches: only the unpickler stands in the way
    expected = "posix.system|os.system" if payload == "command" else "collections.OrderedDict"
    with pytest.raises(UnsafePickleError, match=f"refusing to load global ({expected})"):
        Fake(tmp_path)
    assert not marker.exists()


def test_download_verify_extract_then_reuse(tmp_path, served):
    base, www, asked = served
    blobs, entries = make_cifar10()
    archive = tar_gz(blobs)
    (www / "cifar-10-python.tar.gz").write_bytes(archive)
    Fake = fake_class(blobs, archive=archive, url=f"{base}/cifar-10-python.tar.gz")
    root = tmp_path / "root"
    ds = Fake(root, train=False, download=True)
    assert asked == ["/cifar-10-python.tar.gz"]
    assert ds.targets == entries["test_batch"][b"labels"]
    assert sorted(os.listdir(root)) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    assert sorted(os.listdir(root / "cifar-10-batches-py")) == sorted(blobs)
    Fake(root, download=True)  # intact: nothing fetched again
    assert len(asked) == 1


def test_a_wrong_archive_is_refused_and_nothing_is_left(tmp_path, served):
    base, www, _ = served
    blobs, _ = make_cifar10()
    archive = tar_gz(blobs)
    (www / "cifar-10-python.tar.gz").write_bytes(archive[:-10] + b"0123456789")
    Fake = fake_class(blobs, archive=archive, url=f"{base}/cifar-10-python.tar.gz")
    root = tmp_path / "root"
    with pytest.raises(DownloadError) as info:
        Fake(root, download=True)
    assert isinstance(info.value.failures[0][1], ChecksumError)
    assert os.listdir(root) == []


@pytest.mark.parametrize("attack", ["dotdot", "absolute", "symlink"])
def test_an_archive_escaping_its_folder_is_refused(tmp_path, served, attack):
    base, www, _ = served
    blobs, _ = make_cifar10()
    members = {f"cifar-10-batches-py/{n}": b for n, b in blobs.items()}
    if attack == "symlink":
        link = tarfile.TarInfo("cifar-10-batches-py/escape")
        link.type, link.linkname = tarfile.SYMTYPE, str(tmp_path / "outside")
        members["link"] = link
    else:
        name = "../../outside" if attack == "dotdot" else str(tmp_path / "outside")
        members[name] = b"written outside"
    archive = tar_gz(members, folder="")
    (www / "cifar-10-python.tar.gz").write_bytes(archive)
    Fake = fake_class(blobs, archive=archive, url=f"{base}/cifar-10-python.tar.gz")
    root = tmp_path / "root"
    with pytest.raises(CorruptFileError, match="refusing to extract"):
        Fake(root, download=True)
    assert not (tmp_path / "outside").exists()
    assert os.listdir(root) == ["cifar-10-python.tar.gz"]  # the verified archive, no half folder


def test_cifar100_layout(tmp_path):
    train_blob, train_entry = batch_blob(1, n=4, labels_key=b"fine_labels")
    test_blob, _ = batch_blob(2, n=3, labels_key=b"fine_labels")
    blobs = {"train": train_blob, "test": test_blob,
             "meta": pickle.dumps({b"fine_label_names": [b"c%d" % i for i in range(100)],
                                   b"coarse_label_names": [b"s%d" % i for i in range(20)]},
                                  protocol=2)}
    write(tmp_path / "cifar-100-python", blobs)
    Fake = fake_class(blobs, base=CIFAR100)
    train = Fake(tmp_path)
    assert len(train) == 4 and len(Fake(tmp_path, train=False)) == 3
    assert train.targets == train_entry[b"fine_labels"] and train.classes[5] == "c5"


def test_torchvision_names_and_sources():
    assert CIFAR10.base_folder == "cifar-10-batches-py"
    assert CIFAR10.filename == "cifar-10-python.tar.gz"
    assert CIFAR10.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"
    assert [n for n, _ in CIFAR10.train_list] == [f"data_batch_{k}" for k in range(1, 6)]
    assert cifar.safe_pickle.ALLOWED  # the allowlist exists and is small
    assert len(cifar.safe_pickle.ALLOWED) <= 6
    assert npgrad.vision.datasets.CIFAR10 is CIFAR10
