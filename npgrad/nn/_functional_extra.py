"""More of ``npgrad.nn.functional``: ``group_norm``, ``instance_norm``, ``mish``,
``bilinear``, ``cosine_similarity``, ``pairwise_distance``, ``embedding_bag``.

Each is written with tensor ops that already have their backward, so their gradients come
from the engine; ``npgrad.nn.functional`` re-exports them.
"""
import math

from .._backend import xp
from .._tensor import Tensor, wrap
from ..ops import activation, arithmetic, reduction, unary
from ..ops.einsum import einsum
from ..ops.scatter import index_add


# ---------------------------------------------------------------------- normalization
def _normalize(x, axes, eps):
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    return centered * unary.rsqrt(var + eps)


def _affine(y, weight, bias, ndim):
    shape = (1, -1) + (1,) * (ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample's channels in ``num_groups`` groups (statistics over the group's
    channels and all spatial positions), then scale and shift per channel."""
    shape = tuple(input.shape)
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected at least 2 dimensions for input tensor but received {input.ndim} (shape {shape})")
    n, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {list(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"group_norm: expected {name} to be a vector of size equal to the number of "
                               f"channels in input ({c}), but got {name} of shape {list(t.shape)}")
    grouped = input.reshape(n, num_groups, -1)
    y = _normalize(grouped, 2, eps).reshape(shape)
    return _affine(y, weight, bias, len(shape))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) over its spatial positions. With ``use_input_stats``
    and running buffers given, the buffers move towards the batch's average statistics (in
    place); without ``use_input_stats`` the running statistics normalize."""
    shape = tuple(input.shape)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input with at least 3 dims (N, C, ...), got shape {shape}")
    axes = tuple(range(2, len(shape)))
    spatial = math.prod(shape[2:])
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        view = (1, -1) + (1,) * (len(shape) - 2)
        mean = running_mean.detach().reshape(view).type(input.dtype)
        var = running_var.detach().reshape(view).type(input.dtype)
        return _affine((input - mean) * unary.rsqrt(var + eps), weight, bias, len(shape))
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(shape)}")
    if running_mean is not None or running_var is not None:
        data = input._data
        mean = data.mean(axis=axes)
        var = data.var(axis=axes, ddof=1)
        if running_mean is not None:
            rm = running_mean._data
            rm[...] = ((1 - momentum) * rm + momentum * mean.mean(0)).astype(rm.dtype)
        if running_var is not None:
            rv = running_var._data
            rv[...] = ((1 - momentum) * rv + momentum * var.mean(0)).astype(rv.dtype)
    return _affine(_normalize(input, axes, eps), weight, bias, len(shape))


# ---------------------------------------------------------------------- activation
def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    out = input * unary.tanh(activation.softplus(input))
    if inplace:
        from ..ops import inplace as _inplace

        return _inplace._take_over(input, out) if _inplace._records(input) else input.copy_(out.detach())
    return out


# ---------------------------------------------------------------------- bilinear, distances
def bilinear(input1, input2, weight, bias=None):
    """y[..., k] = input1[..., :] @ weight[k] @ input2[..., :] + bias[k]."""
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} "
                           f"and {list(input2.shape[:-1])}")
    if weight.ndim != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(f"bilinear(): weight of shape {list(weight.shape)} does not fit input1 "
                           f"{list(input1.shape)} and input2 {list(input2.shape)} (expected "
                           f"[out, {input1.shape[-1]}, {input2.shape[-1]}])")
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise RuntimeError(f"bilinear(): bias size {list(bias.shape)} does not match weight size {weight.shape[0]}")
        out = out + bias
    return out


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1/max(|x1|, eps) * x2/max(|x2|, eps)) along ``dim`` (inputs broadcast)."""
    shape = xp.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    if not shape and dim not in (0, -1):
        raise IndexError(f"cosine_similarity: Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = reduction.norm(x1, 2, dim, keepdim=True).clamp(min=eps)
    n2 = reduction.norm(x2, 2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """|| x1 - x2 + eps ||_p along the last dim."""
    nd = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    if nd == 0:
        return reduction.norm(diff.reshape(1), p, -1, keepdim=False).reshape(()) if not keepdim else diff.abs()
    if p == 0:
        return (diff != 0).type(diff.dtype).sum(-1, keepdim=keepdim)
    return reduction.norm(diff, p, -1, keepdim=keepdim)


# ---------------------------------------------------------------------- embedding_bag
def _bags(input, offsets, include_last_offset):
    """(flat indices, bag of each, number of bags) for a 2-D input or 1-D input + offsets."""
    idx = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: expected input of an integer type (Long or Int), got {idx.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                             f"of fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        b, n = idx.shape
        return idx.reshape(-1), xp.repeat(xp.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = offsets._data if isinstance(offsets, Tensor) else xp.asarray(offsets)
    if off.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    off = off.astype(xp.int64)
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                           f"from position 0. However, got {int(off[0])}")
    if off.size and (off[-1] > idx.size or (xp.diff(off) < 0).any()):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing and at most the input's length "
                           f"({idx.size}); got {off.tolist()}")
    starts = off[:-1] if include_last_offset else off
    ends = xp.append(starts[1:], off[-1] if include_last_offset else idx.size)
    nbags = starts.size
    bag = xp.repeat(xp.arange(nbags), ends - starts)
    if include_last_offset:
        idx = idx[: off[-1]] if off.size else idx[:0]
    return idx, bag, nbags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """The sum, mean or max of each bag of embedding rows, without building the
    (bags, length, dim) tensor. Bags are the rows of a 2-D ``input``, or the runs of a 1-D
    ``input`` that start at ``offsets``; ``padding_idx`` entries count as absent."""
    from .functional import embedding

    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max (got {mode!r})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for "
                f"mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}) is not None, "
                             f"then it must have the same shape as the input ({list(input.shape)})")
    idx, bag, nbags = _bags(input, offsets, include_last_offset)
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"padding_idx must be within the number of embeddings ({num}), got {padding_idx}")
        padding_idx %= num
    keep = xp.ones(idx.shape, dtype=bool) if padding_idx is None else idx != padding_idx
    rows = embedding(wrap(idx), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)
        if include_last_offset and input.ndim == 1:
            psw = psw[: idx.size]
        rows = rows * psw.reshape(-1, 1)
    if padding_idx is not None:
        kept = xp.nonzero(keep)[0]
        rows, bag = rows[kept], bag[kept]
    counts = xp.bincount(bag, minlength=nbags)
    zeros = wrap(xp.zeros((nbags, dim), dtype=weight._data.dtype))
    if mode in ("sum", "mean"):
        out = index_add(zeros, 0, bag, rows)
        if mode == "mean":
            out = out / wrap(xp.maximum(counts, 1).astype(weight._data.dtype)[:, None])
        return out
    # max: lay the bags out as (bags, longest, dim) padded with -inf, take the max over slots
    longest = int(counts.max()) if counts.size else 0
    if longest == 0:
        return zeros
    starts = xp.concatenate([[0], xp.cumsum(counts)[:-1]])
    slot = xp.arange(bag.size) - starts[bag]
    table = xp.full((nbags, longest), bag.size, dtype=xp.int64)  # bag.size: the -inf row
    table[bag, slot] = xp.arange(bag.size)
    pad_row = wrap(xp.full((1, dim), -xp.inf, dtype=weight._data.dtype))
    from ..ops.shape import cat

    padded = cat([rows, pad_row], 0)[wrap(table)]
    best = padded.max(1)[0]
    empty = wrap((counts == 0)[:, None])
    return arithmetic.where(empty, zeros, best)
