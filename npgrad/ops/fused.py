"""Layers that run as one op where a fused kernel exists: ``Linear -> ReLU (-> Dropout)``.

``nn.Sequential`` hands such a run of layers to ``linear_relu``. On the reference and NumPy
paths it is exactly the three ops in a row (``linear``, ``relu``, ``dropout``); with the
compiled kernels of ``[fast]`` it is one node whose bias, ReLU and dropout mask are a single
pass forward and backward (``npgrad/_fast/compiled/functions.py``), bit for bit the same
numbers and the same dropout stream.

An automatic rewrite inside ``Sequential``, rather than a fused module the user must choose:
the tutorials' models are ``nn.Sequential(nn.Linear, nn.ReLU, ...)`` and should get faster as
they are written. Modules with hooks, subclasses and other inputs are left alone.
"""
from .. import _fast
from .._fast import inference as array_path
from ..autograd import grad_mode
from ..random import get_rng
from . import activation, linalg


def enabled():
    """Is there a fused kernel to run (the compiled path is on)?"""
    return _fast.use_compiled()


def linear_relu(x, weight, bias, p=0.0, training=False):
    """``dropout(relu(linear(x, weight, bias)), p, training)``."""
    drop = training and p > 0
    fused = _fast.compiled_op("LinearReLU")
    if fused is not None and p < 1:
        if _fast.compiled_op("linear_relu_fits")(x._data, weight._data, bias._data):
            shape = (x._data.shape[0], weight._data.shape[0])
            mask = activation.dropout_mask(shape, p, x._data.dtype, get_rng()) if drop else None
            return fused.apply(x, weight, bias, mask)
    out = activation.relu(linalg.linear(x, weight, bias))
    return activation.dropout(out, p, True) if drop else out


def inference(modules, x):
    """A Sequential's ``modules`` on ``x`` straight through the arrays when no graph is
    recorded (``npgrad/_fast/inference.py``), or None where that path does not apply."""
    if grad_mode._enabled or not _fast.use_fast():
        return None
    return array_path.run(modules, x)


def register_layers(linear, relu, flatten, dropout):
    """nn's layer classes for the array path (nn sits above ops and ``_fast``)."""
    array_path.STEPS.update({linear: array_path.LinearStep, relu: array_path.ReLUStep,
                             flatten: array_path.FlattenStep, dropout: array_path.DropoutStep})
