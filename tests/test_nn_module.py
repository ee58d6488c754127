"""nn.Module against torch.nn.Module: registration, traversal, state_dict, hooks, repr.

The same architecture is built in both libraries; names, order, keys, error messages and
printed structure must agree (with "torch" read as "npgrad").
"""
import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn as nn


def build(lib, kind):
    """The same architecture in torch (lib=torch.nn) or npgrad (lib=npgrad.nn)."""
    if kind == "mlp":
        return lib.Sequential(lib.Linear(6, 5), lib.ReLU(), lib.Linear(5, 3))
    if kind == "nested":
        return lib.Sequential(
            OrderedDict(
                [
                    ("features", lib.Sequential(lib.Flatten(), lib.Linear(6, 4), lib.Tanh())),
                    ("head", lib.Sequential(lib.Linear(4, 4), lib.Sequential(lib.ReLU(), lib.Linear(4, 2)))),
                ]
            )
        )
    if kind == "batchnorm":
        return lib.Sequential(
            lib.Linear(6, 8), lib.BatchNorm1d(8), lib.ReLU(), lib.Dropout(0.1),
            lib.Linear(8, 3), lib.LayerNorm(3), lib.Embedding(5, 3, padding_idx=0)
        )
    if kind == "everything":
        return lib.Sequential(
            lib.Linear(6, 8, bias=False), lib.LeakyReLU(0.2), lib.ELU(), lib.GELU(),
            lib.GELU(approximate="tanh"), lib.SiLU(), lib.Sigmoid(), lib.Tanh(),
            lib.Softplus(beta=2.0), lib.Softmax(dim=1), lib.LogSoftmax(dim=-1), lib.Identity(),
            lib.Unflatten(1, (2, 4)), lib.Flatten(), lib.ReLU(inplace=True),
            lib.ModuleList([lib.Linear(8, 8), lib.Linear(8, 8), lib.Linear(8, 8), lib.ReLU()]),
            lib.ModuleDict({"a": lib.Linear(2, 2), "b": lib.BatchNorm2d(3)}),
            lib.BatchNorm1d(8, affine=False, momentum=None), lib.LayerNorm((2, 3), elementwise_affine=False),
            lib.CrossEntropyLoss(label_smoothing=0.1), lib.BCELoss(), lib.MSELoss(reduction="sum"),
            lib.NLLLoss(), lib.L1Loss(), lib.SmoothL1Loss(), lib.HuberLoss(), lib.KLDivLoss(),
            lib.BCEWithLogitsLoss(), lib.Embedding(10, 4, max_norm=1.0),
        )
    raise ValueError(kind)


class Net:
    """A subclass with parameters, a buffer and children assigned in __init__."""

    @staticmethod
    def make(lib, tensor):
        class Tiny(lib.Module):
            def __init__(self):
                super().__init__()
                self.scale = lib.Parameter(tensor([1.0, 2.0]))
                self.register_buffer("count", tensor([0.0]))
                self.register_buffer("scratch", tensor([5.0]), persistent=False)
                self.body = lib.Sequential(lib.Linear(2, 3), lib.ReLU())
                self.head = lib.Linear(3, 1)
                self.plain = 7

            def forward(self, x):
                return self.head(self.body(x * self.scale))

        return Tiny()


def tiny_pair():
    return Net.make(nn, npgrad.tensor), Net.make(torch.nn, torch.tensor)


def copy_weights(ours, theirs):
    """Put torch's parameters and buffers into the npgrad model (same names)."""
    for name, t in list(theirs.named_parameters()) + list(theirs.named_buffers()):
        target = dict(list(ours.named_parameters()) + list(ours.named_buffers()))[name]
        target._data[...] = t.detach().numpy()


# ---------------------------------------------------------------------- registration
@pytest.mark.parametrize("kind", ["mlp", "nested", "batchnorm", "everything"])
def test_names_and_state_dict_keys_match_torch(kind):
    ours, theirs = build(nn, kind), build(torch.nn, kind)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


@pytest.mark.parametrize("kind", ["mlp", "nested", "batchnorm", "everything"])
def test_repr_matches_torch(kind):
    assert repr(build(nn, kind)) == repr(build(torch.nn, kind))


def test_subclass_registration_matches_torch():
    ours, theirs = tiny_pair()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "scale", "count", "body.0.weight", "body.0.bias", "head.weight", "head.bias"
    ]
    assert [n for n, _ in ours.named_buffers()] == ["count", "scratch"]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]
    assert list(ours.children()) == [ours.body, ours.head]
    assert ours.plain == 7 and "plain" not in ours._parameters
    assert repr(ours) == repr(theirs)


def test_reassign_and_delete_update_the_registries():
    m, _ = tiny_pair()
    m.head = nn.Linear(3, 2)  # a new child replaces the old one
    assert m.head.out_features == 2 and m._modules["head"] is m.head
    m.scale = None  # a registered parameter may become None ...
    assert m.scale is None and "scale" not in dict(m.named_parameters())
    assert "scale" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'npgrad.Tensor' as parameter 'scale'"):
        m.scale = npgrad.ones(2)  # ... but not a plain tensor
    m.count = npgrad.tensor([3.0])  # a buffer takes a new tensor
    assert m.state_dict()["count"].item() == 3.0
    del m.head
    assert "head" not in m._modules and not hasattr(m, "head")
    with pytest.raises(AttributeError, match="has no attribute 'head'"):
        m.head
    m.head = nn.Parameter(npgrad.ones(1))  # the name is free again, now as a parameter
    assert "head" in m._parameters and "head" not in m._modules
    del m.count
    assert "count" not in m.state_dict() and not hasattr(m, "count")
    m.body = None
    assert m._modules["body"] is None and list(m.children()) == []
    with pytest.raises(TypeError, match="child module 'body'"):
        m.body = 3


def test_register_errors_name_the_problem():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("in_features", npgrad.zeros(1))
    with pytest.raises(KeyError, match='contain ".", got: a.b'):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="cannot assign 'npgrad.Tensor' object to parameter"):
        m.register_parameter("extra", npgrad.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("b", [1.0])


def test_assigning_before_super_init_is_a_clear_error():
    """Seed 000's Mnist_NN forgets super().__init__(): torch raises, and so do we, naming the fix."""

    class Mnist_NN(nn.Module):
        def __init__(self):
            self.lin1 = nn.Linear(784, 50, bias=True)

    class TorchMnist_NN(torch.nn.Module):
        def __init__(self):
            self.lin1 = torch.nn.Linear(784, 50, bias=True)

    with pytest.raises(AttributeError) as theirs:
        TorchMnist_NN()
    with pytest.raises(AttributeError) as ours:
        Mnist_NN()
    assert str(theirs.value) in str(ours.value)
    assert "super().__init__()" in str(ours.value) and "Mnist_NN" in str(ours.value)


def test_shared_parameters_are_listed_once_like_torch():
    for lib in (nn, torch.nn):
        lin = lib.Linear(3, 3)
        model = lib.Sequential(lin, lib.ReLU(), lin)
        assert len(list(model.parameters())) == 2
        assert len(list(model.named_modules())) == 3
    ours = nn.Sequential(*[nn.Linear(3, 3)] * 2)
    theirs = torch.nn.Sequential(*[torch.nn.Linear(3, 3)] * 2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.named_parameters(remove_duplicate=False))) == 4


def test_parameter_is_a_tensor_with_torchs_repr():
    p = nn.Parameter(npgrad.tensor([1.0, 2.0]))
    assert isinstance(p, npgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    assert repr(p).split("\n")[0] == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))).split("\n")[0]
    frozen = nn.Parameter(npgrad.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    assert (p * 2).grad_fn is not None and type(p * 2) is npgrad.Tensor
    assert nn.Parameter().shape == (0,)
    clone = copy.deepcopy(p)
    assert isinstance(clone, nn.Parameter) and clone.requires_grad
    clone._data[0] = 9
    assert p._data[0] == 1.0


def test_get_submodule_and_get_parameter():
    model = build(nn, "nested")
    assert model.get_submodule("head.1.1") is model.head[1][1]
    assert model.get_parameter("head.1.1.bias") is model.head[1][1].bias
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        model.get_submodule("head.nope")


# ---------------------------------------------------------------------- state dict
@pytest.mark.parametrize("kind", ["mlp", "nested", "batchnorm"])
def test_load_torch_state_dict_gives_torchs_outputs(kind):
    ours, theirs = build(nn, kind), build(torch.nn, kind)
    theirs.eval()
    ours.eval()
    if kind == "batchnorm":  # non-trivial running statistics
        theirs[1].running_mean.uniform_(-1, 1)
        theirs[1].running_var.uniform_(0.5, 2)
        theirs[1].num_batches_tracked.fill_(7)
        ours, theirs = ours[:6], theirs[:6]
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_allclose(
        ours(npgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k], err_msg=k)


def test_state_dict_shares_memory_and_detaches():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is npgrad.Tensor
    sd["weight"]._data[0, 0] = 42.0
    assert m.weight._data[0, 0] == 42.0
    kept = m.state_dict(keep_vars=True)
    assert kept["weight"] is m.weight
    # loading copies in place: the Parameter objects (held by an optimizer) stay the same
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2), np.float64), "bias": npgrad.zeros(2)})
    assert m.weight is w and w.dtype == npgrad.float32 and w._data.sum() == 4


def _torch_error(theirs, state, strict=True):
    with pytest.raises(RuntimeError) as e:
        theirs.load_state_dict(state, strict=strict)
    return str(e.value).replace("torch.", "npgrad.")


@pytest.mark.parametrize("case", ["missing", "unexpected", "mismatch", "all"])
def test_load_state_dict_errors_read_like_torchs(case):
    ours, theirs = build(nn, "nested"), build(torch.nn, "nested")
    t_state = {k: v.clone() for k, v in theirs.state_dict().items()}
    if case in ("missing", "all"):
        del t_state["head.0.bias"], t_state["features.1.weight"]
    if case in ("unexpected", "all"):
        t_state["head.1.7.weight"] = torch.zeros(1)
        t_state["extra"] = torch.zeros(1)
    if case in ("mismatch", "all"):
        t_state["head.1.1.weight"] = torch.zeros(5, 4)
    n_state = {k: v.numpy() for k, v in t_state.items()}
    expected = _torch_error(theirs, t_state)
    with pytest.raises(RuntimeError) as e:
        ours.load_state_dict(n_state)
    assert str(e.value) == expected
    if case != "mismatch":  # strict=False reports the same keys as torch
        t_res = build(torch.nn, "nested").load_state_dict(
            {k: v for k, v in t_state.items() if k != "head.1.1.weight"}, strict=False
        )
        n_res = build(nn, "nested").load_state_dict(
            {k: v for k, v in n_state.items() if k != "head.1.1.weight"}, strict=False
        )
        assert n_res.missing_keys == t_res.missing_keys
        assert n_res.unexpected_keys == t_res.unexpected_keys


def test_size_mismatch_raises_even_when_not_strict_and_changes_nothing_else_wrongly():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape npgrad.Size\(\[2, 4\]\)"):
        m.load_state_dict({"weight": np.zeros((2, 4), np.float32)}, strict=False)
    with pytest.raises(RuntimeError, match='expected npgrad.Tensor or Tensor-like object'):
        m.load_state_dict({"weight": "nope", "bias": np.zeros(2)})


def test_load_state_dict_assign_replaces_the_tensors():
    m = nn.Linear(2, 2)
    new = np.full((2, 2), 3.0, np.float32)
    m.load_state_dict({"weight": new, "bias": np.zeros(2, np.float32)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight._data.sum() == 12


def test_non_persistent_buffers_stay_out_of_the_state_dict():
    ours, theirs = tiny_pair()
    assert "scratch" not in ours.state_dict() and "scratch" not in theirs.state_dict()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


# ---------------------------------------------------------------------- modes, grads, dtype
def test_train_eval_propagate():
    model = build(nn, "batchnorm")
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_and_requires_grad():
    model = build(nn, "mlp")
    model(npgrad.randn(3, 6)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad._data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert model(npgrad.randn(3, 6)).grad_fn is None


def test_apply_to_float_double_and_devices():
    model = build(nn, "batchnorm")
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen[-1] == "Sequential" and seen[0] == "Linear"  # children first, then self
    params = list(model.parameters())
    model.double()
    assert all(p.dtype == npgrad.float64 for p in model.parameters())
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]  # same objects
    assert model[1].num_batches_tracked.dtype == npgrad.int64  # integer buffers keep their dtype
    model.to(npgrad.float32)
    assert all(p.dtype == npgrad.float32 for p in model.parameters())
    assert model.to("cpu") is model and model.to(npgrad.device("cpu")) is model and model.cpu() is model
    model.to(npgrad.zeros(1, dtype=npgrad.float64))
    assert model[0].weight.dtype == npgrad.float64
    model.float()
    with pytest.raises(RuntimeError, match="no cuda backend"):
        model.cuda()
    with pytest.raises(RuntimeError):
        model.to("cuda")


def test_deepcopy_is_independent():
    model = build(nn, "mlp")
    clone = copy.deepcopy(model)
    clone[0].weight._data[...] = 0
    assert model[0].weight._data.any()
    assert list(clone.state_dict()) == list(model.state_dict())
    assert clone[0].weight is clone._modules["0"]._parameters["weight"]


# ---------------------------------------------------------------------- hooks
def test_forward_hooks_see_and_replace_like_torch():
    ours, theirs = tiny_pair()
    copy_weights(ours, theirs)
    x = np.array([[0.5, -1.0], [2.0, 1.0]], np.float32)
    records = {}
    for lib_model, key in ((ours, "ours"), (theirs, "theirs")):
        seen = []
        h1 = lib_model.body.register_forward_hook(lambda m, args, out: seen.append(out.detach().numpy().copy()))
        h2 = lib_model.head.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h3 = lib_model.head.register_forward_hook(lambda m, args, out: out + 1)
        y = lib_model(npgrad.tensor(x) if key == "ours" else torch.tensor(x))
        records[key] = (seen[0], y.detach().numpy())
        for h in (h1, h2, h3):
            h.remove()
        y_plain = lib_model(npgrad.tensor(x) if key == "ours" else torch.tensor(x))
        records[key + "_plain"] = y_plain.detach().numpy()
    for a, b in zip(records["ours"], records["theirs"]):  # what the hook saw; the output
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(records["ours_plain"], records["theirs_plain"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(records["ours"][1], records["ours_plain"])  # the hooks did act
    assert not ours.head._forward_hooks and not ours.head._forward_pre_hooks


def test_hook_order_prepend_kwargs_and_context_manager():
    lin = nn.Linear(2, 2)
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("first"))
    lin.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    with lin.register_forward_hook(lambda m, a, o: order.append("temporary")):
        lin(npgrad.ones(1, 2))
    assert order == ["prepended", "first", "temporary"]
    order.clear()
    lin(npgrad.ones(1, 2))
    assert order == ["prepended", "first"]

    def pre(module, args, kwargs):
        return (args[0] * 0,), kwargs

    kw = []
    h = lin.register_forward_pre_hook(pre, with_kwargs=True)
    h2 = lin.register_forward_hook(lambda m, a, k, o: kw.append(k), with_kwargs=True)
    out = lin(npgrad.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy()[0], lin.bias.detach().numpy())
    assert kw == [{}]
    h.remove(), h2.remove()
    h.remove()  # removing twice is harmless


def test_always_call_hook_runs_when_forward_raises():
    lin = nn.Linear(2, 2)
    called = []
    lin.register_forward_hook(lambda m, a, o: called.append(o), always_call=True)
    with pytest.raises(RuntimeError):
        lin(npgrad.ones(1, 3))
    assert called == [None]


def test_hooks_can_look_inside_a_network():
    """The lessons' use: record every layer's activation in one forward pass."""
    model = build(nn, "mlp")
    acts = {}
    handles = [
        m.register_forward_hook(lambda m, a, o, name=name: acts.__setitem__(name, o.shape))
        for name, m in model.named_children()
    ]
    model(npgrad.randn(7, 6))
    assert acts == {"0": (7, 5), "1": (7, 5), "2": (7, 3)}
    for h in handles:
        h.remove()


def test_missing_forward_is_torchs_error():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


# ---------------------------------------------------------------------- containers
def test_sequential_indexing_like_torch():
    ours, theirs = build(nn, "mlp"), build(torch.nn, "mlp")
    assert isinstance(ours[0], nn.Linear) and isinstance(ours[-1], nn.Linear)
    assert len(ours) == len(theirs) == 3
    assert repr(ours[1:]) == repr(theirs[1:])
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict())  # keys kept: "2.weight"
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ours[3]
    for s in (ours, theirs):
        lib = nn if s is ours else torch.nn
        s.append(lib.Sigmoid())
        s.insert(1, lib.Tanh())
        del s[0]
        s[0] = lib.Linear(6, 5)
        s.extend([lib.Identity()])
        popped = s.pop(-1)
        assert type(popped).__name__ == "Identity"
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert repr(ours + build(nn, "mlp")) == repr(theirs + build(torch.nn, "mlp"))


def test_module_list_and_dict_like_torch():
    def make(lib):
        layers = lib.ModuleList([lib.Linear(2, 2) for _ in range(3)])
        layers.append(lib.ReLU())
        layers.insert(0, lib.Tanh())
        layers.extend([lib.Linear(2, 2)])
        del layers[1]
        d = lib.ModuleDict({"enc": lib.Linear(2, 3)})
        d["dec"] = lib.Linear(3, 2)
        d.update([("act", lib.ReLU())])
        popped = d.pop("act")
        holder = lib.Module()
        holder.layers, holder.d = layers, d
        return holder, layers, d, popped

    ours, theirs = make(nn), make(torch.nn)
    assert list(ours[0].state_dict()) == list(theirs[0].state_dict())
    assert repr(ours[0]) == repr(theirs[0])
    assert len(ours[1]) == len(theirs[1]) and len(ours[2]) == len(theirs[2])
    assert list(ours[2].keys()) == list(theirs[2].keys()) == ["enc", "dec"]
    assert "enc" in ours[2] and isinstance(ours[3], nn.ReLU)
    assert repr(ours[1][1:3]) == repr(theirs[1][1:3])
    assert [type(m).__name__ for m in ours[1]] == [type(m).__name__ for m in theirs[1]]


def test_registered_values_live_in_one_place():
    """A parameter, buffer or child is kept once, in the instance __dict__; the registries
    name them in order and read through (so no two copies can disagree)."""
    import copy

    lin = npgrad.nn.Linear(3, 2)
    lin.register_buffer("scale", npgrad.ones(2))
    new = npgrad.nn.Parameter(npgrad.zeros(2, 3))
    lin._parameters["weight"] = new  # written through the registry...
    assert lin.weight is new and lin.__dict__["weight"] is new  # ...seen as the attribute
    lin.weight = npgrad.nn.Parameter(npgrad.ones(2, 3))  # and the other way round
    assert lin._parameters["weight"] is lin.weight
    assert list(lin._parameters) == ["weight", "bias"] and list(lin._buffers) == ["scale"]
    del lin.scale
    assert "scale" not in lin._buffers and not hasattr(lin, "scale")
    for clone in (copy.deepcopy(lin),):
        assert clone._parameters["weight"] is clone.weight is not lin.weight
        clone.bias = npgrad.nn.Parameter(npgrad.full((2,), 7.0))
        assert clone._parameters["bias"] is clone.bias and lin.bias._data[0] != 7.0
        np.testing.assert_array_equal(clone.weight.detach().numpy(), lin.weight.detach().numpy())
