"""Flatten a model's parameters into one vector and back (e.g. for line searches)."""
from ..._tensor import Tensor, wrap
from ...ops import shape as shape_ops


def _check(t):
    if not isinstance(t, Tensor):
        raise TypeError(f"expected npgrad.Tensor, but got: {type(t).__name__}")


def parameters_to_vector(parameters):
    """All parameters, flattened and concatenated in order, as one 1-D tensor."""
    flat = []
    for p in parameters:
        _check(p)
        flat.append(shape_ops.reshape(p, (-1,)))
    return shape_ops.cat(flat)


def vector_to_parameters(vec, parameters):
    """Slice ``vec`` back into the parameters (each parameter's data becomes a view of it)."""
    _check(vec)
    pointer = 0
    for p in parameters:
        _check(p)
        n = p._data.size
        p.data = wrap(vec._data[pointer : pointer + n].reshape(p._data.shape))
        pointer += n
