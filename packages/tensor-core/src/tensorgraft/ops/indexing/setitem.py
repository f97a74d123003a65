"""``Tensor.__setitem__`` (the private ``__setitem__`` op): an in-place write that bumps the
version counter, recorded as PyTorch records it (``CopySlices`` through a view of the base,
``IndexPutBackward0`` for advanced indices, a fill or a copy of the whole tensor), and
``assign_into_view`` / ``region_of`` for the generic in-place machinery.

Also the index backward (``index_backward``, ``masked_out``): the gradient of indexing is the
same write with repeated indices accumulating, so it sits beside ``__setitem__``'s kernel."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop, gradient_scatter
from .._frontend.memory_overlap import check_overlap, same_root
from .normalize import _bounds_error, _mask_message, _seq_to_array, _translate_index_error, _xp, apply_index, normalize_index
from tensorgraft.dtypes import np_kind as _np_kind
from ... import dtypes as _dt
from ..conversion import _to_kernel
from ..creation.fills import checked_fill_scalar


# the dtypes whose casts NumPy makes otherwise than PyTorch (uint16/32/64, the 8-bit floats)
_LIMITED_NP = frozenset(d.np for d in _dt.LIMITED_DTYPES)


# --------------------------------------------------------------------------- __setitem__
def _index_put_kernel(xp, a, idx, value):
    basic, adv = idx
    v = a[basic] if basic is not None else a
    if adv is None:
        v[...] = value
    else:
        try:
            v[adv] = value
        except TypeError:
            # NumPy's mask assignment takes a value of at most one dimension; PyTorch drops the
            # value's leading size-1 dims first, as for any other index
            nd = getattr(value, "ndim", 0)
            if nd < 2 or value.shape[0] != 1:
                raise
            lead = next((k for k, n in enumerate(value.shape) if n != 1), nd - 1)
            v[adv] = value.reshape(value.shape[lead:])
    return a


def _single_value(value):
    return isinstance(value, F._SCALARS) or (isinstance(value, Tensor) and value._data.size == 1)


def _only_mask_indices(index) -> bool:
    """Whether PyTorch writes one value at ``index`` with masked_fill_ (which converts the value)
    rather than index_put_: the index's one advanced part is a mask of one or more dims (ints,
    slices and None aside), or it is a lone Python bool (a plain copy). A Python bool inside a
    tuple is an index tensor to PyTorch."""
    if not isinstance(index, tuple):
        if isinstance(index, (bool, np.bool_)):
            return True
        index = (index,)
    masks = 0
    for e in index:
        if isinstance(e, Tensor):
            if _int_tensor(e):
                continue
            if e._data.dtype != np.bool_ or not e._data.ndim:
                return False
        elif isinstance(e, (list, np.ndarray)):
            a = np.asarray(e) if isinstance(e, np.ndarray) else _seq_to_array(e)
            if a.dtype != np.bool_ or not a.ndim:
                return False
        elif isinstance(e, (bool, np.bool_)):
            return False
        else:
            continue
        masks += 1
    return masks == 1


def _int_tensor(e) -> bool:
    """Whether ``e`` is a 0-d integer tensor, which indexes as a number (a 0-d uint8 one is a mask)."""
    return isinstance(e, Tensor) and e._data.ndim == 0 and _np_kind(e._data.dtype) in "iu" \
        and e._data.dtype != np.uint8


def index_put_dtype_error(destination, source) -> RuntimeError:
    return RuntimeError(f"Index put requires the source and destination dtypes match, got "
                        f"{F._type_name(destination)} for the destination and {F._type_name(source)} for the "
                        f"source.")


def _has_uint8_mask(index):
    entries = index if isinstance(index, tuple) else (index,)
    return any(isinstance(e, Tensor) and e._data.dtype == np.uint8 and e._data.ndim for e in entries)


def _setitem_frontend(op):
    """``t[idx] = value`` is an in-place op: it writes ``t``'s memory and bumps its version."""
    table = op.table

    def setitem(self, index, value):
        F.check_not_inference(self)
        if isinstance(value, np.generic) and not isinstance(value, (float, int, complex, np.integer)):
            # PyTorch takes Python numbers (np.float64 is one) and NumPy integers, not the other
            # NumPy scalars (float32, bool_, complex64...)
            raise TypeError(f"can't assign a {type(value).__module__}.{type(value).__name__} to a {self.type()}")
        idx, _ = normalize_index(index, self._device, self._data.shape)
        if _single_value(value) and _has_uint8_mask(index):
            # PyTorch writes one value through a mask with masked_fill_, which takes bool masks only
            # (after checking the mask's shape)
            msg = _mask_message(self._data.shape, idx)
            if msg:
                raise IndexError(msg)
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
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
            if same_root(self, value) and not (v.size == 1 and (
                    (idx[1] is None and not v.ndim) or _only_mask_indices(index))):  # (one value is a fill)
                check_overlap(apply_index(self._data, (idx[0], None)) if idx[0] is not None else self._data, v,
                              full_ok=idx[1] is None)  # (index_put_ refuses a full overlap too)
            if v.dtype != self._data.dtype:
                if idx[1] is not None and not (v.size == 1 and _only_mask_indices(index)):
                    # advanced indexing writes with index_put_, which takes no other dtype (one value
                    # through boolean masks goes to masked_fill_, which converts it)
                    raise index_put_dtype_error(self._data.dtype, v.dtype)
                if v.dtype in _LIMITED_NP or self._data.dtype in _LIMITED_NP:
                    # PyTorch's copy_ cast, not NumPy's: ml_dtypes casts no 8-bit float scalar into
                    # another, and rounds, saturates and wraps otherwise than c10
                    v = _to_kernel(np, v, self._data.dtype, False)
        elif isinstance(value, F._SCALARS):
            if value.__class__ is int and not -(1 << 63) <= value < 1 << 63:
                raise ValueError("Overflow when unpacking long long")  # (PyTorch reads t[i] = n as an int64)
            if value.__class__ is complex:
                kind = _np_kind(self._data.dtype)
                if kind not in "cb":
                    if value.imag:  # (PyTorch goes through a double for the 16-bit float types)
                        raise F.complex_into_real(np.dtype(np.float16) if kind == "f" and self._data.dtype.itemsize == 2
                                                  else self._data.dtype, via_double=True)
                    value = value.real
            # PyTorch's checked conversion (-1 wraps into uint8, 300 or nan does not fit); only a
            # number into a double or complex128 tensor needs none (NumPy's chars "dD"); the 16- and
            # 8-bit floats take c10's unchecked conversion here (1e10 saturates into e4m3fn)
            dt = self._data.dtype
            # (float32 and complex64 are range-checked too: t[0] = 1e40 raises, where a half takes it as
            # inf, through float as c10 rounds: 65519.99999999999 is inf, not NumPy's direct 65504)
            v = value if dt.char in "dD" else checked_fill_scalar(value, dt, False)
        else:  # PyTorch takes tensors and numbers only (no lists or arrays)
            cls = type(value)
            name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
            raise TypeError(f"can't assign a {name} to a {self.type()}")
        record = _gs.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
        if record:
            if self._extra is not None:
                F.check_multi_view_inplace(self, via=_basic_index_view_name(index))
                if self._extra.no_grad_view and self.grad_fn is None:
                    via = _basic_index_view_name(index)  # (a basic index writes through a view of the view)
                    raise RuntimeError(F.NO_GRAD_VIEW_INPLACE if via is None else
                                       f"Output 0 of {via} is a view of a view which was created in no_grad mode and "
                                       "is being modified inplace with grad mode enabled." +
                                       F.NO_GRAD_VIEW_INPLACE.split("grad mode enabled.", 1)[1])
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
            i = int(i.item()) if _int_tensor(i) else slice(None)
        elif isinstance(i, (list, np.ndarray)):
            i = slice(None)
        basic.append(i)
        if i.__class__ is slice and not ((i.start is None or i.start == 0) and (i.step is None or i.step == 1)):
            return True  # a slice PyTorch applies even where it takes everything (``-n:``)
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
    root = view._base
    rd = root._data
    if not rd.flags.c_contiguous or (root._requires_grad and not view._requires_grad):
        raise RuntimeError(
            "index_put_(): in-place assignment into this view while recording gradients is not supported by "
            "tensorgraft's autograd engine (its base is not contiguous, or the view was detached); index the base "
            "tensor directly or clone() the view first.")
    if root._requires_grad and root.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    region = view_region(view, root)
    old = _alias_history(root)
    _store(table[view._device.type], view, idx, v)
    attrs = dict(region, index=idx)
    Tensor._autograd.record(_setitem, root, (old, value), attrs, node_name="CopySlices")
    record_view_history(view, root, region)


def view_region(view, root) -> dict:
    """The elements of ``root`` that ``view`` shows: size/stride/offset in the view's elements;
    ``cast`` says when those are not the root's (a real view of a complex base, or the reverse):
    the region then lies in the root's storage seen flat in the view's element type."""
    from ..shape.layout import _offset_of
    rd = root._data
    region = {"size": tuple(view._data.shape), "stride": view.stride(), "offset": _offset_of(view._data, rd)}
    if view._data.dtype != rd.dtype:
        region["cast"] = _units_cast(view._data.dtype, rd.dtype)
    return region


def record_view_history(view, root, region) -> None:
    """``view``'s history made PyTorch's regenerated one, after its root changed in place:
    ``as_strided`` of the root (of the root in the view's units, for a view of another dtype), or
    ``view_as_real`` of the root where the view is all of it (PyTorch's node, too). Also the
    engine's ``refresh_view``, for a view used after another write to its root."""
    from ...registry import registry
    cast = region.get("cast")
    if cast is None:
        Tensor._autograd.record(registry.ops["as_strided"], view, (root,),
                                dict(region, in_offset=0, in_stride=root.stride()), node_name="AsStridedBackward0")
    elif cast == "real" and region["size"] == root._data.shape + (2,) and view._data.flags.c_contiguous:
        Tensor._autograd.record(registry.ops["view_as_real"], view, (root,), None)
    else:
        flat = to_view_units(root, cast)
        region = {k: v for k, v in region.items() if k != "cast"}
        Tensor._autograd.record(registry.ops["as_strided"], view, (flat,), dict(region, in_offset=0, in_stride=(1,)),
                                node_name="AsStridedBackward0")


def _units_cast(view_dtype, base_dtype):
    """How a view's elements relate to its base's: "real" (float parts of a complex base) or
    "complex" (pairs of floats of a real base)."""
    if _np_kind(base_dtype) == "c" and view_dtype.itemsize * 2 == base_dtype.itemsize:
        return "real"
    if _np_kind(view_dtype) == "c" and view_dtype.itemsize == 2 * base_dtype.itemsize:
        return "complex"
    raise RuntimeError("index_put_(): in-place assignment into a view of another dtype while recording gradients "
                       "is not supported by tensorgraft's autograd engine; clone() the view first.")


def to_view_units(t, cast):
    """Contiguous ``t`` flattened into the element type of a ``cast`` view (differentiably)."""
    from ..complex import view_as_complex, view_as_real
    if cast == "real":
        return view_as_real(t).reshape(-1)
    return view_as_complex(t.reshape(-1, 2))


def from_view_units(t, cast, shape):
    """The inverse of ``to_view_units``: flat ``t`` back in the base's element type and ``shape``."""
    from ..complex import view_as_complex, view_as_real
    if cast == "real":
        return view_as_complex(t.reshape(-1, 2)).reshape(shape)
    return view_as_real(t).reshape(shape)


def assign_into_view(view, value):
    """``view[...] = value`` recorded as PyTorch records an in-place op on a view (``CopySlices`` on
    the base, ``AsStridedBackward0`` on the view). For the generic in-place machinery: compute the
    op out of place on a snapshot of the view, then hand the result here."""
    _setitem.frontend(view, Ellipsis, value)
    return view


def region_of(t, region):
    """The elements of ``t`` (laid out like the contiguous base) that a recorded view covers."""
    t = t.contiguous()
    cast = region.get("cast")
    if cast is not None:
        t = to_view_units(t, cast)
    return t.clone().as_strided(region["size"], region["stride"], region["offset"])


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
        from ..shape.squeeze_expand import _expand_error
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
                 public=False, bf16_native=True)  # writes into its operand


# --------------------------------------------------------------------------- index backward
# When an index along the first axis folds its rows (row_folding.py: ufunc.at's order, so the same
# bits) instead of NumPy's ufunc.at. Measured on NumPy 2.4: ufunc.at costs ~0.15 us per entry for
# short rows but several us for rows of 32 values or more (2048 x 32 values: 2.8 ms, the fold 0.15 ms;
# an embedding's gradient, 5120 x 64: 3.9 ms against 0.5 ms); the fold's plan costs ~40 us, and for
# rows of one value NumPy's own 1-D ufunc.at loop is faster (100 000 entries: 1.0 ms against 3.2 ms).
_FOLD_FROM_ENTRIES = 256
_FOLD_FROM_ROW_SIZE = 4
_FOLD_FROM_VALUES = 4096


def _add_at(xp, out, idx, vals):
    """``out[idx] += vals`` with repeated indices all applied in order (``np.add.at``)."""
    if out.size == 0 or getattr(vals, "size", 1) == 0:
        return  # nothing to add (NumPy's ufunc.at refuses some empty index/value shapes)
    if xp is np:
        rows = idx[0] if idx.__class__ is tuple and len(idx) == 1 else idx
        if _fold_pays(out, rows, vals):
            _fold_rows("add", out, rows, vals)
        else:
            np.add.at(out, idx, vals)
    else:  # pragma: no cover - CUDA
        import cupyx
        cupyx.scatter_add(out, idx, vals)


def _fold_pays(out, rows, vals) -> bool:
    """Whether ``ufunc.at(out, rows, vals)`` (NumPy arrays, ``rows`` along the first axis) is
    faster done by folding rows (see the thresholds above)."""
    return (rows.__class__ is np.ndarray and rows.size >= _FOLD_FROM_ENTRIES and out.ndim > 0
            and out.size >= _FOLD_FROM_ROW_SIZE * out.shape[0]
            and rows.size * (out.size // max(out.shape[0], 1)) >= _FOLD_FROM_VALUES
            and _np_kind(rows.dtype) in "iu" and getattr(vals, "dtype", None) == out.dtype
            and _np_kind(out.dtype) in "iufc")


def _fold_rows(name, out, rows, vals):
    """``getattr(np, name).at(out, rows, vals)`` for an integer array ``rows`` indexing the first
    axis (in range, negatives counting from the end), by row folding: the same order, so the same
    bits."""
    from .row_folding import scatter_rows
    flat = rows.reshape(-1)
    if _np_kind(flat.dtype) == "i" and flat.size and flat.min() < 0:
        flat = flat % out.shape[0]
    vals = np.broadcast_to(vals, rows.shape + out.shape[1:]).reshape((flat.size,) + out.shape[1:])
    scatter_rows(np, name, out, flat, vals)


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
