"""Check analytic gradients against numerical ones (central differences), as
``torch.autograd.gradcheck`` does. Use float64 inputs: float32 is too coarse for the check."""
import numpy as np


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when, for every input that requires grad, the Jacobian from backward matches
    (f(x + eps) - f(x - eps)) / 2eps element by element."""
    from .._tensor import Tensor
    from . import grad
    from .grad_mode import no_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    for i in diff:
        if inputs[i]._data.dtype != np.float64:
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs")

    outputs = _outputs(fn, inputs)
    for k, out in enumerate(outputs):
        if not out._requires_grad:
            continue
        n_out = out._data.size
        for i in diff:
            x = inputs[i]._data
            analytic = np.zeros((n_out, x.size))
            for j in range(n_out):  # one backward per output element: row j of the Jacobian
                seed = np.zeros(out._data.shape)
                seed.flat[j] = 1.0
                out_k = _outputs(fn, inputs)[k]
                (g,) = grad(out_k, inputs[i], Tensor._make(seed, None), allow_unused=True)
                if g is not None:
                    analytic[j] = g._data.reshape(-1)
            numeric = np.zeros((n_out, x.size))
            with no_grad():
                for m in range(x.size):  # one central difference per input element: column m
                    old = x.flat[m]
                    x.flat[m] = old + eps
                    plus = _outputs(fn, inputs)[k]._data.reshape(-1).astype(np.float64)
                    x.flat[m] = old - eps
                    minus = _outputs(fn, inputs)[k]._data.reshape(-1).astype(np.float64)
                    x.flat[m] = old
                    numeric[:, m] = (plus - minus) / (2 * eps)
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape)
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i}:\n"
                    f"numerical:{numeric}\nanalytical:{analytic}\n"
                    f"largest difference at (output {worst[0]}, input {worst[1]}): "
                    f"numerical {numeric[worst]:.6g} vs analytical {analytic[worst]:.6g}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check second derivatives as ``torch.autograd.gradgradcheck`` does: ``gradcheck`` of the
    function (inputs, v) -> d(fn(inputs))/d(inputs) · v, built with ``create_graph=True``.
    Without ``grad_outputs``, v is random (float64, seeded) and also checked."""
    from .._tensor import Tensor
    from . import grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    n = len(inputs)
    outputs = [o for o in _outputs(fn, inputs) if o._requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            Tensor._make(rng.standard_normal(o._data.shape), None).requires_grad_(True) for o in outputs
        ]
    grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)

    def first_derivatives(*args):
        from .grad_mode import enable_grad

        xs, vs = args[:n], args[n:]
        with enable_grad():  # gradcheck's numerical part runs this under no_grad
            outs = [o for o in _outputs(fn, xs) if o._requires_grad]
            diff = [x for x in xs if isinstance(x, Tensor) and x._requires_grad]
            gs = grad(outs, diff, list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None and g._requires_grad)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
