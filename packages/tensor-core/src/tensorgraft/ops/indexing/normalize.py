"""Index normalisation: a Python index (ints, slices, ellipsis, None, bools, lists, ranges, index
and mask tensors) becomes the pair ``(basic, adv)`` described in the package docstring, on the
indexed tensor's device; ``apply_index`` applies it to an array. Also the IndexErrors PyTorch
words for an index that does not fit, which NumPy words differently.

No op is declared here: this is what ``__getitem__``, ``__setitem__`` and ``index_put`` share."""
from __future__ import annotations

import re
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor
from tensorgraft.dtypes import np_kind as _np_kind


_INTS = (int, np.integer)
_FULL = slice(None)


def _to_dev(arr, device):
    if device.type == "cpu":
        return arr
    from ..conversion import move_array
    from ...device import device as D
    return move_array(arr, D("cpu"), device)


def _xp(t):
    if t._device.type == "cpu":
        return np
    from ...device import get_backend
    return get_backend(t._device).xp


def _check_slice(s):
    if s.step is not None:
        step = s.step.item() if isinstance(s.step, Tensor) else s.step
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    if isinstance(s.start, Tensor) or isinstance(s.stop, Tensor) or isinstance(s.step, Tensor):
        conv = lambda v: v.item() if isinstance(v, Tensor) else v  # noqa: E731
        return slice(conv(s.start), conv(s.stop), conv(s.step))
    return s


def _is_seq_index(i):
    return isinstance(i, (list, tuple, Tensor, slice, type(Ellipsis), type(None))) or i is None


def normalize_index(index, device, shape=None):
    """Python index -> ``((basic, adv), is_basic)``; tensors become backend arrays. ``shape`` (of the
    indexed tensor, or its rank) lets an ellipsis among advanced indices be spelled out, as PyTorch
    treats an ellipsis that spans no dimension as absent (NumPy would count it as separating them),
    and empty masks be checked (NumPy takes any empty boolean array)."""
    if index.__class__ is int:
        return ((index, Ellipsis), None), True
    if not isinstance(index, tuple):
        # PyTorch (like old NumPy) treats a short list holding sequences/slices as a tuple
        if isinstance(index, list) and len(index) < 32 and any(_is_seq_index(i) for i in index):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                          "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                          "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
                          "a different result", UserWarning, stacklevel=3)
            index = tuple(index)
        else:
            index = (index,)
    items = []  # (kind, value): kind in "i" int, "s" slice, "n" None, "e" Ellipsis, "a" array, "b" py-bool
    empty_mask = False
    for i in index:
        if isinstance(i, Tensor):
            if i._device is not device and i._device.type != "cpu":
                raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                                   f"({device})")
            d = i._data
            k = _np_kind(d.dtype)
            if k not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if d.ndim == 0:
                if k == "b" or d.dtype == np.uint8:  # a 0-d mask (uint8 too, deprecated): as True/False
                    if k != "b":
                        _warn_uint8()
                    items.append(("b", bool(i.item())))
                else:
                    items.append(("i", int(i.item())))
                continue
            # a 0-d index of any integer type reads as a number (above); a tensor of them must be
            # int64, int32, uint8 or bool
            if d.dtype not in (np.int64, np.int32, np.uint8, np.bool_):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if d.dtype == np.uint8:
                _warn_uint8()
                d = d.astype(bool)
            if i._device is not device:
                d = _to_dev(d, device)
            if not d.size and d.dtype == np.bool_:
                empty_mask = True
            items.append(("a", d))
        elif isinstance(i, slice):
            items.append(("s", _check_slice(i)))
        elif isinstance(i, bool) or isinstance(i, np.bool_):
            items.append(("b", bool(i)))
        elif isinstance(i, _INTS):
            items.append(("i", int(i)))
        elif i is None:
            items.append(("n", None))
        elif i is Ellipsis:
            items.append(("e", Ellipsis))
        elif isinstance(i, range):  # a sequence of ints, as PyTorch reads it (x[range(n), target])
            items.append(("a", _to_dev(np.arange(i.start, i.stop, i.step, dtype=np.int64), device)))
        elif isinstance(i, (list, tuple, np.ndarray)):
            arr = i if isinstance(i, np.ndarray) else _seq_to_array(i)
            if _np_kind(arr.dtype) not in "biu":
                if arr.size:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                arr = arr.astype(np.int64)
            if arr.dtype == np.uint8:
                arr = arr.astype(bool)
            if not arr.size and arr.dtype == np.bool_:
                empty_mask = True
            items.append(("a", _to_dev(arr, device)))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    if sum(1 for k, _ in items if k == "e") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if not any(k in "ab" for k, _ in items):
        basic = tuple(v for _, v in items)
        if Ellipsis not in basic:
            basic = basic + (Ellipsis,)  # keeps an all-int index a 0-d view instead of a NumPy scalar
        return (basic, None), True
    if empty_mask and shape is not None:
        _check_empty_masks(items, shape)
    if shape is not None:
        ndim = shape if shape.__class__ is int else len(shape)
        for pos, (k, _) in enumerate(items):
            if k == "e":
                used = sum(v.ndim if (k2 == "a" and v.dtype == bool) else 1 for k2, v in items if k2 in "isa")
                items[pos:pos + 1] = [("s", _FULL)] * max(ndim - used, 0)
                break
    if not any(k == "i" for k, _ in items):
        return (None, tuple(v for _, v in items)), False
    # ints first (as views), then the advanced index on what remains
    basic, adv = [], []
    for k, v in items:
        if k == "i":
            basic.append(v)
        elif k == "a" and v.dtype == bool and v.ndim:
            basic.extend([_FULL] * v.ndim)
            adv.append(v)
        elif k == "a":
            basic.append(_FULL)
            adv.append(v)
        elif k == "b":
            adv.append(v)
        else:
            basic.append(v if k != "n" else None)
            adv.append(_FULL if k != "e" else Ellipsis)
    if Ellipsis not in basic:
        basic.append(Ellipsis)
    return (tuple(basic), tuple(adv)), False


def _warn_uint8():
    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                  UserWarning, stacklevel=4)


def _check_empty_masks(items, shape):
    """PyTorch checks an empty mask's shape as any other's; NumPy takes any empty boolean array."""
    if shape.__class__ is int:
        return
    adv = tuple(v if k in "ab" else None if k == "n" else Ellipsis if k == "e" else _FULL if k == "s" else v
                for k, v in items)
    basic = tuple(v for k, v in items if k == "i")
    if basic:
        shape = np.empty(shape, dtype=np.bool_)[basic + (Ellipsis,)].shape if 0 not in shape else shape
        adv = tuple(v for (k, _), v in zip(items, adv) if k != "i")
    msg = _mask_message(shape, (None, adv))
    if msg:
        raise IndexError(msg)


def _seq_to_array(seq):
    def conv(x):
        if isinstance(x, Tensor):
            return x._host()
        if isinstance(x, (list, tuple)):
            return [conv(y) for y in x]
        return x
    return np.asarray(conv(seq))


def apply_index(a, idx):
    basic, adv = idx
    if basic is not None:
        a = a[basic]
    if adv is not None:
        a = a[adv]
    return a


_AXIS_RE = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")
_DIMS_RE = re.compile(r"array is (\d+)-dimensional")


def _translate_index_error(exc, shape, idx):
    msg = str(exc)
    m = _AXIS_RE.search(msg)
    if m:
        return IndexError(f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size {m.group(3)}")
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if "could not be broadcast together with shapes" in msg:
        shapes = [[int(v) for v in grp.split(",") if v.strip()] for grp in re.findall(r"\(([\d,\s]*)\)", msg)]
        return IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                          + ", ".join(str(sh) for sh in shapes))
    if "boolean index did not match" in msg:
        return IndexError(_mask_message(shape, idx) or msg.replace("array", "tensor"))
    return IndexError(msg.replace("array", "tensor").replace("axis", "dimension"))


def _mask_message(shape, idx):
    """PyTorch reports the mask against the tensor left after ints, slices and None are applied."""
    basic, adv = idx
    if adv is None:
        return None
    if basic is None:
        basic = []
        for it in adv:
            if hasattr(it, "dtype"):
                basic.extend([_FULL] * (it.ndim if it.dtype == bool else 1))
            elif isinstance(it, bool):
                basic.append(None)
            else:
                basic.append(it)
        adv = tuple(_FULL if (it is None or isinstance(it, slice)) else it for it in adv)
    try:
        shape = np.empty(shape, dtype=np.bool_)[tuple(basic)].shape if 0 not in shape else shape
    except (IndexError, ValueError):
        return None
    items = adv
    dim = 0
    for k, it in enumerate(items):
        if it is Ellipsis:
            dim = len(shape) - sum(_consumed(j) for j in items[k + 1:])
            continue
        if it is None:
            continue
        if hasattr(it, "dtype") and it.dtype == bool:
            for j in range(it.ndim):
                if dim + j >= len(shape) or it.shape[j] != shape[dim + j]:
                    return (f"The shape of the mask {list(it.shape)} at index {j} does not match the shape of the "
                            f"indexed tensor {list(shape)} at index {dim + j}")
        dim += _consumed(it)
    return None


def _consumed(it):
    if it is None or it is Ellipsis or isinstance(it, bool):
        return 0
    if hasattr(it, "dtype") and it.dtype == bool:
        return it.ndim
    return 1


def _zero_dim_error(exc, index):
    """PyTorch's words for a bare slice or number indexing a 0-d tensor."""
    if index.__class__ is slice:
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    if isinstance(index, _INTS) and not isinstance(index, (bool, np.bool_)):
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                          "C++ to convert a 0-dim tensor to a number")
    return exc


def _bounds_error(exc, index, shape):
    """``exc`` with the dimension PyTorch names for an out-of-range index. PyTorch applies the int
    indices first (as selects) and names an int by its place in the index tuple; an index tensor
    out of range is then named by its place among the index tensors (a k-dim bool mask counting k),
    which is neither NumPy's axis nor the indexed tensor's dimension."""
    if not shape:
        return _zero_dim_error(exc, index)
    if "out of bounds for dimension" not in str(exc):
        return exc
    if isinstance(index, list) and len(index) < 32 and any(_is_seq_index(i) for i in index):
        index = tuple(index)  # the deprecated list-as-tuple spelling normalize_index accepts
    items = index if isinstance(index, tuple) else (index,)
    arrays = []
    for it in items:
        if isinstance(it, Tensor):
            arrays.append(np.asarray(it._host()) if it.dim() else int(it.item()) if it.dtype != _dt.bool else None)
        elif isinstance(it, (list, tuple, np.ndarray)):
            arrays.append(np.asarray(_seq_to_array(it) if not isinstance(it, np.ndarray) else it))
        else:
            arrays.append(it)
    def width(it):
        if it is None or it is Ellipsis or isinstance(it, (bool, np.bool_)):
            return 0
        if isinstance(it, np.ndarray) and it.dtype == bool:
            return it.ndim
        return 1
    spare = len(shape) - sum(width(it) for it in arrays)
    dim, rank, first_array = 0, 0, None
    for pos, it in enumerate(arrays):
        if it is Ellipsis:
            dim += spare
        elif isinstance(it, np.ndarray):
            if it.dtype == bool:
                rank += it.ndim
            else:
                size = shape[dim] if dim < len(shape) else 0
                bad = it[(it >= size) | (it < -size)] if it.size else it
                if first_array is None and bad.size:
                    first_array = (int(bad.flat[0]), rank, size)
                rank += 1
            dim += width(it)
        elif isinstance(it, _INTS) and not isinstance(it, (bool, np.bool_)):
            size = shape[dim] if dim < len(shape) else None
            if size is not None and not -size <= it < size:
                return IndexError(f"index {int(it)} is out of bounds for dimension {pos} with size {size}")
            dim += 1
        elif isinstance(it, slice):
            dim += 1
    if first_array is None:
        return exc
    return IndexError("index {} is out of bounds for dimension {} with size {}".format(*first_array))
