"""The MNIST models ``npgrad train --model NAME`` knows, by name, and how to rebuild one from
a saved file.

Every model takes a (N, 1, 28, 28) batch of images normalised with MNIST's mean and std
and returns (N, 10) logits. A checkpoint written by ``save_checkpoint`` is one safetensors
file holding the weights *and* the model's name and input normalisation, so ``npgrad eval``
and ``npgrad predict`` rebuild the right architecture from the file alone:

    {"format": "npgrad-mnist", "model": "mlp", "normalize": [0.1307, 0.3081],
     "state_dict": {...}}
"""
from .. import nn

__all__ = ["MODELS", "build", "load_checkpoint", "save_checkpoint"]

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
FORMAT = "npgrad-mnist"


def mlp():
    """784-256-128-10, ReLU: the default; fast on a CPU, ~98% in 3 epochs."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def mlp_50():
    """Seeds 000/001's Mnist_NN: 784-50-10, ReLU."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))


def mlp_dropout():
    """Seed 002's MNISTClassifier: 784-256-128-10, ReLU, Dropout(0.2)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def mlp_small():
    """Seed 004's SimpleNN: 784-128-64-10, ReLU."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def cnn():
    """npgrad.models.cnn.mnist_cnn: two conv-BatchNorm-ReLU-pool blocks and an MLP head."""
    from ..models.cnn import mnist_cnn

    return mnist_cnn()


#: name -> (factory, one-line description)
MODELS = {
    "mlp": (mlp, "784-256-128-10 MLP, ReLU (the default)"),
    "mlp-50": (mlp_50, "784-50-10, seeds 000/001"),
    "mlp-dropout": (mlp_dropout, "784-256-128-10 with Dropout(0.2), seed 002"),
    "mlp-small": (mlp_small, "784-128-64-10, seed 004"),
    "cnn": (cnn, "small CNN (npgrad.models.cnn), 99%+, much slower on a CPU"),
}


def build(name):
    """A fresh model by name (ValueError naming the known ones otherwise)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; the models are: {', '.join(MODELS)}")
    return MODELS[name][0]()


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
        raise ValueError(f"{path} is a safetensors file but not an npgrad MNIST model")
    model = build(name)
    try:
        model.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: the weights do not fit model {name!r}: {exc}") from None
    model.eval()
    return model, name, normalize
