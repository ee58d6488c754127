"""LinearLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR,
SequentialLR, ChainedScheduler and MultiplicativeLR against torch.optim.lr_scheduler:
the same learning rates (and momenta, for CyclicLR) over 100 steps, bit for bit, and
state_dicts that round-trip."""
import io
import warnings

import pytest
import torch

import npgrad

STEPS = 100


def make_optimizer(lib, kind="SGD", groups=2, lr=0.1):
    params = [lib.ones(2, requires_grad=True) for _ in range(groups)]
    group_list = [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)]
    if kind == "SGD":
        return lib.optim.SGD(group_list, lr=lr, momentum=0.9)
    return getattr(lib.optim, kind)(group_list, lr=lr)


def run_steps(lib, opt, sched, steps, record):
    for _ in range(steps):
        for group in opt.param_groups:
            for p in group["params"]:
                p.grad = lib.ones(2)
        opt.step()
        sched.step()
        lrs = sched.get_last_lr()
        assert list(lrs) == [g["lr"] for g in opt.param_groups]
        momenta = [g.get("momentum", g.get("betas")) for g in opt.param_groups]
        record.append(list(lrs) + momenta)


def trace(lib, make, kind="SGD", steps=STEPS):
    opt = make_optimizer(lib, kind)
    sched = make(lib.optim.lr_scheduler, opt)
    record = [list(sched.get_last_lr())]
    run_steps(lib, opt, sched, steps, record)
    return record, opt, sched


def sequential(m, o):
    return m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
                              m.CosineAnnealingLR(o, T_max=40, eta_min=1e-3),
                              m.ExponentialLR(o, gamma=0.97)], milestones=[10, 50])


def chained(m, o):
    return m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=7),
                               m.ExponentialLR(o, gamma=0.98),
                               m.MultiStepLR(o, milestones=[30, 60], gamma=0.5)])


class Halving:
    """A callable object: its attributes go into the state_dict (a lambda's cannot)."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 if epoch % self.every == 0 else 1.0


SCHEDULES = {
    "LinearLR": lambda m, o: m.LinearLR(o),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.05,
                                              total_iters=60),
    "LinearLR-warmup": lambda m, o: m.LinearLR(o, start_factor=0.01, total_iters=25),
    "ConstantLR": lambda m, o: m.ConstantLR(o),
    "ConstantLR-long": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=40),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=80, power=2.0),
    "PolynomialLR-linear": lambda m, o: m.PolynomialLR(o, total_iters=30),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.001),
    "CyclicLR-triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                   step_size_up=10),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.2,
                                                    step_size_up=7, step_size_down=13,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.001, 0.1, step_size_up=15,
                                                  mode="exp_range", gamma=0.99,
                                                  base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                 scale_fn=lambda x: 0.97 ** x,
                                                 scale_mode="iterations",
                                                 cycle_momentum=False),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.97),
    "MultiplicativeLR-per-group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.99, Halving(10)]),
    "SequentialLR": sequential,
    "SequentialLR-warmup-cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=5),
            m.CosineAnnealingLR(o, T_max=95)], milestones=[5]),
    "ChainedScheduler": chained,
    "SequentialLR-restarts-first": lambda m, o: m.SequentialLR(
        o, [m.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2),
            m.PolynomialLR(o, total_iters=30, power=0.5),
            m.MultiplicativeLR(o, lambda e: 0.99)], milestones=[20, 60]),
    "ChainedScheduler-cyclic": lambda m, o: m.ChainedScheduler(
        [m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="triangular2"),
         m.ExponentialLR(o, 0.99)]),
    "ChainedScheduler-restarts": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o), m.CosineAnnealingWarmRestarts(o, 9)], optimizer=o),
}


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_sequence_matches_torch(name, kind):
    ours, opt, _ = trace(npgrad, SCHEDULES[name], kind)
    theirs, topt, _ = trace(torch, SCHEDULES[name], kind)
    assert ours == theirs  # exact: the same float operations in the same order
    assert len({round(r[0], 12) for r in ours}) > 1
    assert opt.param_groups[0].keys() == topt.param_groups[0].keys()


def test_cyclic_momentum_with_sgd_and_adam():
    """cycle_momentum moves SGD's momentum and Adam's beta1 against the lr."""
    for kind in ("SGD", "Adam"):
        ours, _, _ = trace(npgrad, SCHEDULES["CyclicLR-exp_range"], kind, steps=40)
        theirs, _, _ = trace(torch, SCHEDULES["CyclicLR-exp_range"], kind, steps=40)
        assert ours == theirs
        assert len({str(r[2]) for r in ours[1:]}) > 10  # the momentum did move


def test_cyclic_momentum_needs_momentum():
    for lib in (npgrad, torch):
        opt = lib.optim.Adagrad([lib.ones(2, requires_grad=True)])
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)


def warm_restarts_fractional(lib, epochs=12, batches=7, T_mult=2):
    opt = make_optimizer(lib)
    sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult,
                                                               eta_min=0.002)
    out = []
    for epoch in range(epochs):
        for i in range(batches):
            opt.step()
            sched.step(epoch + i / batches)
            out.append(list(sched.get_last_lr()) + [sched.T_cur, sched.T_i, sched.last_epoch])
    return out


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs(T_mult):
    ours = warm_restarts_fractional(npgrad, T_mult=T_mult)
    theirs = warm_restarts_fractional(torch, T_mult=T_mult)
    assert ours == theirs


def test_warm_restarts_jump_to_epoch_and_errors():
    outs = []
    for lib in (npgrad, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)
        seq = []
        for epoch in [3, 17, 0.5, 40.25, 2]:
            sched.step(epoch)
            seq.append(sched.get_last_lr())
        with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
            sched.step(-1)
        outs.append(seq)
    assert outs[0] == outs[1]
    for lib in (npgrad, torch):
        opt = make_optimizer(lib)
        m = lib.optim.lr_scheduler
        with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
            m.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 1.5"):
            m.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)


@pytest.mark.parametrize("make, message", [
    (lambda m, o: m.LinearLR(o, start_factor=0), "Starting multiplicative factor expected"),
    (lambda m, o: m.LinearLR(o, end_factor=1.5), "Ending multiplicative factor expected"),
    (lambda m, o: m.ConstantLR(o, factor=2), "Constant multiplicative factor expected"),
    (lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), "mode is invalid"),
    (lambda m, o: m.CyclicLR(o, [0.1], 1.0), "base_lr must have the same length"),
    (lambda m, o: m.SequentialLR(o, [m.LinearLR(o)], milestones=[3]),
     "Sequential Schedulers expects number of schedulers"),
    (lambda m, o: m.SequentialLR(o, [], milestones=[]), "expects at least one scheduler"),
    (lambda m, o: m.ChainedScheduler([]), "expects at least one scheduler to be chained"),
    (lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o)], milestones=[]),
     "does not support `ReduceLROnPlateau`"),
])
def test_invalid_arguments_raise_as_torch(make, message):
    for lib in (npgrad, torch):
        with pytest.raises(ValueError, match=message):
            make(lib.optim.lr_scheduler, make_optimizer(lib))


def test_schedulers_of_another_optimizer_are_refused():
    for lib in (npgrad, torch):
        m = lib.optim.lr_scheduler
        a, b = make_optimizer(lib), make_optimizer(lib)
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
            m.SequentialLR(a, [m.LinearLR(a), m.LinearLR(b)], milestones=[3])
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
            m.ChainedScheduler([m.LinearLR(a), m.LinearLR(b)])
        with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
            m.MultiplicativeLR(a, 3)


def test_epoch_argument_uses_closed_forms():
    """step(epoch) (deprecated) jumps by the closed forms, as in torch."""
    makers = [SCHEDULES[n] for n in ("LinearLR-warmup", "ConstantLR-long", "PolynomialLR")]
    for make in makers:
        outs = []
        for lib in (npgrad, torch):
            opt = make_optimizer(lib)
            sched = make(lib.optim.lr_scheduler, opt)
            seq = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for epoch in [3, 10, 2, 50, 90, 7]:
                    opt.step()
                    sched.step(epoch)
                    seq.append(sched.get_last_lr())
            outs.append(seq)
        assert outs[0] == outs[1]


def _plain(state):
    """A scheduler state_dict without the entries that hold functions."""
    return {k: v for k, v in state.items() if not callable(v)}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_round_trip(name):
    """Save optimizer and scheduler after 40 steps (through npgrad.save/load), load them
    into fresh ones, go on: the same lrs as the uninterrupted run and as torch."""
    make = SCHEDULES[name]
    straight, _, _ = trace(npgrad, make)
    theirs, _, _ = trace(torch, make)

    record, opt, sched = trace(npgrad, make, steps=40)
    state = sched.state_dict()
    buf = io.BytesIO()
    npgrad.save({"opt": opt.state_dict(), "sched": state}, buf)
    buf.seek(0)
    saved = npgrad.load(buf)
    opt2 = make_optimizer(npgrad)  # resuming: build both, then load both
    sched2 = make(npgrad.optim.lr_scheduler, opt2)
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    assert sched2.get_last_lr() == sched.get_last_lr()
    run_steps(npgrad, opt2, sched2, STEPS - 40, record)
    assert record == straight == theirs

    # the saved entries are torch's
    _, _, tsched = trace(torch, make, steps=40)
    tstate = tsched.state_dict()
    assert set(state) == set(tstate)
    for key in ("last_epoch", "base_lrs", "_last_lr", "_step_count", "T_cur", "T_i",
                "total_size", "_milestones"):
        if key in tstate:
            assert state[key] == tstate[key], key
