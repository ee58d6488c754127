"""``MultiheadAttention``: project query/key/value, attend per head, project back.

Parameters as PyTorch's, so its state_dict loads: ``in_proj_weight`` (3E, E) and
``in_proj_bias`` (3E) when key and value have the query's width, else ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight``; ``out_proj`` (a Linear named as torch's
``NonDynamicallyQuantizableLinear``); ``bias_k`` / ``bias_v`` with ``add_bias_kv``.

The work is done by ``multi_head_attention_forward`` (``F.multi_head_attention_forward``,
sequence-first as PyTorch's). Inside it everything is batch-first (N, L, E); the heads are
attended with ``scaled_dot_product_attention`` (one fused node) unless the weights are asked
for (``need_weights=True``, the default), which takes the explicit softmax path so the
weights can be returned. Masks follow MultiheadAttention's convention: a bool ``attn_mask`` or
``key_padding_mask`` is True where attention is *not* allowed; a float one is added.
"""
from ... import _dtype
from ..._backend import xp
from ..._tensor import wrap
from ...ops import attention
from ...ops import shape as shape_ops
from ...ops.linalg import linear
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear


def _empty(*sizes, dtype=None):
    return wrap(xp.empty(sizes, dtype=_dtype.to_np(dtype) or _dtype.default_float))


def _float_mask(mask, dtype, what):
    """A mask as an additive float Tensor: bool True -> -inf (not allowed), float as given."""
    if mask is None:
        return None
    m = mask._data
    if m.dtype == bool:
        return wrap(xp.where(m, -xp.inf, 0.0).astype(dtype))
    if m.dtype.kind != "f":
        raise AssertionError(f"MultiheadAttention: only bool and floating types of {what} are "
                             f"supported, got {m.dtype}")
    return mask if m.dtype == dtype else shape_ops.cast(mask, dtype)


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of width ``embed_dim // num_heads``."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(_empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(_empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_empty(3 * embed_dim, embed_dim, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(_empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(_empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    # ------------------------------------------------------------------ forward
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        if self.batch_first and query.dim() == 3:  # the functional form is sequence-first
            same_qk, same_kv = query is key, key is value
            query = shape_ops.transpose(query, 0, 1)
            key = query if same_qk else shape_ops.transpose(key, 0, 1)
            value = key if same_kv else shape_ops.transpose(value, 0, 1)
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
            _kdim=self.kdim, _vdim=self.vdim,
        )
        if self.batch_first and query.dim() == 3:
            out = shape_ops.transpose(out, 0, 1)
        return out, weights


def _project(query, key, value, E, in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w):
    b = in_proj_bias
    bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
    if not separate:
        w = in_proj_weight
        if query is key and key is value:  # self-attention: one product for q, k and v
            return shape_ops.chunk(linear(query, w, b), 3, -1)
        if key is value:
            q = linear(query, w[:E], bq)
            k, v = shape_ops.chunk(linear(key, w[E:], None if b is None else b[E:]), 2, -1)
            return q, k, v
        return (linear(query, w[:E], bq), linear(key, w[E:2 * E], bk),
                linear(value, w[2 * E:], bv))
    return linear(query, q_w, bq), linear(key, k_w, bk), linear(value, v_w, bv)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False,
                                 _kdim=None, _vdim=None):
    """``F.multi_head_attention_forward``: MultiheadAttention on sequence-first inputs
    (L, N, E) (or unbatched (L, E)), with the weights passed in."""
    name = "MultiheadAttention"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{name}: static_k / static_v are not supported")
    E, H = embed_dim_to_check, num_heads
    hd = E // H
    if hd * H != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {H}")
    batched = query.dim() == 3
    if query.dim() not in (2, 3):
        raise AssertionError(f"{name}: query should be unbatched 2D or batched 3D tensor but "
                             f"received {query.dim()}-D query tensor")
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"{name}: query, key and value must have the same number of "
                             f"dims, got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)}")
    if query.shape[-1] != E:
        raise AssertionError(f"{name}: was expecting embedding dimension of {E}, but got "
                             f"{query.shape[-1]} (query shape {tuple(query.shape)})")
    if use_separate_proj_weight:
        kdim, vdim = k_proj_weight.shape[1], v_proj_weight.shape[1]
    else:
        kdim = vdim = E
    kdim, vdim = _kdim or kdim, _vdim or vdim
    if key.shape[-1] != kdim or value.shape[-1] != vdim:
        raise AssertionError(f"{name}: key and value widths must be kdim={kdim} and "
                             f"vdim={vdim}, got shapes {tuple(key.shape)} and "
                             f"{tuple(value.shape)}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    same_qk, same_kv = query is key, key is value
    # to batch-first (N, L, E)
    if not batched:
        query, key, value = (shape_ops.unsqueeze(t, 0) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = shape_ops.unsqueeze(key_padding_mask, 0)
    else:
        query, key, value = (shape_ops.transpose(t, 0, 1) for t in (query, key, value))
    if same_qk and same_kv:
        key = value = query
    elif same_kv:
        value = key
    N, L = query.shape[0], query.shape[1]
    if key.shape[:2] != value.shape[:2] or key.shape[0] != N:
        raise AssertionError(f"{name}: key shape {tuple(key.shape)} does not match value "
                             f"shape {tuple(value.shape)} (batch {N})")
    q, k, v = _project(query, key, value, E, in_proj_weight, in_proj_bias,
                       use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    dtype = q._data.dtype
    mask = _float_mask(attn_mask, dtype, "attn_mask")
    kpm = _float_mask(key_padding_mask, dtype, "key_padding_mask")
    S = k.shape[1]
    if mask is not None:
        if mask.dim() == 2:
            if tuple(mask.shape) != (L, S):
                raise RuntimeError(f"{name}: The shape of the 2D attn_mask is "
                                   f"{tuple(mask.shape)}, but should be {(L, S)}.")
        elif mask.dim() == 3:
            if tuple(mask.shape) != (N * H, L, S):
                raise RuntimeError(f"{name}: The shape of the 3D attn_mask is "
                                   f"{tuple(mask.shape)}, but should be {(N * H, L, S)}.")
            mask = mask.reshape(N, H, L, S)
        else:
            raise RuntimeError(f"{name}: attn_mask's dimension {mask.dim()} is not supported")
    if kpm is not None and tuple(kpm.shape) != (N, S):
        raise AssertionError(f"{name}: expecting key_padding_mask shape of {(N, S)}, but got "
                             f"{tuple(kpm.shape)}")
    if bias_k is not None and bias_v is not None:
        k = shape_ops.cat([k, bias_k.expand(N, 1, E)], 1)
        v = shape_ops.cat([v, bias_v.expand(N, 1, E)], 1)
        mask = None if mask is None else F.pad(mask, (0, 1))
        kpm = None if kpm is None else F.pad(kpm, (0, 1))
    # heads: (N, H, L, hd)
    q = q.reshape(N, L, H, hd).permute(0, 2, 1, 3)
    k = k.reshape(N, -1, H, hd).permute(0, 2, 1, 3)
    v = v.reshape(N, -1, H, hd).permute(0, 2, 1, 3)
    if add_zero_attn:
        zeros = wrap(xp.zeros((N, H, 1, hd), dtype))
        k = shape_ops.cat([k, zeros], 2)
        v = shape_ops.cat([v, zeros], 2)
        mask = None if mask is None else F.pad(mask, (0, 1))
        kpm = None if kpm is None else F.pad(kpm, (0, 1))
    if kpm is not None:
        kpm = kpm.reshape(N, 1, 1, -1)
        mask = kpm if mask is None else mask + kpm
    p = dropout_p if training else 0.0
    if need_weights:
        scores = (q * (1.0 / hd ** 0.5)) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        weights = F.softmax(scores, dim=-1)
        if p > 0.0:
            weights = F.dropout(weights, p=p)
        out = weights @ v
    else:
        out = attention.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        weights = None
    if not batched:
        out = linear(out.permute(0, 2, 1, 3).reshape(N, L, E), out_proj_weight, out_proj_bias)
        out = shape_ops.squeeze(out, 0)
    else:  # heads joined sequence-first, so the (L, N, E) result is contiguous as PyTorch's
        out = linear(out.permute(2, 0, 1, 3).reshape(L, N, E), out_proj_weight, out_proj_bias)
    if weights is not None:
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = shape_ops.squeeze(weights, 0)
    return out, weights
