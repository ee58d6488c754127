"""An MNIST model's checkpoint: one safetensors file holding the weights *and* the model's
name and input normalisation, so ``npgrad eval`` and ``npgrad predict`` rebuild the right
architecture from the file alone::

    {"format": "npgrad-mnist", "model": "mlp", "normalize": [0.1307, 0.3081],
     "state_dict": {...}}
"""
from ..vision.datasets.mnist import MNIST_MEAN, MNIST_STD
from .zoo import MODELS, build

__all__ = ["load_checkpoint", "save_checkpoint"]

FORMAT = "npgrad-mnist"


def save_checkpoint(model, name, path, normalize=(MNIST_MEAN, MNIST_STD)):
    """Write weights + name + normalisation to ``path`` (safetensors, atomic)."""
    from ..serialization import save

    save({"format": FORMAT, "model": name, "normalize": list(normalize),
          "state_dict": model.state_dict()}, path)
    return path


def load_checkpoint(path, name=None):
    """``(model, name, (mean, std))`` from a file written by ``save_checkpoint``; a plain
    ``state_dict`` file works too when ``name`` says which model it is.

    Raises ValueError with a readable reason for anything else."""
    from ..serialization import load

    obj = load(path)
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        name = name or obj.get("model")
        state, normalize = obj.get("state_dict"), tuple(obj.get("normalize", (MNIST_MEAN, MNIST_STD)))
    elif isinstance(obj, dict) and obj and all(hasattr(v, "shape") for v in obj.values()):
        if name is None:
            raise ValueError(f"{path} holds bare weights without the model's name: pass "
                             f"--model NAME (one of {', '.join(MODELS)})")
        state, normalize = obj, (MNIST_MEAN, MNIST_STD)
    else:
        raise ValueError(f"{path} is a checkpoint but not an npgrad MNIST model")
    model = build(name)
    try:
        model.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: the weights do not fit model {name!r}: {exc}") from None
    model.eval()
    return model, name, normalize
