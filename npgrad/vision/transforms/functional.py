"""The arithmetic of image transforms, on plain NumPy arrays.

Every function here works on the last two axes (height, width) of an array of any rank, so
one call handles a single grey image (H x W), a tensor image (C x H x W) or a whole batch
(N x C x H x W). The random transforms in ``transforms.py`` draw their parameters and call
these. No function here draws random numbers, and none keeps gradients: data only.
"""
import numpy as np

_NP_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                 "symmetric": "symmetric"}


def to_float_image(arr):
    """uint8 pixels 0..255 become float32 in [0, 1] (torchvision's ``ToTensor`` scaling);
    other dtypes are left as they are."""
    if arr.dtype != np.uint8:
        return np.ascontiguousarray(arr)
    out = arr.astype(np.float32)
    np.divide(out, np.float32(255), out=out)  # a division, as torchvision does: bit-identical
    return out


def normalize(arr, mean, std):
    """``(arr - mean) / std`` per channel; channels are axis -3 of ``arr`` (..., C, H, W)."""
    check_float_image(arr)
    m, s = normalize_stats(mean, std, arr.dtype)
    return normalize_with(arr, m, s)


def normalize_stats(mean, std, dtype):
    """``mean`` and ``std`` as arrays of ``dtype`` shaped (C, 1, 1), checked once."""
    m = np.asarray(mean, dtype=dtype).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=dtype).reshape(-1, 1, 1)
    if np.any(s == 0):
        raise ValueError(f"Normalize: std evaluated to zero after conversion to {np.dtype(dtype)}, "
                         f"leading to division by zero (std={std})")
    return m, s


def check_float_image(arr):
    """Normalize's input must be a float (..., C, H, W) array."""
    if arr.dtype.kind != "f":
        raise TypeError(f"Normalize: input should be a float tensor, got {arr.dtype} "
                        f"(apply ToTensor or IntToFloatTensor first)")
    if arr.ndim < 3:
        raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got shape "
                         f"{tuple(arr.shape)}")


def normalize_with(arr, m, s, out=None):
    """The arithmetic of ``normalize`` with prepared statistics (from ``normalize_stats``),
    into a new array, or into ``out`` (which may be ``arr`` itself)."""
    for name, v in (("mean", m), ("std", s)):
        if len(v) != 1 and len(v) != arr.shape[-3]:
            raise ValueError(f"Normalize: {len(v)} values of {name} for an image with "
                             f"{arr.shape[-3]} channels (shape {tuple(arr.shape)})")
    out = np.subtract(arr, m, out=out, dtype=arr.dtype)
    np.divide(out, s, out=out)
    return out


def pad(arr, left, top, right, bottom, fill=0, mode="constant"):
    """Pad the last two axes: ``left`` columns before, ``right`` after, and so on."""
    if mode not in _NP_PAD_MODES:
        raise ValueError(f"Pad: padding_mode must be one of {sorted(_NP_PAD_MODES)}, got {mode!r}")
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"Pad: padding must be non-negative, got {(left, top, right, bottom)}")
    if not (left or top or right or bottom):
        return arr
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=_NP_PAD_MODES[mode])


def crop(arr, top, left, height, width):
    """The ``height`` x ``width`` window whose top-left corner is (``top``, ``left``)."""
    return arr[..., top:top + height, left:left + width]


def center_crop(arr, height, width):
    """torchvision's ``center_crop``: offsets ``round((H - height) / 2)`` (Python's round);
    an image smaller than the crop is zero-padded first."""
    h, w = arr.shape[-2:]
    if height > h or width > w:
        arr = pad(arr, (width - w) // 2 if width > w else 0, (height - h) // 2 if height > h else 0,
                  (width - w + 1) // 2 if width > w else 0, (height - h + 1) // 2 if height > h else 0)
        h, w = arr.shape[-2:]
        if h == height and w == width:
            return arr
    return crop(arr, int(round((h - height) / 2.0)), int(round((w - width) / 2.0)), height, width)


def crop_pad(arr, height, width, mode="constant", fill=0):
    """fastai's ``crop_pad``: centre-crop the axes that are too big, centre-pad the ones too
    small. The offset is ``(old - new) // 2`` (floor), so an odd difference puts the extra
    row of padding at the bottom (right) and the extra cropped row at the bottom too."""
    h, w = arr.shape[-2:]
    top, left = (h - height) // 2, (w - width) // 2
    r0, r1 = max(top, 0), min(top + height, h)
    c0, c1 = max(left, 0), min(left + width, w)
    arr = arr[..., r0:r1, c0:c1]
    pad_top, pad_left = max(-top, 0), max(-left, 0)
    pad_bottom = height - (r1 - r0) - pad_top
    pad_right = width - (c1 - c0) - pad_left
    return pad(arr, pad_left, pad_top, pad_right, pad_bottom, fill=fill, mode=mode)


def crop_each(arr, tops, lefts, height, width):
    """A different window for each image of a batch ``arr`` (N, ..., H, W): image n's window
    starts at (``tops[n]``, ``lefts[n]``). One fancy-index over a sliding-window view."""
    n, middle = arr.shape[0], arr.shape[1:-2]
    flat = arr.reshape((n, -1) + arr.shape[-2:])  # (N, M, H, W)
    windows = np.lib.stride_tricks.sliding_window_view(flat, (height, width), axis=(-2, -1))
    out = windows[np.arange(n), :, tops, lefts]  # (N, M, height, width)
    return out.reshape((n,) + middle + (height, width))


def hflip(arr):
    return arr[..., ::-1].copy()


def vflip(arr):
    return arr[..., ::-1, :].copy()


def affine_matrices(angle, translate_x, translate_y, scale, shear_x, shear_y, height, width):
    """The *inverse* affine maps (N x 2 x 3) taking output pixel (x, y) to the input point it
    reads, for rotation ``angle`` (degrees, clockwise on screen, as torchvision's ``affine``),
    translation in pixels, ``scale`` and shear (degrees) about the image centre.

    This is torchvision's ``_get_inverse_affine_matrix``, vectorised over N images. With
    y pointing down, the forward map is R(angle) S(scale) Shear; its inverse is built directly.
    """
    rot, sx, sy = (np.radians(np.asarray(v, dtype=np.float64)) for v in (angle, shear_x, shear_y))
    tx, ty, s = (np.asarray(v, dtype=np.float64) for v in (translate_x, translate_y, scale))
    cx, cy = (width - 1) * 0.5, (height - 1) * 0.5  # centre, in pixel-index coordinates
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    m = np.stack([d, -b, np.zeros_like(a), -c, a, np.zeros_like(a)], axis=-1) / s[..., None]
    m[..., 2] += m[..., 0] * (-cx - tx) + m[..., 1] * (-cy - ty) + cx
    m[..., 5] += m[..., 3] * (-cx - tx) + m[..., 4] * (-cy - ty) + cy
    return m.reshape(-1, 2, 3)


def warp(arr, matrices, interpolation="nearest", fill=0):
    """Resample each image of the batch ``arr`` (N, ..., H, W) through its inverse map
    ``matrices[n]`` (from ``affine_matrices``). Points that fall outside the image read
    ``fill``. ``interpolation`` is ``"nearest"`` (round half to even, as PyTorch's
    ``grid_sample``) or ``"bilinear"``. The dtype is kept (uint8 stays uint8)."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    n, middle, (h, w) = arr.shape[0], arr.shape[1:-2], arr.shape[-2:]
    flat = arr.reshape((n, -1, h, w))
    ys, xs = np.indices((h, w), dtype=np.float64)
    m = matrices[:, :, :, None, None]  # broadcast each coefficient over the H x W grid
    src_x = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]  # (N, H, W)
    src_y = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    batch = np.arange(n)[:, None, None]

    def sample(yi, xi):  # values at integer points (N, H, W), `fill` outside; -> (N, M, H, W)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = flat[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, H, W, M)
        vals = np.moveaxis(vals, -1, 1)
        return np.where(inside[:, None], vals, np.asarray(fill, dtype=vals.dtype))

    if interpolation == "nearest":
        out = sample(np.rint(src_y).astype(np.intp), np.rint(src_x).astype(np.intp))
    else:
        x0, y0 = np.floor(src_x), np.floor(src_y)
        wx, wy = (src_x - x0)[:, None], (src_y - y0)[:, None]
        x0, y0 = x0.astype(np.intp), y0.astype(np.intp)
        out = ((1 - wy) * ((1 - wx) * sample(y0, x0) + wx * sample(y0, x0 + 1))
               + wy * ((1 - wx) * sample(y0 + 1, x0) + wx * sample(y0 + 1, x0 + 1)))
        if arr.dtype.kind in "ui":
            info = np.iinfo(arr.dtype)
            out = np.clip(np.rint(out), info.min, info.max)
        out = out.astype(arr.dtype)
    return out.reshape((n,) + middle + (h, w))


def rotate(arr, angle, interpolation="nearest", fill=0):
    """Rotate one image (..., H, W) ``angle`` degrees counter-clockwise about its centre."""
    batch = arr[None]
    mats = affine_matrices(-angle, 0.0, 0.0, 1.0, 0.0, 0.0, *arr.shape[-2:])
    return warp(batch, mats, interpolation, fill)[0]


def affine(arr, angle, translate=(0, 0), scale=1.0, shear=(0.0, 0.0), interpolation="nearest",
           fill=0):
    """torchvision's ``affine`` on one image (..., H, W): rotate ``angle`` degrees clockwise,
    scale, shear, then shift by ``translate`` = (dx, dy) pixels, all about the centre."""
    if isinstance(shear, (int, float)):
        shear = (shear, 0.0)
    mats = affine_matrices(angle, translate[0], translate[1], scale, shear[0], shear[1],
                           *arr.shape[-2:])
    return warp(arr[None], mats, interpolation, fill)[0]


def size_pair(size, name):
    """An int or a 1- or 2-sequence as (height, width)."""
    if isinstance(size, int):
        pair = (size, size)
    elif isinstance(size, (tuple, list)) and len(size) in (1, 2):
        pair = (size[0], size[-1])
    else:
        raise ValueError(f"{name}: size must be an int or a sequence of 1 or 2 ints, got {size!r}")
    if not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair):
        raise ValueError(f"{name}: size must be positive integers, got {size!r}")
    return int(pair[0]), int(pair[1])


def padding_ltrb(padding, name="Pad"):
    """torchvision's padding argument: an int (all sides), (left/right, top/bottom), or
    (left, top, right, bottom)."""
    if isinstance(padding, (int, np.integer)):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, (tuple, list)):
        if len(padding) == 1:
            return (int(padding[0]),) * 4
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        if len(padding) == 4:
            return tuple(int(p) for p in padding)
    raise ValueError(f"{name}: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


def degrees_range(degrees, name):
    """A number d becomes (-d, d); a pair stays."""
    if isinstance(degrees, (int, float)):
        if degrees < 0:
            raise ValueError(f"{name}: if degrees is a single number, it must be non-negative, got {degrees}")
        return (-float(degrees), float(degrees))
    if isinstance(degrees, (tuple, list)) and len(degrees) == 2:
        return float(degrees[0]), float(degrees[1])
    raise ValueError(f"{name}: degrees must be a number or a pair of numbers, got {degrees!r}")

