"""``export``: PyTorch's ``torch.onnx.export`` signature, writing a model file."""
import numpy as np

from .._tensor import Tensor, wrap
from ._errors import OnnxExporterError, require_onnx

MIN_OPSET = 17  # LayerNormalization arrived in opset 17


def export(model, args=(), f=None, kwargs=None, export_params=True, verbose=False,
           input_names=None, output_names=None, opset_version=None, dynamic_axes=None,
           keep_initializers_as_inputs=False, training=None, do_constant_folding=True,
           custom_opsets=None, dynamo=False, **unused):
    """Trace ``model(*args)`` once and write it to ``f`` (a path or a binary file) as ONNX.

    ``input_names``/``output_names`` name the graph's inputs and outputs (default ``input``,
    ``input_1``, ... and ``output``, ...); ``dynamic_axes`` marks sizes that may change, as in
    PyTorch: ``{"input": {0: "batch"}, "output": {0: "batch"}}`` or ``{"input": [0]}``. The
    model runs in eval mode (dropout off, BatchNorm on its running statistics) and is put
    back in the mode it was in. Returns None, as PyTorch's TorchScript exporter does."""
    if not export_params:
        raise OnnxExporterError("npgrad.onnx.export: export_params=False is not supported")
    if kwargs:
        raise OnnxExporterError("npgrad.onnx.export: keyword inputs (kwargs) are not supported")
    if training not in (None, False) and str(training) not in ("TrainingMode.EVAL", "EVAL"):
        raise OnnxExporterError("npgrad.onnx.export: only eval-mode export is supported")
    proto = to_model_proto(model, args, input_names, output_names, opset_version, dynamic_axes)
    if f is None:
        raise OnnxExporterError("npgrad.onnx.export: f (a path or a file) is required")
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
    else:
        with open(f, "wb") as out:
            out.write(data)
    if verbose:
        print(require_onnx().helper.printable_graph(proto.graph))
    return None


def _as_tuple(args):
    if isinstance(args, (Tensor, np.ndarray)):
        return (args,)
    args = tuple(args)
    if args and isinstance(args[-1], dict):
        if args[-1]:
            raise OnnxExporterError("npgrad.onnx.export: keyword inputs (a dict in args) are not supported")
        args = args[:-1]
    return args


def _input_tensor(a, i):
    if isinstance(a, np.ndarray):
        a = wrap(np.asarray(a))
    if not isinstance(a, Tensor):
        raise OnnxExporterError(f"npgrad.onnx.export: input {i} is a {type(a).__name__}, "
                                f"only Tensors can be inputs")
    t = a.detach().clone() if a.is_floating_point() else a.detach()
    if a.is_floating_point():
        t.requires_grad_(True)  # so that ops on the input alone are recorded too
    return t


def _dims(shape, axes, name):
    """The shape with each dynamic axis a named parameter (PyTorch's default names)."""
    dims = list(shape)
    if axes is None:
        return dims
    if isinstance(axes, dict):
        items = axes.items()
    else:
        items = [(a, f"{name}_dynamic_axes_{i + 1}") for i, a in enumerate(axes)]
    for axis, label in items:
        axis = int(axis)
        if not -len(dims) <= axis < len(dims):
            raise OnnxExporterError(f"npgrad.onnx.export: dynamic axis {axis} of {name!r} is out "
                                    f"of range for its shape {tuple(shape)}")
        dims[axis] = str(label)
    return dims


def to_model_proto(model, args, input_names=None, output_names=None, opset_version=None,
                   dynamic_axes=None):
    """The ONNX ModelProto of ``model`` traced on ``args`` (what ``export`` writes)."""
    onnx = require_onnx()
    from ..autograd import grad_mode
    from ._graph import GraphBuilder
    from ._modules import MODULES
    from ._ops import OPS
    from ._trace import Emitter, Recording, flat_tensors

    opset = MIN_OPSET if opset_version is None else int(opset_version)
    if opset < MIN_OPSET:
        raise OnnxExporterError(f"npgrad.onnx.export: opset_version {opset} is not supported; "
                                f"use {MIN_OPSET} or later")
    inputs = [_input_tensor(a, i) for i, a in enumerate(_as_tuple(args))]
    in_names = list(input_names or [])
    in_names += [("input" if i == 0 else f"input_{i}") for i in range(len(in_names), len(inputs))]
    if len(in_names) > len(inputs):
        raise OnnxExporterError(f"npgrad.onnx.export: {len(in_names)} input_names for "
                                f"{len(inputs)} inputs")

    modes = {m: m.training for m in model.modules()}
    model.eval()
    was_enabled = grad_mode._enabled
    grad_mode._enabled = True
    recording = Recording(model, MODULES)
    try:
        with recording:
            out = model(*inputs)
    finally:
        grad_mode._enabled = was_enabled
        for m, mode in modes.items():
            m.training = mode
    outputs = flat_tensors(out)
    if not outputs:
        raise OnnxExporterError(f"npgrad.onnx.export: the model returned {type(out).__name__}, "
                                f"not Tensors")
    out_names = list(output_names or [])
    out_names += [("output" if i == 0 else f"output_{i}") for i in range(len(out_names), len(outputs))]

    g = GraphBuilder(onnx)
    g.opset = opset
    leaf_names = {id(t): n for t, n in zip(inputs, in_names)}
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if id(p) not in leaf_names:
            leaf_names[id(p)] = name
            g.initializers[name] = np.ascontiguousarray(p._data)
            g._count[name] = 1
    emitter = Emitter(g, recording, leaf_names, OPS)
    emitter.array_names = {id(t._data): n for t, n in zip(inputs, in_names)}
    emitter.allow_deep_graphs()
    for t, name in zip(outputs, out_names):
        g.nodes.append(onnx.helper.make_node("Identity", [emitter.value(t, t.grad_fn)], [name],
                                             name=g.fresh(f"{name}_identity")))
    used = {i for n in g.nodes for i in n.input}
    for name in [n for n in g.initializers if n not in used]:  # unused weights stay out
        del g.initializers[name]

    dynamic_axes = dynamic_axes or {}
    unknown = set(dynamic_axes) - set(in_names) - set(out_names)
    if unknown:
        raise OnnxExporterError(f"npgrad.onnx.export: dynamic_axes names {sorted(unknown)} are "
                                f"neither inputs {in_names} nor outputs {out_names}")
    elem = onnx.helper.np_dtype_to_tensor_dtype
    graph_inputs = [onnx.helper.make_tensor_value_info(
        n, elem(t._data.dtype), _dims(t._data.shape, dynamic_axes.get(n), n))
        for t, n in zip(inputs, in_names) if n in used]
    graph_outputs = [onnx.helper.make_tensor_value_info(
        n, elem(t._data.dtype), _dims(t._data.shape, dynamic_axes.get(n), n))
        for t, n in zip(outputs, out_names)]
    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, graph_inputs, graph_outputs,
                                   g.tensor_protos())
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="npgrad")
    onnx.checker.check_model(proto)
    return proto
