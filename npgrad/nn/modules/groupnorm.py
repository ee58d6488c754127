"""``GroupNorm``: normalize channels in groups, per sample (``torch.nn.modules.normalization``)."""
from .. import functional as F
from ..module import Module
from .normalization import affine_parameters, reset_affine


class GroupNorm(Module):
    """``GroupNorm(num_groups, num_channels)``: statistics over each group of
    ``num_channels // num_groups`` channels and all positions of one sample; ``weight`` (ones)
    and ``bias`` (zeros) per channel when ``affine``. Same in train and eval."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        affine_parameters(self, num_channels, dtype, affine, bias)

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
