"""``npgrad.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp, as in PyTorch.

Built on ``autograd.grad``: a Jacobian is one backward per output element (reverse mode);
jvp is J·v from that Jacobian; the Hessian is the Jacobian of the gradient, made with
``create_graph=True`` (so the function may use only ops with a differentiable backward,
see autograd/dual.py). ``create_graph=True`` keeps the results differentiable; ``strict``
raises where an output does not depend on an input, as PyTorch does.
"""
import numpy as np

from . import grad as _grad
from .grad_mode import enable_grad


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    from .._tensor import Tensor

    out = []
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"The inputs given to the function must be Tensors, got {type(x).__name__}")
        y = x if (create_graph and x._requires_grad) else x.detach()
        if not y._requires_grad:
            y = Tensor._make(x._data, None).requires_grad_(True) if y is not x else y.requires_grad_(True)
        out.append(y)
    return tuple(out)


def _zeros(x):
    from .._tensor import Tensor

    return Tensor._make(np.zeros(x._data.shape, x._data.dtype), None)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, what):
    from .._tensor import Tensor

    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o._requires_grad]
    if not live:
        if strict:
            raise RuntimeError(f"The output of the user-provided function is independent of input 0. This is not allowed in strict mode.")
        return tuple(_zeros(x) for x in inputs)
    gs = _grad([o for o, _ in live], list(inputs), [g for _, g in live],
               create_graph=create_graph, retain_graph=True, allow_unused=True)
    out = []
    for i, (g, x) in enumerate(zip(gs, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. "
                    f"This is not allowed in strict mode{what}."
                )
            g = _zeros(x)
        out.append(g if create_graph else Tensor._make(g._data, None))
    return tuple(out)


def _call(func, inputs):
    with enable_grad():
        out = func(*inputs)
    outs, is_tuple = _tuple(out)
    return outs, is_tuple


def _detach_all(ts, create_graph):
    return tuple(t if create_graph else t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): v has the outputs' shapes (may be omitted for a scalar output)."""
    from .._tensor import Tensor

    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    outs, out_tuple = _call(func, xs)
    if v is None:
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor with a single element.")
        v = (Tensor._make(np.ones_like(outs[0]._data), None),)
    else:
        v, _ = _tuple(v)
    res = _grads(outs, xs, v, create_graph, strict, "")
    outs = _detach_all(outs, create_graph)
    return (outs if out_tuple else outs[0]), (res if in_tuple else res[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func / d inputs, shaped output.shape + input.shape (tuples of tuples for several)."""
    from .._tensor import Tensor

    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    outs, out_tuple = _call(func, xs)
    rows = []
    for k, o in enumerate(outs):
        per_input = [[] for _ in xs]
        for j in range(o._data.size):
            seed = np.zeros(o._data.shape, o._data.dtype)
            seed.flat[j] = 1
            if not o._requires_grad:
                if strict:
                    raise RuntimeError(f"Output {k} of the user-provided function does not require gradients. The outputs must be computed in a differentiable manner from the input when running in strict mode.")
                gs = tuple(_zeros(x) for x in xs)
            else:
                gs = _grads([o], xs, [Tensor._make(seed, None)], create_graph, strict, "")
            for i, g in enumerate(gs):
                per_input[i].append(g)
        row = []
        for i, x in enumerate(xs):
            shape = tuple(o._data.shape) + tuple(x._data.shape)
            if create_graph:
                from ..ops.shape import stack

                parts = per_input[i]
                j_t = stack(parts).reshape(shape) if parts else Tensor._make(np.zeros(shape, x._data.dtype), None)
            else:
                arr = np.stack([g._data for g in per_input[i]]) if per_input[i] else np.zeros((0,), x._data.dtype)
                j_t = Tensor._make(arr.reshape(shape), None)
            row.append(j_t)
        rows.append(tuple(row))
    if not out_tuple and not in_tuple:
        return rows[0][0]
    if not out_tuple:
        return rows[0]
    if not in_tuple:
        return tuple(r[0] for r in rows)
    return tuple(rows)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v): v has the inputs' shapes (may be omitted for one one-element input)."""
    from .._tensor import Tensor

    inputs_t, in_tuple = _tuple(inputs)
    if v is None:
        if len(inputs_t) != 1 or inputs_t[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.")
        v = (Tensor._make(np.ones_like(inputs_t[0]._data), None),)
    else:
        v, _ = _tuple(v)
    xs = _prepare(inputs_t, create_graph)
    outs, out_tuple = _call(func, xs)
    jac = jacobian(func, tuple(inputs_t), create_graph=create_graph, strict=strict)
    if not isinstance(jac, tuple):
        jac = ((jac,),)
    elif not out_tuple:
        jac = (jac,)
    elif not in_tuple:
        jac = tuple((j,) for j in jac)
    res = []
    for k, o in enumerate(outs):
        total = None
        for i, x in enumerate(xs):
            j = jac[k][i]
            flat = j.reshape((o._data.size, x._data.size))
            term = flat @ v[i].reshape((x._data.size,))
            total = term if total is None else total + term
        r = total.reshape(tuple(o._data.shape))
        res.append(r if create_graph else r.detach())
    outs = _detach_all(outs, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(res) if out_tuple else res[0])


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: shaped input.shape + input.shape (a tuple of tuples
    for several inputs)."""
    inputs_t, in_tuple = _tuple(inputs)

    def gradient(*xs):
        outs, _ = _call(func, xs)
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        return _grads(outs, xs, [None], True, strict, "")

    jac = jacobian(gradient if in_tuple else (lambda x: gradient(x)[0]), inputs_t if in_tuple else inputs_t[0],
                   create_graph=create_graph, strict=strict)
    return jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H) for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v) for a scalar function (H is symmetric: the same numbers as vhp)."""
    return _hessian_product(func, inputs, v, create_graph, strict)


def _hessian_product(func, inputs, v, create_graph, strict):
    from .._tensor import Tensor

    inputs_t, in_tuple = _tuple(inputs)
    if v is None:
        if len(inputs_t) != 1 or inputs_t[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.")
        v = (Tensor._make(np.ones_like(inputs_t[0]._data), None),)
    else:
        v, _ = _tuple(v)
    xs = _prepare(inputs_t, True)
    outs, _ = _call(func, xs)
    if len(outs) != 1 or outs[0]._data.size != 1:
        raise RuntimeError("The Tensor returned by the function given to hvp should contain a single element")
    gs = _grads(outs, xs, [None], True, strict, "")
    dot = None
    for g, vi in zip(gs, v):
        term = (g * vi).sum()
        dot = term if dot is None else dot + term
    if not dot._requires_grad:
        if strict:
            raise RuntimeError("The jacobian of the user-provided function is independent of input 0. This is not allowed in strict mode when create_graph=False.")
        res = tuple(_zeros(x) for x in xs)
    else:
        res = _grads([dot], xs, [None], create_graph, strict, " when create_graph=False")
    out = outs[0] if create_graph else outs[0].detach()
    return out, (res if in_tuple else res[0])
