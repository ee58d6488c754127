"""npgrad.optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates
(and momenta, for OneCycleLR) over 100 steps, bit for bit."""
import math
import warnings

import numpy as np
import pytest
import torch

import npgrad

STEPS = 100


def make_optimizer(lib, kind="SGD", groups=1, lr=0.1):
    params = [lib.ones(2, requires_grad=True) for _ in range(groups)]
    if kind == "SGD":
        return lib.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)],
                             lr=lr, momentum=0.9)
    return getattr(lib.optim, kind)([{"params": [p], "lr": lr * (i + 1)}
                                     for i, p in enumerate(params)], lr=lr)


def trace(lib, make_scheduler, kind="SGD", groups=1, steps=STEPS):
    """Run ``steps`` optimizer+scheduler steps; record every group's lr and momentum."""
    opt = make_optimizer(lib, kind, groups)
    sched = make_scheduler(lib.optim.lr_scheduler, opt)
    record = [list(sched.get_last_lr())]
    for _ in range(steps):
        for group in opt.param_groups:
            for p in group["params"]:
                p.grad = lib.ones(2)
        opt.step()
        sched.step()
        lrs = sched.get_last_lr()
        assert lrs == [g["lr"] for g in opt.param_groups]
        momenta = [g.get("momentum", g.get("betas")) for g in opt.param_groups]
        record.append(list(lrs) + momenta)
    return record, opt, sched


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-default-gamma": lambda m, o: m.StepLR(o, 30),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=100),
    "CosineAnnealingLR-restarts": lambda m, o: m.CosineAnnealingLR(o, T_max=17, eta_min=0.001),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 0.97 ** epoch),
    "LambdaLR-warmup": lambda m, o: m.LambdaLR(o, lambda e: min(1.0, (e + 1) / 10)),
    "OneCycleLR-defaults": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
    "OneCycleLR-epochs": lambda m, o: m.OneCycleLR(o, max_lr=1.0, epochs=4, steps_per_epoch=25,
                                                   pct_start=0.25, div_factor=10.0),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, anneal_strategy="linear", three_phase=True,
        base_momentum=0.8, max_momentum=0.9, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, 0.2, total_steps=120,
                                                        cycle_momentum=False),
}


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_sequence_matches_torch(name, kind):
    ours, opt, _ = trace(npgrad, SCHEDULES[name], kind)
    theirs, topt, _ = trace(torch, SCHEDULES[name], kind)
    assert ours == theirs  # exact: the same float operations in the same order
    assert len({round(r[0], 12) for r in ours}) > 1 or name.startswith("StepLR-default")
    assert opt.param_groups[0].keys() == topt.param_groups[0].keys()


def test_per_group_values():
    """Two param groups with their own lrs; lists of lambdas / max_lrs / momenta."""
    makers = [
        lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)]),
        lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.05], total_steps=STEPS,
                                  base_momentum=[0.8, 0.85], max_momentum=(0.9, 0.99)),
        lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=0.01),
    ]
    for make in makers:
        assert trace(npgrad, make, groups=2)[0] == trace(torch, make, groups=2)[0]


def test_optimizer_uses_the_scheduled_lr():
    """The lr a scheduler sets is the one the next optimizer step uses."""
    def run(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.SGD([p], lr=1.0)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        for _ in range(6):
            p.grad = lib.ones(2)
            opt.step()
            sched.step()
        return p.detach().numpy()

    np.testing.assert_array_equal(run(npgrad), run(torch))
    np.testing.assert_array_equal(run(npgrad), [1.0 - 3.5, 2.0 - 3.5])


def plateau_metrics():
    """A metric that improves, stalls, wiggles inside the threshold and jumps, so every
    branch of ReduceLROnPlateau is taken."""
    rng = np.random.default_rng(3)
    values, v = [], 1.0
    for i in range(STEPS):
        if i % 25 < 8:
            v *= 0.9  # improving
        elif i % 25 < 16:
            v *= 1 + 1e-5 * rng.standard_normal()  # flat within the threshold
        else:
            v *= 1.02  # getting worse
        values.append(v)
    return values


PLATEAU = [
    dict(),
    dict(patience=2),
    dict(patience=3, factor=0.5, cooldown=4),
    dict(mode="max", patience=1, factor=0.7),
    dict(threshold=1e-3, threshold_mode="abs", patience=2),
    dict(mode="max", threshold=0.05, threshold_mode="abs", patience=0, cooldown=2),
    dict(patience=0, factor=0.5, min_lr=0.02),
    dict(patience=0, factor=0.99, eps=1e-3),
    dict(patience=1, min_lr=[0.001, 0.05]),
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kw):
    def run(lib):
        opt = make_optimizer(lib, groups=2)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        record = []
        for metric in plateau_metrics():
            opt.step()
            sched.step(metric)
            record.append((tuple(sched.get_last_lr()), sched.best, sched.num_bad_epochs,
                           sched.cooldown_counter, sched.last_epoch))
        return record

    ours, theirs = run(npgrad), run(torch)
    assert ours == theirs
    assert len({r[0] for r in ours}) > 1, "the schedule should cut the lr at least once"


def test_reduce_lr_on_plateau_accepts_a_tensor_metric():
    opt = make_optimizer(npgrad)
    sched = npgrad.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(npgrad.tensor(1.0))
    sched.step(npgrad.tensor(2.0))
    assert sched.get_last_lr() == [pytest.approx(0.01)]


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compare kind and words with torch
        return type(e), str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda m, o: m.OneCycleLR(o, max_lr=0.1),
    lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=0),
    lambda m, o: m.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=-1),
    lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5),
    lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10),
    lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.ReduceLROnPlateau(o, mode="maximum"),
    lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="relative"),
    lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
    lambda m, o: m.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]),
    lambda m, o: m.StepLR(o, step_size=3, last_epoch=5),
    lambda m, o: m.StepLR("not an optimizer", step_size=3),
])
def test_bad_arguments_raise_torchs_error(make):
    ours = _error(lambda: make(npgrad.optim.lr_scheduler, make_optimizer(npgrad)))
    theirs = _error(lambda: make(torch.optim.lr_scheduler, make_optimizer(torch)))
    assert theirs is not None
    assert ours[0] is theirs[0]
    if ours[0] is not KeyError:  # the KeyError message is ours (shorter advice)
        assert ours == theirs
    else:
        assert "initial_lr" in ours[1] and "param_groups[0]" in ours[1]


def test_one_cycle_refuses_stepping_past_the_end():
    for lib in (npgrad, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number "
                                             "of total steps is 3"):
            sched.step()


def test_warns_when_scheduler_steps_before_optimizer():
    for lib in (npgrad, torch):
        sched = lib.optim.lr_scheduler.StepLR(make_optimizer(lib), 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
    # the right order stays silent
    opt = make_optimizer(npgrad)
    sched = npgrad.optim.lr_scheduler.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_two_schedulers_chain_like_torch():
    def run(lib):
        opt = make_optimizer(lib)
        a = lib.optim.lr_scheduler.ExponentialLR(opt, 0.9)
        b = lib.optim.lr_scheduler.StepLR(opt, 5, 0.5)
        out = []
        for _ in range(30):
            opt.step()
            a.step()
            b.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    assert run(npgrad) == run(torch)


def test_resume_with_last_epoch_and_closed_form_step():
    def run(lib):
        opt = make_optimizer(lib)
        first = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        for _ in range(7):
            opt.step()
            first.step()
        # a new scheduler picking up at epoch 7 (initial_lr is in the groups already)
        again = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20, last_epoch=7)
        out = [opt.param_groups[0]["lr"]]
        for _ in range(10):
            opt.step()
            again.step()
            out.append(opt.param_groups[0]["lr"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # step(epoch) is deprecated in both
            for make in (lambda m: m.StepLR(opt, 3, 0.5), lambda m: m.MultiStepLR(opt, [2, 5]),
                         lambda m: m.ExponentialLR(opt, 0.8)):
                s = make(lib.optim.lr_scheduler)
                s.step(6)
                out.append(opt.param_groups[0]["lr"])
        return out

    assert run(npgrad) == run(torch)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR-restarts",
                                  "OneCycleLR-defaults", "LambdaLR"])
def test_state_dict_resumes_through_a_checkpoint(name, tmp_path):
    """Save the optimizer and scheduler halfway with npgrad.save, load them into fresh
    objects, finish the run: the same sequence as the uninterrupted run."""
    make = SCHEDULES[name]
    full, _, _ = trace(npgrad, make, "Adam")

    opt = make_optimizer(npgrad, "Adam")
    sched = make(npgrad.optim.lr_scheduler, opt)
    record = [list(sched.get_last_lr())]
    for i in range(STEPS):
        if i == 40:
            npgrad.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()},
                        tmp_path / "ckpt.safetensors")
            loaded = npgrad.load(tmp_path / "ckpt.safetensors")
            opt = make_optimizer(npgrad, "Adam")
            sched = make(npgrad.optim.lr_scheduler, opt)
            opt.load_state_dict(loaded["optimizer"])
            sched.load_state_dict(loaded["scheduler"])
        for p in opt.param_groups[0]["params"]:
            p.grad = npgrad.ones(2)
        opt.step()
        sched.step()
        record.append(list(sched.get_last_lr()) + [opt.param_groups[0]["betas"]])
    assert record == full


def test_reduce_lr_on_plateau_state_dict_round_trip(tmp_path):
    opt = make_optimizer(npgrad)
    sched = npgrad.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in (1.0, 0.5, 0.4):
        sched.step(m)
    npgrad.save(sched.state_dict(), tmp_path / "s.safetensors")
    other = npgrad.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(npgrad))
    other.load_state_dict(npgrad.load(tmp_path / "s.safetensors"))
    assert other.state_dict() == sched.state_dict()
    assert other.mode_worse == -math.inf and other._is_better(2.0, 1.5)
