"""Samplers: the same indices, lengths and batch shapes as PyTorch's; randomness from npgrad's
generators (different numbers than torch's, same guarantees)."""
import numpy as np
import pytest
import torch.utils.data as tud

import npgrad
from npgrad.utils import data


def test_sequential_sampler_matches_torch():
    source = list(range(7))
    assert list(data.SequentialSampler(source)) == list(tud.SequentialSampler(source))
    assert len(data.SequentialSampler(source)) == 7


def test_random_sampler_is_a_fresh_permutation_each_epoch():
    npgrad.manual_seed(0)
    sampler = data.RandomSampler(range(50))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second
    assert len(sampler) == 50


def test_random_sampler_follows_manual_seed_and_generator():
    npgrad.manual_seed(3)
    a = list(data.RandomSampler(range(20)))
    npgrad.manual_seed(3)
    b = list(data.RandomSampler(range(20)))
    assert a == b
    g1, g2 = npgrad.Generator().manual_seed(5), npgrad.Generator().manual_seed(5)
    state = npgrad.default_generator.get_state()
    assert list(data.RandomSampler(range(20), generator=g1)) == list(data.RandomSampler(range(20), generator=g2))
    assert npgrad.default_generator.get_state() == state  # its own generator: global untouched


@pytest.mark.parametrize("num_samples", [5, 23, 40])
def test_random_sampler_num_samples_without_replacement(num_samples):
    npgrad.manual_seed(1)
    drawn = list(data.RandomSampler(range(10), num_samples=num_samples))
    ref = list(tud.RandomSampler(range(10), num_samples=num_samples))
    assert len(drawn) == len(ref) == num_samples
    counts = np.bincount(drawn, minlength=10)
    # whole permutations first: every index appears num_samples // 10 or one more times
    assert counts.min() >= num_samples // 10 and counts.max() <= -(-num_samples // 10)


def test_random_sampler_with_replacement():
    npgrad.manual_seed(2)
    drawn = list(data.RandomSampler(range(4), replacement=True, num_samples=200))
    assert len(drawn) == 200 and set(drawn) == {0, 1, 2, 3}


def test_random_sampler_rejects_what_torch_rejects():
    for kwargs in ({"num_samples": 0}, {"replacement": 1}):
        with pytest.raises((ValueError, TypeError)):
            tud.RandomSampler(range(3), **kwargs)
        with pytest.raises((ValueError, TypeError), match="num_samples|replacement"):
            data.RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    npgrad.manual_seed(4)
    indices = [10, 20, 30, 40, 50]
    sampler = data.SubsetRandomSampler(indices)
    drawn = list(sampler)
    assert sorted(drawn) == indices and len(sampler) == 5


def test_weighted_random_sampler():
    npgrad.manual_seed(5)
    drawn = list(data.WeightedRandomSampler([0.0, 1.0, 3.0, 0.0], num_samples=400))
    assert len(drawn) == 400 and set(drawn) == {1, 2}
    assert 0.65 < drawn.count(2) / 400 < 0.85  # weight 3 of 4
    distinct = list(data.WeightedRandomSampler([1, 1, 1, 1], num_samples=4, replacement=False))
    assert sorted(distinct) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="without replacement"):
        data.WeightedRandomSampler([1, 0, 1], num_samples=3, replacement=False)
    with pytest.raises(ValueError, match="1d"):
        data.WeightedRandomSampler([[1, 2]], num_samples=1)


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                     (2, 5, False), (2, 5, True), (1, 1, False)])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    for source in (range(n), list(range(n))):  # any iterable, and our fast path
        ours = data.BatchSampler(source, batch_size, drop_last)
        theirs = tud.BatchSampler(source, batch_size, drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
    ours = data.BatchSampler(data.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert all(type(i) is int for batch in ours for i in batch)


def test_batch_sampler_respects_a_subclass_that_overrides_iter():
    class Backwards(data.SequentialSampler):
        def __iter__(self):
            return iter(reversed(range(len(self.data_source))))

    class Keys(data.Sampler):
        def __iter__(self):
            return iter(["a", "b", "c"])

    assert list(data.BatchSampler(Backwards(range(5)), 2, False)) == [[4, 3], [2, 1], [0]]
    assert list(data.BatchSampler(Keys(), 2, False)) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_batch_sampler_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        data.BatchSampler(range(3), bad, False)


def test_batch_sampler_rejects_bad_drop_last():
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        data.BatchSampler(range(3), 2, 1)


def test_random_sampler_with_replacement_draws_lazily():
    """10**10 draws (80 GB as int64) must not be allocated: only a chunk at a time."""
    import itertools
    import tracemalloc

    from npgrad.utils.data import BatchSampler, RandomSampler

    tracemalloc.start()
    try:
        sampler = RandomSampler(range(10), replacement=True, num_samples=10 ** 10)
        assert len(sampler) == 10 ** 10
        first = list(itertools.islice(iter(sampler), 1000))
        batches = list(itertools.islice(iter(BatchSampler(sampler, 64, False)), 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2 ** 20, f"peak {peak} bytes"
    assert len(first) == 1000 and set(first) == set(range(10))  # all values, uniform-ish
    assert [len(b) for b in batches] == [64] * 20


def test_random_sampler_lazy_and_whole_epoch_orders_agree():
    from npgrad.utils.data import BatchSampler, RandomSampler

    for replacement in (True, False):
        sampler = RandomSampler(range(7), replacement=replacement, num_samples=200_000,
                                generator=npgrad.Generator().manual_seed(5))
        lazy = list(iter(sampler))
        sampler.generator.manual_seed(5)
        batched = sum(BatchSampler(sampler, 1000, False), [])
        assert lazy == batched and len(lazy) == 200_000
        if not replacement:  # permutation after permutation
            assert sorted(lazy[:7]) == list(range(7)) and sorted(lazy[7:14]) == list(range(7))
