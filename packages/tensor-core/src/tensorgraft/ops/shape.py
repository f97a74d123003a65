"""Shape ops. Views (view, t, transpose, permute, squeeze, unsqueeze, expand...) share memory and
the version counter with their base, as in PyTorch; copies (reshape of a non-viewable layout,
contiguous, clone, repeat) do not."""
from __future__ import annotations

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap, wrap_view
from . import _frontend as F
from ._args import infer_size, shape_arg, wrap_dim
from ._define import defop


def _check(input, name):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(name, "input", 1, input)


def _finish_view(op, input, data, attrs, node_name=None):
    out = wrap_view(data, input)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)
    return out


def _finish_copy(op, input, data, attrs, node_name=None):
    out = wrap(data, input._device)
    if input._requires_grad and _gs.enabled:
        Tensor._autograd.record(op, out, (input,), attrs, node_name=node_name)
    return out


def _view_kernel(xp, a, shape):
    v = a.view()
    try:
        v.shape = shape  # raises instead of copying when the strides don't allow a view
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return v


def _view_frontend(op):
    table = op.table

    def view(input, *shape):
        _check(input, "view")
        if len(shape) == 1 and hasattr(shape[0], "np"):  # view(dtype)
            raise RuntimeError("view(dtype) is not supported; use .to(dtype)")
        a = input._data
        shape = infer_size(shape_arg(shape, "view"), a.size)
        return _finish_view(op, input, table[input._device.type](a, shape), {"shape": a.shape})
    return view


defop("view", kernel=_view_kernel, frontend=_view_frontend, public=False)


def _reshape_frontend(op):
    table = op.table

    def reshape(input, *shape):
        _check(input, "reshape")
        a = input._data
        shape = infer_size(shape_arg(shape, "reshape"), a.size)
        data = table[input._device.type](a, shape)
        viewed = np.shares_memory(data, a) if isinstance(a, np.ndarray) else data.base is not None
        finish = _finish_view if viewed else _finish_copy
        return finish(op, input, data, {"shape": a.shape}, node_name="ViewBackward0" if viewed else "ReshapeAliasBackward0")
    return reshape


defop("reshape", kernel=lambda xp, a, shape: xp.reshape(a, shape), frontend=_reshape_frontend)


def _flatten_frontend(op):
    def flatten(input, start_dim=0, end_dim=-1):
        _check(input, "flatten")
        nd = input._data.ndim
        if nd == 0:
            return input.reshape(1)
        s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return input
        shape = input._data.shape
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return input.reshape(shape[:s] + (n,) + shape[e + 1:])
    return flatten


defop("flatten", kernel=None, frontend=_flatten_frontend, differentiable=False)


def _permute_kernel(xp, a, dims):
    return xp.transpose(a, dims)


def _transpose_frontend(op):
    table = op.table

    def transpose(input, dim0, dim1):
        _check(input, "transpose")
        nd = input._data.ndim
        if nd == 0:
            return _finish_view(op, input, input._data.view(), {"dims": ()})
        d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
        dims = list(range(nd))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return _finish_view(op, input, table[input._device.type](input._data, tuple(dims)), {"dims": tuple(dims)})
    return transpose


_transpose = defop("transpose", kernel=_permute_kernel, frontend=_transpose_frontend)
defop("swapaxes", kernel=_permute_kernel, frontend=_transpose_frontend, node="TransposeBackward0")
defop("swapdims", kernel=_permute_kernel, frontend=_transpose_frontend, node="TransposeBackward0")


def _t_frontend(op):
    table = op.table

    def t(input):
        _check(input, "t")
        nd = input._data.ndim
        if nd > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
        dims = (1, 0) if nd == 2 else tuple(range(nd))
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return t


defop("t", kernel=_permute_kernel, frontend=_t_frontend)


def _permute_frontend(op):
    table = op.table

    def permute(input, *dims):
        _check(input, "permute")
        nd = input._data.ndim
        dims = shape_arg(dims, "permute")
        if len(dims) != nd:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                               f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                               f"to len(dims) = {len(dims)}")
        dims = tuple(wrap_dim(d, nd) for d in dims)
        if len(set(dims)) != nd:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return permute


defop("permute", kernel=_permute_kernel, frontend=_permute_frontend)


def _unsqueeze_frontend(op):
    table = op.table

    def unsqueeze(input, dim):
        _check(input, "unsqueeze")
        nd = input._data.ndim
        d = wrap_dim(dim, nd + 1)
        return _finish_view(op, input, table[input._device.type](input._data, d), {"dim": d})
    return unsqueeze


defop("unsqueeze", kernel=lambda xp, a, d: xp.expand_dims(a, d), frontend=_unsqueeze_frontend)


def _squeeze_frontend(op):
    table = op.table

    def squeeze(input, dim=None):
        _check(input, "squeeze")
        a = input._data
        if dim is None:
            axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
            name = "SqueezeBackward0"
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            axes = tuple(sorted({wrap_dim(d, a.ndim) for d in dims if a.ndim})) if a.ndim else ()
            axes = tuple(d for d in axes if a.shape[d] == 1)
            name = "SqueezeBackward1"
        return _finish_view(op, input, table[input._device.type](a, axes), {"shape": a.shape}, node_name=name)
    return squeeze


defop("squeeze", kernel=lambda xp, a, axes: xp.squeeze(a, axes) if axes else a.view(), frontend=_squeeze_frontend)


def _expand_frontend(op):
    table = op.table

    def expand(input, *sizes):
        _check(input, "expand")
        a = input._data
        sizes = shape_arg(sizes, "expand")
        if len(sizes) < a.ndim:
            raise RuntimeError(f"expand(torch.FloatTensor{{{list(a.shape)}}}, size={list(sizes)}): the number of "
                               f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
                               f"in the tensor ({a.ndim})")
        lead = len(sizes) - a.ndim
        target = []
        for i, s in enumerate(sizes):
            if i < lead:
                if s < 0:
                    raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                       f"non-existing dimension {i}")
                target.append(s)
                continue
            cur = a.shape[i - lead]
            if s == -1:
                s = cur
            elif cur != 1 and s != cur:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                   f"{list(a.shape)}")
            target.append(s)
        return _finish_view(op, input, table[input._device.type](a, tuple(target)), {"shape": a.shape})
    return expand


defop("expand", kernel=lambda xp, a, shape: xp.broadcast_to(a, shape), frontend=_expand_frontend, public=False)


def _expand_as(input, other):
    return input.expand(*other.shape)


defop("expand_as", kernel=None, frontend=lambda op: _expand_as, public=False, differentiable=False)


def _contiguous_frontend(op):
    table = op.table

    def contiguous(input, memory_format=None):
        _check(input, "contiguous")
        if input._data.flags.c_contiguous:
            return input
        return _finish_copy(op, input, table[input._device.type](input._data), None, node_name="CloneBackward0")
    return contiguous


defop("contiguous", kernel=lambda xp, a: xp.ascontiguousarray(a), frontend=_contiguous_frontend, public=False)


def _clone_frontend(op):
    table = op.table

    def clone(input, *, memory_format=None):
        _check(input, "clone")
        return _finish_copy(op, input, table[input._device.type](input._data), None)
    return clone


defop("clone", kernel=lambda xp, a: a.copy(), frontend=_clone_frontend)
