"""Joining a list of tensors: cat (concat, concatenate) with its fast path for one device, dtype
and rank, stack, atleast_1d/2d/3d, and hstack, vstack (row_stack), dstack and column_stack."""
from __future__ import annotations

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...sparse.coo_data import SparseCOOData
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import wrap_dim
from .._define import defop
from ._common import _wd
from tensorgraft.argument_errors import not_a_tensor_in_list


# --------------------------------------------------------------------------- cat / stack
def _tensor_list(tensors, fname):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise not_a_tensor_in_list(i, t)
    return tensors


def _cat_kernel(xp, arrays, axis):
    return _c_order(xp, xp.concatenate(arrays, axis=axis))


def _c_order(xp, out):
    """PyTorch's cat result is contiguous unless its inputs are channels-last (4-D/5-D); NumPy's
    follows the inputs' layout (an expanded or transposed input makes it column-major)."""
    flags = getattr(out, "flags", None)  # (none on a sparse result)
    if flags is None or flags.c_contiguous or out.ndim in (4, 5):
        return out
    return xp.ascontiguousarray(out)


def _common_dtype(tensors):
    d0 = tensors[0]._data.dtype
    if all(t._data.dtype == d0 for t in tensors):
        return None
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = _dt.promote_types(dt, t.dtype)
    return dt.np


def _cat_frontend(op):
    table = op.table

    def cat(tensors, dim=0, *, out=None):
        if tensors.__class__ not in (list, tuple):
            tensors = _tensor_list(tensors, "cat")
        if not tensors:
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        # fast path: same device, dtype and rank, no legacy empty 1-D tensor
        t0 = tensors[0]
        if t0.__class__ is not Tensor and not isinstance(t0, Tensor):
            _tensor_list(tensors, "cat")
        a0 = t0._data
        dev, npd0, nd = t0._device, a0.dtype, a0.ndim
        fast = nd > 0 and not (nd == 1 and a0.shape[0] == 0)
        if fast:
            for t in tensors:
                if not isinstance(t, Tensor):
                    _tensor_list(tensors, "cat")
                a = t._data
                if a.ndim != nd or a.dtype is not npd0 or t._device is not dev or (nd == 1 and a.shape[0] == 0):
                    fast = False
                    break
        if fast:
            d = _wd(dim, nd, "cat")
            skip = None
            arrays = [t._data for t in tensors]
            rs = a0.shape
            for i, a in enumerate(arrays):
                s = a.shape
                if s != rs:
                    for k in range(nd):
                        if k != d and s[k] != rs[k]:
                            raise _size_mismatch(d, rs, s, k, i, a0)
        else:
            tensors = _tensor_list(tensors, "cat")
            d, skip, arrays = _cat_checks(tensors, dim)
        if out is not None and isinstance(out, Tensor):  # (out may not be, nor share memory with, an input)
            F.check_out_overlap(out, tensors, full_ok=False)
        res = wrap(table[dev.type](arrays, d), dev)
        if out is not None:
            F.write_out(out, res._data, "cat")
            return out
        if _gs.enabled:
            for t in tensors:
                if t._requires_grad:
                    sizes = [t._data.shape[d] for t in tensors] if skip is None else \
                        [None if k else t._data.shape[d] for t, k in zip(tensors, skip)]
                    Tensor._autograd.record(op, res, tuple(tensors), {"dim": d, "sizes": sizes})
                    break
        return res
    return cat


def _size_mismatch(d, ref_shape, shape, k, i, ref_array):
    """PyTorch's error for tensors whose sizes differ outside the concatenated dim (its sparse
    kernel words it differently)."""
    if ref_array.__class__ is SparseCOOData:
        return RuntimeError(f"All tensors must have the same shape: {list(ref_shape)} (except in the concatenating "
                            f"dimension), but found shape: {list(shape)} at position {i}.")
    return RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {ref_shape[k]} but got "
                        f"size {shape[k]} for tensor number {i} in the list.")


def _cat_checks(tensors, dim):
    """The general path of cat: PyTorch's checks, dtype promotion, legacy empty tensors skipped."""
    skip = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in tensors]
    if all(skip):
        skip = [False] * len(tensors)
    ref = tensors[skip.index(False)]
    dev = ref._device
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if t._device is not dev:
            raise F.device_mismatch("cat", ref, t)
    nd = ref._data.ndim
    d = wrap_dim(dim, nd, "cat")
    rs = ref._data.shape
    for i, t in enumerate(tensors):
        if skip[i]:
            continue
        s = t._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != rs[k]:
                raise _size_mismatch(d, rs, s, k, i, ref._data)
    npd = _common_dtype(tensors)
    arrays = [t._data if npd is None else t._data.astype(npd) for t, k in zip(tensors, skip) if not k]
    return d, skip, arrays


_cat = defop("cat", kernel=_cat_kernel, frontend=_cat_frontend, method=False)
defop("concat", kernel=_cat_kernel, frontend=_cat_frontend, method=False, node="CatBackward0")
defop("concatenate", kernel=_cat_kernel, frontend=_cat_frontend, method=False, node="CatBackward0")


def _stack_frontend(op):
    table = op.table

    def stack(tensors, dim=0, *, out=None):
        if tensors.__class__ not in (list, tuple) or not all(isinstance(t, Tensor) for t in tensors):
            tensors = _tensor_list(tensors, "stack")
        if not tensors:
            raise RuntimeError("stack expects a non-empty TensorList")
        s0 = tensors[0]._data.shape
        dev = tensors[0]._device
        for i, t in enumerate(tensors):
            if t._data.shape != s0:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                                   f"{list(t._data.shape)} at entry {i}")
            if t._device is not dev:
                raise F.device_mismatch("stack", tensors[0], t)
        d = _wd(dim, len(s0) + 1, "stack")
        npd = _common_dtype(tensors)
        arrays = [t._data if npd is None else t._data.astype(npd) for t in tensors]
        res = wrap(table[dev.type](arrays, d), dev)
        if out is not None:
            F.write_out(out, res._data, "stack")
            return out
        if _gs.enabled and any(t._requires_grad for t in tensors):
            Tensor._autograd.record(op, res, tensors, {"dim": d})
        return res
    return stack


def _stack_kernel(xp, arrays, axis):
    ix = (slice(None),) * axis + (None,)
    return _c_order(xp, xp.concatenate([a[ix] for a in arrays], axis=axis))


defop("stack", kernel=_stack_kernel, frontend=_stack_frontend, method=False)


def _atleast(n):
    def atleast(*tensors):
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
            tensors = tuple(tensors[0])
        out = []
        for t in tensors:
            check_tensor(t, f"atleast_{n}d")
            nd = t._data.ndim
            if nd >= n:
                out.append(t)
            elif n == 1 or (n == 2 and nd == 0) or (n == 3 and nd == 0):
                out.append(t.reshape((1,) * n))
            elif n == 2:  # 1-D -> (1, N)
                out.append(t.unsqueeze(0))
            elif nd == 1:  # n == 3
                out.append(t.unsqueeze(0).unsqueeze(-1))
            else:  # 2-D -> (M, N, 1)
                out.append(t.unsqueeze(-1))
        return out[0] if single else tuple(out)
    atleast.__name__ = f"atleast_{n}d"
    return atleast


for _k in (1, 2, 3):
    defop(f"atleast_{_k}d", frontend=lambda op, k=_k: _atleast(k), method=False, differentiable=False)


def _hstack(tensors, *, out=None):
    ts = _atleast(1)(_tensor_list(tensors, "hstack"))
    if not ts:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return _cat.frontend(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def _vstack(tensors, *, out=None):
    ts = _atleast(2)(_tensor_list(tensors, "vstack"))
    if not ts:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return _cat.frontend(ts, 0, out=out)


def _dstack(tensors, *, out=None):
    ts = _atleast(3)(_tensor_list(tensors, "dstack"))
    if not ts:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return _cat.frontend(ts, 2, out=out)


def _column_stack(tensors, *, out=None):
    ts = _tensor_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    ts = [t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in ts]
    return _cat.frontend(ts, 1, out=out)


defop("hstack", frontend=lambda op: _hstack, method=False, differentiable=False)
defop("vstack", frontend=lambda op: _vstack, method=False, differentiable=False)
defop("row_stack", frontend=lambda op: _vstack, method=False, differentiable=False)
defop("dstack", frontend=lambda op: _dstack, method=False, differentiable=False)
defop("column_stack", frontend=lambda op: _column_stack, method=False, differentiable=False)
