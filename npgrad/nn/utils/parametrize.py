"""``nn.utils.parametrize``: a tensor of a module computed from other tensors on every read.

``register_parametrization(module, "weight", P())`` moves the parameter ``weight`` to
``module.parametrizations.weight.original`` (or ``original0``, ``original1``, ... when
``P.right_inverse`` splits it, as weight norm's does), and from then on ``module.weight``
reads ``P()(original)``. As in PyTorch, the module's class becomes a subclass
``Parametrized<Class>`` holding one property per parametrized name (a property of the class
is found before the instance's ``__dict__``, where npgrad keeps registered values), and
assigning ``module.weight = w`` stores ``P.right_inverse(w)`` in the originals.
"""
import contextlib

from ...autograd import grad_mode
from ..._tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "cached", "ParametrizationList", "type_before_parametrizations"]

_cache_depth = [0]
_cache = {}


@contextlib.contextmanager
def cached():
    """Inside ``with cached():`` each parametrized tensor is computed once, on first read."""
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def _register(module, name, tensor, as_parameter):
    if as_parameter:
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original tensor(s)."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        as_parameter = isinstance(original, Parameter)
        new = original
        with grad_mode.no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        if isinstance(new, Tensor):
            self.is_tensor = True
            self.ntensors = 1
            if new is not original:  # the original object keeps its identity (optimizers)
                if new.shape != original.shape or new.dtype != original.dtype:
                    if not unsafe:
                        raise ValueError(
                            f"When `right_inverse` outputs one tensor, it may not change the "
                            f"dtype or shape: original {original.dtype} {tuple(original.shape)},"
                            f" right_inverse gave {new.dtype} {tuple(new.shape)}")
                with grad_mode.no_grad():
                    original.data = new.detach().clone()
            _register(self, "original", original, as_parameter)
        else:
            new = tuple(new)
            if not all(isinstance(t, Tensor) for t in new):
                raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                 f"tensors (list, tuple...). Got {type(new).__name__}")
            self.is_tensor = False
            self.ntensors = len(new)
            for i, t in enumerate(new):
                t = t.detach()
                if as_parameter:
                    t = Parameter(t, original.requires_grad)
                _register(self, f"original{i}", t, as_parameter)
        if not unsafe:
            value = self()
            if not isinstance(value, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(value).__name__}.")
            if value.shape != original.shape or value.dtype != original.dtype:
                raise ValueError(
                    f"Registering a parametrization may not change the shape or dtype of the "
                    f"tensor: unparametrized {original.dtype} {tuple(original.shape)}, "
                    f"parametrized {value.dtype} {tuple(value.shape)}")

    def right_inverse(self, value):
        """``module.name = value``: the originals become what gives ``value``."""
        with grad_mode.no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif len(self) > 1 or not self.is_tensor:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
            if self.is_tensor:
                self.original.data = value.detach().clone() if value is not self.original \
                    else value.detach()
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}").data = t.detach().clone()

    def forward(self):
        first = self[0]
        if self.is_tensor:
            x = first(self.original)
        else:
            x = first(*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _property(name):
    def get(self):
        plist = self.parametrizations[name]
        if _cache_depth[0]:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = plist()
            return _cache[key]
        return plist()

    def set(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(get, set)


def _no_pickle(self):
    # the class is made at run time, so pickle could not find it again by name
    raise RuntimeError("Serialization of parametrized modules is only supported through "
                       "state_dict(): save module.state_dict() and load it into a module "
                       "parametrized the same way")


def _deepcopy(self, memo):
    """``copy.deepcopy`` of a parametrized module: a new one of the same (run-time) class
    over a deep copy of its state."""
    import copy

    new = object.__new__(type(self))
    memo[id(self)] = new
    state = super(type(self), self).__getstate__()  # the unparametrized class's state
    new.__setstate__(copy.deepcopy(state, memo))
    return new


def _load_local(self, state_dict, prefix, *args):
    """Before this module's entries are read, each ``load_hooks`` function (see
    ``add_load_hook``) may rename keys of ``state_dict`` (PyTorch's load_state_dict pre-hooks:
    weight norm reads a checkpoint of the older ``weight_g``/``weight_v`` spelling)."""
    for hook in self.__dict__.get("_parametrize_load_hooks", ()):
        hook(state_dict, prefix)
    super(type(self), self)._load_local(state_dict, prefix, *args)


def add_load_hook(module, hook):
    """Run ``hook(state_dict, prefix)`` when ``module`` (a parametrized one) loads a
    state_dict, before its keys are read; the hook may rename keys in place."""
    module.__dict__.setdefault("_parametrize_load_hooks", []).append(hook)


def is_parametrized(module, tensor_name=None):
    plists = module.__dict__.get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module):
    cls = type(module)
    return cls.__bases__[0] if is_parametrized(module) else cls


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` read ``parametrization(original)``. A second call for
    the same name appends to the chain. Returns ``module``."""
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            value = parametrization(getattr(module, tensor_name))
            old = getattr(module, tensor_name)
            if value.shape != old.shape or value.dtype != old.dtype:
                raise ValueError(
                    f"Registering a parametrization may not change the shape or dtype of the "
                    f"tensor: {old.dtype} {tuple(old.shape)} became {value.dtype} "
                    f"{tuple(value.shape)}")
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    if tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"Module '{module}' has its {tensor_name} set to None; it cannot "
                             f"be parametrized")
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            cls = type(module)
            module.__class__ = type(f"Parametrized{cls.__name__}", (cls,),
                                    {"__getstate__": _no_pickle, "__deepcopy__": _deepcopy,
                                     "_load_local": _load_local})
            module.parametrizations = ModuleDict()
        setattr(type(module), tensor_name, _property(tensor_name))
        module.parametrizations[tensor_name] = plist
        return module
    raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                     f"parametrized element with name '{tensor_name}'")


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo ``register_parametrization``: ``module.<tensor_name>`` is a plain parameter (or
    buffer) again, holding the parametrized value (``leave_parametrized=True``) or the
    original one."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with grad_mode.no_grad():
                value = getattr(module, tensor_name)
            with grad_mode.no_grad():
                original.data = value.detach().clone()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a "
                             "tensor that is parametrized in terms of a sequence of tensors.")
        with grad_mode.no_grad():
            value = getattr(module, tensor_name).detach()
        if isinstance(plist.original0, Parameter):
            original = Parameter(value.clone(), plist.original0.requires_grad)
        else:
            original = value.clone()
    as_parameter = isinstance(original, Parameter)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original, as_parameter)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module
