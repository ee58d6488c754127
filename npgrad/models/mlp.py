"""The MNIST MLPs of the seed tutorials. Like the CNNs, each factory takes the ``nn``
namespace to build from: ``mlp()`` is an npgrad model, ``mlp(torch.nn)`` its PyTorch twin.
Every model takes (N, 1, 28, 28) or (N, 784) images and returns (N, 10) logits."""
from ._nn import _nn


def mlp(nn=None):
    """784-256-128-10, ReLU: ``npgrad train``'s default; fast on a CPU, ~98% in 3 epochs."""
    nn = _nn(nn)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def mlp_50(nn=None):
    """Seeds 000/001's Mnist_NN: 784-50-10, ReLU."""
    nn = _nn(nn)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))


def mlp_dropout(nn=None):
    """Seed 002's MNISTClassifier: 784-256-128-10, ReLU, Dropout(0.2)."""
    nn = _nn(nn)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def mlp_small(nn=None):
    """Seed 004's SimpleNN: 784-128-64-10, ReLU."""
    nn = _nn(nn)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))
