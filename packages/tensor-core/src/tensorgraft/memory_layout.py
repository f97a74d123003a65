"""Memory formats (``tensorgraft.channels_last``...) and layouts (``tensorgraft.strided``).

A memory format names an order of the dims in memory over the logical NCHW shape:
``channels_last`` keeps the shape ``(N, C, H, W)`` but stores the elements as NHWC, so the
channel dim has stride 1. Arrays here are NumPy/CuPy arrays with arbitrary strides, so a format
is real: an array in channels-last order is an ``(N, H, W, C)`` buffer seen through a transpose.
NumPy's ufuncs and ``astype`` keep the memory order of their operand (order ``'K'``), which is
why an elementwise result of a channels-last tensor stays channels-last, as in PyTorch.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
           "layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged", "dim_order", "format_strides", "is_contiguous_as", "has_format_strides", "empty_with_strides",
           "copy_in_format", "relayout_like", "copy_in_layout_of", "check_format_rank", "suggest_format"]


class _NamedSingleton:
    """What ``memory_format`` and ``layout`` share: module-level singletons printed as PyTorch
    prints them (``torch.channels_last``) and pickled by name."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return "torch." + self._name

    __str__ = __repr__

    def __reduce__(self):
        return self._name  # pickles as the module-level singleton of that name


class memory_format(_NamedSingleton):
    """``torch.memory_format``: one of four named singletons."""

    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


class layout(_NamedSingleton):
    """``torch.layout``: tensorgraft has ``strided``, ``sparse_coo``, the compressed sparse layouts
    ``sparse_csr``/``sparse_csc``/``sparse_bsr``/``sparse_bsc`` and ``jagged`` (nested tensors with
    one ragged dimension, ``tensorgraft.nested``); no mkldnn."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")  # nested tensors with one ragged dimension (tensorgraft.nested)

# rank each named format needs, and the name PyTorch's error message uses for it
_RANK = {channels_last: 4, channels_last_3d: 5}


def strided_view(xp, a, shape, strides, writeable: bool = True):
    """``xp.lib.stride_tricks.as_strided`` (byte strides). NumPy rebuilds the view from the array
    interface's type string, which it cannot read back for ml_dtypes' float8_e5m2 ('<f1'): such an
    array is viewed through its bytes and typed again."""
    if xp is np:
        if a.dtype.kind == "f" and a.itemsize == 1:
            return np.lib.stride_tricks.as_strided(a.view(np.uint8), shape, strides, writeable=writeable).view(a.dtype)
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def check_format_rank(ndim: int, fmt) -> None:
    need = _RANK.get(fmt)
    if need is not None and ndim != need:
        raise RuntimeError(f"required rank {need} tensor to use {fmt._name} format")


def _check_is_format(fmt, fname: str):
    if fmt is not None and fmt.__class__ is not memory_format:
        raise TypeError(f"{fname}(): argument 'memory_format' must be torch.memory_format, not {c_type_name(fmt)}")


def dim_order(ndim: int, fmt) -> tuple:
    """The dims from outermost to innermost in memory (channels last: N, spatial..., C)."""
    if fmt in _RANK:
        return (0,) + tuple(range(2, ndim)) + (1,)
    return tuple(range(ndim))


def format_strides(shape, order) -> tuple:
    """Dense strides (in elements) laying ``shape`` out in ``order`` (outermost first). A dim of
    size 0 or 1 counts as 1 when it multiplies the strides outside it, as PyTorch computes them."""
    strides = [0] * len(shape)
    step = 1
    for d in reversed(order):
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _elem_strides(a) -> tuple:
    isz = a.itemsize
    return tuple(s // isz for s in a.strides)


def _packed(shape, strides, order) -> bool:
    """Whether ``strides`` (in elements) lay ``shape`` out densely in ``order`` (outermost first);
    a dim of size 1 may have any stride."""
    expected = 1
    for d in reversed(order):
        n = shape[d]
        if n != 1:
            if strides[d] != expected:
                return False
            expected *= n
    return True


def is_contiguous_as(a, fmt) -> bool:
    """``Tensor.is_contiguous(memory_format=fmt)``: the dims of size 1 may have any stride."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return bool(a.flags.c_contiguous)
    need = _RANK.get(fmt)
    if need is None or a.ndim != need:
        return False
    if a.size == 0:
        return True
    return _packed(a.shape, _elem_strides(a), dim_order(a.ndim, fmt))


def has_format_strides(a, fmt) -> bool:
    """Exactly the strides a fresh tensor in ``fmt`` has (size-1 dims included), the test
    ``to(memory_format=)`` uses before deciding to copy."""
    return _elem_strides(a) == format_strides(a.shape, dim_order(a.ndim, fmt))


def empty_with_strides(xp, shape, strides, dtype):
    """An uninitialised array of ``shape`` whose strides (in elements) are ``strides``."""
    shape = tuple(shape)
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if all(shape) else 0
    buf = xp.zeros(extent, dtype=dtype)  # zeros: see ``ops/creation.empty`` (reproducible reads)
    isz = buf.itemsize
    byte_strides = tuple(s * isz for s in strides)
    if xp is np:
        return strided_view(np, buf, shape, byte_strides)
    from cupy.lib.stride_tricks import as_strided  # pragma: no cover - CUDA only
    return as_strided(buf, shape, byte_strides)


def _dense_order(a):
    """The dims ordered by decreasing stride when ``a`` covers its memory exactly once (no gaps,
    no overlap); None otherwise. Ties (size-1 dims) keep the logical order."""
    strides = _elem_strides(a)
    order = sorted(range(a.ndim), key=lambda d: (-strides[d], d))
    return tuple(order) if _packed(a.shape, strides, order) else None


def _strides_like_channels_last(shape, strides) -> bool:
    """PyTorch's test of whether strides follow the channels-last order (C innermost, then the
    spatial dims from the last, then N), with its tie-breaks: a C stride of 0 and an N that merely
    repeats C's stride (N111 shapes) count as the default layout."""
    order = (1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)
    if strides[1] == 0:
        return False
    smallest = 0
    for d in order:
        if shape[d] == 0 or strides[d] < smallest:
            return False
        if d == 0 and smallest == strides[1]:
            return False
        smallest = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return True


def suggest_format(a):
    """The named format ``a``'s strides follow (PyTorch's ``suggest_memory_format``): channels
    last (3d) where they are like it, else the contiguous format."""
    if a.ndim in (4, 5) and _strides_like_channels_last(a.shape, _elem_strides(a)):
        return channels_last if a.ndim == 4 else channels_last_3d
    return contiguous_format


def _target_strides(a, shape, fmt):
    """Strides (in elements) of a copy of ``a`` (or of a new ``shape``-d array made like it) in
    format ``fmt``. ``preserve_format`` (or None) keeps ``a``'s strides exactly when ``a`` is dense,
    size-1 dims included, as PyTorch does; otherwise the format its strides suggest."""
    if fmt is None or fmt is preserve_format:
        if a.size and _dense_order(a) is not None:
            return _elem_strides(a)
        order = dim_order(a.ndim, suggest_format(a)) if a.size else tuple(range(a.ndim))
    else:
        order = dim_order(a.ndim, fmt)
    return format_strides(shape, order)


def copy_in_format(xp, a, fmt):
    """A copy of ``a`` laid out in ``fmt`` (``preserve_format``/None: keep ``a``'s strides when it
    is dense, as PyTorch's ``clone`` does)."""
    check_format_rank(a.ndim, fmt)
    strides = _target_strides(a, a.shape, fmt)
    if a.size and strides == format_strides(a.shape, tuple(range(a.ndim))):
        return xp.array(a, copy=True, order="C")
    out = empty_with_strides(xp, a.shape, strides, a.dtype)
    out[...] = a
    return out


def copy_in_layout_of(xp, a, like):
    """A copy of ``a`` in ``like``'s strides when ``like`` (of ``a``'s shape) covers its memory
    exactly once, else row-major: PyTorch's gradient layout contract, which a leaf's first
    ``.grad`` follows (``AccumulateGrad``: the gradient of a transposed leaf is transposed too)."""
    if like.flags.c_contiguous or a.shape != like.shape or _dense_order(like) is None:
        return xp.array(a, copy=True, order="C")
    out = empty_with_strides(xp, a.shape, _elem_strides(like), a.dtype)
    out[...] = a
    return out


def relayout_like(xp, data, like, fmt):
    """``data`` (a fresh C-ordered array) moved to the layout a ``*_like`` factory gives for
    input array ``like`` and ``memory_format=fmt`` (default: preserve the input's)."""
    if fmt is contiguous_format:
        return data
    check_format_rank(data.ndim, fmt)
    strides = _target_strides(like, data.shape, fmt)
    if strides == _elem_strides(data):
        return data
    out = empty_with_strides(xp, data.shape, strides, data.dtype)
    out[...] = data
    return out
