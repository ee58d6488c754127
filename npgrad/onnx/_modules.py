"""Module exporters: layers written as a whole, keyed by class name, because one ONNX op
(LSTM, GRU) or a short fixed pattern (TransformerEncoderLayer) says what they do better
than the ops their forward runs.

Each core function takes the builder ``g``, the layer (read only through PyTorch's attribute
and parameter names, so a ``torch.nn`` layer works too: that is how the tests check the
gate-order conversion against torch itself), the ONNX names of its inputs and the input's
rank, and returns the ONNX names of its outputs in the order its forward returns them.
"""
import numpy as np

from ._errors import UnsupportedOperatorError

MODULES = {}


def _np(value):
    """A parameter as a NumPy array (an npgrad Tensor or a torch tensor)."""
    data = getattr(value, "_data", None)
    if data is not None:
        return np.asarray(data)
    return value.detach().cpu().numpy()


def _fail(module, path, why):
    raise UnsupportedOperatorError(
        f"npgrad.onnx.export: module {path or '<model>'} ({type(module).__name__}): {why}")


# ------------------------------------------------------------------ LSTM / GRU
# torch packs the gates i,f,g,o (LSTM) and r,z,n (GRU); ONNX wants i,o,f,c and z,r,h.
_GATE_ORDER = {"LSTM": (4, [0, 3, 1, 2]), "GRU": (3, [1, 0, 2])}


def _reorder(w, kind):
    n, order = _GATE_ORDER[kind]
    chunks = np.split(w, n, axis=0)
    return np.concatenate([chunks[i] for i in order], axis=0)


def recurrent(g, module, ins, x_rank, kind, path=""):
    """ONNX LSTM/GRU nodes, one per layer, for a torch-style ``nn.LSTM``/``nn.GRU``.

    ``ins``: x, then h0 (and c0 for an LSTM) if given. Returns output, h_n (, c_n)."""
    if getattr(module, "proj_size", 0):
        _fail(module, path, "proj_size > 0 is not exported")
    if getattr(module, "mode", kind) not in ("LSTM", "GRU"):
        _fail(module, path, f"RNN mode {module.mode!r} is not exported")
    hidden, layers = int(module.hidden_size), int(module.num_layers)
    dirs = 2 if module.bidirectional else 1
    has_bias = bool(getattr(module, "bias", True))
    params = dict(module.named_parameters())
    unbatched = x_rank == 2
    x = ins[0]
    states = list(ins[1:])
    if unbatched:  # (L, H_in) -> (L, 1, H_in); states (D*layers, H) -> (D*layers, 1, H)
        x = g.node("Unsqueeze", [x, g.ints([1])])
        states = [g.node("Unsqueeze", [s, g.ints([1])]) for s in states]
    elif module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    finals = [[] for _ in range(2 if kind == "LSTM" else 1)]
    for layer in range(layers):
        sfx = [f"_l{layer}", f"_l{layer}_reverse"][:dirs]
        W = np.stack([_reorder(_np(params["weight_ih" + s]), kind) for s in sfx])
        R = np.stack([_reorder(_np(params["weight_hh" + s]), kind) for s in sfx])
        node_in = [x, g.const(W, f"{path}.W{sfx[0]}"), g.const(R, f"{path}.R{sfx[0]}")]
        if has_bias:
            B = np.stack([np.concatenate([_reorder(_np(params["bias_ih" + s]), kind),
                                          _reorder(_np(params["bias_hh" + s]), kind)]) for s in sfx])
            node_in.append(g.const(B, f"{path}.B{sfx[0]}"))
        else:
            node_in.append("")
        node_in.append("")  # sequence_lens: every sequence is full length
        for s in states:
            node_in.append(g.node("Slice", [s, g.ints([layer * dirs]), g.ints([(layer + 1) * dirs]),
                                            g.ints([0])]))
        while node_in[-1] == "":
            node_in.pop()
        outs = g.node(kind, node_in, n_outputs=1 + len(finals), name=f"{kind}_l{layer}",
                      hidden_size=hidden, direction="bidirectional" if dirs == 2 else "forward",
                      linear_before_reset=1 if kind == "GRU" else None)
        # Y (L, D, N, H) -> (L, N, D*H)
        y = g.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])
        x = g.node("Reshape", [y, g.ints([0, 0, -1])])
        for f, o in zip(finals, outs[1:]):
            f.append(o)
    hs = [f[0] if len(f) == 1 else g.node("Concat", f, axis=0) for f in finals]
    if unbatched:
        x = g.node("Squeeze", [x, g.ints([1])])
        hs = [g.node("Squeeze", [h, g.ints([1])]) for h in hs]
    elif module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    return [x] + hs


# ------------------------------------------------------------------ Transformer encoder layer
def _linear(g, x, layer, path):
    w = g.const(_np(layer.weight).T.copy(), f"{path}.weight_T")
    out = g.node("MatMul", [x, w])
    if layer.bias is not None:
        out = g.node("Add", [out, g.const(_np(layer.bias), f"{path}.bias")])
    return out


def _layer_norm(g, x, norm, path):
    shape = tuple(norm.normalized_shape)
    w = _np(norm.weight) if getattr(norm, "weight", None) is not None else np.ones(shape, np.float32)
    ins = [x, g.const(w, f"{path}.weight")]
    if getattr(norm, "bias", None) is not None:
        ins.append(g.const(_np(norm.bias), f"{path}.bias"))
    return g.node("LayerNormalization", ins, axis=-len(shape), epsilon=float(norm.eps))


def attention(g, xq, xk, xv, mha, path, weights=None):
    """Multi-head attention (N, L, E) inputs, MultiheadAttention's weights, no mask.
    ``weights``: None, 'mean' (averaged over heads) or 'heads'; returns out (and weights)."""
    e, heads = int(mha.embed_dim), int(mha.num_heads)
    d = e // heads
    if getattr(mha, "in_proj_weight", None) is None:
        _fail(mha, path, "separate q/k/v projection weights are not exported")
    w = _np(mha.in_proj_weight)
    b = _np(mha.in_proj_bias) if getattr(mha, "in_proj_bias", None) is not None else None
    if getattr(mha, "bias_k", None) is not None or getattr(mha, "add_zero_attn", False):
        _fail(mha, path, "add_bias_kv / add_zero_attn are not exported")
    qkv = []
    for i, (name, x) in enumerate(zip("qkv", (xq, xk, xv))):
        p = g.node("MatMul", [x, g.const(w[i * e:(i + 1) * e].T.copy(), f"{path}.{name}_proj_T")])
        if b is not None:
            p = g.node("Add", [p, g.const(b[i * e:(i + 1) * e], f"{path}.{name}_bias")])
        p = g.node("Reshape", [p, g.ints([0, 0, heads, d])])  # (N, L, h, d)
        qkv.append(g.node("Transpose", [p], perm=[0, 2, 1, 3]))  # (N, h, L, d)
    q, k, v = qkv
    kt = g.node("Transpose", [k], perm=[0, 1, 3, 2])
    scale = g.const(np.asarray(1 / np.sqrt(d), w.dtype), f"{path}.scale")
    probs = g.node("Softmax", [g.node("Mul", [g.node("MatMul", [q, kt]), scale])], axis=-1)
    attn = g.node("MatMul", [probs, v])  # (N, h, L, d)
    attn = g.node("Reshape", [g.node("Transpose", [attn], perm=[0, 2, 1, 3]), g.ints([0, 0, e])])
    out = _linear(g, attn, mha.out_proj, f"{path}.out_proj")
    if weights is None:
        return out
    if weights == "mean":
        probs = g.node("ReduceMean", [probs], axes=[1], keepdims=0) if g.opset < 18 else \
            g.node("ReduceMean", [probs, g.ints([1])], keepdims=0)
    return out, probs


def self_attention(g, x, mha, path):
    return attention(g, x, x, x, mha, path)


def _activation(module, path):
    code = getattr(module, "activation_relu_or_gelu", None)
    if code == 1:
        return "relu"
    if code == 2:
        return "gelu"
    act = module.activation
    name = act if isinstance(act, str) else getattr(act, "__name__", type(act).__name__)
    name = name.lower()
    if name in ("relu", "gelu"):
        return name
    _fail(module, path, f"activation {name!r} is not exported (relu or gelu)")


def encoder_layer(g, module, ins, x_rank, path=""):
    """TransformerEncoderLayer in eval mode, no masks: returns [output]."""
    x = ins[0]
    batch_first = getattr(module, "batch_first", None)  # torch keeps it on self_attn only
    if batch_first is None:
        batch_first = getattr(module.self_attn, "batch_first", False)
    batch_first = bool(batch_first)
    if x_rank == 2:
        x = g.node("Unsqueeze", [x, g.ints([0])])
    elif not batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    act = _activation(module, path)

    def sa(y):
        return self_attention(g, y, module.self_attn, f"{path}.self_attn")

    def ff(y):
        h = _linear(g, y, module.linear1, f"{path}.linear1")
        if act == "relu":
            h = g.node("Relu", [h])
        else:
            dt = _np(module.linear1.weight).dtype
            c = lambda v: g.const(np.asarray(v, dt))  # noqa: E731
            erf = g.node("Erf", [g.node("Div", [h, c(np.sqrt(2.0))])])
            h = g.node("Mul", [g.node("Mul", [h, c(0.5)]), g.node("Add", [erf, c(1.0)])])
        return _linear(g, h, module.linear2, f"{path}.linear2")

    n1 = lambda y: _layer_norm(g, y, module.norm1, f"{path}.norm1")  # noqa: E731
    n2 = lambda y: _layer_norm(g, y, module.norm2, f"{path}.norm2")  # noqa: E731
    if module.norm_first:
        x = g.node("Add", [x, sa(n1(x))])
        x = g.node("Add", [x, ff(n2(x))])
    else:
        x = n1(g.node("Add", [x, sa(x)]))
        x = n2(g.node("Add", [x, ff(x)]))
    if x_rank == 2:
        x = g.node("Squeeze", [x, g.ints([0])])
    elif not batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    return [x]


# ------------------------------------------------------------------ hooks into the tracer
def _traced(core, **kw):
    def export(emitter, module, record):
        ins = [emitter.value(t, fn) for t, fn in record["inputs"]]
        rank = record["inputs"][0][0].ndim
        return core(emitter.g, module, ins, rank, path=record["path"], **kw)
    return export


def _no_masks(module, record, extra=(), allowed=()):
    """Masks change the numbers: refuse them rather than export without them."""
    given = list(record["args"][1 + len(extra):]) + [v for k, v in record["kwargs"].items()
                                                     if k not in allowed]
    if any(a is not None and a is not False for a in given):
        _fail(module, record["path"], "masks / is_causal are not exported")


def _traced_encoder(emitter, module, record):
    _no_masks(module, record)
    if len(record["inputs"]) != 1:
        _fail(module, record["path"], "masks are not exported")
    return _traced(encoder_layer)(emitter, module, record)


def multihead_attention(g, module, ins, x_rank, path="", weights=None):
    """MultiheadAttention (query, key, value), no masks: returns [out] or [out, weights]."""
    if x_rank == 2:
        ins = [g.node("Unsqueeze", [x, g.ints([0])]) for x in ins]
    elif not module.batch_first:
        ins = [g.node("Transpose", [x], perm=[1, 0, 2]) for x in ins]
    outs = attention(g, *ins, module, path, weights)
    outs = list(outs) if weights else [outs]
    if x_rank == 2:
        outs = [g.node("Squeeze", [o, g.ints([0])]) for o in outs]
    elif not module.batch_first:
        outs[0] = g.node("Transpose", [outs[0]], perm=[1, 0, 2])
    return outs


def _traced_mha(emitter, module, record):
    # positional: query, key, value, key_padding_mask, need_weights, attn_mask, average, is_causal
    args = list(record["args"]) + [None] * 8
    kwargs = record["kwargs"]
    masks = [args[3], args[5], kwargs.get("key_padding_mask"), kwargs.get("attn_mask"),
             args[7] or kwargs.get("is_causal")]
    if any(m is not None and m is not False for m in masks):
        _fail(module, record["path"], "masks / is_causal are not exported")
    qkv = [(t, t.grad_fn) for t in _tensors(args[:3])]
    if len(qkv) != 3 or len(record["outputs"]) not in (1, 2):
        _fail(module, record["path"], "expected query, key and value tensors")
    rank = qkv[0][0].ndim
    weights = None
    if len(record["outputs"]) == 2:
        weights = "heads" if record["outputs"][1].ndim == rank + 1 else "mean"
    ins = [emitter.value(t, fn) for t, fn in qkv]
    return multihead_attention(emitter.g, module, ins, rank, path=record["path"], weights=weights)


def _tensors(values):
    from .._tensor import Tensor

    return [v for v in values if isinstance(v, Tensor)]


MODULES["LSTM"] = _traced(recurrent, kind="LSTM")
MODULES["GRU"] = _traced(recurrent, kind="GRU")
MODULES["TransformerEncoderLayer"] = _traced_encoder
MODULES["MultiheadAttention"] = _traced_mha


def standalone(module, kind, input_shapes, opset_version=17, input_names=None, weights=None):
    """An ONNX ModelProto of one layer alone, built from its weights (a torch or npgrad
    layer): ``kind`` is 'LSTM', 'GRU', 'TransformerEncoderLayer' or 'MultiheadAttention'
    (``weights``: None, 'mean' or 'heads', its attention-weights output); ``input_shapes`` the
    shapes of x (and the states), ``None`` for a dynamic size. Used to check the layer
    mappings against torch directly."""
    from ._errors import require_onnx
    from ._graph import GraphBuilder

    onnx = require_onnx()
    g = GraphBuilder(onnx)
    g.opset = opset_version
    names = input_names or [f"input_{i}" for i in range(len(input_shapes))]
    rank = len(input_shapes[0])
    if kind == "TransformerEncoderLayer":
        outs = encoder_layer(g, module, names, rank, path=kind)
    elif kind == "MultiheadAttention":
        outs = multihead_attention(g, module, names, rank, path=kind, weights=weights)
    else:
        outs = recurrent(g, module, names, rank, kind, path=kind)
    outs = [g.node("Identity", [o], name=f"output_{i}") for i, o in enumerate(outs)]
    dtype = onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        g.nodes, kind, [onnx.helper.make_tensor_value_info(n, dtype, list(s))
                        for n, s in zip(names, input_shapes)],
        [onnx.helper.make_tensor_value_info(o, dtype, [None] * (rank + (i > 0 and weights == "heads")))
         for i, o in enumerate(outs)], g.tensor_protos())
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    onnx.checker.check_model(model)
    return model
