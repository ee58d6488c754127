"""The autograd engine: graph shapes, gradient modes, retain_graph, accumulation, hooks,
in-place rules, ``autograd.grad``, numerical edges and error messages.

Where torch can compute the same thing, the same code runs with ``L = npgrad`` and
``L = torch`` and the results are compared.
"""
import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
from npgrad.autograd import grad_mode

BOTH = pytest.mark.parametrize("L", [npgrad, torch], ids=["npgrad", "torch"])


def run_both(fn):
    """fn(L) run with npgrad and with torch; returns (npgrad's result, torch's result)."""
    return fn(npgrad), fn(torch)


# ------------------------------------------------------------------ graph shapes
def test_value_used_twice():
    a = npgrad.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    assert a.grad.dtype == npgrad.float32 and a.grad.shape == ()


def test_value_used_twice_in_products_matches_torch():
    def f(L):
        a = L.tensor([1.5, -2.0, 0.5], requires_grad=True)
        b = a * a  # a used twice by one node
        c = b * a + b.exp() * a  # b used twice, a used four times
        c.sum().backward()
        return c, a.grad

    (c, g), (tc, tg) = run_both(f)
    assert_same(c, tc)
    assert_same(g, tg)


def test_diamond_graphs_match_torch():
    def f(L):
        x = L.tensor([[0.3, -1.2], [2.0, 0.7]], requires_grad=True)
        w = L.tensor([0.5, -0.25], requires_grad=True)
        h = x @ w  # shared by both branches
        left = h.sigmoid() * 3
        right = (h * h).tanh()
        deep = (left + right).exp().log() * h  # a longer path rejoins a short one
        out = deep.sum() + h.mean()
        out.backward()
        return out, x.grad, w.grad

    for ours, theirs in zip(*run_both(f)):
        assert_same(ours, theirs)


def test_node_reached_by_paths_of_different_length():
    """a feeds c directly and through b: a's node must wait for both before running."""

    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a * 3
        c = (b + a) * a
        c.sum().backward()
        return x.grad

    assert_same(*run_both(f))


def test_long_chain_has_no_recursion_error():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for i in range(50_000):  # 100,000 ops
        y = y * 1.0
        y = y + 0.5
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(y.detach().numpy(), [25001.0, 25002.0])
    del y  # freeing a 100,000-deep graph must not recurse either


def test_float32_stays_float32_through_a_float64_detour():
    def f(L):
        x = L.tensor([0.5, 1.5], requires_grad=True)
        y = (x.double() * 3).exp().sum()
        y.backward()
        return y, x.grad

    (y, g), (ty, tg) = run_both(f)
    assert_same(y, ty)
    assert_same(g, tg)
    assert g.dtype == npgrad.float32


# ------------------------------------------------------------------ grad modes
def test_no_grad_context():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    with npgrad.no_grad():
        assert not npgrad.is_grad_enabled()
        y = x * 2
    assert npgrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    z = x * 2
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_decorator():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)

    @npgrad.no_grad()
    def double(t):
        assert not npgrad.is_grad_enabled()
        return t * 2

    y = double(x)
    assert not y.requires_grad
    assert npgrad.is_grad_enabled()
    assert double.__name__ == "double"


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError):
        with npgrad.no_grad():
            raise ValueError("boom")
    assert npgrad.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = npgrad.tensor(2.0, requires_grad=True)
    with npgrad.no_grad():
        with npgrad.enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.backward()
    assert x.grad.item() == 4.0

    @npgrad.enable_grad()
    def square(t):
        return t * t

    with npgrad.no_grad():
        assert square(x).requires_grad


def test_set_grad_enabled():
    x = npgrad.tensor(2.0, requires_grad=True)
    npgrad.set_grad_enabled(False)  # a plain call switches at once
    assert not npgrad.is_grad_enabled()
    assert not (x * 2).requires_grad
    npgrad.set_grad_enabled(True)
    assert npgrad.is_grad_enabled()

    with npgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert npgrad.is_grad_enabled()
    with npgrad.no_grad():
        with npgrad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not npgrad.is_grad_enabled()

    @npgrad.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert npgrad.is_grad_enabled()  # decorating does not switch the mode
    assert not f(x).requires_grad
    assert npgrad.is_grad_enabled()


def test_is_grad_enabled_is_the_module_flag():
    with npgrad.no_grad():
        assert grad_mode._enabled is False
    assert grad_mode._enabled is True


# ------------------------------------------------------------------ retain_graph
@BOTH
def test_second_backward_through_freed_graph_raises(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # Mul saves its inputs
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@BOTH
def test_retain_graph_allows_a_second_backward(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])  # 2 * 2x


def test_graph_without_saved_arrays_can_be_walked_twice_like_torch():
    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()  # nothing saved: torch allows a second walk
        y.backward()
        y.backward()
        return x.grad

    assert_same(*run_both(f))


def test_grads_accumulate_over_two_backward_calls():
    def f(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x.sin() * 3).sum().backward()
        return first, x.grad

    (first, total), (tfirst, ttotal) = run_both(f)
    assert_same(first, tfirst)
    assert_same(total, ttotal)


def test_grad_reset_to_none_and_zero():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    x.grad = None  # seed 003's "params.grad = None"
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])
    x.grad.zero_()
    (x * 7).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])


@pytest.mark.parametrize(
    "make",
    [lambda x: x, lambda x: x + 0, lambda x: x.clone(), lambda x: x.view(2, 1), lambda x: x.float()],
    ids=["leaf", "add", "clone", "view", "float"],
)
def test_grad_does_not_alias_the_gradient_passed_in(make):
    """Optimizers write into .grad in place: it must not share memory with the caller's
    gradient, even when an op passes the gradient through unchanged."""
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    z = make(x)
    g = npgrad.tensor([10.0, 20.0]).reshape(z.shape)
    z.backward(g)
    x.grad.mul_(0)
    np.testing.assert_array_equal(g.numpy().reshape(-1), [10.0, 20.0])


# ------------------------------------------------------------------ leaves, non-leaves, hooks
def test_non_leaf_grad_stays_none_unless_retained():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    kept = x * 4
    kept.retain_grad()
    assert x.is_leaf and not h.is_leaf and not kept.is_leaf
    (h * h + kept * kept).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(kept.grad.numpy(), [8.0, 16.0])
    assert kept.retains_grad and not h.retains_grad
    np.testing.assert_array_equal(x.grad.numpy(), [18.0 + 32.0, 36.0 + 64.0])


def test_retain_grad_matches_torch():
    def f(L):
        x = L.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)
        h = x.exp()
        h.retain_grad()
        (h.sum(1) ** 2).sum().backward()
        return h.grad, x.grad

    for ours, theirs in zip(*run_both(f)):
        assert_same(ours, theirs)


def test_hook_on_leaf_and_non_leaf_matches_torch():
    def f(L):
        seen = []
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: seen.append(g.detach().clone()))
        h = x * 3
        h.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
        (h * h).sum().backward()
        return x.grad, seen

    (g, seen), (tg, tseen) = run_both(f)
    assert_same(g, tg)
    assert len(seen) == len(tseen) == 1
    assert_same(seen[0], tseen[0])


def test_leaf_hook_sees_the_total_gradient_once():
    """A leaf used twice: torch calls its hook once, with the summed gradient, so a
    non-linear hook (here gradient clipping) acts on the total."""

    def f(L):
        calls = []
        x = L.tensor([1.0, 2.0], requires_grad=True)

        def clip(g):
            calls.append(g.detach().clone())
            return g.clamp(-1.0, 1.0)

        x.register_hook(clip)
        (x * 2 + x * 3).sum().backward()
        return x.grad, calls

    (g, calls), (tg, tcalls) = run_both(f)
    assert len(calls) == len(tcalls) == 1
    assert_same(calls[0], tcalls[0])
    assert_same(g, tg)


def test_hook_handle_remove():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        npgrad.tensor([1.0]).register_hook(lambda g: g)


# ------------------------------------------------------------------ what cannot have a graph
def test_backward_on_non_scalar_without_gradient_raises_torchs_message():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_backward_on_non_scalar_with_gradient_matches_torch():
    def f(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * x
        y.backward(L.tensor([[1.0, 0.5], [-1.0, 2.0]]))
        return x.grad

    assert_same(*run_both(f))


def test_backward_gradient_of_wrong_shape_raises():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(npgrad.ones(3))


def test_backward_on_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        npgrad.ones(2).sum().backward()


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    d = getattr(npgrad, dtype)
    msg = "only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError, match=msg):
        npgrad.tensor([1, 0], dtype=d, requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        npgrad.zeros(2, dtype=d).requires_grad_()
    with pytest.raises(RuntimeError, match=msg):
        npgrad.ones(2, dtype=d, requires_grad=True)
    t = npgrad.zeros(2, dtype=d)
    with pytest.raises(RuntimeError, match=msg):
        t.requires_grad = True


def test_argmax_comparisons_detach_and_casts_carry_no_graph():
    x = npgrad.tensor([[1.0, 3.0], [2.0, -1.0]], requires_grad=True)
    results = {
        "argmax": x.argmax(),
        "argmax_dim": x.argmax(1),
        "argmin": npgrad.argmin(x, 0),
        "max_indices": x.max(1).indices,
        "gt": x > 0,
        "eq": x == 1.0,
        "ne": x != x,
        "le": 1.0 <= x,
        "detach": x.detach(),
        "long": x.long(),
        "bool": x.bool(),
        "floordiv": x // 2,
        "all": (x > 0).all(),
    }
    for name, r in results.items():
        assert not r.requires_grad and r.grad_fn is None and r.is_leaf, name
    assert results["gt"].dtype == npgrad.bool
    assert results["argmax"].dtype == npgrad.int64


def test_detach_shares_memory_like_torch():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    d[0] = 10.0  # d needs no grad: writing is allowed and x sees it
    assert x.detach().numpy()[0] == 10.0


def test_requires_grad_false_on_non_leaf_raises():
    x = npgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad_(False)


# ------------------------------------------------------------------ in place
IN_PLACE_ON_LEAF = {
    "add_": lambda x: x.add_(1.0),
    "sub_": lambda x: x.sub_(1.0),
    "mul_": lambda x: x.mul_(2.0),
    "div_": lambda x: x.div_(2.0),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(3.0),
    "copy_": lambda x, L=npgrad: x.copy_(L.ones(2)),
    "clamp_": lambda x: x.clamp_(0.0, 1.0),
    "uniform_": lambda x: x.uniform_(),
    "normal_": lambda x: x.normal_(),
    "iadd": lambda x: x.__iadd__(1.0),
    "isub": lambda x: x.__isub__(1.0),
    "imul": lambda x: x.__imul__(2.0),
    "itruediv": lambda x: x.__itruediv__(2.0),
    "setitem": lambda x: x.__setitem__(0, 5.0),
}


@pytest.mark.parametrize("name", list(IN_PLACE_ON_LEAF))
def test_in_place_on_leaf_that_requires_grad_raises(name):
    x = npgrad.tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        IN_PLACE_ON_LEAF[name](x)
    np.testing.assert_array_equal(x.detach().numpy(), [0.5, 2.0])  # untouched


@pytest.mark.parametrize("name", list(IN_PLACE_ON_LEAF))
def test_in_place_on_leaf_is_fine_under_no_grad(name):
    x = npgrad.tensor([0.5, 2.0], requires_grad=True)
    array = x._data
    with npgrad.no_grad():
        out = IN_PLACE_ON_LEAF[name](x)
    assert (out is None or out is x) and x._data is array  # changed in place, same memory
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    if name not in ("uniform_", "normal_"):
        t = torch.tensor([0.5, 2.0], requires_grad=True)
        with torch.no_grad():
            fn = IN_PLACE_ON_LEAF[name]
            fn(t, torch) if name == "copy_" else fn(t)
        assert_same(x, t)


def test_in_place_operators_on_non_leaves_match_torch():
    def f(L):
        x = L.tensor([0.5, -1.5, 2.0], requires_grad=True)
        y = x * 1.0
        y += 2.0
        y *= x
        y -= x.exp()
        y /= 3.0
        y.add_(x, alpha=2)
        y.mul_(x)
        y.sub_(x.double())  # in place keeps y's float32
        y.div_(x * x + 1)
        y.clamp_(-1.0, 2.0)
        y.masked_fill_(y > 1.5, 0.25)
        y.exp_()
        y.sum().backward()
        return y, x.grad

    for ours, theirs in zip(*run_both(f)):
        assert_same(ours, theirs)


def test_in_place_operators_keep_identity_and_memory():
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = npgrad.from_numpy(arr)
    before = t
    t += 1
    t *= 3
    t -= 1
    t /= 2
    assert t is before
    np.testing.assert_array_equal(arr, [2.5, 4.0])  # the shared NumPy array changed


def test_in_place_keeps_the_dtype():
    t = npgrad.zeros(2)
    t += 1  # Python int into float32
    assert t.dtype == npgrad.float32
    i = npgrad.zeros(2, dtype=npgrad.int64)
    i += 2
    assert i.dtype == npgrad.int64 and i.tolist() == [2, 2]


def test_setitem_under_no_grad_matches_torch():
    def f(L):
        w = L.zeros(3, 4, requires_grad=True)
        with L.no_grad():
            w[0] = 1.0
            w[1, 2:] = L.tensor([5.0, 6.0])
            w[w > 5.5] = -1.0
            w[:, 0] += 0.5
            w[L.tensor([2, 2])] = 7.0
        return w

    ours, theirs = run_both(f)
    assert_same(ours, theirs)
    assert ours.is_leaf and ours.requires_grad


def test_setitem_on_non_leaf_in_graph_matches_torch():
    def f(L):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        v = L.tensor([10.0, 20.0], requires_grad=True)
        y = x * 2
        y[:, 1] = v * v
        (y * y).sum().backward()
        return y, x.grad, v.grad

    for ours, theirs in zip(*run_both(f)):
        assert_same(ours, theirs)


def test_in_place_after_use_does_not_reroute_earlier_consumers():
    """y used h before h.mul_(2): y's gradient must reach x as d(3h)/dx = 3, not through
    the later in-place multiply (torch: 3 + 20 = 23)."""

    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        y = h * 3
        h.mul_(2)
        z = h * 10
        (y.sum() + z.sum()).backward()
        return x.grad

    assert_same(*run_both(f))


def test_in_place_on_a_saved_tensor_raises_as_torch():
    """h is saved by h * h, then changed in place: backward raises, as in torch (the version
    counter; tests/test_version_counter.py has the full set)."""
    for L in (torch, npgrad):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1.0
        y = h * h  # saves h
        h += 10.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ------------------------------------------------------------------ autograd.grad
def test_autograd_grad_matches_torch_and_does_not_accumulate():
    def f(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = L.tensor([0.5, -0.5, 2.0], requires_grad=True)
        y = (x * w).sin().sum()
        gx, gw = L.autograd.grad(y, [x, w])
        return gx, gw, x.grad, w.grad

    (gx, gw, xg, wg), (tgx, tgw, txg, twg) = run_both(f)
    assert_same(gx, tgx)
    assert_same(gw, tgw)
    assert xg is None and wg is None and txg is None and twg is None


def test_autograd_grad_of_intermediate_and_grad_outputs():
    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        y = h * 3
        (gh,) = L.autograd.grad(y, h, grad_outputs=L.tensor([1.0, -1.0]))
        return gh

    assert_same(*run_both(f))


def test_autograd_grad_unused_input():
    x = npgrad.tensor([1.0], requires_grad=True)
    unused = npgrad.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        npgrad.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = npgrad.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0]


def test_autograd_backward_function():
    def f(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.backward([(x * x).sum(), (x * 3).sum()])
        return x.grad

    assert_same(*run_both(f))


# ------------------------------------------------------------------ numerical edges
EDGE_FNS = {
    "sigmoid": lambda L, x: L.sigmoid(x),
    "tanh": lambda L, x: L.tanh(x),
    "softmax": lambda L, x: L.softmax(x, dim=-1),
    "log_softmax": lambda L, x: L.log_softmax(x, dim=-1),
    "logsumexp": lambda L, x: L.logsumexp(x, dim=-1),
    "logsumexp_all": lambda L, x: L.logsumexp(x, dim=(0, 1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(EDGE_FNS))
def test_stable_at_plus_minus_1000(name, dtype):
    values = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 1.0]], dtype)
    x, tx = pair(values, requires_grad=True)
    y, ty = EDGE_FNS[name](npgrad, x), EDGE_FNS[name](torch, tx)
    assert np.isfinite(y.detach().numpy()).all()
    assert_same(y, ty)
    w = np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype)
    (y * npgrad.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert_same(x.grad, tx.grad)


# ------------------------------------------------------------------ errors
def _raised_in_npgrad(excinfo):
    """The error surfaced from npgrad's own code, not from a NumPy frame."""
    last = str(excinfo.traceback[-1].path)
    return "npgrad" in last and "numpy" not in last


def test_matmul_shape_error_names_both_shapes():
    a, b = npgrad.ones(64, 784), npgrad.ones(100, 10)
    with pytest.raises(RuntimeError) as excinfo:
        a @ b
    msg = str(excinfo.value)
    assert "matmul" in msg and "(64, 784)" in msg and "(100, 10)" in msg
    assert _raised_in_npgrad(excinfo)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4, 2\)"):
        npgrad.ones(3) @ npgrad.ones(4, 2)


@pytest.mark.parametrize(
    "op, call",
    [
        ("add", lambda: npgrad.ones(2, 3) + npgrad.ones(4)),
        ("mul", lambda: npgrad.ones(2, 3) * npgrad.ones(3, 2)),
        ("sub", lambda: npgrad.ones(2, 3, requires_grad=True) - npgrad.ones(5)),
        ("maximum", lambda: npgrad.maximum(npgrad.ones(2), npgrad.ones(3))),
        ("where", lambda: npgrad.where(npgrad.ones(2) > 0, npgrad.ones(3), npgrad.ones(4))),
    ],
)
def test_broadcast_error_names_op_and_shapes(op, call):
    with pytest.raises(RuntimeError) as excinfo:
        call()
    msg = str(excinfo.value)
    assert op in msg.lower(), msg
    assert _raised_in_npgrad(excinfo)
    assert not isinstance(excinfo.value, ValueError)


def test_shape_op_errors_are_clear():
    x = npgrad.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[4\]' is invalid for input of size 6"):
        x.view(4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        npgrad.cat([x, npgrad.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        npgrad.stack([x, npgrad.ones(3, 2)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(4, 3)
