"""Progress bars: tqdm when it is installed, silence (and a line per epoch) when it is not.

tqdm is an optional extra (``pip install npgrad[extras]``). The Learner wraps each epoch's
batches in ``progress(...)``; with tqdm that is a live bar on stderr showing the batch count,
speed and the running loss, which the Learner refreshes every few batches (not every batch:
formatting a postfix costs more than NumPy's work on a small batch). Without tqdm the
wrapper hands the batches through untouched and the epoch's summary line is all you see.
"""
import sys

__all__ = ["progress", "has_tqdm"]


def has_tqdm():
    """True when the tqdm package can be imported."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class _Silent:
    """The stand-in bar: iterates, ignores postfixes, prints nothing."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix_str(self, text, refresh=True):
        pass

    def close(self):
        pass


def progress(iterable, total=None, desc=None, enabled=True, leave=False):
    """Wrap ``iterable`` in a tqdm bar (on stderr) when tqdm is installed and ``enabled``.

    The returned object iterates like ``iterable`` and has ``set_postfix_str`` and ``close``.
    """
    if not enabled:
        return _Silent(iterable)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Silent(iterable)
    # disable=None: no bar when stderr is not a terminal (a log file, a pipe, a test)
    return tqdm(iterable, total=total, desc=desc, leave=leave, file=sys.stderr,
                dynamic_ncols=True, mininterval=0.25, disable=None)
