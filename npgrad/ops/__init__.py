"""Every differentiable op, its forward beside its backward, grouped by kind."""
from . import arithmetic, inplace, linalg, logical, reduction, shape, unary  # noqa: F401
