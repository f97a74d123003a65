"""Indexing: ``__getitem__``/``__setitem__`` (ints, slices, ellipsis, None, bool masks, integer
tensors), gather/scatter, index_select, masked ops, where, tril/triu."""
from __future__ import annotations

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap, wrap_view
from . import _frontend as F
from ._define import defop

_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_index(index, device):
    """Tensor indices -> backend arrays; bools/ints stay Python values. Returns (index, is_basic)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            if i._device is not device:
                raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                                   f"({device})")
            if i._data.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(i._data)
            basic = False
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray(i)
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr if device.type == "cpu" else _to_dev(arr, device))
            basic = False
        elif isinstance(i, bool):
            out.append(i)
            basic = False
        elif isinstance(i, _BASIC) or isinstance(i, np.integer):
            out.append(i)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    return tuple(out), basic


def _to_dev(arr, device):
    from .conversion import move_array
    from ..device import device as D
    return move_array(arr, D("cpu"), device)


def _check_bounds(shape, index):
    dim = 0
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            dim = len(shape) - sum(1 for j in index if j is not None and j is not Ellipsis)
            dim += index.index(Ellipsis) if False else 0
            continue
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += 1


def _getitem_frontend(op):
    table = op.table

    def getitem(self, index):
        idx, basic = normalize_index(index, self._device)
        try:
            data = table[self._device.type](self._data, idx)
        except IndexError as exc:
            _check_bounds(self._data.shape, idx)
            raise IndexError(str(exc).replace("array", "tensor")) from None
        out = wrap_view(data, self) if basic else wrap(data, self._device)
        if self._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (self,), {"index": idx, "shape": self._data.shape},
                                    node_name=_node_name(idx, basic))
        return out
    return getitem


def _node_name(idx, basic):
    if not basic:
        return "IndexBackward0"
    if len(idx) == 1 and isinstance(idx[0], (int, np.integer)):
        return "SelectBackward0"
    if all(isinstance(i, slice) for i in idx):
        return "SliceBackward0"
    return "AsStridedBackward0"


def _getitem_kernel(xp, a, idx):
    r = a[idx]
    return r


defop("__getitem__", kernel=_getitem_kernel, frontend=_getitem_frontend, method="__getitem__", public=False,
      node="IndexBackward0")


def _index_put_kernel(xp, a, idx, value):
    out = a.copy()
    out[idx] = value
    return out


def _setitem_frontend(op):
    """``t[idx] = value`` is an in-place op: it writes ``t``'s memory and bumps its version."""
    table = op.table

    def setitem(self, index, value):
        idx, _ = normalize_index(index, self._device)
        if isinstance(value, Tensor):
            if value._device is not self._device:
                raise F.device_mismatch("index_put_", self, value)
            v = value._data
        elif isinstance(value, F._SCALARS):
            v = value
        else:
            v = np.asarray(value)
        record = _gs.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
        if record:
            F.check_inplace_allowed(self, "index_put_")
            old = Tensor._autograd.snapshot(self)
            new = wrap(table[self._device.type](self._data, idx, v), self._device)
            Tensor._autograd.record(op, new, (old, value), {"index": idx}, node_name="IndexPutBackward0")
            self._data[...] = new._data
            self._vc[0] += 1
            Tensor._autograd.rebase(self, new)
            return
        try:
            self._data[idx] = v
        except ValueError as exc:
            raise RuntimeError(f"shape mismatch: {exc}") from None
        except IndexError as exc:
            _check_bounds(self._data.shape, idx)
            raise IndexError(str(exc).replace("array", "tensor")) from None
        self._vc[0] += 1
    return setitem


defop("index_put", kernel=_index_put_kernel, frontend=_setitem_frontend, method="__setitem__", public=False)


def _index_backward_kernel(xp, g, shape, idx):
    out = xp.zeros(shape, dtype=g.dtype)
    if xp is np:
        np.add.at(out, idx, g)
    else:  # CuPy
        import cupyx
        cupyx.scatter_add(out, idx, g)
    return out


def _index_backward_frontend(op):
    table = op.table

    def index_backward(grad, shape, index):
        """Scatter-add ``grad`` into zeros of ``shape`` at ``index`` (repeated indices accumulate)."""
        out = wrap(table[grad._device.type](grad._data, shape, index), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (grad,), {"index": index, "shape": shape})
        return out
    return index_backward


_index_backward = defop("_index_backward", kernel=_index_backward_kernel, frontend=_index_backward_frontend,
                        method=False, public=False)


def index_backward(grad, shape, index):
    return _index_backward.frontend(grad, shape, index)


def masked_out(g, index):
    """``g`` with the entries at ``index`` zeroed, as a differentiable product with a constant mask."""
    xp = np if g._device.type == "cpu" else __import__("tensorgraft").device.get_backend(g._device).xp
    mask = xp.ones(g._data.shape, dtype=g._data.dtype)
    mask[index] = 0
    return g * wrap(mask, g._device)


def _where_kernel(xp, cond, a, b):
    return xp.where(cond, a, b)


def _where_frontend(op):
    table = op.table

    def where(condition, input=None, other=None):
        if input is None and other is None:
            return condition.nonzero(as_tuple=True)
        if not isinstance(condition, Tensor):
            raise F.not_a_tensor("where", "condition", 1, condition)
        if condition._data.dtype.kind != "b":
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{condition.dtype._torch_name.capitalize()}")
        dev = condition._device
        ref = input if isinstance(input, Tensor) else other
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            if input._device is not dev or other._device is not dev:
                raise F.device_mismatch("where", condition, input if input._device is not dev else other)
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
            from .creation import tensor
            return where(condition, tensor(input, device=dev), tensor(other, device=dev))
        out = wrap(table[dev.type](condition._data, a, b), dev)
        if F.needs_grad(input, other):
            Tensor._autograd.record(op, out, (condition, input, other), None, node_name="WhereBackward0")
        return out
    return where


defop("where", kernel=_where_kernel, frontend=_where_frontend)
