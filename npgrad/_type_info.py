"""``torch.finfo`` / ``torch.iinfo``: the limits of a float or integer dtype (``eps`` for
numerically safe divisions, ``min`` for attention masks, ...). ``finfo()`` is the default
float dtype's."""
import numpy as np

from . import _dtype


class finfo:
    def __init__(self, type=None):
        np_type = _dtype.default_float if type is None else _dtype.to_np(type)
        if np_type is None or np.dtype(np_type).kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type. Use "
                            f"torch.iinfo to handle '{type}'")
        info = np.finfo(np_type)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = np.dtype(np_type).name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    def __init__(self, type):
        np_type = _dtype.to_np(type)
        if np_type is None or np.dtype(np_type).kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to "
                            f"handle '{type}'")
        info = np.iinfo(np.uint8 if np.dtype(np_type).kind == "b" else np_type)
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        self.dtype = np.dtype(np_type).name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
