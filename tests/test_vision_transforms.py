"""Transforms against hand computations on small arrays, against PyTorch where it computes the
same thing (float conversion, normalisation, padding, grid sampling), and batch == items."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import npgrad
from npgrad.vision import transforms as T
from npgrad.vision.transforms import functional as F

RNG = np.random.default_rng(0)


def img_u8(*shape):
    return RNG.integers(0, 256, shape).astype(np.uint8)


def arr(x):
    return x.numpy() if isinstance(x, npgrad.Tensor) else x


# ---------------------------------------------------------------- ToTensor & friends
def test_to_tensor_matches_torch_bit_for_bit():
    grey, colour = img_u8(5, 4), img_u8(5, 4, 3)
    out = T.ToTensor()(grey)
    assert isinstance(out, npgrad.Tensor) and out.dtype == npgrad.float32 and tuple(out.shape) == (1, 5, 4)
    np.testing.assert_array_equal(out.numpy()[0], torch.from_numpy(grey).float().div(255).numpy())
    out = T.ToTensor()(colour)
    np.testing.assert_array_equal(out.numpy(), torch.from_numpy(colour).permute(2, 0, 1).float().div(255).numpy())


def test_to_tensor_batch_equals_items_and_accepts_pil():
    from PIL import Image

    batch = img_u8(3, 5, 4)
    items = np.stack([T.ToTensor()(im).numpy() for im in batch])
    np.testing.assert_array_equal(T.ToTensor().batch(batch).numpy(), items)
    assert tuple(T.ToTensor().batch(img_u8(2, 4, 4, 3)).shape) == (2, 3, 4, 4)
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(batch[0])).numpy(), items[0])
    with pytest.raises(TypeError, match="already a tensor"):
        T.ToTensor()(npgrad.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="H x W"):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_pil_to_tensor_and_int_to_float():
    batch = img_u8(2, 3, 3)
    raw = T.PILToTensor().batch(batch)
    assert raw.dtype == npgrad.uint8 and tuple(raw.shape) == (2, 1, 3, 3)
    out = T.IntToFloatTensor()(raw)
    assert out.dtype == npgrad.float32
    np.testing.assert_array_equal(out.numpy(), batch[:, None].astype(np.float32) / np.float32(255))


# ---------------------------------------------------------------- Normalize
@pytest.mark.parametrize("shape,mean,std", [((1, 4, 4), (0.1307,), (0.3081,)),
                                            ((3, 2, 5), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)),
                                            ((6, 3, 2, 2), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)),
                                            ((6, 3, 2, 2), (0.5,), (0.2,))])
def test_normalize_matches_torchvision_formula(shape, mean, std):
    x = RNG.random(shape).astype(np.float32)
    out = T.Normalize(mean, std)(npgrad.from_numpy(x.copy()))
    m = torch.tensor(mean).view(-1, 1, 1)
    s = torch.tensor(std).view(-1, 1, 1)
    expected = torch.from_numpy(x.copy()).sub_(m).div_(s)  # what torchvision's normalize does
    assert out.dtype == npgrad.float32
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_normalize_inplace_overwrites_its_input():
    x = RNG.random((2, 3, 3)).astype(np.float32)
    t = npgrad.from_numpy(x.copy())
    out = T.Normalize((0.5, 0.25), (2.0, 4.0), inplace=True)(t)
    assert out is t
    np.testing.assert_array_equal(t.numpy(), T.Normalize((0.5, 0.25), (2.0, 4.0))(npgrad.from_numpy(x)).numpy())


def test_normalize_errors():
    with pytest.raises(TypeError, match="float tensor, got uint8"):
        T.Normalize((0.5,), (0.5,))(npgrad.zeros(1, 2, 2, dtype=npgrad.uint8))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5,), (0.0,))(npgrad.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="3 values of mean for an image with 1 channels"):
        T.Normalize((0.5, 0.5, 0.5), (1, 1, 1))(npgrad.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        T.Normalize((0.5,), (1,))(npgrad.zeros(2, 2))


def test_normalize_without_stats_measures_the_first_batch_like_fastai():
    first = RNG.random((8, 2, 3, 3)).astype(np.float32) * 4 + 1
    norm = T.Normalize()
    out = norm.batch(npgrad.from_numpy(first)).numpy()
    per_channel = first.transpose(1, 0, 2, 3).reshape(2, -1).astype(np.float64)
    np.testing.assert_allclose(norm.mean, per_channel.mean(1), rtol=1e-12)
    np.testing.assert_allclose(norm.std, per_channel.std(1, ddof=1) + 1e-7, rtol=1e-12)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    kept = norm.mean
    norm.batch(npgrad.from_numpy(first * 10))
    assert norm.mean == kept  # fitted once, then fixed


# ---------------------------------------------------------------- padding and cropping
@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                              ("reflect", "reflect")])
def test_pad_matches_torch(mode, torch_mode):
    x = RNG.random((2, 3, 5, 6)).astype(np.float32)
    ours = T.Pad((1, 2, 3, 4), fill=0, padding_mode=mode).batch(npgrad.from_numpy(x)).numpy()
    theirs = tF.pad(torch.from_numpy(x), (1, 3, 2, 4), mode=torch_mode).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_pad_by_hand():
    x = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(T.Pad(1, fill=9)(x), [[9, 9, 9, 9], [9, 1, 2, 9], [9, 3, 4, 9], [9, 9, 9, 9]])
    np.testing.assert_array_equal(T.Pad((1, 0), padding_mode="symmetric")(x), [[1, 1, 2, 2], [3, 3, 4, 4]])
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")


def test_crop_pad_by_hand():
    x = np.arange(1, 26, dtype=np.uint8).reshape(5, 5)
    np.testing.assert_array_equal(T.CropPad(3)(x), x[1:4, 1:4])
    np.testing.assert_array_equal(T.CropPad(4)(x), x[0:4, 0:4])  # (5-4)//2 = 0
    padded = T.CropPad(8)(x)  # (5-8)//2 = -2: two rows/cols before, one after
    assert padded.shape == (8, 8)
    np.testing.assert_array_equal(padded[2:7, 2:7], x)
    assert padded[:2].sum() == 0 and padded[7:].sum() == 0 and padded[:, :2].sum() == 0
    mixed = T.CropPad((3, 7))(x)  # crop rows, pad columns
    np.testing.assert_array_equal(mixed[:, 1:6], x[1:4])
    border = T.CropPad(7, pad_mode=T.PadMode.Border)(x)
    np.testing.assert_array_equal(border[0], [1, 1, 2, 3, 4, 5, 5])


def test_seed_003_crop_pad_34_then_random_crop_28():
    x = img_u8(28, 28)
    padded = T.CropPad(34)(x)
    assert padded.shape == (34, 34)
    np.testing.assert_array_equal(padded[3:31, 3:31], x)
    npgrad.manual_seed(0)
    out = T.Compose([T.ToTensor(), T.CropPad(34), T.RandomCrop(28)])(x)
    assert tuple(out.shape) == (1, 28, 28) and out.dtype == npgrad.float32
    full = T.ToTensor()(padded).numpy()
    windows = np.lib.stride_tricks.sliding_window_view(full[0], (28, 28))
    assert any(np.array_equal(out.numpy()[0], windows[i, j]) for i in range(7) for j in range(7))


def test_center_crop_uses_torchvisions_rounding():
    x = np.arange(36, dtype=np.uint8).reshape(6, 6)
    np.testing.assert_array_equal(T.CenterCrop(3)(x), x[2:5, 2:5])  # round(1.5) == 2
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(x), x[2:4, 1:5])
    bigger = T.CenterCrop(9)(x)  # padded: left/top (9-6)//2 = 1, right/bottom 2
    assert bigger.shape == (9, 9)
    np.testing.assert_array_equal(bigger[1:7, 1:7], x)


def test_random_crop_hits_every_position_uniformly():
    x = np.arange(16, dtype=np.uint8).reshape(4, 4)
    crop = T.RandomCrop(2, generator=npgrad.Generator().manual_seed(0))
    corners = [int(crop(x)[0, 0]) for _ in range(900)]
    counts = np.bincount(corners, minlength=16).reshape(4, 4)[:3, :3]
    assert counts.min() > 60  # 9 positions, 100 each on average
    assert np.bincount(corners, minlength=16).reshape(4, 4)[3].sum() == 0


def test_random_crop_padding_and_errors():
    x = np.ones((4, 4), np.uint8)
    out = T.RandomCrop(4, padding=2, generator=npgrad.Generator().manual_seed(1)).batch(np.ones((50, 4, 4), np.uint8))
    assert out.shape == (50, 4, 4) and 0 < out.mean() < 1  # some windows reach into the padding
    assert T.RandomCrop(6, pad_if_needed=True)(x).shape == (6, 6)
    with pytest.raises(ValueError, match=r"crop size \(6, 6\) is larger than the input image size \(4, 4\)"):
        T.RandomCrop(6)(x)


# ---------------------------------------------------------------- batch == items, same seed
RANDOM = [
    T.RandomCrop(5, padding=2),
    T.RandomHorizontalFlip(),
    T.RandomVerticalFlip(p=0.3),
    T.RandomRotation(20),
    T.RandomAffine(10, translate=(0.2, 0.1), scale=(0.9, 1.1), shear=5),
    T.RandomAffine(30, interpolation="bilinear"),
]


@pytest.mark.parametrize("transform", RANDOM, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_batch_equals_items_under_the_same_seed(transform, as_tensor):
    images = img_u8(6, 1, 7, 7) if as_tensor else img_u8(6, 7, 7)
    if as_tensor:
        images = npgrad.from_numpy(images.astype(np.float32) / 255)
    npgrad.manual_seed(42)
    batch = transform.batch(images)
    npgrad.manual_seed(42)
    items = [transform(im) for im in (images if not as_tensor else [images[i] for i in range(6)])]
    assert isinstance(batch, npgrad.Tensor) == as_tensor
    np.testing.assert_array_equal(arr(batch), np.stack([arr(i) for i in items]))
    assert arr(batch).dtype == arr(images).dtype


def test_flips_by_hand():
    x = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(x), [[2, 1], [4, 3]])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1)(x), [[3, 4], [1, 2]])
    assert T.RandomHorizontalFlip(p=0)(x) is x
    npgrad.manual_seed(0)
    flipped = T.RandomHorizontalFlip().batch(np.repeat(x[None], 400, axis=0))
    share = (flipped[:, 0, 0] == 2).mean()
    assert 0.4 < share < 0.6


# ---------------------------------------------------------------- rotations and affine maps
def test_rotation_by_90_is_rot90_counter_clockwise():
    x = img_u8(2, 6, 6)
    np.testing.assert_array_equal(F.rotate(x, 90), np.rot90(x, k=1, axes=(-2, -1)))
    np.testing.assert_array_equal(F.rotate(x, -90), np.rot90(x, k=-1, axes=(-2, -1)))
    np.testing.assert_array_equal(F.rotate(x, 180), x[..., ::-1, ::-1])
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(x), np.rot90(x, k=1, axes=(-2, -1)))
    # torchvision's affine turns the other way: positive angles are clockwise
    np.testing.assert_array_equal(F.affine(x, 90), np.rot90(x, k=-1, axes=(-2, -1)))


def test_rotation_fills_the_corners():
    x = np.full((9, 9), 200, np.uint8)
    out = F.rotate(x, 45, fill=7)
    assert out.dtype == np.uint8 and out[0, 0] == 7 and out[4, 4] == 200


def test_affine_translate_scale_and_shear_by_hand():
    x = np.zeros((7, 7), np.uint8)
    x[3, 3] = 255  # the centre pixel
    moved = F.affine(x, 0, translate=(2, 1))
    assert np.argwhere(moved).tolist() == [[4, 5]]  # right by 2, down by 1
    y = np.zeros((7, 7), np.uint8)
    y[5, 3] = 255  # two rows below the centre
    sheared = F.affine(y, 0, shear=(45, 0))
    assert np.argwhere(sheared).tolist() == [[5, 1]]  # x' = x - tan(45) * y: two columns left
    grown = F.affine(y, 0, scale=0.5)
    assert np.argwhere(grown).tolist() == [[4, 3]]  # half the distance from the centre


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_warp_samples_like_torch_grid_sample(interpolation):
    """Sampling checked against PyTorch's grid_sample (zeros outside, align_corners=False)."""
    n, h, w = 4, 9, 11
    x = RNG.random((n, 2, h, w)).astype(np.float32)
    mats = F.affine_matrices(RNG.uniform(-40, 40, n), RNG.uniform(-2, 2, n), RNG.uniform(-2, 2, n),
                             RNG.uniform(0.8, 1.2, n), RNG.uniform(-10, 10, n), np.zeros(n), h, w)
    ours = F.warp(x, mats, interpolation, fill=0)
    ys, xs = np.indices((h, w), dtype=np.float64)
    src_x = mats[:, 0, 0, None, None] * xs + mats[:, 0, 1, None, None] * ys + mats[:, 0, 2, None, None]
    src_y = mats[:, 1, 0, None, None] * xs + mats[:, 1, 1, None, None] * ys + mats[:, 1, 2, None, None]
    grid = np.stack([(2 * src_x + 1) / w - 1, (2 * src_y + 1) / h - 1], axis=-1)
    theirs = tF.grid_sample(torch.from_numpy(x), torch.from_numpy(grid).float(), mode=interpolation,
                            padding_mode="zeros", align_corners=False).numpy()
    if interpolation == "bilinear":
        np.testing.assert_allclose(ours, theirs, atol=1e-4)
    else:  # float32 grid vs float64: a rounding tie may land differently, very rarely
        assert (ours == theirs).mean() > 0.99


def test_random_affine_argument_checks():
    with pytest.raises(ValueError, match="non-negative"):
        T.RandomAffine(-5)
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(2, 0))
    with pytest.raises(NotImplementedError, match="expand"):
        T.RandomRotation(10, expand=True)
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomRotation(10, interpolation="bicubic")


# ---------------------------------------------------------------- composition
def test_compose_batch_with_a_plain_function_member():
    double = T.Compose([T.ToTensor(), lambda t: t * 2, T.Normalize((0.5,), (0.5,))])
    images = img_u8(3, 4, 4)
    batch = double.batch(images)
    items = np.stack([double(im).numpy() for im in images])
    np.testing.assert_array_equal(batch.numpy(), items)
    assert "ToTensor()" in repr(double)


def test_lambda_per_item_or_batched():
    images = img_u8(3, 2, 2)
    per_item = T.Lambda(lambda im: im.max())
    assert per_item.batch(images).tolist() == [int(im.max()) for im in images]
    batched = T.Lambda(lambda ims: ims // 2, batched=True)
    np.testing.assert_array_equal(batched.batch(images), images // 2)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
