"""``npgrad export MODEL.safetensors model.onnx``: an ``npgrad train`` checkpoint as ONNX.

The model takes ``input`` (N, 1, 28, 28) float32 images, normalised as in training (the mean
and std are stored in the file's metadata as ``normalize``), with a dynamic batch axis, and
returns ``output`` (N, 10) logits."""
import json

__all__ = ["export_checkpoint"]


def export_checkpoint(model, name, normalize, onnx_file, opset_version=17):
    """Export a model loaded by ``npgrad.train.checkpoint.load_checkpoint`` (which the CLI
    calls: ``train`` sits above this layer), recording its name and normalisation."""
    import numpy as np

    from .._creation import from_numpy
    from ._errors import require_onnx
    from ._export import to_model_proto

    onnx = require_onnx()
    example = from_numpy(np.zeros((1, 1, 28, 28), np.float32))
    proto = to_model_proto(model, (example,), ["input"], ["output"], opset_version,
                           {"input": {0: "batch"}, "output": {0: "batch"}})
    onnx.helper.set_model_props(proto, {"npgrad_model": name,
                                        "normalize": json.dumps(list(map(float, normalize)))})
    with open(onnx_file, "wb") as f:
        f.write(proto.SerializeToString())
    return onnx_file
