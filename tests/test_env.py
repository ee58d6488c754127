"""What CPU-only programs ask about their environment answers as PyTorch answers on a
machine without an accelerator (torch here is a CPU build, so it is the oracle):
devices, backends, CUDA queries, mixed precision, compile/jit, dtypes, global switches.
"""
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import npgrad

ROOT = Path(__file__).resolve().parents[1]


def both(expr):
    """``expr`` evaluated with ``torch`` bound to npgrad, then to torch."""
    return eval(expr, {"torch": npgrad}), eval(expr, {"torch": torch})


def outcome(fn):
    """(result, None) or (None, exception type), with warnings recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = fn(), None
        except Exception as e:  # noqa: BLE001 - the type is what we compare
            result, error = None, type(e)
    return result, error, [(w.category, str(w.message)) for w in caught]


# ------------------------------------------------------------------ accelerator, cuda

QUERIES = [
    "torch.accelerator.is_available()", "torch.accelerator.current_accelerator()",
    "torch.accelerator.device_count()",
    "torch.cuda.is_available()", "torch.cuda.device_count()", "torch.cuda.is_bf16_supported()",
    "torch.cuda.is_initialized()", "torch.cuda.memory_allocated()",
    "torch.cuda.max_memory_allocated()", "torch.cuda.empty_cache()",
    "torch.cuda.manual_seed(0)", "torch.cuda.manual_seed_all(0)",
    "torch.backends.mps.is_available()", "torch.backends.mps.is_built()",
    "torch.backends.cuda.is_built()", "torch.backends.cudnn.is_available()",
    "torch.backends.cudnn.version()", "torch.backends.cudnn.enabled",
    "torch.backends.cudnn.benchmark", "torch.backends.cudnn.deterministic",
    "torch.backends.cudnn.allow_tf32", "torch.backends.cuda.matmul.allow_tf32",
    "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
    "torch.backends.cuda.flash_sdp_enabled()", "torch.backends.opt_einsum.enabled",
    "torch.cpu.is_available()", "torch.cpu.device_count()",
    "torch.compiler.is_compiling()", "torch.jit.is_scripting()", "torch.jit.is_tracing()",
    "torch.is_autocast_enabled()", "torch.get_float32_matmul_precision()",
    "torch.xpu.is_available()", "torch.xpu.device_count()", "torch.mps.device_count()",
    "torch.mps.manual_seed(0)", "str(torch.get_default_device())",
    "torch.set_default_device('cpu')",
    "torch.are_deterministic_algorithms_enabled()",
    "torch.is_deterministic_algorithms_warn_only_enabled()",
]


@pytest.mark.parametrize("expr", QUERIES)
def test_queries_answer_as_torch(expr):
    ours, theirs = both(expr)
    assert ours == theirs, expr


RAISING = [
    ("torch.accelerator.current_device_index()", RuntimeError),
    ("torch.accelerator.synchronize()", RuntimeError),
    ("torch.cuda.current_device()", AssertionError),
    ("torch.cuda.synchronize()", AssertionError),
    ("torch.cuda.get_device_name()", AssertionError),
    ("torch.cuda.get_device_capability()", AssertionError),
    ("torch.cuda.get_rng_state()", AssertionError),
    ("torch.device('gpu')", RuntimeError),
    ("torch.mps.empty_cache()", RuntimeError),
    ("torch.mps.synchronize()", RuntimeError),
    ("torch.device(0)", RuntimeError),
    ("torch.zeros(2).to('cuda')", None),  # both raise; the type differs (see below)
]


@pytest.mark.parametrize("expr, error", RAISING)
def test_what_needs_a_gpu_raises_as_torch(expr, error):
    _, ours, _ = outcome(lambda: eval(expr, {"torch": npgrad}))
    _, theirs, _ = outcome(lambda: eval(expr, {"torch": torch}))
    assert ours is not None and theirs is not None, expr
    if error is not None:
        assert ours is theirs is error, expr


def test_backend_flags_are_settable():
    b = npgrad.backends
    saved = (b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.enabled,
             b.cuda.matmul.allow_tf32)
    try:
        b.cudnn.benchmark = True
        b.cudnn.deterministic = True
        b.cudnn.enabled = False
        b.cuda.matmul.allow_tf32 = True
        assert (b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.enabled,
                b.cuda.matmul.allow_tf32) == (True, True, False, True)
        import npgrad.backends.cudnn as cudnn  # the module path programs import
        assert cudnn.benchmark is True
        with pytest.raises(AttributeError, match="Unknown attribute"):
            b.cuda.matmul.alow_tf32 = True  # a typo is caught, as in PyTorch
    finally:
        (b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.enabled,
         b.cuda.matmul.allow_tf32) = saved


def test_device_objects_as_torch():
    for spec in ["cpu", "cuda", "cuda:1", "mps", "mps:0", "meta", "xpu:3"]:
        ours, theirs = npgrad.device(spec), torch.device(spec)
        assert (repr(ours), str(ours), ours.type, ours.index) == \
            (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert repr(npgrad.device("cuda", 1)) == repr(torch.device("cuda", 1))
    assert npgrad.device("cuda:0") == npgrad.device("cuda", 0) != npgrad.device("cuda")
    assert npgrad.device("cpu") != npgrad.device("cuda")
    assert npgrad.zeros(2).device == npgrad.device("cpu")
    dev = npgrad.device("cuda" if npgrad.cuda.is_available() else "cpu")
    assert npgrad.ones(2, device=dev).device.type == "cpu"
    with pytest.raises(RuntimeError) as ours:
        npgrad.device("gpu")
    with pytest.raises(RuntimeError) as theirs:
        torch.device("gpu")
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("move", [
    lambda lib: lib.zeros(2).to("cuda"),
    lambda lib: lib.zeros(2).to(lib.device("cuda:0")),
    lambda lib: lib.zeros(2).to("mps"),
    lambda lib: lib.zeros(2).cuda(),
    lambda lib: lib.zeros(2, device="cuda"),
    lambda lib: lib.tensor([1.0], device="mps"),
    lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    lambda lib: lib.nn.Linear(2, 2).cuda(),
    lambda lib: (lib.set_default_device("cuda"), lib.zeros(2)),
])
def test_moving_to_an_accelerator_raises_clearly(move):
    with pytest.raises(RuntimeError, match="npgrad has no .* backend yet.*CPU"):
        move(npgrad)
    try:
        with pytest.raises(BaseException):  # torch raises too (AssertionError or other)
            move(torch)
    finally:
        torch.set_default_device(None)


def test_tensor_flags_as_torch():
    ours, theirs = npgrad.zeros(2), torch.zeros(2)
    for name in ["is_cuda", "is_mps", "is_xpu", "is_meta", "is_sparse", "is_quantized",
                 "is_mkldnn", "is_nested", "is_cpu"]:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.get_device() == theirs.get_device() == -1


def test_size_prints_as_torch_with_the_library_name():
    assert repr(npgrad.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape).replace("torch",
                                                                                   "npgrad")
    assert npgrad.zeros(2, 3).shape == torch.Size([2, 3]) == (2, 3)


def test_manual_seed_returns_a_generator():
    g = npgrad.manual_seed(3)
    assert isinstance(g, npgrad.Generator) and g.initial_seed() == 3
    a = npgrad.rand(3)
    npgrad.manual_seed(3)
    assert np.array_equal(a.numpy(), npgrad.rand(3).numpy())


# ------------------------------------------------------------------ global switches

def test_switches_round_trip_as_torch():
    for lib in (npgrad, torch):
        try:
            lib.set_float32_matmul_precision("high")
            assert lib.get_float32_matmul_precision() == "high"
            with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high'"):
                lib.set_float32_matmul_precision("bogus")
            assert lib.get_float32_matmul_precision() == "high"
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled()
            assert lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 1
        finally:
            lib.set_float32_matmul_precision("highest")
            lib.use_deterministic_algorithms(False)
    assert npgrad.get_default_dtype() == npgrad.float32
    npgrad.set_default_dtype(npgrad.float32)
    with pytest.raises(TypeError, match="only floating-point types"):  # float64: test_reach_fixes
        npgrad.set_default_dtype(npgrad.int64)


@pytest.mark.parametrize("options", [
    dict(precision=2), dict(sci_mode=True), dict(precision=6, sci_mode=False),
    dict(profile="short"), dict(threshold=5, edgeitems=1), dict(profile="full"),
    dict(linewidth=30),
])
def test_set_printoptions_as_torch(options):
    values = [np.array([1.23456, 2.5, -3.0], np.float32), np.arange(12.0, dtype=np.float32),
              np.linspace(0, 1, 2000, dtype=np.float32), np.array([1e-6, 5.0], np.float32)]
    try:
        for lib in (npgrad, torch):
            lib.set_printoptions(**options)
        for v in values:
            assert str(npgrad.tensor(v)) == str(torch.tensor(v)), options
    finally:
        for lib in (npgrad, torch):
            lib.set_printoptions(profile="default")
            lib.set_printoptions(sci_mode=None)
    assert str(npgrad.tensor([1.23456])) == "tensor([1.2346])"


# ------------------------------------------------------------------ GradScaler

def test_disabled_grad_scaler_is_a_pass_through():
    p = npgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = npgrad.optim.SGD([p], lr=0.5)
    for scaler in (npgrad.amp.GradScaler("cpu", enabled=False),
                   npgrad.amp.GradScaler(enabled=False)):
        loss = (p * p).sum()
        assert scaler.scale(loss) is loss
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        assert np.allclose(p.grad.numpy(), [2.0, 4.0]) or p.grad is not None
        opt.zero_grad()
        assert scaler.state_dict() == {} and scaler.get_scale() == 1.0
        assert not scaler.is_enabled()
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])  # two plain SGD steps


@pytest.mark.parametrize("make", [
    lambda lib: lib.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cuda"),
    lambda lib: lib.cuda.amp.GradScaler(),
    lambda lib: lib.cuda.amp.GradScaler(init_scale=4.0),
])
def test_cuda_grad_scaler_warns_and_disables_as_torch(make):
    ours, err, our_warnings = outcome(lambda: make(npgrad))
    theirs, terr, their_warnings = outcome(lambda: make(torch))
    assert err is terr is None
    assert [c for c, _ in our_warnings] == [c for c, _ in their_warnings]
    assert [m for _, m in our_warnings] == [m for _, m in their_warnings]
    assert ours.is_enabled() is theirs.is_enabled() is False


def scaler_run(lib, grads, **kw):
    """Steps of SGD through an enabled CPU GradScaler; the gradient of step i is
    ``grads[i]`` times the loss scale (inf where the step should be skipped)."""
    p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **kw)
    out = []
    for g in grads:
        loss = (p * lib.tensor(np.array(g, np.float32))).sum()
        scaled = scaler.scale(loss)
        out.append(float(scaled.detach()))
        scaled.backward()
        if len(out) % 2:
            scaler.unscale_(opt)  # e.g. to clip; step must not unscale again
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        out.append((scaler.get_scale(), scaler._get_growth_tracker(),
                    p.detach().numpy().tolist()))
    return out, scaler.state_dict()


def test_cpu_grad_scaler_matches_torch():
    grads = [[1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [np.inf, 1.0, 1.0], [1.0, 1.0, 1.0],
             [2.0, 0.0, 1.0], [1.0, np.nan, 1.0], [1.0, 1.0, 1.0], [3.0, 2.0, 1.0]]
    kw = dict(init_scale=1024.0, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    ours, our_state = scaler_run(npgrad, grads, **kw)
    theirs, their_state = scaler_run(torch, grads, **kw)
    # scaled losses, scales and growth trackers exactly; the parameters to float32
    # rounding (torch's SGD kernels fuse multiply-adds)
    for mine, want in zip(ours, theirs):
        if isinstance(want, tuple):
            assert mine[:2] == want[:2]
            np.testing.assert_allclose(mine[2], want[2], rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_equal(mine, want)  # (nan == nan: an overflowed loss)
    assert our_state == their_state
    assert npgrad.amp.GradScaler("cpu").get_scale() == 65536.0


def test_grad_scaler_state_dict_round_trip_and_misuse():
    for lib in (npgrad, torch):
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=3)
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        scaler.scale(p.sum()).backward()
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            scaler.unscale_(opt)
        scaler.update()
        fresh = lib.amp.GradScaler("cpu")
        fresh.load_state_dict(scaler.state_dict())
        assert fresh.state_dict() == scaler.state_dict() == {
            "scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3,
            "_growth_tracker": 1}
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            fresh.load_state_dict({})
        with pytest.raises(AssertionError, match="_scale is None"):
            lib.amp.GradScaler("cpu").step(opt)


# ------------------------------------------------------------------ autocast

@pytest.mark.parametrize("make", [
    lambda lib: lib.autocast("cuda"),
    lambda lib: lib.autocast(device_type="cuda", dtype=lib.bfloat16),
    lambda lib: lib.amp.autocast("cuda", enabled=False),
    lambda lib: lib.autocast("cpu", dtype=lib.float32),
    lambda lib: lib.autocast("cpu", dtype=lib.float64),
    lambda lib: lib.autocast("cpu", enabled=False),
    lambda lib: lib.autocast("mps"),
    lambda lib: lib.cuda.amp.autocast(),
])
def test_autocast_that_changes_nothing(make):
    """Where torch's autocast would leave CPU float32 math alone, ours runs it, with the
    same warnings; the region computes what it computes without autocast."""
    ours, err, our_warnings = outcome(lambda: make(npgrad))
    theirs, terr, their_warnings = outcome(lambda: make(torch))
    assert err is terr is None
    assert our_warnings == their_warnings
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with ours:
        a = npgrad.tensor(x) @ npgrad.tensor(x.T)
    with theirs:
        b = torch.tensor(x) @ torch.tensor(x.T)
    assert a.dtype == npgrad.float32 and b.dtype == torch.float32
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("kw", [dict(), dict(dtype="bfloat16"), dict(dtype="float16")])
def test_cpu_autocast_to_lower_precision_raises_clearly(kw):
    kw = {k: getattr(npgrad, v) for k, v in kw.items()}
    region = npgrad.autocast("cpu", **kw)
    assert region.fast_dtype in (npgrad.bfloat16, npgrad.float16)
    with pytest.raises(NotImplementedError, match="autocast.*cannot.*float32"):
        with region:
            pass


def test_autocast_as_decorator_and_bad_device():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        @npgrad.autocast("cuda")
        def double(x):
            return x * 2

    with pytest.warns(UserWarning, match="CUDA is not available"):
        region = npgrad.autocast("cuda")
    assert region(lambda: 5)() == 5
    assert double(npgrad.tensor([1.5])).tolist() == [3.0]
    for lib in (npgrad, torch):
        with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
            lib.autocast("gpu")
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.autocast(0)
    assert npgrad.get_autocast_dtype("cpu") == npgrad.bfloat16
    assert str(torch.get_autocast_dtype("cpu")) == "torch.bfloat16"


# ------------------------------------------------------------------ compile, jit

def test_compile_returns_the_model_or_function():
    model = npgrad.nn.Linear(3, 2)
    assert npgrad.compile(model) is model
    assert npgrad.compile(model, mode="reduce-overhead", fullgraph=True) is model

    @npgrad.compile(mode="max-autotune", dynamic=True)
    def f(x):
        return x + 1

    @npgrad.compile
    def g(x):
        return x * 3

    assert f(npgrad.tensor([1.0])).tolist() == [2.0] and g(npgrad.tensor([1.0])).tolist() == [3.0]
    for kw, message in [(dict(mode="bogus"), "Unrecognized mode=bogus"),
                        (dict(mode="default", options={}), "Either mode or options")]:
        for lib in (npgrad, torch):
            with pytest.raises(RuntimeError, match=message):
                lib.compile(lambda x: x, **kw)
    assert npgrad.compiler.disable(f) is f


def test_jit_script_and_trace_behave_like_the_input():
    model = npgrad.nn.Sequential(npgrad.nn.Linear(3, 4), npgrad.nn.ReLU())
    x = npgrad.randn(2, 3)
    assert npgrad.jit.script(model) is model
    with pytest.warns(DeprecationWarning):
        traced = npgrad.jit.trace(model, x)
    np.testing.assert_array_equal(traced(x).detach().numpy(), model(x).detach().numpy())
    with pytest.warns(DeprecationWarning):
        f = npgrad.jit.trace(lambda a, b: a * b + 1, (x, x))
    np.testing.assert_array_equal(f(x, x).numpy(), (x * x + 1).numpy())
    with pytest.raises(NotImplementedError, match="npgrad.save\\(model.state_dict"):
        npgrad.jit.save(model, "m.pt")
    assert npgrad.jit.ignore(len) is len and npgrad.jit.Final[int] is int


def test_sdp_kernel_context_warns_as_torch():
    for lib in (npgrad, torch):
        with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
            region = lib.backends.cuda.sdp_kernel(enable_flash=False)
        with region:
            assert not lib.backends.cuda.flash_sdp_enabled()
        assert lib.backends.cuda.flash_sdp_enabled()


# ------------------------------------------------------------------ dtypes

def _tiny_net(lib, dtype, x, y, w, b):
    lin = lib.nn.Linear(6, 3)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(w))
        lin.bias.copy_(lib.tensor(b))
    lin = lin.to(dtype)
    h = lin(lib.tensor(x).to(dtype))
    results = {"h": h, "softmax": h.softmax(-1), "tanh": h.tanh(), "gram": h @ h.T,
               "mean": h.mean(0)}
    loss = lib.nn.functional.cross_entropy(h, lib.tensor(y))
    loss.backward()
    results.update(loss=loss, gw=lin.weight.grad, gb=lin.bias.grad)
    return results


def test_float16_computes_as_torch():
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((4, 6)).astype(np.float32), np.array([0, 2, 1, 2]),
            (rng.standard_normal((3, 6)) * 0.3).astype(np.float32),
            (rng.standard_normal(3) * 0.1).astype(np.float32))
    ours = _tiny_net(npgrad, npgrad.float16, *args)
    theirs = _tiny_net(torch, torch.float16, *args)
    for key, t in theirs.items():
        mine = ours[key]
        assert str(mine.dtype) == "npgrad.float16", key
        # torch accumulates float16 sums in float32: the last bit may differ
        np.testing.assert_allclose(mine.detach().numpy().astype(np.float32),
                                   t.detach().numpy().astype(np.float32),
                                   rtol=2e-3, atol=2e-3, err_msg=key)


def test_bfloat16_computes_through_ml_dtypes():
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs the optional extra npgrad[bf16]")
    v = np.array([1.1, 2.3, -7.77, 1e-3, 300.5], np.float32)
    ours = npgrad.tensor(v).to(npgrad.bfloat16)
    theirs = torch.tensor(v).to(torch.bfloat16)
    assert ours.dtype == npgrad.bfloat16 and ours.dtype != npgrad.float32
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    assert npgrad.tensor(v).bfloat16().dtype == npgrad.bfloat16
    # (tensor-tensor ops only: with a Python scalar NumPy promotes ml_dtypes' bfloat16 to
    # float32, so npgrad's bf16_tensor * 0.5 is float32 where torch's stays bfloat16)
    for op in (lambda a: a + a, lambda a: a * a, lambda a: a - a.float().to(npgrad.bfloat16)
               if isinstance(a, npgrad.Tensor) else a - a.float().to(torch.bfloat16)):
        np.testing.assert_array_equal(op(ours).float().numpy(), op(theirs).float().numpy())
    assert str(ours) == str(theirs).replace("torch", "npgrad")


def test_bfloat16_modules_refused_clearly():
    model = npgrad.nn.Linear(2, 2)
    for cast in (lambda: model.to(npgrad.bfloat16), model.bfloat16):
        with pytest.raises(NotImplementedError, match="cannot run or train modules in bfloat16"):
            cast()
    assert model.weight.dtype == npgrad.float32


def test_bfloat16_without_ml_dtypes_names_the_extra():
    code = (
        "import sys; sys.modules['ml_dtypes'] = None\n"
        "import npgrad\n"
        "x = npgrad.zeros(2)\n"
        "assert x.dtype != npgrad.bfloat16 and npgrad.bfloat16 == npgrad.bfloat16\n"
        "assert str(npgrad.bfloat16) == 'npgrad.bfloat16'\n"
        "try:\n"
        "    x.to(npgrad.bfloat16)\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "npgrad.bfloat16 needs the optional package ml_dtypes" in out.stdout
    assert "npgrad[bf16]" in out.stdout


def test_lazy_modules_keep_import_light():
    code = ("import sys, npgrad\n"
            "heavy = [m for m in ('npgrad.jit', 'npgrad.backends', 'npgrad.compiler', "
            "'npgrad.accelerator', 'ml_dtypes') if m in sys.modules]\n"
            "print(heavy)\n"
            "import npgrad.backends.cudnn, npgrad.cuda.amp, npgrad.cpu.amp\n"
            "from npgrad.cuda.amp import GradScaler, autocast\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _conv_net_half(lib, x):
    convs = dict(conv=lib.nn.Conv2d(3, 4, 3, padding=1), bn=lib.nn.BatchNorm2d(4),
                 ln=lib.nn.LayerNorm(8), emb=lib.nn.Embedding(10, 8))
    for key, m in convs.items():
        for name, p in m.named_parameters():
            rng = np.random.default_rng(len(key + name))
            with lib.no_grad():
                p.copy_(lib.tensor((rng.standard_normal(tuple(p.shape)) * 0.3).astype(np.float32)))
        m.half()
    xi = lib.tensor(x).half().requires_grad_()
    out = {"conv": convs["conv"](xi)}
    out["bn"] = convs["bn"](out["conv"])
    out["pool"] = lib.nn.functional.max_pool2d(out["bn"], 2)
    out["ln"] = convs["ln"](out["pool"].reshape(2, 4, 16)[..., :8])
    out["emb"] = convs["emb"](lib.tensor(np.array([1, 3, 5])))
    (out["ln"].sum() + out["emb"].sum()).backward()
    out.update(gx=xi.grad, gw=convs["conv"].weight.grad)
    return out


def test_float16_conv_norm_pool_embedding_as_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    ours, theirs = _conv_net_half(npgrad, x), _conv_net_half(torch, x)
    for key, t in theirs.items():
        want = t.detach().numpy().astype(np.float32)
        mine = ours[key].detach().numpy()
        assert mine.dtype == np.float16, key
        # float16 keeps ~3 decimal digits; torch sums in float32 inside its kernels
        np.testing.assert_allclose(mine.astype(np.float32), want, rtol=0,
                                   atol=2e-3 * max(1.0, float(np.abs(want).max())),
                                   err_msg=key)
