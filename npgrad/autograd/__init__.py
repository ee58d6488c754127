"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``gradcheck``, ``Function``."""
from .. import _backend
from .anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .custom import Function, FunctionCtx, once_differentiable
from .engine import Capture, run_backward, run_backward_graph
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "backward", "grad", "gradcheck", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled", "FunctionCtx", "once_differentiable", "detect_anomaly",
    "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "gradgradcheck",
    "functional",
]


def _root_grads(outputs, grad_outputs):
    from .._tensor import Tensor

    grads = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (got shape {tuple(t._data.shape)}); "
                    "pass gradient= with the output's shape"
                )
            g = _backend.xp.ones_like(t._data)
        else:
            g = g._data if isinstance(g, Tensor) else _backend.xp.asarray(g, dtype=t._data.dtype)
            if g.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(t._data.shape)}."
                )
        grads.append(g)
    return grads


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (with ``create_graph``, as
    Tensors that are themselves differentiable)."""
    tensors = _as_list(tensors)
    grads = _root_grads(tensors, None if grad_tensors is None else _as_list(grad_tensors))
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    if create_graph:
        run_backward_graph(tensors, _graph_root_grads(tensors, grad_tensors, grads), only=inputs)
        return
    run_backward(tensors, grads, bool(retain_graph), only=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    from .._tensor import Tensor

    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    grads = _root_grads(outputs, None if grad_outputs is None else _as_list(grad_outputs))
    capture = Capture(inputs)
    if create_graph:
        run_backward_graph(outputs, _graph_root_grads(outputs, grad_outputs, grads), capture)
    else:
        run_backward(outputs, grads, bool(retain_graph), capture)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
        if g is None:
            result.append(None)
        elif isinstance(g, Tensor):  # create_graph: a Tensor in the graph
            result.append(g)
        else:
            result.append(Tensor._make(g.copy(), None))
    return tuple(result)


def _graph_root_grads(tensors, given, arrays):
    """The root gradients as Tensors: the ones the caller gave (they may be in a graph
    themselves, as in double backward), else the arrays made by ``_root_grads``."""
    from .._tensor import Tensor

    given = None if given is None else _as_list(given)
    out = []
    for i, a in enumerate(arrays):
        g = None if given is None else given[i]
        out.append(g if isinstance(g, Tensor) else Tensor._make(a, None))
    return out


from . import functional  # noqa: E402  (jacobian, hessian, vjp, jvp, hvp, vhp)
