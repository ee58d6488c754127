"""The MNIST models ``npgrad train --model NAME`` knows: a registry of names, nothing more.

The factories themselves live in ``npgrad.models``; a checkpoint that records a model's name
(``npgrad.train.checkpoint``) is rebuilt through ``build(name)``.
"""
from ..models import mlp, mlp_50, mlp_dropout, mlp_small, mnist_cnn

__all__ = ["MODELS", "build"]

#: name -> (factory, one-line description)
MODELS = {
    "mlp": (mlp, "784-256-128-10 MLP, ReLU (the default)"),
    "mlp-50": (mlp_50, "784-50-10, seeds 000/001"),
    "mlp-dropout": (mlp_dropout, "784-256-128-10 with Dropout(0.2), seed 002"),
    "mlp-small": (mlp_small, "784-128-64-10, seed 004"),
    "cnn": (mnist_cnn, "small CNN (npgrad.models.cnn), 99%+, much slower on a CPU"),
}


def build(name):
    """A fresh model by name (ValueError naming the known ones otherwise)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; the models are: {', '.join(MODELS)}")
    return MODELS[name][0]()
