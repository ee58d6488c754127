"""``npgrad.nn.functional`` (``F``): the stateless versions of the layers and losses."""
from ..ops.linalg import linear  # noqa: F401
from ..ops.unary import relu, sigmoid, tanh  # noqa: F401
