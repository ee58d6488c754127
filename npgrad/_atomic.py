"""Writing a file so that its name holds either the old content or the complete new one.

``atomic_writer(path)`` hands out a temporary file beside the target, named
``.NAME.npgrad-tmp-PID-RANDOM`` so that anyone can tell what it is and which process made
it. On success it is fsynced and renamed over the target (``os.replace`` is atomic); on any
error, Ctrl-C included, it is removed. Only SIGKILL or a power cut can leave one behind, so
every new temporary file first sweeps the folder for those of processes that no longer exist
(``remove_stale``). The target keeps its permission bits, and a symlink is written through
to the file it points at (the link stays a link).
"""
import contextlib
import os
import re
import secrets
import shutil

TAG = "npgrad-tmp"
_STALE = re.compile(r"^\.(?P<name>.+)\.(?P<tag>[a-z-]+)-(?P<pid>\d+)-[0-9a-f]+$")


def temp_name(final, tag=TAG):
    """A fresh, recognisable temporary path beside ``final``."""
    folder, name = os.path.split(final)
    return os.path.join(folder, f".{name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")


def pid_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process (or we cannot tell): keep its file
    return True


def remove_stale(folder, tag=TAG):
    """Delete the temporary files (of ``tag``) that dead processes left in ``folder``.
    Returns the names removed. Never raises: cleaning up is best effort."""
    removed = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return removed
    for name in names:
        m = _STALE.match(name)
        if m and m["tag"] == tag and not pid_alive(int(m["pid"])):
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)  # a staging folder (npgrad train's --out)
                else:
                    os.unlink(path)
                removed.append(name)
    return removed


def resolve_target(path):
    """The file a save to ``path`` must replace: a symlink's final target, else ``path``."""
    path = os.path.abspath(os.fspath(path))
    return os.path.realpath(path) if os.path.islink(path) else path


@contextlib.contextmanager
def atomic_writer(path, tag=TAG):
    """``with atomic_writer(path) as f: f.write(...)`` - all of it lands at ``path``, or none."""
    final = resolve_target(path)
    folder = os.path.dirname(final)
    remove_stale(folder, tag)
    tmp = temp_name(final, tag)
    try:
        mode = os.stat(final).st_mode & 0o7777
    except OSError:
        mode = None
    # O_EXCL never reuses a name; O_CREAT with 0o666 gives the umask's usual permissions
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                with contextlib.suppress(OSError, AttributeError):
                    os.fchmod(f.fileno(), mode)  # keep the old file's permissions
            yield f
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def fsync_folder(folder):
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
