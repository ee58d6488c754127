"""make_grid against a hand-built grid; show_batch writes a real PNG (and says so clearly when
matplotlib is missing)."""
import sys

import numpy as np
import pytest

import npgrad
from npgrad.vision.utils import make_grid, show_batch


def test_make_grid_by_hand():
    images = np.stack([np.full((1, 2, 3), v, np.float32) for v in (1, 2, 3)])  # N=3, 1x2x3
    grid = make_grid(npgrad.from_numpy(images), nrow=2, padding=1, pad_value=9)
    assert isinstance(grid, npgrad.Tensor)
    g = grid.numpy()
    # 2 columns, 2 rows: height 1 + 2*(2+1) = 7, width 1 + 2*(3+1) = 9, grey -> 3 channels
    assert g.shape == (3, 7, 9)
    expected = np.full((7, 9), 9, np.float32)
    expected[1:3, 1:4], expected[1:3, 5:8], expected[4:6, 1:4] = 1, 2, 3
    for c in range(3):
        np.testing.assert_array_equal(g[c], expected)


def test_make_grid_normalize_and_single_image():
    x = np.arange(8, dtype=np.float32).reshape(2, 1, 2, 2)
    g = make_grid(x, nrow=2, padding=0, normalize=True)
    assert g.min() == 0.0 and g.max() == 1.0 and g.shape == (3, 2, 4)
    each = make_grid(x, nrow=2, padding=0, normalize=True, scale_each=True)
    np.testing.assert_allclose(each[0, :, :2], [[0, 1 / 3], [2 / 3, 1]])
    np.testing.assert_allclose(each[0, :, 2:], [[0, 1 / 3], [2 / 3, 1]])
    assert make_grid(x[:1]).shape == (3, 2, 2)  # one image comes back alone
    with pytest.raises(ValueError, match="N x C x H x W"):
        make_grid(np.zeros((1, 1, 1, 2, 2)))


def test_show_batch_saves_a_labelled_png(tmp_path):
    import matplotlib.image

    images = npgrad.from_numpy(np.random.default_rng(0).random((10, 1, 28, 28)).astype(np.float32))
    labels = npgrad.tensor([3, 7, 3, 7, 3, 7, 3, 7, 3, 7])
    path = show_batch(images, labels, tmp_path / "out" / "batch.png", classes={3: "three", 7: "seven"},
                      predictions=[3, 3, 3, 7, 3, 7, 3, 7, 7, 7], ncols=5, title="a batch")
    data = (tmp_path / "out" / "batch.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and str(path).endswith("batch.png")
    picture = matplotlib.image.imread(tmp_path / "out" / "batch.png")
    assert picture.ndim == 3 and picture.shape[1] > picture.shape[0]  # 5 wide, 2 high
    with pytest.raises(ValueError, match="N x H x W"):
        show_batch(np.zeros((2, 5, 3, 3)), None, tmp_path / "x.png")


def test_show_batch_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        show_batch(np.zeros((1, 4, 4)), [0], tmp_path / "x.png")
