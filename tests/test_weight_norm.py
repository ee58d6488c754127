"""Weight normalization, both spellings, against PyTorch with the same weights:
``nn.utils.weight_norm`` (hook-based: ``weight_g``/``weight_v``) and
``nn.utils.parametrizations.weight_norm`` (``parametrizations.weight.original0/1``), and the
``nn.utils.parametrize`` machinery under the second."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
from npgrad import nn
from npgrad.nn.utils import parametrize, parametrizations

# the old spelling's deprecation warning (torch's and ours): checked once, at the end
pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")


def _layers(kind, dtype):
    torch.manual_seed(0)
    theirs = {
        "linear": lambda: torch.nn.Linear(5, 4),
        "conv2d": lambda: torch.nn.Conv2d(3, 4, 3),
        "conv1d": lambda: torch.nn.Conv1d(2, 3, 2),
    }[kind]().to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = {
        "linear": lambda: nn.Linear(5, 4),
        "conv2d": lambda: nn.Conv2d(3, 4, 3),
        "conv1d": lambda: nn.Conv1d(2, 3, 2),
    }[kind]().to(npgrad.float64 if dtype == np.float64 else npgrad.float32)
    ours.load_state_dict({k: npgrad.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal(
        {"linear": (2, 5), "conv2d": (2, 3, 5, 5), "conv1d": (2, 2, 6)}[kind]).astype(dtype)
    return ours, theirs, x


def _check_same_module(ours, theirs, x):
    """Same state_dict (keys in order, values), same output, same gradients."""
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert_same(sd[k], tsd[k], k)
    out, tout = ours(npgrad.tensor(x)), theirs(torch.tensor(x))
    assert_same(out, tout, "output")
    w = np.random.default_rng(2).standard_normal(tuple(tout.shape)).astype(x.dtype)
    (out * npgrad.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    params, tparams = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(params) == list(tparams)
    for k in params:
        assert_same(params[k].grad, tparams[k].grad, f"gradient of {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["linear", "conv2d", "conv1d"])
@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
@pytest.mark.parametrize("spelling", ["hooks", "parametrizations"])
def test_weight_norm_matches_torch(spelling, dim, kind, dtype):
    ours, theirs, x = _layers(kind, dtype)
    if spelling == "hooks":
        nn.utils.weight_norm(ours, dim=dim)
        torch.nn.utils.weight_norm(theirs, dim=dim)
    else:
        parametrizations.weight_norm(ours, dim=dim)
        torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert type(ours).__name__ == type(theirs).__name__
    assert_same(ours.weight, theirs.weight, "weight")
    _check_same_module(ours, theirs, x)


def test_state_dict_keys_as_torch():
    m = nn.utils.weight_norm(nn.Linear(3, 2))
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tuple(m.weight_g.shape) == (2, 1) and tuple(m.weight_v.shape) == (2, 3)
    assert "weight" not in dict(m.named_parameters())
    p = parametrizations.weight_norm(nn.Linear(3, 2))
    assert list(p.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    assert isinstance(p.parametrizations.weight.original0, nn.Parameter)
    assert parametrize.is_parametrized(p) and parametrize.is_parametrized(p, "weight")
    assert not parametrize.is_parametrized(p, "bias")
    assert parametrize.type_before_parametrizations(p) is nn.Linear
    assert isinstance(p, nn.Linear)
    t = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    assert repr(p) == repr(t)


def test_hook_weight_norm_trains_like_torch():
    """An optimizer on g and v: three SGD steps, weights and outputs as torch's."""
    ours, theirs, x = _layers("linear", np.float64)
    nn.utils.weight_norm(ours)
    torch.nn.utils.weight_norm(theirs)
    opt = npgrad.optim.SGD(ours.parameters(), lr=0.1)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (ours(npgrad.tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
        opt.step()
        topt.step()
    _check_same_module(ours, theirs, x)


def test_parametrized_weight_trains_like_torch():
    ours, theirs, x = _layers("conv2d", np.float64)
    parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    opt = npgrad.optim.Adam(ours.parameters(), lr=0.01)
    topt = torch.optim.Adam(theirs.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        ours(npgrad.tensor(x)).square().mean().backward()
        theirs(torch.tensor(x)).square().mean().backward()
        opt.step()
        topt.step()
    _check_same_module(ours, theirs, x)


def test_remove_weight_norm():
    ours, theirs, x = _layers("linear", np.float64)
    nn.utils.weight_norm(ours, dim=None)
    torch.nn.utils.weight_norm(theirs, dim=None)
    with torch.no_grad():
        theirs.weight_g.mul_(2.0)
    with npgrad.no_grad():
        ours.weight_g.mul_(2.0)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert isinstance(ours.weight, nn.Parameter)
    assert not ours._forward_pre_hooks
    _check_same_module(ours, theirs, x)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(ours)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    ours, theirs, x = _layers("linear", np.float64)
    parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    with torch.no_grad():
        theirs.parametrizations.weight.original0.mul_(3.0)
    with npgrad.no_grad():
        ours.parametrizations.weight.original0.mul_(3.0)
    if not leave:  # a weight split in two tensors cannot go back to the original
        with pytest.raises(ValueError, match="leave_parametrized=False"):
            parametrize.remove_parametrizations(ours, "weight", leave_parametrized=False)
        with pytest.raises(ValueError):
            torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight",
                                                               leave_parametrized=False)
        return
    parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is nn.Linear
    assert isinstance(ours.weight, nn.Parameter)
    _check_same_module(ours, theirs, x)


def test_assigning_the_weight_goes_through_right_inverse():
    ours, theirs, x = _layers("linear", np.float64)
    parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    w = np.random.default_rng(5).standard_normal((4, 5))
    ours.weight = npgrad.tensor(w)
    theirs.weight = torch.tensor(w)
    assert_same(ours.weight, theirs.weight)
    _check_same_module(ours, theirs, x)


def test_load_state_dict_into_a_parametrized_module():
    _, theirs, x = _layers("linear", np.float64)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    ours = parametrizations.weight_norm(nn.Linear(5, 4).double())
    ours.load_state_dict({k: npgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    _check_same_module(ours, theirs, x)


class _Symmetric:
    """A custom parametrization (PyTorch's tutorial one), as a Module of either library."""

    @staticmethod
    def make(L):
        class Symmetric(L.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

        return Symmetric()


def test_custom_parametrization_and_cached():
    torch.manual_seed(3)
    theirs = torch.nn.Linear(3, 3).double()
    ours = nn.Linear(3, 3).double()
    ours.load_state_dict({k: npgrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    parametrize.register_parametrization(ours, "weight", _Symmetric.make(npgrad))
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight",
                                                        _Symmetric.make(torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.detach().numpy(), ours.weight.detach().numpy().T)
    x = np.random.default_rng(4).standard_normal((2, 3))
    with parametrize.cached():
        assert ours.weight is ours.weight  # computed once inside the block
    assert ours.weight is not ours.weight  # and on every read outside it
    _check_same_module(ours, theirs, x)


def test_errors_as_torch():
    m = nn.utils.weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        nn.utils.weight_norm(m)
    with pytest.raises(ValueError, match="with name 'foo'"):
        parametrizations.weight_norm(nn.Linear(3, 2), name="foo")
    with pytest.raises(ValueError):
        torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2), name="foo")
    with pytest.raises(AttributeError):
        nn.utils.weight_norm(nn.Linear(3, 2), name="foo")
    with pytest.raises(AttributeError):
        torch.nn.utils.weight_norm(torch.nn.Linear(3, 2), name="foo")
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.utils.weight_norm(nn.Linear(3, 2), dim=2)
    with pytest.raises(IndexError):
        torch.nn.utils.weight_norm(torch.nn.Linear(3, 2), dim=2)


def test_the_old_spelling_warns_as_torch():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        nn.utils.weight_norm(nn.Linear(2, 2))


def test_deepcopy_and_pickle_as_torch():
    import copy
    import pickle

    m = parametrizations.weight_norm(nn.Linear(3, 2))
    c = copy.deepcopy(m)
    assert type(c) is type(m)
    x = npgrad.ones(1, 3)
    assert_same(c(x), torch.tensor(m(x).detach().numpy()))
    with npgrad.no_grad():
        c.parametrizations.weight.original0.mul_(2.0)  # the copy's own parameters
    assert not np.allclose(c.weight.detach().numpy(), m.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2)))


def test_the_new_spelling_loads_a_checkpoint_of_the_old():
    """PyTorch's compatibility: weight_g/weight_v load into original0/original1."""
    _, theirs, x = _layers("conv2d", np.float64)
    torch.nn.utils.weight_norm(theirs)
    old = {f"block.{k}": npgrad.tensor(v.detach().numpy())
           for k, v in theirs.state_dict().items()}
    assert "block.weight_g" in old
    ours = nn.Sequential()
    ours.add_module("block", parametrizations.weight_norm(nn.Conv2d(3, 4, 3).double()))
    ours.load_state_dict(old)
    tout = theirs(torch.tensor(x))
    assert_same(ours.block(npgrad.tensor(x)), tout)
    assert_same(ours.block.parametrizations.weight.original0, theirs.weight_g)
