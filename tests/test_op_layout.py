"""Every op's output has PyTorch's memory layout: where torch's result is contiguous, ours is,
with the same ``stride()``; where torch's is not (a view), ours is not either; and where
torch's output is a view of an input (shares its memory), ours is too. So a user's
``out.view(...)`` works in npgrad exactly where it works in torch (``view`` raises when the
memory does not allow it, as torch's does).

Each case runs the same code on torch and npgrad (on contiguous inputs, and on transposed or
channels-last ones) and compares, for every output and for every input's gradient,
``is_contiguous()`` and ``stride()`` (views included: their strides must match too).
Values are checked elsewhere (test_ops_table, test_nn_*); here only layout.
Empty results are compared on contiguity only, and size-1 dims not at all: torch gives their
strides arbitrary values.
"""
import zlib
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
import test_ops_table as table

import npgrad


class Case(NamedTuple):
    name: str
    fn: Callable  # fn(L, *inputs), L being the npgrad or the torch module
    shapes: tuple  # one shape per (float, requires_grad) input
    positive: bool = False  # inputs in [0.5, 2] instead of [-2, 2]


def _layout(t):
    """(is_contiguous, the strides of the size>1 dims): a size-1 dim's stride means nothing
    (torch's own vary), an empty tensor's neither."""
    if not t.numel():
        return t.is_contiguous(), None
    return t.is_contiguous(), tuple(s if n > 1 else None for s, n in zip(t.stride(), t.shape))


def _check(ours, theirs, what):
    assert isinstance(ours, npgrad.Tensor), f"{what}: got {type(ours)}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)}"
    got, want = _layout(ours), _layout(theirs)
    assert got == want, (f"{what}: (is_contiguous, stride) is {got}, torch gives {want} "
                         f"for shape {tuple(theirs.shape)}")


def _check_view(ours, theirs, ours_in, theirs_in, what):
    """A view in torch (it shares an input's memory) is a view in npgrad, and a copy a copy."""
    if not theirs.numel():
        return
    ptr = theirs.untyped_storage().data_ptr()
    want = any(ptr == x.untyped_storage().data_ptr() for x in theirs_in)
    got = any(np.shares_memory(ours.detach().numpy(), x.detach().numpy()) for x in ours_in)
    assert got == want, f"{what}: {'a view' if got else 'a copy'}, torch's is {'a view' if want else 'a copy'}"


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out] if isinstance(out, (npgrad.Tensor, torch.Tensor)) else []


def _run(fn, arrays, name):
    """Run ``fn`` on both libraries; compare the outputs' and the inputs' gradients' layout."""
    ours_in = [npgrad.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    npgrad.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = _flat(fn(npgrad, *ours_in)), _flat(fn(torch, *theirs_in))
    assert len(ours) == len(theirs), f"{name}: {len(ours)} outputs, torch gives {len(theirs)}"
    for k, (o, t) in enumerate(zip(ours, theirs)):
        _check(o, t, f"{name}: output {k}")
        _check_view(o, t, ours_in, theirs_in, f"{name}: output {k}")
    rng = np.random.default_rng(1)
    ours_loss = theirs_loss = 0
    for o, t in zip(ours, theirs):
        if t.requires_grad and t.is_floating_point():
            w = rng.standard_normal(tuple(t.shape)).astype(arrays[0].dtype)
            ours_loss = ours_loss + (o * npgrad.tensor(w)).sum()
            theirs_loss = theirs_loss + (t * torch.tensor(w)).sum()
    if isinstance(theirs_loss, int):
        return
    theirs_loss.backward()
    ours_loss.backward()
    for i, (x, tx) in enumerate(zip(ours_in, theirs_in)):
        if tx.grad is not None and x.grad is not None:
            _check(x.grad, tx.grad, f"{name}: gradient of input {i}")


# ------------------------------------------------------------------ the ops table
@pytest.mark.parametrize("op, shapes", table.CASES)
def test_ops_table_layout_matches_torch(op, shapes):
    arrays = table._inputs(op, shapes, np.float32, table._seed(op, shapes))
    if not op.torch_grad:  # torch's backward raises there: compare the outputs only
        ours_in = [npgrad.tensor(a) for a in arrays]
        theirs_in = [torch.tensor(a) for a in arrays]
        ours, theirs = _flat(op.fn(npgrad, *ours_in)), _flat(op.fn(torch, *theirs_in))
        for k, (o, t) in enumerate(zip(ours, theirs)):
            _check(o, t, f"{op.name}: output {k}")
            _check_view(o, t, ours_in, theirs_in, f"{op.name}: output {k}")
        return
    _run(op.fn, arrays, op.name)


# ------------------------------------------------------------------ layers and functionals
def _F(L):
    return L.nn.functional


def _long(L, values):
    return L.tensor(values, dtype=L.long)


def _interp(mode, **kw):
    return lambda L, x: _F(L).interpolate(x, mode=mode, **kw)


def _module(make, *args, call=lambda m, *xs: m(*xs)):
    """fn(L, *xs) building the same layer in either library (layout needs no equal weights)."""
    return lambda L, *xs: call(make(L), *xs)


CASES = [
    # linear layers
    Case("linear_2d", lambda L, x, w, b: _F(L).linear(x, w, b), [(4, 5), (3, 5), (3,)]),
    Case("linear_3d", lambda L, x, w, b: _F(L).linear(x, w, b), [(2, 4, 5), (3, 5), (3,)]),
    Case("linear_no_bias_3d", lambda L, x, w: _F(L).linear(x, w), [(2, 4, 5), (3, 5)]),
    Case("Linear_3d", _module(lambda L: L.nn.Linear(5, 3)), [(2, 4, 5)]),
    Case("bilinear", lambda L, a, b, w: _F(L).bilinear(a, b, w), [(4, 2), (4, 3), (5, 2, 3)]),
    Case("embedding", lambda L, w: _F(L).embedding(_long(L, [[0, 2], [1, 1]]), w), [(4, 3)]),
    Case("Embedding", lambda L, x: L.nn.Embedding(5, 3)(_long(L, [[1, 4, 0]])) * x, [(1, 3, 3)]),
    # normalisations
    Case("layer_norm", lambda L, x, w, b: _F(L).layer_norm(x, (5,), w, b), [(2, 3, 5), (5,), (5,)]),
    Case("layer_norm_2d", lambda L, x: _F(L).layer_norm(x, (3, 5)), [(2, 3, 5)]),
    Case("batch_norm_train", lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True),
         [(4, 3, 2, 2), (3,), (3,)]),
    Case("batch_norm_eval", lambda L, x, w, b: _F(L).batch_norm(
        x, L.zeros(3), L.ones(3), w, b, False), [(4, 3, 2, 2), (3,), (3,)]),
    Case("batch_norm_1d", lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True),
         [(4, 3), (3,), (3,)]),
    Case("batch_norm_1d_seq", lambda L, x: _F(L).batch_norm(x, None, None, training=True),
         [(4, 3, 5)]),
    Case("BatchNorm2d", _module(lambda L: L.nn.BatchNorm2d(3)), [(4, 3, 2, 2)]),
    Case("group_norm", lambda L, x, w, b: _F(L).group_norm(x, 2, w, b), [(2, 4, 3, 3), (4,), (4,)]),
    Case("GroupNorm", _module(lambda L: L.nn.GroupNorm(2, 4)), [(2, 4, 5)]),
    Case("instance_norm", lambda L, x: _F(L).instance_norm(x), [(2, 3, 4, 4)]),
    Case("normalize", lambda L, x: _F(L).normalize(x, dim=1), [(3, 4, 2)]),
    # softmax family over every dim
    *[Case(f"softmax_dim{d}", lambda L, x, d=d: _F(L).softmax(x, d), [(2, 3, 4, 5)])
      for d in range(4)],
    *[Case(f"log_softmax_dim{d}", lambda L, x, d=d: _F(L).log_softmax(x, d), [(2, 3, 4, 5)])
      for d in range(4)],
    Case("softmin", lambda L, x: _F(L).softmin(x, 1), [(2, 3, 4)]),
    # dropouts (layout only: values are random)
    Case("dropout", lambda L, x: _F(L).dropout(x, 0.5, True), [(3, 4, 5)]),
    Case("dropout_eval", lambda L, x: _F(L).dropout(x, 0.5, False) * 1, [(3, 4)]),
    Case("dropout2d", lambda L, x: _F(L).dropout2d(x, 0.5, True), [(2, 3, 4, 4)]),
    Case("Dropout", _module(lambda L: L.nn.Dropout(0.3)), [(3, 4)]),
    # resampling and patches
    Case("interpolate_nearest", _interp("nearest", scale_factor=2), [(2, 3, 4, 5)]),
    Case("interpolate_nearest_size", _interp("nearest", size=(3, 7)), [(2, 3, 4, 5)]),
    Case("interpolate_bilinear", _interp("bilinear", scale_factor=2, align_corners=False),
         [(2, 3, 4, 5)]),
    Case("interpolate_bilinear_ac", _interp("bilinear", size=(6, 3), align_corners=True),
         [(2, 3, 4, 5)]),
    Case("interpolate_nearest_1d", _interp("nearest", scale_factor=2), [(2, 3, 4)]),
    Case("pixel_shuffle", lambda L, x: _F(L).pixel_shuffle(x, 2), [(2, 8, 3, 3)]),
    Case("pixel_unshuffle", lambda L, x: _F(L).pixel_unshuffle(x, 2), [(2, 2, 4, 6)]),
    Case("unfold", lambda L, x: _F(L).unfold(x, 2, padding=1, stride=2), [(2, 3, 5, 5)]),
    Case("fold", lambda L, x: _F(L).fold(x, (4, 5), 2), [(2, 12, 12)]),
    *[Case(f"pad_{mode}", lambda L, x, mode=mode: _F(L).pad(x, (1, 2, 2, 1), mode=mode),
           [(2, 3, 4, 5)]) for mode in ("constant", "reflect", "replicate", "circular")],
    Case("pad_1d_reflect", lambda L, x: _F(L).pad(x, (2, 1), mode="reflect"), [(2, 3, 5)]),
    Case("pad_negative", lambda L, x: _F(L).pad(x, (-1, 1)), [(2, 3, 5)]),
    # convolutions and pools (the lead's; here as the baseline)
    Case("conv2d", lambda L, x, w, b: _F(L).conv2d(x, w, b, padding=1), [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]),
    Case("conv1d", lambda L, x, w: _F(L).conv1d(x, w), [(2, 3, 7), (4, 3, 3)]),
    Case("conv_transpose2d", lambda L, x, w: _F(L).conv_transpose2d(x, w, stride=2),
         [(2, 3, 4, 4), (3, 2, 3, 3)]),
    Case("max_pool2d", lambda L, x: _F(L).max_pool2d(x, 2), [(2, 3, 4, 4)]),
    Case("avg_pool2d", lambda L, x: _F(L).avg_pool2d(x, 2), [(2, 3, 4, 4)]),
    Case("adaptive_avg_pool2d", lambda L, x: _F(L).adaptive_avg_pool2d(x, 1), [(2, 3, 4, 4)]),
    # attention and sequence layers
    Case("sdpa", lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v),
         [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)]),
    Case("sdpa_causal", lambda L, q, k, v: _F(L).scaled_dot_product_attention(
        q, k, v, is_causal=True), [(2, 4, 8), (2, 4, 8), (2, 4, 8)]),
    Case("MultiheadAttention", _module(lambda L: L.nn.MultiheadAttention(8, 2),
                                       call=lambda m, x: m(x, x, x)), [(5, 2, 8)]),
    Case("MultiheadAttention_batch_first", _module(
        lambda L: L.nn.MultiheadAttention(8, 2, batch_first=True),
        call=lambda m, x: m(x, x, x, average_attn_weights=False)), [(2, 5, 8)]),
    *[Case(f"{kind}_batch_first_{bf}", _module(
        lambda L, kind=kind, bf=bf: getattr(L.nn, kind)(4, 3, num_layers=2, batch_first=bf)),
        [(2, 5, 4)]) for kind in ("LSTM", "GRU", "RNN") for bf in (False, True)],
    Case("LSTM_bidirectional", _module(lambda L: L.nn.LSTM(4, 3, bidirectional=True)), [(5, 2, 4)]),
    Case("TransformerEncoderLayer", _module(
        lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)), [(5, 2, 8)]),
    Case("TransformerEncoderLayer_batch_first", _module(
        lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)),
        [(2, 5, 8)]),
    Case("Flatten", _module(lambda L: L.nn.Flatten()), [(2, 3, 4)]),
    # losses
    Case("cross_entropy", lambda L, x: _F(L).cross_entropy(x, _long(L, [0, 2, 1])), [(3, 4)]),
    Case("cross_entropy_none", lambda L, x: _F(L).cross_entropy(
        x, _long(L, [[0, 2], [1, 1]]), reduction="none"), [(2, 3, 2)]),
    Case("mse_none", lambda L, x, y: _F(L).mse_loss(x, y, reduction="none"), [(3, 4), (3, 4)]),
    # tensor methods and functions
    Case("permute_contiguous", lambda L, x: x.permute(2, 0, 1).contiguous(), [(2, 3, 4)]),
    Case("transpose_then_add", lambda L, x: x.transpose(0, 1) + 1, [(3, 4)]),
    Case("transpose_then_exp", lambda L, x: x.transpose(0, 1).exp(), [(3, 4)]),
    Case("expand", lambda L, x: x.expand(3, 4, 5), [(4, 1)]),
    Case("expand_contiguous", lambda L, x: x.expand(3, 4, 5).contiguous(), [(4, 1)]),
    Case("repeat", lambda L, x: x.repeat(2, 1, 3), [(3, 4)]),
    Case("repeat_interleave", lambda L, x: x.repeat_interleave(2, dim=1), [(3, 4)]),
    Case("repeat_interleave_flat", lambda L, x: x.repeat_interleave(3), [(3, 4)]),
    Case("narrow", lambda L, x: x.narrow(1, 1, 2), [(3, 4)]),
    Case("narrow_dim0", lambda L, x: x.narrow(0, 1, 2), [(3, 4)]),
    Case("chunk_dim1", lambda L, x: x.chunk(2, dim=1), [(3, 4)]),
    Case("split_dim0", lambda L, x: x.split(2), [(5, 4)]),
    Case("unbind", lambda L, x: x.unbind(1), [(3, 4)]),
    Case("unbind_dim0", lambda L, x: L.unbind(x), [(3, 4)]),
    Case("stack_dim1", lambda L, x, y: L.stack([x, y], 1), [(3, 4), (3, 4)]),
    Case("cat_dim1", lambda L, x, y: L.cat([x, y], 1), [(3, 4), (3, 2)]),
    Case("cat_transposed", lambda L, x, y: L.cat([x.t(), y.t()]), [(3, 4), (3, 2)]),
    Case("stack_transposed", lambda L, x, y: L.stack([x.t(), y.t()]), [(3, 4), (3, 4)]),
    Case("cat_channels_last", lambda L, x, y: L.cat([x.contiguous(memory_format=L.channels_last),
                                                      y.contiguous(memory_format=L.channels_last)], 1),
         [(2, 3, 4, 5), (2, 2, 4, 5)]),
    Case("cat_mixed_formats", lambda L, x, y: L.cat([x.contiguous(memory_format=L.channels_last), y]),
         [(2, 3, 4, 5), (2, 3, 4, 5)]),
    Case("where", lambda L, x, y: L.where(x > 0, x, y), [(3, 4), (4,)]),
    Case("masked_fill", lambda L, x: x.masked_fill(x > 0, 0.0), [(3, 4)]),
    Case("sort", lambda L, x: x.sort(dim=1), [(3, 4)]),
    Case("sort_dim0", lambda L, x: x.sort(dim=0, descending=True), [(3, 4, 2)]),
    Case("argsort", lambda L, x: x.argsort(dim=0), [(3, 4)]),
    Case("topk", lambda L, x: x.topk(2, dim=1), [(3, 4)]),
    Case("topk_dim0", lambda L, x: x.topk(2, dim=0), [(3, 4, 2)]),
    Case("cumsum", lambda L, x: x.cumsum(1), [(3, 4)]),
    Case("cumsum_dim0", lambda L, x: x.cumsum(0), [(3, 4, 2)]),
    Case("tril", lambda L, x: x.tril(), [(3, 4)]),
    Case("triu", lambda L, x: L.triu(x, 1), [(2, 3, 4)]),
    Case("einsum_transpose", lambda L, x: L.einsum("ij->ji", x), [(3, 4)]),
    Case("einsum_matmul", lambda L, x, y: L.einsum("bij,bjk->bik", x, y), [(2, 3, 4), (2, 4, 5)]),
    Case("einsum_outer", lambda L, x, y: L.einsum("i,j->ij", x, y), [(3,), (4,)]),
    Case("einsum_bhqd", lambda L, q, k: L.einsum("bqhd,bkhd->bhqk", q, k), [(2, 3, 2, 4), (2, 5, 2, 4)]),
    Case("einsum_ki", lambda L, x, y: L.einsum("ij,jk->ki", x, y), [(3, 4), (4, 5)]),
    Case("einsum_bqhd", lambda L, p, v: L.einsum("bhqk,bkhd->bqhd", p, v), [(2, 3, 4, 5), (2, 5, 3, 6)]),
    Case("einsum_lji", lambda L, x, y: L.einsum("ijk,ikl->lji", x, y), [(2, 3, 4), (2, 4, 5)]),
    Case("einsum_conv1x1", lambda L, x, w: L.einsum("nchw,oc->nohw", x, w), [(2, 3, 4, 5), (6, 3)]),
    Case("einsum_broadcast_batch", lambda L, x, y: L.einsum("bij,bjk->bik", x, y), [(1, 3, 4), (2, 4, 5)]),
    Case("einsum_ij,jk->ki", lambda L, x, y: L.einsum("ij,jk->ki", x, y), [(3, 4), (4, 5)]),
    Case("einsum_xij,jk->kx", lambda L, x, y: L.einsum("xij,jk->kx", x, y), [(2, 3, 4), (4, 5)]),
    Case("einsum_xj,zjk->kx", lambda L, x, y: L.einsum("xj,zjk->kx", x, y), [(2, 4), (3, 4, 5)]),
    Case("einsum_abz,bcy->ca", lambda L, x, y: L.einsum("abz,bcy->ca", x, y), [(2, 3, 2), (3, 4, 5)]),
    Case("einsum_bxj,bjk->kbx", lambda L, x, y: L.einsum("bxj,bjk->kbx", x, y), [(3, 2, 4), (3, 4, 5)]),
    Case("einsum_bxj,bjk->kxb", lambda L, x, y: L.einsum("bxj,bjk->kxb", x, y), [(3, 2, 4), (3, 4, 5)]),
    Case("einsum_xyj,jkw->kwxy", lambda L, x, y: L.einsum("xyj,jkw->kwxy", x, y), [(2, 3, 4), (4, 5, 6)]),
    Case("einsum_bxij,bjk->bkx", lambda L, x, y: L.einsum("bxij,bjk->bkx", x, y), [(3, 2, 6, 4), (3, 4, 5)]),
    Case("einsum_ab,bc->", lambda L, x, y: L.einsum("ab,bc->", x, y), [(2, 3), (3, 4)]),
    Case("einsum_i,i->", lambda L, x, y: L.einsum("i,i->", x, y), [(3,), (3,)]),
    Case("einsum_ij,jk->ik", lambda L, x, y: L.einsum("ij,jk->ik", x, y), [(3, 0), (0, 2)]),
    Case("einsum_bij,bjk->bki_1", lambda L, x, y: L.einsum("bij,bjk->bki", x, y), [(1, 3, 4), (2, 4, 5)]),
    Case("einsum_bij,bjk->kbi_2", lambda L, x, y: L.einsum("bij,bjk->kbi", x, y), [(2, 3, 4), (1, 4, 5)]),
    Case("einsum_bij,bjk->ikb_1", lambda L, x, y: L.einsum("bij,bjk->ikb", x, y), [(1, 3, 4), (2, 4, 5)]),
    Case("einsum_xyj,jkw->wkyx_2", lambda L, x, y: L.einsum("xyj,jkw->wkyx", x, y), [(2, 3, 4), (4, 5, 6)]),
    Case("einsum_bxj,bjk->bxk_3", lambda L, x, y: L.einsum("bxj,bjk->bxk", x, y), [(3, 2, 4), (3, 4, 5)]),
    Case("einsum_xyj,jkw->kxwy_2", lambda L, x, y: L.einsum("xyj,jkw->kxwy", x, y), [(2, 3, 4), (4, 5, 6)]),
    Case("einsum_ijk->kj", lambda L, x: L.einsum("ijk->kj", x), [(2, 3, 4)]),
    Case("einsum_ijk->ki", lambda L, x: L.einsum("ijk->ki", x), [(2, 3, 4)]),
    Case("einsum_iij->ji", lambda L, x: L.einsum("iij->ji", x), [(3, 3, 4)]),
    Case("einsum_iij->j", lambda L, x: L.einsum("iij->j", x), [(3, 3, 4)]),
    Case("einsum_ijk->jik", lambda L, x: L.einsum("ijk->jik", x), [(2, 3, 4)]),
    Case("einsum_iji->ij", lambda L, x: L.einsum("iji->ij", x), [(3, 2, 3)]),
    Case("einsum_f,ca->af", lambda L, *xs: L.einsum("f,ca->af", *xs), [(4,), (3, 2)]),
    Case("einsum_cbe,acb->abc", lambda L, *xs: L.einsum("cbe,acb->abc", *xs), [(3, 4, 2), (5, 3, 4)]),
    Case("einsum_baf,de->adfe", lambda L, *xs: L.einsum("baf,de->adfe", *xs), [(2, 4, 4), (3, 4)]),
    Case("einsum_ebf,ad->fb", lambda L, *xs: L.einsum("ebf,ad->fb", *xs), [(2, 3, 4), (5, 6)]),
    Case("einsum_bf,da->fda", lambda L, *xs: L.einsum("bf,da->fda", *xs), [(3, 4), (2, 5)]),
    Case("einsum_ij,jk,kl->il", lambda L, *xs: L.einsum("ij,jk,kl->il", *xs), [(2, 3), (3, 4), (4, 5)]),
    Case("einsum_ij,jk,kl->li", lambda L, *xs: L.einsum("ij,jk,kl->li", *xs), [(2, 3), (3, 4), (4, 5)]),
    Case("einsum_abc,cd,de->eab", lambda L, *xs: L.einsum("abc,cd,de->eab", *xs), [(2, 3, 4), (4, 5), (5, 6)]),
    Case("einsum_bhq,bhk,bhd->bqd", lambda L, *xs: L.einsum("bhq,bhk,bhd->bqd", *xs), [(2, 3, 4), (2, 3, 5), (2, 3, 6)]),
    Case("einsum_elementwise", lambda L, x, y: L.einsum("ij,ij->ji", x, y), [(3, 4), (3, 4)]),
    Case("einsum_sum", lambda L, x: L.einsum("ij->j", x), [(3, 4)]),
    Case("einsum_diagonal", lambda L, x: L.einsum("ii->i", x), [(3, 3)]),
    Case("matmul_at_b", lambda L, a, b: a.t() @ b, [(4, 3), (4, 5)]),
    Case("matmul_a_bt", lambda L, a, b: a @ b.t(), [(3, 4), (5, 4)]),
    Case("matmul_at_bt", lambda L, a, b: a.t() @ b.t(), [(4, 3), (5, 4)]),
    Case("matmul_batched_t", lambda L, a, b: a @ b.transpose(-1, -2), [(2, 3, 4), (2, 5, 4)]),
    Case("matmul_vec", lambda L, a, b: a.t() @ b, [(4, 3), (4,)]),
    Case("bmm", lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    Case("bmm_transposed", lambda L, a, b: L.bmm(a.transpose(1, 2), b), [(2, 4, 3), (2, 4, 5)]),
    Case("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    Case("addmm", lambda L, c, a, b: L.addmm(c, a, b), [(5,), (3, 4), (4, 5)]),
    Case("outer", lambda L, a, b: L.outer(a, b), [(3,), (4,)]),
    Case("kron", lambda L, a, b: L.kron(a, b), [(2, 3), (2, 2)]),
    Case("diag_vector", lambda L, a: L.diag(a), [(3,)]),
    Case("diag_matrix", lambda L, a: L.diag(a), [(3, 4)]),
    Case("diagonal", lambda L, a: a.diagonal(), [(3, 4)]),
    Case("roll", lambda L, a: a.roll(1, 1), [(3, 4)]),
    Case("roll_flat", lambda L, a: L.roll(a, 2), [(3, 4)]),
    Case("flip", lambda L, a: a.flip(1), [(3, 4)]),
    Case("gather", lambda L, a: a.gather(0, _long(L, [[0, 1, 2, 0]])), [(3, 4)]),
    Case("scatter", lambda L, a, s: a.scatter(1, _long(L, [[0], [1], [3]]), s), [(3, 4), (3, 1)]),
    Case("scatter_add", lambda L, a, s: a.scatter_add(0, _long(L, [[0, 1, 2, 0]]), s),
         [(3, 4), (1, 4)]),
    Case("index_select", lambda L, a: a.index_select(1, _long(L, [0, 3])), [(3, 4)]),
    Case("index_select_dim0", lambda L, a: L.index_select(a, 0, _long(L, [2, 0])), [(3, 4)]),
    Case("index_add", lambda L, a, s: a.index_add(1, _long(L, [0, 3]), s), [(3, 4), (3, 2)]),
    Case("take_along_dim", lambda L, a: L.take_along_dim(a, _long(L, [[0], [1], [3]]), 1), [(3, 4)]),
    Case("nonzero", lambda L, a: (a > 0).nonzero(), [(3, 4)]),
    Case("nonzero_tuple", lambda L, a: L.nonzero(a > 0, as_tuple=True), [(3, 4)]),
    Case("argwhere", lambda L, a: L.argwhere(a > 0), [(3, 4)]),
    Case("unique", lambda L, a: L.unique(a.detach().round()), [(3, 4)]),
    Case("max_dim", lambda L, a: a.max(dim=0), [(3, 4, 2)]),
    Case("max_dim1", lambda L, a: a.max(1), [(3, 4, 2)]),
    Case("min_dim_keepdim", lambda L, a: a.min(1, keepdim=True), [(3, 4, 2)]),
    Case("argmax_dim0", lambda L, a: a.argmax(0), [(3, 4, 2)]),
    Case("mean_keepdim", lambda L, a: a.mean(1, keepdim=True), [(3, 4, 2)]),
    Case("mean_dim0", lambda L, a: a.mean(0), [(3, 4, 2)]),
    Case("sum_keepdim", lambda L, a: a.sum((0, 2), keepdim=True), [(3, 4, 2)]),
    Case("sum_dim0", lambda L, a: a.sum(0), [(3, 4, 2)]),
    Case("var_dim0", lambda L, a: a.var(0), [(3, 4, 2)]),
    Case("var_mean", lambda L, a: L.var_mean(a, 1), [(3, 4, 2)]),
    Case("std_keepdim", lambda L, a: a.std(1, keepdim=True), [(3, 4, 2)]),
    Case("norm_dim0", lambda L, a: a.norm(dim=0), [(3, 4, 2)]),
    Case("logsumexp_dim0", lambda L, a: a.logsumexp(0), [(3, 4, 2)]),
    Case("amax_dim0", lambda L, a: a.amax(0), [(3, 4, 2)]),
    Case("clone", lambda L, a: a.clone(), [(3, 4)]),
    Case("clone_of_transpose", lambda L, a: a.t().clone(), [(3, 4)]),
    Case("reshape_of_transpose", lambda L, a: a.t().reshape(-1), [(3, 4)]),
    Case("flatten_of_permute", lambda L, a: a.permute(0, 2, 1).flatten(1), [(2, 3, 4)]),
    Case("to_double", lambda L, a: a.to(L.float64), [(3, 4)]),
    Case("type_as", lambda L, a, b: a.t().double() * 1, [(3, 4), (1,)]),
    Case("abs_of_transpose", lambda L, a: a.t().abs(), [(3, 4)]),
    Case("relu_of_permute", lambda L, a: a.permute(2, 0, 1).relu(), [(2, 3, 4)]),
    Case("one_hot", lambda L, a: _F(L).one_hot(_long(L, [[0, 2], [1, 0]]), 3) * a, [(2, 2, 3)]),
    Case("zeros_like", lambda L, a: L.zeros_like(a.t()), [(3, 4)]),
    Case("ones_like_permuted", lambda L, a: L.ones_like(a.permute(2, 0, 1)), [(2, 3, 4)]),
    Case("full_like_sliced", lambda L, a: L.full_like(a.t()[:, ::2], 2.0), [(4, 3)]),
    Case("zeros_like_expanded", lambda L, a: L.zeros_like(
        a[:, :, None].expand(2, 3, 5, 4).permute(0, 2, 3, 1)), [(2, 3, 4)]),
    Case("zeros_like_channels_last", lambda L, a: L.zeros_like(
        a.contiguous(memory_format=L.channels_last)), [(2, 3, 4, 5)]),
    Case("empty_like", lambda L, a: L.empty_like(a) + a, [(3, 4)]),
    Case("tensordot", lambda L, a, b: L.tensordot(a, b, dims=([0], [1])), [(3, 4), (5, 3)]),
    Case("cdist", lambda L, a, b: L.cdist(a, b), [(3, 4), (5, 4)]),
    Case("meshgrid", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    Case("broadcast_to", lambda L, a: L.broadcast_to(a, (3, 4)), [(4,)]),
    # small models, each a chain of the layers above
    Case("cnn", lambda L, x: L.nn.Sequential(
        L.nn.Conv2d(1, 4, 3, padding=1), L.nn.BatchNorm2d(4), L.nn.ReLU(), L.nn.MaxPool2d(2),
        L.nn.Conv2d(4, 8, 3), L.nn.ReLU(), L.nn.AdaptiveAvgPool2d(1), L.nn.Flatten(),
        L.nn.Dropout(0.2), L.nn.Linear(8, 3))(x), [(2, 1, 8, 8)]),
    Case("mlp", lambda L, x: L.nn.Sequential(
        L.nn.Flatten(), L.nn.Linear(12, 16), L.nn.GELU(), L.nn.LayerNorm(16),
        L.nn.Linear(16, 4), L.nn.LogSoftmax(1))(x), [(5, 3, 4)]),
    Case("seq_model", lambda L, e: L.nn.LSTM(3, 4, batch_first=True)(
        L.nn.functional.embedding(_long(L, [[0, 2, 1], [1, 1, 0]]), e))[0][:, -1], [(3, 3)]),
    Case("attention_block", lambda L, x: L.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, batch_first=True)(x).transpose(1, 2).mean(-1), [(2, 5, 8)]),
    # more layers, and inputs that are not contiguous (transposed, permuted, channels-last)
    Case("sum_of_permuted", lambda L, x: x.permute(2, 0, 1).sum(0), [(2, 3, 4)]),
    Case("sum_of_permuted_keep", lambda L, x: x.permute(2, 0, 1).sum(1, keepdim=True), [(2, 3, 4)]),
    Case("mean_of_transposed", lambda L, x: x.transpose(1, 2).mean(-1), [(2, 3, 4)]),
    Case("softmax_of_transposed", lambda L, x: x.transpose(1, 2).softmax(-1), [(2, 3, 4)]),
    Case("softmax_of_transposed1", lambda L, x: x.transpose(1, 2).softmax(1), [(2, 3, 4)]),
    Case("log_softmax_of_transposed", lambda L, x: _F(L).log_softmax(x.transpose(0, 1), 0), [(3, 4)]),
    Case("max_of_transposed", lambda L, x: x.t().max(1), [(3, 4)]),
    Case("cumsum_of_transposed", lambda L, x: x.t().cumsum(0), [(3, 4)]),
    Case("add_two_transposed", lambda L, x, y: x.t() + y.t(), [(3, 4), (3, 4)]),
    Case("add_transposed_bcast", lambda L, x, y: x.t() + y, [(3, 4), (3,)]),
    Case("mul_scalar_transposed", lambda L, x: x.t() * 2, [(3, 4)]),
    Case("where_transposed", lambda L, x: L.where(x.t() > 0, x.t(), 0.), [(3, 4)]),
    Case("matmul_of_permuted_out", lambda L, a, b: (a.transpose(0, 1) @ b), [(3, 2, 4), (4, 5)]),
    Case("linear_transposed_in", lambda L, x, w: _F(L).linear(x.transpose(0, 1), w), [(3, 2, 4), (5, 4)]),
    Case("layer_norm_transposed", lambda L, x: _F(L).layer_norm(x.transpose(0, 1), (4,)), [(3, 2, 4)]),
    Case("gelu_permuted", lambda L, x: _F(L).gelu(x.permute(2, 0, 1)), [(2, 3, 4)]),
    Case("silu", lambda L, x: _F(L).silu(x), [(2, 3, 4)]),
    Case("glu", lambda L, x: _F(L).glu(x, -1), [(2, 3, 4)]),
    Case("glu0", lambda L, x: _F(L).glu(x, 0), [(2, 3, 4)]),
    Case("movedim", lambda L, x: x.movedim(0, 2), [(2, 3, 4)]),
    Case("swapaxes", lambda L, x: x.swapaxes(0, 2), [(2, 3, 4)]),
    Case("unfold_method", lambda L, x: x.unfold(1, 2, 1), [(2, 5)]),
    Case("masked_select", lambda L, x: x.masked_select(x > 0), [(3, 4)]),
    Case("cummax", lambda L, x: x.cummax(1), [(3, 4)]),
    Case("conv2d_groups", lambda L, x, w: _F(L).conv2d(x, w, groups=3, stride=2), [(2, 3, 5, 5), (6, 1, 3, 3)]),
    Case("conv2d_1x1", lambda L, x, w: _F(L).conv2d(x, w), [(2, 3, 5, 5), (4, 3, 1, 1)]),
    Case("conv1d_pad", lambda L, x, w: _F(L).conv1d(x, w, padding=2, dilation=2), [(2, 3, 9), (4, 3, 3)]),
    Case("conv_transpose1d", lambda L, x, w: _F(L).conv_transpose1d(x, w, stride=2), [(2, 3, 5), (3, 2, 3)]),
    Case("max_pool1d", lambda L, x: _F(L).max_pool1d(x, 2), [(2, 3, 8)]),
    Case("max_pool2d_idx", lambda L, x: _F(L).max_pool2d(x, 2, return_indices=True), [(2, 3, 4, 4)]),
    Case("avg_pool1d", lambda L, x: _F(L).avg_pool1d(x, 2), [(2, 3, 8)]),
    Case("adaptive_max_pool2d", lambda L, x: _F(L).adaptive_max_pool2d(x, (2, 3)), [(2, 3, 4, 6)]),
    Case("adaptive_avg_pool1d", lambda L, x: _F(L).adaptive_avg_pool1d(x, 3), [(2, 3, 7)]),
    Case("conv2d_channels_last_in", lambda L, x, w: _F(L).conv2d(x.contiguous(memory_format=L.channels_last), w), [(2, 3, 5, 5), (4, 3, 3, 3)]),
    Case("upsample_module", lambda L, x: L.nn.Upsample(scale_factor=2)(x), [(2, 3, 4, 4)]),
    Case("interp_bicubic", lambda L, x: _F(L).interpolate(x, scale_factor=2, mode="bicubic"), [(2, 3, 4, 4)]),
    Case("interp_linear", lambda L, x: _F(L).interpolate(x, scale_factor=2, mode="linear"), [(2, 3, 4)]),
    Case("interp_area", lambda L, x: _F(L).interpolate(x, size=(2, 2), mode="area"), [(2, 3, 4, 4)]),
    Case("instance_norm_mod", lambda L, x: L.nn.InstanceNorm2d(3, affine=True)(x), [(2, 3, 4, 4)]),
    Case("rms_norm", lambda L, x: L.nn.RMSNorm(4)(x), [(2, 3, 4)]),
    Case("prelu", lambda L, x: L.nn.PReLU()(x), [(2, 3, 4)]),
    Case("softmax2d", lambda L, x: L.nn.Softmax2d()(x), [(2, 3, 4, 4)]),
    Case("cosine_similarity", lambda L, x, y: _F(L).cosine_similarity(x, y, dim=1), [(3, 4, 2), (3, 4, 2)]),
    Case("pairwise_distance", lambda L, x, y: _F(L).pairwise_distance(x, y), [(3, 4), (3, 4)]),
    Case("TransformerDecoderLayer", lambda L, x, m: L.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)(x, m), [(5, 2, 8), (4, 2, 8)]),
    Case("Transformer", lambda L, x, m: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)(x, m), [(5, 2, 8), (4, 2, 8)]),
    Case("TransformerEncoder", lambda L, x: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)(x), [(2, 5, 8)]),
    Case("TransformerEncoderLayer_norm_first", lambda L, x: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True)(x), [(5, 2, 8)]),
    Case("LSTMCell", lambda L, x: L.nn.LSTMCell(4, 3)(x), [(2, 4)]),
    Case("GRUCell", lambda L, x: L.nn.GRUCell(4, 3)(x), [(2, 4)]),
    Case("LSTM_unbatched", lambda L, x: L.nn.LSTM(4, 3)(x), [(5, 4)]),
    Case("GRU_bidir_bf", lambda L, x: L.nn.GRU(4, 3, bidirectional=True, batch_first=True)(x), [(2, 5, 4)]),
    Case("LSTM_proj", lambda L, x: L.nn.LSTM(4, 3, proj_size=2)(x), [(5, 2, 4)]),
    Case("nll_none", lambda L, x: _F(L).nll_loss(x.log_softmax(1), _long(L, [0, 2, 1]), reduction="none"), [(3, 4)]),
    Case("bce_none", lambda L, x, y: _F(L).binary_cross_entropy_with_logits(x, y.sigmoid(), reduction="none"), [(3, 4), (3, 4)]),
    Case("smooth_l1_none", lambda L, x, y: _F(L).smooth_l1_loss(x, y, reduction="none"), [(3, 4), (3, 4)]),
    Case("mha_kdim", lambda L, q, k: L.nn.MultiheadAttention(8, 2, kdim=6, vdim=6)(q, k, k), [(5, 2, 8), (4, 2, 6)]),
    Case("mha_unbatched", lambda L, q: L.nn.MultiheadAttention(8, 2)(q, q, q), [(5, 8)]),
    Case("mha_no_weights", lambda L, q: L.nn.MultiheadAttention(8, 2)(q, q, q, need_weights=False), [(5, 2, 8)]),
    Case("mha_bf_no_weights", lambda L, q: L.nn.MultiheadAttention(8, 2, batch_first=True)(q, q, q, need_weights=False), [(2, 5, 8)]),
    Case("embedding_bag", lambda L, w: _F(L).embedding_bag(_long(L, [[0, 2], [1, 1]]), w), [(4, 3)]),
    Case("one_hot_plain", lambda L, x: _F(L).one_hot(_long(L, [[0, 2], [1, 0]]), 3).float() * 1 + x, [(2, 2, 3)]),
    Case("split_dim1", lambda L, x: x.split([1, 3], 1), [(3, 4)]),
    Case("flip0", lambda L, x: x.flip(0), [(3, 4)]),
    Case("clamp_transposed", lambda L, x: x.t().clamp(-1, 1), [(3, 4)]),
    Case("pow_transposed", lambda L, x: x.t()**2, [(3, 4)]),
    Case("detach_t", lambda L, x: x.t().detach() * 1, [(3, 4)]),
    Case("type_cast_t", lambda L, x: x.t().double(), [(3, 4)]),
    Case("norm_p2_dim", lambda L, x: L.linalg.norm(x, dim=0), [(3, 4)]),
    Case("vector_norm", lambda L, x: L.linalg.vector_norm(x, dim=(0, 2)), [(3, 4, 2)]),
    Case("argmax_transposed", lambda L, x: x.t().argmax(0), [(3, 4)]),
    Case("all_dim_t", lambda L, x: (x.t() > 0).all(0), [(3, 4)]),
    Case("std_mean", lambda L, x: L.std_mean(x, 0), [(3, 4)]),
    Case("amin", lambda L, x: x.amin((0, 1)), [(3, 4, 2)]),
    Case("prod_dim0", lambda L, x: x.prod(0), [(3, 4, 2)]),
    Case("sort_transposed", lambda L, x: x.t().sort(0), [(3, 4)]),
    Case("sort_permuted_desc", lambda L, x: x.permute(2, 0, 1).sort(1, descending=True), [(3, 4, 5)]),
    Case("argsort_transposed", lambda L, x: x.transpose(1, 2).argsort(-1), [(3, 4, 5)]),
    Case("topk_transposed", lambda L, x: x.t().topk(2, 1), [(3, 4)]),
    Case("gather_transposed", lambda L, x: x.t().gather(1, _long(L, [[0], [1], [2], [0]])), [(3, 4)]),
    Case("index_select_t", lambda L, x: x.t().index_select(0, _long(L, [0, 2])), [(3, 4)]),
    Case("masked_fill_t", lambda L, x: x.t().masked_fill(x.t() > 0, 0.), [(3, 4)]),
    Case("tril_t", lambda L, x: x.t().tril(), [(3, 4)]),
    Case("repeat_t", lambda L, x: x.t().repeat(1, 2), [(3, 4)]),
    Case("roll_t", lambda L, x: x.t().roll(1, 0), [(3, 4)]),
    Case("cat_t_and_c", lambda L, x, y: L.cat([x.t(), y], 1), [(3, 4), (4, 2)]),
    Case("pad_t", lambda L, x: _F(L).pad(x.transpose(2, 3), (1, 1)), [(2, 3, 4, 5)]),
    Case("pad_cl", lambda L, x: _F(L).pad(x.contiguous(memory_format=L.channels_last), (1, 1)), [(2, 3, 4, 5)]),
    *[Case(f"pad_{mode}_cl", lambda L, x, mode=mode: _F(L).pad(
        x.contiguous(memory_format=L.channels_last), (1, 2, 2, 1), mode=mode), [(2, 3, 4, 5)])
      for mode in ("constant", "reflect", "replicate", "circular")],
    Case("ReflectionPad2d_cl", lambda L, x: L.nn.ReflectionPad2d(1)(
        x.contiguous(memory_format=L.channels_last)), [(2, 3, 4, 5)]),
    Case("interp_cl", lambda L, x: _F(L).interpolate(x.contiguous(memory_format=L.channels_last), scale_factor=2), [(2, 3, 4, 4)]),
    Case("bilinear_cl", lambda L, x: _F(L).interpolate(x.contiguous(memory_format=L.channels_last), scale_factor=2, mode="bilinear"), [(2, 3, 4, 4)]),
    Case("bicubic_cl", lambda L, x: _F(L).interpolate(x.contiguous(memory_format=L.channels_last),
                                                      size=(5, 7), mode="bicubic"), [(2, 3, 4, 4)]),
    Case("Upsample_cl", lambda L, x: L.nn.Upsample(scale_factor=3)(
        x.contiguous(memory_format=L.channels_last)), [(2, 3, 4, 4)]),
    Case("dropout_t", lambda L, x: _F(L).dropout(x.t(), 0.5), [(3, 4)]),
    Case("dropout_cl", lambda L, x: _F(L).dropout(x.contiguous(memory_format=L.channels_last), 0.5), [(2, 3, 4, 4)]),
    Case("batch_norm_cl", lambda L, x: _F(L).batch_norm(x.contiguous(memory_format=L.channels_last), None, None, training=True), [(4, 3, 2, 2)]),
    Case("relu_cl", lambda L, x: _F(L).relu(x.contiguous(memory_format=L.channels_last)), [(4, 3, 2, 2)]),
]

def _arrays(case, dtype=np.float32):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    lo, hi = (0.5, 2.0) if case.positive else (-2.0, 2.0)
    return [rng.uniform(lo, hi, s).astype(dtype) for s in case.shapes]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_layer_and_method_layout_matches_torch(case):
    _run(case.fn, _arrays(case), case.name)


# Where torch's result is NOT contiguous and ours is (so a ``view`` works in npgrad where torch's
# raises; nothing breaks). Listed so that a change on either side shows up here.
OURS_CONTIGUOUS_ONLY = [
    # element-wise ops with inputs of different layouts: torch follows the first input's strides
    Case("transpose_times_contig", lambda L, x, y: x.transpose(0, 1) * y, [(3, 4), (4, 3)]),
    # channels-last is not carried through element-wise ops mixing it with contiguous inputs
    # (conv, pool, pad, interpolate, batch_norm, dropout and unary ops keep it)
    Case("add_cl_c", lambda L, x, y: x.contiguous(memory_format=L.channels_last) + y, [(4, 3, 2, 2), (4, 3, 2, 2)]),
]


@pytest.mark.parametrize("case", OURS_CONTIGUOUS_ONLY, ids=[c.name for c in OURS_CONTIGUOUS_ONLY])
def test_known_layout_differences(case):
    arrays = _arrays(case)
    ours = _flat(case.fn(npgrad, *[npgrad.tensor(a) for a in arrays]))
    theirs = _flat(case.fn(torch, *[torch.tensor(a) for a in arrays]))
    assert [t.is_contiguous() for t in theirs] == [False] * len(theirs)
    assert [o.is_contiguous() for o in ours] == [True] * len(ours)


def test_diagonal_is_a_view_as_in_torch():
    """Writes through ``diagonal()`` reach the base tensor in both libraries."""
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for L in (npgrad, torch):
        t = L.tensor(a)
        d = t.diagonal(1, 1, 2)
        d.mul_(0)
        assert d.stride() == (12, 5)
        assert float(t.sum()) == float(a.sum() - np.diagonal(a, 1, 1, 2).sum()), L.__name__


def test_einsum_layout_matches_torch_on_random_two_operand_equations():
    """Contractions, outer and element-wise products, labels summed alone, any output order."""
    rng = np.random.default_rng(0)
    letters = "abcdef"
    for trial in range(150):
        size = dict(zip(letters, rng.integers(2, 6, len(letters)).tolist()))
        subs = ["".join(rng.permutation(list(letters))[:rng.integers(1, 4)]) for _ in range(2)]
        labels = sorted(set("".join(subs)))
        out = "".join(rng.permutation(labels)[:rng.integers(0, len(labels) + 1)])
        eq = ",".join(subs) + "->" + out
        arrays = [rng.standard_normal([size[c] for c in sub]) for sub in subs]
        ours = npgrad.einsum(eq, *[npgrad.tensor(a) for a in arrays])
        theirs = torch.einsum(eq, *[torch.tensor(a) for a in arrays])
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12, err_msg=eq)
        _check(ours, theirs, f"einsum('{eq}')")


def test_view_works_where_torch_view_works():
    """The user-visible point: ``out.view(-1)`` after these ops raises in neither library."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for L in (npgrad, torch):
        t = L.tensor(x)
        F = _F(L)
        for out in (F.softmax(t, 0), F.pad(t, (1, 1)), F.interpolate(t, scale_factor=2),
                    t.transpose(1, 2).contiguous(), F.layer_norm(t, (5,))):
            assert out.view(-1).shape[0] == out.numel()


def test_checker_flags_a_copy_where_torch_gives_a_view():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    ours, theirs = npgrad.tensor(a), torch.tensor(a)
    with pytest.raises(AssertionError, match="a copy, torch's is a view"):
        _check_view(ours.t().clone(), theirs.t(), [ours], [theirs], "self-test")
    _check_view(ours.t(), theirs.t(), [ours], [theirs], "self-test")


def test_checker_flags_a_layout_mismatch():
    """The comparison can fail: a transposed copy where torch's result is contiguous."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    with pytest.raises(AssertionError, match="is_contiguous"):
        _check(npgrad.tensor(a.T.copy()).t(), torch.tensor(a), "self-test")
    with pytest.raises(AssertionError, match="is_contiguous"):
        _check(npgrad.tensor(a), torch.tensor(a.T.copy()).t(), "self-test")
