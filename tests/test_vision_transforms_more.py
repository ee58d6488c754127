"""Resize, CenterCrop, Pad, Grayscale, RandomHorizontalFlip, ColorJitter and save_image.

There is no torchvision here. The deterministic transforms are checked against what
torchvision's tensor path computes, rebuilt from its documented semantics with PyTorch ops
(Resize is ``F.interpolate``; Pad's modes are ``F.pad``'s and NumPy's) or with the standard
library (hue through ``colorsys``); the random ones for their distribution and their
reproducibility under a seed, one image and a batch alike."""
import colorsys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import npgrad
from npgrad.vision import transforms as T
from npgrad.vision.utils import make_grid, save_image

RNG = np.random.default_rng(0)


def image(shape, dtype=np.float32):
    x = RNG.random(shape)
    return (x * 255).astype(np.uint8) if dtype == np.uint8 else x.astype(dtype)


# ------------------------------------------------------------------ Resize
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size_in,size_out", [((13, 17), (5, 7)), ((8, 8), (20, 13)),
                                              ((32, 30), (7, 32)), ((10, 9), (3, 30))])
def test_resize_bilinear_is_interpolate(dtype, antialias, size_in, size_out):
    x = image((2, 3) + size_in, dtype)
    expected = TF.interpolate(torch.from_numpy(x), size=size_out, mode="bilinear",
                              align_corners=False, antialias=antialias).numpy()
    t = T.Resize(size_out, antialias=antialias)
    out = t.batch(npgrad.from_numpy(x))
    assert out.dtype == npgrad.from_numpy(x).dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    one = t(npgrad.from_numpy(x[1]))  # one C x H x W image
    np.testing.assert_allclose(one.numpy(), expected[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size_in,size_out", [((13, 17), (5, 7)), ((8, 8), (20, 13)), ((7, 5), (7, 11))])
def test_resize_nearest_is_interpolate_nearest(size_in, size_out):
    x = image((1, 2) + size_in)
    expected = TF.interpolate(torch.from_numpy(x), size=size_out, mode="nearest").numpy()
    out = T.Resize(size_out, interpolation=T.InterpolationMode.NEAREST)(npgrad.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), expected)


def test_resize_uint8_rounds_the_float_result_and_keeps_dtype():
    x = image((3, 20, 24), np.uint8)  # a 20 x 24 RGB image
    ref = TF.interpolate(torch.from_numpy(x)[None].double(), size=(9, 11), mode="bilinear",
                         align_corners=False, antialias=False)
    out = T.Resize((9, 11), antialias=False)(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, ref.round().clamp(0, 255).to(torch.uint8)[0].numpy())
    # the antialiased uint8 kernel of torch is fixed-point: within 1 of ours
    native = TF.interpolate(torch.from_numpy(x)[None], size=(9, 11), mode="bilinear",
                            align_corners=False, antialias=True)[0].numpy()
    assert np.abs(T.Resize((9, 11))(x).astype(int) - native).max() <= 1


def test_resize_int_size_matches_the_shorter_edge():
    assert T.Resize(10)(np.zeros((3, 20, 30), np.float32)).shape == (3, 10, 15)
    assert T.Resize(10)(np.zeros((3, 30, 20), np.float32)).shape == (3, 15, 10)
    assert T.Resize(7)(np.zeros((3, 10, 15), np.float32)).shape == (3, 7, 10)  # int(7*15/10)
    assert T.Resize([12])(np.zeros((1, 24, 24), np.float32)).shape == (1, 12, 12)
    assert T.Resize(10, max_size=12)(np.zeros((1, 20, 40), np.float32)).shape == (1, 6, 12)
    assert T.Resize(14)(np.zeros((28, 28), np.uint8)).shape == (14, 14)  # an MNIST H x W array
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 5), max_size=10)(np.zeros((1, 8, 8), np.float32))
    with pytest.raises(ValueError, match="positive"):
        T.Resize(0)


# ------------------------------------------------------------------ CenterCrop and Pad
def test_center_crop_offsets_and_padding():
    x = image((2, 3, 9, 10))
    out = T.CenterCrop((4, 5))(npgrad.from_numpy(x)).numpy()
    top, left = int(round((9 - 4) / 2)), int(round((10 - 5) / 2))  # torchvision's rounding
    np.testing.assert_array_equal(out, x[..., top:top + 4, left:left + 5])
    big = T.CenterCrop(12)(x[0])  # smaller than the crop: zero-padded around
    assert big.shape == (3, 12, 12)
    np.testing.assert_array_equal(big[:, 1:10, 1:11], x[0])
    assert big.sum() == pytest.approx(x[0].sum(), rel=1e-6)


@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                             ("reflect", "reflect"), ("symmetric", None)])
def test_pad_modes_match_torch_and_numpy(mode, torch_mode):
    x = image((2, 3, 5, 6))
    out = T.Pad((1, 2, 3, 4), fill=0, padding_mode=mode).batch(npgrad.from_numpy(x)).numpy()
    if torch_mode is None:  # symmetric: torchvision's definition is NumPy's
        expected = np.pad(x, [(0, 0), (0, 0), (2, 4), (1, 3)], mode="symmetric")
    else:
        expected = TF.pad(torch.from_numpy(x), (1, 3, 2, 4), mode=torch_mode).numpy()
    np.testing.assert_array_equal(out, expected)
    assert T.Pad(2, fill=7)(np.zeros((4, 4), np.uint8))[0, 0] == 7


# ------------------------------------------------------------------ Grayscale
@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_luma_weights(channels):
    x = image((2, 3, 4, 5))
    out = T.Grayscale(channels).batch(npgrad.from_numpy(x)).numpy()
    grey = 0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert out.shape == (2, channels, 4, 5)
    for c in range(channels):
        np.testing.assert_allclose(out[:, c], grey, rtol=1e-6)
    u8 = (x[0] * 255).astype(np.uint8)
    grey_u8 = T.Grayscale()(u8)
    expected = (0.2989 * u8[0].astype(np.float32) + 0.587 * u8[1] + 0.114 * u8[2]).astype(np.uint8)
    assert grey_u8.dtype == np.uint8
    np.testing.assert_array_equal(grey_u8[0], expected)  # truncation, as torchvision's .to(uint8)
    np.testing.assert_array_equal(T.Grayscale(3)(x[:1, :1][0]), np.repeat(x[0, :1], 3, axis=0))
    with pytest.raises(ValueError, match="num_output_channels"):
        T.Grayscale(2)
    with pytest.raises(TypeError, match="1 or 3 channels"):
        T.Grayscale()(image((2, 4, 4)))
    with pytest.raises(TypeError, match="N x C x H x W"):  # 3 grey MNIST arrays are not RGB
        T.Grayscale().batch(image((3, 28, 28), np.uint8))
    with pytest.raises(TypeError, match="N x C x H x W"):
        T.ColorJitter(brightness=0.5).batch(image((3, 28, 28), np.uint8))


# ------------------------------------------------------------------ RandomHorizontalFlip
def test_random_horizontal_flip_distribution_and_seed():
    x = image((400, 1, 2, 3))
    npgrad.manual_seed(0)
    out = T.RandomHorizontalFlip(p=0.3).batch(npgrad.from_numpy(x)).numpy()
    flipped = np.array([np.array_equal(o, xi[..., ::-1]) for o, xi in zip(out, x)])
    kept = np.array([np.array_equal(o, xi) for o, xi in zip(out, x)])
    assert np.all(flipped ^ kept)
    assert 0.3 - 0.07 < flipped.mean() < 0.3 + 0.07
    npgrad.manual_seed(0)
    again = np.stack([T.RandomHorizontalFlip(p=0.3)(xi) for xi in x])  # one image at a time
    np.testing.assert_array_equal(again, out)
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(x[0]), x[0][..., ::-1])
    assert np.array_equal(T.RandomHorizontalFlip(p=0.0)(x[0]), x[0])


# ------------------------------------------------------------------ ColorJitter
def _blend(a, b, f):
    return np.clip(f * a + (1 - f) * b, 0, 1)


def _reference(x, kind, f):
    """torchvision's adjust_* on a float RGB image, written out from its documentation."""
    grey = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    if kind == "brightness":
        return np.clip(x * f, 0, 1)
    if kind == "contrast":
        return _blend(x, grey.mean(), f)
    if kind == "saturation":
        return _blend(x, grey[None], f)
    out = np.empty_like(x)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            out[:, i, j] = colorsys.hsv_to_rgb((h + f) % 1.0, s, v)
    return out


@pytest.mark.parametrize("kind,lo,hi", [("brightness", 0.3, 1.9), ("contrast", 0.2, 1.5),
                                        ("saturation", 0.0, 2.0), ("hue", -0.4, 0.3)])
def test_color_jitter_single_adjustment_matches_formula_and_its_range(kind, lo, hi):
    x = image((3, 6, 7), np.float64)
    t = T.ColorJitter(**{kind: (lo, hi)}, generator=npgrad.Generator().manual_seed(1))
    factors = []
    for _ in range(30):
        u = t._uniforms()
        f = lo + (hi - lo) * u[["brightness", "contrast", "saturation", "hue"].index(kind)]
        factors.append(f)
    t.generator.manual_seed(1)
    for f in factors:
        np.testing.assert_allclose(t(x), _reference(x, kind, f), atol=1e-12)
    assert lo <= min(factors) and max(factors) <= hi and max(factors) - min(factors) > (hi - lo) / 3


def test_color_jitter_order_is_a_random_permutation_and_batches_reproduce():
    x = image((3, 5, 5), np.float64)
    t = T.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2)
    npgrad.manual_seed(3)
    orders = {tuple(np.argsort(t._uniforms()[4:], kind="stable")) for _ in range(300)}
    assert len(orders) == 24  # every order of the four adjustments happens
    batch = np.stack([x] * 6)
    npgrad.manual_seed(5)
    out = t.batch(npgrad.from_numpy(batch)).numpy()
    npgrad.manual_seed(5)
    one_by_one = np.stack([t(npgrad.from_numpy(xi)).numpy() for xi in batch])
    np.testing.assert_allclose(out, one_by_one)
    assert not np.allclose(out[0], out[1])  # each image its own factors
    assert out.min() >= 0 and out.max() <= 1


def test_color_jitter_ranges_and_errors_as_torchvision():
    t = T.ColorJitter(brightness=0.5, contrast=2, saturation=(0.5, 0.9), hue=0.1)
    assert t.brightness == (0.5, 1.5) and t.contrast == (0.0, 3.0)
    assert t.saturation == (0.5, 0.9) and t.hue == (-0.1, 0.1)
    assert T.ColorJitter().brightness is None
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    u8 = image((3, 4, 4), np.uint8)
    out = T.ColorJitter(brightness=(2.0, 2.0 + 1e-9))(u8)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(u8.astype(np.float32) * 2.0, 0, 255).astype(np.uint8))
    grey = image((1, 4, 4))  # one channel: saturation and hue leave it alone
    np.testing.assert_array_equal(T.ColorJitter(saturation=0.9, hue=0.4)(grey), grey)


# ------------------------------------------------------------------ save_image
def test_save_image_writes_torchvisions_pixels(tmp_path):
    PIL = pytest.importorskip("PIL.Image", reason="save_image writes through Pillow (extras)")
    x = image((5, 3, 4, 6))
    path = tmp_path / "grid.png"
    save_image(npgrad.from_numpy(x), path, nrow=3, padding=1)
    grid = make_grid(x, nrow=3, padding=1)
    expected = torch.from_numpy(grid).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8)
    with PIL.open(path) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(im), expected.numpy())
    save_image(npgrad.from_numpy(x[:1] * 4 - 2), tmp_path / "n.png", normalize=True,
               value_range=(-2, 2))
    with PIL.open(tmp_path / "n.png") as im:
        got = np.asarray(im)
    np.testing.assert_array_equal(got, np.clip(x[0] * 255 + 0.5, 0, 255).astype(np.uint8)
                                  .transpose(1, 2, 0))
