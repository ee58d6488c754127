"""Tensor functions programs reach for, built from differentiable ops (so each gradient is
theirs): hstack, vstack, column_stack, movedim/moveaxis, swapaxes/swapdims, tile, diff,
clamp_min, clamp_max, addcmul, addcdiv (and their Tensor methods / in-place forms), mT."""
import builtins

from ._tensor import Tensor


def _cat(tensors, dim):
    from .ops.shape import cat
    return cat(list(tensors), dim)


def hstack(tensors):
    tensors = list(tensors)
    return _cat(tensors, 0 if builtins.all(t.dim() == 1 for t in tensors) else 1)


def vstack(tensors):
    return _cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


def column_stack(tensors):
    return _cat([t.reshape(-1, 1) if t.dim() < 2 else t for t in tensors], 1)


def movedim(input, source, destination):
    src = (source,) if isinstance(source, builtins.int) else tuple(source)
    dst = (destination,) if isinstance(destination, builtins.int) else tuple(destination)
    n = input.dim()
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src, dst = [d % n for d in src], [d % n for d in dst]
    order = [d for d in range(n) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return input.permute(*order)


def swapaxes(input, axis0, axis1):
    return input.transpose(axis0, axis1)


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return input.repeat(*dims)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    if prepend is not None:
        input = _cat([prepend, input], dim)
    if append is not None:
        input = _cat([input, append], dim)
    for _ in range(n):
        length = input.shape[dim]
        later = input.narrow(dim, 1, length - 1)
        earlier = input.narrow(dim, 0, length - 1)
        input = (later != earlier) if input.dtype.np.kind == "b" else later - earlier
    return input


def clamp_min(input, min):
    return input.clamp(min=min)


def clamp_max(input, max):
    return input.clamp(max=max)


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


FUNCTIONS = {"hstack": hstack, "vstack": vstack, "column_stack": column_stack,
             "movedim": movedim, "moveaxis": movedim, "swapaxes": swapaxes,
             "swapdims": swapaxes, "tile": tile, "diff": diff, "clamp_min": clamp_min,
             "clamp_max": clamp_max, "addcmul": addcmul, "addcdiv": addcdiv}
#: Tensor methods (the stacking functions take a sequence, so they are not methods)
METHODS = {k: v for k, v in FUNCTIONS.items() if k not in ("hstack", "vstack", "column_stack")}


def _in_place(fn, name):
    def method(self, *args, **kwargs):
        return self.copy_(fn(self, *args, **kwargs))  # copy_ checks leaf/version rules

    method.__name__ = name
    return method


def install(module):
    for name, fn in FUNCTIONS.items():
        if not hasattr(module, name):
            setattr(module, name, fn)
    for name, fn in METHODS.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
    for name in ("clamp_min", "clamp_max", "addcmul", "addcdiv"):
        if not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _in_place(FUNCTIONS[name], name + "_"))
    if not hasattr(Tensor, "mT"):
        Tensor.mT = property(lambda self: self.transpose(-2, -1))
