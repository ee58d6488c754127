"""``nn.utils.weight_norm`` (PyTorch's older, hook-based spelling; deprecated there in favour
of ``nn.utils.parametrizations.weight_norm``): the parameter ``name`` is replaced by
``name_g`` (its magnitude) and ``name_v`` (its direction), and a forward pre-hook recomputes
``module.name = g * v / ||v||`` before every forward.

    m = weight_norm(nn.Linear(20, 40))   # m.weight_g: (40, 1), m.weight_v: (40, 20)
"""
import warnings

from ..parameter import Parameter
from ._weight_norm_math import check_dim, norm_except_dim, weight_norm_value

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook: recomputes the weight from ``name_g`` and ``name_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = check_dim(dim)

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_value(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)  # AttributeError naming the module, as PyTorch's
        g = norm_except_dim(weight, fn.dim).detach()
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(g.clone()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Weight normalization (https://arxiv.org/abs/1602.07868) of ``module.<name>``: the
    norm per slice of ``dim`` (0: per output channel), or of the whole tensor with
    ``dim=None``. Returns ``module``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm``: ``module.<name>`` is a Parameter again, with the current value."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
