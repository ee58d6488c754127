"""ONNX export, under PyTorch's name: ``npgrad.onnx.export(model, args, "model.onnx")``.

Importing this package needs nothing beyond NumPy; ``export`` needs the ``onnx`` package
(``pip install npgrad[onnx]``) and says so when it is missing.

How it works (``_trace.py``): the model runs once on ``args`` with the graph recorded; every
op node (a ``Function``) is then written as ONNX nodes by the exporter registered for its
class (``_ops.py``). Layers that are clearer as one ONNX op than as the ops they run (LSTM,
GRU, TransformerEncoderLayer) have module exporters (``_modules.py``) that take over their
whole forward. Anything without an exporter raises ``UnsupportedOperatorError`` naming the op
and the module it ran in.
"""
from ._errors import OnnxExporterError, UnsupportedOperatorError
from ._export import export

__all__ = ["export", "OnnxExporterError", "UnsupportedOperatorError"]
