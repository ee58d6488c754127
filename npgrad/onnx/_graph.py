"""``GraphBuilder``: the ONNX graph being written - nodes, initializers, fresh names."""
import numpy as np


class GraphBuilder:
    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes = []
        self.initializers = {}  # name -> numpy array
        self._count = {}

    def fresh(self, stem):
        """A name not used before: ``stem``, ``stem_1``, ..."""
        n = self._count.get(stem, 0)
        self._count[stem] = n + 1
        return stem if n == 0 else f"{stem}_{n}"

    def node(self, op, inputs, n_outputs=1, name=None, **attrs):
        """Add one node; returns its output name (or the list of names if n_outputs > 1)."""
        outputs = [self.fresh(f"{name or op}_out") for _ in range(n_outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outputs,
                                                     name=self.fresh(name or op), **attrs))
        return outputs[0] if n_outputs == 1 else outputs

    def const(self, value, stem="const", dtype=None):
        """An initializer holding ``value`` (an array or number); returns its name."""
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
            arr = arr.astype(np.float32)
        name = self.fresh(stem)
        self.initializers[name] = np.ascontiguousarray(arr)
        return name

    def ints(self, values, stem="shape"):
        return self.const(np.asarray(list(values), dtype=np.int64), stem)

    def tensor_protos(self):
        from onnx import numpy_helper

        return [numpy_helper.from_array(a, name) for name, a in self.initializers.items()]
