"""``Module``: the base class of every layer and model.

A Module owns three registries, filled by plain attribute assignment in ``__init__``:

- ``_parameters``: name -> ``Parameter`` (what the optimizer trains);
- ``_buffers``: name -> Tensor (state that is saved but not trained, e.g. BatchNorm's
  running mean);
- ``_modules``: name -> child Module (so ``model.parameters()`` finds the children's too).

``state_dict()`` walks them in that order (own parameters, own buffers, then each child under
``"child."``), which is why the keys and their order match PyTorch's for the same model.

One source of truth: a registered value lives in the instance ``__dict__`` only, so reading
``self.weight`` is an ordinary attribute lookup. ``_parameters``, ``_buffers`` and ``_modules``
are ``Registry`` views: each keeps *which* names are registered, in registration order, and
reads and writes their values in ``__dict__``. (PyTorch keeps the values in the registries
and finds them with a Python ``__getattr__``; merely defining ``__getattr__`` makes CPython
take a slow path for *every* attribute read on the object: measured, ``model(x)`` cost
0.86 us with it and 0.34 us without.)
"""
from collections import OrderedDict, namedtuple
from collections.abc import MutableMapping

from .. import _dtype
from .._tensor import Size, Tensor, wrap
from ..autograd import grad_mode
from ..autograd import version as _versions
from .hooks import RemovableHandle
from .parameter import Buffer, Parameter


def _typename(value):
    if isinstance(value, Tensor):
        return f"npgrad.{type(value).__name__}"
    return type(value).__name__


def _addindent(text, spaces):
    """Indent every line of ``text`` but the first (a child's repr inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line if line.strip() else "" for line in lines[1:])


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _check_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')



class Registry(MutableMapping):
    """The registered names of one kind (parameters, buffers or child modules), in order;
    their values live in the module's ``__dict__``, the one place they are kept."""

    __slots__ = ("names", "store")

    def __init__(self, store, names=()):
        self.store = store  # the owning module's __dict__
        self.names = dict.fromkeys(names)  # a dict as an ordered set

    def __getitem__(self, name):
        if name not in self.names:
            raise KeyError(name)
        return self.store[name]

    def __setitem__(self, name, value):
        self.names[name] = None
        self.store[name] = value

    def __delitem__(self, name):
        del self.names[name]
        self.store.pop(name, None)

    def __contains__(self, name):
        return name in self.names

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)

    def items(self):  # the hot walks (parameters(), state_dict()) skip the Mapping mixins
        return zip(self.names, map(self.store.__getitem__, self.names))

    def values(self):
        return map(self.store.__getitem__, self.names)

    def __repr__(self):
        return f"{{{', '.join(f'{k!r}: {v!r}' for k, v in self.items())}}}"

class Module:
    """Base class for all neural-network layers and models.

    Subclass it, assign layers and Parameters in ``__init__`` (after ``super().__init__()``),
    and write ``forward``. Call the module (``model(x)``), not ``forward``: the call also runs
    any hooks.
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = Registry(d)
        d["_buffers"] = Registry(d)
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = Registry(d)
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}

    _REGISTRIES = ("_parameters", "_buffers", "_modules")

    def __getstate__(self):
        """For pickle and copy: each registry as the list of its names (the values are in
        ``__dict__`` already), so a saved module names no npgrad-internal class for it."""
        state = self.__dict__.copy()
        for key in self._REGISTRIES:
            if isinstance(state.get(key), Registry):
                state[key] = list(state[key].names)
        return state

    def __setstate__(self, state):
        """After unpickling or copying: registries over *this* ``__dict__``."""
        d = self.__dict__
        d.update(state)
        for key in self._REGISTRIES:
            names = d.get(key)
            if names is not None and not isinstance(names, Registry):
                d[key] = Registry(d, names)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        # Speed: CPython 3.11 runs ``forward(a)`` as a light, inlined call but
        # ``forward(*args, **kwargs)`` through its generic path, about 0.3 us slower. One or
        # two positional arguments (a layer's input; a loss's input and target) are the
        # common case, so they get the direct call.
        if not kwargs:
            if len(args) == 1:
                return self.forward(args[0])
            if len(args) == 2:
                return self.forward(args[0], args[1])
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    try:
                        self._run_forward_hook(hook_id, hook, args, kwargs, None)
                    except Exception:
                        pass
            raise
        for hook_id, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(hook_id, hook, args, kwargs, output)
            if result is not None:
                output = result
        return output

    def _run_forward_hook(self, hook_id, hook, args, kwargs, output):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Run ``hook(module, args)`` before every forward; it may return new args.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and may return a
        new ``(args, kwargs)`` pair. Returns a handle; ``handle.remove()`` unregisters it.
        """
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Run ``hook(module, args, output)`` after every forward; it may return a new output.

        The lessons use it to look inside a network (record each layer's activations).
        Returns a handle; ``handle.remove()`` unregisters it.
        """
        handle = RemovableHandle(
            self._forward_hooks, self._forward_hooks_with_kwargs, self._forward_hooks_always_called
        )
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(self._before_init("parameters"))
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(npgrad.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                "be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that is part of the module's state but is not trained.

        A persistent buffer (the default) appears in ``state_dict``; a non-persistent one
        does not.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(self._before_init("buffer"))
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(npgrad Tensor or None required)"
            )
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
            tensor = wrap(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` as a child called ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def _before_init(self, what):
        return (
            f"cannot assign {what} before Module.__init__() call "
            f"(call super().__init__() first in {type(self).__name__}.__init__)"
        )

    def _forget(self, name, *registries):
        for registry in registries:
            registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self.__dict__.pop(name, None)

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(self._before_init("parameters"))
            self._forget(name, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(npgrad.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError(self._before_init("module"))
            self._forget(name, self._parameters, self._buffers)
            self.add_module(name, value)
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(npgrad.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif isinstance(value, Buffer) or (
            d.get("_buffers") is not None and name in d["_buffers"]
        ):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(npgrad.nn.Buffer, npgrad.Tensor or None expected)"
                )
            if d.get("_buffers") is None:
                raise AttributeError(self._before_init("buffer"))
            persistent = (
                value.persistent
                if isinstance(value, Buffer)
                else name not in self._non_persistent_buffers_set
            )
            self._forget(name, self._parameters, self._modules)
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            table = d.get(registry)
            if table is not None and name in table:
                del table[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        return sorted(k for k in keys if not k[0].isdigit())

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        seen = set()
        walk = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in walk:
            for name, value in getattr(module, table).items():
                if value is None or value in seen:
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, Parameter)``; a parameter shared by two layers comes once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target):
        """``model.get_submodule("layers.0")``: the descendant at a dotted path."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if not isinstance(module._modules.get(item), Module):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's ``.grad`` (drop it, or fill it with zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.grad_fn = None
                p.grad._data[...] = 0

    # ------------------------------------------------------------------ apply / to
    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, children first, then on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_arrays(self, convert):
        """Replace every parameter's and buffer's array by ``convert(array)`` in place: the
        Parameter objects stay the same, so an optimizer built before still holds them
        (``t.data = ...``, as PyTorch's ``_apply`` swaps a parameter's storage)."""
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for t in table.values():
                    if t is None:
                        continue
                    t.data = wrap(convert(t._data))
                    if t.grad is not None:
                        t.grad.data = wrap(convert(t.grad._data))
        return self

    def _cast_floats(self, dtype):
        if dtype == _dtype.bfloat16:
            raise NotImplementedError(
                "nn.Module.to(npgrad.bfloat16): npgrad keeps bfloat16 tensors (through "
                "ml_dtypes) but cannot run or train modules in bfloat16; keep the model in "
                "float32 (or float16)")
        target = _dtype.to_np(dtype)
        if target.kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        return self._apply_to_arrays(
            lambda a: a.astype(target) if a.dtype.kind == "f" and a.dtype != target else a
        )

    def to(self, *args, **kwargs):
        """``to('cpu')``, ``to(dtype)``, ``to(tensor)``, ``to(device, dtype)``,
        ``to(memory_format=npgrad.channels_last)``: in place."""
        from .. import _memory_format
        from .._tensor import _to_dtype

        fmt = kwargs.pop("memory_format", None)
        dtype = _to_dtype(args, kwargs)
        if dtype is not None:
            self._cast_floats(dtype)
        if fmt is not None:
            _memory_format.check(fmt, "nn.Module.to")
            self._apply_to_arrays(lambda a: _memory_format.for_module(a, fmt))
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        from .._tensor import _require_cpu

        _require_cpu("cuda" if device is None else device)  # raises "no CUDA backend"
        return self

    def float(self):
        return self._cast_floats(_dtype.float32)

    def double(self):
        return self._cast_floats(_dtype.float64)

    def half(self):
        return self._cast_floats(_dtype.float16)

    def bfloat16(self):
        return self._cast_floats(_dtype.bfloat16)

    def type(self, dst_type):
        return self._cast_floats(dst_type)

    # ------------------------------------------------------------------ state dict
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer under its dotted name.

        Values are detached Tensors sharing memory with the module (``keep_vars=True`` gives
        the Parameters themselves). Keys and order are PyTorch's for the same architecture.
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_local(self, state_dict, prefix, assign, missing, unexpected, errors):
        """Copy this module's own entries of ``state_dict`` (keys under ``prefix``), noting
        the keys it lacks and the ones it does not know."""
        local = {k: v for k, v in self._parameters.items() if v is not None}
        for k, v in self._buffers.items():
            if v is not None and k not in self._non_persistent_buffers_set:
                local[k] = v
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            source = state_dict[key]
            array = _as_array(source)
            if array is None:
                errors.append(
                    f'While copying the parameter named "{key}", expected npgrad.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(source)}"
                )
                continue
            if param._data.ndim == 0 and array.shape == (1,):
                array = array.reshape(())
            if array.shape != param._data.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_size(array.shape)} from checkpoint, the shape in current model is "
                    f"{_size(param._data.shape)}."
                )
                continue
            if assign:
                new = Parameter(array.copy(), param.requires_grad) if isinstance(param, Parameter) else wrap(array.copy())
                setattr(self, name, new)
            else:
                param._data[...] = array  # in place: casts to the model's dtype
                _versions.bump(param)
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            if (dot and head not in self._modules) or (not dot and head not in local):
                unexpected.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy ``state_dict``'s values into this module's parameters and buffers, in place.

        With ``strict=True`` (the default) the keys must match ``self.state_dict()``'s
        exactly; missing and unexpected keys are listed in a RuntimeError. A shape mismatch
        is an error either way. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []

        def load(module, local_state, prefix):
            module._load_local(local_state, prefix, assign, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state.items() if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)

        with grad_mode.no_grad():
            load(self, dict(state_dict), "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(
                    type(self).__name__, "\n\t".join(errors)
                )
            )
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside ``Linear(...)``; layers override it to show their settings."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def _as_array(value):
    """The NumPy array inside a checkpoint value (an npgrad Tensor, an ndarray, or anything
    with ``__array__`` such as a torch tensor), or None when it is not tensor-like."""
    import numpy as np

    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__array__") and hasattr(value, "shape"):
        if hasattr(value, "detach"):  # a torch tensor that requires grad
            value = value.detach()
        return np.asarray(value)
    return None


def _size(shape):
    return repr(Size(shape))

