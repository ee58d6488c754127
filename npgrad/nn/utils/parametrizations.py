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

    def old_spelling(state_dict, prefix):
        # a checkpoint of the older weight_norm: name_g/name_v are original0/original1
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    parametrize.add_load_hook(module, old_spelling)
    return module
