"""Convolutional networks for MNIST.

Every factory takes the ``nn`` namespace to build from, so ``mnist_cnn()`` is an npgrad model
and ``mnist_cnn(torch.nn)`` its PyTorch twin (that is how the benchmark compares them).
``npgrad lesson mnist-cnn`` trains ``mnist_cnn`` past 99%.
"""
from ._nn import _nn


def mnist_cnn(nn=None):
    """Two conv blocks (conv 3x3 -> BatchNorm -> ReLU -> 2x2 max pool), then a small MLP head.

    28x28 -> 32 maps of 14x14 -> 64 maps of 7x7 -> 128 -> 10. Padding 1 keeps each conv's
    size, so each pool halves it. BatchNorm lets Adam take full steps from the first batch;
    dropout before the head keeps the 3,136 -> 128 layer from memorising. About 420k
    parameters. With ``train_mnist_cnn`` it reaches 99%+ test accuracy in 2-3 epochs.
    """
    nn = _nn(nn)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def small_cnn(nn=None):
    """The benchmark's small CNN: conv 1->8 3x3, ReLU, pool 2, conv 8->16 3x3, ReLU, pool 2,
    linear 400 -> 10 (28 -> 26 -> 13 -> 11 -> 5)."""
    nn = _nn(nn)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10),
    )


def pytorch_example_cnn(nn=None):
    """The network of PyTorch's ``examples/mnist``: conv 1->32 3x3, ReLU, conv 32->64 3x3,
    ReLU, pool 2, dropout 0.25, linear 9216 -> 128, ReLU, dropout 0.5, linear 128 -> 10."""
    nn = _nn(nn)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )
