"""npgrad.save / npgrad.load: safetensors files that PyTorch reads and writes, nested
checkpoints that come back with their types, atomic writes, and loud refusal of anything
that is not a valid checkpoint (pickles above all: loading never runs code)."""
import io
import json
import math
import os
from collections import OrderedDict

import numpy as np
import pytest
import safetensors
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import npgrad
from npgrad.serialization import safetensors as serialization


def build(lib):
    """The same architecture in both libraries: Linear, BatchNorm1d (with buffers), ReLU,
    and a nested Sequential."""
    nn = lib.nn
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Sequential(nn.Linear(8, 4), nn.Tanh()), nn.Linear(4, 3))


def train_a_little(model, lib):
    """Move the weights and the BatchNorm statistics away from their initial values."""
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.tensor(np.random.default_rng(0).standard_normal((16, 5)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()


def files_in(folder):
    return sorted(os.listdir(folder))


# ============================================================================ interop


def test_npgrad_weights_load_into_torch(tmp_path):
    ours = build(npgrad)
    train_a_little(ours, npgrad)
    path = tmp_path / "model.safetensors"
    npgrad.save(ours.state_dict(), path)

    theirs = build(torch)
    theirs.load_state_dict(safetensors.torch.load_file(path), strict=True)
    for (name, a), (tname, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert name == tname
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(npgrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_weights_load_into_npgrad(tmp_path):
    theirs = build(torch)
    train_a_little(theirs, torch)
    path = tmp_path / "from_torch.safetensors"
    safetensors.torch.save_file(theirs.state_dict(), path)

    loaded = npgrad.load(path)
    assert isinstance(loaded, OrderedDict)
    assert all(isinstance(v, npgrad.Tensor) for v in loaded.values())
    ours = build(npgrad)
    ours.load_state_dict(loaded, strict=True)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(npgrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_keeps_order_dtype_and_type(tmp_path):
    model = build(npgrad)
    sd = model.state_dict()
    npgrad.save(sd, tmp_path / "m.safetensors")
    back = npgrad.load(tmp_path / "m.safetensors")
    assert type(back) is type(sd) and list(back) == list(sd)
    for k in sd:
        assert back[k].dtype == sd[k].dtype and back[k].shape == sd[k].shape
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())
        assert back[k]._data is not sd[k]._data and back[k]._data.flags.writeable
    assert back["1.num_batches_tracked"].dtype == npgrad.int64


def test_files_are_valid_for_the_reference_implementation(tmp_path):
    """The safetensors library itself opens npgrad's files, nested ones included, and sees
    the same tensors; the data section starts 8-byte aligned as the format recommends."""
    checkpoint = {"model": build(npgrad).state_dict(), "epoch": 3,
                  "extra": [npgrad.arange(6).reshape(2, 3).T, np.float64(0.5)]}
    path = tmp_path / "c.safetensors"
    npgrad.save(checkpoint, path)
    with safetensors.safe_open(str(path), framework="np") as f:
        names = set(f.keys())
        assert {"model.0.weight", "model.1.running_mean", "extra.0", "extra.1"} <= names
        np.testing.assert_array_equal(f.get_tensor("extra.0"), np.arange(6).reshape(2, 3).T)
        assert f.metadata()["format"] == "pt"
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    assert header_len % 8 == 0


# ============================================================================ structure


def test_nested_checkpoint_round_trip(tmp_path):
    """A training checkpoint: model, optimizer (int keys, tuples, None, bools), epoch,
    numbers of every kind; everything comes back with its type, and training resumes."""
    model = build(npgrad)
    opt = npgrad.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    train_a_little(model, npgrad)
    opt.step()
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
                  "best": math.inf, "worst": -math.inf, "nan": math.nan, "name": "run-7",
                  "flags": (True, False, None), "history": [0.5, 0.25, 1e-300],
                  "big": 2**70, "empty": {}, "nothing": [], ("a", 1): "tuple key",
                  1.5: "float key", None: "none key"}
    path = tmp_path / "ckpt.safetensors"
    npgrad.save(checkpoint, path)
    back = npgrad.load(path)

    assert list(back) == list(checkpoint)
    for key in ("epoch", "best", "worst", "name", "flags", "history", "big", "empty",
                "nothing", ("a", 1), 1.5, None):
        assert back[key] == checkpoint[key] and type(back[key]) is type(checkpoint[key]), key
    assert math.isnan(back["nan"])
    osd, sd = back["optimizer"], opt.state_dict()
    assert osd["param_groups"] == sd["param_groups"]
    assert isinstance(osd["param_groups"][0]["betas"], tuple)
    assert list(osd["state"]) == list(sd["state"]) and all(isinstance(k, int) for k in osd["state"])
    for i, state in sd["state"].items():
        for k, v in state.items():
            assert osd["state"][i][k].dtype == v.dtype and osd["state"][i][k].shape == v.shape
            np.testing.assert_array_equal(osd["state"][i][k].numpy(), v.numpy())

    # resume: fresh model and optimizer, one more step each, identical results
    model2 = build(npgrad)
    model2.load_state_dict(back["model"])
    opt2 = npgrad.optim.Adam(model2.parameters())
    opt2.load_state_dict(back["optimizer"])
    train_a_little(model, npgrad)  # uses its own SGD; then one Adam step from the same grads
    train_a_little(model2, npgrad)
    opt.step()
    opt2.step()
    for a, b in zip(model.state_dict().values(), model2.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_details_survive(tmp_path):
    """Every dtype, 0-d, empty, non-contiguous and big-endian arrays, requires_grad, a
    tensor stored twice (tied weights) coming back as one object, NumPy values."""
    shared = npgrad.randn(3)
    obj = {
        "dtypes": [npgrad.tensor(np.arange(4).astype(d)) for d in
                   ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                    "uint8", "bool")],
        "scalar": npgrad.tensor(2.5),
        "empty": npgrad.zeros(0, 3),
        "transposed": npgrad.arange(12.0).reshape(3, 4).T,
        "leaf": npgrad.ones(2, requires_grad=True),
        "tied": [shared, shared],
        "numpy": np.arange(6, dtype=">i4").reshape(2, 3),
        "np_scalars": [np.float32(1.25), np.int64(7), np.bool_(True)],
    }
    npgrad.save(obj, tmp_path / "t.safetensors")
    back = npgrad.load(tmp_path / "t.safetensors")
    for a, b in zip(back["dtypes"], obj["dtypes"]):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert back["scalar"].shape == () and back["scalar"].item() == 2.5
    assert back["empty"].shape == (0, 3)
    np.testing.assert_array_equal(back["transposed"].numpy(), obj["transposed"].numpy())
    assert back["leaf"].requires_grad and not back["scalar"].requires_grad
    assert back["tied"][0] is back["tied"][1]
    assert isinstance(back["numpy"], np.ndarray) and back["numpy"].dtype.isnative
    np.testing.assert_array_equal(back["numpy"], obj["numpy"])
    for a, b in zip(back["np_scalars"], obj["np_scalars"]):
        assert type(a) is type(b) and a == b


def test_single_tensor_and_file_objects():
    buf = io.BytesIO()
    t = npgrad.randn(2, 3)
    npgrad.save(t, buf)
    buf.seek(0)
    back = npgrad.load(buf)
    assert isinstance(back, npgrad.Tensor)
    np.testing.assert_array_equal(back.numpy(), t.numpy())


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(),
                      st.text(max_size=8))
structures = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-5, 5)), children, max_size=4),
    ),
    max_leaves=12,
)


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return (type(a) is type(b) and list(a) == list(b)
                and all(_same(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None)
@given(structures)
def test_any_plain_structure_round_trips(obj):
    buf = io.BytesIO()
    npgrad.save({"x": obj, "w": npgrad.ones(1)}, buf)
    buf.seek(0)
    assert _same(npgrad.load(buf)["x"], obj)


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    for bad, where in [({"f": lambda: 1}, "obj['f']"), ({"a": [1, {2, 3}]}, "obj['a'][1]"),
                       ({"m": build(npgrad)}, "obj['m']"), ({object(): 1}, "obj")]:
        with pytest.raises(TypeError, match="npgrad.save") as info:
            npgrad.save(bad, path)
        assert where in str(info.value)
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match=r"obj\['a'\]\[0\] contains itself"):
        npgrad.save(loop, path)
    with pytest.raises(TypeError, match=r"save its .state_dict\(\) instead"):
        npgrad.save(build(npgrad), path)
    assert files_in(tmp_path) == []
    with pytest.raises(TypeError, match="pickle"):
        npgrad.save({}, path, pickle_protocol=4)


# ============================================================================ atomicity


def test_crash_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    npgrad.save({"w": npgrad.ones(100), "b": npgrad.zeros(3)}, path)
    before = path.read_bytes()
    (tmp_path / "neighbour.txt").write_text("untouched")

    calls = []
    real_write = serialization._write_array

    def crash_after_one(f, arr):
        if calls:
            raise OSError("disk full (simulated)")
        calls.append(1)
        real_write(f, arr)

    monkeypatch.setattr(serialization, "_write_array", crash_after_one)
    with pytest.raises(OSError, match="simulated"):
        npgrad.save({"w": npgrad.full((100,), 7.0), "b": npgrad.ones(3)}, path)
    assert calls, "the crash must happen halfway, after some bytes were written"
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["ckpt.safetensors", "neighbour.txt"]

    # an interrupt (Ctrl-C) is cleaned up the same way
    def interrupt(f, arr):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", interrupt)
    with pytest.raises(KeyboardInterrupt):
        npgrad.save({"w": npgrad.ones(2)}, path)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["ckpt.safetensors", "neighbour.txt"]

    monkeypatch.setattr(serialization, "_write_array", real_write)
    npgrad.save({"w": npgrad.full((2,), 7.0)}, path)  # and a good save replaces it
    assert npgrad.load(path)["w"].tolist() == [7.0, 7.0]
    assert files_in(tmp_path) == ["ckpt.safetensors", "neighbour.txt"]


def test_saved_file_gets_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        npgrad.save({"w": npgrad.ones(1)}, tmp_path / "p.safetensors")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "p.safetensors").st_mode & 0o777 == 0o644


# ============================================================================ validation


def valid_bytes():
    buf = io.BytesIO()
    npgrad.save(OrderedDict([("a", npgrad.arange(6.0).reshape(2, 3)), ("b", npgrad.ones(2))]), buf)
    return buf.getvalue()


def with_header(header, data=b"\0" * 32):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CORRUPT = {
    "empty file": (b"", "too short"),
    "five bytes": (b"\x01\x02\x03\x04\x05", "too short"),
    "header longer than file": ((10**6).to_bytes(8, "little") + b"{}", "header length"),
    "absurd header length": ((2**62).to_bytes(8, "little") + b"{}" * 8, "header length"),
    "header not json": ((9).to_bytes(8, "little") + b"not json!", "not valid UTF-8 JSON"),
    "header not utf-8": ((4).to_bytes(8, "little") + b"\xff\xfe{}", "not valid UTF-8 JSON"),
    "header is a list": (with_header([1, 2], b""), "expected an object"),
    "unknown dtype": (with_header({"a": entry("F12")}, b"\0" * 8), "unknown dtype 'F12'"),
    "bfloat16": (with_header({"a": entry("BF16", (4,))}, b"\0" * 8), "BF16"),
    "negative shape": (with_header({"a": entry(shape=(-2,))}, b"\0" * 8), "shape"),
    "missing field": (with_header({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
                      "data_offsets"),
    "offsets reversed": (with_header({"a": entry(offsets=(8, 0))}, b"\0" * 8), "data_offsets"),
    "size mismatch": (with_header({"a": entry(shape=(3,))}, b"\0" * 8), "needs 12 bytes"),
    "out of range": (with_header({"a": entry(offsets=(24, 32))}, b"\0" * 8), "unaccounted"),
    "past the end": (with_header({"a": entry(), "b": entry(offsets=(8, 16))}, b"\0" * 12),
                     "truncated"),
    "overlap": (with_header({"a": entry(shape=(3,), offsets=(0, 12)),
                             "b": entry(offsets=(8, 16))}, b"\0" * 16), "overlaps"),
    "trailing bytes": (with_header({"a": entry()}, b"\0" * 12), "longer than its header"),
    "bad metadata": (with_header({"__metadata__": {"k": 1}}, b""), "__metadata__"),
    "bad structure": (with_header({"__metadata__": {"npgrad": "{oops"}}, b""), "structure"),
    "dangling reference": (with_header({"__metadata__": {"npgrad": json.dumps(
        {"version": 1, "root": {"tensor": "ghost"}})}}, b""), "'ghost'"),
    "unknown node": (with_header({"__metadata__": {"npgrad": json.dumps(
        {"version": 1, "root": {"object": "os.system"}})}}, b""), "unknown node"),
    "truncated file": (valid_bytes()[:-5], "truncated"),
    "truncated header": (valid_bytes()[:20], "header length"),
}


@pytest.mark.parametrize("name", list(CORRUPT))
def test_invalid_files_raise_a_clear_error_and_change_nothing(name, tmp_path):
    content, expected = CORRUPT[name]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    stamp = os.stat(path).st_mtime_ns
    with pytest.raises(ValueError) as info:
        npgrad.load(path)
    message = str(info.value)
    assert str(path) in message and "not a valid checkpoint" in message
    assert expected in message, message
    assert path.read_bytes() == content and os.stat(path).st_mtime_ns == stamp
    assert files_in(tmp_path) == ["bad.safetensors"]


def test_the_reference_implementation_agrees_they_are_invalid(tmp_path):
    """Our verdicts on the format-level corruptions match the safetensors library's."""
    for name in ("header longer than file", "header not json", "size mismatch", "overlap",
                 "past the end", "trailing bytes", "truncated file", "unknown dtype"):
        path = tmp_path / "bad.safetensors"
        path.write_bytes(CORRUPT[name][0])
        with pytest.raises(Exception):
            with safetensors.safe_open(str(path), framework="np") as f:
                [f.get_tensor(k) for k in f.keys()]


def test_a_bare_pickle_is_refused_without_unpickling(tmp_path):
    import pickle

    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    with pytest.raises(npgrad.serialization.CheckpointError, match="bare Python pickle") as info:
        npgrad.load(path)
    assert str(path) in str(info.value)


def test_a_malicious_pickle_does_not_run(tmp_path):
    """A hand-assembled pickle whose loading would call exec() and create a file."""
    marker = tmp_path / "pwned"
    code = f"open({str(marker)!r}, 'w').write('x')".encode()
    payload = (b"\x80\x02" + b"cbuiltins\nexec\n" + b"X" + len(code).to_bytes(4, "little")
               + code + b"\x85R.")
    path = tmp_path / "evil.pkl"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="pickle"):
        npgrad.load(path)
    with pytest.raises(ValueError, match="pickle"):
        npgrad.load(path, weights_only=False)  # a bare pickle is never unpickled at all
    assert not marker.exists()


def test_torch_load_keywords_are_accepted(tmp_path):
    path = tmp_path / "w.safetensors"
    npgrad.save({"w": npgrad.ones(2)}, path)
    for kw in ({"map_location": "cpu"}, {"map_location": torch.device("cpu")},
               {"map_location": npgrad.device("cpu")}, {"map_location": lambda s, loc: s},
               {"weights_only": True}, {"weights_only": False, "mmap": False}):
        assert npgrad.load(path, **kw)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="CPU only"):
        npgrad.load(path, map_location="cuda:0")
    with pytest.raises(TypeError):
        npgrad.load(path, pickle_modul=None)
    with pytest.raises(TypeError):
        npgrad.load(path, pickle_module=json)
