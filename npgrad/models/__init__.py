"""Small reference models for MNIST, built from ``npgrad.nn`` (or, given ``torch.nn``, from
PyTorch: the same code builds both twins).

    from npgrad.models import mnist_cnn, train_mnist_cnn
    model = mnist_cnn()                 # 99%+ on MNIST in a few epochs (see train_mnist_cnn)
"""
from .cnn import MNIST_MEAN, MNIST_STD, mnist_cnn, pytorch_example_cnn, small_cnn, train_mnist_cnn

__all__ = [
    "MNIST_MEAN", "MNIST_STD", "mnist_cnn", "pytorch_example_cnn", "small_cnn",
    "train_mnist_cnn",
]
