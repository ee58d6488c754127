"""Variable-length sequences: padding them into one tensor, and packing them for the RNNs.

A ``PackedSequence`` stores the steps of a batch of sequences, longest first, time-major:
``data`` holds step 0 of every sequence, then step 1 of those still running, and so on;
``batch_sizes[t]`` says how many sequences have a step t. ``sorted_indices`` maps the packed
order to the caller's batch order (``unsorted_indices`` is its inverse).

Every conversion here is one differentiable gather: a table of row positions is built in
NumPy and the rows are picked with indexing (whose backward scatters the gradient back);
padding rows are taken from one extra row of ``padding_value`` appended to the data.
"""
from collections import namedtuple

from ..._backend import xp
from ..._tensor import Tensor, wrap
from ...ops import shape as shape_ops


def _long(array):
    return wrap(xp.asarray(array, dtype=xp.int64))


def _as_index_array(value):
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value._data.astype(xp.int64)
    if hasattr(value, "detach"):  # a torch tensor handed over by a mixed program
        return xp.asarray(value.detach().cpu().numpy(), dtype=xp.int64)
    return xp.asarray(value, dtype=xp.int64)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch lays them out."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _long(xp.argsort(_as_index_array(sorted_indices)))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def cpu(self):
        return self

    def float(self):
        return self._replace(data=self.data.float())

    def double(self):
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _with_pad_row(data, padding_value):
    """``data`` (N, *) with one more row of ``padding_value``: row N is the padding."""
    pad = wrap(xp.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data._data.dtype))
    return shape_ops.cat([data, pad], 0)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """A list of (L_i, *) tensors -> one (max L, B, *) tensor (or (B, max L, *)), padded."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(shape_ops.unbind(sequences, 0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    lengths = [int(s.shape[0]) for s in sequences]
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: all sequences must have the same trailing shape, got "
                f"{trailing} and {tuple(s.shape[1:])}"
            )
    T, B, total = max(lengths), len(lengths), sum(lengths)
    index = xp.full((T, B), total, dtype=xp.int64)  # default: the padding row
    start = 0
    for b, n in enumerate(lengths):
        offset = T - n if padding_side == "left" else 0
        index[offset:offset + n, b] = xp.arange(start, start + n)
        start += n
    if batch_first:
        index = index.T
    rows = _with_pad_row(shape_ops.cat(sequences, 0), padding_value)
    return rows[index.reshape(-1)].reshape(index.shape + trailing)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (T, B, *) (or (B, T, *)) and each sequence's length -> PackedSequence."""
    lengths = _as_index_array(lengths).reshape(-1)
    B = input.shape[0 if batch_first else 1]
    if lengths.shape[0] != B:
        raise ValueError(
            f"pack_padded_sequence: expected {B} lengths (one per sequence in the batch), got "
            f"{lengths.shape[0]}"
        )
    if enforce_sorted:
        if (xp.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
        order = xp.arange(B)
    else:
        order = xp.argsort(-lengths, kind="stable")
        sorted_indices = _long(order)
    lengths = lengths[order]
    if B and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    T = int(input.shape[1 if batch_first else 0])
    if B and lengths[0] > T:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(lengths[0])} exceeds the padded length {T}"
        )
    steps = int(lengths[0]) if B else 0
    batch_sizes = (lengths[None, :] > xp.arange(steps)[:, None]).sum(1)
    # row of step t of sorted sequence j in the flattened (T*B) or (B*T) input
    index = []
    for t in range(steps):
        cols = order[:batch_sizes[t]]
        index.append(cols * T + t if batch_first else t * B + cols)
    index = xp.concatenate(index) if index else xp.zeros(0, xp.int64)
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    return PackedSequence(flat[index], _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """PackedSequence -> (padded tensor (T, B, *) or (B, T, *), lengths int64 tensor), the
    batch back in the caller's order."""
    data, batch_sizes, sorted_indices, unsorted_indices = sequence
    sizes = _as_index_array(batch_sizes)
    steps, B = len(sizes), int(sizes[0]) if len(sizes) else 0
    T = steps
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being {steps}"
            )
        T = total_length
    n = int(sizes.sum())
    index = xp.full((T, B), n, dtype=xp.int64)
    start = 0
    for t, m in enumerate(sizes):
        index[t, :m] = xp.arange(start, start + m)
        start += m
    lengths = (sizes[None, :] > xp.arange(B)[:, None]).sum(1)  # per sorted sequence
    if unsorted_indices is not None:
        order = _as_index_array(unsorted_indices)
        index = index[:, order]
        lengths = lengths[order]
    if batch_first:
        index = index.T
    rows = _with_pad_row(data, padding_value)
    padded = rows[index.reshape(-1)].reshape(index.shape + tuple(data.shape[1:]))
    return padded, _long(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """A list of (L_i, *) tensors -> PackedSequence."""
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of ``pad_sequence``: a list of the unpadded (L_i, *) tensors."""
    lengths = _as_index_array(lengths)
    if not batch_first:
        padded_sequences = shape_ops.transpose(padded_sequences, 0, 1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """The inverse of ``pack_sequence``: a list of the (L_i, *) tensors."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# --- what the recurrent layers use: a packed batch as a padded (T, B, *) one and back
def packed_to_padded(data, batch_sizes):
    """Packed rows -> (T, B, *) in the packed (sorted) batch order, zeros past each end."""
    padded, _ = pad_packed_sequence(PackedSequence(data, batch_sizes, None, None))
    return padded


def padded_to_packed(padded, batch_sizes):
    """(T, B, *) in sorted order -> the packed rows."""
    sizes = _as_index_array(batch_sizes)
    B = padded.shape[1]
    index = xp.concatenate([t * B + xp.arange(m) for t, m in enumerate(sizes)])
    return padded.reshape((-1,) + tuple(padded.shape[2:]))[index]
