"""Version counters: an in-place change to a value backward needs raises as in PyTorch, and
every case PyTorch computes gives the same gradients. Each case runs on torch and npgrad."""
import numpy as np
import pytest
import torch

import npgrad

X = [1.0, -2.0, 3.0]
W = [0.5, 1.5, -1.0]


def outcome(case, L):
    """('raise', message) or ('ok', [arrays of the returned tensors])."""
    try:
        result = case(L)
    except RuntimeError as e:
        return "raise", str(e)
    return "ok", [None if t is None else np.asarray(t.detach().numpy(), dtype=np.float64) for t in result]


def check(case):
    kt, vt = outcome(case, torch)
    kn, vn = outcome(case, npgrad)
    assert kt == kn, f"torch: {kt} {vt}\nnpgrad: {kn} {vn}"
    if kt == "raise":
        if "modified by an inplace operation" in vt:
            assert "modified by an inplace operation" in vn
            # same tensor (type, shape) and versions; node names differ where torch's are
            # internal (CopySlices, torch::autograd::CopyBackwards)
            assert _facts(vn.replace("npgrad.", "torch.")) == _facts(vt)
        return
    for a, b in zip(vt, vn):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def _facts(msg):
    import re

    kind, shape = re.search(r"\[(\S+) \[([0-9, ]*)\]\]", msg).groups()
    tensor = kind, sorted(shape.split(", "))  # torch's linear saves weight.t(): [8, 2] for [2, 8]
    versions = re.search(r"is at version (\d+); expected version (\d+)", msg).groups()
    return tensor, versions


def leaf(L, v, grad=True):
    return L.tensor(v, requires_grad=grad)


# ---------------------------------------------------------------- each in-place op on a saved input
INPLACE = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(10.0),
    "div_": lambda t: t.div_(2.0),
    "pow_": lambda t: t.pow_(2),
    "clamp_": lambda t: t.clamp_(-1.0, 1.0),
    "relu_": lambda t: t.relu_(),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "copy_": lambda t: t.copy_(t.detach() * 0 + 7),
    "exp_": lambda t: t.exp_(),
    "neg_": lambda t: t.neg_(),
    "sqrt_": lambda t: t.abs().sqrt() if False else t.clamp_(min=0.0).sqrt_(),
    "uniform_": lambda t: t.uniform_(),
    "normal_": lambda t: t.normal_(),
    "masked_fill_": lambda t: t.masked_fill_(t.detach() > 0, 0.0),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "setitem_slice": lambda t: t.__setitem__(slice(0, 2), 0.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "imul": lambda t: t.__imul__(2.0),
}


@pytest.mark.parametrize("op", list(INPLACE))
def test_changing_a_saved_non_grad_input_raises(op):
    """y = (x*w).sum(); <in-place op on x>; y.backward(): x was saved for w's gradient."""

    def case(L):
        x, w = leaf(L, X, False), leaf(L, W)
        y = (x * w).sum()
        INPLACE[op](x)
        y.backward()
        return [w.grad]

    check(case)


@pytest.mark.parametrize("op", list(INPLACE))
def test_changing_a_saved_input_under_no_grad_raises(op):
    def case(L):
        x, w = leaf(L, X), leaf(L, W)
        y = (x * w).sum()
        with L.no_grad():
            INPLACE[op](w)
        y.backward()
        return [x.grad]

    check(case)


@pytest.mark.parametrize("op", [k for k in INPLACE if k not in ("uniform_", "normal_")])
def test_changing_a_graph_tensor_saved_by_a_later_node_raises(op):
    def case(L):
        x = leaf(L, X)
        h = x * 2
        y = (h * h).sum()
        INPLACE[op](h)
        y.backward()
        return [x.grad]

    check(case)


@pytest.mark.parametrize("op", ["add_", "mul_", "div_", "sub_", "setitem", "zero_", "fill_", "copy_"])
def test_in_place_on_a_graph_tensor_nobody_saved_computes_as_torch(op):
    def case(L):
        x = leaf(L, X)
        h = x * 2  # Mul by a number: nothing of h's is saved by its users below
        y = h + 1
        INPLACE[op](h)
        z = (h * 3).sum() + y.sum()
        z.backward()
        return [x.grad, h.detach()]

    check(case)


def test_in_place_with_a_grad_tensor_argument_matches_torch():
    def case(L):
        x, w = leaf(L, X), leaf(L, W)
        a = x * 1
        a.mul_(w)  # needs a's old value for w's gradient
        a.sum().backward()
        return [x.grad, w.grad, a.detach()]

    check(case)


def test_output_saved_by_exp_then_changed_raises():
    def case(L):
        x = leaf(L, X)
        a = x.exp()
        a.add_(1)
        a.sum().backward()
        return [x.grad]

    check(case)


def test_the_brief_example_raises():
    def case(L):
        x, w = leaf(L, X, False), leaf(L, W)
        y = (x * w).sum()
        x.mul_(10)
        y.backward()
        return [w.grad]

    check(case)


@pytest.mark.parametrize("how", ["view", "reshape", "transpose", "index", "detach", "expand_src"])
def test_change_through_an_alias_of_a_saved_tensor_raises(how):
    def case(L):
        x = leaf(L, [[1.0, 2.0], [3.0, 4.0]])
        w = L.tensor([[0.5, 1.0], [2.0, -1.0]])
        y = (x * w).sum()
        if how == "view":
            w.view(4).add_(1)
        elif how == "reshape":
            w.reshape(4).mul_(2)
        elif how == "transpose":
            w.t().zero_()
        elif how == "index":
            w[0].fill_(9.0)
        elif how == "detach":
            w.detach().add_(1)
        else:
            w.unsqueeze(0).squeeze(0).sub_(1)
        y.backward()
        return [x.grad]

    check(case)


def test_change_through_data_goes_unnoticed_as_in_torch():
    def case(L):
        x, w = leaf(L, X), L.tensor(W)
        y = (x * w).sum()
        w.data.mul_(2)  # .data: same memory, its own version counter
        y.backward()
        return [x.grad, L.tensor(float(w._version))]

    check(case)


def test_saved_view_then_base_changed_raises():
    def case(L):
        x = leaf(L, X)
        w = L.tensor(W)
        y = (x * w.view(3, 1)).sum()
        w.add_(1)
        y.backward()
        return [x.grad]

    check(case)


def test_versions_count_as_torch():
    def case(L):
        a = L.tensor([1.0, 2.0, 3.0])
        v = a.view(3, 1)
        d = a.detach()
        out = [a._version]
        a.add_(1)
        out.append(a._version)
        v.mul_(2)
        d[0] = 4.0
        out += [a._version, v._version, d._version]
        a.data.add_(1)  # .data counts apart
        out += [a._version]
        with L.no_grad():
            a.zero_()
        out += [a._version]
        return [L.tensor(out, dtype=L.float64)]

    check(case)


def _net(L):
    L.manual_seed(0)
    net = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 2))
    with L.no_grad():
        for p in net.parameters():
            p.copy_(L.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)), dtype=L.float32))
    return net


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_optimizer_step_between_forward_and_backward_raises(opt):
    def case(L):
        net = _net(L)
        o = getattr(L.optim, opt)(net.parameters(), lr=0.1)
        x = L.tensor(np.linspace(0, 1, 12).reshape(3, 4), dtype=L.float32)
        loss = net(x).pow(2).sum()
        loss.backward(retain_graph=True)
        o.step()
        loss.backward()
        return [p.grad for p in net.parameters()]

    check(case)


def test_optimizer_step_after_backward_is_fine():
    def case(L):
        net = _net(L)
        o = L.optim.SGD(net.parameters(), lr=0.1)
        x = L.tensor(np.linspace(0, 1, 12).reshape(3, 4), dtype=L.float32)
        for _ in range(3):
            o.zero_grad()
            net(x).pow(2).sum().backward()
            o.step()
        return list(net.parameters())

    check(case)


def test_views_see_in_place_changes_of_graph_tensors():
    def case(L):
        x = leaf(L, X)
        h = x * 2
        v = h.view(3, 1)
        h.add_(1)
        return [v]

    check(case)


def test_retain_graph_second_backward_after_change_raises():
    def case(L):
        x, w = leaf(L, X), L.tensor(W)
        y = (x * w).sum()
        y.backward(retain_graph=True)
        w.mul_(3)
        y.backward()
        return [x.grad]

    check(case)


# ---------------------------------------------------------------- in-place on views (CopySlices)
def _view_case(which):
    def case(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        w = L.tensor([2.0, 3.0], requires_grad=True)
        a = x * 2
        if which == "index_int":
            a[0].mul_(5)
            loss = (a * a).sum()
        elif which == "index_column_by_tensor":
            a[:, 1].mul_(w)
            loss = (a * a).sum()
        elif which == "slice_then_use_view":
            v = a[1:]
            v.mul_(3)
            loss = (v * v).sum() + a.sum()
        elif which == "transpose":
            a.t().mul_(L.tensor([[1.0, 2.0], [3.0, 4.0]]))
            loss = (a**2).sum()
        elif which == "reshape":
            a.view(4).add_(L.tensor([1.0, 2.0, 3.0, 4.0]) * w.sum())
            loss = (a**3).sum()
        elif which == "view_of_view":
            a[1][0:1].mul_(w[0])
            loss = (a * a).sum()
        elif which == "setitem_on_view":
            v = a[0]
            v[1] = w[1] * 2
            loss = (a * a).sum()
        elif which == "stale_view_used_later":  # torch regenerates it; npgrad must refuse
            u = a[:, 0]
            a[1:].mul_(3)
            loss = u.sum()
        loss.backward()
        return [a, x.grad, w.grad]

    return case


@pytest.mark.parametrize("which", ["index_int", "index_column_by_tensor", "slice_then_use_view",
                                   "transpose", "reshape", "view_of_view", "setitem_on_view"])
def test_in_place_on_a_view_of_a_graph_tensor_matches_torch(which):
    check(_view_case(which))


def test_a_view_taken_before_an_in_place_change_refuses_rather_than_miss_it():
    with pytest.raises(RuntimeError, match="was taken before an in-place op"):
        _view_case("stale_view_used_later")(npgrad)
    _view_case("stale_view_used_later")(torch)  # torch computes it (regenerated view)


def _stale(L, which):
    """A view ``v`` of ``x`` taken before in-place changes of ``x`` recorded in the graph."""
    leaf = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    x = leaf * 1
    v = x[0]
    if which == "used before, backward after":
        y = v * 2
        x.mul_(3)
        (y.sum() + x.sum()).backward()
    elif which == "used before and after":
        y = v * 2
        x.mul_(3)
        z = v * 5
        (y.sum() + z.sum()).backward()
    elif which == "used between two changes":
        x.add_(1)
        y = v * 2
        x.mul_(3)
        y.sum().backward()
    elif which == "backward on the view":
        x.mul_(3)
        v.backward(L.ones(3))
    elif which == "used before, twice backward":
        y = v * 2
        x.mul_(3)
        z = v * 5
        y.sum().backward(retain_graph=True)
        first = leaf.grad.clone()
        z.sum().backward()  # PyTorch: through the replayed view, so through mul_
        return [first, leaf.grad]
    return [leaf.grad]


@pytest.mark.parametrize("which", ["used before, backward after"])
def test_a_view_used_before_its_base_changed_gives_torch_gradients(which):
    ours, theirs = _stale(npgrad, which), _stale(torch, which)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("which", ["used before and after", "used between two changes",
                                   "backward on the view", "used before, twice backward"])
def test_a_view_used_after_its_base_changed_refuses_where_torch_replays_it(which):
    _stale(torch, which)  # torch computes it, through the replayed view
    with pytest.raises(RuntimeError, match="taken before an in-place op .* used after it"):
        _stale(npgrad, which)
