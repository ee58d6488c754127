"""PyTorch's checkpoint format, both ways against real torch: npgrad.load reads what
torch.save writes (weights_only semantics), torch.load(weights_only=True) reads what
npgrad.save writes to .pt/.pth; whole-module saves; malicious files refused with nothing run."""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import npgrad
from npgrad.serialization import CheckpointError, WeightsOnlyError

from conftest import assert_same

DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
# layers that exist in both libraries, built with the same arguments
LAYERS = [
    ("Linear", (5, 3)), ("Conv2d", (2, 4, 3)), ("BatchNorm1d", (4,)), ("BatchNorm2d", (3,)),
    ("BatchNorm3d", (2,)), ("LayerNorm", (6,)), ("Embedding", (10, 4)), ("Sequential", None),
]


def make(lib, name, args):
    nn = lib.nn
    if name == "Sequential":
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1),
                             nn.Sequential(nn.Linear(8, 2), nn.BatchNorm1d(2)))
    return getattr(nn, name)(*args)


def randomize(model, seed):
    """Give every parameter and buffer distinct values (incl. running stats, counters)."""
    g = np.random.default_rng(seed)
    for t in model.state_dict().values():
        dtype = t.detach().numpy().dtype
        arr = (g.standard_normal(tuple(t.shape)) if dtype.kind == "f"
               else g.integers(0, 9, tuple(t.shape))).astype(dtype)
        if isinstance(t, torch.Tensor):
            with torch.no_grad():
                t.copy_(torch.from_numpy(arr))
        else:
            with npgrad.no_grad():
                t.copy_(npgrad.tensor(arr))


def same_state(ours, theirs):
    assert list(ours) == list(theirs)
    for k in ours:
        assert_same(ours[k], theirs[k], what=k)


@pytest.mark.parametrize("name,args", LAYERS, ids=[n for n, _ in LAYERS])
def test_state_dicts_of_every_layer_go_both_ways(name, args, tmp_path):
    ours, theirs = make(npgrad, name, args), make(torch, name, args)
    randomize(ours, 1)
    npgrad.save(ours.state_dict(), tmp_path / "n.pth")
    loaded = torch.load(tmp_path / "n.pth", weights_only=True)
    theirs.load_state_dict(loaded)
    same_state(ours.state_dict(), theirs.state_dict())

    randomize(theirs, 2)
    torch.save(theirs.state_dict(), tmp_path / "t.pth")
    sd = npgrad.load(tmp_path / "t.pth")
    assert isinstance(sd, OrderedDict)
    ours.load_state_dict(sd)
    same_state(ours.state_dict(), theirs.state_dict())


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizer_state_dicts_go_both_ways(opt, tmp_path):
    kw = {"SGD": dict(lr=0.1, momentum=0.9)}.get(opt, dict(lr=0.01))
    models = {}
    for lib in (npgrad, torch):
        m = make(lib, "Linear", (3, 2))
        o = getattr(lib.optim, opt)(m.parameters(), **kw)
        m(lib.ones(4, 3)).sum().backward()
        o.step()
        models[lib.__name__] = (m, o)
    (nm, no), (tm, to) = models["npgrad"], models["torch"]
    npgrad.save(no.state_dict(), tmp_path / "o.pt")
    state = torch.load(tmp_path / "o.pt", weights_only=True)
    to.load_state_dict(state)
    assert state["param_groups"][0]["params"] == [0, 1]
    torch.save(to.state_dict(), tmp_path / "t.pt")
    back = npgrad.load(tmp_path / "t.pt")
    no.load_state_dict(back)
    theirs = to.state_dict()
    for i, st in back["state"].items():
        for k, v in st.items():
            if isinstance(v, npgrad.Tensor):
                assert_same(v, theirs["state"][i][k], what=f"state {i} {k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_both_ways(dtype, tmp_path):
    g = np.random.default_rng(0)
    arr = (g.standard_normal((3, 4)) * 50).astype(dtype)
    npgrad.save({"x": npgrad.tensor(arr), "s": npgrad.tensor(arr[0, 0])}, tmp_path / "n.pt")
    got = torch.load(tmp_path / "n.pt", weights_only=True)
    assert str(got["x"].dtype) == f"torch.{dtype}" and np.array_equal(got["x"].numpy(), arr)
    assert got["s"].shape == () and got["s"].item() == arr[0, 0]
    torch.save({"x": torch.from_numpy(arr.copy())}, tmp_path / "t.pt")
    back = npgrad.load(tmp_path / "t.pt")["x"]
    assert back.dtype == getattr(npgrad, dtype) and np.array_equal(back.numpy(), arr)


def test_bfloat16_is_refused_by_name(tmp_path):
    torch.save({"x": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="BFloat16Storage"):
        npgrad.load(tmp_path / "b.pt")


def test_nested_containers_shared_storage_and_views(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"model": OrderedDict(w=base, t=base.t(), row=base[1], col=base[:, 2],
                                 step=base[::2, ::3]),
           "list": [1, 2.5, None, "s", (True, -3)], "set": {1, 2}, "bytes": b"a\xff",
           "size": torch.Size([2, 3]), "dtype": torch.float64, "nested": {"a": [{"b": (base[0],)}]}}
    torch.save(obj, tmp_path / "t.pth")
    got = npgrad.load(tmp_path / "t.pth")
    m = got["model"]
    for k in m:
        assert_same(m[k], obj["model"][k], what=k)
    assert np.shares_memory(m["t"].numpy(), m["w"].numpy())  # one storage, many views
    assert np.shares_memory(m["row"].numpy(), m["w"].numpy())
    assert got["list"] == [1, 2.5, None, "s", (True, -3)] and got["set"] == {1, 2}
    assert got["bytes"] == b"a\xff" and got["size"] == (2, 3) and got["dtype"] == npgrad.float64
    assert isinstance(got["size"], npgrad.Size)
    m["w"][0, 0] = 100.0  # writes through to the views, as in torch
    assert m["t"][0, 0].item() == 100.0

    # and back: npgrad's views become torch views of one storage
    nb = npgrad.arange(24.0).reshape(4, 6)
    npgrad.save({"w": nb, "t": nb.t(), "row": nb[1], "size": nb.shape, "dt": npgrad.int8,
                 "tup": (1, [2, {"x": None}])}, tmp_path / "n.pth")
    back = torch.load(tmp_path / "n.pth", weights_only=True)
    assert torch.equal(back["t"], base.t()) and back["t"].stride() == (1, 6)
    assert back["t"].untyped_storage().data_ptr() == back["w"].untyped_storage().data_ptr()
    assert torch.equal(back["row"], base[1]) and back["size"] == torch.Size([4, 6])
    assert back["dt"] is torch.int8 and back["tup"] == (1, [2, {"x": None}])


def test_requires_grad_and_parameters_survive(tmp_path):
    obj = {"p": torch.nn.Parameter(torch.ones(2)), "r": torch.ones(3, requires_grad=True)}
    torch.save(obj, tmp_path / "t.pt")
    got = npgrad.load(tmp_path / "t.pt")
    assert isinstance(got["p"], npgrad.nn.Parameter) and got["p"].requires_grad
    assert got["r"].requires_grad and not isinstance(got["r"], npgrad.nn.Parameter)
    npgrad.save({"p": npgrad.nn.Parameter(npgrad.ones(2))}, tmp_path / "n.pt")
    back = torch.load(tmp_path / "n.pt", weights_only=True)
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad


def test_format_rule_and_detection_by_content(tmp_path):
    sd = {"w": npgrad.ones(2)}
    for name, magic in [("a.pt", b"PK"), ("a.pth", b"PK"), ("a.bin", b"PK"), ("a.safetensors", None),
                        ("a.weights", None)]:
        npgrad.save(sd, tmp_path / name)
        head = (tmp_path / name).read_bytes()[:2]
        assert (head == b"PK") == (magic == b"PK"), name
        os.rename(tmp_path / name, tmp_path / "renamed")  # the name does not matter to load
        assert npgrad.load(tmp_path / "renamed")["w"].tolist() == [1.0, 1.0]
    buf = io.BytesIO()
    npgrad.save(sd, buf, format="torch")
    assert buf.getvalue()[:2] == b"PK"
    buf.seek(0)
    assert torch.load(buf, weights_only=True)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="format"):
        npgrad.save(sd, buf, format="onnx")


# ============================================================================ whole modules


class Net(npgrad.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = npgrad.nn.Sequential(npgrad.nn.Linear(3, 4), npgrad.nn.ReLU())
        self.head = npgrad.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x))


def test_whole_module_save_is_refused_by_default_and_loads_when_trusted(tmp_path):
    model = Net()
    path = tmp_path / "net.pt"
    npgrad.save(model, path)
    with pytest.raises(WeightsOnlyError) as info:
        npgrad.load(path)
    msg = str(info.value)
    assert msg.startswith("Weights only load failed") and "WeightsUnpickler error: Unsupported global: GLOBAL" in msg
    assert "test_serialization_torch.Net was not an allowed global" in msg and "add_safe_globals" in msg
    assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, ValueError)

    x = npgrad.randn(5, 3)
    for loaded in [npgrad.load(path, weights_only=False)]:
        assert type(loaded) is Net and np.array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
        assert isinstance(loaded.head.weight, npgrad.nn.Parameter) and loaded.head.weight.requires_grad
    from npgrad.nn.modules.activation import ReLU
    from npgrad.nn.modules.container import Sequential
    from npgrad.nn.modules.linear import Linear
    classes = [Net, Sequential, Linear, ReLU]
    with npgrad.serialization.safe_globals(classes):
        assert npgrad.serialization.get_safe_globals() == classes
        loaded = npgrad.load(path)
    assert type(loaded) is Net and np.array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    assert npgrad.serialization.get_safe_globals() == []
    npgrad.serialization.add_safe_globals(classes[:1])
    try:
        with pytest.raises(WeightsOnlyError, match="Sequential"):  # only part of it allowed
            npgrad.load(path)
    finally:
        npgrad.serialization.clear_safe_globals()
    assert npgrad.serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="state_dict"):  # .safetensors cannot hold a module
        npgrad.save(model, tmp_path / "net.safetensors")


# ============================================================================ malicious files


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def torch_zip_with_pickle(payload, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        for name, data in extra:
            z.writestr(name, data)
    return buf.getvalue()


def test_reduce_to_os_system_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    for blob in (torch_zip_with_pickle(pickle.dumps({"w": Evil(marker)}, protocol=2)),):
        path = tmp_path / "evil.pth"
        path.write_bytes(blob)
        with pytest.raises(WeightsOnlyError, match=r"GLOBAL (posix|os)\.system was not an allowed global"):
            npgrad.load(path)
        with pytest.raises(WeightsOnlyError):
            npgrad.load(path, weights_only=True)
    torch.save({"w": torch.ones(1), "x": Evil(marker)}, tmp_path / "t.pth")  # torch's own writer
    with pytest.raises(WeightsOnlyError, match="system"):
        npgrad.load(tmp_path / "t.pth")
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "getattr"),
                                         ("subprocess", "Popen"), ("torch", "load"),
                                         ("numpy", "load"), ("collections", "namedtuple")])
def test_globals_outside_the_allowlist_are_refused(module, name, tmp_path):
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    path = tmp_path / "g.pth"
    path.write_bytes(torch_zip_with_pickle(payload))
    with pytest.raises(WeightsOnlyError, match=f"GLOBAL {module}.{name} was not"):
        npgrad.load(path)


def test_build_on_a_tensor_is_refused(tmp_path):
    buf = io.BytesIO()
    npgrad.save({"w": npgrad.ones(2)}, buf, format="torch")
    raw = zipfile.ZipFile(buf).read("archive/data.pkl")
    evil = raw[:-2] + b"}X\x05\x00\x00\x00_datab" + raw[-2:]  # BUILD {_data: ...} on the tensor
    path = tmp_path / "b.pth"
    path.write_bytes(torch_zip_with_pickle(evil, [("archive/data/0", np.ones(2, np.float32).tobytes())]))
    with pytest.raises(CheckpointError):
        npgrad.load(path)


def test_path_traversal_and_zip_bombs_are_refused(tmp_path):
    ok = io.BytesIO()
    torch.save({"w": torch.ones(4)}, ok)
    good = zipfile.ZipFile(ok)
    records = {i.filename: good.read(i) for i in good.infolist()}

    def archive(rename=None, compress=None, extra=()):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in records.items():
                ctype = compress if (compress and n.endswith("data/0")) else zipfile.ZIP_STORED
                z.writestr((rename or {}).get(n, n), d, compress_type=ctype)
            for n, d in extra:
                z.writestr(n, d)
        return buf.getvalue()

    cases = {
        "climbs": (archive(extra=[("archive/../../etc/evil", b"x")]), "climbs out"),
        "absolute": (archive(extra=[("/etc/evil", b"x")]), "climbs out"),
        "backslash": (archive(extra=[("archive\\..\\evil", b"x")]), "climbs out"),
        "deflated": (archive(compress=zipfile.ZIP_DEFLATED), "compressed"),
        "two pickles": (archive(extra=[("other/data.pkl", b"x")]), "data.pkl"),
        "stray": (archive(extra=[("elsewhere/file", b"x")]), "outside"),
    }
    # a classic bomb: 200 MB of zeros deflated to ~200 KB
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", records["archive/data.pkl"], compress_type=zipfile.ZIP_STORED)
        z.writestr("archive/data/0", b"\0" * (200 << 20))
    cases["bomb"] = (bomb.getvalue(), "compressed")
    for what, (blob, message) in cases.items():
        path = tmp_path / f"{what.replace(' ', '_')}.pth"
        path.write_bytes(blob)
        with pytest.raises(CheckpointError, match=message):
            npgrad.load(path)
    assert sorted(os.listdir(tmp_path)) == sorted(f"{w.replace(' ', '_')}.pth" for w in cases)


def test_huge_declared_sizes_are_refused_before_allocating(tmp_path):
    def tensor_pickle(numel, size, stride=None, offset=0):
        stride = stride or [1] * len(size)
        tup = lambda xs: b"(" + b"".join(b"J" + int(x).to_bytes(4, "little", signed=True) if x < 2**31
                                          else b"\x8a\x08" + int(x).to_bytes(8, "little") for x in xs) + b"t"
        num = b"J" + numel.to_bytes(4, "little") if numel < 2**31 else b"\x8a\x09" + numel.to_bytes(9, "little")
        return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
                b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" + num + b"tQJ" + offset.to_bytes(4, "little")
                + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)RtR.")

    data = [("archive/data/0", np.zeros(4, np.float32).tobytes())]
    for numel, size, stride, offset, message in [
            (2**60, [2**60], None, 0, "holds 16 bytes, its tensors need"),
            (4, [2**40, 2**40], [1, 1], 0, "past the end of its storage"),
            (4, [4], None, 1, "past the end"),
            (4, [2, 2], [2], 0, "differ in length"),
            (4, [3], [2], 0, "past the end")]:
        path = tmp_path / "h.pth"
        path.write_bytes(torch_zip_with_pickle(tensor_pickle(numel, size, stride, offset), data))
        with pytest.raises(CheckpointError, match=message):
            npgrad.load(path)
    path.write_bytes(torch_zip_with_pickle(tensor_pickle(4, [2, 2], [2, 1]), data))
    assert npgrad.load(path).shape == (2, 2)  # the same builder, well-formed, loads


def test_the_legacy_format_is_read_with_the_same_rules(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    obj = {"w": base, "t": base.t(), "i8": torch.tensor([1, -2], dtype=torch.int8), "n": 3,
           "rows": [base[1]], "sd": torch.nn.Linear(3, 2).state_dict()}
    path = tmp_path / "old.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    got = npgrad.load(path)
    for k in ("w", "t", "i8"):
        assert_same(got[k], obj[k], what=k)
    assert_same(got["rows"][0], base[1])
    assert np.shares_memory(got["w"].numpy(), got["t"].numpy()) and got["n"] == 3
    same_state(got["sd"], obj["sd"])
    marker = tmp_path / "pwned"
    torch.save({"x": Evil(marker)}, tmp_path / "evil.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(WeightsOnlyError, match="system"):
        npgrad.load(tmp_path / "evil.pt")
    assert not marker.exists()
    blob = path.read_bytes()
    for cut in (len(blob) - 3, len(blob) // 2, 40):
        (tmp_path / "cut.pt").write_bytes(blob[:cut])
        with pytest.raises(CheckpointError):
            npgrad.load(tmp_path / "cut.pt")


def test_damaged_records_are_caught_by_their_crc(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.arange(16.0)}, buf)
    blob = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(blob))).getinfo("archive/data/0")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    local_extra = int.from_bytes(blob[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + len(info.filename) + local_extra
    blob[start + 5] ^= 0x10  # one flipped bit in the weights
    path = tmp_path / "flip.pth"
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="damaged"):
        npgrad.load(path)


def test_it_works_without_torch_importable(tmp_path):
    """In a process where `import torch` fails, .pth files still load and save."""
    import subprocess
    import sys

    torch.save({"w": torch.arange(6.0).reshape(2, 3).t(), "n": 1}, tmp_path / "t.pth")
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import npgrad\n"
        f"d = npgrad.load({str(tmp_path / 't.pth')!r})\n"
        "assert d['w'].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] and d['n'] == 1\n"
        f"npgrad.save({{'x': npgrad.ones(2)}}, {str(tmp_path / 'n.pth')!r})\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "print('ok')\n")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=repo))
    assert out.stdout.strip() == "ok", out.stderr
    assert torch.load(tmp_path / "n.pth", weights_only=True)["x"].tolist() == [1.0, 1.0]
