"""Small reference models for MNIST, built from ``npgrad.nn`` (or, given ``torch.nn``, from
PyTorch: the same code builds both twins). ``npgrad.train.zoo`` registers them by name for
``npgrad train --model NAME``.

    from npgrad.models import mnist_cnn
    model = mnist_cnn()                 # 99%+ on MNIST in a few epochs (npgrad lesson mnist-cnn)
"""
from .cnn import mnist_cnn, pytorch_example_cnn, small_cnn
from .mlp import mlp, mlp_50, mlp_dropout, mlp_small

__all__ = ["mlp", "mlp_50", "mlp_dropout", "mlp_small", "mnist_cnn", "pytorch_example_cnn",
           "small_cnn"]
