"""``Dropout`` and ``Dropout2d``: randomly zero activations (or whole channels) while training."""
from .. import functional as F
from ..module import Module


class Dropout(Module):
    """Zeroes each element with probability ``p`` in training and scales the rest by
    1 / (1 - p) ("inverted" dropout), so that ``eval()`` mode is simply the identity."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zeroes whole channels (feature maps) with probability ``p`` while training and scales
    the kept ones by 1 / (1 - p); the identity in ``eval()`` mode."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)
