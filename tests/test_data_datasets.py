"""TensorDataset, Subset, ConcatDataset and random_split against PyTorch's."""
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import npgrad
from npgrad.utils import data


def make_tensors(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = (np.arange(n) % 4).astype(np.int64)
    return (npgrad.from_numpy(x), npgrad.from_numpy(y)), (torch.from_numpy(x), torch.from_numpy(y))


def test_tensor_dataset_items_match_torch():
    (x, y), (tx, ty) = make_tensors()
    ours, theirs = data.TensorDataset(x, y), tud.TensorDataset(tx, ty)
    assert len(ours) == len(theirs) == 10
    for i in (0, 3, -1):
        (a, b), (ta, tb) = ours[i], theirs[i]
        np.testing.assert_array_equal(a.numpy(), ta.numpy())
        assert b.item() == tb.item() and b.dtype == npgrad.int64


def test_tensor_dataset_batch_fetch_equals_item_fetch_then_collate():
    (x, y), _ = make_tensors()
    ds = data.TensorDataset(x, y)
    indices = [7, 2, 2, 9]
    fast = ds.__getitems__(indices)
    assert isinstance(fast, data.Collated)
    slow = data.default_collate([ds[i] for i in indices])
    assert isinstance(fast.batch, list) and len(fast.batch) == 2
    for a, b in zip(fast.batch, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_dataset_batch_keeps_gradients():
    w = npgrad.ones(4, 2, requires_grad=True)
    ds = data.TensorDataset(w)
    (rows,) = ds.__getitems__([0, 0, 3]).batch
    rows.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [2, 0, 0, 1])


def test_tensor_dataset_size_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\), \(4,\)"):
        data.TensorDataset(npgrad.zeros(3, 2), npgrad.zeros(4))


def test_subset_matches_torch_and_keeps_the_fast_path():
    (x, y), (tx, ty) = make_tensors()
    indices = [9, 0, 4, 4]
    ours = data.Subset(data.TensorDataset(x, y), indices)
    theirs = tud.Subset(tud.TensorDataset(tx, ty), indices)
    assert len(ours) == len(theirs)
    for i in range(len(ours)):
        np.testing.assert_array_equal(ours[i][0].numpy(), theirs[i][0].numpy())
    fetched = ours.__getitems__([1, 3])
    assert isinstance(fetched, data.Collated)
    np.testing.assert_array_equal(fetched.batch[1].numpy(), [theirs[1][1].item(), theirs[3][1].item()])
    np.testing.assert_array_equal(fetched.batch[0].numpy(), np.stack([theirs[1][0].numpy(), theirs[3][0].numpy()]))
    ours.indices = [1]  # changing the indices is seen by the next batch fetch
    np.testing.assert_array_equal(ours.__getitems__([0]).batch[0].numpy(), x.numpy()[[1]])


def test_concat_dataset_matches_torch():
    a, b = list(range(3)), list(range(10, 15))

    class L(data.Dataset):
        def __init__(self, items):
            self.items = items

        def __getitem__(self, i):
            return self.items[i]

        def __len__(self):
            return len(self.items)

    ours = L(a) + L(b)
    theirs = tud.ConcatDataset([a, b])
    assert isinstance(ours, data.ConcatDataset)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    with pytest.raises(ValueError, match="empty"):
        data.ConcatDataset([])


@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]),
                                       (30, [0.3, 0.3, 0.4]), (7, [0.1, 0.1, 0.8])])
def test_random_split_lengths_match_torch(n, lengths):
    npgrad.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = data.random_split(list(range(n)), lengths)
        theirs = tud.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    items = sorted(i for s in ours for i in (s[j] for j in range(len(s))))
    assert items == list(range(n))  # disjoint and complete


def test_random_split_is_deterministic_with_a_generator():
    a = data.random_split(range(20), [5, 15], generator=npgrad.Generator().manual_seed(1))
    b = data.random_split(range(20), [5, 15], generator=npgrad.Generator().manual_seed(1))
    assert a[0].indices == b[0].indices and a[1].indices == b[1].indices
    c = data.random_split(range(20), [5, 15], generator=npgrad.Generator().manual_seed(2))
    assert c[0].indices != a[0].indices


def test_random_split_errors():
    with pytest.raises(ValueError, match="does not equal the length"):
        data.random_split(range(10), [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        data.random_split(range(2), [0.9, 0.1])
