"""Turn any picture of a digit into what an MNIST model expects: 28x28, white on black.

MNIST's digits were prepared this way (LeCun et al.): the ink was scaled to fit a 20x20 box,
keeping its proportions, then placed in a 28x28 image so that its centre of mass sits at the
centre. ``load_digit`` does the same to a photo or a drawing:

1. read it with Pillow (an optional extra) and make it grayscale; transparent pixels count
   as white paper;
2. if the border is mostly light, invert it: MNIST digits are light ink on a dark ground;
3. a 28x28 image is taken as it is (it is already MNIST-shaped); any other size is cropped
   to its ink, scaled so the longer side is 20 pixels, and centred by its centre of mass.
"""
import numpy as np

__all__ = ["ImageError", "load_digit", "to_mnist"]


class ImageError(ValueError):
    """The file is missing, not an image, or holds no digit."""


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImageError("reading images needs Pillow, an optional extra: pip install pillow "
                         "(or pip install 'npgrad[extras]')") from None
    return Image


def load_digit(path):
    """The image at ``path`` as a float32 (28, 28) array in [0, 1], white digit on black."""
    Image = _pillow()
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                paper = Image.new("RGBA", img.size, (255, 255, 255, 255))
                paper.alpha_composite(img.convert("RGBA"))
                img = paper
            gray = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise ImageError(f"image not found: {path}") from None
    except IsADirectoryError:
        raise ImageError(f"{path} is a folder, not an image") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{path} is not an image Pillow can read ({exc})") from None
    return to_mnist(gray, name=str(path))


def to_mnist(gray, name="image"):
    """Steps 2-3 of the module docstring on a float (H, W) array in [0, 1]."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2:
        raise ImageError(f"{name}: expected a 2-d grayscale image, got shape {gray.shape}")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 0.5:
        gray = 1.0 - gray
    if gray.shape == (28, 28):
        return np.ascontiguousarray(gray)
    ink = gray > 0.2 * gray.max() if gray.max() > 0 else np.zeros_like(gray, dtype=bool)
    if gray.max() < 0.1 or not ink.any():
        raise ImageError(f"{name}: no digit found (the image is blank)")
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = gray[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    scale = 20.0 / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    Image = _pillow()
    small = Image.fromarray(np.uint8(np.clip(crop, 0, 1) * 255)).resize((w, h), Image.LANCZOS)
    digit = np.asarray(small, dtype=np.float32) / 255.0
    out = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - h) // 2, (28 - w) // 2
    out[top: top + h, left: left + w] = digit
    # move the centre of mass to the centre (as far as the digit stays inside the frame)
    total = out.sum()
    cy = (out.sum(axis=1) * np.arange(28)).sum() / total
    cx = (out.sum(axis=0) * np.arange(28)).sum() / total
    dy = int(np.clip(round(13.5 - cy), -top, 28 - h - top))
    dx = int(np.clip(round(13.5 - cx), -left, 28 - w - left))
    return np.roll(out, (dy, dx), axis=(0, 1))
