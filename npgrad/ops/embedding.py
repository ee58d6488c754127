"""Embedding lookup: rows of a weight table picked by integer indices.

Forward is fancy indexing, ``weight[indices]``. Backward scatters each output row's gradient
back onto the row it came from, adding where an index repeats (``np.add.at``).
"""
from .._backend import xp
from ..autograd.function import Op


class Embedding(Op):
    def forward(self, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        self.saved = (indices,)
        self.shape = weight.shape
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        (indices,) = self.saved
        flat = indices.reshape(-1)
        rows = grad.reshape(-1, self.shape[1])
        if self.scale_grad_by_freq:  # divide each row's gradient by its index's count
            counts = xp.bincount(flat, minlength=self.shape[0])
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        gw = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(gw, flat, rows)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0  # the padding row never learns
        return gw, None
