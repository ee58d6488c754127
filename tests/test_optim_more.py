"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS against torch.optim.

Each optimizer and option set runs 30 steps on three parameters of different shapes, the
gradient a function of the current parameters (a quadratic bowl plus a ripple), so any
disagreement would feed back and grow. Parameters and state (keys, dtypes, values) must
equal torch's; state_dicts round-trip, also from torch's optimizer into ours.
"""
import io

import numpy as np
import pytest
import torch

import npgrad
from npgrad import optim

SHAPES = [(4, 3), (5,), (2, 3, 2)]
STEPS = 30
# torch's CPU kernels fuse multiply-adds (lerp, addcmul), NumPy rounds each operation:
# the last bits differ, and 30 steps of feedback can grow that to ~1e-11 in float64
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

CASES = {
    "Adadelta": [
        dict(),
        dict(lr=0.5, rho=0.5),
        dict(lr=0.5, eps=1e-3, weight_decay=0.1),
        dict(lr=0.5, maximize=True),
        dict(lr=0.5, maximize=True, weight_decay=0.1, rho=0.95),
    ],
    "Adamax": [
        dict(),
        dict(lr=0.05, betas=(0.8, 0.99)),
        dict(lr=0.05, eps=1e-3, weight_decay=0.1),
        dict(lr=0.05, maximize=True),
        dict(lr=0.05, betas=(0.4, 0.9), maximize=True, weight_decay=0.1),
    ],
    "NAdam": [
        dict(),
        dict(lr=0.05, betas=(0.8, 0.99), momentum_decay=0.01),
        dict(lr=0.05, weight_decay=0.1),
        dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
        dict(lr=0.05, maximize=True, eps=1e-3),
        dict(lr=0.05, betas=(0.6, 0.9), maximize=True, weight_decay=0.1),
    ],
    "RAdam": [
        dict(),
        dict(lr=0.05, betas=(0.8, 0.9)),  # rho_t passes 5 after a few steps
        dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
        dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True),
        dict(lr=0.05, betas=(0.8, 0.9), maximize=True, eps=1e-3),
    ],
    "ASGD": [
        dict(),
        dict(lr=0.05, lambd=0.01, alpha=0.5),
        dict(lr=0.05, t0=10),  # averaging starts at step 10
        dict(lr=0.05, t0=3, weight_decay=0.1),
        dict(lr=0.05, t0=5, maximize=True, lambd=0.001),
    ],
    "Rprop": [
        dict(),
        dict(lr=0.05, etas=(0.3, 1.5)),
        dict(lr=0.05, step_sizes=(0.01, 0.1)),
        dict(lr=0.05, maximize=True),
        dict(lr=0.1, etas=(0.6, 1.1), step_sizes=(1e-3, 0.2), maximize=True),
    ],
}
PARAMS = [(name, kw) for name, kws in CASES.items() for kw in kws]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def make_start(dtype, seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    curv = [rng.uniform(0.2, 2.0, s).astype(dtype) for s in SHAPES]
    shift = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return start, curv, shift


def gradient(values, curv, shift):
    """d/dθ of Σ ½·c·θ² + s·θ + 0.1·sin(3θ), in θ's dtype."""
    return curv * values + shift + np.asarray(0.3, values.dtype) * np.cos(3 * values)


def set_grads(lib, params, curv, shift):
    for p, c, s in zip(params, curv, shift):
        p.grad = lib.tensor(gradient(p.detach().numpy(), c, s))


def run(lib, name, kw, dtype, steps=STEPS, params=None, opt=None):
    start, curv, shift = make_start(dtype)
    if params is None:
        params = [lib.tensor(a.copy(), requires_grad=True) for a in start]
    if opt is None:
        opt = getattr(lib.optim, name)(params, **kw)
    for _ in range(steps):
        set_grads(lib, params, curv, shift)
        opt.step()
    return params, opt


def to_torch(value):
    """An npgrad state value (recursively) as torch would hold it."""
    if isinstance(value, npgrad.Tensor):
        return torch.from_numpy(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_torch(v) for v in value]
    return value


def to_npgrad(value):
    """A torch state value (recursively) as an npgrad one."""
    if isinstance(value, torch.Tensor):
        return npgrad.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: to_npgrad(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_npgrad(v) for v in value]
    return value


def assert_state_equal(opt, topt, tol):
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for i, state in theirs["state"].items():
        assert list(ours["state"][i]) == list(state), f"state keys of parameter {i}"
        for key, value in state.items():
            mine = ours["state"][i][key]
            assert_value_equal(mine, value, tol, f"state[{i}][{key!r}]")


def assert_value_equal(mine, value, tol, what):
    if isinstance(value, torch.Tensor):
        assert isinstance(mine, npgrad.Tensor), f"{what} should be a Tensor, is {type(mine)}"
        assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], what
        want = value.detach().numpy()
        assert mine.detach().numpy().shape == want.shape, what
        atol = tol["rtol"] * max(1.0, float(np.abs(want).max(initial=0)))
        np.testing.assert_allclose(mine.detach().numpy(), want, rtol=tol["rtol"], atol=atol,
                                   err_msg=what)
    elif isinstance(value, list):
        assert isinstance(mine, list) and len(mine) == len(value), what
        for j, (m, v) in enumerate(zip(mine, value)):
            assert_value_equal(m, v, tol, f"{what}[{j}]")
    elif isinstance(value, float):
        assert mine == pytest.approx(value, rel=tol["rtol"] * 10, abs=tol["atol"]), what
    else:
        assert mine == value, what


def assert_params_equal(ours, theirs, tol, what=""):
    for i, (p, t) in enumerate(zip(ours, theirs)):
        assert p.detach().numpy().dtype == t.detach().numpy().dtype
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), **tol,
                                   err_msg=f"{what} parameter {i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", PARAMS, ids=[_ids(c) for c in PARAMS])
def test_matches_torch(case, dtype):
    name, kw = case
    ours, opt = run(npgrad, name, kw, dtype)
    theirs, topt = run(torch, name, kw, dtype)
    assert_params_equal(ours, theirs, TOL[dtype], f"{name}({kw})")
    assert_state_equal(opt, topt, TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name, dtype):
    """Save after 12 steps (through npgrad.save/load), load into a fresh optimizer over
    fresh parameters, go on 18 steps: the same as torch doing the same (which, like us,
    casts loaded state to the parameters' dtype), and as our uninterrupted run."""
    kw = CASES[name][-1]
    results = {}
    for lib in (npgrad, torch):
        params, opt = run(lib, name, kw, dtype, steps=12)
        buf = io.BytesIO()
        lib.save(opt.state_dict(), buf)
        buf.seek(0)
        saved = lib.load(buf)
        fresh = [lib.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
        opt2 = getattr(lib.optim, name)(fresh, **kw)
        opt2.load_state_dict(saved)
        run(lib, name, kw, dtype, steps=STEPS - 12, params=fresh, opt=opt2)
        results[lib] = (fresh, opt2)
    assert_params_equal(results[npgrad][0], results[torch][0], TOL[dtype], "resumed")
    assert_state_equal(results[npgrad][1], results[torch][1], TOL[dtype])
    straight, _ = run(npgrad, name, kw, dtype)
    # float32 scalars in the state (NAdam's mu_product, ASGD's eta) come back in the
    # parameters' dtype, as in torch: equal to rounding, not bit for bit
    assert_params_equal(results[npgrad][0], straight, dict(rtol=1e-5, atol=1e-6), "resumed")


@pytest.mark.parametrize("name", list(CASES))
def test_load_state_dict_from_torch(name):
    """torch's state_dict, tensors converted, loaded into ours: we continue as torch does
    after loading it into a fresh torch optimizer."""
    kw = CASES[name][-1]
    dtype = np.float64
    theirs, topt = run(torch, name, kw, dtype, steps=10)
    ours = [npgrad.tensor(t.detach().numpy().copy(), requires_grad=True) for t in theirs]
    opt = getattr(optim, name)(ours, **kw)
    opt.load_state_dict(to_npgrad(topt.state_dict()))
    saved = topt.state_dict()
    topt = getattr(torch.optim, name)(theirs, **kw)
    topt.load_state_dict(saved)
    run(npgrad, name, kw, dtype, steps=10, params=ours, opt=opt)
    run(torch, name, kw, dtype, steps=10, params=theirs, opt=topt)
    assert_params_equal(ours, theirs, TOL[dtype])
    assert_state_equal(opt, topt, TOL[dtype])


def test_param_groups_and_skipped_params():
    """Per-group options, and a parameter without a gradient keeps no state."""
    start, curv, shift = make_start(np.float64)
    for name, extra in [("NAdam", {"lr": 0.01}), ("Rprop", {"lr": 0.2}),
                        ("ASGD", {"t0": 4}), ("Adadelta", {"rho": 0.5})]:
        results = []
        for lib in (npgrad, torch):
            ps = [lib.tensor(a.copy(), requires_grad=True) for a in start]
            opt = getattr(lib.optim, name)([{"params": ps[:1]}, {"params": ps[1:], **extra}])
            for step in range(20):
                set_grads(lib, ps, curv, shift)
                if step < 8:
                    ps[2].grad = None
                opt.step()
                if step == 5:
                    assert len(opt.state) == 2
            results.append((ps, opt))
        assert_params_equal(results[0][0], results[1][0], TOL[np.float64], name)
        assert_state_equal(results[0][1], results[1][1], TOL[np.float64])


@pytest.mark.parametrize("name, kw, message", [
    ("Adadelta", dict(lr=-1), "Invalid learning rate: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("NAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("RAdam", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("Rprop", dict(etas=(1.1, 1.2)), "Invalid eta values: 1.1, 1.2"),
    ("LBFGS", dict(lr=-1), "Invalid learning rate: -1"),
])
def test_invalid_options_raise_as_torch(name, kw, message):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([npgrad.zeros(2, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value) == message


def test_defaults_match_torch():
    for name in list(CASES) + ["LBFGS"]:
        p = [npgrad.zeros(2, requires_grad=True)]
        tp = [torch.zeros(2, requires_grad=True)]
        assert getattr(optim, name)(p).defaults == getattr(torch.optim, name)(tp).defaults, name


# ---------------------------------------------------------------- LBFGS

def curve_data(dtype):
    rng = np.random.default_rng(3)
    x = np.linspace(-3, 3, 60).astype(dtype)
    y = (1.7 * np.sin(1.3 * x) + 0.4 + 0.05 * rng.standard_normal(60)).astype(dtype)
    return x, y


def fit_curve(lib, dtype, steps, **kw):
    """Fit a·sin(b·x) + c by LBFGS; returns (a, b, c), the losses and the optimizer."""
    x, y = curve_data(dtype)
    xs, ys = lib.tensor(x), lib.tensor(y)
    a, b, c = (lib.tensor(np.array(v, dtype), requires_grad=True) for v in (1.0, 1.0, 0.0))
    opt = lib.optim.LBFGS([a, b, c], **kw)

    def closure():
        opt.zero_grad()
        loss = ((a * (b * xs).sin() + c - ys) ** 2).mean()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return [v.item() for v in (a, b, c)], losses, opt


LBFGS_CASES = [
    dict(),
    dict(lr=0.5, max_iter=5),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.8, history_size=3, max_iter=7, line_search_fn="strong_wolfe"),
    dict(max_iter=4, max_eval=6, tolerance_change=1e-6),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_curve_fit_matches_torch(kw, dtype):
    ours, our_losses, opt = fit_curve(npgrad, dtype, 5, **kw)
    theirs, their_losses, topt = fit_curve(torch, dtype, 5, **kw)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ours, theirs, **tol)
    np.testing.assert_allclose(our_losses, their_losses, **tol)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    s, ts = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert s["func_evals"] == ts["func_evals"] and s["n_iter"] == ts["n_iter"]
    if dtype == np.float64:
        assert_state_equal(opt, topt, dict(rtol=1e-8, atol=1e-10))
    else:
        assert list(s) == list(ts)


def test_lbfgs_fits_the_curve():
    """A fit that works: the strong-Wolfe run finds the generating parameters."""
    (a, b, c), losses, _ = fit_curve(npgrad, np.float64, 5, line_search_fn="strong_wolfe")
    assert losses[-1] < 0.01 < losses[0]
    assert abs(abs(a) - 1.7) < 0.05 and abs(abs(b) - 1.3) < 0.05 and abs(c - 0.4) < 0.05


def test_lbfgs_state_dict_round_trip_and_from_torch():
    kw = dict(history_size=4, max_iter=6, line_search_fn="strong_wolfe")
    x, y = curve_data(np.float64)

    def setup(lib, values):
        xs, ys = lib.tensor(x), lib.tensor(y)
        params = [lib.tensor(np.array(v), requires_grad=True) for v in values]
        opt = lib.optim.LBFGS(params, **kw)

        def closure():
            opt.zero_grad()
            a, b, c = params
            loss = ((a * (b * xs).sin() + c - ys) ** 2).mean()
            loss.backward()
            return loss
        return params, opt, closure

    tp, topt, tclosure = setup(torch, (1.0, 1.0, 0.0))
    topt.step(tclosure)
    values = [p.item() for p in tp]
    # from torch's state_dict, and from our own saved one: both continue as torch does
    op, oopt, oclosure = setup(npgrad, values)
    oopt.load_state_dict(to_npgrad(topt.state_dict()))
    buf = io.BytesIO()
    npgrad.save(oopt.state_dict(), buf)
    buf.seek(0)
    rp, ropt, rclosure = setup(npgrad, values)
    ropt.load_state_dict(npgrad.load(buf))
    for _ in range(2):
        topt.step(tclosure)
        oopt.step(oclosure)
        ropt.step(rclosure)
    for params in (op, rp):
        np.testing.assert_allclose([p.item() for p in params], [p.item() for p in tp],
                                   rtol=1e-9, atol=1e-11)
    assert_state_equal(ropt, topt, dict(rtol=1e-8, atol=1e-10))


def test_lbfgs_errors():
    p = npgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [npgrad.zeros(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt = optim.LBFGS([p], line_search_fn="backtracking")

        def closure():
            loss = (p * p).sum() + p.sum()
            loss.backward()
            return loss
        opt.step(closure)


@pytest.mark.parametrize("name", list(CASES))
def test_updates_in_place_with_state_in_param_dtype(name):
    """The parameter's array survives the step (views stay valid), state arrays are
    float32 for float32 parameters and are updated, not replaced; p.grad is untouched."""
    p = npgrad.randn(3, 4, requires_grad=True)
    data = p._data
    opt = getattr(optim, name)([p], lr=0.1)
    p.grad = npgrad.ones(3, 4)
    opt.step()
    arrays = {k: v._data for k, v in opt.state[p].items()}
    before = data.copy()
    p.grad = npgrad.full((3, 4), 2.0)
    opt.step()
    assert p._data is data and not np.array_equal(data, before)
    for key, arr in arrays.items():
        assert opt.state[p][key]._data is arr, f"state {key!r} was replaced, not updated"
        if arr.ndim:
            assert arr.dtype == np.float32, f"state {key!r} is {arr.dtype}"
    assert np.array_equal(p.grad.numpy(), np.full((3, 4), 2.0, np.float32))


def test_closure_is_called_and_its_loss_returned():
    for name in CASES:
        p = npgrad.tensor([1.0, -2.0], requires_grad=True)
        opt = getattr(optim, name)([p])

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        assert opt.step(closure).item() == 5.0
        assert not np.array_equal(p.detach().numpy(), [1.0, -2.0]), name
