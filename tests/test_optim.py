"""npgrad.optim against torch.optim: the same start, the same gradients, the same parameters.

Every optimizer and option runs 30 steps on three parameters of different shapes. The
gradient is a function of the current parameters (a quadratic bowl plus a ripple), so any
difference would feed back and grow: the two runs stay together only if every step agrees.
The state (momentum buffers, running averages, step counts) is compared too.
"""
import warnings

import numpy as np
import pytest
import torch

import npgrad
from npgrad import optim

SHAPES = [(4, 3), (5,), (2, 3, 2)]
STEPS = 30
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}

CASES = {
    "SGD": [
        dict(lr=0.05),
        dict(lr=0.05, momentum=0.9),
        dict(lr=0.05, momentum=0.9, dampening=0.5),
        dict(lr=0.05, momentum=0.9, nesterov=True),
        dict(lr=0.05, weight_decay=0.1),
        dict(lr=0.05, maximize=True),
        dict(lr=0.05, momentum=0.8, weight_decay=0.1, maximize=True),
        dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True),
    ],
    "Adam": [
        dict(),
        dict(lr=0.05, betas=(0.8, 0.99)),
        dict(lr=0.05, eps=1e-3),
        dict(lr=0.05, weight_decay=0.1),
        dict(lr=0.05, amsgrad=True),
        dict(lr=0.05, maximize=True),
        dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True),
        dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    ],
    "AdamW": [
        dict(lr=0.05),
        dict(lr=0.05, weight_decay=0.3),
        dict(lr=0.05, amsgrad=True, betas=(0.5, 0.9)),
        dict(lr=0.05, maximize=True, weight_decay=0.1),
    ],
    "RMSprop": [
        dict(),
        dict(lr=0.01, alpha=0.9),
        dict(lr=0.01, eps=1e-4),
        dict(lr=0.01, momentum=0.9),
        dict(lr=0.01, centered=True),
        dict(lr=0.01, centered=True, momentum=0.5),
        dict(lr=0.01, weight_decay=0.1),
        dict(lr=0.01, maximize=True, momentum=0.3, centered=True, weight_decay=0.1),
    ],
    "Adagrad": [
        dict(),
        dict(lr=0.1, lr_decay=0.05),
        dict(lr=0.1, initial_accumulator_value=0.5),
        dict(lr=0.1, eps=1e-3),
        dict(lr=0.1, weight_decay=0.1),
        dict(lr=0.1, maximize=True, lr_decay=0.01, weight_decay=0.1),
    ],
}
PARAMS = [(name, kw) for name, kws in CASES.items() for kw in kws]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def make_start(dtype, seed=0):
    """Start values and the fixed coefficients of the loss, one triple per parameter."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    curv = [rng.uniform(0.2, 2.0, s).astype(dtype) for s in SHAPES]
    shift = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return start, curv, shift


def gradient(values, curv, shift):
    """d/dθ of Σ ½·c·θ² + s·θ + 0.1·sin(3θ), in θ's dtype."""
    return curv * values + shift + np.asarray(0.3, values.dtype) * np.cos(3 * values)


def run_pair(name, kw, dtype, steps=STEPS):
    """Run npgrad's and torch's optimizer side by side; return both parameter lists and
    both optimizers."""
    start, curv, shift = make_start(dtype)
    ours = [npgrad.tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = getattr(optim, name)(ours, **kw)
    topt = getattr(torch.optim, name)(theirs, **kw)
    for _ in range(steps):
        for p, t, c, s in zip(ours, theirs, curv, shift):
            p.grad = npgrad.tensor(gradient(p.detach().numpy(), c, s))
            t.grad = torch.tensor(gradient(t.detach().numpy(), c, s))
        opt.step()
        topt.step()
    return ours, theirs, opt, topt


def assert_state_equal(opt, topt, tol):
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for i, state in theirs["state"].items():
        assert ours["state"][i].keys() == state.keys(), f"state keys of parameter {i}"
        for key, value in state.items():
            mine = ours["state"][i][key]
            assert isinstance(mine, npgrad.Tensor), f"state[{i}][{key!r}] should be a Tensor"
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
            # State such as RMSprop's momentum buffer sums terms of size ~10 whose last
            # bits differ (torch's kernels fuse multiply-adds): compare at the scale of
            # the values, with the same relative precision.
            want = value.detach().numpy()
            atol = tol["rtol"] * max(1.0, float(np.abs(want).max(initial=0)))
            np.testing.assert_allclose(mine.detach().numpy(), want, rtol=tol["rtol"], atol=atol,
                                       err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", PARAMS, ids=[_ids(c) for c in PARAMS])
def test_matches_torch(case, dtype):
    name, kw = case
    ours, theirs, opt, topt = run_pair(name, kw, dtype)
    for i, (p, t) in enumerate(zip(ours, theirs)):
        assert p.detach().numpy().dtype == dtype, "the update must keep the parameter's dtype"
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), **TOL[dtype],
                                   err_msg=f"{name}({kw}) parameter {i}")
    assert_state_equal(opt, topt, TOL[dtype])


@pytest.mark.parametrize("name", list(CASES))
def test_updates_in_place_with_state_in_param_dtype(name):
    """The parameter's array object survives the step (views and flat buffers stay
    valid); the state arrays are float32 for float32 parameters and are reused."""
    p = npgrad.randn(3, 4, requires_grad=True)
    data = p._data
    opt = getattr(optim, name)([p], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    p.grad = npgrad.ones(3, 4)
    opt.step()
    arrays = {k: v._data for k, v in opt.state[p].items()}
    before = data.copy()
    opt.step()
    assert p._data is data and not np.array_equal(data, before)
    for key, arr in arrays.items():
        assert opt.state[p][key]._data is arr, f"state {key!r} was replaced, not updated"
        if key != "step":
            assert arr.dtype == np.float32, f"state {key!r} is {arr.dtype}"
    assert np.array_equal(p.grad.detach().numpy(), np.ones((3, 4), np.float32)), "grad must not change"


def test_gradients_from_autograd_match_torch():
    """A real loss through backward(): a tiny two-layer net, Adam, 25 steps."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((8, 2)).astype(np.float32)
    w1, b1 = rng.standard_normal((4, 5)).astype(np.float32), np.zeros(4, np.float32)
    w2 = rng.standard_normal((2, 4)).astype(np.float32)

    def train(lib):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in (w1, b1, w2)]
        opt = lib.optim.Adam(params, lr=0.01, weight_decay=0.01)
        xs, ys = lib.tensor(x), lib.tensor(y)
        for _ in range(25):
            opt.zero_grad()
            h = (xs @ params[0].T + params[1]).tanh()
            loss = ((h @ params[2].T - ys) ** 2).mean()
            loss.backward()
            opt.step()
        return [p.detach().numpy() for p in params]

    for ours, theirs in zip(train(npgrad), train(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_param_groups_with_own_options_and_skipped_params():
    """Per-group options, and a parameter without a gradient is left alone (no state)."""
    start, curv, shift = make_start(np.float32)
    ours = [npgrad.tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.01, "momentum": 0.5}]

    opt = optim.SGD(groups(ours), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(groups(theirs), lr=0.1, momentum=0.9)
    for step in range(25):
        for i, (p, t, c, s) in enumerate(zip(ours, theirs, curv, shift)):
            frozen = i == 2 and step < 10  # no gradient for the first 10 steps
            p.grad = None if frozen else npgrad.tensor(gradient(p.detach().numpy(), c, s))
            t.grad = None if frozen else torch.tensor(gradient(t.detach().numpy(), c, s))
        opt.step()
        topt.step()
        if step == 5:
            assert ours[2] not in opt.state
            np.testing.assert_array_equal(ours[2].detach().numpy(), start[2])
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert_state_equal(opt, topt, TOL[np.float32])


def test_lr_changed_between_steps_is_used():
    p, t = npgrad.tensor([1.0, -2.0], requires_grad=True), torch.tensor([1.0, -2.0], requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([t], lr=0.1)
    for step in range(25):
        for o in (opt, topt):
            o.param_groups[0]["lr"] = 0.1 / (1 + step)
            o.param_groups[0]["betas"] = (0.9 - 0.01 * step, 0.999)
        p.grad, t.grad = npgrad.tensor(p.detach().numpy() * 2), torch.tensor(t.detach().numpy() * 2)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-6)


def test_zero_grad():
    a = npgrad.ones(3, requires_grad=True)
    b = npgrad.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    (a * 2).sum().backward()
    (b * 3).sum().backward()
    grad_b = b.grad
    opt.zero_grad(set_to_none=False)
    assert b.grad is grad_b, "set_to_none=False zeroes in place"
    np.testing.assert_array_equal(a.grad.detach().numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # no gradients: nothing happens
    np.testing.assert_array_equal(a.detach().numpy(), np.ones(3, np.float32))


def test_step_with_closure_records_gradients_even_under_no_grad():
    for lib in (npgrad, torch):
        x = lib.tensor([3.0], requires_grad=True)
        opt = lib.optim.SGD([x], lr=0.25)
        calls = []

        def closure():
            opt.zero_grad()
            loss = (x ** 2).sum()
            loss.backward()
            calls.append(float(loss.detach()))
            return loss

        with lib.no_grad():
            loss = opt.step(closure)
        assert float(loss.detach()) == 9.0 and calls == [9.0]
        assert float(x.detach()[0]) == pytest.approx(1.5)


def test_add_param_group():
    a, b = npgrad.ones(2, requires_grad=True), npgrad.ones(3, requires_grad=True)
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    opt, topt = optim.Adam([a], lr=0.1), torch.optim.Adam([ta], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5, "amsgrad": True})
    topt.add_param_group({"params": tb, "lr": 0.5, "amsgrad": True})
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    for _ in range(3):
        for p, t in ((a, ta), (b, tb)):
            p.grad, t.grad = npgrad.ones(*p.shape), torch.ones(*t.shape)
        opt.step()
        topt.step()
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-6)
    assert set(opt.state[b]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_named_parameters_are_accepted():
    for lib in (npgrad, torch):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([("w", w)], lr=0.1)
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_repr_matches_torch():
    for name, kw in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}), ("AdamW", {}),
                     ("RMSprop", {}), ("Adagrad", {})]:
        ours = getattr(optim, name)([npgrad.ones(1, requires_grad=True)], **kw)
        theirs = getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kw)
        assert repr(ours) == repr(theirs)


def _error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - we compare the kind and the words
            return type(e), str(e)
    return None


BAD_ARGUMENTS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)), ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.001)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(lr=-3)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(lr=-1.0)), ("RMSprop", dict(alpha=-0.5)), ("RMSprop", dict(eps=-1.0)),
    ("RMSprop", dict(momentum=-1)), ("RMSprop", dict(weight_decay=-1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(eps=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kw", BAD_ARGUMENTS, ids=[_ids(c) for c in BAD_ARGUMENTS])
def test_bad_hyperparameters_raise_torchs_error(name, kw):
    ours = _error(lambda: getattr(optim, name)([npgrad.ones(1, requires_grad=True)], **kw))
    theirs = _error(lambda: getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kw))
    assert theirs is not None and theirs[0] is ValueError
    assert ours == theirs


def test_bad_param_lists_raise_torchs_error():
    cases = [
        lambda lib: lib.optim.SGD([], lr=0.1),
        lambda lib: lib.optim.SGD([{"params": {lib.ones(1, requires_grad=True)}}], lr=0.1),
        lambda lib: lib.optim.SGD(lib.ones(1, requires_grad=True), lr=0.1),
        lambda lib: lib.optim.SGD([lib.ones(1, requires_grad=True) * 2], lr=0.1),
        lambda lib: lib.optim.SGD([[1.0]], lr=0.1),
    ]
    for case in cases:
        ours, theirs = _error(lambda: case(npgrad)), _error(lambda: case(torch))
        assert ours is not None and theirs is not None
        assert ours[0] is theirs[0]
        assert ours[1].replace("npgrad.Tensor", "torch.FloatTensor") == theirs[1]

    def shared(lib):
        w = lib.ones(1, requires_grad=True)
        lib.optim.Adam([{"params": [w]}, {"params": [w], "lr": 0.1}])

    assert _error(lambda: shared(npgrad)) == _error(lambda: shared(torch)) == (
        ValueError, "some parameters appear in more than one parameter group")


def test_state_dict_round_trip_resumes_identically():
    """state_dict -> fresh optimizer -> load_state_dict: the run continues exactly as if
    uninterrupted; the loaded state is a copy (stepping one does not move the other)."""
    name, kw = "Adam", dict(lr=0.05, amsgrad=True)
    start, curv, shift = make_start(np.float32)

    def steps(params, opt, n):
        for _ in range(n):
            for p, c, s in zip(params, curv, shift):
                p.grad = npgrad.tensor(gradient(p.detach().numpy(), c, s))
            opt.step()

    full = [npgrad.tensor(a.copy(), requires_grad=True) for a in start]
    steps(full, optim.Adam(full, **kw), 20)

    first = [npgrad.tensor(a.copy(), requires_grad=True) for a in start]
    opt = optim.Adam(first, **kw)
    steps(first, opt, 10)
    saved = opt.state_dict()
    second = [npgrad.tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    opt2 = optim.Adam(second, lr=1.0)  # the loaded param_groups bring lr back to 0.05
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.05 and opt2.param_groups[0]["params"] == second
    exp_avg_before = saved["state"][0]["exp_avg"].detach().numpy().copy()
    steps(second, opt2, 10)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"].detach().numpy(), exp_avg_before)
    for p, q in zip(full, second):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_from_torch_layout_and_dtype_cast():
    """A torch optimizer's state_dict, converted tensor by tensor, loads and continues
    like torch; float state is cast to the parameter's dtype."""
    ours, theirs, opt, topt = run_pair("RMSprop", dict(lr=0.01, momentum=0.9, centered=True),
                                       np.float32, steps=5)
    tsd = topt.state_dict()
    converted = {"param_groups": tsd["param_groups"],
                 "state": {i: {k: npgrad.tensor(v.double().detach().numpy() if k != "step" else v.detach().numpy())
                               for k, v in s.items()} for i, s in tsd["state"].items()}}
    fresh = [npgrad.tensor(t.detach().numpy().copy(), requires_grad=True) for t in theirs]
    opt2 = optim.RMSprop(fresh)
    opt2.load_state_dict(converted)
    assert opt2.state[fresh[0]]["square_avg"].dtype == npgrad.float32
    start, curv, shift = make_start(np.float32)
    for _ in range(5):
        for p, t, c, s in zip(fresh, theirs, curv, shift):
            p.grad = npgrad.tensor(gradient(p.detach().numpy(), c, s))
            t.grad = torch.tensor(gradient(t.detach().numpy(), c, s))
        opt2.step()
        topt.step()
    for p, t in zip(fresh, theirs):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_mismatch_raises_torchs_error():
    def build(lib, n_groups, sizes):
        ps = [lib.ones(2, requires_grad=True) for _ in range(sum(sizes))]
        groups, i = [], 0
        for n in sizes[:n_groups]:
            groups.append({"params": ps[i:i + n]})
            i += n
        return lib.optim.SGD(groups, lr=0.1)

    for lib_sizes in [((1, 2), (2,)), ((1, 2), (2, 1))]:
        a_sizes, b_sizes = lib_sizes
        ours = _error(lambda: build(npgrad, len(a_sizes), a_sizes).load_state_dict(
            build(npgrad, len(b_sizes), b_sizes).state_dict()))
        theirs = _error(lambda: build(torch, len(a_sizes), a_sizes).load_state_dict(
            build(torch, len(b_sizes), b_sizes).state_dict()))
        assert ours == theirs and ours[0] is ValueError

    p = npgrad.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    bad = {"state": {0: {"step": npgrad.tensor(1.0), "exp_avg": npgrad.zeros(3),
                         "exp_avg_sq": npgrad.zeros(3)}},
           "param_groups": opt.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match=r"exp_avg.*shape \(3,\).*shape \(2,\)"):
        opt.load_state_dict(bad)


def test_differentiable_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([npgrad.ones(1, requires_grad=True)], differentiable=True)
