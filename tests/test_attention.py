"""Attention and transformers against PyTorch: F.scaled_dot_product_attention,
nn.MultiheadAttention and the nn.Transformer family, with torch's weights loaded into npgrad,
values and gradients compared in float32 and float64, gradcheck in float64, the errors."""
import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck

from conftest import assert_same, pair

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: {}}
# whole encoder/decoder stacks: float32 gradients pass through a dozen layers whose sums torch
# orders differently (and, threaded, not always the same way): rounding grows to ~1e-5
DEEP_TOL = {np.float32: dict(rtol=1e-4, atol=2e-5), np.float64: {}}
# npgrad's erf (behind exact GELU) is a 1.5e-7-accurate approximation: looser in float64
GELU_TOL = {np.float32: dict(rtol=1e-4, atol=2e-5), np.float64: dict(rtol=1e-5, atol=1e-5)}


def _weights(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def backward_both(ours, theirs, rng):
    """Backpropagate the same random weighting of both outputs."""
    w = rng.standard_normal(tuple(ours.shape)).astype(to_np(ours).dtype)
    (ours * npgrad.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()


def to_np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------------- F.sdpa
SDPA_CASES = [
    dict(),
    dict(is_causal=True),
    dict(scale=0.3),
    dict(mask="bool"),
    dict(mask="float"),
    dict(mask="bool_broadcast"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SDPA_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "plain")
def test_sdpa_matches_torch(case, dtype):
    rng = np.random.default_rng(0)
    q = pair(_weights(rng, (2, 3, 5, 4), dtype), requires_grad=True)
    k = pair(_weights(rng, (2, 3, 6, 4), dtype), requires_grad=True)
    v = pair(_weights(rng, (2, 3, 6, 7), dtype), requires_grad=True)
    case = dict(case)
    kind = case.pop("mask", None)
    masks = (None, None)
    if kind == "bool":
        m = rng.random((5, 6)) > 0.3
        m[2] = False  # a row that may attend nowhere: torch outputs zeros there
        masks = pair(m)
    elif kind == "bool_broadcast":
        masks = pair(rng.random((2, 1, 5, 6)) > 0.3)
    elif kind == "float":
        masks = pair(_weights(rng, (5, 6), dtype), requires_grad=True)
    out = F.scaled_dot_product_attention(q[0], k[0], v[0], attn_mask=masks[0], **case)
    tout = torch.nn.functional.scaled_dot_product_attention(q[1], k[1], v[1], attn_mask=masks[1], **case)
    assert_same(out, tout, "attention output", **TOL[dtype])
    backward_both(out, tout, rng)
    for name, (a, b) in zip("qkv", (q, k, v)):
        assert_same(a.grad, b.grad, f"grad of {name}", **TOL[dtype])
    if kind == "float":
        assert_same(masks[0].grad, masks[1].grad, "grad of the float mask", **TOL[dtype])


def test_sdpa_gqa_matches_torch():
    rng = np.random.default_rng(1)
    q = pair(rng.standard_normal((2, 4, 5, 3)), requires_grad=True)
    k = pair(rng.standard_normal((2, 2, 6, 3)), requires_grad=True)
    v = pair(rng.standard_normal((2, 2, 6, 3)), requires_grad=True)
    out = F.scaled_dot_product_attention(q[0], k[0], v[0], enable_gqa=True)
    tout = torch.nn.functional.scaled_dot_product_attention(q[1], k[1], v[1], enable_gqa=True)
    assert_same(out, tout, "gqa output")
    backward_both(out, tout, rng)
    for name, (a, b) in zip("qkv", (q, k, v)):
        assert_same(a.grad, b.grad, f"gqa grad of {name}")


def test_sdpa_gradcheck_with_dropout_and_mask():
    rng = np.random.default_rng(2)
    q, k, v = (npgrad.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 2), (2, 4, 2), (2, 4, 3)))
    mask = npgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def f(q, k, v, mask):
        npgrad.manual_seed(0)  # the same dropout mask on every call
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.3)

    assert gradcheck(f, (q, k, v, mask))


def test_sdpa_dropout_drops_and_scales():
    q = npgrad.ones(1, 64, 8)
    v = npgrad.tensor(np.arange(64 * 8, dtype=np.float32).reshape(1, 64, 8))
    plain = F.scaled_dot_product_attention(q, q, v)
    npgrad.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    assert not np.allclose(to_np(plain), to_np(dropped))
    # uniform attention: each output is the mean of kept values, scaled by 2; on average equal
    np.testing.assert_allclose(to_np(dropped).mean(), to_np(plain).mean(), rtol=0.1)


def test_sdpa_errors():
    q = npgrad.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: .*\(2, 3, 4\), \(2, 5, 3\)"):
        F.scaled_dot_product_attention(q, npgrad.zeros(2, 5, 3), npgrad.zeros(2, 5, 3))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 4\) does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=npgrad.zeros(4, 4))


# ---------------------------------------------------------------------- MultiheadAttention
def mha_twins(*args, dtype=np.float64, **kwargs):
    theirs = torch.nn.MultiheadAttention(*args, **kwargs)
    ours = npgrad.nn.MultiheadAttention(*args, **kwargs)
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


MHA_CASES = [
    dict(),
    dict(batch_first=True),
    dict(kdim=3, vdim=5),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(bias=False, batch_first=True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("kwargs", MHA_CASES, ids=lambda c: "-".join(c) or "plain")
@pytest.mark.parametrize("masks", ["none", "both", "bool_attn"])
def test_mha_matches_torch(kwargs, need_weights, average, dtype, masks):
    rng = np.random.default_rng(3)
    ours, theirs = mha_twins(8, 2, dtype=dtype, **kwargs)
    bf = kwargs.get("batch_first")
    shape = (lambda L, E: (2, L, E)) if bf else (lambda L, E: (L, 2, E))
    x = pair(_weights(rng, shape(4, 8), dtype), requires_grad=True)
    if "kdim" in kwargs:
        k = pair(_weights(rng, shape(6, 3), dtype), requires_grad=True)
        v = pair(_weights(rng, shape(6, 5), dtype), requires_grad=True)
    else:
        k = v = pair(_weights(rng, shape(6, 8), dtype), requires_grad=True)
    extra = ({}, {})
    if masks == "both":
        kpm = np.zeros((2, 6), bool)
        kpm[1, 4:] = True
        am = pair(_weights(rng, (4, 6), dtype))
        extra = (dict(key_padding_mask=npgrad.tensor(kpm), attn_mask=am[0]),
                 dict(key_padding_mask=torch.tensor(kpm), attn_mask=am[1]))
    elif masks == "bool_attn":
        am = rng.random((2 * 2, 4, 6)) > 0.6
        am[:, :, 0] = False  # every query may attend to something
        extra = (dict(attn_mask=npgrad.tensor(am)), dict(attn_mask=torch.tensor(am)))
    out, w = ours(x[0], k[0], v[0], need_weights=need_weights, average_attn_weights=average, **extra[0])
    tout, tw = theirs(x[1], k[1], v[1], need_weights=need_weights, average_attn_weights=average,
                      **extra[1])
    assert_same(out, tout, "attention output", **TOL[dtype])
    if need_weights:
        assert_same(w, tw, "attention weights", **TOL[dtype])
    else:
        assert w is None and tw is None
    backward_both(out, tout, rng)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_same(p.grad, tp[name].grad, f"grad of {name}", **TOL[dtype])
    assert_same(x[0].grad, x[1].grad, "grad of query", **TOL[dtype])
    assert_same(k[0].grad, k[1].grad, "grad of key", **TOL[dtype])


def test_mha_self_attention_unbatched_and_causal():
    rng = np.random.default_rng(4)
    ours, theirs = mha_twins(6, 3)
    x = pair(rng.standard_normal((5, 6)), requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    out, w = ours(x[0], x[0], x[0], attn_mask=npgrad.tensor(mask.numpy()))
    tout, tw = theirs(x[1], x[1], x[1], attn_mask=mask)
    assert_same(out, tout, "unbatched output")
    assert_same(w, tw, "unbatched weights")
    backward_both(out, tout, rng)
    assert_same(x[0].grad, x[1].grad, "grad of the shared input")


def test_mha_parameters_and_init():
    ours = npgrad.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    theirs = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert np.all(to_np(ours.in_proj_bias) == 0) and np.all(to_np(ours.out_proj.bias) == 0)
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform on (3E, E)
    w = to_np(ours.in_proj_weight)
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    sep = npgrad.nn.MultiheadAttention(8, 2, kdim=3, vdim=4)
    assert sep.in_proj_weight is None and tuple(sep.k_proj_weight.shape) == (8, 3)
    from npgrad.nn.modules.activation import MultiheadAttention
    from npgrad.nn.modules.linear import NonDynamicallyQuantizableLinear  # noqa: F401
    assert MultiheadAttention is npgrad.nn.MultiheadAttention


def test_mha_gradcheck():
    rng = np.random.default_rng(5)
    mha = npgrad.nn.MultiheadAttention(4, 2).double()
    x = npgrad.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    kpm = npgrad.tensor(np.array([[False, False, True], [False, False, False]]))

    def f(x, *ps):
        return mha(x, x, x, key_padding_mask=kpm, need_weights=False)[0]

    assert gradcheck(f, (x, *mha.parameters()))


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        npgrad.nn.MultiheadAttention(7, 2)
    mha = npgrad.nn.MultiheadAttention(8, 2)
    x = npgrad.zeros(4, 2, 8)
    with pytest.raises(AssertionError, match=r"was expecting embedding dimension of 8, but got 6"):
        mha(npgrad.zeros(4, 2, 6), x, x)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 4\), but should be \(4, 4\)"):
        mha(x, x, x, attn_mask=npgrad.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"expecting key_padding_mask shape of \(2, 4\)"):
        mha(x, x, x, key_padding_mask=npgrad.zeros(2, 3).bool())
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)


# ---------------------------------------------------------------------- transformers
def load_from(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(norm_first=True, batch_first=True),
    dict(activation="gelu", bias=False),
], ids=["post-norm", "pre-norm-batch-first", "gelu-nobias"])
def test_encoder_matches_torch(kwargs, dtype):
    rng = np.random.default_rng(6)
    tlayer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kwargs)
    theirs = torch.nn.TransformerEncoder(tlayer, 2, norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False)
    layer = npgrad.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kwargs)
    ours = npgrad.nn.TransformerEncoder(layer, 2, norm=npgrad.nn.LayerNorm(8))
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    load_from(ours, theirs)
    bf = kwargs.get("batch_first")
    x = pair(_weights(rng, (3, 5, 8) if bf else (5, 3, 8), dtype), requires_grad=True)
    kpm = np.zeros((3, 5), bool)
    kpm[2, 3:] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float32 if dtype == np.float32 else torch.float64)
    out = ours(x[0], mask=npgrad.tensor(mask.numpy()), src_key_padding_mask=npgrad.tensor(kpm),
               is_causal=True)
    tout = theirs(x[1], mask=mask, src_key_padding_mask=torch.tensor(kpm), is_causal=True)
    tol = GELU_TOL[dtype] if kwargs.get("activation") == "gelu" else DEEP_TOL[dtype]
    assert_same(out, tout, "encoder output", **tol)
    backward_both(out, tout, rng)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_same(p.grad, tp[name].grad, f"grad of {name}", **tol)
    assert_same(x[0].grad, x[1].grad, "grad of src", **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, batch_first=True)])
def test_transformer_matches_torch(kwargs, dtype):
    rng = np.random.default_rng(7)
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kwargs)
    ours = npgrad.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kwargs)
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    load_from(ours, theirs)
    bf = kwargs.get("batch_first")
    src = pair(_weights(rng, (3, 5, 8) if bf else (5, 3, 8), dtype), requires_grad=True)
    tgt = pair(_weights(rng, (3, 4, 8) if bf else (4, 3, 8), dtype), requires_grad=True)
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=tdt)
    mask = npgrad.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=npgrad.float32 if dtype == np.float32 else npgrad.float64)
    assert_same(mask, tmask, "square subsequent mask")
    kpm = np.zeros((3, 5), bool)
    kpm[0, 4:] = True
    out = ours(src[0], tgt[0], tgt_mask=mask, memory_key_padding_mask=npgrad.tensor(kpm),
               tgt_is_causal=True)
    tout = theirs(src[1], tgt[1], tgt_mask=tmask, memory_key_padding_mask=torch.tensor(kpm),
                  tgt_is_causal=True)
    assert_same(out, tout, "transformer output", **DEEP_TOL[dtype])
    backward_both(out, tout, rng)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_same(p.grad, tp[name].grad, f"grad of {name}", **DEEP_TOL[dtype])
    assert_same(src[0].grad, src[1].grad, "grad of src", **DEEP_TOL[dtype])
    assert_same(tgt[0].grad, tgt[1].grad, "grad of tgt", **DEEP_TOL[dtype])


def test_decoder_layer_with_callable_activation_and_dropout_modes():
    rng = np.random.default_rng(8)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.3, activation=torch.nn.GELU()).double()
    ours = npgrad.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.3, activation=npgrad.nn.GELU()).double()
    load_from(ours, theirs)
    tgt, mem = pair(rng.standard_normal((4, 2, 8))), pair(rng.standard_normal((5, 2, 8)))
    ours.eval()
    theirs.eval()
    assert_same(ours(tgt[0], mem[0]), theirs(tgt[1], mem[1]), "eval decoder output",
                **GELU_TOL[np.float64])
    ours.train()
    a, b = to_np(ours(tgt[0], mem[0])), to_np(ours(tgt[0], mem[0]))
    assert not np.allclose(a, b), "dropout had no effect in training"


def test_transformer_init_and_errors():
    model = npgrad.nn.Transformer(8, 2, 1, 1, 16)
    w = to_np(model.encoder.layers[0].linear1.weight)
    bound = np.sqrt(6 / (8 + 16))
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(npgrad.zeros(3, 2, 6), npgrad.zeros(3, 2, 8))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(npgrad.zeros(3, 2, 8), npgrad.zeros(3, 1, 8))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        npgrad.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    from npgrad.nn.modules.transformer import Transformer, TransformerEncoderLayer  # noqa: F401
    m = npgrad.nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(to_np(m), to_np(npgrad.tensor(
        torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())))


@pytest.mark.parametrize("batch_first,aligned", [(True, True), (True, False), (False, True)])
def test_encoder_inference_with_padding_mask_matches_torch(batch_first, aligned):
    """torch's inference path returns zeros at padded positions; npgrad must too, and only
    where torch does (eval, no grad, padding at the ends, batch_first)."""
    rng = np.random.default_rng(9)
    kwargs = dict(dim_feedforward=16, dropout=0.1, batch_first=batch_first)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                         norm=torch.nn.LayerNorm(8)).double().eval()
    ours = npgrad.nn.TransformerEncoder(npgrad.nn.TransformerEncoderLayer(8, 2, **kwargs), 2,
                                        norm=npgrad.nn.LayerNorm(8)).double().eval()
    load_from(ours, theirs)
    x = pair(rng.standard_normal((3, 5, 8) if batch_first else (5, 3, 8)))
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    if not aligned:
        kpm[1, 1] = True
    with torch.no_grad(), npgrad.no_grad():
        out = ours(x[0], src_key_padding_mask=npgrad.tensor(kpm))
        tout = theirs(x[1], src_key_padding_mask=torch.tensor(kpm))
    assert_same(out, tout, "inference output with a padding mask")
    out = ours(x[0], src_key_padding_mask=npgrad.tensor(kpm))  # grad on: ordinary path
    tout = theirs(x[1], src_key_padding_mask=torch.tensor(kpm))
    assert_same(out, tout, "eval output with grad enabled")


def test_module_level_helpers_as_torch():
    from npgrad.nn.modules import transformer as ours
    from torch.nn.modules import transformer as theirs
    for sz in (1, 4):
        np.testing.assert_array_equal(to_np(ours._generate_square_subsequent_mask(sz)),
                                      theirs._generate_square_subsequent_mask(sz).numpy())
    assert ours._get_activation_fn("gelu") is F.gelu
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ours._get_activation_fn("tanh")


def test_transformer_layers_gradcheck():
    rng = np.random.default_rng(10)
    enc = npgrad.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True).double()
    dec = npgrad.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    x = npgrad.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    mem = npgrad.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    mask = npgrad.nn.Transformer.generate_square_subsequent_mask(3, dtype=npgrad.float64)
    assert gradcheck(lambda x, *ps: enc(x, src_mask=mask), (x, *enc.parameters()))
    assert gradcheck(lambda t, m, *ps: dec(t, m, tgt_mask=mask), (x.transpose(0, 1).detach().requires_grad_(), mem, *dec.parameters()))


def test_mha_gradient_through_returned_weights():
    rng = np.random.default_rng(11)
    ours, theirs = mha_twins(4, 2)
    x = pair(rng.standard_normal((3, 2, 4)), requires_grad=True)
    _, w = ours(x[0], x[0], x[0], average_attn_weights=False)
    _, tw = theirs(x[1], x[1], x[1], average_attn_weights=False)
    backward_both(w, tw, rng)
    assert_same(x[0].grad, x[1].grad, "grad of the input through the attention weights")
    tp = dict(theirs.named_parameters())
    assert_same(ours.in_proj_weight.grad, tp["in_proj_weight"].grad, "in_proj_weight grad")


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_padded_sequence_as_torch(need_weights):
    """A sequence whose keys are all padding: torch gives NaN through the explicit softmax
    (need_weights=True) and zeros through scaled_dot_product_attention; so must npgrad."""
    rng = np.random.default_rng(12)
    ours, theirs = mha_twins(4, 2)
    with torch.no_grad():
        theirs.out_proj.bias.uniform_(-1, 1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = pair(rng.standard_normal((3, 2, 4)))
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    out, _ = ours(x[0], x[0], x[0], key_padding_mask=npgrad.tensor(kpm), need_weights=need_weights)
    tout, _ = theirs(x[1], x[1], x[1], key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
    np.testing.assert_array_equal(np.isnan(to_np(out)), np.isnan(tout.detach().numpy()))
    np.testing.assert_allclose(np.nan_to_num(to_np(out)), np.nan_to_num(tout.detach().numpy()),
                               rtol=1e-10, atol=1e-12)


def test_functional_multi_head_attention_forward_matches_torch():
    rng = np.random.default_rng(13)
    ours, theirs = mha_twins(8, 2, add_bias_kv=True)
    x = pair(rng.standard_normal((4, 2, 8)), requires_grad=True)
    kv = pair(rng.standard_normal((5, 2, 8)), requires_grad=True)

    def call(F_, mha, q, k):
        return F_.multi_head_attention_forward(
            q, k, k, 8, 2, mha.in_proj_weight, mha.in_proj_bias, mha.bias_k, mha.bias_v, False,
            0.0, mha.out_proj.weight, mha.out_proj.bias, training=True, need_weights=True,
            average_attn_weights=False)

    out, w = call(F, ours, x[0], kv[0])
    tout, tw = call(torch.nn.functional, theirs, x[1], kv[1])
    assert_same(out, tout, "functional attention output")
    assert_same(w, tw, "functional attention weights")
    backward_both(out, tout, rng)
    assert_same(kv[0].grad, kv[1].grad, "grad of key/value")
    assert_same(ours.bias_k.grad, theirs.bias_k.grad, "grad of bias_k")
