"""The errors ``npgrad.onnx.export`` raises (PyTorch's names)."""


class OnnxExporterError(RuntimeError):
    """Export failed (PyTorch: ``torch.onnx.OnnxExporterError``)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op or layer with no ONNX exporter; the message names it and its module."""


def require_onnx():
    """The ``onnx`` module, or an ImportError that names the extra to install."""
    try:
        import onnx
    except ImportError:
        raise ImportError("npgrad.onnx.export needs the 'onnx' package: "
                          "pip install 'npgrad[onnx]' (or: pip install onnx)") from None
    return onnx
