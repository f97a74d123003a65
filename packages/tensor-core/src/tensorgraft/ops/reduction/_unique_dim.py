"""``unique(x, dim=...)`` of floating inputs holding NaN, as PyTorch's CPU kernel computes it.

PyTorch sorts the slices with ``std::sort`` and a lexicographic ``<`` that steps over any position
where neither slice is less (a NaN there compares neither way), then keeps a slice unless it is
``equal`` to the last one kept (a slice holding NaN never is). With NaN that comparison is no strict
weak order, so the result is whatever libstdc++'s introsort makes of it: emulated here step for
step (it is only run on the rare NaN-holding inputs; NumPy's lexicographic sort serves the rest)."""
from __future__ import annotations

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold: shorter runs are left to the final insertion sort


def std_sort(v, less):
    """Sort the list ``v`` in place as libstdc++'s ``std::sort(v.begin(), v.end(), less)``."""
    n = len(v)
    if n < 2:
        return
    _introsort_loop(v, 0, n, 2 * (n.bit_length() - 1), less)
    if n > _THRESHOLD:
        _insertion_sort(v, 0, _THRESHOLD, less)
        for i in range(_THRESHOLD, n):
            _linear_insert(v, i, less)
    else:
        _insertion_sort(v, 0, n, less)


def _introsort_loop(v, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:  # libstdc++ falls back on a heap sort; rare enough to order plainly here
            from functools import cmp_to_key
            v[first:last] = sorted(v[first:last], key=cmp_to_key(lambda a, b: -1 if less(a, b) else
                                                                  (1 if less(b, a) else 0)))
            return
        depth -= 1
        mid = first + (last - first) // 2
        _move_median_to_first(v, first, first + 1, mid, last - 1, less)
        cut = _unguarded_partition(v, first + 1, last, first, less)
        _introsort_loop(v, cut, last, depth, less)
        last = cut


def _move_median_to_first(v, result, a, b, c, less):
    if less(v[a], v[b]):
        if less(v[b], v[c]):
            m = b
        elif less(v[a], v[c]):
            m = c
        else:
            m = a
    elif less(v[a], v[c]):
        m = a
    elif less(v[b], v[c]):
        m = c
    else:
        m = b
    v[result], v[m] = v[m], v[result]


def _unguarded_partition(v, first, last, pivot, less):
    while True:
        # (bounded here: C++ relies on the pivot stopping the scans, which an inconsistent order may not)
        while first < len(v) - 1 and less(v[first], v[pivot]):
            first += 1
        last -= 1
        while last > 0 and less(v[pivot], v[last]):
            last -= 1
        if not first < last:
            return first
        v[first], v[last] = v[last], v[first]
        first += 1


def _insertion_sort(v, first, last, less):
    for i in range(first + 1, last):
        if less(v[i], v[first]):
            v[first:i + 1] = [v[i]] + v[first:i]
        else:
            _linear_insert(v, i, less)


def _linear_insert(v, last, less):
    val = v[last]
    nxt = last - 1
    while nxt >= 0 and less(val, v[nxt]):
        v[last] = v[nxt]
        last = nxt
        nxt -= 1
    v[last] = val


def unique_dim_with_nan(a, axis):
    """(values, inverse, counts) of ``unique(a, dim=axis)`` for a NumPy float array holding NaN."""
    moved = np.moveaxis(a, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    keys = [tuple(r) for r in rows.tolist()]

    def less(i, j):
        for x, y in zip(keys[i], keys[j]):
            if x < y:
                return True
            if x > y:
                return False
        return False

    order = list(range(len(keys)))
    std_sort(order, less)
    inverse = np.empty(len(order), np.int64)
    kept, counts = [order[0]], [1]
    inverse[order[0]] = 0
    for i in order[1:]:
        if np.array_equal(rows[i], rows[kept[-1]]):  # (NaN equals nothing, as at::equal)
            counts[-1] += 1
        else:
            kept.append(i)
            counts.append(1)
        inverse[i] = len(kept) - 1
    vals = np.moveaxis(moved[kept], 0, axis)
    return vals, inverse, np.asarray(counts, np.int64)
