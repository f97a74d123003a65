"""Where equal elements land in PyTorch's CPU ``sort`` (``stable=False``, its default).

Elements that compare equal can come out of a sort in any order, and PyTorch does not promise one,
but its CPU build always gives the same: it sorts each slice as (key, index) pairs with an introsort
— median-of-three pivot moved to the front, unguarded Hoare partition, recursion on the right part,
slices of at most 16 left to a final insertion sort, a heapsort past 2·log2(n) levels — the
textbook algorithm of C++ standard libraries. One-dimensional integer tensors of 2**15 elements or
more, sorted ascending, go through a radix sort instead, which keeps equal elements in order. Users
print ``argsort`` of data with repeats (labels, counts, rounded scores), so these are the indices
``sort`` returns on CPU: NumPy's stable order where the slice has no ties or PyTorch keeps it, this
emulation where ties exist.

The emulation runs in Python, O(n log n) per slice with ties; slices longer than
``EMULATION_LIMIT`` keep the stable order (a documented difference) rather than take seconds.
"""
from __future__ import annotations

import math
import operator

import numpy as np
from tensorgraft.dtypes import np_kind as _np_kind

# PyTorch's CPU sort takes its (stable) radix sort for 1-D integer input from this many elements on
RADIX_SORT_MIN_NUMEL = 1 << 15
EMULATION_LIMIT = 1 << 16
_INSERTION_THRESHOLD = 16


def _nan_last_less(a, b):
    return a < b or (b != b and a == a)  # NaN after every number


def _nan_first_greater(a, b):
    return a > b or (a != a and b == b)  # NaN before every number


def unstable_order(a: np.ndarray, idx: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """``idx`` (a stable argsort of ``a`` along ``axis``, NaN last ascending and first descending)
    rearranged within runs of equal keys into the order PyTorch's CPU ``sort`` leaves them in."""
    n = a.shape[axis] if a.ndim else 1
    if n <= _INSERTION_THRESHOLD or n > EMULATION_LIMIT or _np_kind(a.dtype) == "c":
        return idx  # (up to 16: an insertion sort alone, which keeps equal keys in order)
    if a.ndim == 1 and _np_kind(a.dtype) in "iu" and not descending and n >= RADIX_SORT_MIN_NUMEL:
        return idx
    keys = np.moveaxis(np.take_along_axis(a, idx, axis), axis, -1).reshape(-1, n)
    tied = keys[:, 1:] == keys[:, :-1]
    if _np_kind(a.dtype) == "f":
        nan = np.isnan(keys)
        tied |= nan[:, 1:] & nan[:, :-1]
    rows = np.flatnonzero(tied.any(axis=1))
    if rows.size == 0:
        return idx
    data = np.moveaxis(a, axis, -1).reshape(-1, n)
    out = np.moveaxis(idx, axis, -1).reshape(-1, n).copy()
    for r in rows:
        row = data[r]
        out[r] = introsort_order(row.tolist(), _less_for(row, descending))
    return np.moveaxis(out.reshape(np.moveaxis(idx, axis, -1).shape), -1, axis)


def _less_for(row: np.ndarray, first_is_largest: bool):
    """The comparison PyTorch sorts a slice with: NaN the largest value (first when sorting down)."""
    if _np_kind(row.dtype) == "f" and np.isnan(row).any():
        return _nan_first_greater if first_is_largest else _nan_last_less
    return operator.gt if first_is_largest else operator.lt


def topk_indices(a: np.ndarray, idx: np.ndarray, k: int, axis: int, largest: bool, sorted_: bool) -> np.ndarray:
    """The first ``k`` of ``idx`` (a stable argsort of ``a`` along ``axis`` in the direction of
    ``largest``) as PyTorch's CPU ``topk`` returns them: the same positions where the k+1 leading
    keys hold no ties (and the selection sorts them), the emulation's where they do."""
    n = a.shape[axis] if a.ndim else 1
    top = np.take(idx, np.arange(k), axis=axis)
    if k == 0 or n < 2 or _np_kind(a.dtype) == "c" or n > EMULATION_LIMIT:
        return top
    selection_order = not sorted_ and k * 64 > n  # introselect leaves the k-1 unsorted
    lead = np.moveaxis(np.take_along_axis(a, np.take(idx, np.arange(min(k + 1, n)), axis=axis), axis), axis, -1)
    lead = lead.reshape(-1, lead.shape[-1])
    tied = lead[:, 1:] == lead[:, :-1]
    if _np_kind(a.dtype) == "f":
        nan = np.isnan(lead)
        tied |= nan[:, 1:] & nan[:, :-1]
    rows = np.arange(lead.shape[0]) if selection_order else np.flatnonzero(tied.any(axis=1))
    if rows.size == 0:
        return top
    data = np.moveaxis(a, axis, -1).reshape(-1, n)
    moved_top = np.moveaxis(top, axis, -1)
    out = moved_top.reshape(-1, k).copy()
    for r in rows:
        row = data[r]
        out[r] = topk_order(row.tolist(), k, _less_for(row, largest), sorted_)
    return np.moveaxis(out.reshape(moved_top.shape), -1, axis)


def mode_index(row: np.ndarray, value) -> int:
    """The index PyTorch's CPU ``mode`` reports for ``value`` (the mode of a ``row`` without NaN):
    the last of its run once the row is sorted as (value, index) pairs by the introsort."""
    hits = np.flatnonzero(row == value)
    if hits.size <= 1 or row.size <= _INSERTION_THRESHOLD or row.size > EMULATION_LIMIT:
        return int(hits[-1])  # no reordering of equal elements: the last occurrence
    order = introsort_order(row.tolist(), operator.lt)
    return int([p for p in order if row[p] == value][-1])


def mode_with_nan(row: np.ndarray):
    """``(value, index)`` of PyTorch's CPU ``mode`` for a row holding NaN.

    PyTorch sorts the row's (value, index) pairs with a plain ``<``, under which NaN is neither
    before nor after anything, so the introsort leaves numbers and NaNs in an order that is not
    sorted; it then takes the last element of the first longest run of neighbours that compare
    equal (a NaN equals nothing, so it is a run of one). Both follow from that arrangement."""
    keys = row.tolist()
    order = introsort_order(keys, operator.lt)
    arranged = [keys[p] for p in order]
    best, best_count, count = 0, 0, 0
    for i, key in enumerate(arranged):
        count += 1
        if i == len(arranged) - 1 or key != arranged[i + 1]:
            if count > best_count:
                best, best_count = i, count
            count = 0
    return arranged[best], order[best]


def kthvalue_index(row: np.ndarray, k: int) -> int:
    """The index PyTorch's CPU ``kthvalue`` reports for the ``k``-th smallest (0-based) of ``row``.

    PyTorch selects it with a quickselect of its own over (value, index) pairs, not the standard
    library's: the range's middle element is swapped next to its front, the front, that one and the
    back are put in order (their median becomes the pivot, at the front), both scans stop at elements
    equal to the pivot, the pivot is swapped into the cut, and the part holding ``k`` is kept. NaN
    counts as greater than every number. Rows longer than ``EMULATION_LIMIT`` keep NumPy's choice
    (the first of the stable order), a documented difference."""
    keys = row.tolist()
    pos = list(range(len(keys)))
    greater = _nan_first_greater  # "a > b" with NaN above every number

    def swap(i, j):
        keys[i], keys[j] = keys[j], keys[i]
        pos[i], pos[j] = pos[j], pos[i]

    low, high = 0, len(keys) - 1
    while high > low:
        if high == low + 1:
            if greater(keys[low], keys[high]):
                swap(low, high)
            break
        swap(low + (high - low) // 2, low + 1)
        if greater(keys[low + 1], keys[high]):
            swap(low + 1, high)
        if greater(keys[low], keys[high]):
            swap(low, high)
        if greater(keys[low + 1], keys[low]):
            swap(low + 1, low)
        i, j, pivot = low + 1, high, keys[low]
        while True:
            i += 1
            while greater(pivot, keys[i]):
                i += 1
            j -= 1
            while greater(keys[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return pos[k]


def introsort_order(keys: list, less) -> list:
    """The permutation an introsort of ``keys`` under ``less`` leaves: the positions (into ``keys``)
    of the sorted elements, ties where that algorithm puts them."""
    run = _Arrangement(keys, less)
    run.sort(0, len(keys))
    return run.pos


def topk_order(keys: list, k: int, less, sorted_: bool = True) -> list:
    """The positions PyTorch's CPU ``topk`` returns for one slice (``less`` is "comes first": ``>``
    for the largest). A ``k`` small against the slice (k·64 <= n) takes a heap-based partial sort;
    otherwise a quickselect puts the k-th element in place (``nth_element``) and, when ``sorted``,
    an introsort orders the k-1 before it — so ``sorted=False`` leaves them as the selection did."""
    n = len(keys)
    run = _Arrangement(keys, less)
    if k * 64 <= n:
        run.heap_select(0, k, n)
        run.sort_heap(0, k)
    elif k > 0:
        run.nth_element(0, k - 1, n)
        if sorted_:
            run.sort(0, k - 1)
    return run.pos[:k]


class _Arrangement:
    """Keys and their original positions, rearranged by the steps of the C++ standard library's
    sorting algorithms (introsort, heap select/sort, introselect), comparing keys with ``less``."""

    __slots__ = ("k", "pos", "less")

    def __init__(self, keys, less):
        self.k = list(keys)
        self.pos = list(range(len(keys)))
        self.less = less

    def swap(self, i, j):
        k, pos = self.k, self.pos
        k[i], k[j] = k[j], k[i]
        pos[i], pos[j] = pos[j], pos[i]

    def median_to_first(self, result, a, b, c):
        # the median of three candidates becomes the pivot, at the front of the range
        k, less = self.k, self.less
        if less(k[a], k[b]):
            if less(k[b], k[c]):
                self.swap(result, b)
            elif less(k[a], k[c]):
                self.swap(result, c)
            else:
                self.swap(result, a)
        elif less(k[a], k[c]):
            self.swap(result, a)
        elif less(k[b], k[c]):
            self.swap(result, c)
        else:
            self.swap(result, b)

    def partition_around_first(self, first, last):
        """Median-of-three pivot to ``first``, then an unguarded Hoare partition of the rest (the
        median guarantees both scans stop inside the range); returns the cut."""
        self.median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        k, pos, less = self.k, self.pos, self.less
        pivot = first
        first += 1
        while True:
            while less(k[first], k[pivot]):
                first += 1
            last -= 1
            while less(k[pivot], k[last]):
                last -= 1
            if not first < last:
                return first
            k[first], k[last] = k[last], k[first]
            pos[first], pos[last] = pos[last], pos[first]
            first += 1

    def sift_down(self, first, hole, length, value_key, value_pos):
        k, pos, less = self.k, self.pos, self.less
        top = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(k[first + child], k[first + child - 1]):
                child -= 1
            k[first + hole], pos[first + hole] = k[first + child], pos[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            k[first + hole], pos[first + hole] = k[first + child - 1], pos[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and less(k[first + parent], value_key):
            k[first + hole], pos[first + hole] = k[first + parent], pos[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        k[first + hole], pos[first + hole] = value_key, value_pos

    def make_heap(self, first, last):
        length = last - first
        if length < 2:
            return
        for parent in range((length - 2) // 2, -1, -1):
            self.sift_down(first, parent, length, self.k[first + parent], self.pos[first + parent])

    def sort_heap(self, first, last):
        k, pos = self.k, self.pos
        while last - first > 1:
            last -= 1
            value_key, value_pos = k[last], pos[last]
            k[last], pos[last] = k[first], pos[first]
            self.sift_down(first, 0, last - first, value_key, value_pos)

    def heap_select(self, first, middle, last):
        """The ``middle - first`` elements that come first, as a heap in [first, middle)."""
        self.make_heap(first, middle)
        k, pos, less = self.k, self.pos, self.less
        for i in range(middle, last):
            if less(k[i], k[first]):
                value_key, value_pos = k[i], pos[i]
                k[i], pos[i] = k[first], pos[first]
                self.sift_down(first, 0, middle - first, value_key, value_pos)

    def linear_insert(self, i):
        k, pos, less = self.k, self.pos, self.less
        value_key, value_pos = k[i], pos[i]
        j = i - 1
        while less(value_key, k[j]):
            k[i], pos[i] = k[j], pos[j]
            i = j
            j -= 1
        k[i], pos[i] = value_key, value_pos

    def insertion_sort(self, first, last):
        k, pos, less = self.k, self.pos, self.less
        for i in range(first + 1, last):
            if less(k[i], k[first]):
                value_key, value_pos = k[i], pos[i]
                k[first + 1:i + 1] = k[first:i]
                pos[first + 1:i + 1] = pos[first:i]
                k[first], pos[first] = value_key, value_pos
            else:
                self.linear_insert(i)

    def _introsort_loop(self, first, last, depth):
        while last - first > _INSERTION_THRESHOLD:
            if depth == 0:
                self.heap_select(first, last, last)
                self.sort_heap(first, last)
                return
            depth -= 1
            cut = self.partition_around_first(first, last)
            self._introsort_loop(cut, last, depth)
            last = cut

    def sort(self, first, last):
        """Introsort: quicksort down to runs of 16, heapsort past 2·log2(n) levels, then one
        insertion sort over everything (unguarded past the first 16, which hold the smallest)."""
        if last - first < 2:
            return
        self._introsort_loop(first, last, 2 * int(math.log2(last - first)))
        if last - first > _INSERTION_THRESHOLD:
            self.insertion_sort(first, first + _INSERTION_THRESHOLD)
            for i in range(first + _INSERTION_THRESHOLD, last):
                self.linear_insert(i)
        else:
            self.insertion_sort(first, last)

    def nth_element(self, first, nth, last):
        """Introselect: the element that belongs at ``nth`` put there, smaller ones before it."""
        if first == last or nth == last:
            return
        depth = 2 * int(math.log2(last - first))
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                self.swap(first, nth)
                return
            depth -= 1
            cut = self.partition_around_first(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)
