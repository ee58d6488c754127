"""Recurrent layers and packed sequences against PyTorch: the same weights (torch's state_dict
loaded into npgrad), the same input, then outputs, final states and every gradient compared,
in float32 and float64; gradcheck in float64; the errors; nn.utils.rnn."""
import numpy as np
import pytest
import torch

import npgrad
from npgrad.autograd.gradcheck import gradcheck
from npgrad.nn.utils import rnn as nrnn

from conftest import assert_same, pair

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: {}}


def twins(cls, *args, dtype=np.float64, **kwargs):
    """The same layer in torch and npgrad, npgrad loaded with torch's weights."""
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    theirs = theirs.double() if dtype == np.float64 else theirs
    ours = getattr(npgrad.nn, cls)(*args, **kwargs)
    ours = ours.double() if dtype == np.float64 else ours
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _loss(out, state):
    """A loss that weighs every output differently, so no gradient is trivially uniform."""
    states = state if isinstance(state, tuple) else (state,)
    total = (out * out).sum()
    for k, s in enumerate(states):
        total = total + (s * (k + 2)).sum() + (s * s).sum()
    return total


def compare_grads(ours, theirs, inputs, dtype):
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_same(p.grad, tp[name].grad, f"grad of {name}", **TOL[dtype])
    for k, (a, b) in enumerate(inputs):
        assert_same(a.grad, b.grad, f"grad of input {k}", **TOL[dtype])


CONFIGS = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu")),
    ("RNN", dict(bias=False, num_layers=2)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=3)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(bias=False, batch_first=True)),
    ("GRU", {}),
    ("GRU", dict(num_layers=3, bidirectional=True)),
    ("GRU", dict(batch_first=True, bias=False)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls,kwargs", CONFIGS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_layer_matches_torch(cls, kwargs, dtype, with_h0):
    rng = np.random.default_rng(0)
    ours, theirs = twins(cls, 5, 6, dtype=dtype, **kwargs)
    T, B = 7, 3
    shape = (B, T, 5) if kwargs.get("batch_first") else (T, B, 5)
    x, tx = pair(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    inputs = [(x, tx)]
    args_ours, args_theirs = [x], [tx]
    if with_h0:
        D = 2 if kwargs.get("bidirectional") else 1
        L = kwargs.get("num_layers", 1)
        hsize = kwargs.get("proj_size") or 6
        h0 = pair(rng.standard_normal((L * D, B, hsize)).astype(dtype), requires_grad=True)
        inputs.append(h0)
        if cls == "LSTM":
            c0 = pair(rng.standard_normal((L * D, B, 6)).astype(dtype), requires_grad=True)
            inputs.append(c0)
            args_ours.append((h0[0], c0[0]))
            args_theirs.append((h0[1], c0[1]))
        else:
            args_ours.append(h0[0])
            args_theirs.append(h0[1])
    out, state = ours(*args_ours)
    tout, tstate = theirs(*args_theirs)
    assert_same(out, tout, "output", **TOL[dtype])
    states = state if cls == "LSTM" else (state,)
    tstates = tstate if cls == "LSTM" else (tstate,)
    for s, ts in zip(states, tstates):
        assert_same(s, ts, "final state", **TOL[dtype])
    _loss(out, state).backward()
    _loss(tout, tstate).backward()
    compare_grads(ours, theirs, inputs, dtype)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(cls):
    rng = np.random.default_rng(1)
    ours, theirs = twins(cls, 4, 5, num_layers=2)
    x, tx = pair(rng.standard_normal((6, 4)), requires_grad=True)
    h = pair(rng.standard_normal((2, 5)), requires_grad=True)
    if cls == "LSTM":
        c = pair(rng.standard_normal((2, 5)), requires_grad=True)
        out, state = ours(x, (h[0], c[0]))
        tout, tstate = theirs(tx, (h[1], c[1]))
    else:
        out, state = ours(x, h[0])
        tout, tstate = theirs(tx, h[1])
    assert_same(out, tout, "unbatched output")
    _loss(out, state).backward()
    _loss(tout, tstate).backward()
    compare_grads(ours, theirs, [(x, tx), h], np.float64)


def test_parameter_names_shapes_order_and_init():
    ours = npgrad.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=4)
    theirs = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=4)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    bound = 1 / np.sqrt(8)
    for _, p in ours.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound and a.std() > bound / 4
    assert repr(ours) == repr(theirs)
    assert repr(npgrad.nn.RNN(2, 3, nonlinearity="relu", batch_first=True)) == repr(
        torch.nn.RNN(2, 3, nonlinearity="relu", batch_first=True))
    assert list(npgrad.nn.GRU(2, 3).state_dict()) == list(torch.nn.GRU(2, 3).state_dict())


def test_positional_arguments_as_torch():
    ours = npgrad.nn.LSTM(3, 4, 2, False, True)
    assert (ours.num_layers, ours.bias, ours.batch_first) == (2, False, True)
    r = npgrad.nn.RNN(3, 4, 1, "relu")
    assert r.nonlinearity == "relu"


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_only_in_training(cls):
    rng = np.random.default_rng(2)
    ours, theirs = twins(cls, 3, 4, num_layers=2, dropout=0.5)
    x, tx = pair(rng.standard_normal((5, 2, 3)))
    ours.eval()
    theirs.eval()
    assert_same(ours(x)[0], theirs(tx)[0], "eval output with dropout")
    ours.train()
    npgrad.manual_seed(0)
    a = ours(x)[0].detach().numpy()
    b = ours(x)[0].detach().numpy()
    assert not np.allclose(a, b), "dropout between layers had no effect in training"


@pytest.mark.parametrize("cls,kwargs", [
    ("RNN", dict(num_layers=2)),
    ("LSTM", dict(proj_size=2, bidirectional=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
])
def test_gradcheck_float64(cls, kwargs):
    rng = np.random.default_rng(3)
    layer = getattr(npgrad.nn, cls)(3, 3, **kwargs).double()
    x = npgrad.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    params = list(layer.parameters())

    def f(x, *ps):
        out, state = layer(x)
        states = state if isinstance(state, tuple) else (state,)
        return (out * out).sum() + sum((s * s).sum() for s in states)

    assert gradcheck(f, (x, *params))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(cls, dtype, batched):
    rng = np.random.default_rng(4)
    ours, theirs = twins(cls, 4, 5, dtype=dtype)
    shape = (3, 4) if batched else (4,)
    hshape = (3, 5) if batched else (5,)
    x = pair(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    h = pair(rng.standard_normal(hshape).astype(dtype), requires_grad=True)
    inputs = [x, h]
    if cls == "LSTMCell":
        c = pair(rng.standard_normal(hshape).astype(dtype), requires_grad=True)
        inputs.append(c)
        out, tout = ours(x[0], (h[0], c[0])), theirs(x[1], (h[1], c[1]))
    else:
        out, tout = ours(x[0], h[0]), theirs(x[1], h[1])
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, tuple) else (tout,)
    for a, b in zip(outs, touts):
        assert_same(a, b, f"{cls} output", **TOL[dtype])
    _loss(outs[0], tuple(outs[1:]) or outs[0]).backward()
    _loss(touts[0], tuple(touts[1:]) or touts[0]).backward()
    compare_grads(ours, theirs, inputs, dtype)
    # no state given: zeros
    outs0 = ours(x[0])
    touts0 = theirs(x[1])
    a = outs0[0] if isinstance(outs0, tuple) else outs0
    b = touts0[0] if isinstance(touts0, tuple) else touts0
    assert_same(a, b, f"{cls} from zero state", **TOL[dtype])


def test_cell_gradcheck():
    rng = np.random.default_rng(5)
    for cls in ("RNNCell", "LSTMCell", "GRUCell"):
        cell = getattr(npgrad.nn, cls)(3, 2).double()
        x = npgrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)

        def f(x, *ps):
            out = cell(x)
            out = out if isinstance(out, tuple) else (out,)
            return sum((o * o).sum() for o in out)

        assert gradcheck(f, (x, *cell.parameters())), cls


# ---------------------------------------------------------------------- errors
def test_errors_name_layer_and_shapes():
    lstm = npgrad.nn.LSTM(4, 5, num_layers=2)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. Expected 4, got 3"):
        lstm(npgrad.zeros(6, 2, 3))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 2, 5\), got \[1, 2, 5\]"):
        lstm(npgrad.zeros(6, 2, 4), (npgrad.zeros(1, 2, 5), npgrad.zeros(2, 2, 5)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 2, 5\), got \[2, 2, 4\]"):
        lstm(npgrad.zeros(6, 2, 4), (npgrad.zeros(2, 2, 5), npgrad.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(npgrad.zeros(6, 2, 4, 1))
    with pytest.raises(RuntimeError, match=r"For batched 3-D input, hx and cx should also be 3-D"):
        lstm(npgrad.zeros(6, 2, 4), (npgrad.zeros(2, 5), npgrad.zeros(2, 5)))
    gru = npgrad.nn.GRU(4, 5)
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 3, 5\), got \[1, 2, 5\]"):
        gru(npgrad.zeros(6, 3, 4), npgrad.zeros(1, 2, 5))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        npgrad.nn.LSTM(4, 5, proj_size=5)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        npgrad.nn.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match=r"LSTMCell: input has inconsistent input_size: got 3 expected 4"):
        npgrad.nn.LSTMCell(4, 5)(npgrad.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"GRUCell: hidden0 has inconsistent shape \(2, 4\)"):
        npgrad.nn.GRUCell(4, 5)(npgrad.zeros(2, 4), npgrad.zeros(2, 4))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        npgrad.nn.GRU(4, 5, dropout=0.2)


# ---------------------------------------------------------------------- packed sequences
LENGTHS = [5, 2, 7, 3]


def _padded_pair(rng, dtype=np.float64, batch_first=False, features=3):
    T, B = max(LENGTHS), len(LENGTHS)
    shape = (B, T, features) if batch_first else (T, B, features)
    return pair(rng.standard_normal(shape).astype(dtype), requires_grad=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_round_trip_match_torch(batch_first, enforce_sorted):
    rng = np.random.default_rng(6)
    x, tx = _padded_pair(rng, batch_first=batch_first)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    p = nrnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=batch_first,
                                                 enforce_sorted=enforce_sorted)
    assert_same(p.data, tp.data, "packed data")
    assert_same(p.batch_sizes, tp.batch_sizes, "batch_sizes")
    if enforce_sorted:
        assert p.sorted_indices is None and p.unsorted_indices is None
    else:
        assert_same(p.sorted_indices, tp.sorted_indices, "sorted_indices")
        assert_same(p.unsorted_indices, tp.unsorted_indices, "unsorted_indices")
    padded, lens = nrnn.pad_packed_sequence(p, batch_first=batch_first, padding_value=-1.5,
                                            total_length=9)
    tpadded, tlens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=batch_first,
                                                             padding_value=-1.5, total_length=9)
    assert_same(padded, tpadded, "padded")
    assert_same(lens, tlens, "lengths")
    w = rng.standard_normal(tuple(padded.shape))
    (padded * npgrad.tensor(w)).sum().backward()
    (tpadded * torch.tensor(w)).sum().backward()
    assert_same(x.grad, tx.grad, "gradient through pack and pad")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(7)
    seqs = [pair(rng.standard_normal((n, 2)), requires_grad=True) for n in LENGTHS]
    out = nrnn.pad_sequence([s[0] for s in seqs], batch_first=batch_first, padding_value=3.0,
                            padding_side=side)
    tout = torch.nn.utils.rnn.pad_sequence([s[1] for s in seqs], batch_first=batch_first,
                                           padding_value=3.0, padding_side=side)
    assert_same(out, tout, "pad_sequence")
    w = rng.standard_normal(tuple(out.shape))
    (out * npgrad.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for k, (a, b) in enumerate(seqs):
        assert_same(a.grad, b.grad, f"grad of sequence {k}")


def test_pack_sequence_and_unpack():
    rng = np.random.default_rng(8)
    seqs = [pair(rng.standard_normal((n, 2))) for n in LENGTHS]
    p = nrnn.pack_sequence([s[0] for s in seqs], enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([s[1] for s in seqs], enforce_sorted=False)
    assert_same(p.data, tp.data, "pack_sequence data")
    for a, (_, b) in zip(nrnn.unpack_sequence(p), seqs):
        assert_same(a, b, "unpack_sequence")
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        nrnn.pack_sequence([s[0] for s in seqs])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls,kwargs", [
    ("RNN", dict(num_layers=2)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, bidirectional=True)),
    ("GRU", dict(bidirectional=True)),
])
def test_layers_accept_and_return_packed(cls, kwargs, dtype):
    rng = np.random.default_rng(9)
    ours, theirs = twins(cls, 3, 4, dtype=dtype, **kwargs)
    x, tx = _padded_pair(rng, dtype=dtype)
    p = nrnn.pack_padded_sequence(x, LENGTHS, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(LENGTHS), enforce_sorted=False)
    D = 2 if kwargs.get("bidirectional") else 1
    L = kwargs.get("num_layers", 1)
    h0 = pair(rng.standard_normal((L * D, 4, kwargs.get("proj_size") or 4)).astype(dtype),
              requires_grad=True)
    inputs = [(x, tx), h0]
    if cls == "LSTM":
        c0 = pair(rng.standard_normal((L * D, 4, 4)).astype(dtype), requires_grad=True)
        inputs.append(c0)
        out, state = ours(p, (h0[0], c0[0]))
        tout, tstate = theirs(tp, (h0[1], c0[1]))
    else:
        out, state = ours(p, h0[0])
        tout, tstate = theirs(tp, h0[1])
    assert isinstance(out, nrnn.PackedSequence)
    assert_same(out.data, tout.data, "packed output", **TOL[dtype])
    assert_same(out.batch_sizes, tout.batch_sizes, "output batch_sizes")
    states = state if cls == "LSTM" else (state,)
    tstates = tstate if cls == "LSTM" else (tstate,)
    for s, ts in zip(states, tstates):
        assert_same(s, ts, "final state of packed input", **TOL[dtype])
    padded, _ = nrnn.pad_packed_sequence(out)
    tpadded, _ = torch.nn.utils.rnn.pad_packed_sequence(tout)
    _loss(padded, state).backward()
    _loss(tpadded, tstate).backward()
    compare_grads(ours, theirs, inputs, dtype)


def test_module_paths():
    from npgrad.nn.modules.rnn import GRU, LSTM, RNN, RNNBase  # noqa: F401
    from npgrad.nn.utils.rnn import PackedSequence  # noqa: F401
    assert npgrad.nn.utils.rnn.pad_sequence is nrnn.pad_sequence
    assert isinstance(npgrad.nn.LSTM(2, 3), npgrad.nn.modules.rnn.RNNBase)
    npgrad.nn.LSTM(2, 3).flatten_parameters()


def test_input_dtype_must_match_weights():
    with pytest.raises(RuntimeError, match=r"LSTM: input must have the type npgrad.float32, got type npgrad.float64"):
        npgrad.nn.LSTM(3, 4)(npgrad.zeros(2, 1, 3, dtype=npgrad.float64))
    with pytest.raises(RuntimeError, match=r"GRUCell: input must have the type npgrad.float64"):
        npgrad.nn.GRUCell(3, 4).double()(npgrad.zeros(2, 3))


def test_hidden_dtype_must_match_input():
    with pytest.raises(RuntimeError, match=r"GRU: Input and hidden tensors are not the same dtype"):
        npgrad.nn.GRU(3, 4)(npgrad.zeros(2, 1, 3), npgrad.zeros(1, 1, 4, dtype=npgrad.float64))
    with pytest.raises(RuntimeError, match=r"LSTMCell: hidden1 has dtype npgrad.float64"):
        npgrad.nn.LSTMCell(3, 4)(npgrad.zeros(2, 3),
                                 (npgrad.zeros(2, 4), npgrad.zeros(2, 4, dtype=npgrad.float64)))


@pytest.mark.parametrize("shape", [(8, 3), (3, 8), (4, 2, 3)])
def test_orthogonal_init(shape):
    """nn.init.orthogonal_, the usual init of recurrent weights: (semi-)orthogonal times gain,
    as torch's (whose draws differ, so the property is what is compared)."""
    ours = npgrad.empty(*shape)
    npgrad.nn.init.orthogonal_(ours, gain=2.0)
    theirs = torch.empty(*shape)
    torch.nn.init.orthogonal_(theirs, gain=2.0)
    for t in (ours.detach().numpy(), theirs.numpy()):
        m = t.reshape(shape[0], -1)
        small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-5)
    assert ours.dtype == npgrad.float32
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        npgrad.nn.init.orthogonal_(npgrad.empty(3))
    lstm = npgrad.nn.LSTM(3, 4)
    for name, p in lstm.named_parameters():  # the idiom of RNN programs
        if "weight_hh" in name:
            npgrad.nn.init.orthogonal_(p)
