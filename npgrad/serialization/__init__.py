"""Checkpoints: ``npgrad.save(obj, f)`` and ``npgrad.load(f)`` - safe, atomic, portable.

Two formats, and the rule that picks one when saving:

- **safetensors** (``safetensors.py``): only numbers and JSON, with a SHA-256 checksum.
  Written for ``.safetensors`` paths, and for any other path or file object when ``obj`` is
  plain data (tensors, arrays, numbers, strings, None, dicts/lists/tuples of them).
- **PyTorch's zip format** (``torchfile.py``): what ``torch.save`` writes and
  ``torch.load(weights_only=True)`` reads. Written for ``.pt``, ``.pth``, ``.bin``,
  ``.ckpt`` and ``.pkl`` paths, and for objects safetensors cannot describe (a whole
  module). ``format="torch"`` or ``format="safetensors"`` overrides the rule.

Loading tells the formats apart by their first bytes, not by the name. PyTorch files are
read as ``torch.load`` does since PyTorch 2.6: ``weights_only=True`` by default, so only
tensors, containers, numbers, strings and the globals you allowlist
(``add_safe_globals``, ``safe_globals``) are built and nothing else is imported or run.
``weights_only=False`` unpickles anything, which **executes code from the file**: use it
only for files you trust.

Saving to a path is atomic (``npgrad._atomic``): a temporary ``.NAME.npgrad-tmp-PID-XXXX``
beside the target is written, fsynced and renamed over it; the target keeps its permission
bits and a symlink is written through. Every refused file raises ``CheckpointError`` (a
``ValueError``; ``WeightsOnlyError`` for unallowed globals) naming the file and the problem.
"""
import os

from .errors import CheckpointError, WeightsOnlyError
from .pickle_safe import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "CheckpointError", "WeightsOnlyError"]

TORCH_EXTENSIONS = (".pt", ".pth", ".bin", ".ckpt", ".pkl")
FORMATS = ("safetensors", "torch")


def _format_for(obj, f, format):
    from .safetensors import is_plain

    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"npgrad.save: format={format!r}; expected one of {FORMATS}")
        return format
    if not hasattr(f, "write"):
        name = os.fspath(f)
        name = name.decode() if isinstance(name, bytes) else name
        ext = os.path.splitext(name)[1].lower()
        if ext == ".safetensors":
            return "safetensors"
        if ext in TORCH_EXTENSIONS:
            return "torch"
    return "safetensors" if is_plain(obj) else "torch"


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format=None):
    """Save ``obj`` to ``f`` (a path or a binary file object); see the module docstring for
    which format. torch.save's keywords apply to the torch format only."""
    import pickle

    fmt = _format_for(obj, f, format)
    torch_kw = (pickle_module is not None or pickle_protocol != 2
                or _use_new_zipfile_serialization is not True or _disable_byteorder_record)
    if fmt == "safetensors":
        if torch_kw:
            raise TypeError("npgrad.save: pickle options do not apply to the safetensors format, "
                            "which never pickles; save to a .pt/.pth path or pass format='torch'")
        from .safetensors import save_safetensors as write
    else:
        if pickle_module not in (None, pickle) or pickle_protocol not in (2, 3, 4):
            raise TypeError("npgrad.save: the torch format supports pickle_module=pickle and "
                            f"pickle_protocol 2..4, got {pickle_module!r}, {pickle_protocol!r}")
        if not _use_new_zipfile_serialization:
            raise TypeError("npgrad.save: the legacy (non-zip) torch format is not written; "
                            "leave _use_new_zipfile_serialization=True")
        from .torchfile import save_torch_zip

        def write(o, fh):
            save_torch_zip(o, fh, protocol=pickle_protocol)
    if hasattr(f, "write"):
        write(obj, f)
        return
    from .._atomic import atomic_writer

    if fmt == "torch":  # pickle before opening the file: an unpicklable object writes nothing
        import io

        buf = io.BytesIO()
        write(obj, buf)
        with atomic_writer(f) as fh:
            fh.write(buf.getbuffer())
        return
    with atomic_writer(f) as fh:
        write(obj, fh)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load a checkpoint from a path or a binary file object: safetensors (any tool's) or
    PyTorch's zip format, told apart by content. ``weights_only`` (default True) applies to
    PyTorch files as in ``torch.load``; ``map_location`` may only name the CPU."""
    import pickle

    if pickle_load_args and set(pickle_load_args) - {"encoding"}:
        raise TypeError(f"npgrad.load() got unexpected keyword arguments {sorted(pickle_load_args)}")
    if pickle_module not in (None, pickle):
        raise TypeError("npgrad.load: pickle_module must be None or pickle")
    _check_map_location(map_location)
    if weights_only not in (None, True, False) or mmap not in (None, True, False):
        raise TypeError("npgrad.load(): weights_only and mmap must be True, False or None")
    weights_only = weights_only is not False
    if hasattr(f, "read"):
        return _load_open(f, str(getattr(f, "name", "<file object>")), weights_only)
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return _load_open(fh, path, weights_only)


def _load_open(fh, name, weights_only):
    import io

    try:
        start = fh.tell()
        head = fh.read(9)
        fh.seek(start)
    except (AttributeError, OSError, ValueError):  # not seekable: read it whole
        fh = io.BytesIO(fh.read())
        head = fh.getvalue()[:9]
    from .torchfile import ZIP_MAGIC, load_torch_zip

    if head[:4] in ZIP_MAGIC:
        return load_torch_zip(fh, name, weights_only)
    looks_safetensors = head[8:9] == b"{"  # 8-byte length, then the JSON header
    from .legacy import load_torch_legacy, looks_legacy

    if not looks_safetensors and looks_legacy(head):
        return load_torch_legacy(fh, name, weights_only)
    if not looks_safetensors and head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise CheckpointError(
            f"npgrad.load: {name!r} is not a valid checkpoint: it is a bare Python pickle, not "
            "a checkpoint (npgrad reads safetensors, PyTorch's zip format and its legacy "
            "pickle-stream format); in PyTorch, load it and save it again with torch.save")
    from .safetensors import load_safetensors

    return load_safetensors(fh, name)


def _check_map_location(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return  # a function or dict remaps devices; with only the CPU there is nothing to do
    if str(map_location).split(":")[0] != "cpu":
        raise ValueError(
            f"npgrad.load: map_location={map_location!r} is not available; npgrad computes on "
            "the CPU only (use map_location='cpu' or leave it out)"
        )
