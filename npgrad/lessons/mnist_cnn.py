"""Lesson 12 — a convolutional network past 99% on MNIST (issue 7; every learner's next step
after the seeds' MLPs).

A convolution slides one small filter (3x3 here) over the whole image, so the same weights
look for the same stroke everywhere: far fewer parameters than a Linear layer over 784
pixels, and a shifted digit gives shifted features instead of different ones. Max pooling
keeps the strongest response in each 2x2 patch, halving the size; BatchNorm normalises each
channel over the batch so Adam can take full steps from the first batch.

The model is ``npgrad.models.cnn.mnist_cnn``: (conv 3x3 -> BatchNorm -> ReLU -> max pool 2)
twice, 32 then 64 channels, then dropout, Linear(3136, 128), ReLU, dropout, Linear(128, 10).
The recipe: inputs normalised with MNIST's mean and std, batch 64, Adam at 1e-3 with the
last epoch at a tenth of that. Written out here as a tutorial writes it.
"""
import time

import npgrad as torch
from npgrad import nn, optim
from npgrad.utils.data import DataLoader, Subset
from npgrad.vision import transforms

from ..train.data import mnist
from ..train.plots import plot_weights
from ._common import figure, heading, note


def run(out_dir=None, quick=False, data_dir=None, seed=0, epochs=None):
    from npgrad.models.cnn import mnist_cnn
    from npgrad.vision.datasets.mnist import MNIST_MEAN, MNIST_STD

    epochs = epochs or (1 if quick else 3)
    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    train_data = mnist(data_dir, train=True, transform=transform)
    test_data = mnist(data_dir, train=False, transform=transform)
    if quick:  # a slice of the data: the lesson's code path in seconds
        train_data, test_data = Subset(train_data, range(1280)), Subset(test_data, range(500))
    train_loader = DataLoader(train_data, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_data, batch_size=1000)

    model = mnist_cnn()
    n_params = sum(p.numel() for p in model.parameters())
    heading(f"mnist_cnn ({n_params:,} parameters), Adam lr 1e-3, batch 64, {epochs} epochs")
    print(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs - 1), gamma=0.1)

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        model.train()
        return correct / len(test_data)

    accuracies, seconds = [], 0.0
    for epoch in range(epochs):
        start = time.perf_counter()
        total_loss = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        scheduler.step()
        seconds += time.perf_counter() - start
        accuracies.append(evaluate())
        print(f"Epoch {epoch + 1}, Loss: {total_loss / len(train_loader):.4f}, "
              f"Test accuracy: {accuracies[-1]:.4f}  ({seconds:.0f}s of training)", flush=True)
    note("the same 3x3 filters scan every position: 32 filters of 9 weights find strokes "
         "anywhere in the image")
    fig = figure(out_dir, "mnist_cnn_filters.png", plot_weights,
                 model[0].weight.detach().reshape(32, 9))
    return {"accuracy": accuracies[-1], "per_epoch": accuracies, "epochs": epochs,
            "seconds": seconds, "parameters": n_params, "figure": fig}
