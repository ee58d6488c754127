"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``.

They hold child modules under string keys in ``_modules`` ("0", "1", ... for the lists), so a
model built from them has the same ``state_dict`` keys as in PyTorch (``layers.0.weight``).
"""
import operator
from collections import OrderedDict

from ..._tensor import Tensor
from ...ops import fused
from ..module import Module, _addindent
from .activation import ReLU
from .dropout import Dropout
from .linear import Flatten, Linear

fused.register_layers(Linear, ReLU, Flatten, Dropout)  # for the no-grad array path


def _hooked(module):
    return bool(module._forward_pre_hooks or module._forward_hooks)


def _index(idx, length):
    """``idx`` as a non-negative position, with PyTorch's IndexError when out of range."""
    idx = operator.index(idx)
    if not -length <= idx < length:
        raise IndexError(f"index {idx} is out of range")
    return idx % length


def _renumber(container, modules):
    """Make ``modules`` the children of ``container`` under keys "0", "1", ... (after a
    deletion or an insertion the keys stay a run of numbers, as in PyTorch)."""
    for key in list(container._modules):
        delattr(container, key)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)


class Sequential(Module):
    """Modules applied one after another: ``Sequential(nn.Linear(4, 8), nn.ReLU())``.

    Also ``Sequential(OrderedDict([("fc", nn.Linear(4, 8)), ...]))`` to name the children.
    Supports ``seq[i]``, ``seq[1:3]`` (a new Sequential), ``len``, iteration, ``append``.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (dict, OrderedDict)):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def forward(self, input):
        out = fused.inference(self._modules.values(), input)  # no_grad: straight on arrays
        if out is not None:
            return out
        if fused.enabled():  # the compiled kernels of [fast] are on
            return self._forward_fused(input)
        for module in self._modules.values():
            input = module(input)
        return input

    def _forward_fused(self, input):
        """The same as ``forward``, with every run ``Linear -> ReLU (-> Dropout)`` of plain,
        hook-free layers on a 2-D float input done as one op (``npgrad/ops/fused.py``)."""
        modules = [m for m in self._modules.values() if m is not None]
        n, i = len(modules), 0
        while i < n:
            m = modules[i]
            i += 1
            # (checked cheapest first: most layers are not a Linear followed by a ReLU)
            if (type(m) is Linear and i < n and type(modules[i]) is ReLU
                    and m.bias is not None and isinstance(input, Tensor) and input._data.ndim == 2
                    and not (_hooked(m) or _hooked(modules[i]))):
                drop = modules[i + 1] if i + 1 < n else None
                if type(drop) is Dropout and not drop.inplace and not _hooked(drop):
                    input = fused.linear_relu(input, m.weight, m.bias, drop.p, drop.training)
                    i += 2
                else:
                    input = fused.linear_relu(input, m.weight, m.bias)
                    i += 1
            else:
                input = m(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys))]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        self.add_module(keys[_index(idx, len(keys))], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        doomed = keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]
        for key in doomed:
            delattr(self, key)
        _renumber(self, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, "
                f"but {type(other)} is given."
            )
        return Sequential(*self, *other)

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, "
                f"but {type(other)} is given."
            )
        return self.extend(other)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)
        return self

    def pop(self, key):
        module = self[key]
        del self[key]
        return module


class ModuleList(Module):
    """A list of modules, registered so their parameters are found: ``ModuleList([...])``.

    Unlike Sequential it has no ``forward``: you loop over it yourself.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self)))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self))), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, str(_index(idx, len(self))))
        _renumber(self, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, (str, bytes)) or not hasattr(modules, "__iter__"):
            raise TypeError(
                "ModuleList.extend should be called with an iterable, "
                f"but got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def __repr__(self):
        """Runs of identical children print once, as ``(0-2): 3 x Linear(...)`` (PyTorch's form)."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            line = f"({start}): {r}" if start == end else f"({start}-{end}): {end - start + 1} x {r}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, registered in insertion order: ``ModuleDict({"enc": ..., "dec": ...})``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return list(self._modules)

    def items(self):
        return list(self._modules.items())

    def values(self):
        return list(self._modules.values())

    def clear(self):
        for key in list(self._modules):
            delattr(self, key)

    def pop(self, key):
        module = self._modules[key]
        delattr(self, key)
        return module

    def update(self, modules):
        if isinstance(modules, (dict, ModuleDict)):
            pairs = modules.items()
        else:
            pairs = modules
        for j, pair in enumerate(pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ValueError(
                    f"ModuleDict update sequence element #{j} should be a pair (key, module), "
                    f"got {pair!r}"
                )
            self[pair[0]] = pair[1]


from .paramcontainers import ParameterDict, ParameterList  # noqa: E402,F401  (torch's path)
