"""Downloads for real, over HTTP on 127.0.0.1: `python -m http.server` serves copies of
../shared/data/MNIST/raw (good, corrupt, wrong-payload and truncated versions), a port with
nothing listening plays a dead mirror, and a tiny handler that announces a length and then
hangs up plays an interrupted transfer. Every case checks that nothing is left behind."""
import contextlib
import gzip
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from npgrad.vision import datasets
from npgrad.vision.datasets import DownloadError, download_file

from conftest import DATA, requires_mnist

RAW = os.path.join(DATA or "", "MNIST", "raw")
pytestmark = requires_mnist  # the local server serves the real MNIST files
LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_MD5 = dict(datasets.MNIST.resources)[LABELS]
TIMEOUT = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Base URL of an http.server subprocess serving good/, corrupt/, wrong/ and truncated/."""
    root = tmp_path_factory.mktemp("mirror")
    good, corrupt, wrong, truncated = (root / d for d in ("good", "corrupt", "wrong", "truncated"))
    shutil.copytree(RAW, good)
    for d in (corrupt, wrong, truncated):
        d.mkdir()
    for f in os.listdir(RAW):
        blob = (good / f).read_bytes()
        (corrupt / f).write_bytes(b"\x1f\x8b" + bytes(reversed(blob[2:2000])))  # gzip magic, junk body
        (truncated / f).write_bytes(blob[: len(blob) // 2])
    # a perfectly valid gzip of the wrong payload: only the checksum can tell
    payload = gzip.decompress((good / LABELS).read_bytes())
    (wrong / LABELS).write_bytes(gzip.compress(payload[:-1] + b"\x00", compresslevel=1))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("http.server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def dead_mirror():
    return f"http://127.0.0.1:{free_port()}/mnist/"  # nothing listens there


@contextlib.contextmanager
def hang_up_server(body):
    """A server that promises len(body) bytes, sends half, and closes the connection."""
    class HangUp(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HangUp)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def leftovers(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_mnist_download_skips_dead_mirrors_and_verifies(tmp_path, server, dead_mirror, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors",
                        [dead_mirror, f"{server}/missing/", f"{server}/good/"])
    monkeypatch.setattr(datasets.MNIST, "timeout", TIMEOUT)
    ds = datasets.MNIST(tmp_path, train=False, download=True)
    assert len(ds) == 10000 and ds[0][1] == 7
    raw = tmp_path / "MNIST" / "raw"
    assert leftovers(raw) == sorted(f for f, _ in datasets.MNIST.resources)  # no temp files
    # files already there and intact are not fetched again: a dead mirror is then enough
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead_mirror])
    assert len(datasets.MNIST(tmp_path, train=True, download=True)) == 60000


def test_dead_mirror_then_good_one(tmp_path, server, dead_mirror):
    path = download_file(LABELS, tmp_path, [dead_mirror, f"{server}/good/"], LABELS_MD5,
                         timeout=TIMEOUT, progress=False)
    assert path == os.path.join(tmp_path, LABELS) and leftovers(tmp_path) == [LABELS]


def test_corrupt_bytes_are_rejected_and_nothing_is_kept(tmp_path, server):
    with pytest.raises(DownloadError, match="not a valid gzip file") as err:
        download_file(LABELS, tmp_path, [f"{server}/corrupt/"], LABELS_MD5, timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == []
    assert f"{server}/corrupt/{LABELS}" in str(err.value)


def test_wrong_checksum_is_rejected_then_the_next_mirror_is_used(tmp_path, server):
    with pytest.raises(DownloadError, match="MD5 of its decompressed payload is .*, expected " + LABELS_MD5):
        download_file(LABELS, tmp_path, [f"{server}/wrong/"], LABELS_MD5, timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == []
    download_file(LABELS, tmp_path, [f"{server}/wrong/", f"{server}/good/"], LABELS_MD5,
                  timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == [LABELS]


def test_truncated_file_is_rejected(tmp_path, server):
    with pytest.raises(DownloadError, match="gzip stream ends early"):
        download_file(LABELS, tmp_path, [f"{server}/truncated/"], LABELS_MD5, timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_no_partial_file(tmp_path):
    body = open(os.path.join(RAW, LABELS), "rb").read()
    with hang_up_server(body) as url:
        with pytest.raises(DownloadError, match=f"transfer interrupted: received {len(body) // 2} of {len(body)} bytes"):
            download_file(LABELS, tmp_path, [url], LABELS_MD5, timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == []


def test_ctrl_c_mid_download_removes_the_temporary_file(tmp_path, server, monkeypatch):
    from npgrad.vision.datasets import download as dl

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dl, "check_md5", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download_file(LABELS, tmp_path, [f"{server}/good/"], LABELS_MD5, timeout=TIMEOUT, progress=False)
    assert leftovers(tmp_path) == []


def test_when_every_mirror_fails_the_error_lists_them_and_the_manual_route(tmp_path, server, dead_mirror,
                                                                         monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead_mirror, f"{server}/missing/", f"{server}/corrupt/"])
    monkeypatch.setattr(datasets.MNIST, "timeout", TIMEOUT)
    with pytest.raises(DownloadError) as err:
        datasets.MNIST(tmp_path, train=False, download=True)
    message = str(err.value)
    first = datasets.MNIST.resources[0][0]
    for mirror in (dead_mirror, f"{server}/missing/", f"{server}/corrupt/"):
        assert mirror + first in message
    assert "404" in message and "URLError" in message
    assert str(tmp_path / "MNIST" / "raw" / first) in message and "by hand" in message
    assert [url for url, _ in err.value.failures] == [m + first for m in datasets.MNIST.mirrors]
    assert leftovers(tmp_path / "MNIST" / "raw") == []


def test_a_corrupt_cached_file_is_downloaded_again(tmp_path, server, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(RAW, raw)
    for f in raw.iterdir():
        f.chmod(0o644)
    (raw / LABELS).write_bytes(b"garbage")
    monkeypatch.setattr(datasets.MNIST, "mirrors", [f"{server}/good/"])
    monkeypatch.setattr(datasets.MNIST, "timeout", TIMEOUT)
    ds = datasets.MNIST(tmp_path, train=False, download=True)
    assert ds[0][1] == 7 and (raw / LABELS).read_bytes() == open(os.path.join(RAW, LABELS), "rb").read()


def test_progress_bar_uses_tqdm_or_a_plain_fallback(tmp_path, server, monkeypatch, capsys):
    download_file(LABELS, tmp_path / "a", [f"{server}/good/"], LABELS_MD5, timeout=TIMEOUT)
    assert LABELS in capsys.readouterr().err  # tqdm's bar, labelled with the file
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    download_file(LABELS, tmp_path / "b", [f"{server}/good/"], LABELS_MD5, timeout=TIMEOUT)
    err = capsys.readouterr().err
    assert f"{LABELS}: 100% of" in err
