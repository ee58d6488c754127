"""L-BFGS: a quasi-Newton method that builds a curvature estimate from the last
``history_size`` steps, for full-batch problems (curve fits, style transfer).

Unlike the other optimizers it calls the model itself: ``step(closure)`` runs up to
``max_iter`` iterations, each evaluating ``closure()`` (which zeroes the gradients,
computes the loss, calls ``backward`` and returns the loss) at least once::

    opt = LBFGS(model.parameters(), lr=1, line_search_fn="strong_wolfe")
    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    opt.step(closure)

Each iteration (PyTorch's algorithm, after minFunc):
  1. the direction d = -H·g, H applied by the two-loop recursion over the stored pairs
     (s = step taken, y = change of gradient), kept only where yᵀs > 1e-10;
  2. a step of length t along d: t = lr (the first iteration: min(1, 1/Σ|g|)·lr), or the
     t a strong-Wolfe line search finds (``line_search_fn="strong_wolfe"``);
  3. stop at ``max_iter`` iterations, ``max_eval`` closure calls, a gradient below
     ``tolerance_grad``, or a change in step or loss below ``tolerance_change``.

All parameters are handled as one flat vector. The scalars (dot products, t, ρ) stay
NumPy scalars of the parameters' dtype, so float32 runs round as PyTorch's do. The state
(on the first parameter, as in PyTorch) has PyTorch's keys: ``func_evals``, ``n_iter``,
``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``,
``prev_loss`` and ``al``.
"""
import numpy as np

from .._tensor import Tensor, wrap
from ..autograd import grad_mode
from ._line_search import strong_wolfe
from .optimizer import Optimizer, _check


class LBFGS(Optimizer):
    _state_matches_param_shape = False  # the state holds flat vectors of all parameters

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    # ------------------------------------------------------------ the flat vector
    def _flat_grad(self):
        """All gradients in one new vector (zeros for a parameter without one)."""
        parts = [np.zeros(p._data.size, p._data.dtype) if p.grad is None
                 else p.grad._data.reshape(-1) for p in self._params]
        return np.concatenate(parts)

    def _add_to_params(self, t, d):
        """θ ← θ + t·d, with d the flat direction."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[offset:offset + n]).reshape(p._data.shape)
            offset += n

    def _evaluate(self, closure):
        with grad_mode.enable_grad():
            loss = closure()
        return loss

    def _evaluate_at(self, closure, x, t, d):
        """Loss and flat gradient at x + t·d; the parameters are put back to x."""
        self._add_to_params(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
        return loss, flat_grad

    # ------------------------------------------------------------ the step
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss ``closure()``
        returned at the start."""
        if closure is None:
            raise RuntimeError("LBFGS.step() needs a closure that re-evaluates the model "
                               "and returns the loss: opt.step(closure)")
        group = self.param_groups[0]
        lr = group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already at an optimum
            return orig_loss

        d, t = _array(state.get("d")), _array(state.get("t"))
        old_dirs = [_array(v) for v in state.get("old_dirs") or []]
        old_stps = [_array(v) for v in state.get("old_stps") or []]
        ro = [_array(v) for v in state.get("ro") or []]
        H_diag = _array(state.get("H_diag"))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = None

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                d, al = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, history_size,
                                  al if al is not None else state.get("al"))
                state["al"] = al  # (made Tensors below; set here for torch's key order)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = (min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1
                 else lr)
            gtd = flat_grad.dot(d)  # directional derivative: no descent left
            if gtd > -tolerance_change:
                break

            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_evals = strong_wolfe(
                    lambda x, t_, d_: self._evaluate_at(closure, x, t_, d_),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - evals)
                self._add_to_params(t, d)
            else:
                self._add_to_params(t, d)
                ls_evals = 0
                if n_iter != max_iter:  # re-evaluate, except after the last iteration
                    loss = float(self._evaluate(closure))
                    flat_grad = self._flat_grad()
                    ls_evals = 1
            optimal = np.abs(flat_grad).max() <= tolerance_grad
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _tensor(d)
        state["t"] = _tensor(t)
        state["old_dirs"] = [_tensor(v) for v in old_dirs]
        state["old_stps"] = [_tensor(v) for v in old_stps]
        state["ro"] = [_tensor(v) for v in ro]
        state["H_diag"] = _tensor(H_diag)
        state["prev_flat_grad"] = _tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = [None if v is None else _tensor(v) for v in al]
        return orig_loss


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, history_size, saved_al):
    """d = -H·g by the L-BFGS two-loop recursion over the stored (y, s) pairs. Returns d
    and the αᵢ of the first loop (PyTorch keeps them in ``state["al"]``)."""
    al = [None] * history_size if saved_al is None else [_array(v) for v in saved_al]
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r, al


def _array(value):
    """State value → NumPy: a Tensor's array (a 0-d one as a NumPy scalar); others as is."""
    if isinstance(value, Tensor):
        arr = value._data
        return arr[()] if arr.ndim == 0 else arr.copy()
    return value


def _tensor(value):
    """NumPy value → state value: arrays and NumPy scalars become Tensors (PyTorch keeps
    them as tensors); Python numbers stay numbers."""
    if isinstance(value, (np.ndarray, np.generic)):
        return wrap(np.array(value))
    return value
