"""Indexing: ``__getitem__``/``__setitem__`` (ints, slices, ellipsis, None, bool masks, integer
tensors, with PyTorch's advanced-indexing rules), gather/scatter, index_select/add/fill/copy,
masked ops, take, nonzero, where, searchsorted/bucketize.

A normalised index is a pair ``(basic, adv)``: ``basic`` is a tuple of ints/slices/None/Ellipsis
applied first (a view, as PyTorch applies ints and slices before tensor indices), ``adv`` the
NumPy advanced index applied to that view (None when there is none). Applying integers first is
what makes ``x[0, :, [0, 1]]`` come out as PyTorch shapes it (NumPy would move the advanced dim
to the front).
"""
from __future__ import annotations

import re
import warnings

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap, wrap_view
from . import _frontend as F
from ._args import wrap_dim
from ._define import defop, gradient_scatter

_INTS = (int, np.integer)
_FULL = slice(None)


def _to_dev(arr, device):
    if device.type == "cpu":
        return arr
    from .conversion import move_array
    from ..device import device as D
    return move_array(arr, D("cpu"), device)


def _xp(t):
    if t._device.type == "cpu":
        return np
    from ..device import get_backend
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


def normalize_index(index, device, ndim=None):
    """Python index -> ``((basic, adv), is_basic)``; tensors become backend arrays. ``ndim`` (of the
    indexed tensor) lets an ellipsis among advanced indices be spelled out, as PyTorch treats an
    ellipsis that spans no dimension as absent (NumPy would count it as separating them)."""
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
    for i in index:
        if isinstance(i, Tensor):
            if i._device is not device and i._device.type != "cpu":
                raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                                   f"({device})")
            d = i._data
            k = d.dtype.kind
            if k not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if d.ndim == 0 and k != "b":
                items.append(("i", int(i.item())))
                continue
            if d.dtype == np.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=3)
                d = d.astype(bool)
            if i._device is not device:
                d = _to_dev(d, device)
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
            if arr.dtype.kind not in "biu":
                if arr.size:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                arr = arr.astype(np.int64)
            if arr.dtype == np.uint8:
                arr = arr.astype(bool)
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
    if ndim is not None:
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


def _node_name(idx, basic, shape=None, bare=False):
    """PyTorch names the node after the last view op its indexing applied: a no-op slice inside a
    tuple index is skipped (nothing applied at all: ``AliasBackward0``), a bare slice never is."""
    if not basic:
        return "IndexBackward0"
    items = idx[0]
    if bare and isinstance(items[0], slice):
        return "SliceBackward0"
    nd = len(shape) if shape is not None else 0
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    dim = 0
    last = None
    for it in items:
        if it is Ellipsis:
            dim += nd - consumed
        elif it is None:
            last = "UnsqueezeBackward0"
        elif isinstance(it, slice):
            if shape is None or dim >= nd or it.indices(shape[dim]) != (0, shape[dim], 1):
                last = "SliceBackward0"
            dim += 1
        else:
            last = "SelectBackward0"
            dim += 1
    return last or "AliasBackward0"


def _getitem_kernel(xp, a, idx):
    return apply_index(a, idx)


def _getitem_frontend(op):

    def getitem(self, index):
        idx, basic = normalize_index(index, self._device, self._data.ndim)
        try:
            return index_apply(self, idx, basic, index.__class__ is slice)
        except IndexError as exc:
            raise _bounds_error(exc, index, self._data.shape) from None
    return getitem


def _bounds_error(exc, index, shape):
    """``exc`` with the dimension PyTorch names for an out-of-range index. PyTorch applies the int
    indices first (as selects) and names an int by its place in the index tuple; an index tensor
    out of range is then named by its place among the index tensors (a k-dim bool mask counting k),
    which is neither NumPy's axis nor the indexed tensor's dimension."""
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


_getitem = defop("__getitem__", kernel=_getitem_kernel, frontend=_getitem_frontend, method="__getitem__",
                 public=False, node="IndexBackward0")


def index_apply(t, idx, basic=None, bare=False):
    """``t[idx]`` for an already normalised index (formulas call this)."""
    if basic is None:
        basic = idx[1] is None
    try:
        data = _getitem.table[t._device.type](t._data, idx)
    except IndexError as exc:
        raise _translate_index_error(exc, t._data.shape, idx) from None
    out = wrap_view(data, t) if basic else wrap(data, t._device)
    if t._requires_grad and _gs.enabled:
        Tensor._autograd.record(_getitem, out, (t,), {"index": idx, "shape": t._data.shape},
                                node_name=_node_name(idx, basic, t._data.shape, bare))
    return out


# --------------------------------------------------------------------------- __setitem__
def _index_put_kernel(xp, a, idx, value):
    basic, adv = idx
    v = a[basic] if basic is not None else a
    if adv is None:
        v[...] = value
    else:
        v[adv] = value
    return a


def _setitem_frontend(op):
    """``t[idx] = value`` is an in-place op: it writes ``t``'s memory and bumps its version."""
    table = op.table

    def setitem(self, index, value):
        F.check_not_inference(self)
        if isinstance(value, np.generic) and not isinstance(value, (float, int, complex, np.integer)):
            # PyTorch takes Python numbers (np.float64 is one) and NumPy integers, not the other
            # NumPy scalars (float32, bool_, complex64...)
            raise TypeError(f"can't assign a {type(value).__module__}.{type(value).__name__} to a {self.type()}")
        idx, _ = normalize_index(index, self._device, self._data.ndim)
        try:
            _setitem_checked(self, index, idx, value)
        except IndexError as exc:
            raise _bounds_error(exc, index, self._data.shape) from None

    def _setitem_checked(self, index, idx, value):
        if isinstance(value, Tensor):
            if value._device is not self._device:
                joined, value = F.join_cpu_scalars("index_put_", self, value)
                if joined is not self:  # a 0-d CPU self: the write cannot come from another device
                    raise F.device_mismatch("index_put_", value, self)
            v = value._data
        elif isinstance(value, F._SCALARS):
            if value.__class__ is complex and self._data.dtype.kind not in "cb":
                raise F.complex_into_real(self._data.dtype, via_double=True)
            v = value
        else:
            from .creation import tensor as _tensor
            value = _tensor(value, dtype=self.dtype, device=self._device)
            v = value._data
        record = _gs.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
        if record:
            if self._extra is not None:
                F.check_multi_view_inplace(self, via=_basic_index_view_name(index))
            if self._base is not None:
                F.check_custom_function_view_inplace(self, via=_basic_index_view_name(index))
            if self._requires_grad and self.grad_fn is None:
                # PyTorch indexes first and writes into the result: a view when the index selects
                # anything less than the whole tensor, and its error then speaks of a view
                view = "a view of " if _index_makes_view(self._data, index) else ""
                raise RuntimeError(f"{view}a leaf Variable that requires grad is being used in an in-place operation.")
            if self._base is not None:
                return _setitem_into_view(table, self, idx, v, value)
            old = _alias_history(self)
        _store(table[self._device.type], self, idx, v)
        if record:
            Tensor._autograd.record(op, self, (old, value), {"index": idx}, node_name=_setitem_node_name(
                self._data, index, idx, value))
    return setitem


def _basic_index_view_name(index):
    """The view op (as PyTorch's messages name it) that ``t[index]`` applies last, or None when
    the write goes to ``t`` itself (a whole-tensor or advanced index)."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in reversed(parts):
        if isinstance(p, bool) or p is Ellipsis or p == slice(None):
            continue
        if isinstance(p, int):
            return "Select"
        if isinstance(p, slice):
            return "Slice"
        if p is None:
            return "Unsqueeze"
        return None
    return None


def _setitem_node_name(data, index, idx, value) -> str:
    """The node PyTorch's ``t[index] = value`` leaves on ``t``: a write through a view of ``t``
    (basic indexing selecting less than all of it) is CopySlices; advanced indexing alone is
    index_put_; writing the whole tensor is a fill (a number or 0-d value) or a copy."""
    if _index_makes_view(data, index):
        return "CopySlices"
    if idx[1] is not None:  # advanced parts (index tensors, lists, masks)
        return "IndexPutBackward0"
    if not isinstance(value, Tensor) or value._data.ndim == 0:
        return "FillBackward3"
    return "CopyBackwards"


def _index_makes_view(data, index) -> bool:
    """Whether PyTorch's ``t[index] = v`` writes through a view of ``t``: its basic indexing (ints,
    slices, None, Python bools) yields ``t`` itself only when nothing is taken away or added. The
    advanced parts (index tensors) are applied by ``index_put_`` on that result, not as a view."""
    items = index if isinstance(index, tuple) else (index,)
    basic = []
    for i in items:
        if isinstance(i, Tensor):
            i = int(i.item()) if i._data.ndim == 0 and i._data.dtype.kind in "iu" else slice(None)
        elif isinstance(i, (list, np.ndarray)):
            i = slice(None)
        basic.append(i)
    try:
        v = data[tuple(basic)]
    except (IndexError, TypeError, ValueError):
        return False
    return not (getattr(v, "shape", None) == data.shape and v.strides == data.strides)


def _alias_history(t):
    """A tensor object standing for ``t``'s current history (its data is never read)."""
    old = wrap(t._data, t._device)
    old._requires_grad = t._requires_grad
    old.grad_fn = t.grad_fn
    old._output_nr = t._output_nr
    old._extra = t._extra
    return old


def _setitem_into_view(table, view, idx, v, value):
    """``view[idx] = value`` with autograd, where ``view`` shares memory with a base: the base's
    history becomes PyTorch's ``CopySlices`` (the written region comes from ``value``), and the
    view becomes an ``as_strided`` view of the updated base."""
    from .shape import _offset_of
    from ..registry import registry
    root = view._base
    rd = root._data
    if not rd.flags.c_contiguous or (root._requires_grad and not view._requires_grad):
        raise RuntimeError(
            "index_put_(): in-place assignment into this view while recording gradients is not supported by "
            "tensorgraft's autograd engine (its base is not contiguous, or the view was detached); index the base "
            "tensor directly or clone() the view first.")
    if root._requires_grad and root.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    region = {"size": tuple(view._data.shape), "stride": view.stride(), "offset": _offset_of(view._data, rd)}
    old = _alias_history(root)
    _store(table[view._device.type], view, idx, v)
    attrs = dict(region, index=idx)
    Tensor._autograd.record(_setitem, root, (old, value), attrs, node_name="CopySlices")
    Tensor._autograd.record(registry.ops["as_strided"], view, (root,),
                            dict(region, in_offset=0, in_stride=root.stride()), node_name="AsStridedBackward0")


def assign_into_view(view, value):
    """``view[...] = value`` recorded as PyTorch records an in-place op on a view (``CopySlices`` on
    the base, ``AsStridedBackward0`` on the view). For the generic in-place machinery: compute the
    op out of place on a snapshot of the view, then hand the result here."""
    _setitem.frontend(view, Ellipsis, value)
    return view


def region_of(t, region):
    """The elements of ``t`` (laid out like the contiguous base) that a recorded view covers."""
    return t.contiguous().clone().as_strided(region["size"], region["stride"], region["offset"])


def _store(kernel, self, idx, v):
    try:
        d = self._data
        if d.__class__ is np.ndarray and not d.flags.writeable:
            # a view made by expand(): PyTorch writes through it unless the written elements overlap
            basic = idx[1] is None
            alias = F.writable_alias(self, apply_index(d, idx) if basic else d)
            if alias is not None:
                d = alias
        kernel(d, idx, v)
    except ValueError as exc:
        if "read-only" in str(exc):
            raise  # a tensor over a read-only buffer (frombuffer/asarray): NumPy's own words
        target = apply_index(self._data, idx).shape
        vshape = tuple(getattr(v, "shape", ()))
        from .shape import _expand_error
        advanced = idx[1] is not None  # index_put_ in PyTorch (its own message), not copy_
        err = _expand_error(target, vshape) if len(vshape) <= len(target) and not advanced else None
        if err is None:
            err = RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                               f"indexing result of shape {list(target)}")
        raise err from None
    except IndexError as exc:
        raise _translate_index_error(exc, self._data.shape, idx) from None
    self._vc[0] += 1


_setitem = defop("__setitem__", kernel=_index_put_kernel, frontend=_setitem_frontend, method="__setitem__",
                 public=False)


# --------------------------------------------------------------------------- index backward
def _add_at(xp, out, idx, vals):
    if xp is np:
        np.add.at(out, idx, vals)
    else:  # pragma: no cover - CUDA
        import cupyx
        cupyx.scatter_add(out, idx, vals)


def _index_backward_kernel(xp, g, shape, idx):
    """Scatter-add ``g`` into zeros of ``shape`` at ``idx`` (repeated indices accumulate)."""
    out = xp.zeros(shape, dtype=g.dtype)
    basic, adv = idx
    v = out[basic] if basic is not None else out
    if adv is None:
        v[...] = g
    else:
        _add_at(xp, v, adv, g)
    return out


_scatter_at_index = gradient_scatter("_index_backward", _index_backward_kernel, ("shape", "index"))


def index_backward(grad, shape, index):
    if not isinstance(index, tuple) or len(index) != 2 or not (index[0] is None or isinstance(index[0], tuple)):
        index = (index if isinstance(index, tuple) else (index,), None)
    return _scatter_at_index(grad, shape, index)


def masked_out(g, index):
    """``g`` with the entries at ``index`` zeroed, as a differentiable product with a constant mask."""
    xp = _xp(g)
    mask = xp.ones(g._data.shape, dtype=g._data.dtype)
    _index_put_kernel(xp, mask, index, 0)
    return g * wrap(mask, g._device)


# --------------------------------------------------------------------------- gather / scatter
def _index_tensor(index, fname, argname="index", pos=3):
    if not isinstance(index, Tensor):
        raise F.not_a_tensor(fname, argname, pos, index)
    if index._data.dtype.kind not in "iu" or index._data.dtype == np.uint8:
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
    return index._data


def _grid(xp, shape, dim, idx):
    """Full advanced index addressing ``idx`` along ``dim`` and every position elsewhere."""
    nd = len(shape)
    out = []
    for d in range(nd):
        if d == dim:
            out.append(idx)
        else:
            s = [1] * nd
            s[d] = shape[d]
            out.append(xp.arange(shape[d]).reshape(s))
    return tuple(out)


def _check_gather_bounds(xp, idx, n, dim):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = hi if hi >= n else lo
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _gather_kernel(xp, a, dim, idx):
    if a.ndim == 0:
        return a.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
    return a[_grid(xp, idx.shape, dim, idx)]


def _gather_frontend(op):
    table = op.table

    def gather(input, dim, index, *, sparse_grad=False, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("gather", "input", 1, input)
        a = input._data
        idx = _index_tensor(index, "gather")
        nd = a.ndim
        d = wrap_dim(dim, nd)
        if idx.ndim != nd and not (max(nd, 1) == max(idx.ndim, 1)):
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for k in range(nd):
            if k != d and idx.shape[k] > a.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                                   f"larger than self {list(a.shape)} apart from dimension {d}")
        _check_gather_bounds(np, idx, a.shape[d] if nd else 1, d)
        res = wrap(table[input._device.type](a, d, idx), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), {"dim": d})
        return res
    return gather


defop("gather", kernel=_gather_kernel, frontend=_gather_frontend)


_REDUCERS = {"add": "add", "multiply": "multiply", "sum": "add", "prod": "multiply"}


def _scatter_kernel(xp, a, dim, idx, src, reduce):
    out = a.copy()
    if a.ndim == 0:
        out = out.reshape(1)
        grid = (idx.reshape(-1),)
        s = src.reshape(-1)[:idx.size] if hasattr(src, "shape") and src.ndim else src
    else:
        grid = _grid(xp, idx.shape, dim, idx)
        s = src[tuple(slice(0, n) for n in idx.shape)] if hasattr(src, "shape") and src.ndim else src
    if reduce is None:
        out[grid] = s
    elif reduce == "add":
        _add_at(xp, out, grid, xp.broadcast_to(xp.asarray(s, dtype=out.dtype), idx.shape))
    else:
        if xp is np:
            np.multiply.at(out, grid, np.broadcast_to(np.asarray(s, dtype=out.dtype), idx.shape))
        else:  # pragma: no cover - CUDA
            xp.multiply.at(out, grid, xp.broadcast_to(xp.asarray(s, dtype=out.dtype), idx.shape))
    return out.reshape(a.shape)


def _scatter_checks(fname, a, d, idx, src):
    nd = a.ndim
    if idx.ndim != nd and max(nd, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and src.ndim != idx.ndim and max(src.ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(idx.ndim):
        if (k != d and nd and idx.shape[k] > a.shape[k]) or (src is not None and src.ndim and idx.shape[k] > src.shape[k]):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} apart "
                               f"from dimension {d}" + (f" and to be no larger size than src {list(src.shape)}"
                                                        if src is not None else ""))
    _check_gather_bounds(np, idx, a.shape[d] if nd else 1, d)


def _scatter_frontend(op, add=False):
    table = op.table
    fname = "scatter_add" if add else "scatter"

    def scatter(input, dim, index, src=None, *, value=None, reduce=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(fname, "input", 1, input)
        a = input._data
        idx = _index_tensor(index, "scatter")  # scatter_add's checks name scatter(), as PyTorch's do
        d = wrap_dim(dim, a.ndim)
        if src is None:
            src = value
        if src is None:
            raise TypeError(f"{fname}() missing required argument 'src' or 'value'")
        if reduce is not None:
            if reduce not in ("add", "multiply"):
                raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        red = "add" if add else reduce
        if reduce is not None and isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                          "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        if isinstance(src, Tensor):
            if src._device is not input._device:
                raise F.device_mismatch(fname, input, src)
            s = src._data
            if s.dtype != a.dtype:
                raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
            _scatter_checks(fname, a, d, idx, s)
            name = "ScatterAddBackward0" if add else "ScatterBackward0"
        else:
            if add:
                raise F.not_a_tensor(fname, "src", 4, src)
            _scatter_checks(fname, a, d, idx, None)
            s = src
            name = "ScatterBackward1"
        res = wrap(table[input._device.type](a, d, idx, s, red), input._device)
        if F.needs_grad(input, src):
            if reduce is not None:
                name = "ScatterReduceBackward0"
            Tensor._autograd.record(op, res, (input, index, src), {"dim": d, "reduce": reduce}, node_name=name)
        return res
    return scatter


defop("scatter", kernel=_scatter_kernel, frontend=_scatter_frontend, inplace="scatter_")
defop("scatter_add", kernel=_scatter_kernel, frontend=lambda op: _scatter_frontend(op, add=True),
      inplace="scatter_add_")


def _ufunc_at(xp, name, out, idx, vals):
    if xp is np:
        getattr(np, name).at(out, idx, vals)
        return
    ufunc = getattr(xp, name)  # pragma: no cover - CUDA
    if hasattr(ufunc, "at"):
        ufunc.at(out, idx, vals)
    else:
        import cupyx
        getattr(cupyx, {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}[name])(out, idx, vals)


_REDUCE_INIT = {"sum": 0, "mean": 0, "prod": 1}


def _scatter_reduce_kernel(xp, a, dim, idx, src, reduce, include_self):
    out = a.copy()
    if a.ndim == 0:
        out = out.reshape(1)
        grid = (idx.reshape(-1),)
        s = src.reshape(-1)[:idx.size]
    else:
        grid = _grid(xp, idx.shape, dim, idx)
        s = src[tuple(slice(0, n) for n in idx.shape)]
    if not include_self:
        if reduce in _REDUCE_INIT:
            init = _REDUCE_INIT[reduce]
        elif out.dtype.kind == "f":
            init = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
            init = (info.min if reduce == "amax" else info.max) if info is not None else (reduce == "amin")
        out[grid] = init
    name = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
    _ufunc_at(xp, name, out, grid, s)
    if reduce == "mean":
        cnt = xp.zeros(out.shape, dtype=np.int64)
        _ufunc_at(xp, "add", cnt, grid, xp.ones(idx.shape, dtype=np.int64))
        if include_self:
            cnt = cnt + 1
        cnt = xp.maximum(cnt, 1)
        # integers: floor division, kept in the input's dtype (NumPy would widen to int64 here)
        out = (out // cnt if out.dtype.kind in "iu" else out / cnt).astype(out.dtype, copy=False)
    return out.reshape(a.shape)


def _scatter_reduce_frontend(op):
    table = op.table

    def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("scatter_reduce", "input", 1, input)
        if not isinstance(src, Tensor):
            raise F.not_a_tensor("scatter_reduce", "src", 4, src)
        # PyTorch also takes "max"/"min" as the amax/amin reductions (its message names only these);
        # the node keeps the name as given, since its backward refuses the legacy names
        given = reduce
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        a = input._data
        idx = _index_tensor(index, "scatter")  # PyTorch's check names scatter()
        d = wrap_dim(dim, a.ndim)
        if src._data.dtype != a.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        _scatter_checks("scatter_reduce", a, d, idx, src._data)
        res = wrap(table[input._device.type](a, d, idx, src._data, reduce, include_self), input._device)
        if F.needs_grad(input, src):
            Tensor._autograd.record(op, res, (input, index, src), {"dim": d, "reduce": given,
                                                                   "include_self": include_self})
        return res
    return scatter_reduce


defop("scatter_reduce", kernel=_scatter_reduce_kernel, frontend=_scatter_reduce_frontend, inplace="scatter_reduce_")


# --------------------------------------------------------------------------- index_* family
def _vec_index(index, fname, pos=3):
    if not isinstance(index, Tensor):
        raise F.not_a_tensor(fname, "index", pos, index)
    idx = index._data
    if idx.ndim > 1:  # the rank is checked before the dtype
        raise IndexError(f"{fname}(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu" or idx.dtype == np.uint8:
        raise RuntimeError(f"{fname}(): Expected dtype int32 or int64 for index")
    return idx.reshape(-1)


def _index_args(fname, input, dim, index, *source):
    """``(array, dim, index vector)`` of an index_* op (add, copy, fill) once its tensor arguments
    pass PyTorch's checks, in PyTorch's order; a ``source`` given is argument 4. index_select, a
    plain gather at a fraction of their cost, writes the checks out rather than pay the call."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(fname, "input", 1, input)
    for src in source:
        if not isinstance(src, Tensor):
            raise F.not_a_tensor(fname, "source", 4, src)
    a = input._data
    idx = _vec_index(index, fname)
    return a, wrap_dim(dim, a.ndim), idx


def _index_select_kernel(xp, a, dim, idx):
    if a.ndim == 0:
        return a.reshape(1)[idx]
    return xp.take(a, idx, axis=dim)


def _index_select_frontend(op):
    table = op.table

    def index_select(input, dim, index, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("index_select", "input", 1, input)
        a = input._data
        idx = _vec_index(index, "index_select")
        d = wrap_dim(dim, a.ndim)
        n = a.shape[d] if a.ndim else 1
        if a.ndim == 0 and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        bad = _first_out_of_range(idx, n, negatives=False)
        if bad is not None:
            if a.ndim > 1 and d == 1:  # PyTorch's own kernel for dim 1 words it its way
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
            raise IndexError("index out of range in self")
        res = wrap(table[input._device.type](a, d, idx), input._device)
        if out is not None:
            F.write_out(out, res._data, "index_select")
            return out
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), {"dim": d})
        return res
    return index_select


defop("index_select", kernel=_index_select_kernel, frontend=_index_select_frontend)


def _moved(xp, a, dim):
    return a.reshape(1) if a.ndim == 0 else xp.moveaxis(a, dim, 0)


def _index_add_kernel(xp, a, dim, idx, src, alpha):
    out = a.copy()
    s = src if alpha == 1 else src * alpha
    s = xp.asarray(s, dtype=a.dtype)
    _add_at(xp, _moved(xp, out, dim), idx, _moved(xp, s, dim) if s.ndim else s)
    return out


def _first_out_of_range(idx, n, negatives=True):
    """The first index (in the index's order, as PyTorch's loops meet it) outside ``[-n, n)``, or
    outside ``[0, n)`` where negative indices are refused; None when all are in range."""
    if not idx.size:
        return None
    lo, hi = int(idx.min()), int(idx.max())
    if (lo >= -n if negatives else lo >= 0) and hi < n:
        return None
    host = np.asarray(idx.get() if hasattr(idx, "get") else idx).reshape(-1)
    bad = (host >= n) | (host < (-n if negatives else 0))
    return int(host[int(np.argmax(bad))])


def _index_bounds(fname, idx, n, d, exc=IndexError, negatives=True):
    bad = _first_out_of_range(idx, n, negatives)
    if bad is not None:
        raise exc(f"{fname}index {bad} is out of bounds for dimension {d} with size {n}")


def _source_checks(fname, a, d, idx, s):
    if s.ndim and a.ndim and s.ndim != a.ndim:
        raise IndexError(f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(a.shape[:d] + a.shape[d + 1:])} at dimension {d} and source slice shape: "
                         f"{list(s.shape[:d] + s.shape[d + 1:])} at dimension 0.")
    ns = s.shape[d] if s.ndim else 1
    if ns != idx.size:
        raise RuntimeError(f"{fname}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({ns}), "
                           f"for dim: {d}")
    if s.ndim and a.ndim and (s.shape[:d] + s.shape[d + 1:]) != (a.shape[:d] + a.shape[d + 1:]):
        raise IndexError(f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(a.shape[:d] + a.shape[d + 1:])} at dimension {d} and source slice shape: "
                         f"{list(s.shape[:d] + s.shape[d + 1:])} at dimension {d}.")


def _index_vector_checks(fname, index):
    """The index of index_add/index_reduce: its rank checked before its dtype, as PyTorch does."""
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{fname}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{F._type_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index but got: {F._type_name(idx.dtype)}")
    return idx.reshape(-1)


def _index_add_checks(input, dim, index, source):
    """PyTorch's checks of index_add in its order (index, dtypes, count, shape, bounds): the source
    must have self's dtype (no promotion) and self's shape apart from ``dim``."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_add", "input", 1, input)
    # PyTorch's parser checks the arguments in their order: the index before the source
    if not isinstance(index, Tensor):
        raise F.not_a_tensor("index_add", "index", 3, index)
    if not isinstance(source, Tensor):
        raise F.not_a_tensor("index_add", "source", 4, source)
    a, s = input._data, source._data
    d = wrap_dim(dim, a.ndim)
    idx = _index_vector_checks("index_add_", index)
    if s.dtype != a.dtype:
        raise RuntimeError(f"index_add_(): self ({F._type_name(a.dtype)}) and source ({F._type_name(s.dtype)}) "
                           "must have the same scalar type")
    if idx.size != (s.shape[d] if s.ndim else 1):
        if not s.ndim:  # PyTorch's message asks a 0-d source for its size along dim
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({s.shape[d]}), for dim: {d}")
    if s.ndim != a.ndim or any(n != m for k, (n, m) in enumerate(zip(a.shape, s.shape)) if k != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(s.shape)}")
    if not a.ndim and _first_out_of_range(idx, 1, negatives=False) is not None:
        raise IndexError("index out of range in self")
    # index_add takes no negative indices (index_fill and indexing do)
    _index_bounds("", idx, a.shape[d] if a.ndim else 1, d, RuntimeError, negatives=False)
    return a, d, idx


def _index_copy_checks(input, dim, index, source):
    """PyTorch's checks of index_copy in its order: the index's rank, a 0-d source's single index,
    the ranks, the index dtype (int64 only, unlike index_add), the dtypes, the slice shapes, the
    index count and the bounds."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_copy", "input", 1, input)
    if not isinstance(index, Tensor):
        raise F.not_a_tensor("index_copy", "index", 3, index)
    if not isinstance(source, Tensor):
        raise F.not_a_tensor("index_copy", "source", 4, source)
    a, s, idx = input._data, source._data, index._data
    d = wrap_dim(dim, a.ndim)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if not s.ndim and idx.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {idx.size})")
    if s.ndim and a.ndim and s.ndim != a.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({s.ndim}), destination dimensionality ({a.ndim})")
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {F._type_name(idx.dtype)}")
    if s.dtype != a.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{F._type_name(a.dtype)} and (source) {F._type_name(s.dtype)}")
    dest_slice = a.shape[:d] + a.shape[d + 1:]
    src_slice = s.shape[:d] + s.shape[d + 1:]
    if dest_slice != src_slice:
        # PyTorch writes these shapes as bare sizes separated by spaces
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {' '.join(map(str, dest_slice))} at dimension {d} and source slice "
                           f"shape: {' '.join(map(str, src_slice))} at dimension 0.")
    if s.ndim and idx.size != s.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({s.shape[d]})")
    idx = idx.reshape(-1)
    _index_bounds("index_copy_(): ", idx, a.shape[d] if a.ndim else 1, d, negatives=False)
    return a, d, idx


def _index_add_frontend(op):
    table = op.table

    def index_add(input, dim, index, source, *, alpha=1):
        a, d, idx = _index_add_checks(input, dim, index, source)
        res = wrap(table[input._device.type](a, d, idx, source._data, alpha), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, index, source), {"dim": d, "alpha": alpha})
        return res
    return index_add


defop("index_add", kernel=_index_add_kernel, frontend=_index_add_frontend, inplace="index_add_")


def _index_copy_kernel(xp, a, dim, idx, src):
    out = a.copy()
    m = _moved(xp, out, dim)
    m[idx] = _moved(xp, src, dim) if src.ndim else src
    return out


def _index_copy_frontend(op):
    table = op.table

    def index_copy(input, dim, index, source):
        a, d, idx = _index_copy_checks(input, dim, index, source)
        res = wrap(table[input._device.type](a, d, idx, source._data), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, index, source), {"dim": d})
        return res
    return index_copy


defop("index_copy", kernel=_index_copy_kernel, frontend=_index_copy_frontend, inplace="index_copy_")


def _index_fill_kernel(xp, a, dim, idx, value):
    out = a.copy()
    _moved(xp, out, dim)[idx] = value
    return out


def _index_fill_frontend(op):
    table = op.table

    def index_fill(input, dim, index, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("index_fill", "input", 1, input)
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("index_fill", "index", 3, index)
        # index_fill takes int64 indices only, checked before their rank (PyTorch's order and types)
        if index._data.dtype != np.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if index._data.ndim > 1:
            raise RuntimeError("Index has to be a vector/scalar")
        a, idx = input._data, index._data.reshape(-1)
        d = wrap_dim(dim, a.ndim)
        _index_bounds("", idx, a.shape[d] if a.ndim else 1, d)
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value._data.ndim} dimension(s).")
            if value._device is not input._device:
                # any 0-d value, from any device (PyTorch reads it with .item()); copied
                # differentiably so that its gradient lands on its own device
                value = value.to(input._device)
            v = value._data.astype(a.dtype)
            name = "IndexFillBackward1"
        else:
            v = value
            name = "IndexFillBackward0"
        res = wrap(table[input._device.type](a, d, idx, v), input._device)
        if F.needs_grad(input, value):
            Tensor._autograd.record(op, res, (input, index, value), {"dim": d}, node_name=name)
        return res
    return index_fill


defop("index_fill", kernel=_index_fill_kernel, frontend=_index_fill_frontend, inplace="index_fill_")


# --------------------------------------------------------------------------- masked ops
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _mask_arg(mask, fname, inplace_name):
    if not isinstance(mask, Tensor):
        raise F.not_a_tensor(fname, "mask", 2, mask)
    if mask._data.dtype != np.bool_:
        # three ops, three wordings in PyTorch: masked_fill_ names the C type ("float"),
        # masked_scatter_ the scalar type ("Float"), masked_select neither
        if fname == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        name = F._type_name(mask._data.dtype) if fname == "masked_scatter" else \
            _C_NAMES.get(str(mask._data.dtype), str(mask._data.dtype))
        raise RuntimeError(f"{inplace_name} only supports boolean masks, but got mask with dtype {name}")
    return mask._data


def _broadcast_shape(a, b):
    from .shape import infer_broadcast_shape
    return tuple(infer_broadcast_shape(a, b))


def _masked_fill_kernel(xp, a, mask, value):
    return xp.where(mask, xp.asarray(value, dtype=a.dtype), a)


def _masked_fill_frontend(op):
    table = op.table

    def masked_fill(input, mask, value):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_fill", "input", 1, input)
        m = _mask_arg(mask, "masked_fill", "masked_fill_")
        _broadcast_shape(m.shape, input._data.shape)  # PyTorch names the mask "tensor a"
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value._data.ndim} dimension(s).")
            if value._device is not input._device:
                input, value = F.join_cpu_scalars("masked_fill", input, value)
            v = value._data
            name = "MaskedFillBackward1"
        else:
            v = value
            name = "MaskedFillBackward0"
        if mask._device is not input._device:  # the mask is no scalar: it never crosses
            raise RuntimeError(f"expected self and mask to be on the same device, but got mask on {mask.device} "
                               f"and self on {input.device}")
        res = wrap(table[input._device.type](input._data, m, v), input._device)
        if F.needs_grad(input, value):
            Tensor._autograd.record(op, res, (input, mask, value), None, node_name=name)
        return res
    return masked_fill


defop("masked_fill", kernel=_masked_fill_kernel, frontend=_masked_fill_frontend, inplace="masked_fill_")


def _masked_select_kernel(xp, a, mask):
    shape = xp.broadcast_shapes(a.shape, mask.shape) if hasattr(xp, "broadcast_shapes") else \
        np.broadcast_shapes(a.shape, mask.shape)
    return xp.broadcast_to(a, shape)[xp.broadcast_to(mask, shape)]


def _masked_select_frontend(op):
    table = op.table

    def masked_select(input, mask, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_select", "input", 1, input)
        m = _mask_arg(mask, "masked_select", "masked_select")
        _broadcast_shape(m.shape, input._data.shape)  # PyTorch names the mask "tensor a"
        res = wrap(table[input._device.type](input._data, m), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, mask), None)
        return res
    return masked_select


defop("masked_select", kernel=_masked_select_kernel, frontend=_masked_select_frontend)


def _masked_scatter_kernel(xp, a, mask, src):
    shape = np.broadcast_shapes(a.shape, mask.shape)
    out = xp.array(xp.broadcast_to(a, shape))
    m = xp.broadcast_to(mask, shape)
    n = int(m.sum())
    out[m] = src.reshape(-1)[:n]
    return out


def _masked_scatter_frontend(op):
    table = op.table

    def masked_scatter(input, mask, source):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("masked_scatter", "input", 1, input)
        if not isinstance(source, Tensor):
            raise F.not_a_tensor("masked_scatter", "source", 3, source)
        m = _mask_arg(mask, "masked_scatter", "masked_scatter_")
        shape = _broadcast_shape(m.shape, input._data.shape)  # the mask is "tensor a" here too
        if int(np.broadcast_to(m if isinstance(m, np.ndarray) else mask._host(), shape).sum()) > source._data.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        if source._data.dtype != input._data.dtype:
            raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got "
                               f"{F._type_name(input._data.dtype)} and {F._type_name(source._data.dtype)}")
        res = wrap(table[input._device.type](input._data, m, source._data), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, res, (input, mask, source), None)
        return res
    return masked_scatter


defop("masked_scatter", kernel=_masked_scatter_kernel, frontend=_masked_scatter_frontend, inplace="masked_scatter_")


def _masked_fill_inplace_check(self, mask, value):
    """``t.masked_fill_(mask, v)``: the mask broadcasts to ``t`` (named "tensor a" here, unlike in
    the out-of-place op), checked after the mask's dtype and the value's rank."""
    if isinstance(mask, Tensor):
        m = _mask_arg(mask, "masked_fill", "masked_fill_")
        if isinstance(value, Tensor) and value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        _broadcast_shape(self._data.shape, m.shape)


def _masked_scatter_inplace_check(self, mask, source):
    """``t.masked_scatter_(mask, src)`` expands the mask to ``t``'s shape: expand's message."""
    if isinstance(mask, Tensor) and mask._data.dtype == np.bool_:
        from .shape import _expand_error
        err = _expand_error(tuple(self._data.shape), tuple(mask._data.shape)) \
            if mask._data.ndim <= self._data.ndim else None
        if err is not None:
            raise err


F.INPLACE_PRECHECKS.update(masked_fill_=_masked_fill_inplace_check, masked_scatter_=_masked_scatter_inplace_check)


# --------------------------------------------------------------------------- take
def _take_kernel(xp, a, idx):
    return a.reshape(-1)[idx]


def _take_frontend(op):
    table = op.table

    def take(input, index):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("take", "input", 1, input)
        if not isinstance(index, Tensor):
            raise F.not_a_tensor("take", "index", 2, index)
        idx = index._data
        if idx.dtype.kind not in "iu" or idx.dtype == np.uint8:
            raise RuntimeError("take(): Expected a long tensor for index, but got " + F._type_name(idx.dtype))
        n = input._data.size
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < -n or hi >= n:
                bad = hi if hi >= n else lo
                raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
        res = wrap(table[input._device.type](input._data, idx), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input, index), None)
        return res
    return take


defop("take", kernel=_take_kernel, frontend=_take_frontend)


def _take_along_dim(input, indices, dim=None, *, out=None):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("take_along_dim", "input", 1, input)
    if not isinstance(indices, Tensor):
        raise F.not_a_tensor("take_along_dim", "indices", 2, indices)
    if indices._data.dtype.kind not in "iu":
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{F._type_name(indices._data.dtype)}")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {nd} dimensions for input, and {indices._data.ndim} dimensions for indices")
    d = wrap_dim(dim, nd)
    si, sx = list(input._data.shape), list(indices._data.shape)
    si[d] = sx[d] = 1
    from .shape import infer_broadcast_shape
    b = list(infer_broadcast_shape(si, sx))
    bi, bx = list(b), list(b)
    bi[d] = input._data.shape[d]
    bx[d] = indices._data.shape[d]
    x = input if tuple(bi) == input._data.shape else input.expand(*bi)
    ix = indices if tuple(bx) == indices._data.shape else indices.expand(*bx)
    return x.gather(d, ix)


defop("take_along_dim", frontend=lambda op: _take_along_dim, differentiable=False)


# --------------------------------------------------------------------------- nonzero / where
def _nonzero_kernel(xp, a):
    if a.ndim == 0:
        return xp.zeros((1 if a else 0, 0), dtype=np.int64)
    return xp.stack(xp.nonzero(a), axis=1).astype(np.int64, copy=False) if a.ndim else None


def _nonzero_frontend(op):
    table = op.table

    def nonzero(input, *, out=None, as_tuple=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("nonzero", "input", 1, input)
        a = input._data
        if as_tuple:
            xp = _xp(input)
            if a.ndim == 0:
                return (wrap(xp.zeros(1 if a else 0, dtype=np.int64), input._device),)
            return tuple(wrap(i.astype(np.int64, copy=False), input._device) for i in xp.nonzero(a))
        return wrap(table[input._device.type](a), input._device)
    return nonzero


defop("nonzero", kernel=_nonzero_kernel, frontend=_nonzero_frontend, differentiable=False)


def _argwhere(input):
    return input.nonzero()


defop("argwhere", frontend=lambda op: _argwhere, differentiable=False)


def _where_kernel(xp, cond, a, b):
    return xp.where(cond, a, b)


def _where_frontend(op):
    table = op.table

    def where(condition, input=None, other=None, *, out=None):
        if input is None and other is None:
            if not isinstance(condition, Tensor):
                raise F.not_a_tensor("where", "condition", 1, condition)
            return condition.nonzero(as_tuple=True)
        if not isinstance(condition, Tensor):
            raise F.not_a_tensor("where", "condition", 1, condition)
        if condition._data.dtype.kind != "b":
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{F._type_name(condition._data.dtype)}")
        dev = condition._device
        if isinstance(input, Tensor) and input._device is not dev or \
                isinstance(other, Tensor) and other._device is not dev:
            condition, input, other = F.join_cpu_scalars("where", condition, input, other)
            dev = condition._device
        ref = input if isinstance(input, Tensor) else other
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            a, b, _ = F._promote_pair("where", input._data, 1 if input._data.ndim == 0 else 0,
                                      other._data, 1 if other._data.ndim == 0 else 0, "same") \
                if input._data.dtype != other._data.dtype else (input._data, other._data, None)
        elif isinstance(ref, Tensor):
            scalar = other if ref is input else input
            ra = 1 if ref._data.ndim == 0 else 0
            if ref is input:
                a, b, _ = F._promote_pair("where", ref._data, ra, scalar, 2, "same")
            else:
                a, b, _ = F._promote_pair("where", scalar, 2, ref._data, ra, "same")
        else:
            da, db = _dt._scalar_dtype(input), _dt._scalar_dtype(other)
            npd = _dt.promote_types(da, db).np
            xp = _xp(condition)
            a, b = xp.asarray(input, dtype=npd), xp.asarray(other, dtype=npd)
        try:
            res = wrap(table[dev.type](condition._data, a, b), dev)
        except ValueError as e:
            raise F.shape_error(e, condition, a, b) from None
        if out is not None:
            F.write_out(out, res._data, "where")
            return out
        if F.needs_grad(input, other):
            Tensor._autograd.record(op, res, (condition, input, other), None, node_name="WhereBackward0")
        return res
    return where


_where = defop("where", kernel=_where_kernel, frontend=_where_frontend, method=False)


def _where_method(self, condition, other):
    """``Tensor.where(condition, y)`` is ``torch.where(condition, self, y)``."""
    return _where.frontend(condition, self, other)


defop("_where_method", frontend=lambda op: _where_method, method="where", public=False, differentiable=False,
      composite=True)


# --------------------------------------------------------------------------- searchsorted / bucketize
def _searchsorted_kernel(xp, seq, vals, side, sorter):
    if seq.ndim == 1:
        return xp.searchsorted(seq, vals, side=side, sorter=sorter).astype(np.int64, copy=False)
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = vals.reshape(-1, vals.shape[-1])
    out = xp.empty(v2.shape, dtype=np.int64)
    for i in range(s2.shape[0]):  # one search per leading index (boundaries differ per row)
        srt = None if sorter is None else sorter.reshape(-1, seq.shape[-1])[i]
        out[i] = xp.searchsorted(s2[i], v2[i], side=side, sorter=srt)
    return out.reshape(vals.shape)


def _searchsorted_frontend(op):
    table = op.table

    def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
        if not isinstance(sorted_sequence, Tensor):
            raise F.not_a_tensor("searchsorted", "sorted_sequence", 1, sorted_sequence)
        scalar = not isinstance(input, Tensor)
        seq = sorted_sequence._data
        if side is not None:
            if side not in ("left", "right"):
                raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
            if right and side == "left":
                raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                                   "while right was True")
            right = side == "right"
        xp = _xp(sorted_sequence)
        vals = xp.asarray(input, dtype=seq.dtype) if scalar else input._data
        if seq.ndim > 1 and (scalar or vals.shape[:-1] != seq.shape[:-1]):
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(vals.shape) if not scalar else []}")
        srt = sorter._data if isinstance(sorter, Tensor) else None
        res = table[sorted_sequence._device.type](seq, vals, "right" if right else "left", srt)
        if out_int32:
            res = res.astype(np.int32)
        return wrap(xp.asarray(res), sorted_sequence._device)
    return searchsorted


_searchsorted = defop("searchsorted", kernel=_searchsorted_kernel, frontend=_searchsorted_frontend, method=False,
                      differentiable=False)


def _bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if not isinstance(boundaries, Tensor):
        raise F.not_a_tensor("bucketize", "boundaries", 2, boundaries)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return _searchsorted.frontend(boundaries, input, out_int32=out_int32, right=right)


defop("bucketize", frontend=lambda op: _bucketize, differentiable=False)


# --------------------------------------------------------------------------- index_put (functional)
def _index_put(input, indices, values, accumulate=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("index_put", "input", 1, input)
    indices = tuple(indices)
    if not isinstance(values, Tensor):
        from .creation import tensor as _tensor
        values = _tensor(values, dtype=input.dtype, device=input._device)
    if accumulate:
        idx, _ = normalize_index(indices, input._device, input._data.ndim)
        target = apply_index(input._data, idx).shape
        v = values if values._data.dtype == input._data.dtype else values.to(input.dtype)
        if v._data.shape != target:
            v = v.expand(*target)
        return input + index_backward(v, input._data.shape, idx)
    out = input.clone()
    out[indices] = values
    return out


defop("index_put", frontend=lambda op: _index_put, inplace="index_put_", differentiable=False)


# --------------------------------------------------------------------------- conformance samples
def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _it(data, device, dtype=None):
    from .creation import tensor
    return tensor(data, dtype=dtype, device=device)


def _samples(build):
    def samples(dtype, device):
        x = _mk((3, 4), dtype, device, 60)
        return build(x, dtype, device)
    return samples


def _setitem_samples(dtype, device):
    from ..testing.conformance import Sample
    x = _mk((3, 4), dtype, device, 61)
    return [Sample((x, (0, slice(1, 3)), 1.5), grad=()), Sample((x, [0, 2], _mk((4,), dtype, device, 62)), grad=())]


def _np_gather(a, d, idx):
    return np.take_along_axis(a, idx, d)


def _np_index_fill(a, d, idx, v):
    out = a.copy()
    np.moveaxis(out, d, 0)[idx] = v
    return out


_INDEX_SAMPLES = {
    "__setitem__": (_setitem_samples, None, {"mutates": (0,)}),
    "index_put": (_samples(lambda x, dt, dev: [((x, (_it([0, 2], dev),), _mk((2, 4), dt, dev, 63)), {}),
                                               ((x, (_it([1, 1], dev), _it([0, 0], dev)), _mk((2,), dt, dev, 64), True),
                                                {})]), None),
    "gather": (_samples(lambda x, dt, dev: [((x, 1, _it([[0, 3], [1, 1], [2, 0]], dev)), {})]), _np_gather),
    "scatter": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 1, 0]], dev), _mk((1, 4), dt, dev, 65)), {}),
                                             ((x, 1, _it([[3], [0], [1]], dev)), {"value": 0.5})]), None),
    "scatter_add": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 2, 0]], dev), _mk((1, 4), dt, dev, 66)), {})]),
                    None),
    "scatter_reduce": (_samples(lambda x, dt, dev: [((x, 0, _it([[2, 0, 2, 0], [2, 1, 2, 0]], dev),
                                                     _mk((2, 4), dt, dev, 73), r), {"include_self": inc})
                                                   for r in ("sum", "mean", "amax") for inc in (True, False)]), None),
    "index_select": (_samples(lambda x, dt, dev: [((x, 1, _it([3, 0, 3], dev)), {})]),
                     lambda a, d, i: np.take(a, i, d)),
    "index_add": (_samples(lambda x, dt, dev: [((x, 0, _it([2, 2], dev), _mk((2, 4), dt, dev, 67)), {"alpha": 2.0})]),
                  None),
    "index_copy": (_samples(lambda x, dt, dev: [((x, 1, _it([3, 0], dev), _mk((3, 2), dt, dev, 68)), {})]), None),
    "index_fill": (_samples(lambda x, dt, dev: [((x, 1, _it([1, 2], dev), -1.0), {})]), _np_index_fill),
    "masked_fill": (_samples(lambda x, dt, dev: [((x, _it([True, False, True, False], dev), 0.5), {})]),
                    lambda a, m, v: np.where(m, v, a)),
    "masked_select": (_samples(lambda x, dt, dev: [((x, _it([[True, False, True, True]], dev)), {})]),
                      lambda a, m: np.broadcast_to(a, np.broadcast_shapes(a.shape, m.shape))[
                          np.broadcast_to(m, np.broadcast_shapes(a.shape, m.shape))]),
    "masked_scatter": (_samples(lambda x, dt, dev: [((x, _it([True, False, True, False], dev),
                                                      _mk((3, 4), dt, dev, 69)), {})]), None),
    "take": (_samples(lambda x, dt, dev: [((x, _it([[0, 11], [-1, 5]], dev)), {})]),
             lambda a, i: a.reshape(-1)[i]),
    "take_along_dim": (_samples(lambda x, dt, dev: [((x, _it([[1], [0], [3]], dev), 1), {}),
                                                    ((x, _it([7, 0], dev)), {})]), None),
    "nonzero": (_samples(lambda x, dt, dev: [((x,), {}), ((x,), {"as_tuple": True})]), None),
    "argwhere": (_samples(lambda x, dt, dev: [((x,), {})]), np.argwhere),
    "searchsorted": (lambda dt, dev: [((_it([1.0, 2.0, 4.0], dev, dt), _mk((2, 3), dt, dev, 70)), {}),
                                      ((_it([[1.0, 2.0], [0.0, 3.0]], dev, dt), _mk((2, 3), dt, dev, 71)),
                                       {"right": True})], None),
    "_where_method": (lambda dt, dev: [((_mk((2, 3), dt, dev, 74), _mk((2, 3), dt, dev, 75) > 0, 0.5), {})],
                      lambda a, c, o: np.where(c, a, o)),
    "bucketize": (lambda dt, dev: [((_mk((2, 3), dt, dev, 72), _it([1.0, 2.0, 4.0], dev, dt)), {})],
                  lambda a, b: np.searchsorted(b, a)),
}
_INDEX_SAMPLES["nonzero"] += ({"non_differentiable_outputs": True},)

from .shape import attach_samples as _attach  # noqa: E402
from ._define import CORE_OPS as _CORE_OPS  # noqa: E402

_attach(_INDEX_SAMPLES, _CORE_OPS)
