"""Looking at images: ``make_grid`` (torchvision's, in NumPy) and ``show_batch``, which saves
a labelled grid of a batch as a PNG.

matplotlib is an optional dependency, imported only inside ``show_batch``.
"""
import math
import os

import numpy as np

from .._tensor import Tensor, wrap


def _as_array(images):
    if isinstance(images, Tensor):
        return images._data, True
    if isinstance(images, (list, tuple)):
        parts = [_as_array(im)[0] for im in images]
        return np.stack(parts), any(isinstance(im, Tensor) for im in images)
    return np.asarray(images), False


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a batch (N x C x H x W, or a list of C x H x W images) into one C x H' x W' image,
    ``nrow`` images per row with ``padding`` pixels of ``pad_value`` between them.

    As torchvision's: one-channel images are repeated to three channels; ``normalize=True``
    shifts the values into [0, 1] using ``value_range`` (default: the min and max of the batch,
    or of each image with ``scale_each=True``); a single image comes back on its own.
    """
    arr, was_tensor = _as_array(tensor)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images N x C x H x W, got shape {tuple(arr.shape)}")
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    if normalize:
        arr = arr.astype(np.float32) if arr.dtype.kind != "f" else arr.copy()
        groups = arr if scale_each else arr[None]
        for group in groups:
            low, high = value_range if value_range is not None else (float(group.min()), float(group.max()))
            np.clip(group, low, high, out=group)
            group -= low
            group /= max(high - low, 1e-5)
    if arr.shape[0] == 1:
        return wrap(arr[0]) if was_tensor else arr[0]
    n, channels, h, w = arr.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((channels, cell_h * rows + padding, cell_w * cols + padding), pad_value, dtype=arr.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + h, left:left + w] = arr[k]
    return wrap(grid) if was_tensor else grid


def _as_list(values):
    if values is None:
        return None
    if isinstance(values, Tensor):
        return values._data.tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def _label_text(value, classes):
    if classes is not None and isinstance(value, (int, np.integer)):
        return str(classes[int(value)])
    return str(value)


def show_batch(images, labels=None, path="batch.png", classes=None, predictions=None, ncols=8,
               max_images=64, cmap="gray", title=None):
    """Save a grid of ``images`` (N x 1 x H x W, N x H x W or N x 3 x H x W; tensor or array),
    each titled with its label (named through ``classes`` if given), as a PNG at ``path``.

    With ``predictions``, each title reads "prediction / label", in red where they differ.
    Normalised images are shown on the batch's own grey scale (darkest to brightest).
    Returns ``path``.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("show_batch needs matplotlib, an optional dependency of npgrad: "
                          "pip install matplotlib") from None
    arr, _ = _as_array(images)
    arr = arr[:max_images]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim == 4 and arr.shape[1] == 3:
        arr = np.moveaxis(arr, 1, -1).astype(np.float64)
        arr = (arr - arr.min()) / max(arr.max() - arr.min(), 1e-12)
    elif arr.ndim != 3:
        raise ValueError(f"show_batch: expected images N x H x W, N x 1 x H x W or N x 3 x H x W, "
                         f"got shape {tuple(arr.shape)}")
    n = len(arr)
    if n == 0:
        raise ValueError("show_batch: no images to show")
    labels, preds = _as_list(labels), _as_list(predictions)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(1.3 * cols, 1.5 * rows + (0.4 if title else 0)))
    axes = fig.subplots(rows, cols, squeeze=False)
    low, high = float(arr.min()), float(arr.max())
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(arr[i], cmap=cmap, vmin=low, vmax=high)
        if labels is not None:
            text, color = _label_text(labels[i], classes), "black"
            if preds is not None:
                guess = _label_text(preds[i], classes)
                text, color = f"{guess} / {text}", ("black" if guess == text else "red")
            ax.set_title(text, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def save_image(tensor, fp, nrow=8, padding=2, normalize=False, value_range=None, format=None,
               **kwargs):
    """Save a batch (or one image) as an image file, tiled by ``make_grid`` (torchvision's
    ``save_image``): values in [0, 1] become ``uint8(clip(x * 255 + 0.5, 0, 255))``.
    ``fp`` is a path or a binary file object; ``format`` as Pillow's (a path's extension
    decides when it is None). Needs Pillow (the ``extras``), imported here."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("save_image needs Pillow: pip install pillow (or npgrad[extras])") from e
    grid = make_grid(tensor, nrow=nrow, padding=padding, normalize=normalize,
                     value_range=value_range, **kwargs)
    arr = grid._data if isinstance(grid, Tensor) else np.asarray(grid)
    work = arr if arr.dtype.kind == "f" else arr.astype(np.float32)  # torchvision: in x's dtype
    pixels = np.clip(work * work.dtype.type(255) + work.dtype.type(0.5), 0, 255).astype(np.uint8)
    pixels = np.ascontiguousarray(pixels.transpose(1, 2, 0))
    if pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    Image.fromarray(pixels).save(fp, format=format)
