"""DataLoader semantics against PyTorch's on the same data: batch counts, the last batch,
drop_last, shuffling (every item once per epoch, a new order each epoch, reproducible under a
seed), custom samplers and collate functions, iterable datasets, and the batched fast path."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import npgrad
from npgrad.utils.data import (
    Collated, DataLoader, Dataset, IterableDataset, Subset, TensorDataset, default_collate,
)


def tensors(n):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return x, y


class Items(Dataset):
    """A dataset with only __getitem__ (the item-by-item path), returning NumPy rows."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])

    def __len__(self):
        return len(self.x)


def as_lists(batches):
    return [[np.asarray(part.numpy()).tolist() for part in batch] for batch in batches]


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                     (9, 3, True), (4, 8, False), (4, 8, True),
                                                     (5, 1, False)])
def test_batches_match_torch_in_order(n, batch_size, drop_last):
    x, y = tensors(n)
    theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                            batch_size=batch_size, drop_last=drop_last)
    for ds in (TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y)), Items(x, y)):
        ours = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert as_lists(ours) == as_lists(theirs)


def test_shuffle_covers_every_item_once_and_changes_each_epoch():
    x, y = tensors(100)
    loader = DataLoader(TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y)),
                        batch_size=16, shuffle=True)
    npgrad.manual_seed(0)
    epochs = [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(2)]
    for labels in epochs:
        assert sorted(labels.tolist()) == list(range(100))
    assert epochs[0].tolist() != epochs[1].tolist()
    assert [len(yb) for _, yb in loader] == [16] * 6 + [4]


def test_shuffle_is_reproducible_with_manual_seed_and_with_a_generator():
    x, y = tensors(50)
    ds = TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y))

    def order(**kw):
        return np.concatenate([yb.numpy() for _, yb in DataLoader(ds, batch_size=8, shuffle=True, **kw)])

    npgrad.manual_seed(7)
    a = order()
    npgrad.manual_seed(7)
    b = order()
    np.testing.assert_array_equal(a, b)
    c = order(generator=npgrad.Generator().manual_seed(1))
    d = order(generator=npgrad.Generator().manual_seed(1))
    np.testing.assert_array_equal(c, d)


def test_batched_fast_path_equals_item_path():
    x, y = tensors(37)
    fast = TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y))
    slow = Items(x, y)
    for shuffle in (False, True):
        npgrad.manual_seed(11)
        a = list(DataLoader(fast, batch_size=5, shuffle=shuffle))
        npgrad.manual_seed(11)
        b = list(DataLoader(slow, batch_size=5, shuffle=shuffle))
        assert len(a) == len(b)
        for (xa, ya), (xb, yb) in zip(a, b):
            assert xa.dtype == xb.dtype and ya.dtype == yb.dtype
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())


def test_custom_collate_fn_gets_samples_even_from_a_batching_dataset():
    x, y = tensors(6)
    ds = TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y))
    seen = []

    def collate(samples):
        seen.append(samples)
        return len(samples)

    assert list(DataLoader(ds, batch_size=4, collate_fn=collate)) == [4, 2]
    assert isinstance(seen[0], list) and isinstance(seen[0][0], tuple)


def test_a_torch_style_getitems_returning_a_list_is_collated():
    class ListBatches(Items):
        def __getitems__(self, indices):
            return [self[i] for i in indices]

    x, y = tensors(5)
    out = list(DataLoader(ListBatches(x, y), batch_size=2))
    assert [yb.tolist() for _, yb in out] == [[0, 1], [2, 3], [4]]


def test_subset_from_random_split_takes_the_fast_path():
    x, y = tensors(20)
    ds = TensorDataset(npgrad.from_numpy(x), npgrad.from_numpy(y))
    sub = Subset(ds, list(range(19, -1, -2)))
    assert isinstance(sub.__getitems__([0, 1]), Collated)
    assert [yb.tolist() for _, yb in DataLoader(sub, batch_size=4)] == [[19, 17, 15, 13], [11, 9, 7, 5], [3, 1]]


def test_batch_size_none_hands_out_single_samples_like_torch():
    x, y = tensors(3)
    ours = list(DataLoader(Items(x, y), batch_size=None))
    theirs = list(tud.DataLoader(Items(x, y), batch_size=None))
    assert len(ours) == len(theirs) == 3
    for (a, b), (ta, tb) in zip(ours, theirs):
        assert isinstance(a, npgrad.Tensor) and isinstance(ta, torch.Tensor)
        np.testing.assert_array_equal(a.numpy(), ta.numpy())
        assert b == tb


def test_custom_sampler_and_batch_sampler_match_torch():
    x, y = tensors(10)
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    ours = DataLoader(Items(x, y), batch_size=3, sampler=order)
    theirs = tud.DataLoader(Items(x, y), batch_size=3, sampler=order)
    assert as_lists(ours) == as_lists(theirs) and len(ours) == len(theirs)
    batches = [[0, 1], [9], [2, 2, 2]]
    ours = DataLoader(Items(x, y), batch_sampler=batches)
    theirs = tud.DataLoader(Items(x, y), batch_sampler=batches)
    assert as_lists(ours) == as_lists(theirs) and len(ours) == len(theirs) == 3


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_matches_torch(batch_size, drop_last):
    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    ours = DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(TorchStream(), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [b.tolist() if isinstance(b, npgrad.Tensor) else b for b in ours] == \
        [b.tolist() if isinstance(b, torch.Tensor) else b for b in theirs]


def test_nested_samples_collate_like_torch():
    class Nested(Dataset):
        def __getitem__(self, i):
            return {"image": np.full((2, 2), i, np.float32), "meta": (i, float(i) / 2)}

        def __len__(self):
            return 5

    (ours,) = list(DataLoader(Nested(), batch_size=5))
    (theirs,) = list(tud.DataLoader(Nested(), batch_size=5))
    np.testing.assert_array_equal(ours["image"].numpy(), theirs["image"].numpy())
    assert isinstance(ours["meta"], list) and isinstance(theirs["meta"], list)
    assert ours["meta"][0].tolist() == theirs["meta"][0].tolist()
    assert ours["meta"][1].dtype == npgrad.float64 and theirs["meta"][1].dtype == torch.float64


def test_options_torch_rejects_are_rejected():
    x, y = tensors(4)
    ds = Items(x, y)
    cases = [dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
             dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
             dict(persistent_workers=True)]
    for kwargs in cases:
        with pytest.raises(ValueError):
            tud.DataLoader(ds, **kwargs)
        with pytest.raises(ValueError):
            DataLoader(ds, **kwargs)
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        DataLoader(Stream(3), shuffle=True)


def test_worker_processes_give_the_batches_of_the_main_process():
    x, y = tensors(10)
    assert as_lists(DataLoader(Items(x, y), batch_size=3, num_workers=2)) == as_lists(
        DataLoader(Items(x, y), batch_size=3))


def test_default_collate_is_what_the_loader_uses():
    x, y = tensors(4)
    loader = DataLoader(Items(x, y), batch_size=2)
    assert loader.collate_fn is default_collate
    assert [len(b[0]) for b in loader] == [2, 2]
