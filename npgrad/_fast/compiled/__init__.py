"""Compiled twins of named NumPy functions (the optional ``[fast]`` extra: numba).

numba is imported lazily, at the first kernel use, never by ``import npgrad``."""
import importlib.util


def available():
    """Is numba installed? (Looked up without importing it.)"""
    return importlib.util.find_spec("numba") is not None
