"""Convolutional networks for MNIST, and the recipe that takes ``mnist_cnn`` past 99%.

Every factory takes the ``nn`` namespace to build from, so ``mnist_cnn()`` is an npgrad model
and ``mnist_cnn(torch.nn)`` its PyTorch twin (that is how the benchmark compares them).

    python -m npgrad.models --epochs 3            # train mnist_cnn, print test accuracy
"""
import time

import numpy as np

#: MNIST's pixel mean and standard deviation (over the training set, pixels in [0, 1])
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _nn(nn):
    if nn is None:
        from .. import nn
    return nn


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


def train_mnist_cnn(epochs=3, batch_size=64, lr=1e-3, data_dir=None, seed=0, log=print):
    """The recipe: ``mnist_cnn``, Adam (lr 1e-3, decayed 10x for the last epoch), batch 64,
    inputs normalised by MNIST's mean and std, cross-entropy. Returns a dict with the test
    accuracy after each epoch and the training seconds (evaluation not counted)."""
    from .. import from_numpy, manual_seed, nn, no_grad, optim
    from ..train.data import mnist_arrays

    manual_seed(seed)
    prep = lambda x: ((x - MNIST_MEAN) / MNIST_STD).astype(np.float32)[:, None]  # noqa: E731
    x_train, y_train = mnist_arrays(data_dir, train=True, flatten=False)
    x_test, y_test = mnist_arrays(data_dir, train=False, flatten=False)
    x_train, x_test = prep(x_train), prep(x_test)

    model = mnist_cnn()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    # the last epoch at a tenth of the rate: the weights settle into the minimum found
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs - 1), gamma=0.1)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    history, seconds = [], 0.0
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(from_numpy(x_train[idx])), from_numpy(y_train[idx]))
            loss.backward()
            optimizer.step()
        scheduler.step()
        seconds += time.perf_counter() - start

        model.eval()
        with no_grad():
            correct = sum(
                int((model(from_numpy(x_test[i : i + 1000])).argmax(1).numpy()
                     == y_test[i : i + 1000]).sum())
                for i in range(0, len(x_test), 1000)
            )
        history.append(correct / len(x_test))
        log(f"epoch {epoch + 1}: last loss {loss.item():.4f}, test accuracy "
            f"{history[-1]:.4f}, {seconds:.0f} s of training so far")
    return {"test_accuracy": history, "train_seconds": seconds, "model": model}

