"""The pictures the tutorials show, saved as PNG files.

matplotlib is an optional extra: it is imported only when a plot is drawn, and if it is
missing you get an ImportError that says how to install it. Figures are drawn on
``matplotlib.figure.Figure`` objects and written with ``savefig`` — no pyplot, no window,
no global state, so it works on a server or in a test (the Agg renderer).

Every function takes the data and a ``path`` and returns the path it wrote.

    plot_losses        the seeds' ``plt.plot(losses)``: loss per batch (or per epoch)
    plot_loss_curves   several loss curves on one axis (batch vs stochastic vs mini-batch)
    plot_history       train and validation loss, and the metrics, per epoch
    plot_functions     curves in a grid (seed 002's 2x2 ReLU / sigmoid / tanh / softmax)
    plot_images        a grid of 28x28 images with titles (the "ideal" 3 and 7, a batch)
    plot_predictions   a grid of images titled prediction/label, mistakes in red
    plot_weights       first-layer weights, one 28x28 picture per hidden unit
    plot_confusion_matrix   counts of (true class, predicted class)
    plot_histograms    one histogram per named array (activations, gradients)
    plot_lr_find       loss against learning rate (log scale) with the suggestion marked
"""
import math
import os

import numpy as np

from .metrics import to_numpy

__all__ = [
    "plot_confusion_matrix", "plot_functions", "plot_histograms", "plot_history", "plot_images",
    "plot_loss_curves", "plot_losses", "plot_lr_find", "plot_predictions", "plot_weights",
    "require_matplotlib",
]

_MISSING = ("matplotlib is needed to draw plots but is not installed: pip install matplotlib "
            "(or pip install 'npgrad[extras]')")


def require_matplotlib():
    """Import matplotlib (Agg, no window) or raise ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    return matplotlib


def _figure(nrows=1, ncols=1, size=(6.4, 4.8)):
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)  # render with Agg: files only, never a window
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _save(fig, path):
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def _grid(n, ncols):
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _as_images(images):
    """(N, 28, 28) float images from (N, 784), (N, 1, 28, 28) or (N, 28, 28) data."""
    arr = np.asarray(to_numpy(images), dtype=np.float32)
    if arr.ndim == 2:
        side = int(round(math.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(f"plots: rows of {arr.shape[1]} values are not square images")
        return arr.reshape(len(arr), side, side)
    if arr.ndim == 4 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim == 3:
        return arr
    raise ValueError(f"plots: expected images of shape (N, H, W), (N, 1, H, W) or (N, H*W), "
                     f"got {arr.shape}")


# ---------------------------------------------------------------------- curves
def plot_losses(losses, path, title="Training Loss", xlabel="Batch", ylabel="Loss"):
    """One loss curve: ``plt.plot(losses)`` of the seeds."""
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.plot(np.asarray(losses, dtype=np.float64))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return _save(fig, path)


def plot_loss_curves(curves, path, title="Loss", xlabel="Epoch", ylabel="Loss", logy=True):
    """Several curves on one axis: ``curves`` maps a label to ``(x, y)`` (or just ``y``)."""
    fig, axes = _figure(size=(7.5, 4.8))
    ax = axes[0, 0]
    for label, curve in curves.items():
        x, y = curve if isinstance(curve, tuple) else (np.arange(len(curve)), curve)
        y = np.asarray(y, dtype=np.float64)
        ax.plot(np.asarray(x), y, label=label, linewidth=1, marker="o" if len(y) < 30 else None)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_history(history, path):
    """Per-epoch train/valid loss (left) and every other metric (right) of a History."""
    metrics = [c for c in history.columns if c not in ("epoch", "train_loss", "valid_loss", "time")]
    fig, axes = _figure(1, 2 if metrics else 1, size=(11 if metrics else 6.4, 4.2))
    epochs = history.column("epoch")
    ax = axes[0, 0]
    for name in ("train_loss", "valid_loss"):
        if name in history.columns:
            ax.plot(epochs, history.column(name), marker="o", label=name)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax.legend()
    ax.grid(True, alpha=0.3)
    if metrics:
        ax = axes[0, 1]
        for name in metrics:
            ax.plot(epochs, history.column(name), marker="o", label=name)
        ax.set_xlabel("Epoch")
        ax.legend()
        ax.grid(True, alpha=0.3)
    return _save(fig, path)


def plot_functions(x, curves, path, ncols=2):
    """A grid of curves, one axis each: ``curves`` maps a title to ``y`` (or ``(y, dy)``,
    drawing the derivative dashed beside it)."""
    rows, cols = _grid(len(curves), ncols)
    fig, axes = _figure(rows, cols, size=(6 * cols, 5 * rows))
    x = np.asarray(x)
    for ax, (title, y) in zip(axes.flat, curves.items()):
        if isinstance(y, tuple):
            ax.plot(x, np.asarray(y[0]), label="f(x)")
            ax.plot(x, np.asarray(y[1]), "--", label="f'(x)")
            ax.legend()
        else:
            ax.plot(x, np.asarray(y))
        ax.set_title(title)
        ax.grid(True)
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    return _save(fig, path)


# ---------------------------------------------------------------------- images
def plot_images(images, path, titles=None, ncols=8, cmap="gray", title=None, colors=None):
    """A grid of images; ``titles`` and ``colors`` (optional) have one entry per image."""
    imgs = _as_images(images)
    rows, cols = _grid(len(imgs), ncols)
    fig, axes = _figure(rows, cols, size=(1.6 * cols, 1.8 * rows + (0.4 if title else 0)))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9,
                             color=colors[i] if colors is not None else "black")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_predictions(images, preds, targets, path, class_names=None, ncols=8, max_images=32,
                     title=None):
    """Images titled ``predicted/actual``; a wrong prediction is titled in red.
    ``preds`` may be scores (N, C) or labels (N,)."""
    p = to_numpy(preds)
    predicted = p.argmax(axis=1) if p.ndim == 2 else p.reshape(-1)
    actual = to_numpy(targets).reshape(-1)
    n = min(max_images, len(actual))
    name = (lambda c: class_names[c]) if class_names is not None else str
    titles = [f"{name(int(predicted[i]))}/{name(int(actual[i]))}" for i in range(n)]
    colors = ["red" if predicted[i] != actual[i] else "black" for i in range(n)]
    wrong = int((predicted[:n] != actual[:n]).sum())
    if title is None:
        title = f"predicted/actual — {wrong} of {n} wrong (red)"
    return plot_images(_as_images(images)[:n], path, titles, ncols=ncols, colors=colors,
                       title=title)


def plot_weights(weight, path, ncols=8, max_units=32):
    """Each row of a first-layer weight (units, 784) as a 28x28 picture: what a hidden unit
    looks for. Blue is a negative weight, red a positive one."""
    w = np.asarray(to_numpy(weight), dtype=np.float32)[:max_units]
    imgs = _as_images(w)
    rows, cols = _grid(len(imgs), ncols)
    fig, axes = _figure(rows, cols, size=(1.5 * cols, 1.5 * rows + 0.4))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(imgs):
            lim = float(np.abs(imgs[i]).max()) or 1.0
            ax.imshow(imgs[i], cmap="bwr", vmin=-lim, vmax=lim)
    fig.suptitle("first-layer weights (blue < 0 < red)")
    return _save(fig, path)


def plot_confusion_matrix(matrix, path, class_names=None, title="Confusion matrix"):
    """Counts of (actual row, predicted column), the count written in each cell."""
    m = np.asarray(matrix)
    k = len(m)
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    fig, axes = _figure(size=(1.0 + 0.6 * k, 0.8 + 0.6 * k))
    ax = axes[0, 0]
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("Actual")
    ax.set_title(title)
    top = m.max() if m.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if m[i, j] > top / 2 else "black")
    return _save(fig, path)


def plot_histograms(arrays, path, ncols=3, bins=60, title=None, logy=False):
    """One histogram per entry of ``arrays`` (name -> array), e.g. each layer's activations."""
    rows, cols = _grid(len(arrays), ncols)
    fig, axes = _figure(rows, cols, size=(4.2 * cols, 3.2 * rows + (0.4 if title else 0)))
    for ax, (name, values) in zip(axes.flat, arrays.items()):
        v = np.asarray(to_numpy(values), dtype=np.float64).reshape(-1)
        ax.hist(v, bins=bins, log=logy)
        ax.set_title(name, fontsize=9)
    for ax in list(axes.flat)[len(arrays):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_lr_find(lrs, losses, suggestion, path):
    """The learning-rate range test: loss against learning rate on a log axis."""
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Loss (smoothed)")
    if suggestion is not None:
        ax.axvline(suggestion, color="red", linestyle="--", label=f"suggestion {suggestion:.2g}")
        ax.legend()
    ax.grid(True, alpha=0.3)
    return _save(fig, path)
