"""Helpers shared by the tests: move values between npgrad and torch, and compare them.

PyTorch is the oracle: a test builds the same input for both libraries, runs the same code,
and checks that npgrad's values, dtypes, shapes and gradients equal torch's.
"""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import npgrad

#: ../shared beside the checkout (as this project's CI lays it out), or $NPGRAD_SHARED
SHARED = Path(os.environ.get("NPGRAD_SHARED", Path(__file__).resolve().parents[2] / "shared"))

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _mnist_candidates():
    """Where a user may have MNIST (torchvision's layout: ROOT/MNIST/raw/*.gz), in order."""
    from npgrad.vision.datasets.root import default_root  # $NPGRAD_DATA, else ~/.cache/npgrad

    if os.environ.get("NPGRAD_TEST_DATA"):
        yield os.environ["NPGRAD_TEST_DATA"]
    yield str(SHARED / "data")
    yield default_root()


def _find_mnist():
    for root in _mnist_candidates():
        if all(os.path.isfile(os.path.join(root, "MNIST", "raw", f)) for f in MNIST_FILES):
            return root
    return None


#: the MNIST data root for tests, or None when no candidate holds the four files
DATA = _find_mnist()
_WHERE = ", ".join(dict.fromkeys(_mnist_candidates()))
#: tests that read real MNIST: skipped, with where to put it, when it is nowhere
requires_mnist = pytest.mark.skipif(
    DATA is None,
    reason=f"MNIST not found in any of: {_WHERE} (run `npgrad train --download`, or put the "
           f"four .gz files in ROOT/MNIST/raw/ and set NPGRAD_TEST_DATA=ROOT)")
if os.environ.get("CI") and (DATA is None or not (SHARED / "seeds").is_dir()):
    # CI has ../shared beside the checkout: there, every test must run, none may skip
    raise RuntimeError(f"CI: MNIST or the seeds are missing (looked in {_WHERE}, {SHARED})")

#: tolerances per dtype: float32 results may differ in the last bits (summation order)
TOLERANCE = {
    np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
    np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12),
}


def dtype_name(dtype):
    """'float32' for npgrad.float32 and for torch.float32 alike."""
    return str(dtype).split(".")[-1]


def to_numpy(t):
    """The values of an npgrad or torch tensor as a NumPy array."""
    return t.detach().numpy()


def pair(array, requires_grad=False):
    """The same values as an npgrad tensor and as a torch tensor (separate copies)."""
    array = np.asarray(array)
    grad = requires_grad and array.dtype.kind == "f"
    ours = npgrad.tensor(array.copy(), requires_grad=grad)
    theirs = torch.tensor(array.copy(), requires_grad=grad)
    return ours, theirs


def assert_same(ours, theirs, what="value", rtol=None, atol=None):
    """npgrad tensor ``ours`` equals torch tensor ``theirs``: shape, dtype and values."""
    assert isinstance(ours, npgrad.Tensor), f"{what}: expected an npgrad.Tensor, got {type(ours)}"
    assert tuple(ours.shape) == tuple(theirs.shape), (
        f"{what}: shape {tuple(ours.shape)} != torch's {tuple(theirs.shape)}"
    )
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), (
        f"{what}: dtype {ours.dtype} != torch's {theirs.dtype}"
    )
    a, b = to_numpy(ours), to_numpy(theirs)
    if a.dtype.kind == "f":
        tol = TOLERANCE.get(a.dtype, dict(rtol=1e-3, atol=1e-3))
        tol = dict(rtol=rtol or tol["rtol"], atol=atol or tol["atol"])
        np.testing.assert_allclose(a, b, err_msg=what, **tol)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A test that fails inside ``no_grad`` must not leave recording off for the next one."""
    yield
    npgrad.set_grad_enabled(True)
    torch.set_grad_enabled(True)
