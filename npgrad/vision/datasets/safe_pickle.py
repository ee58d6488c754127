"""Reading pickles that hold only NumPy arrays and plain containers, and nothing else.

A pickle can name any importable function and call it while it loads: a downloaded ``.pkl``
could run ``os.system``. ``load`` refuses every global outside a short allowlist: what
NumPy needs to rebuild an array (``_reconstruct``, ``ndarray``, ``dtype``) and
``_codecs.encode``, which Python 3 writes for ``bytes`` in the old protocol 2 that the CIFAR
files use. Lists, dicts, tuples, strings, bytes and numbers need no global at all. Anything
else raises ``UnsafePickleError`` before it is imported, let alone called.
"""
import pickle

ALLOWED = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),   # arrays pickled by NumPy 1.x (the CIFAR files)
    ("numpy._core.multiarray", "_reconstruct"),  # ... and by NumPy 2.x
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # bytes in protocol 2 from Python 3: encode(str, 'latin1')
})


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global that ``load`` does not allow."""


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose ``find_class`` allows only ``ALLOWED`` (see the module docstring)."""

    source = "pickle"

    def find_class(self, module, name):
        if (module, name) not in ALLOWED:
            raise UnsafePickleError(
                f"{self.source}: refusing to load global {module}.{name}: only NumPy arrays and "
                f"plain lists/dicts/strings/numbers are allowed in a dataset file (a pickle that "
                f"names other functions could run code while loading)")
        return _resolve(module, name)


def _resolve(module, name):
    """The allowed object itself (NumPy 1.x's ``numpy.core`` path read as NumPy 2's
    ``numpy._core``, without importing the deprecated alias)."""
    import codecs

    import numpy as np

    if name == "_reconstruct":
        return np.ndarray.__reduce__(np.zeros(0))[0]  # numpy's own _reconstruct, wherever it lives
    return {"ndarray": np.ndarray, "dtype": np.dtype, "encode": codecs.encode}[name]


def load(f, source="pickle", encoding="latin1"):
    """Unpickle the open binary file ``f`` with the allowlist; ``source`` names it in errors."""
    unpickler = RestrictedUnpickler(f, encoding=encoding)
    unpickler.source = source
    return unpickler.load()
