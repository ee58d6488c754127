"""The errors ``npgrad.load`` raises for files it will not load."""
import pickle

from .._errors import CorruptFileError


class CheckpointError(CorruptFileError):
    """A checkpoint that is malformed, truncated, damaged or of an unknown format. A
    ``ValueError``: every file ``npgrad.load`` refuses raises this (or the subclass below),
    with a message naming the file and what is wrong."""


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A PyTorch checkpoint that needs more than weights: it names a Python global (a class
    or function) outside the allowlist. Also a ``pickle.UnpicklingError``, as in PyTorch."""
