"""Data files that try to exhaust memory, disk or time: a gzip bomb posing as MNIST, IDX
dimensions whose product overflows int64, and HTTP responses that never end, trickle, or are
larger than the file can be - each refused with bounded resources and nothing left on disk,
even when the download is killed outright."""
import contextlib
import gzip
import http.server
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from npgrad.vision import datasets
from npgrad.vision.datasets import CorruptFileError, DownloadError, download_file, parse_idx, read_idx

from conftest import DATA, requires_mnist

RAW = os.path.join(DATA or "", "MNIST", "raw")
LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_MD5 = dict(datasets.MNIST.resources)[LABELS]
WORKTREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gzip_bomb(path, header, gigabytes):
    """A valid multi-member gzip: ``header`` then ``gigabytes`` GB of zeros, ~1 MB per GB."""
    import zlib

    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    member = b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()
    with open(path, "wb") as f:
        f.write(gzip.compress(header))
        for _ in range(gigabytes * 16):
            f.write(member)


BOMB_CHILD = textwrap.dedent("""
    import resource, sys
    from npgrad.vision import datasets
    try:
        datasets.MNIST(sys.argv[1], train=True)
        print("loaded")
    except datasets.CorruptFileError as e:
        print("refused:", str(e)[:200])
    hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")]
    print("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, int(hwm[0]) / 1024)
""")


@requires_mnist
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KB on Linux")
def test_a_gzip_bomb_posing_as_mnist_is_refused_in_little_memory(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(os.path.join(RAW, "train-labels-idx1-ubyte.gz"), raw)
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 60000, 28, 28)
    gzip_bomb(raw / "train-images-idx3-ubyte.gz", header, 4)  # 4 GB inflated, ~4 MB on disk
    assert os.path.getsize(raw / "train-images-idx3-ubyte.gz") < 8 << 20
    # Linux keeps a process's peak RSS across fork and exec, so a child of this (large)
    # pytest process would report pytest's peak; a small launcher in between starts clean.
    launcher = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
    out = subprocess.run([sys.executable, "-c", launcher, sys.executable, "-c", BOMB_CHILD,
                          str(tmp_path)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=WORKTREE))
    lines = out.stdout.splitlines()
    assert lines and lines[0].startswith("refused:") and "unexpected bytes" in lines[0], out
    peak, hwm = map(float, lines[-1].split()[1:])
    print(f"peak RSS refusing a 4 GB gzip bomb: {peak:.0f} MB (getrusage), {hwm:.0f} MB (VmHWM)")
    assert peak < 300 and hwm < 300


@pytest.mark.parametrize("dims", [(2**32 - 1,) * 3, (2**32 - 1, 2**32 - 1), (2**31, 2**31, 4),
                                  (65536, 65536, 65536, 65536)])
def test_idx_dimensions_are_checked_before_allocating(dims, tmp_path):
    header = struct.pack(f">BBBB{len(dims)}I", 0, 0, 0x0D, len(dims), *dims)
    with pytest.raises(CorruptFileError, match="more than the .* bytes allowed"):
        parse_idx(header + b"\0" * 64, "huge")
    path = tmp_path / "huge-idx.gz"
    path.write_bytes(gzip.compress(header + b"\0" * 64))
    with pytest.raises(CorruptFileError, match="more than the .* bytes allowed"):
        read_idx(path)
    # an honest header larger than the caller's bound is refused too
    with pytest.raises(CorruptFileError, match="more than the 100 bytes allowed"):
        read_idx_bytes = struct.pack(">BBBBI", 0, 0, 8, 1, 200) + bytes(200)
        parse_idx(read_idx_bytes, "small", max_bytes=100)


# ------------------------------------------------------------------------ downloads
@contextlib.contextmanager
def server():
    """/endless: bytes forever; /trickle: one byte every 50 ms; /oversize: announces 1 GB;
    /good: the real labels file."""
    body = open(os.path.join(RAW, LABELS), "rb").read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                self.send_response(200)
                if self.path.startswith("/oversize"):
                    self.send_header("Content-Length", str(1 << 30))
                    self.end_headers()
                    self.wfile.write(b"\0" * 1024)
                    return
                if self.path.startswith("/good"):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.end_headers()
                chunk, pause = (b"\0" * 65536, 0) if self.path.startswith("/endless") else (b"\0", 0.05)
                for _ in range(10**6):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if pause:
                        time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@requires_mnist  # the server also serves real MNIST labels
@pytest.mark.parametrize("route,message", [("endless", "goes past 100000 bytes"),
                                           ("trickle", "longer than its 1.5-second deadline"),
                                           ("oversize", "announces 1073741824 bytes")])
def test_endless_slow_and_oversized_responses_are_cut_off(route, message, tmp_path):
    with server() as url:
        start = time.monotonic()
        with pytest.raises(DownloadError, match=message):
            download_file(LABELS, tmp_path, [f"{url}/{route}/"], LABELS_MD5, timeout=5,
                          progress=False, max_bytes=100_000, deadline=1.5)
        assert time.monotonic() - start < 15
        assert os.listdir(tmp_path) == []  # no .partial file
        # the same limits let the real file through
        download_file(LABELS, tmp_path, [f"{url}/good/"], LABELS_MD5, timeout=5, progress=False,
                      max_bytes=100_000, deadline=30)
        assert os.listdir(tmp_path) == [LABELS]


def test_mnist_passes_its_known_sizes_to_the_download(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(datasets.mnist, "download_file", lambda *a, **k: calls.append(k))
    monkeypatch.setattr(datasets.mnist, "is_intact", lambda *a: False)
    ds = datasets.MNIST.__new__(datasets.MNIST)
    ds.root = str(tmp_path)
    ds.download()
    assert [c["max_payload"] for c in calls] == [47040016, 60008, 7840016, 10008]
    assert all(c["max_bytes"] <= 1.01 * c["max_payload"] + 1024 for c in calls)
    assert all(c["deadline"] > 0 for c in calls)


KILLED_DOWNLOAD = textwrap.dedent("""
    import sys
    from npgrad.vision.datasets import download_file
    print("starting", flush=True)
    download_file(sys.argv[1], sys.argv[2], [sys.argv[3]], "0" * 32, timeout=30, progress=False)
""")


@requires_mnist
def test_a_killed_download_leaves_a_partial_that_the_next_one_removes(tmp_path):
    with server() as url:
        proc = subprocess.Popen([sys.executable, "-c", KILLED_DOWNLOAD, LABELS, str(tmp_path),
                                 f"{url}/trickle/"], stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, PYTHONPATH=WORKTREE))
        try:
            assert proc.stdout.readline().strip() == "starting"
            deadline = time.monotonic() + 30
            while not os.listdir(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
            proc.stdout.close()
        left = os.listdir(tmp_path)
        assert len(left) == 1 and left[0].startswith(f".{LABELS}.partial-{proc.pid}-")
        with pytest.raises(DownloadError):  # even a failing download sweeps it up
            download_file(LABELS, tmp_path, [f"{url}/oversize/"], LABELS_MD5, timeout=5,
                          progress=False, max_bytes=1000)
        assert os.listdir(tmp_path) == []


@requires_mnist
def test_a_bomb_served_by_a_mirror_is_refused_by_its_payload_bound(tmp_path):
    payload = gzip.decompress(open(os.path.join(RAW, LABELS), "rb").read())
    bomb = tmp_path / "srv"
    bomb.mkdir()
    with gzip.open(bomb / LABELS, "wb") as f:
        f.write(payload)
        f.write(b"\0" * (50 << 20))
    body = (bomb / LABELS).read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        dest = tmp_path / "dest"
        with pytest.raises(DownloadError, match="larger than the 10008 bytes"):
            download_file(LABELS, dest, [f"http://127.0.0.1:{srv.server_address[1]}/"], LABELS_MD5,
                          timeout=5, progress=False, max_payload=10008)
        assert os.listdir(dest) == []
    finally:
        srv.shutdown()
        srv.server_close()
