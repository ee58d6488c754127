"""Downloads that never leave a bad file behind, and the checksums that prove it.

``download_file`` tries each mirror in turn. From one mirror it

1. streams the bytes into a hidden temporary file ``.NAME.partial-PID-XXXX`` in the
   destination folder (with a progress bar: tqdm's when it is installed, a plain one
   otherwise), stopping at an overall ``deadline`` and at ``max_bytes`` (the most the file
   can be: an endless or oversized response is cut off, not written to disk without end),
2. checks it got as many bytes as the server announced,
3. checks the MD5 of the *decompressed* payload (or of the file, for datasets whose
   published checksums are of the ``.gz`` files),
4. and only then renames it into place: ``os.replace`` is atomic, so the final path holds
   either nothing or a verified file, never half of one.

Any failure deletes the temporary file and moves on to the next mirror; a download killed
outright (SIGKILL) leaves its temporary file, which the next download into that folder
removes (its process is gone). When every mirror
fails, ``DownloadError`` lists each URL with its error and says where to put the file by hand.
``urllib`` and ``tqdm`` are imported only when a download starts, so ``import npgrad.vision``
stays fast.
"""
import contextlib
import gzip
import hashlib
import os
import sys
import time
import zlib

from ..._atomic import remove_stale, temp_name
from .idx import CorruptFileError

PARTIAL = "partial"  # the tag in temporary files' names: .NAME.partial-PID-XXXX

_CHUNK = 1 << 20


class ChecksumError(CorruptFileError):
    """A file whose MD5 is not the published one."""


class DownloadError(RuntimeError):
    """Every mirror failed; ``failures`` holds ``(url, error)`` pairs, in the order tried."""

    def __init__(self, message, failures):
        super().__init__(message)
        self.failures = failures


class IncompleteDownload(OSError):
    """The connection closed before the announced number of bytes arrived."""


class DownloadLimitError(OSError):
    """A response larger than the file can be, or slower than the overall deadline."""



def _mirror_errors():
    """What a bad mirror can throw at us: network errors (URLError, HTTPError, timeouts and
    refused connections are all OSErrors), a broken HTTP exchange, and bad bytes."""
    import http.client  # imported here: it is slow to import and only downloads need it

    return (OSError, http.client.HTTPException, CorruptFileError, EOFError, zlib.error)


def md5_of(path, checksum_of="payload", max_bytes=None, gzipped=None):
    """The hex MD5 of ``path``'s payload (decompressed if it is a ``.gz``), or of the file's
    own bytes when ``checksum_of="file"``. Reads in chunks: memory stays flat; a payload
    inflating past ``max_bytes`` is refused there (a gzip bomb)."""
    digest = hashlib.md5()
    name = os.path.basename(str(path))
    if gzipped is None:
        gzipped = str(path).endswith(".gz")
    opener = gzip.open if checksum_of == "payload" and gzipped else open
    seen = 0
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                seen += len(chunk)
                if max_bytes is not None and seen > max_bytes:
                    raise CorruptFileError(f"{name}: its payload is larger than the {max_bytes} "
                                           "bytes this file can hold (a gzip bomb?)")
    except EOFError:
        raise CorruptFileError(f"{name}: the gzip stream ends early (the file is truncated)") from None
    except (gzip.BadGzipFile, zlib.error) as e:  # not gzip, bad deflate data, CRC mismatch
        raise CorruptFileError(f"{name}: not a valid gzip file ({e})") from None
    return digest.hexdigest()


def check_md5(path, md5, checksum_of="payload", max_bytes=None, gzipped=None):
    """Raise ``ChecksumError`` unless ``path`` has the MD5 ``md5``."""
    actual = md5_of(path, checksum_of, max_bytes, gzipped)
    if actual != md5:
        raise checksum_error(path, actual, md5, checksum_of)


def checksum_error(path, actual, expected, checksum_of="payload"):
    what = "decompressed payload" if checksum_of == "payload" else "file"
    return ChecksumError(
        f"{os.path.basename(str(path))}: the MD5 of its {what} is {actual}, expected {expected}: "
        f"the file is corrupt or not the one expected ({path})"
    )


def download_file(filename, folder, mirrors, md5, checksum_of="payload", timeout=30.0,
                  progress=True, *, max_bytes=None, deadline=1800.0, max_payload=None):
    """Download ``filename`` into ``folder`` from the first of ``mirrors`` (base URLs) that
    serves it intact. Returns the final path. Raises ``DownloadError`` if none does.

    ``timeout``: seconds a mirror may stay silent; ``deadline``: seconds one mirror may take
    in all (default half an hour); ``max_bytes``: the most bytes the file can be - pass the
    file's known size; ``max_payload``: the most its decompressed payload can be (None:
    unbounded)."""
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, filename)
    remove_stale(folder, PARTIAL)  # what killed downloads left behind
    failures, mirror_errors = [], _mirror_errors()
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            _fetch_verified(url, final, md5, checksum_of, timeout, progress,
                            max_bytes, deadline, max_payload)
            return final
        except mirror_errors as error:
            failures.append((url, error))
            if progress:
                print(f"Failed to download {url} (trying the next mirror): {error}", file=sys.stderr)
    tried = "\n".join(f"  {url}\n    -> {type(e).__name__}: {e}" for url, e in failures)
    checksum = (f"the MD5 of its decompressed payload must be {md5}" if checksum_of == "payload"
                else f"its MD5 must be {md5}")
    raise DownloadError(
        f"Could not download {filename}: every mirror failed.\nTried:\n{tried or '  (no mirrors)'}\n"
        f"To install it by hand, fetch {filename} from any mirror and place it at\n  {final}\n"
        f"({checksum}).",
        failures,
    )


def _fetch_verified(url, final, md5, checksum_of, timeout, progress, max_bytes=None,
                    deadline=None, max_payload=None):
    """Stream ``url`` to a temporary file beside ``final``, verify it, rename it into place.
    The temporary file is removed on every failure, Ctrl-C included."""
    folder, filename = os.path.split(final)
    tmp = temp_name(final, PARTIAL)  # hidden, unique, and naming its process
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(url, out, timeout, progress, filename, max_bytes, deadline)
        check_md5(tmp, md5, checksum_of, max_payload, gzipped=final.endswith(".gz"))
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _stream(url, out, timeout, progress, label, max_bytes=None, deadline=None):
    """Copy the body at ``url`` into the open file ``out``, showing progress; stop with
    ``DownloadLimitError`` past ``max_bytes`` or after ``deadline`` seconds in all."""
    import urllib.request

    start = time.monotonic()
    request = urllib.request.Request(url, headers={"User-Agent": "npgrad"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if max_bytes is not None and total is not None and total > max_bytes:
            raise DownloadLimitError(f"the server announces {total} bytes, more than the "
                                     f"{max_bytes} this file can be")
        received = 0
        with _progress_bar(total, label, progress) as bar:
            # read1: whatever has arrived (not a blocking read of a whole chunk), so a
            # trickling server is checked against the deadline as the bytes come
            while chunk := response.read1(_CHUNK):
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise DownloadLimitError(f"the response goes past {max_bytes} bytes, more "
                                             "than this file can be")
                out.write(chunk)
                bar.update(len(chunk))
                if deadline is not None and time.monotonic() - start > deadline:
                    raise DownloadLimitError(f"the download took longer than its {deadline:g}-second "
                                             f"deadline ({received} bytes received)")
    if total is not None and received != total:
        raise IncompleteDownload(f"transfer interrupted: received {received} of {total} bytes")


def _progress_bar(total, label, enabled):
    if not enabled:
        return _SilentBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(total, label)
    return tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                file=sys.stderr, leave=False)


class _SilentBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


class _PlainBar(_SilentBar):
    """A progress line on stderr, for when tqdm is not installed: redrawn every 5%."""

    def __init__(self, total, label):
        self.total, self.label, self.done, self.shown = total, label, 0, -1

    def update(self, n):
        self.done += n
        if self.total:
            percent = 100 * self.done // self.total
            if percent >= self.shown + 5 or percent == 100:
                self.shown = percent
                print(f"\r{self.label}: {percent:3d}% of {self.total / 1e6:.1f} MB",
                      end="", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        print(file=sys.stderr)
        return False
