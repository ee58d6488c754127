"""Op exporters: one function per ``Function`` class (keyed by class name), writing the
ONNX nodes that compute what that op's ``forward`` computes. Each gets an ``Op`` (see
``_trace.py``) and returns the name of its output."""
import numpy as np

OPS = {}


def exporter(*names):
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return register


# ------------------------------------------------------------------ elementwise
def _binary(onnx_op):
    def export(op):
        return op.g.node(onnx_op, [op.name_of(0), op.name_of(1)])
    return export


for _name, _onnx in [("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Maximum", "Max"),
                     ("Minimum", "Min"), ("MaskMul", "Mul")]:
    OPS[_name] = _binary(_onnx)


@exporter("Div")
def _div(op):
    if not np.issubdtype(op.dtype, np.floating):
        op.fail("only true (float) division is exported")
    return op.g.node("Div", [op.name_of(0), op.name_of(1)])


@exporter("Pow")
def _pow(op):
    return op.g.node("Pow", [op.name_of(0), op.name_of(1)])


def _unary(onnx_op):
    def export(op):
        return op.g.node(onnx_op, [op.ins[0]])
    return export


for _name, _onnx in [("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"),
                     ("Sin", "Sin"), ("Cos", "Cos"), ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid"),
                     ("Relu", "Relu"), ("Abs", "Abs"), ("Clone", "Identity"),
                     ("Floor", "Floor"), ("Ceil", "Ceil"), ("Sign", "Sign")]:
    OPS[_name] = _unary(_onnx)


@exporter("Rsqrt")
def _rsqrt(op):
    return op.g.node("Reciprocal", [op.g.node("Sqrt", [op.ins[0]])])


@exporter("Log1p")
def _log1p(op):
    one = op.g.const(np.asarray(1, op.dtype), "one")
    return op.g.node("Log", [op.g.node("Add", [op.ins[0], one])])


@exporter("LeakyRelu")
def _leaky_relu(op):
    return op.g.node("LeakyRelu", [op.ins[0]], alpha=float(op.arg(1, "negative_slope", 0.01)))


@exporter("Elu")
def _elu(op):
    return op.g.node("Elu", [op.ins[0]], alpha=float(op.arg(1, "alpha", 1.0)))


@exporter("Silu")
def _silu(op):
    return op.g.node("Mul", [op.ins[0], op.g.node("Sigmoid", [op.ins[0]])])


@exporter("Gelu")
def _gelu(op):
    x, approximate = op.ins[0], op.arg(1, "approximate", "none")
    g, c = op.g, (lambda v: op.g.const(np.asarray(v, op.dtype)))
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [x3, c(0.044715)])]),
                               c(np.sqrt(2 / np.pi))])
        return g.node("Mul", [g.node("Mul", [x, c(0.5)]), g.node("Add", [g.node("Tanh", [inner]), c(1)])])
    erf = g.node("Erf", [g.node("Div", [x, c(np.sqrt(2.0))])])  # x * 0.5 (1 + erf(x / sqrt 2))
    return g.node("Mul", [g.node("Mul", [x, c(0.5)]), g.node("Add", [erf, c(1)])])


@exporter("Clamp")
def _clamp(op):
    lo, hi = op.arg(1, "lo"), op.arg(2, "hi")
    ins = [op.ins[0], "" if lo is None else op.g.const(np.asarray(lo, op.dtype)),
           "" if hi is None else op.g.const(np.asarray(hi, op.dtype))]
    while ins[-1] == "":
        ins.pop()
    return op.g.node("Clip", ins)


@exporter("Hardtanh")
def _hardtanh(op):
    lo, hi = op.arg(1, "min_val", -1.0), op.arg(2, "max_val", 1.0)
    return op.g.node("Clip", [op.ins[0], op.g.const(np.asarray(lo, op.dtype)),
                              op.g.const(np.asarray(hi, op.dtype))])


@exporter("Softmax", "LogSoftmax")
def _softmax(op):
    return op.g.node(op.name, [op.ins[0]], axis=int(op.arg(1, "axis")))


# ------------------------------------------------------------------ linear algebra
@exporter("MatMul")
def _matmul(op):
    return op.g.node("MatMul", [op.ins[0], op.ins[1]])


def linear(g, x, x_rank, weight, bias):
    """x @ weight.T + bias: one Gemm for a 2-D x, else MatMul (+ Add)."""
    if x_rank == 2:
        return g.node("Gemm", [x, weight] + ([bias] if bias else []), transB=1)
    out = g.node("MatMul", [x, g.node("Transpose", [weight], perm=[1, 0])])
    return g.node("Add", [out, bias]) if bias else out


@exporter("Linear")
def _linear(op):
    bias = op.ins[2] if len(op.ins) > 2 and op.ins[2] is not None else op.kwargs.get("bias")
    return linear(op.g, op.ins[0], len(op.shapes[0]), op.ins[1], bias)


@exporter("LinearReLU")
def _linear_relu(op):
    out = op.g.node("Relu", [linear(op.g, op.ins[0], len(op.shapes[0]), op.ins[1], op.ins[2])])
    if len(op.ins) > 3 and op.ins[3] is not None:
        op.fail("dropout in training mode cannot be exported (call model.eval())")
    return out


# ------------------------------------------------------------------ shapes
@exporter("Reshape")
def _reshape(op):
    target, in_shape = list(op.arg(1, "shape")), op.shapes[0]
    # a leading size equal to the input's is copied from the input (0): that keeps a
    # flatten or view(x.size(0), -1) right for every batch size
    for k in range(min(len(target), len(in_shape))):
        if target[k] != in_shape[k]:
            break
        target[k] = 0
    return op.g.node("Reshape", [op.ins[0], op.g.ints(target)])


@exporter("Permute")
def _permute(op):
    return op.g.node("Transpose", [op.ins[0]], perm=[int(d) for d in op.arg(1, "dims")])


@exporter("Expand")
def _expand(op):
    target, in_shape = list(op.arg(1, "shape")), op.shapes[0]
    lead = len(target) - len(in_shape)
    # where nothing is broadcast, ask for 1 (Expand broadcasts both ways): batch-free
    shape = [1 if k >= lead and in_shape[k - lead] == t else t for k, t in enumerate(target)]
    return op.g.node("Expand", [op.ins[0], op.g.ints(shape)])


@exporter("Cat")
def _cat(op):
    return op.g.node("Concat", [op.name_of(i) for i in range(len(op.ins))],
                     axis=int(op.kwargs.get("axis", 0)))


@exporter("Stack")
def _stack(op):
    axis = int(op.kwargs.get("axis", 0))
    ax = op.g.ints([axis])
    return op.g.node("Concat", [op.g.node("Unsqueeze", [op.name_of(i), ax])
                                for i in range(len(op.ins))], axis=axis)


@exporter("Cast")
def _cast(op):
    from onnx import helper

    return op.g.node("Cast", [op.ins[0]], to=helper.np_dtype_to_tensor_dtype(np.dtype(op.dtype)))


@exporter("Index")
def _index(op):
    """Basic indexing only: ints, slices (step > 0), None and Ellipsis."""
    index = op.arg(1, "index")
    index = index if isinstance(index, tuple) else (index,)
    shape = op.shapes[0]
    if any(not (isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis)
           for i in index):
        op.fail(f"only int/slice indexing is exported, got {index!r}")
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        k = index.index(Ellipsis)
        index = index[:k] + (slice(None),) * (len(shape) - n_real) + index[k + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = out_axis = 0
    for i in index:
        if i is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        size = shape[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(size)
            if step <= 0:
                op.fail("negative slice steps are not exported")
            if (start, stop, step) != (0, size, 1):
                starts.append(start)
                ends.append(stop)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:
            j = int(i) % size if -size <= int(i) < size else op.fail(f"index {i} out of range")
            # a negative index counts from the end, which is batch-free
            start = int(i) if int(i) < 0 else j
            starts.append(start)
            ends.append(start + 1 if start != -1 else np.iinfo(np.int64).max)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    g, out = op.g, op.ins[0]
    if axes:
        out = g.node("Slice", [out, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        out = g.node("Squeeze", [out, g.ints(squeeze)])
    if unsqueeze:
        out = g.node("Unsqueeze", [out, g.ints(unsqueeze)])
    if out == op.ins[0]:
        out = g.node("Identity", [out])
    return out


# ------------------------------------------------------------------ reductions
def _reduce(onnx_op):
    def export(op):
        axes = op.arg(1, "axes")
        keep = int(bool(op.arg(2, "keepdim", False)))
        if axes is None:
            axes = range(len(op.shapes[0]))
        axes = [int(a) for a in np.atleast_1d(axes)]
        if onnx_op == "ReduceSum" or op.g.opset >= 18:
            return op.g.node(onnx_op, [op.ins[0], op.g.ints(axes)], keepdims=keep)
        return op.g.node(onnx_op, [op.ins[0]], axes=axes, keepdims=keep)
    return export


OPS["Sum"] = _reduce("ReduceSum")
OPS["Mean"] = _reduce("ReduceMean")


# ------------------------------------------------------------------ layers' ops
@exporter("Conv2d")
def _conv2d(op):
    if op.arg(7, "padding_mode", "zeros") != "zeros":
        op.fail(f"padding_mode {op.arg(7, 'padding_mode')!r} is not exported (only 'zeros')")
    top, bottom, left, right = op.arg(4, "pads", (0, 0, 0, 0))
    ins = [op.ins[0], op.ins[1]]
    if op.ins[2] is not None:
        ins.append(op.ins[2])
    w = op.shapes[1]
    return op.g.node("Conv", ins, kernel_shape=[int(w[2]), int(w[3])],
                     strides=[int(s) for s in op.arg(3, "stride", (1, 1))],
                     pads=[int(top), int(left), int(bottom), int(right)],
                     dilations=[int(d) for d in op.arg(5, "dilation", (1, 1))],
                     group=int(op.arg(6, "groups", 1)))


def _pool_pads(padding):
    ph, pw = padding
    return [int(ph), int(pw), int(ph), int(pw)]


@exporter("MaxPool2d")
def _max_pool(op):
    return op.g.node("MaxPool", [op.ins[0]], kernel_shape=[int(k) for k in op.arg(1, "kernel")],
                     strides=[int(s) for s in op.arg(2, "stride")],
                     pads=_pool_pads(op.arg(3, "padding", (0, 0))),
                     dilations=[int(d) for d in op.arg(4, "dilation", (1, 1))],
                     ceil_mode=int(bool(op.arg(5, "ceil_mode", False))))


@exporter("AvgPool2d")
def _avg_pool(op):
    if op.arg(6, "divisor_override") is not None:
        op.fail("divisor_override is not exported")
    return op.g.node("AveragePool", [op.ins[0]], kernel_shape=[int(k) for k in op.arg(1, "kernel")],
                     strides=[int(s) for s in op.arg(2, "stride")],
                     pads=_pool_pads(op.arg(3, "padding", (0, 0))),
                     ceil_mode=int(bool(op.arg(4, "ceil_mode", False))),
                     count_include_pad=int(bool(op.arg(5, "count_include_pad", True))))


@exporter("AdaptiveAvgPool2d")
def _adaptive_avg_pool(op):
    h, w = op.shapes[0][2:]
    ho, wo = op.arg(1, "output_size")
    if (ho, wo) == (1, 1):
        return op.g.node("GlobalAveragePool", [op.ins[0]])
    if h % ho or w % wo:
        op.fail(f"adaptive pooling {h}x{w} -> {ho}x{wo} has uneven windows (ONNX has no op for it)")
    k = [h // ho, w // wo]
    return op.g.node("AveragePool", [op.ins[0]], kernel_shape=k, strides=k)


@exporter("BatchNorm")
def _batch_norm(op):
    if op.arg(5, "training", True):
        op.fail("BatchNorm in training mode cannot be exported (call model.eval())")
    g, c = op.g, op.shapes[0][1]
    weight = op.ins[1] if op.ins[1] is not None else g.const(np.ones(c, op.dtype), "bn_weight")
    bias = op.ins[2] if len(op.ins) > 2 and op.ins[2] is not None else g.const(np.zeros(c, op.dtype), "bn_bias")
    stats = []
    for i, key in ((3, "running_mean"), (4, "running_var")):
        v = op.arg(i, key)
        stats.append(v if isinstance(v, str) else g.const(np.asarray(v).astype(op.dtype), key))
    return g.node("BatchNormalization", [op.ins[0], weight, bias] + stats,
                  epsilon=float(op.arg(7, "eps", 1e-5)))


@exporter("LayerNorm")
def _layer_norm(op):
    n_axes = int(op.arg(3, "n_axes", 1))
    g, shape = op.g, op.shapes[0]
    norm = shape[len(shape) - n_axes:]
    weight = op.ins[1] if op.ins[1] is not None else g.const(np.ones(norm, op.dtype), "ln_weight")
    ins = [op.ins[0], weight]
    if len(op.ins) > 2 and op.ins[2] is not None:
        ins.append(op.ins[2])
    return g.node("LayerNormalization", ins, axis=-n_axes, epsilon=float(op.arg(4, "eps", 1e-5)))


@exporter("Embedding")
def _embedding(op):
    indices = op.ins[1]
    if not isinstance(indices, str):
        op.fail("embedding indices must be a model input")
    idx = op.g.node("Cast", [indices], to=7)  # int64
    return op.g.node("Gather", [op.ins[0], idx], axis=0)
