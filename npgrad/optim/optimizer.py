"""``Optimizer``: the bookkeeping every optimizer shares, with PyTorch's API.

An optimizer holds ``param_groups`` — a list of dicts, each with a ``"params"`` list and
its own hyper-parameters (``lr``, ``momentum``, ...; missing ones come from ``defaults``) —
and a per-parameter ``state`` dict (momentum buffers, running averages, step counts).

``step()`` walks the groups and hands every parameter that has a gradient to the
subclass's ``_update(param, grad, state, group)``, which unpacks the options and calls
the optimizer's update function (``adam_update``, ``sgd_update``, ...): a small function
of NumPy arrays that changes the parameter in place, written next to its formula. The
same function works on one parameter or on all of them packed into one flat buffer, so a
faster path can call it once for the whole model.

Speed notes, shared by all optimizers (an Adam step runs ~1,000 times per MNIST epoch):
- Updates write into ``p._data`` and into preallocated state arrays with NumPy's
  ``out=`` / in-place operators; no new parameter-sized arrays are made per step.
- Intermediate results go into scratch arrays kept per (shape, dtype) and reused by
  every step (see ``_scratch``). A fresh array per step would cost a malloc, and for
  arrays above ~128 KiB an mmap plus page faults, every time.
- Python floats mixed into float32 arrays stay float32 (NumPy 2 casts the scalar to the
  array's dtype), so float32 parameters get float32 state and float32 math throughout.
"""
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd import grad_mode
from ..autograd import version as _versions


class _RequiredParameter:
    """Marks a hyper-parameter that every param group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts, each
            dict a parameter group: ``{"params": [...], "lr": 0.1, ...}``.
        defaults: the hyper-parameters a group gets when it does not name them.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {_typename(params)}"
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        # Scratch arrays for intermediate results, keyed by (shape, dtype): reused every
        # step instead of allocating temporaries. Not part of the state: they hold nothing
        # between steps.
        self._scratch_arrays = {}
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters, with its own options, e.g. to train a layer you
        unfroze while fine-tuning: ``opt.add_param_group({"params": layer.parameters(),
        "lr": 1e-4})``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
        param_group["params"] = params

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "each copy is updated, so the parameter moves twice per step",
                          stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in group) != ("param_names" in param_group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none=True):
        """Forget the gradients before the next backward. ``set_to_none=True`` (the
        default) drops them — cheaper, and a parameter that then gets no gradient is
        skipped by ``step``; ``False`` fills them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:  # a gradient built with create_graph=True
                        g = p.grad = g.detach()
                    g._requires_grad = False
                    g._data.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place.

        ``closure``, if given, re-evaluates the model and returns the loss (with gradients
        recorded, even inside ``no_grad``); ``step`` returns that loss."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        states = self.state
        for group in self.param_groups:
            for p in group["params"]:  # every update is in place: bump, as PyTorch does
                if p.grad is not None:
                    _versions.bump(p)
            if self._step_group(group):
                continue
            for p in group["params"]:
                grad = p.grad
                if grad is None:  # no gradient this step (unused, frozen): no update
                    continue
                state = states.get(p)  # .get: does not create an entry in the defaultdict
                if not state:
                    state = self._init_state(p, group)
                    if state is not None:
                        states[p] = state
                self._update(p._data, grad._data, state, group)
        return loss

    def _step_group(self, group):
        """A whole group's step in one go (optimizers with a flat-buffer path, see
        ``npgrad/_fast/flat.py``); returns False to have ``step`` go parameter by parameter."""
        return False

    def _init_state(self, p, group):
        """A parameter's new state dict, made the first time it gets a gradient; or None
        when the options need no state (SGD without momentum: its state stays empty, as
        in PyTorch)."""
        return {}

    def _update(self, param, grad, state, group):
        """Change ``param`` (an ndarray) in place from ``grad`` (an ndarray, not to be
        written into). Each optimizer implements its formula here."""
        raise NotImplementedError

    def _scratch(self, like, n):
        """``n`` preallocated arrays shaped and typed like ``like``, for temporaries.

        The same arrays serve every parameter of that shape and dtype, step after step,
        so the update makes no new arrays; their contents are garbage between uses."""
        key = (like.shape, like.dtype)
        arrays = self._scratch_arrays.get(key)
        if arrays is None or len(arrays) < n:
            arrays = self._scratch_arrays[key] = [np.empty_like(like) for _ in range(n)]
        return arrays

    # ------------------------------------------------------------------ saving
    def state_dict(self):
        """The optimizer's state as plain data, for ``npgrad.save``:

        ``{"state": {0: {"step": tensor(3.), "exp_avg": tensor(...), ...}, 1: ...},
        "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}, ...]}``

        Parameters are replaced by their index in the order of the groups, so the state
        can be loaded into a fresh optimizer over a fresh model of the same shape. The
        tensors are the live state (not copies), as in PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict`` returned (possibly after ``npgrad.save``/``load``).

        The groups must have the same sizes as this optimizer's. State tensors are copied
        (so the loaded dict and this optimizer never share memory) and floating-point ones
        are cast to their parameter's dtype, except the step count."""
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't "
                             "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, value, k, self._state_matches_param_shape)
                            for key, value in v.items()}
            else:
                state[k] = v
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups
        self._after_load()

    #: False where the state holds arrays of other shapes than the parameter's (LBFGS)
    _state_matches_param_shape = True

    def _after_load(self):
        """Fix up loaded groups (e.g. AdamW forces decoupled weight decay). Optional."""

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _cast_state(param, key, value, index, check_shape=True):
    """A loaded state value, made safe to update in place: tensors become fresh
    contiguous copies, floating ones in the parameter's dtype (the step count stays as
    saved, a number becomes a float32 0-d tensor as PyTorch keeps it)."""
    if key == "step":
        if isinstance(value, Tensor):
            return wrap(np.array(value._data))
        if isinstance(value, (int, float)):
            return wrap(np.array(value, dtype=np.float32))
        return value
    if isinstance(value, Tensor):
        arr = value._data
        if arr.dtype.kind == "f" and param._data.dtype.kind == "f":
            if check_shape and arr.ndim != 0 and arr.shape != param._data.shape:
                raise ValueError(
                    f"loaded optimizer state {key!r} of parameter {index} has shape "
                    f"{tuple(arr.shape)}, but the parameter has shape {tuple(param.shape)}"
                )
            arr = arr.astype(param._data.dtype, order="C")  # astype copies
        else:
            arr = arr.copy(order="C")
        # (not np.ascontiguousarray: it turns 0-d state such as NAdam's mu_product into 1-d)
        return wrap(arr)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v, index, check_shape) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast_state(param, key, v, index, check_shape) for v in value)
    return deepcopy(value)


def _typename(obj):
    """'list' for builtins, 'npgrad.Tensor' for tensors, 'module.Class' otherwise."""
    if isinstance(obj, Tensor):
        return "npgrad.Tensor"
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _check(condition, message):
    """Raise PyTorch's ``ValueError`` for an invalid hyper-parameter."""
    if not condition:
        raise ValueError(message)


def _step_tensor():
    """The step count, a 0-d float32 tensor as in PyTorch's state dicts."""
    return wrap(np.zeros((), dtype=np.float32))


def _advance(state):
    """Add one to ``state["step"]`` in place and return the new count as a Python float."""
    step = state["step"]._data
    step += 1
    return float(step)


def _refuse_unsupported(name, differentiable=False):
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True (autograd through the "
                                  "optimizer step) is not supported by npgrad")


def _effective_grad(param, grad, weight_decay, maximize, out):
    """The gradient the update uses: ``-grad`` if maximizing, plus ``weight_decay *
    param`` (L2 penalty). Returns ``grad`` itself when neither applies; otherwise writes
    into ``out`` (``p.grad`` is never modified)."""
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=out)
        # (-g) + wd*p is exactly wd*p - g: negation is exact, so both round the same
        return np.subtract(out, grad, out=out) if maximize else np.add(grad, out, out=out)
    if maximize:
        return np.negative(grad, out=out)
    return grad
