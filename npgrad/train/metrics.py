"""Metrics: how good are the predictions? Plain functions of ``(preds, targets)``.

A metric takes the model's outputs for a whole validation set and the true labels, and
returns a number (or, for the confusion matrix, a table). Tensors or NumPy arrays both work;
the work is done in NumPy, outside the autograd graph.

    accuracy(preds, targets)          fraction of rows whose highest score is the true class
    error_rate(preds, targets)        1 - accuracy
    binary_accuracy(preds, targets)   one score per item: a logit > 0 means class 1
    confusion_matrix(preds, targets)  counts[true class, predicted class]

The Learner names a metric's column after the function (``accuracy``, ``error_rate``).
"""
import numpy as np

from .._tensor import Tensor

__all__ = ["accuracy", "binary_accuracy", "confusion_matrix", "error_rate", "to_numpy"]


def to_numpy(x):
    """A NumPy view of a Tensor (no copy), or ``np.asarray`` of anything else."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _labels_of(preds, targets, name):
    """The predicted class of each row of ``preds`` (scores, one column per class)."""
    p, t = to_numpy(preds), to_numpy(targets)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(
            f"{name}: expected scores of shape (N, classes) with at least 2 classes, got shape "
            f"{p.shape}; for one score per item use binary_accuracy")
    if t.shape != (p.shape[0],):
        raise ValueError(f"{name}: expected {p.shape[0]} integer targets (shape ({p.shape[0]},)) "
                         f"for scores of shape {p.shape}, got shape {t.shape}")
    return p.argmax(axis=1), t


def accuracy(preds, targets):
    """The fraction of items whose highest-scoring class is the true one.

    ``preds``: (N, C) scores — logits or probabilities, the argmax is the same.
    ``targets``: (N,) integer class indices."""
    predicted, t = _labels_of(preds, targets, "accuracy")
    return float((predicted == t).mean()) if len(t) else 0.0


def error_rate(preds, targets):
    """``1 - accuracy``: the fraction of items the model gets wrong (fastai's favourite)."""
    return 1.0 - accuracy(preds, targets)


def binary_accuracy(preds, targets, threshold=0.0):
    """Accuracy for one score per item, as in the 3s-vs-7s lessons.

    A score above ``threshold`` means class 1. The default 0 suits logits (sigmoid(0) is
    0.5); pass ``threshold=0.5`` for probabilities. ``preds`` may be (N,) or (N, 1)."""
    p, t = to_numpy(preds), to_numpy(targets)
    p = p.reshape(len(p), -1) if p.ndim > 1 else p[:, None]
    if p.shape[1] != 1 or t.size != p.shape[0]:
        raise ValueError(f"binary_accuracy: expected one score per item and as many targets, got "
                         f"scores of shape {to_numpy(preds).shape} and targets of shape {t.shape}")
    return float(((p[:, 0] > threshold) == (t.reshape(-1) > 0.5)).mean()) if t.size else 0.0


def confusion_matrix(preds, targets, num_classes=None):
    """Counts of (true class, predicted class): row i holds the items whose label is i,
    column j those the model called j. The diagonal is what it got right.

    ``preds`` may be (N, C) scores or (N,) predicted labels. Returns an int64 NumPy array
    of shape (num_classes, num_classes)."""
    p, t = to_numpy(preds), to_numpy(targets).astype(np.int64).reshape(-1)
    predicted = p.argmax(axis=1) if p.ndim == 2 else p.astype(np.int64).reshape(-1)
    if predicted.shape != t.shape:
        raise ValueError(f"confusion_matrix: {predicted.size} predictions but {t.size} targets")
    if num_classes is None:
        num_classes = p.shape[1] if p.ndim == 2 else int(max(predicted.max(initial=0),
                                                             t.max(initial=0))) + 1
    out_of_range = (t < 0) | (t >= num_classes) | (predicted < 0) | (predicted >= num_classes)
    if out_of_range.any():
        raise ValueError(f"confusion_matrix: labels must lie in 0..{num_classes - 1}")
    counts = np.bincount(t * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
