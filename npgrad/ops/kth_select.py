"""Which index PyTorch (CPU) reports for ``kthvalue`` when values tie.

The value is the k-th smallest either way; the index among equal values depends on the
selection algorithm's swaps. To report torch's index, a row with ties is partitioned here
with the algorithm torch runs on it, step by step: the median-of-three quickselect of
ATen's ``quick_select_template`` (SortingUtils.h), ordering by "greater, or NaN" (NaN above
every number). Checked against torch on random tied rows in tests/test_more_ops2.py.

(``median(dim)`` needs none of this: torch's index there is the one a stable sort puts in
the middle, except for ``nanmedian`` of a row of NaNs only: ``all_nan_nanmedian_index``.) Rows without ties have one answer, found by NumPy's argsort; only rows with
ties come here (a Python loop, linear per row on average).
"""


def quickselect_index(values, k):
    """Index (into ``values``) that ATen's quick_select_template leaves at position k."""
    arr = list(values)
    idx = list(range(len(arr)))

    def gt(x, y):  # x > y, NaN above every number
        return (x != x and y == y) or x > y

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    lo, hi = 0, len(arr) - 1
    while True:
        if hi <= lo:
            return idx[k]
        if hi == lo + 1:
            if gt(arr[lo], arr[hi]):
                swap(lo, hi)
            return idx[k]
        mid = lo + (hi - lo) // 2
        swap(mid, lo + 1)
        if gt(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if gt(arr[lo], arr[hi]):
            swap(lo, hi)
        if gt(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while gt(piv, arr[i]):
                i += 1
            j -= 1
            while gt(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


def all_nan_nanmedian_index(n):
    """The index torch's ``nanmedian`` along a dim reports for a row of ``n`` NaNs: where
    libstdc++'s ``std::nth_element`` for position 0 leaves the indices when no element
    compares less than another (median-of-three pivot swaps, then the partition's swaps from
    both ends, until at most 3 elements are left)."""
    a = list(range(n))
    first, last = 0, n
    while last - first > 3:
        mid = first + (last - first) // 2
        a[first], a[mid] = a[mid], a[first]  # no element is less: the "median" is the middle
        lo, hi = first + 1, last - 1
        while lo < hi:  # nothing compares less: every step swaps the two ends
            a[lo], a[hi] = a[hi], a[lo]
            lo, hi = lo + 1, hi - 1
        last = lo  # position 0 lies before the cut
    return a[0]
