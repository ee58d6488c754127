"""Scaled dot-product attention as one fused node.

    out = dropout(softmax(q kᵀ · scale + mask)) v

Forward keeps the attention probabilities ``p`` (and the dropout mask); backward is

    dv = pᵈᵀ g,   dpᵈ = g vᵀ,   dp = dpᵈ ⊙ drop,   ds = p ⊙ (dp − Σ dp ⊙ p),
    dq = ds k · scale,   dk = dsᵀ q · scale,   dmask = ds

where pᵈ = p ⊙ drop. A boolean mask (True = may attend) becomes an additive 0 / −inf mask
before the node; a float mask is added as it is (and gets a gradient, as in PyTorch).
Grouped-query attention (``enable_gqa``) repeats each key/value head over its group of query
heads in forward and sums the group's gradients in backward.
"""
from .._backend import xp
from ..autograd.function import Op


class ScaledDotProductAttention(Op):
    def forward(self, q, k, v, mask, drop=None, scale=1.0, groups=1):
        if groups > 1:
            k = xp.repeat(k, groups, axis=-3)
            v = xp.repeat(v, groups, axis=-3)
        s = q @ xp.swapaxes(k, -1, -2)
        s *= scale
        if mask is not None:
            s = s + mask
        top = s.max(axis=-1, keepdims=True)
        if mask is not None:  # a row masked everywhere attends to nothing: its output is 0
            top[top == -xp.inf] = 0
        s -= top
        p = xp.exp(s, out=s)
        total = p.sum(axis=-1, keepdims=True)
        if mask is not None:
            total[total == 0] = 1
        p /= total
        pd = p if drop is None else p * drop
        self.saved = (q, k, v, p, pd, drop)
        self.scale, self.groups = scale, groups
        return pd @ v

    def backward(self, grad):
        q, k, v, p, pd, drop = self.saved
        needs = self.needs
        dv = xp.swapaxes(pd, -1, -2) @ grad if needs[2] else None
        dp = grad @ xp.swapaxes(v, -1, -2)
        if drop is not None:
            dp *= drop
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        dmask = ds if needs[3] else None
        dq = (ds @ k) * self.scale if needs[0] else None
        dk = (xp.swapaxes(ds, -1, -2) @ q) * self.scale if needs[1] else None
        if self.groups > 1:
            g = self.groups
            if dk is not None:
                dk = dk.reshape(dk.shape[:-3] + (-1, g) + dk.shape[-2:]).sum(-3)
            if dv is not None:
                dv = dv.reshape(dv.shape[:-3] + (-1, g) + dv.shape[-2:]).sum(-3)
        return dq, dk, dv, dmask


def _causal(L, S):
    """True where query i may see key j: j <= i (top-left aligned, as PyTorch)."""
    return xp.tril(xp.ones((L, S), dtype=bool))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q kᵀ / sqrt(E) + mask) v over the last two dims; leading dims broadcast.

    ``attn_mask``: bool (True = may attend) or float (added to the scores); ``is_causal``
    masks the future (combined with ``attn_mask`` when both are given); ``dropout_p`` drops
    attention probabilities; ``enable_gqa`` lets key/value have fewer heads (dim -3).
    """
    from ..random import get_rng
    from .activation import dropout_mask

    q, k, v = query._data, key._data, value._data
    name = "scaled_dot_product_attention"
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"{name}: query, key and value need at least 2 dims, got shapes "
                           f"{q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"{name}: query (.., L, E), key (.., S, E) and value (.., S, Ev) disagree: shapes "
            f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    if not (q.dtype == k.dtype == v.dtype) or q.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected query, key and value to have the same float "
                           f"dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    groups = 1
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        if q.shape[-3] % k.shape[-3] or k.shape[-3] != v.shape[-3]:
            raise RuntimeError(f"{name}: with enable_gqa the query heads ({q.shape[-3]}) must be "
                               f"a multiple of the key/value heads ({k.shape[-3]}, {v.shape[-3]})")
        groups = q.shape[-3] // k.shape[-3]
    L, S = q.shape[-2], k.shape[-2]
    mask = attn_mask
    if mask is not None:
        m = mask._data
        if m.dtype == bool:
            mask = xp.where(m, 0.0, -xp.inf).astype(q.dtype)
        elif m.dtype != q.dtype:
            raise RuntimeError(f"{name}: Expected attn_mask dtype to be bool or float or to match "
                               f"query dtype, got {m.dtype} for a query of {q.dtype}")
        try:
            xp.broadcast_shapes(m.shape, q.shape[:-2] + (L, S))
        except ValueError:
            raise RuntimeError(f"{name}: attn_mask of shape {tuple(m.shape)} does not broadcast "
                               f"to the attention scores' shape {q.shape[:-2] + (L, S)}") from None
    if is_causal:
        future = xp.where(_causal(L, S), 0.0, -xp.inf).astype(q.dtype)
        mask = future if mask is None else mask + future
    drop = None
    if dropout_p > 0.0:
        heads = k.shape[:-3] + (q.shape[-3],) if groups > 1 else k.shape[:-2]
        shape = xp.broadcast_shapes(q.shape[:-2], heads)
        drop = dropout_mask(shape + (L, S), dropout_p, q.dtype, get_rng())
    if scale is None:
        scale = 1.0 / float(q.shape[-1]) ** 0.5
    return ScaledDotProductAttention.apply(query, key, value, mask, drop=drop, scale=scale,
                                           groups=groups)
