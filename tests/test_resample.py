"""F.interpolate / nn.Upsample (nearest, nearest-exact, linear, bilinear, trilinear, area),
UpsamplingNearest2d / UpsamplingBilinear2d, PixelShuffle / PixelUnshuffle against PyTorch:
values and gradients in float32 and float64, gradcheck, errors."""
import numpy as np
import pytest
import torch
from conftest import assert_same

import npgrad
import npgrad.nn.functional as F
from npgrad.autograd.gradcheck import gradcheck

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

# input shape, interpolate keyword arguments
CASES = [
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 5, 5), dict(scale_factor=(1.5, 0.6))),
    ((2, 3, 6, 7), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((1, 2, 7, 3), dict(size=(3, 11))),
    ((2, 3, 6), dict(scale_factor=3)),
    ((2, 3, 7), dict(size=4)),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7))),
    ((2, 3, 5, 4), dict(size=(5, 4))),
    ((2, 3, 5, 4), dict(scale_factor=1.3)),
]
MODES = {3: ["nearest", "nearest-exact", "linear", "area"],
         4: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
         5: ["nearest", "nearest-exact", "trilinear"]}
ALL = [(shape, kw, mode, ac) for shape, kw in CASES for mode in MODES[len(shape)]
       for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True])
       ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw,mode,align_corners", ALL,
                         ids=[f"{s}-{k}-{m}-{a}" for s, k, m, a in ALL])
def test_interpolate_matches_torch(shape, kw, mode, align_corners, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya = F.interpolate(xa, mode=mode, align_corners=align_corners, **kw)
    yb = torch.nn.functional.interpolate(xb, mode=mode, align_corners=align_corners, **kw)
    assert_same(ya, yb, "output", **TOL[dtype])
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(dtype)
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad", **TOL[dtype])


def test_nearest_float32_index_arithmetic_as_torch():
    # sizes where in/out is not exact in float32: the float32 floor must agree with torch's
    x = np.arange(2 * 1 * 49 * 3, dtype=np.float32).reshape(2, 1, 49, 3)
    for size in [(37, 3), (71, 5), (98, 3), (13, 7)]:
        assert_same(F.interpolate(npgrad.tensor(x), size=size),
                    torch.nn.functional.interpolate(torch.tensor(x), size=size))
    for sf in [1.1, 2.3, 0.7]:
        assert_same(F.interpolate(npgrad.tensor(x), scale_factor=sf),
                    torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf))


@pytest.mark.parametrize("mode,ac,shape", [
    ("nearest", None, (1, 2, 3, 4)), ("bilinear", False, (1, 2, 3, 4)),
    ("bilinear", True, (1, 2, 3, 4)), ("linear", False, (2, 2, 4)),
    ("trilinear", True, (1, 1, 2, 3, 3)), ("bicubic", False, (1, 1, 3, 4)),
    ("bicubic", True, (1, 2, 4, 3)),
])
def test_gradcheck(mode, ac, shape):
    x = npgrad.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.7, mode=mode, align_corners=ac),
                     (x,))


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Upsample(scale_factor=2),
    lambda lib: lib.nn.Upsample(size=(5, 7), mode="bilinear"),
    lambda lib: lib.nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
    lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=2),
    lambda lib: lib.nn.UpsamplingBilinear2d(size=(6, 9)),
    lambda lib: lib.nn.PixelShuffle(2),
    lambda lib: lib.nn.PixelUnshuffle(2),
])
def test_modules_match_torch(make):
    x = np.random.default_rng(3).standard_normal((2, 8, 4, 6))
    ours, theirs = make(npgrad), make(torch)
    assert repr(ours) == repr(theirs)
    xa, xb = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = ours(xa), theirs(xb)
    assert_same(ya, yb, "output")
    seed = np.random.default_rng(4).standard_normal(tuple(yb.shape))
    ya.backward(npgrad.tensor(seed))
    yb.backward(torch.tensor(seed))
    assert_same(xa.grad, xb.grad, "input grad")


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((3, 18, 2, 2), 3), ((2, 1, 4, 8, 2), 2)])
def test_pixel_shuffle_round_trip_and_float32(shape, r):
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    for fn in ("pixel_shuffle", "pixel_unshuffle"):
        if fn == "pixel_unshuffle" and (shape[-1] % r or shape[-2] % r):
            continue
        assert_same(getattr(F, fn)(npgrad.tensor(x), r),
                    getattr(torch.nn.functional, fn)(torch.tensor(x), r), fn)
    xa = npgrad.tensor(x)
    if shape[-3] % (r * r) == 0:
        back = F.pixel_unshuffle(F.pixel_shuffle(xa, r), r)
        np.testing.assert_array_equal(back.numpy(), x)


@pytest.mark.parametrize("call,match", [
    (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
     "3D input, but bilinear mode needs 4D"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=3, scale_factor=2),
     "only one of size or scale_factor"),
    (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, align_corners=True),
     "align_corners option can only be set"),
    (lambda lib, x: lib.nn.functional.interpolate(x), "either size or scale_factor"),
    (lambda lib, x: lib.nn.functional.interpolate(x, size=(2, 3)), "same number of spatial"),
    (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), "divisible by the square"),
    (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), "divisible by downscale_factor"),
])
def test_errors_as_torch(call, match):
    x = np.zeros((1, 3, 5))
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        call(torch, torch.tensor(x))
    with pytest.raises((RuntimeError, ValueError, NotImplementedError), match=match):
        call(npgrad, npgrad.tensor(x))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape", [(1, 2, 3), (1, 2, 3, 3), (1, 1, 3, 2, 3)])
@pytest.mark.parametrize("sf", [2.3, 1.1, 2.0, 0.7])
def test_nearest_scale_factor_shortcuts_as_torch(shape, sf, mode):
    """torch's 2-d nearest kernel maps a doubled (or equal) size by o // 2 (or o) whatever
    the scale_factor; its 1-d and 3-d kernels use 1 / scale_factor. Match both."""
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    assert_same(F.interpolate(npgrad.tensor(x), scale_factor=sf, mode=mode),
                torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf, mode=mode))


def test_pixel_shuffle_gradcheck():
    x = npgrad.tensor(np.random.default_rng(6).standard_normal((1, 8, 2, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))
    y = npgrad.tensor(np.random.default_rng(7).standard_normal((1, 2, 4, 2)), requires_grad=True)
    assert gradcheck(lambda t: F.pixel_unshuffle(t, 2), (y,))
