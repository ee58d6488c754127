"""NaN, ±inf, ±0, huge and tiny inputs through every op of the op table and every loss:
values and gradients equal torch's (NaN where torch gives NaN), and NumPy stays quiet
(no RuntimeWarning) where torch is silent. Each case runs on torch and npgrad in one test.

A special value goes into the first element of every input; the other elements are the
table's usual random values, so an op sees the special value beside ordinary ones."""
import warnings

import numpy as np
import pytest
import torch
from test_ops_table import OPS, _inputs, _outputs, _seed

import npgrad

F32, F64 = np.float32, np.float64
SPECIALS = {
    "nan": (float("nan"), float("nan")),
    "inf": (float("inf"), float("inf")),
    "-inf": (float("-inf"), float("-inf")),
    "zero": (0.0, 0.0),
    "-zero": (-0.0, -0.0),
    "huge": (1e38, 1e308),
    "-huge": (-1e38, -1e308),
    "tiny": (1e-45, 5e-324),  # the smallest denormals
}



def _first_case(op):
    for shapes in op.shapes:
        if all(int(np.prod(s)) > 0 for s in shapes):
            return shapes
    return None


CASES = []
for _op in OPS:
    _shapes = _first_case(_op)
    if _shapes is None:
        continue
    for _name in SPECIALS:
        CASES.append(pytest.param(_op, _shapes, _name, id=f"{_op.name}-{_name}"))


def _run(L, op, arrays, dtype):
    """(outputs, grads) as NumPy arrays, or ('raise', type) when the library raises."""
    ins = [L.tensor(a.copy(), requires_grad=True) for a in arrays]
    try:
        outs = _outputs(op.fn(L, *ins))
        total = None
        rng = np.random.default_rng(3)
        for o in outs:
            if o.requires_grad and op.torch_grad:
                w = rng.uniform(0.5, 1.5, tuple(o.shape)).astype(dtype)
                term = (o * L.tensor(w)).sum()
                total = term if total is None else total + term
        if total is not None:
            total.backward()
    except (RuntimeError, IndexError, ValueError) as e:
        return ("raise", type(e).__name__), None
    values = [np.array(o.detach().numpy()) for o in outs]
    grads = [None if x.grad is None else np.array(x.grad.numpy()) for x in ins]
    return values, grads


def _same(ours, theirs, what, dtype):
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch {theirs.shape}"
    if ours.dtype.kind != "f":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
        return
    rtol = 1e-5 if dtype == F32 else 1e-11
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN positions")
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(theirs), err_msg=f"{what}: +inf positions")
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(theirs), err_msg=f"{what}: -inf positions")
    finite = np.isfinite(theirs)
    # rounding-sized differences (a gradient that cancels to ~eps) are not answers
    scale = np.abs(theirs[finite]).max(initial=0.0)
    atol = max(np.finfo(dtype).tiny * 1e4, np.finfo(dtype).eps * 16 * min(scale, 1.0))
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=rtol, atol=atol, err_msg=what)


def check(op, shapes, special, dtype):
    arrays = _inputs(op, shapes, dtype, _seed(op, shapes))
    value = SPECIALS[special][0 if dtype == F32 else 1]
    for a in arrays:
        a.reshape(-1)[0] = value
    t_vals, t_grads = _run(torch, op, arrays, dtype)
    with warnings.catch_warnings(record=True) as caught:
        npgrad._quiet_numpy_warnings()  # what `import npgrad` installs (pytest resets filters per test)
        n_vals, n_grads = _run(npgrad, op, arrays, dtype)
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{op.name}: NumPy warned where torch is silent: {noisy}"
    if isinstance(t_vals, tuple) or isinstance(n_vals, tuple):
        assert t_vals == n_vals, f"{op.name}: torch {t_vals}, npgrad {n_vals}"
        return
    assert len(n_vals) == len(t_vals)
    for k, (o, t) in enumerate(zip(n_vals, t_vals)):
        _same(o, t, f"{op.name} at {special}: output {k}", dtype)
    for i, (g, tg) in enumerate(zip(n_grads, t_grads)):
        if tg is None or g is None:
            assert (tg is None) == (g is None) or not op.torch_grad, f"{op.name}: gradient {i} presence"
            continue
        _same(g, tg, f"{op.name} at {special}: gradient of input {i}", dtype)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("op, shapes, special", CASES)
def test_op_at_special_values(op, shapes, special, dtype):
    check(op, shapes, special, dtype)


# ------------------------------------------------------------------ every loss
class _Loss:
    def __init__(self, name, fn, n_inputs=2, domains=("real", "real")):
        self.name, self.fn, self.n, self.domains = name, fn, n_inputs, domains


def _target(L, n, c):
    return L.tensor([1, 0, 2, 1][:n])


LOSSES = [
    _Loss("mse", lambda L, x, y: L.nn.functional.mse_loss(x, y)),
    _Loss("mse_sum", lambda L, x, y: L.nn.functional.mse_loss(x, y, reduction="sum")),
    _Loss("l1", lambda L, x, y: L.nn.functional.l1_loss(x, y)),
    _Loss("smooth_l1", lambda L, x, y: L.nn.functional.smooth_l1_loss(x, y)),
    _Loss("huber", lambda L, x, y: L.nn.functional.huber_loss(x, y, delta=0.5)),
    _Loss("bce", lambda L, x, y: L.nn.functional.binary_cross_entropy(x, y), domains=("prob", "prob")),
    _Loss("bce_logits", lambda L, x, y: L.nn.functional.binary_cross_entropy_with_logits(x, y), domains=("real", "prob")),
    _Loss("kl_div", lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="batchmean"), domains=("real", "prob")),
    _Loss("kl_div_log_target", lambda L, x, y: L.nn.functional.kl_div(x, y, reduction="sum", log_target=True)),
    _Loss("cross_entropy", lambda L, x: L.nn.functional.cross_entropy(x, _target(L, 4, 3)), 1),
    _Loss("cross_entropy_smoothing", lambda L, x: L.nn.functional.cross_entropy(x, _target(L, 4, 3), label_smoothing=0.1), 1),
    _Loss("cross_entropy_probs", lambda L, x, y: L.nn.functional.cross_entropy(x, y), domains=("real", "prob")),
    _Loss("nll", lambda L, x: L.nn.functional.nll_loss(x, _target(L, 4, 3)), 1),
]


def _loss_inputs(loss, dtype):
    rng = np.random.default_rng(7)
    out = []
    for d in loss.domains[: loss.n]:
        out.append(rng.uniform(0.1, 0.9, (4, 3)).astype(dtype) if d == "prob" else rng.uniform(-2, 2, (4, 3)).astype(dtype))
    return out


def _run_loss(L, loss, arrays):
    ins = [L.tensor(a.copy(), requires_grad=True) for a in arrays]
    try:
        out = loss.fn(L, *ins)
        out.backward()
    except (RuntimeError, ValueError) as e:
        return ("raise", type(e).__name__), None
    return [np.array(out.detach().numpy())], [None if x.grad is None else np.array(x.grad.numpy()) for x in ins]


# Known differences, each checked to persist (strict xfail) so the list stays honest:
KNOWN = {
    # torch's vectorized kernel gives log(t) - x for a denormal target inside a larger
    # tensor (its scalar path, like npgrad, gives log(t) + 1 - x)
    ("kl_div", "tiny", 1): "torch's vectorized kl_div target gradient drops the +1 at denormal targets",
    # torch sums the smoothing term's log-probabilities before weighting them: -3e308
    # overflows to -inf there; npgrad weights first and returns the finite, exact value
    ("cross_entropy_smoothing", "huge", None): "torch's label-smoothing sum overflows to inf at 1e308 logits",
}


def _known(loss, special, which, dtype):
    reason = KNOWN.get((loss.name, special, which)) or KNOWN.get((loss.name, special, None))
    if reason and not (loss.name == "cross_entropy_smoothing" and dtype == F32):
        return reason
    return None


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("which", range(2), ids=["first_input", "second_input"])
@pytest.mark.parametrize("special", list(SPECIALS))
@pytest.mark.parametrize("loss", LOSSES, ids=[l.name for l in LOSSES])
def test_loss_at_special_values(loss, special, which, dtype, request):
    if which >= loss.n:
        which = 0
    reason = _known(loss, special, which, dtype)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    arrays = _loss_inputs(loss, dtype)
    arrays[which].reshape(-1)[0] = SPECIALS[special][0 if dtype == F32 else 1]
    t_vals, t_grads = _run_loss(torch, loss, arrays)
    with warnings.catch_warnings(record=True) as caught:
        npgrad._quiet_numpy_warnings()  # what `import npgrad` installs (pytest resets filters per test)
        n_vals, n_grads = _run_loss(npgrad, loss, arrays)
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{loss.name}: NumPy warned where torch is silent: {noisy}"
    if isinstance(t_vals, tuple) or isinstance(n_vals, tuple):
        assert t_vals == n_vals, f"{loss.name}: torch {t_vals}, npgrad {n_vals}"
        return
    _same(n_vals[0], t_vals[0], f"{loss.name} at {special}: loss", dtype)
    for i, (g, tg) in enumerate(zip(n_grads, t_grads)):
        if g is None or tg is None:
            assert (g is None) == (tg is None)
            continue
        _same(g, tg, f"{loss.name} at {special}: gradient of input {i}", dtype)
