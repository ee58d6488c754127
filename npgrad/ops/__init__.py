"""Every differentiable op, its forward beside its backward, grouped by kind."""
from . import activation, arithmetic, inplace, linalg, logical, reduction, shape, unary  # noqa: F401
from . import dtype_view, fmod  # noqa: F401,E402
