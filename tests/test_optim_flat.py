"""Adam's flat path (npgrad/_fast/flat.py): the whole group's state in one buffer per kind,
updated by chunks on worker threads. It must give exactly the per-parameter path's numbers
(and so PyTorch's), and fall back to that path whenever the packing no longer holds."""
import numpy as np
import pytest
import torch

import npgrad
import npgrad._fast.flat as flat_module
from npgrad import optim
from npgrad._fast import threads as parallel


@pytest.fixture(autouse=True)
def _numpy_flat_path():
    """This file tests the NumPy flat path itself, whatever NPGRAD_KERNELS says."""
    with npgrad._fast.using("numpy"):
        yield

SHAPES = [(7, 5), (5,), (3, 2, 4), (1,)]
OPTIONS = [
    {},
    {"amsgrad": True, "maximize": True},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "maximize": True, "amsgrad": True},
    {"weight_decay": 0.1, "decoupled_weight_decay": True},
]


def _params(lib, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in SHAPES]


def _loss(lib, params, i):
    # the gradient depends on the parameters, so a wrong step would feed back and grow
    return sum((lib.sin(p * (i + 1)) * p).sum() + (p * p).sum() * 0.1 for p in params)


def _train(lib, params, opt, steps, skip=None, start=0):
    for i in range(start, start + steps):
        opt.zero_grad()
        used = [p for j, p in enumerate(params) if skip is None or skip(i, j)]
        _loss(lib, used, i).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params]


def _per_parameter(monkeypatch):
    monkeypatch.setattr(optim.Adam, "_step_group", lambda self, group: False)


@pytest.mark.parametrize("options", OPTIONS)
def test_flat_equals_per_parameter_bit_for_bit_and_torch(monkeypatch, options):
    flat_params = _params(npgrad)
    flat = _train(npgrad, flat_params, optim.Adam(flat_params, lr=0.05, **options), 12)
    torch_params = _params(torch)
    expected = _train(torch, torch_params, torch.optim.Adam(torch_params, lr=0.05, **options), 12)
    with monkeypatch.context() as m:
        _per_parameter(m)
        slow_params = _params(npgrad)
        slow = _train(npgrad, slow_params, optim.Adam(slow_params, lr=0.05, **options), 12)
    for f, s, e in zip(flat, slow, expected):
        np.testing.assert_array_equal(f, s)
        np.testing.assert_allclose(f, e, rtol=1e-5, atol=1e-6)


def test_the_flat_path_is_taken_and_state_tensors_are_views_of_its_buffers():
    params = _params(npgrad)
    opt = optim.Adam(params)
    _train(npgrad, params, opt, 2)
    (flat,) = [f for f in opt._flat_groups.values() if f is not None]
    for p, (a, b) in zip(params, zip(flat.offsets, flat.offsets[1:])):
        state = opt.state[p]
        assert state["exp_avg"].shape == p.shape and state["exp_avg_sq"].shape == p.shape
        assert np.shares_memory(state["exp_avg"]._data, flat.buffers["exp_avg"][a:b])
        assert float(state["step"]) == 2.0


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_chunks_on_worker_threads_give_the_same_numbers(monkeypatch, workers):
    """Small chunks cut across parameters (7x5 = 35 elements, chunks of 8), dealt to
    1-3 threads: every result the same as one chunk on one thread."""
    options = {"amsgrad": True, "weight_decay": 0.05}
    params = _params(npgrad)
    whole = _train(npgrad, params, optim.Adam(params, lr=0.05, **options), 8)
    monkeypatch.setattr(flat_module, "CHUNK", 8)
    monkeypatch.setattr(parallel, "worker_count", lambda: workers)
    params = _params(npgrad)
    chunked = _train(npgrad, params, optim.Adam(params, lr=0.05, **options), 8)
    for a, b in zip(chunked, whole):
        np.testing.assert_array_equal(a, b)


def test_a_parameter_without_gradient_falls_back_and_steps_stay_torchs():
    """Parameter 1 gets no gradient on odd steps: its step count then differs from the
    others', so those steps go parameter by parameter, as PyTorch skips it."""
    skip = lambda i, j: not (j == 1 and i % 2)  # noqa: E731
    ours, theirs = _params(npgrad), _params(torch)
    got = _train(npgrad, ours, optim.Adam(ours, lr=0.05), 10, skip)
    want = _train(torch, theirs, torch.optim.Adam(theirs, lr=0.05), 10, skip)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_load_state_dict_and_swapped_parameter_arrays_repack():
    ours, theirs = _params(npgrad), _params(torch)
    opt, topt = optim.Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    _train(npgrad, ours, opt, 3)
    _train(torch, theirs, topt, 3)
    # a fresh optimizer, loaded from the first one's state: its state tensors are copies
    opt2 = optim.Adam(ours, lr=1.0)
    opt2.load_state_dict(opt.state_dict())
    _train(npgrad, ours, opt2, 3, start=3)
    _train(torch, theirs, topt, 3, start=3)
    # a parameter's array swapped behind the optimizer's back (p.data = ...)
    with npgrad.no_grad():
        ours[0].data = ours[0].detach().clone()
    with torch.no_grad():
        theirs[0].data = theirs[0].detach().clone()
    got = _train(npgrad, ours, opt2, 3, start=6)
    want = _train(torch, theirs, topt, 3, start=6)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for p, tp in zip(ours, theirs):
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(opt2.state[p][key].numpy(), topt.state[tp][key].numpy(),
                                       rtol=1e-5, atol=1e-6)


def test_a_parameter_sharing_a_users_array_keeps_sharing_it():
    """Parameters are never moved into the flat buffer: from_numpy's array is updated."""
    w = np.ones((4, 3), dtype=np.float32)
    p = npgrad.nn.Parameter(npgrad.from_numpy(w))
    b = npgrad.nn.Parameter(npgrad.zeros(3))
    opt = optim.Adam([p, b], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ((p + b) ** 2).sum().backward()
        opt.step()
    np.testing.assert_array_equal(w, p.detach().numpy())
    assert not np.all(w == 1)


def test_reloading_state_keeps_one_flat_pack_per_group():
    """load_state_dict makes new param groups; the old groups' flat buffers are let go."""
    params = _params(npgrad)
    opt = optim.Adam(params, lr=0.05)
    for i in range(4):
        _train(npgrad, params, opt, 2, start=2 * i)
        opt.load_state_dict(opt.state_dict())
    _train(npgrad, params, opt, 1, start=8)
    assert len(opt._flat_groups) == 1
    assert list(opt._flat_groups) == [id(opt.param_groups[0])]
