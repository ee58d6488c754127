"""Run the model once with every op recorded, then walk the recorded graph into ONNX.

Recording: while tracing, ``Op.apply`` (the internal op base) also keeps on each node the arguments it was
called with (shapes, axes and the other constants ``forward`` took), the output's shape and
the module it ran in. Forward hooks on every module keep the module stack and, for layers with
a module exporter, the layer's inputs and outputs. (Hooks also keep ``nn.Sequential`` from
fusing Linear -> ReLU, so each op stays its own node.)

Walking: from the model's outputs back to its inputs, every value's producer is written
first: a layer with a module exporter as a whole, else the op node by its op exporter.
"""
import sys

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op as _Node
from ._errors import UnsupportedOperatorError


def flat_tensors(obj):
    """The Tensors in a (nested) tuple/list output, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flat_tensors(o)]
    return []


class Recording:
    """The context that records one forward pass of ``model``."""

    def __init__(self, model, module_exporters):
        self.model = model
        self.module_exporters = module_exporters
        self.stack = []  # paths of the modules running now
        self.layers = {}  # id(grad_fn of a layer output) -> (record, output index)
        self.keep = []  # keep recorded objects alive (ids stay unique)

    def __enter__(self):
        recording = self
        self._orig_apply = _Node.__dict__["apply"]
        orig = self._orig_apply.__func__

        def apply(cls, *args, **kwargs):
            out = orig(cls, *args, **kwargs)
            fn = out.grad_fn
            if fn is not None and type(fn) is cls:
                fn._onnx = (args, kwargs, tuple(out._data.shape), out._data.dtype,
                            recording.stack[-1] if recording.stack else "")
            return out

        _Node.apply = classmethod(apply)
        self.handles = []
        for path, m in self.model.named_modules():
            self.handles.append(m.register_forward_pre_hook(self._pre(path)))
            self.handles.append(m.register_forward_hook(self._post(path), with_kwargs=True))
        return self

    def __exit__(self, *exc):
        _Node.apply = self._orig_apply
        for h in self.handles:
            h.remove()
        return False

    def _pre(self, path):
        def hook(module, args):
            self.stack.append(f"{path or '<model>'} ({type(module).__name__})")
        return hook

    def _post(self, path):
        def hook(module, args, kwargs, output):
            self.stack.pop()
            exporter = self.module_exporters.get(type(module).__name__)
            if exporter is None:
                return None
            ins = [(t, t.grad_fn) for t in flat_tensors(list(args) + list(kwargs.values()))]
            outs = flat_tensors(output)
            record = {"module": module, "path": path, "exporter": exporter, "inputs": ins,
                      "args": args, "kwargs": kwargs, "outputs": outs, "names": None}
            self.keep.append(record)
            in_fns = {id(fn) for _, fn in ins if fn is not None}
            for i, t in enumerate(outs):
                if t.grad_fn is not None and id(t.grad_fn) not in in_fns:
                    self.layers[id(t.grad_fn)] = (record, i)  # the outermost layer wins
            return None
        return hook


class Emitter:
    """Writes the recorded graph into a ``GraphBuilder``, each value once."""

    def __init__(self, g, recording, leaf_names, op_exporters):
        self.g, self.rec, self.leaf_names, self.ops = g, recording, leaf_names, op_exporters
        self.done = {}
        self.keep = []
        self.array_names = {}  # id(input tensor's array) -> its name

    def value(self, tensor, fn):
        """The ONNX name of ``tensor`` (made by node ``fn``, None for a leaf)."""
        if fn is None:
            key = id(tensor)
            if key not in self.done:
                self.keep.append(tensor)
                name = self.leaf_names.get(key)
                self.done[key] = name if name is not None else self.g.const(tensor._data, "constant")
            return self.done[key]
        key = id(fn)
        if key in self.done:
            return self.done[key]
        layer = self.rec.layers.get(key)
        if layer is not None:
            record, _ = layer
            names = record["exporter"](self, record["module"], record)
            for t, name in zip(record["outputs"], names):
                if t.grad_fn is not None:
                    self.done[id(t.grad_fn)] = name
            return self.done[key]
        self.keep.append(fn)
        info = getattr(fn, "_onnx", None)
        exporter = None
        for cls in type(fn).__mro__:
            exporter = self.ops.get(cls.__name__)
            if exporter is not None:
                break
        where = info[4] if info else "?"
        if exporter is None or info is None:
            raise UnsupportedOperatorError(
                f"npgrad.onnx.export: op {type(fn).__name__} (in module {where or '<model>'}) "
                f"has no ONNX exporter")
        args, kwargs, out_shape, out_dtype, _ = info
        ins, shapes = [], []
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                ins.append(self.value(fn.inputs[i] if i < len(fn.inputs) and fn.inputs[i] is not None else a,
                                      fn.parents[i] if i < len(fn.parents) else a.grad_fn))
                shapes.append(tuple(a._data.shape))
            elif isinstance(a, np.ndarray) and id(a) in self.array_names:
                ins.append(self.array_names[id(a)])  # an input's array handed over bare
                shapes.append(a.shape)
            else:
                ins.append(a)
                shapes.append(np.shape(a) if isinstance(a, np.ndarray) else None)
        op = Op(self, type(fn).__name__, where, ins, shapes, kwargs, out_shape, out_dtype)
        self.done[key] = exporter(op)
        return self.done[key]

    def allow_deep_graphs(self, depth=20000):
        """``value`` recurses once per op on a path: let long chains (RNN steps) through."""
        if sys.getrecursionlimit() < depth:
            sys.setrecursionlimit(depth)


class Op:
    """What an op exporter gets: the builder ``g``, input names (or constants), their shapes,
    the keyword arguments, and the output's shape and dtype."""

    def __init__(self, emitter, name, where, ins, shapes, kwargs, out_shape, out_dtype):
        self.g, self.name, self.where = emitter.g, name, where
        self.ins, self.shapes, self.kwargs = ins, shapes, kwargs
        self.out_shape, self.dtype = out_shape, out_dtype

    def arg(self, i, key, default=None):
        """Argument ``key`` given by position ``i`` or by keyword."""
        if key in self.kwargs:
            return self.kwargs[key]
        return self.ins[i] if i < len(self.ins) else default

    def name_of(self, i):
        """Input ``i`` as an ONNX name (a constant of the output dtype if it is not a Tensor)."""
        v = self.ins[i]
        if isinstance(v, str) and self.shapes[i] is not None:
            return v
        return self.g.const(np.asarray(v).astype(self.dtype), "constant")

    def fail(self, why):
        raise UnsupportedOperatorError(
            f"npgrad.onnx.export: op {self.name} (in module {self.where or '<model>'}): {why}")
