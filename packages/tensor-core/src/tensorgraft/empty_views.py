"""Where an empty view sits in its base's memory, as PyTorch reports it.

NumPy drops an empty slice's start and step: ``a[5:5]`` and ``a[2:0:2]`` point at ``a``'s first
element with ``a``'s strides, so ``storage_offset()`` and ``stride()`` read from the array would
say 0 and the unstepped strides. PyTorch keeps them: ``x[5:5].storage_offset()`` is where the
slice starts (clamped to the dim's length, as its slicing clamps), and a step multiplies the
stride even when nothing is selected. Code that rebuilds views from ``(size, stride, offset)``
(``as_strided``, serializers, ``torch.testing``'s stride checks) sees the difference.

The view ops that cut a tensor (basic indexing, narrow, split, chunk, tensor_split, unbind,
select) compute the layout PyTorch gives an empty result and record it on the tensor
(``_Hooks.empty_layout``); ``storage_offset()`` and ``stride()`` read it back. Only empty results
pay for this: the check is one ``size == 0`` on the result.
"""
from __future__ import annotations


def torch_layout(t):
    """``(storage offset, strides)`` of ``t`` as PyTorch reports them (a recorded empty layout
    included)."""
    return t.storage_offset(), t.stride()


def recorded_layout(t):
    """The ``(offset, strides)`` recorded on an empty ``t``, else None. ``strides`` may be None:
    the offset alone was inherited (a view of a recorded empty view; its strides are the array's)."""
    extra = t._extra
    if extra is None or extra.empty_layout is None or t._data.size:
        return None
    return extra.empty_layout


def record(out, offset, strides) -> None:
    """Record the layout PyTorch gives the empty view ``out``."""
    out._hooks().empty_layout = (int(offset), None if strides is None else tuple(int(s) for s in strides))


def _clamped_slice(s, n):
    """PyTorch's slicing of a dim of length ``n``: ``(start, stop, step)`` with negative bounds
    counted from the end and both clamped into ``[0, n]``, ``stop`` not below ``start``."""
    step = 1 if s.step is None else int(s.step)
    start = 0 if s.start is None else int(s.start)
    stop = n if s.stop is None else int(s.stop)
    if start < 0:
        start += n
    if stop < 0:
        stop += n
    start = min(max(start, 0), n)
    stop = min(max(stop, start), n)
    return start, stop, step


def basic_index_layout(t, index):
    """``(offset, strides)`` PyTorch gives ``t[index]`` for a basic index: a tuple of ints,
    slices, None and at most one Ellipsis, applied left to right as PyTorch's indexing applies
    them (select, slice, unsqueeze on the partly indexed tensor)."""
    offset, strides = torch_layout(t)
    sizes = list(t._data.shape)
    strides = list(strides)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    out_sizes, out_strides = [], []
    d = 0  # next dim of t
    for item in index:
        if item is Ellipsis:
            for _ in range(len(sizes) - consumed):
                out_sizes.append(sizes[d])
                out_strides.append(strides[d])
                d += 1
        elif item is None:
            # unsqueeze of the partly indexed tensor at this position: the stride spans the dim
            # that follows it there (1 past the last dim)
            out_sizes.append(1)
            out_strides.append(sizes[d] * strides[d] if d < len(sizes) else 1)
        elif isinstance(item, slice):
            start, stop, step = _clamped_slice(item, sizes[d])
            offset += start * strides[d]
            out_sizes.append(-(-(stop - start) // step))
            out_strides.append(strides[d] * step)
            d += 1
        else:
            i = int(item)
            offset += (i + sizes[d] if i < 0 else i) * strides[d]
            d += 1
    while d < len(sizes):  # (an index shorter than the rank: the rest taken whole)
        out_strides.append(strides[d])
        d += 1
    return offset, out_strides


def record_basic_index(out, t, index) -> None:
    """After ``out = t[index]`` (a basic index): record PyTorch's layout if ``out`` is empty."""
    if out._data.size == 0 and t._data.ndim:
        offset, strides = basic_index_layout(t, index)
        record(out, offset, strides)
