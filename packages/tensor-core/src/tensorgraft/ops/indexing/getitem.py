"""``Tensor.__getitem__`` (the private ``__getitem__`` op) and ``index_apply``, which backward
formulas call with an index that is already normalised; the graph node takes the name of the
last view op PyTorch's indexing applies (``_node_name``).

A hot path: the frontend reads ``normalize_index``, ``index_apply`` and ``_bounds_error`` as
plain globals of this module, with no call layer in between."""
from __future__ import annotations

from ...grad_mode import state as _gs
from ...empty_views import record_basic_index
from ...tensor import Tensor, wrap, wrap_view
from .._define import defop
from .normalize import _FULL, _bounds_error, _translate_index_error, apply_index, normalize_index


def _node_name(idx, basic, shape=None, bare=False):
    """PyTorch names the node after the view op its indexing applied: a no-op slice inside a
    tuple index is skipped (nothing applied at all: ``AliasBackward0``), a bare slice never is.
    None when it applies more than one (``_view_steps`` then gives the chain of nodes it records)."""
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
            continue
        if it is None:
            name = "UnsqueezeBackward0"
        elif isinstance(it, slice):
            dim += 1
            if shape is not None and dim <= nd and skipped_slice(it, shape[dim - 1]):
                continue
            name = "SliceBackward0"
        else:
            name = "SelectBackward0"
            dim += 1
        if last is not None:
            return None
        last = name
    return last or "AliasBackward0"


def _view_steps(items, shape):
    """The view ops PyTorch's indexing applies one after another for the basic index ``items`` of a
    tensor of ``shape`` (it records one node each: ``x[1:, ::2]`` is two SliceBackward0), as
    ``(node name, single-op index on the previous step's result)``."""
    nd = len(shape)
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    dim = pos = 0  # the dim of ``shape`` the item indexes, and where it is in the step's input
    steps = []
    for it in items:
        if it is Ellipsis:
            dim += nd - consumed
            pos += nd - consumed
        elif it is None:
            steps.append(("UnsqueezeBackward0", (_FULL,) * pos + (None, Ellipsis)))
            pos += 1
        elif isinstance(it, slice):
            if dim >= nd or not skipped_slice(it, shape[dim]):
                steps.append(("SliceBackward0", (_FULL,) * pos + (it, Ellipsis)))
            dim += 1
            pos += 1
        else:
            steps.append(("SelectBackward0", (_FULL,) * pos + (it, Ellipsis)))
            dim += 1
    return steps


def _record_view_chain(t, out, steps):
    """Record ``out = t[...]`` as PyTorch's chain of view nodes, one per step; the intermediate
    results are views of ``t`` that only the graph holds."""
    record = Tensor._autograd.record
    kernel = _getitem.table[t._device.type]
    cur = t
    last = len(steps) - 1
    for k, (name, step) in enumerate(steps):
        index = (step, None)
        if k == last:
            nxt = out
        else:
            data = kernel(cur._data, index)
            nxt = wrap_view(data, cur)
            if not data.size:
                record_basic_index(nxt, cur, step)
        record(_getitem, nxt, (cur,), {"index": index, "shape": cur._data.shape}, node_name=name)
        cur = nxt


def skipped_slice(s, n) -> bool:
    """Whether PyTorch's indexing skips slice ``s`` of a dim of length ``n``: its start is 0 (or
    absent), its stop n or more (or absent), its step 1, as given (``-n:`` is still a slice)."""
    return (s.start is None or s.start == 0) and (s.stop is None or s.stop >= n) and (s.step is None or s.step == 1)


def _getitem_kernel(xp, a, idx):
    return apply_index(a, idx)


def _getitem_frontend(op):

    def getitem(self, index):
        idx, basic = normalize_index(index, self._device, self._data.shape)
        try:
            return index_apply(self, idx, basic, index.__class__ is slice)
        except IndexError as exc:
            raise _bounds_error(exc, index, self._data.shape) from None
    return getitem


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
    if basic:
        out = wrap_view(data, t)
        if not data.size:
            record_basic_index(out, t, idx[0])
    else:
        if not data.flags.c_contiguous and t._data.flags.c_contiguous:
            # PyTorch's result follows a contiguous input's layout; NumPy puts the indexed dims first
            data = data.copy()
        out = wrap(data, t._device)
    if t._requires_grad and _gs.enabled:
        name = _node_name(idx, basic, t._data.shape, bare)
        if name is None:
            _record_view_chain(t, out, _view_steps(idx[0], t._data.shape))
        else:
            Tensor._autograd.record(_getitem, out, (t,), {"index": idx, "shape": t._data.shape}, node_name=name)
    return out
