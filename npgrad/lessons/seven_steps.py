"""Lesson 7 — the seven steps (seed 003 "An End-to-End SGD Example"; fastai book ch. 4).

    1. initialise the weights      weights = init_params((28*28, 1)); bias = init_params(1)
    2. predict                     linear1(xb) = xb @ weights + bias
    3. loss                        mnist_loss: sigmoid, then 1 - p for 3s and p for 7s
    4. gradient                    loss.backward()
    5. step                        p.data -= p.grad * lr; p.grad.zero_()
    6. repeat                      for every batch, for every epoch
    7. stop                        after a fixed number of epochs

on 3s (label 1) vs 7s (label 0), batch 256, lr 1.0. Then the same model as ``nn.Linear``
stepped by ``optim.SGD`` through the Learner (fastai's ``learn.fit(10, lr=lr)``), and the
book's next step, ``simple_net``: Linear(784, 30), ReLU, Linear(30, 1).

One change from the book: the training batches are shuffled (``shuffle=True``). The book's
loader is not shuffled, so each epoch sees all the 3s and then all the 7s.
"""
import numpy as np

import npgrad as torch
from npgrad import nn, optim
from npgrad.utils.data import DataLoader, TensorDataset

from ..train import Learner, binary_accuracy
from ..train.data import mnist_arrays
from ..train.plots import plot_history
from ._common import figure, heading, note


def init_params(size, std=1.0):
    return (torch.randn(size) * std).requires_grad_()


def mnist_loss(predictions, targets):
    """How far from right: sigmoid squashes each score into (0, 1); a 3 (target 1) costs
    1 - p, a 7 costs p. Smooth in the weights, unlike accuracy, so it has useful gradients."""
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def batch_accuracy(xb, yb):
    preds = xb.sigmoid()
    correct = (preds > 0.5) == yb
    return correct.float().mean()


def load(data_dir, train):
    """3s (label 1) then 7s (label 0), flattened to 784, as the book stacks them."""
    x, labels = mnist_arrays(data_dir, train=train, classes=[7, 3])  # 7 -> 0, 3 -> 1
    order = np.argsort(-labels, kind="stable")  # the 3s first, as torch.cat([threes, sevens])
    return torch.tensor(x[order]), torch.tensor(labels[order].astype(np.float32)).unsqueeze(1)


def run(out_dir=None, quick=False, data_dir=None, seed=42):
    torch.manual_seed(seed)
    train_x, train_y = load(data_dir, True)
    valid_x, valid_y = load(data_dir, False)
    print(f"train_x {tuple(train_x.shape)}, train_y {tuple(train_y.shape)}; "
          f"valid_x {tuple(valid_x.shape)}")
    dl = DataLoader(TensorDataset(train_x, train_y), batch_size=256, shuffle=True)
    valid_dl = DataLoader(TensorDataset(valid_x, valid_y), batch_size=256)
    epochs_by_hand, epochs_learner, epochs_net = (4, 4, 6) if quick else (20, 10, 40)

    heading(f"Steps 1-7 by hand: a linear model, lr 1.0, {epochs_by_hand} epochs")
    weights = init_params((28 * 28, 1))  # step 1
    bias = init_params(1)

    def linear1(xb):  # step 2
        return xb @ weights + bias

    def calc_grad(xb, yb, model):
        preds = model(xb)
        loss = mnist_loss(preds, yb)  # step 3
        loss.backward()  # step 4

    def train_epoch(model, lr, params):
        for xb, yb in dl:  # step 6
            calc_grad(xb, yb, model)
            for p in params:  # step 5
                p.data -= p.grad * lr
                p.grad.zero_()

    def validate_epoch(model):
        accs = [batch_accuracy(model(xb), yb) for xb, yb in valid_dl]
        return round(torch.stack(accs).mean().item(), 4)

    lr = 1.
    params = weights, bias
    by_hand = []
    for i in range(epochs_by_hand):  # step 7: stop after a fixed number of epochs
        train_epoch(linear1, lr, params)
        by_hand.append(validate_epoch(linear1))
        print(by_hand[-1], end=' ', flush=True)
    print()
    note("validate_epoch averages per-batch accuracies, as the book does (the last batch "
         "is smaller, so this differs slightly from the accuracy over all 2038 images)")
    note("init_params draws weights with std 1.0, so the first epochs undo a large random "
         "start; nn.Linear below starts near zero (uniform in +-1/sqrt(784)) and is ahead "
         "from epoch 1")

    heading(f"The same with nn.Linear + optim.SGD + the Learner, {epochs_learner} epochs")
    learn = Learner(nn.Linear(28 * 28, 1), dl, valid_dl, loss_func=mnist_loss,
                    opt_func=optim.SGD, lr=lr, metrics=[binary_accuracy])
    learn.fit(epochs_learner, lr=lr)
    linear_acc = learn.history.epochs[-1]["binary_accuracy"]
    fig = figure(out_dir, "seven_steps_history.png", plot_history, learn.history)

    heading(f"simple_net: Linear(784, 30), ReLU, Linear(30, 1); lr 0.1, {epochs_net} epochs")
    simple_net = nn.Sequential(nn.Linear(28 * 28, 30), nn.ReLU(), nn.Linear(30, 1))
    learn_net = Learner(simple_net, dl, valid_dl, loss_func=mnist_loss, opt_func=optim.SGD,
                        metrics=[binary_accuracy], verbose=not quick)
    learn_net.fit(epochs_net, lr=0.1)
    net_acc = learn_net.history.epochs[-1]["binary_accuracy"]
    print(f"simple_net accuracy after {epochs_net} epochs: {net_acc:.4f}")
    return {"by_hand": by_hand, "learner": learn.history.column("binary_accuracy"),
            "linear_accuracy": linear_acc, "simple_net_accuracy": net_acc,
            "final_accuracy": max(linear_acc, net_acc), "figure": fig}
