"""``add_graph``: the recorded op graph of one forward pass as a TensorBoard GraphDef.

Each op node is named ``module/path/OpName_k`` so the Graphs tab folds it into its module;
the model's inputs are ``input_i`` and its parameters keep their ``state_dict`` names."""
import numpy as np


def graph_def(model, input_to_model):
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.node_def_pb2 import NodeDef
    from tensorboard.compat.proto.attr_value_pb2 import AttrValue

    from ..._tensor import Tensor, wrap
    from ...autograd import grad_mode
    from ...onnx._trace import Recording, flat_tensors

    if input_to_model is None:
        raise ValueError("add_graph: input_to_model is required (an example input)")
    args = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
    inputs = []
    for a in args:
        t = a if isinstance(a, Tensor) else wrap(np.asarray(a))
        t = t.detach().clone()
        if t.is_floating_point():
            t.requires_grad_(True)
        inputs.append(t)
    was = grad_mode._enabled
    grad_mode._enabled = True
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with Recording(model, {}) as rec:
            outputs = flat_tensors(model(*inputs))
    finally:
        grad_mode._enabled = was
        for m, mode in modes.items():
            m.training = mode
    del rec
    names = {id(t): f"input_{i}" for i, t in enumerate(inputs)}
    names.update({id(p): n for n, p in model.named_parameters()})
    nodes, done, counts, keep = [], {}, {}, []

    def shape_attr(shape):
        from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

        proto = AttrValue.ListValue(shape=[TensorShapeProto(
            dim=[TensorShapeProto.Dim(size=int(s)) for s in shape])])
        return AttrValue(list=proto)

    def name_of(tensor, fn):
        if fn is None:
            key = id(tensor)
            if key not in done:
                keep.append(tensor)
                name = names.get(key) or f"constant_{len(done)}"
                op = "Parameter" if key in names and not name.startswith("input_") else (
                    "Input" if key in names else "Constant")
                nodes.append(NodeDef(name=name, op=op, attr={"_output_shapes": shape_attr(tensor.shape)}))
                done[key] = name
            return done[key]
        key = id(fn)
        if key in done:
            return done[key]
        keep.append(fn)
        info = getattr(fn, "_onnx", None)
        where = info[4].split(" (")[0] if info and info[4] else ""
        op = type(fn).__name__
        ins = [name_of(t if t is not None else None, p)
               for t, p in zip(fn.inputs, fn.parents) if t is not None or p is not None]
        k = counts.get((where, op), 0)
        counts[(where, op)] = k + 1
        name = f"{where.replace('.', '/')}/{op}_{k}" if where else f"{op}_{k}"
        attr = {"_output_shapes": shape_attr(info[2])} if info else {}
        nodes.append(NodeDef(name=name, op=op, input=ins, attr=attr))
        done[key] = name
        return name

    for i, t in enumerate(outputs):
        src = name_of(t, t.grad_fn)
        nodes.append(NodeDef(name=f"output_{i}", op="Output", input=[src]))
    return GraphDef(node=nodes)
