"""``Mish``: x * tanh(softplus(x)) (``torch.nn.modules.activation``)."""
from .. import functional as F
from ..module import Module


class Mish(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""
