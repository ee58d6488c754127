"""Sequential under no_grad straight through the arrays (npgrad/_fast/inference.py): the
same numbers as the ordinary path, bit for bit, and as torch; the ordinary path (and its
errors, hooks, dropout) wherever a layer is not one it knows."""
import importlib

import numpy as np
import pytest
import torch

import npgrad
from npgrad import _fast, nn
from npgrad._fast import compiled, inference

mlps = importlib.import_module("npgrad.models.mlp")  # (npgrad.models.mlp is also a function)


@pytest.fixture
def calls(monkeypatch):
    """How often the array path ran to the end."""
    seen = []
    real = inference.run

    def counted(modules, x):
        out = real(modules, x)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(inference, "run", counted)
    return seen


def _outputs(model, x, mode):
    with _fast.using(mode):
        with npgrad.no_grad():
            fast = model(x)
        slow = model(x)  # recording: the ordinary path
    return fast, slow


@pytest.mark.parametrize("factory", [mlps.mlp, mlps.mlp_50, mlps.mlp_dropout])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 28, 28), (5, 784), (3, 1, 28, 28)])
def test_inference_equals_the_graph_path_bit_for_bit_and_torch(factory, dtype, shape, calls):
    npgrad.manual_seed(0)
    model = factory().to(npgrad.float64 if dtype == np.float64 else npgrad.float32).eval()
    tmodel = factory(torch.nn).eval().to(torch.float64 if dtype == np.float64 else torch.float32)
    tmodel.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                            for k, v in model.state_dict().items()})
    data = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    x = npgrad.from_numpy(data.copy())
    for mode in ("numpy", "compiled") if compiled.available() else ("numpy",):
        calls.clear()
        fast, slow = _outputs(model, x, mode)
        assert calls == [True, False] or calls == [True]  # used under no_grad only
        assert not fast.requires_grad and slow.requires_grad
        np.testing.assert_array_equal(fast.numpy(), slow.detach().numpy())
    np.testing.assert_array_equal(x.numpy(), data)  # the input is left alone
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(data)).numpy()
    np.testing.assert_allclose(fast.numpy(), expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-12)


def test_relu_right_after_flatten_does_not_write_into_the_input(calls):
    data = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    x = npgrad.from_numpy(data.copy())
    with _fast.using("numpy"), npgrad.no_grad():
        out = nn.Sequential(nn.Flatten(), nn.ReLU())(x)
    assert calls == [True]
    np.testing.assert_array_equal(x.numpy(), data)
    np.testing.assert_array_equal(out.numpy(), np.maximum(data.reshape(2, 12), 0))


def test_the_reference_path_does_not_use_it(calls):
    with _fast.using("reference"), npgrad.no_grad():
        nn.Sequential(nn.Linear(3, 2))(npgrad.ones(1, 3))
    assert calls == []


def test_anything_else_takes_the_ordinary_path(calls):
    x = npgrad.ones(2, 4)
    seen = []
    with _fast.using("numpy"), npgrad.no_grad():
        hooked = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        hooked[1].register_forward_hook(lambda m, i, o: seen.append(o.shape))
        hooked(x)
        assert seen == [(2, 3)]
        nn.Sequential(nn.Linear(4, 3), nn.Tanh())(x)
        nn.Sequential(nn.Linear(4, 3), nn.ReLU(inplace=True))(x)
        npgrad.manual_seed(0)
        dropped = nn.Sequential(nn.Dropout(0.5))(x)  # training mode: it drops, under no_grad too
        assert set(np.unique(dropped.numpy())) <= {0.0, 2.0} and (dropped.numpy() == 0).any()
        nn.Sequential(nn.Linear(4, 3))(x)
    assert calls == [False, False, False, False, True]


def test_errors_are_the_ordinary_ones():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with npgrad.no_grad():
        for x in (npgrad.ones(2, 5), npgrad.ones(2, 4, dtype=npgrad.float64), npgrad.tensor(1.0)):
            with pytest.raises(RuntimeError) as fast:
                model(x)
            with npgrad.enable_grad(), pytest.raises(RuntimeError) as slow:
                model(x)
            assert str(fast.value) == str(slow.value)


@pytest.mark.parametrize("layers, shape", [
    (lambda: [nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Flatten(0)], (2, 4)),
    (lambda: [nn.Flatten(1, 2), nn.Linear(6, 5), nn.Dropout(0.0)], (2, 3, 4, 6)),
    (lambda: [nn.Linear(6, 2), nn.Flatten(-2, -1)], (2, 3, 6)),  # a 3-d Linear, then flatten
    (lambda: [], (3, 2)),
])
def test_other_shapes_and_options_equal_the_graph_path(layers, shape, calls):
    npgrad.manual_seed(0)
    model = nn.Sequential(*layers())
    x = npgrad.tensor(np.random.default_rng(3).standard_normal(shape))
    fast, slow = _outputs(model.double(), x, "numpy")
    assert calls[0] is True
    assert fast.shape == slow.shape
    np.testing.assert_array_equal(fast.numpy(), slow.detach().numpy())
