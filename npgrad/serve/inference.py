"""What the page shows for one drawing: the model's 28x28 input, its prediction, every
layer's activations and a saliency map, computed in one forward and one backward pass.

The drawing arrives as raw grayscale pixels (the canvas, white ink on black) and goes
through ``npgrad.train.image.to_mnist``, the very function ``npgrad predict`` uses for a
PNG: crop to the ink, scale to 20x20, centre by mass in 28x28.
"""
import numpy as np

from ..train.image import ImageError, to_mnist

__all__ = ["analyse", "layer_walk", "preprocess"]

#: a layer with more numbers than this is sent cut down (the page draws small pictures)
MAX_VECTOR = 256
MAX_MAPS = 8
#: layers that show nothing new (the input again, or the identity in eval mode)
SKIP = {"Flatten", "Dropout", "Identity"}


def preprocess(gray):
    """(H, W) floats in [0, 1] -> the (28, 28) float32 image the model sees; ImageError
    (a ValueError) when the drawing is blank."""
    return to_mnist(gray, name="drawing")


def layer_walk(model):
    """The model's layers in the order they run: the leaves of nested ``nn.Sequential``s
    (every model of ``npgrad.train.zoo`` is one), or the model itself as one layer."""
    from ..nn import Sequential

    if not isinstance(model, Sequential):
        return [("model", model)]
    layers = []
    for name, child in model.named_children():
        if isinstance(child, Sequential):
            layers.extend((f"{name}.{sub}", m) for sub, m in layer_walk(child))
        else:
            layers.append((name, child))
    return layers


def _describe_layer(name, module, out):
    """One layer's output for the page: a few channel images, or a vector of bars."""
    a = out[0]
    kind = type(module).__name__
    info = {"name": f"{name}: {kind}", "shape": list(out.shape)}
    if a.ndim == 3:  # (C, H, W) feature maps
        maps = a[:MAX_MAPS]
        info.update(kind="maps", h=int(a.shape[1]), w=int(a.shape[2]),
                    values=[_unit(m).round(3).ravel().tolist() for m in maps])
    else:
        v = a.ravel()
        info.update(kind="vector", total=int(v.size), values=v[:MAX_VECTOR].round(4).tolist())
    return info


def _unit(a):
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def analyse(model, normalize, image):
    """Everything the page shows for a (28, 28) image in [0, 1]: the digit, the ten
    probabilities, each layer's activations and the saliency map |d logit / d input|."""
    from .._creation import from_numpy

    mean, std = normalize
    x = ((image - np.float32(mean)) / np.float32(std)).astype(np.float32)[None, None]
    inp = from_numpy(np.ascontiguousarray(x)).requires_grad_()
    layers, h = [], inp
    for name, module in layer_walk(model):
        h = module(h)
        if type(module).__name__ not in SKIP:
            layers.append(_describe_layer(name, module, h._data))
    logits = h._data[0].astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    digit = int(probs.argmax())
    h[0, digit].backward()
    grad = np.abs(inp.grad._data[0, 0]) if inp.grad is not None else np.zeros((28, 28))
    return {"digit": digit, "probs": probs.round(6).tolist(),
            "input": image.round(4).ravel().tolist(), "layers": layers,
            "saliency": _unit(grad).round(4).ravel().tolist()}


__all__ += ["ImageError"]
