"""What a training run leaves behind: the loss of every batch and a row of numbers per epoch.

    learn.history.losses       [2.31, 2.05, ...]   one training loss per batch
    learn.history.lrs          [0.001, ...]        the learning rate used for each batch
    learn.history.epochs       [{'epoch': 1, 'train_loss': 0.28, 'valid_loss': 0.14,
                                 'accuracy': 0.958, 'time': 4.1}, ...]
    learn.history.save_csv("history.csv")          the epoch rows, one CSV line each

``plt.plot(learn.history.losses)`` is the seeds' ``plt.plot(losses)``.
"""
import csv
import os

__all__ = ["History"]


class History:
    """Per-batch losses and learning rates, and per-epoch metrics, of every ``fit``."""

    def __init__(self):
        self.losses = []
        self.lrs = []
        self.epochs = []

    def add_epoch(self, row):
        self.epochs.append(dict(row))

    def column(self, name):
        """One column of the epoch rows, e.g. ``history.column('valid_loss')``."""
        return [row.get(name) for row in self.epochs]

    @property
    def columns(self):
        names = []
        for row in self.epochs:
            names.extend(k for k in row if k not in names)
        return names

    def save_csv(self, path, per_batch=False):
        """Write the epoch rows (or, with ``per_batch=True``, each batch's loss and lr)."""
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            if per_batch:
                writer.writerow(["batch", "loss", "lr"])
                for i, (loss, lr) in enumerate(zip(self.losses, self.lrs)):
                    writer.writerow([i, f"{loss:.6g}", f"{lr:.6g}"])
            else:
                names = self.columns
                writer.writerow(names)
                for row in self.epochs:
                    writer.writerow([_cell(row.get(n)) for n in names])
        return path

    def __len__(self):
        return len(self.epochs)

    def __repr__(self):
        return f"History({len(self.epochs)} epochs, {len(self.losses)} batches)"


def _cell(value):
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value
