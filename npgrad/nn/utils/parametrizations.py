"""``nn.utils.parametrizations.weight_norm``: PyTorch 2.x's weight normalization, built on
``parametrize``. The weight is kept as ``parametrizations.weight.original0`` (its magnitude
g) and ``original1`` (its direction v), and ``module.weight`` reads ``g * v / ||v||`` on
every access (``parametrize.cached()`` computes it once per block)."""
from ..module import Module
from . import parametrize
from ._weight_norm_math import check_dim, norm_except_dim, weight_norm_value

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = check_dim(dim)

    def forward(self, weight_g, weight_v):
        return weight_norm_value(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalization (https://arxiv.org/abs/1602.07868) of ``module.<name>``, per
    slice of ``dim`` (0: per output channel), or over the whole tensor with ``dim=None``.
    Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module
