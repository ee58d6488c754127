"""Memory formats, as in PyTorch: ``stride()``, ``is_contiguous(memory_format=)``,
``contiguous``/``clone``/``to(memory_format=)``, and the spatial ops keeping their input's
format (an NCHW input gives an NCHW-contiguous output on every kernel path, a channels-last
input a channels-last output). Each case runs on torch and npgrad alike."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad import _fast

FORMATS = {"contiguous": (torch.contiguous_format, npgrad.contiguous_format),
           "channels_last": (torch.channels_last, npgrad.channels_last)}


def _pair(array, fmt, requires_grad=False):
    t = torch.tensor(array).contiguous(memory_format=FORMATS[fmt][0])
    n = npgrad.tensor(array).contiguous(memory_format=FORMATS[fmt][1])
    return t.requires_grad_(requires_grad), n.requires_grad_(requires_grad)


def _formats(t, n, what):
    for tf, nf in FORMATS.values():
        assert n.is_contiguous(memory_format=nf) == t.is_contiguous(memory_format=tf), (what, tf)


def test_stride_and_formats_of_views_and_copies_match_torch():
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    t, n = torch.tensor(a), npgrad.tensor(a)
    cases = {
        "plain": lambda m: m,
        "transpose": lambda m: m.transpose(2, 3),
        "permute": lambda m: m.permute(0, 2, 3, 1),
        "channels_last": lambda m: m.contiguous(memory_format=FORMATS["channels_last"][
            0 if m is t else 1]),
        "to channels_last": lambda m: m.to(memory_format=FORMATS["channels_last"][
            0 if m is t else 1]),
        "clone of channels_last": lambda m: m.to(memory_format=FORMATS["channels_last"][
            0 if m is t else 1]).clone(),
        "clone of transpose": lambda m: m.transpose(2, 3).clone(),
        "contiguous of transpose": lambda m: m.transpose(2, 3).contiguous(),
        "clone to contiguous": lambda m: m.transpose(2, 3).clone(
            memory_format=FORMATS["contiguous"][0 if m is t else 1]),
    }
    for name, make in cases.items():
        tt, nn_ = make(t), make(n)
        assert nn_.stride() == tt.stride(), name
        assert nn_.stride(1) == tt.stride(1) and nn_.stride(-1) == tt.stride(-1), name
        _formats(tt, nn_, name)
        np.testing.assert_array_equal(nn_.numpy(), tt.numpy())


def test_memory_format_errors_and_names():
    x = npgrad.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match="rank 4"):
        x.contiguous(memory_format=npgrad.channels_last)
    with pytest.raises(RuntimeError, match="rank 4"):
        torch.zeros(2, 3, 4).contiguous(memory_format=torch.channels_last)
    with pytest.raises(TypeError, match="memory_format"):
        npgrad.zeros(2, 3, 4, 5).to(memory_format="channels_last")
    with pytest.raises(IndexError, match="stride"):
        x.stride(3)
    assert repr(npgrad.channels_last) == "npgrad.channels_last"


def _spatial_ops(lib):
    F = lib.nn.functional
    g = torch.Generator().manual_seed(0)
    w = torch.randn(6, 4, 3, 3, generator=g).numpy()
    wt = torch.randn(4, 5, 3, 3, generator=g).numpy()
    b = torch.randn(6, generator=g).numpy()
    W, WT, B = (lib.tensor(v) for v in (w, wt, b))
    return {
        "conv2d": lambda x: F.conv2d(x, W, B),
        "conv2d padded": lambda x: F.conv2d(x, W, B, padding=1),
        "conv2d strided": lambda x: F.conv2d(x, W, None, stride=2),
        "max_pool2d": lambda x: F.max_pool2d(x, 2),
        "max_pool2d padded": lambda x: F.max_pool2d(x, 3, 2, 1),
        "avg_pool2d": lambda x: F.avg_pool2d(x, 2),
        "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
        "conv_transpose2d": lambda x: F.conv_transpose2d(x, WT, None, stride=2),
        "conv, relu, pool": lambda x: F.max_pool2d(F.relu(F.conv2d(x, W, B)), 2),
    }


@pytest.mark.parametrize("mode", ["reference", "numpy", "compiled"])
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", list(_spatial_ops(npgrad)))
def test_spatial_ops_keep_the_input_memory_format_like_torch(mode, fmt, name):
    if mode == "compiled":
        pytest.importorskip("numba", reason="the compiled kernels need the [fast] extra (numba)")
    x = np.random.default_rng(1).standard_normal((3, 4, 10, 9)).astype(np.float32)
    tx, nx = _pair(x, fmt, requires_grad=True)
    with _fast.using(mode):
        nout = _spatial_ops(npgrad)[name](nx)
        tout = _spatial_ops(torch)[name](tx)
        _formats(tout, nout, f"{name} output")
        np.testing.assert_allclose(nout.detach().numpy(), tout.detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
        gout = np.random.default_rng(2).standard_normal(tuple(tout.shape)).astype(np.float32)
        nout.backward(npgrad.tensor(gout))
        tout.backward(torch.tensor(gout))
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    if "padded" not in name:  # a padded op's input gradient is a window of a bigger buffer
        _formats(tx.grad, nx.grad, f"{name} input gradient")


@pytest.mark.parametrize("mode", ["reference", "numpy"])
def test_view_after_a_conv_and_pool_works_as_in_the_tutorials(mode):
    """``x.view(N, -1)`` after conv/pool needs an NCHW-contiguous output, as in PyTorch."""
    with _fast.using(mode):
        net = npgrad.nn.Sequential(npgrad.nn.Conv2d(1, 4, 3), npgrad.nn.ReLU(),
                                   npgrad.nn.MaxPool2d(2))
        out = net(npgrad.randn(5, 1, 12, 12))
        flat = out.view(5, -1)
        assert flat.shape == (5, 4 * 5 * 5)
        assert np.shares_memory(flat.detach().numpy(), out.detach().numpy())


VIEW_CASES = {
    "transpose flattened": lambda m: m.t().view(-1),
    "transpose, same shape": lambda m: m.t().view(4, 3),
    "transpose, first dim split": lambda m: m.t().view(2, 2, 3),
    "transpose, unsqueezed": lambda m: m.t().view(4, 1, 3),
    "column slice, unsqueezed": lambda m: m[:, :2].view(3, 2, 1),
    "column slice flattened": lambda m: m[:, :2].view(6),
    "row slice flattened": lambda m: m[1:].view(-1),
    "every other row": lambda m: m[::2].view(2, 2, 2),
    "every other column flattened": lambda m: m[:, ::2].view(-1),
    "view_as after transpose": lambda m: m.t().view_as(m.reshape(12)),
    "channels-last flattened": lambda m: m.reshape(1, 3, 2, 2).permute(0, 2, 3, 1).view(1, -1),
    "contiguous first": lambda m: m.t().contiguous().view(-1),
}


@pytest.mark.parametrize("name", list(VIEW_CASES))
def test_view_raises_exactly_where_torch_raises_and_else_shares_memory(name):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t, n = torch.tensor(a), npgrad.tensor(a)
    try:
        expected = VIEW_CASES[name](t)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="view: size .* Use .reshape"):
            VIEW_CASES[name](n)
        return
    got = VIEW_CASES[name](n)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    assert got.stride() == expected.stride()
    if name != "contiguous first":  # a view writes through to the tensor it views
        got.fill_(-1)
        expected.fill_(-1)
        np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_module_to_channels_last_lays_out_4d_parameters_like_torch():
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    nm = npgrad.nn.Sequential(npgrad.nn.Conv2d(3, 4, 3), npgrad.nn.Flatten(),
                              npgrad.nn.Linear(4, 2))
    nm.load_state_dict({k: npgrad.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    weight = nm[0].weight
    assert nm.to(memory_format=npgrad.channels_last) is nm
    tm.to(memory_format=torch.channels_last)
    assert nm[0].weight is weight  # the same Parameter, its memory laid out anew
    for (name, tp), np_ in zip(tm.named_parameters(), nm.parameters()):
        assert np_.stride() == tp.stride(), name
        _formats(tp, np_, name)
    x = np.random.default_rng(3).standard_normal((2, 3, 3, 3)).astype(np.float32)
    tx, nx = _pair(x, "channels_last")
    np.testing.assert_allclose(nm(nx).detach().numpy(), tm(tx).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    # an NCHW input through channels-last weights: PyTorch's conv answers channels-last
    tx, nx = _pair(x, "contiguous")
    for mode in ("reference", "numpy"):
        with _fast.using(mode):
            _formats(tm[0](tx), nm[0](nx), f"conv output ({mode})")
    with pytest.raises(TypeError, match="memory_format"):
        nm.to(memory_format="channels_last")
