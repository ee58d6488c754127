"""Turning a list of samples into one batch: ``default_collate`` and ``default_convert``.

A sample can be a tensor, a NumPy array, a number, a string, or any nesting of tuples,
lists, dicts and namedtuples of those. ``default_collate`` keeps the structure of one sample
and stacks each leaf across the batch, exactly as PyTorch's does:

    [(img0, 3), (img1, 7)]  ->  [stack([img0, img1]), tensor([3, 7])]

Note the outer *list*: a tuple sample collates into a list (PyTorch keeps that for backwards
compatibility), so ``for x, y in loader`` unpacks it. Python floats collate into float64 and
ints into int64, as in PyTorch; tensors and arrays keep their dtype.
"""
import collections.abc
import copy

import numpy as np

from ..._tensor import Tensor, wrap

_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _stack(tensors):
    """Stack equal-shaped tensors along a new first axis (one NumPy call, no graph unless a
    tensor needs one)."""
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != first:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got "
                f"{list(first)} at entry 0 and {list(t._data.shape)} at entry {i}"
            )
    if any(t.requires_grad for t in tensors):
        from ...ops.shape import stack  # keeps the autograd graph

        return stack(tensors)
    return wrap(np.stack([t._data for t in tensors]))


def _check_array(arr):
    if arr.dtype.char in "SaUO":  # strings and Python objects have no tensor
        raise TypeError(_ERROR.format(arr.dtype))


def default_collate(batch):
    """Collate a list of samples into a batch (PyTorch's ``default_collate``)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        _check_array(elem)
        return _stack([wrap(np.asarray(b)) for b in batch])
    if isinstance(elem, (np.bool_, np.number)):  # NumPy scalars keep their dtype
        return wrap(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, float):
        return wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, bool):  # checked before int: bool is an int too
        return wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_kind_mapping(elem, collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, (tuple, list)):
            return collated  # PyTorch returns a list for tuple samples too
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(_ERROR.format(type(elem)))


def _same_kind_mapping(elem, collated):
    """A dict subclass (OrderedDict, ...) stays that class, as in PyTorch."""
    if isinstance(elem, collections.abc.MutableMapping):
        clone = copy.copy(elem)
        clone.update(collated)
        return clone
    try:
        return type(elem)(collated)
    except TypeError:
        return collated


def default_convert(data):
    """Turn NumPy arrays (anywhere inside ``data``) into tensors, without batching: what the
    DataLoader applies to each sample when ``batch_size=None``."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.char in "SaUO":
            return data
        return wrap(data)
    if isinstance(data, (np.bool_, np.number)):
        return wrap(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _same_kind_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        if isinstance(data, list):
            return converted
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
