"""Writing a source into a copy of a tensor: the functional ``*_scatter`` ops (the embedding of a
``select``/``slice``/``diagonal`` view), ``put`` (flat indices) and ``index_reduce``.

Each is an out-of-place op with PyTorch's node (``SelectScatterBackward0``, ``PutBackward0``,
``IndexReduceBackward0``...); ``put_`` and ``index_reduce_`` are their in-place variants.
``delayed_error`` marks a gradient of theirs whose own derivative PyTorch refuses (its ``Error`` node).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..grad_mode import state as _grad_state
from ..memory_layout import strided_view
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._args import wrap_dim
from ._define import defop
from .shape import _diagonal_kernel
from .indexing import _add_at, _index_vector_checks, _scatter_reduce_kernel, _xp
from tensorgraft.dtypes import np_kind as _np_kind
from ..caller_warnings import caller_stacklevel


# --------------------------------------------------------------------------- *_scatter
def _region(a, kind, args, xp=np):
    """The view of ``a`` that ``kind`` (select/slice/diagonal/as_strided) with ``args`` addresses."""
    if kind == "as_strided":  # (a dense copy: its memory, in memory order, is the storage strides count in)
        size, stride, offset = args
        isz = a.itemsize
        flat = strided_view(xp, a, (a.size,), (isz,))
        return strided_view(xp, flat[offset:], size, tuple(st * isz for st in stride))
    if kind == "select":
        d, i = args
        # (the Ellipsis keeps a 1-D input's element a writable 0-d view, not a NumPy scalar)
        return a[(slice(None),) * d + (i, Ellipsis)]
    if kind == "slice":
        d, start, end, step = args
        return a[(slice(None),) * d + (slice(start, end, step),)]
    offset, d1, d2 = args
    return _diagonal_kernel(xp, a, offset, d1, d2)  # writable, unlike NumPy's own diagonal


def _embed_kernel(xp, a, src, kind, args):
    # (as_strided_scatter's strides address the clone's memory, which keeps a's layout, as PyTorch's clone)
    out = a.copy(order="K" if kind == "as_strided" else "C")
    if kind == "diagonal":  # by index: a diagonal view is not writable everywhere (NumPy's is read-only)
        offset, d1, d2 = args
        n = src.shape[-1]
        if n:
            m = xp.moveaxis(out, (d1, d2), (-2, -1))
            m[..., xp.arange(n) + max(-offset, 0), xp.arange(n) + max(offset, 0)] = src
        return out
    _region(out, kind, args, xp)[...] = src
    return out


def _normalize(kind, a, args, fname):
    if kind == "select":
        dim, index = args
        if a.ndim == 0:  # (PyTorch's select() check, before the dim is wrapped)
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = wrap_dim(dim, a.ndim)
        n = a.shape[d]
        if not -n <= index < n:
            raise IndexError(f"{fname}(): index {index} out of range for tensor of size {list(a.shape)} at "
                             f"dimension {d}")
        return d, index + n if index < 0 else index
    if kind == "slice":
        dim, start, end, step = args
        if step <= 0:
            raise RuntimeError("slice step must be positive")
        return wrap_dim(dim, a.ndim), start, end, step
    if kind == "as_strided":
        size, stride, offset = args
        size, stride = tuple(int(x) for x in size), tuple(int(x) for x in stride)
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        offset = 0 if offset is None else int(offset)
        need = 0 if 0 in size else offset + sum((n - 1) * st for n, st in zip(size, stride)) + 1
        if need > a.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                               f"and itemsize {a.itemsize} requiring a storage size of {need * a.itemsize} are "
                               f"out of bounds for storage of size {a.size * a.itemsize}")
        return size, stride, offset
    offset, dim1, dim2 = args
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return offset, d1, d2


def _embed_frontend(op):
    table = op.table
    kind = op.extra["kind"]
    fname = op.name

    def embed(input, src, *args):
        check_tensor(input, fname, "input", 1)
        check_tensor(src, fname, "src", 2)
        a = input._data
        args = _normalize(kind, a, args, fname)
        want = _region(a, kind, args, _xp(input)).shape
        if tuple(src._data.shape) != tuple(want):
            raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                               f"{list(src._data.shape)}, slice size = {list(want)}")
        if src._device is not input._device:
            raise F.device_mismatch(fname, input, src)
        s = src._data if src._data.dtype == a.dtype else src._data.astype(a.dtype)
        out = wrap(table[input._device.type](a, s, kind, args), input._device)
        if F.needs_grad(input, src):
            Tensor._autograd.record(op, out, (input, src), {"kind": kind, "args": args})
        return out
    return embed


def _select_scatter_frontend(op):
    embed = _embed_frontend(op)

    def select_scatter(input, src, dim, index):
        return embed(input, src, dim, index)
    return select_scatter


def _slice_scatter_frontend(op):
    embed = _embed_frontend(op)

    def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
        return embed(input, src, dim, start, end, step)
    return slice_scatter


def _as_strided_scatter_frontend(op):
    embed = _embed_frontend(op)

    def as_strided_scatter(input, src, size, stride, storage_offset=None):
        return embed(input, src, size, stride, storage_offset)
    return as_strided_scatter


def _diagonal_scatter_frontend(op):
    embed = _embed_frontend(op)

    def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
        return embed(input, src, offset, dim1, dim2)
    return diagonal_scatter


def region_of(g, kind, args):
    """The part of ``g`` an embed op wrote (differentiable: a select/slice/diagonal of ``g``)."""
    if kind == "select":
        return g.select(*args)
    if kind == "slice":
        d, start, end, step = args
        return g[(slice(None),) * d + (slice(start, end, step),)]
    if kind == "as_strided":  # (strides count in a dense copy's memory: a fresh clone of g, in g's layout)
        return g.clone().as_strided(*args)
    return g.diagonal(*args)


def _embed_samples(build):
    def samples(dtype, device):
        from ..testing import make_tensor

        def X(shape, seed):
            return make_tensor(shape, dtype=dtype, device=device, seed=seed)
        return build(X)
    return samples


def _np_embed(kind):
    def ref(a, src, *args):
        out = a.copy()
        if kind == "slice":
            d, start, end, step = (list(args) + [0, None, None, 1][len(args):])
            out[(slice(None),) * d + (slice(start, end, step),)] = src
        elif kind == "select":
            out[(slice(None),) * args[0] + (args[1],)] = src
        else:
            offset, d1, d2 = (list(args) + [0, 0, 1][len(args):])
            view = np.diagonal(out, offset, d1, d2)
            view.flags.writeable = True
            view[...] = src
        return out
    return ref


defop("select_scatter", kernel=_embed_kernel, frontend=_select_scatter_frontend, kind="select",
      samples=_embed_samples(lambda X: [((X((3, 4), 130), X((4,), 131), 0, 1), {}),
                                        ((X((3, 4), 132), X((3,), 133), 1, -1), {})]),
      reference=_np_embed("select"))
defop("slice_scatter", kernel=_embed_kernel, frontend=_slice_scatter_frontend, kind="slice",
      samples=_embed_samples(lambda X: [((X((3, 4), 134), X((3, 2), 135), 1, 0, 4, 2), {}),
                                        ((X((4, 2), 136), X((2, 2), 137)), {"start": 1, "end": 3}),
                                        ((X((4, 2), 138), X((4, 2), 139)), {})]),
      reference=lambda a, src, dim=0, start=None, end=None, step=1: _np_embed("slice")(a, src, dim, start, end, step))
defop("diagonal_scatter", kernel=_embed_kernel, frontend=_diagonal_scatter_frontend, kind="diagonal",
      samples=_embed_samples(lambda X: [((X((3, 4), 140), X((3,), 141)), {}),
                                        ((X((3, 4), 142), X((3,), 143), 1), {}),
                                        ((X((2, 3, 3), 144), X((2, 2), 145), -1, 1, 2), {})]),
      reference=lambda a, src, offset=0, dim1=0, dim2=1: _np_embed("diagonal")(a, src, offset, dim1, dim2))


defop("as_strided_scatter", kernel=_embed_kernel, frontend=_as_strided_scatter_frontend, kind="as_strided",
      samples=_embed_samples(lambda X: [((X((6,), 146), X((2, 2), 147), (2, 2), (1, 2)), {}),
                                        ((X((2, 3), 148), X((2,), 149), (2,), (2,), 1), {})]),
      reference=lambda a, src, size, stride, offset=0: _embed_kernel(np, a, src, "as_strided", (size, stride, offset)))


# --------------------------------------------------------------------------- put
def _put_kernel(xp, a, idx, src, accumulate):
    out = a.copy(order="C")  # not ascontiguousarray: it would make a 0-d tensor 1-d
    flat = out.reshape(-1)
    vals = src.reshape(-1)
    if accumulate:
        _add_at(xp, flat, idx, vals)
    else:
        flat[idx] = vals
    return out


def _put_frontend(op):
    table = op.table

    def put(input, index, source, accumulate=False):
        check_tensor(input, "put", "input", 1)
        check_tensor(index, "put", "index", 2)
        check_tensor(source, "put", "source", 3)
        a = input._data
        idx = index._data
        if idx.dtype != np.int64:  # put_ wants int64 alone (int32 is refused as well)
            raise RuntimeError("put_(): Expected a long tensor for index, but got " + F._type_name(idx.dtype))
        if source._data.dtype != a.dtype:
            raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                               f"{F._type_name(a.dtype)} and source.dtype = {F._type_name(source._data.dtype)}")
        if idx.size != source._data.size:
            raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                               f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
        flat_idx = idx.reshape(-1)
        n = a.size
        if flat_idx.size and not n:
            raise IndexError("put_(): Tried to put elements into an empty tensor")
        if flat_idx.size:
            lo, hi = int(flat_idx.min()), int(flat_idx.max())
            if hi >= n or lo < -n:
                raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on a tensor of {n} "
                                 "elements.")
        out = wrap(table[input._device.type](a, flat_idx, source._data, bool(accumulate)), input._device)
        if F.needs_grad(input, source):
            Tensor._autograd.record(op, out, (input, index, source), {"accumulate": bool(accumulate)})
        return out
    return put


def _put_samples(dtype, device):
    from ..testing import make_tensor
    from .creation import tensor
    x = make_tensor((3, 4), dtype=dtype, device=device, seed=150)
    return [((x, tensor([0, 5, -1], device=device), make_tensor((3,), dtype=dtype, device=device, seed=151)), {}),
            ((x, tensor([[1, 1], [2, 7]], device=device), make_tensor((2, 2), dtype=dtype, device=device, seed=152),
              True), {})]


def _np_put(a, idx, src, accumulate=False):
    out = a.copy().reshape(-1)
    if accumulate:
        np.add.at(out, idx.reshape(-1), src.reshape(-1))
    else:
        out[idx.reshape(-1)] = src.reshape(-1)
    return out.reshape(a.shape)


defop("put", kernel=_put_kernel, frontend=_put_frontend, inplace="put_", samples=_put_samples, reference=_np_put,
      nondiff_inputs=(1,))


# --------------------------------------------------------------------------- index_reduce
def _index_reduce_kernel(xp, a, d, idx, src, reduce, include_self):
    return _scatter_reduce_kernel(xp, a, d, idx, src, reduce, include_self)


def _full_index(xp, idx, d, shape):
    """The vector ``idx`` along ``d``, repeated over the other dims of ``shape`` (scatter's form)."""
    view = [1] * len(shape)
    if shape:
        view[d] = idx.size
    # a copy, not ascontiguousarray: that one turns the index of a 0-d source into a 1-d array
    return xp.broadcast_to(idx.reshape(view), shape).copy()


_BETA_WARNED = []   # PyTorch warns that index_reduce is in beta once per process, as its checks pass


def _index_reduce_frontend(op):
    table = op.table

    def index_reduce(input, dim, index, source, reduce, *, include_self=True):
        check_tensor(input, "index_reduce", "input", 1)
        check_tensor(index, "index_reduce", "index", 3)
        check_tensor(source, "index_reduce", "source", 4)
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                               f"{reduce}.")
        a = input._data
        idx = _index_vector_checks("index_reduce_", index)
        d = wrap_dim(dim, a.ndim)
        s = source._data
        if s.dtype != a.dtype:
            raise RuntimeError(f"index_reduce_(): self ({F._type_name(a.dtype)}) and source ({F._type_name(s.dtype)}) "
                               "must have the same scalar type")
        ns = s.shape[d] if s.ndim else 1
        if idx.size != ns:
            raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                               f"({ns}), for dim: {d}")
        if s.ndim != a.ndim or any(n != m for k, (n, m) in enumerate(zip(a.shape, s.shape)) if k != d):
            raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                               f"Got self.shape = {list(a.shape)} source.shape = {list(s.shape)}")
        n = a.shape[d] if a.ndim else 1
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):  # (no negative indices)
            raise IndexError("index out of range in self")
        if not _BETA_WARNED:
            _BETA_WARNED.append(True)
            warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning,
                          stacklevel=caller_stacklevel())
        if _np_kind(a.dtype) in "cb":
            raise NotImplementedError(f'"index_func_" not implemented for \'{F._type_name(a.dtype)}\'')
        xp = _xp(input)
        full = _full_index(xp, idx, d, source._data.shape)
        out = wrap(table[input._device.type](a, d, full, source._data, reduce, bool(include_self)), input._device)
        if F.needs_grad(input, source):
            # scatter_reduce's gradient, given the index in its full (scatter) form
            Tensor._autograd.record(op, out, (input, wrap(full, input._device), source),
                                    {"dim": d, "reduce": reduce, "include_self": bool(include_self)})
        return out
    return index_reduce


def _index_reduce_samples(dtype, device):
    from ..testing import make_tensor
    from .creation import tensor
    x = make_tensor((3, 4), dtype=dtype, device=device, low=0.5, high=2.0, seed=153)
    src = make_tensor((3, 4), dtype=dtype, device=device, low=0.5, high=2.0, seed=154)
    idx = tensor([0, 2, 0], device=device)
    return [((x, 0, idx, src, r), {"include_self": inc}) for r in ("prod", "mean", "amax", "amin")
            for inc in (True, False)] + [((x, 1, tensor([3, 1, 1, 0], device=device), src, "mean"), {})]


def _np_index_reduce(a, d, idx, src, reduce, include_self=True):
    out = np.moveaxis(a.copy(), d, 0)
    s = np.moveaxis(src, d, 0)
    for row in set(int(i) for i in idx.reshape(-1)):
        parts = [s[k] for k in range(len(idx)) if int(idx[k]) == row]
        if include_self:
            parts = [out[row]] + parts
        st = np.stack(parts)
        out[row] = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce](st, axis=0)
    return np.moveaxis(out, 0, d)


defop("index_reduce", kernel=_index_reduce_kernel, frontend=_index_reduce_frontend, inplace="index_reduce_",
      formula_of="scatter_reduce", node="IndexReduceBackward0", nondiff_inputs=(1,), samples=_index_reduce_samples,
      reference=_np_index_reduce)


# --------------------------------------------------------------------------- a derivative PyTorch refuses
def _delayed_error_frontend(op):
    def _delayed_error(t, message):
        out = wrap(t._data, t._device)  # the same values: only the node differs
        if t._requires_grad and _grad_state.enabled:
            Tensor._autograd.record(op, out, (t,), {"message": message})
        return out
    return _delayed_error


_delayed_error_op = defop("_delayed_error", frontend=_delayed_error_frontend, method=False, public=False)


def delayed_error(t, message):
    """``t``'s values on a node named ``Error`` whose backward raises ``message`` (PyTorch's
    DelayedError): a first derivative, built under ``create_graph``, that PyTorch computes but does
    not differentiate again (scatter_reduce's ``prod`` with several zeros at one position)."""
    return _delayed_error_op.frontend(t, message)
