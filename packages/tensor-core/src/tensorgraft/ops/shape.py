"""Shape ops. Views (view, t, transpose, permute, squeeze, unsqueeze, expand, narrow, select,
diagonal, split...) share memory and the version counter with their base, as in PyTorch; copies
(reshape of a non-viewable layout, contiguous, clone, repeat, cat, flip, roll...) do not.

Composites (flatten, tile, hstack, movedim, broadcast_to, meshgrid...) are written with the
differentiable primitives below, so their graph nodes carry PyTorch's names (``ViewBackward0``,
``RepeatBackward0``, ``ExpandBackward0``...)."""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Size, Tensor, wrap, wrap_view
from . import _frontend as F
from ._frontend import check_tensor
from ._args import infer_size, shape_arg, wrap_dim
from ._define import CORE_OPS, defop, gradient_scatter


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


def _wd(d, nd):
    """``wrap_dim`` with a fast path for plain in-range ints (the per-op hot path)."""
    if d.__class__ is int:
        n = nd if nd else 1
        if -n <= d < n:
            return d + n if d < 0 else d
    return wrap_dim(d, nd)


def _shape(args, fname):
    """``shape_arg`` with a fast path for plain ints."""
    if len(args) == 1 and args[0].__class__ in (tuple, list, Size):
        args = args[0]
    for a in args:
        if a.__class__ is not int:
            return shape_arg(tuple(args), fname)
    return tuple(args)


def _infer(shape, numel, fname):
    """``infer_size`` with a fast path for fully specified, matching shapes."""
    if -1 not in shape:
        n = 1
        for v in shape:
            n *= v
        if n == numel and (not shape or min(shape) >= 0):
            return shape
    elif numel == 0 and shape.count(-1) == 1 and 0 in shape:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    return infer_size(shape, numel, fname)


def _int_arg(v, fname, argname):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{argname}' must be int, not {type(v).__name__}")
    return int(v)


def _dims_arg(dims, fname):
    """``flip(0, 1)`` / ``flip((0, 1))`` / ``flip([0, 1])`` -> tuple of ints."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(_int_arg(d, fname, "dims") for d in dims)


def _expand_error(sizes, shape):
    """PyTorch's message when ``shape`` cannot be expanded to ``sizes`` (None if it can)."""
    lead = len(sizes) - len(shape)
    for i in range(len(sizes) - 1, lead - 1, -1):  # PyTorch checks from the last dim
        s = sizes[i]
        cur = shape[i - lead]
        if s != -1 and cur != 1 and s != cur:
            return RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                f"{list(shape)}")
    return None


# --------------------------------------------------------------------------- view / reshape
# NumPy >= 2.1 says "view or fail" with reshape(copy=False); assigning ``.shape`` (the older way,
# still CuPy's) is deprecated from NumPy 2.5 on.
_NP_RESHAPE_NO_COPY = tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 1)


def _try_view(a, shape):
    """A view of ``a`` with ``shape``, or None when the strides need a copy (PyTorch's view rule)."""
    if _NP_RESHAPE_NO_COPY and isinstance(a, np.ndarray):
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError:
            return None
    v = a.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def _view_kernel(xp, a, shape):
    v = _try_view(a, shape)
    if v is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return v


def _view_frontend(op):
    table = op.table

    def view(input, *shape, size=None, dtype=None):
        check_tensor(input, "view")
        if size is not None:  # view(size=(2, 3)), PyTorch's keyword
            shape = (size,)
        if dtype is not None and not shape:
            shape = (dtype,)
        if len(shape) == 1 and isinstance(shape[0], _dt.dtype):
            return _view_dtype(input, shape[0])
        a = input._data
        shape = _infer(_shape(shape, "view"), a.size, "view")
        return _finish_view(op, input, table[input._device.type](a, shape), {"shape": a.shape})
    return view


_view = defop("view", kernel=_view_kernel, frontend=_view_frontend, public=False)


def _view_dtype(input, dtype):
    """``view(dtype)``: the same memory read as ``dtype``, with PyTorch's rules when the element
    sizes differ (the last dim must be contiguous; sizes, strides and offset must divide). Never
    differentiable, as in PyTorch (the result does not require grad)."""
    a = input._data
    old, new = a.dtype.itemsize, dtype.np.itemsize
    if old != new:
        what = f"to view {F._type_name(a.dtype)} as {F._type_name(dtype.np)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        strides = input.stride()
        if old < new:
            ratio = new // old
            if a.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but got {a.shape[-1]}")
        if strides[-1] != 1 and not (a.shape[-1] == 1 and strides[-1] == 0):  # 0: NumPy's stride of a new axis
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if old < new:
            offset = input.storage_offset()
            if offset % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}, but got {offset}")
            for i, st in enumerate(strides[:-1]):
                if st % ratio:
                    raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} {what}, but got {st}")
    return wrap_view(a.view(dtype.np), input)


def _reshape_frontend(op):
    table = op.table

    def reshape(input, *args, shape=None):
        check_tensor(input, "reshape")
        shape = args if shape is None else (shape,)
        a = input._data
        shape = _infer(_shape(shape, "reshape"), a.size, "reshape")
        v = _try_view(a, shape)
        if v is not None:
            return _finish_view(op, input, v, {"shape": a.shape}, node_name="ViewBackward0")
        return _finish_copy(op, input, table[input._device.type](a, shape), {"shape": a.shape},
                            node_name="UnsafeViewBackward0")
    return reshape


defop("reshape", kernel=lambda xp, a, shape: xp.reshape(xp.ascontiguousarray(a), shape), frontend=_reshape_frontend)


def _view_as(input, other):
    check_tensor(other, "view_as", "other", 2)
    return input.view(other._data.shape)


def _reshape_as(input, other):
    check_tensor(other, "reshape_as", "other", 2)
    return input.reshape(other._data.shape)


defop("view_as", frontend=lambda op: _view_as, public=False, differentiable=False)
defop("reshape_as", frontend=lambda op: _reshape_as, public=False, differentiable=False)


def _flatten(input, start_dim=0, end_dim=-1):
    check_tensor(input, "flatten")
    nd = input._data.ndim
    if nd == 0:
        # a 0-d tensor's dims are checked as a 1-d tensor's (range [-1, 0]), as PyTorch
        wrap_dim(start_dim, 1), wrap_dim(end_dim, 1)
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


defop("flatten", frontend=lambda op: _flatten, differentiable=False)


def _ravel(input):
    """A flat view when the layout allows, else a flat copy (``contiguous().view(-1)``, as PyTorch)."""
    check_tensor(input, "ravel")
    return input.contiguous().view(-1)


defop("ravel", frontend=lambda op: _ravel, differentiable=False)


def _unflatten(input, dim, sizes):
    check_tensor(input, "unflatten")
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = shape_arg((sizes,), "unflatten")
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d] if shape else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if -1 in sizes:
        if known == 0 or n % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                               f"({n}) in the input tensor")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return input.view(shape[:d] + sizes + shape[d + 1:])


defop("unflatten", frontend=lambda op: _unflatten, differentiable=False)


# --------------------------------------------------------------------------- permutations
def _permute_kernel(xp, a, dims):
    return a.transpose(dims)


def _transpose_frontend(op):
    table = op.table

    def transpose(input, dim0, dim1):
        check_tensor(input, "transpose")
        nd = input._data.ndim
        if nd == 0:
            wrap_dim(dim0, nd), wrap_dim(dim1, nd)
            return _finish_view(op, input, input._data.view(), {"dims": ()}, node_name="TransposeBackward0")
        d0, d1 = _wd(dim0, nd), _wd(dim1, nd)
        dims = list(range(nd))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return _finish_view(op, input, table[input._device.type](input._data, tuple(dims)), {"dims": tuple(dims)},
                            node_name="TransposeBackward0")
    return transpose


_transpose = defop("transpose", kernel=_permute_kernel, frontend=_transpose_frontend)
defop("swapaxes", kernel=_permute_kernel, frontend=_transpose_frontend)
defop("swapdims", kernel=_permute_kernel, frontend=_transpose_frontend)


def t_dims(input, fname):
    """The permutation ``t`` and ``t_`` apply, once their checks pass: a matrix's two dims swapped,
    a vector or a scalar left as it is."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(fname, "input", 1, input)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"{fname}() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return (1, 0) if nd == 2 else tuple(range(nd))


def _t_frontend(op):
    table = op.table

    def t(input):
        dims = t_dims(input, "t")
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return t


defop("t", kernel=_permute_kernel, frontend=_t_frontend)


def _permute_frontend(op):
    table = op.table

    def permute(input, *args, dims=None):
        check_tensor(input, "permute")
        dims = args if dims is None else (dims,)
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        nd = input._data.ndim
        dims = _shape(dims, "permute")
        if len(dims) != nd:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                               f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                               f"to len(dims) = {len(dims)}")
        dims = tuple([_wd(d, nd) for d in dims])
        if len(set(dims)) != nd:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return permute


defop("permute", kernel=_permute_kernel, frontend=_permute_frontend)


def _movedim(input, source, destination):
    check_tensor(input, "movedim")
    nd = input._data.ndim
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src = tuple(wrap_dim(d, nd) for d in src)
    dst = tuple(wrap_dim(d, nd) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source) if isinstance(source, (tuple, list)) else [source]})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination) if isinstance(destination, (tuple, list)) else [destination]})")
    if nd == 0:  # dims 0 and -1 both name the scalar's only "dim": nothing moves (AliasBackward0)
        from .tensor_extras import _alias
        return _alias.frontend(input)
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return input.permute(tuple(order))


defop("movedim", frontend=lambda op: _movedim, differentiable=False)
defop("moveaxis", frontend=lambda op: _movedim, differentiable=False)


def _adjoint(input):
    check_tensor(input, "adjoint")
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    t = input.transpose(-2, -1)
    return t.conj() if t._data.dtype.kind == "c" else t


defop("adjoint", frontend=lambda op: _adjoint, differentiable=False)


def _prop_T(self):
    nd = self._data.ndim
    if nd != 2:
        from ..global_switches import warn_once
        if nd == 0:
            warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
        else:
            warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                      "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                      "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                      "tensor.")
    return self.permute(tuple(range(nd - 1, -1, -1)))


def _prop_mT(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return self.transpose(-2, -1)


def _prop_mH(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    t = self.transpose(-2, -1)
    return t.conj() if t._data.dtype.kind == "c" else t


def _prop_H(self):
    nd = self._data.ndim
    if nd == 0:
        # PyTorch: the identity on a real scalar (no node), its conjugate on a complex one
        from ..global_switches import warn_once
        warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return self.conj() if self._data.dtype.kind == "c" else self
    if nd != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor.")
    t = self.transpose(0, 1)
    return t.conj() if t._data.dtype.kind == "c" else t


for _n, _f in (("T", _prop_T), ("mT", _prop_mT), ("mH", _prop_mH), ("H", _prop_H)):
    if _n not in Tensor.__dict__:
        setattr(Tensor, _n, property(_f))


# --------------------------------------------------------------------------- squeeze / unsqueeze
def _unsqueeze_frontend(op):
    table = op.table

    def unsqueeze(input, dim):
        check_tensor(input, "unsqueeze")
        nd = input._data.ndim
        d = _wd(dim, nd + 1)
        return _finish_view(op, input, table[input._device.type](input._data, d), {"dim": d})
    return unsqueeze


defop("unsqueeze", kernel=lambda xp, a, d: a[(slice(None),) * d + (None,)], frontend=_unsqueeze_frontend)


def _squeeze_frontend(op):
    table = op.table

    def squeeze(input, dim=None):
        check_tensor(input, "squeeze")
        a = input._data
        if dim is None:
            axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
            name = "SqueezeBackward0"
        else:
            multi = isinstance(dim, (tuple, list))
            dims = dim if multi else (dim,)
            wrapped = {wrap_dim(d, a.ndim) for d in dims}
            axes = tuple(sorted(d for d in wrapped if a.ndim and a.shape[d] == 1))
            name = "SqueezeBackward2" if multi else "SqueezeBackward1"
        return _finish_view(op, input, table[input._device.type](a, axes), {"shape": a.shape}, node_name=name)
    return squeeze


defop("squeeze", kernel=lambda xp, a, axes: xp.squeeze(a, axes) if axes else a.view(), frontend=_squeeze_frontend)


# --------------------------------------------------------------------------- expand / broadcast
def _expand_frontend(op):
    table = op.table

    def expand(input, *sizes, implicit=False):
        check_tensor(input, "expand")
        a = input._data
        sizes = _shape(sizes, "expand")
        if len(sizes) < a.ndim:
            raise RuntimeError(f"expand({input.type()}{{{list(a.shape)}}}, size={list(sizes)}): the number of "
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
                raise _expand_error(sizes, a.shape)
            target.append(s)
        return _finish_view(op, input, table[input._device.type](a, tuple(target)), {"shape": a.shape})
    return expand


defop("expand", kernel=lambda xp, a, shape: xp.broadcast_to(a, shape), frontend=_expand_frontend, public=False)


def _expand_as(input, other):
    check_tensor(other, "expand_as", "other", 2)
    return input.expand(*other._data.shape)


defop("expand_as", frontend=lambda op: _expand_as, public=False, differentiable=False)


def _broadcast_to(input, size):
    check_tensor(input, "broadcast_to")
    return input.expand(*shape_arg((size,), "broadcast_to"))


defop("broadcast_to", frontend=lambda op: _broadcast_to, differentiable=False)


def broadcast_shapes(*shapes):
    """``torch.broadcast_shapes``: the shape the given shapes broadcast to. PyTorch folds them in
    from the right into a result of the longest length and names the first misfit against what it
    has built so far (ops on tensors say "The size of tensor a ..." instead: ``infer_broadcast_shape``)."""
    shapes = [(shp,) if isinstance(shp, numbers.Integral) else tuple(shp) for shp in shapes]
    result = [1] * max((len(shp) for shp in shapes), default=0)
    for k, shp in enumerate(shapes):
        for i in range(-1, -len(shp) - 1, -1):
            if shp[i] == 1 or shp[i] == result[i]:
                continue
            if result[i] == 1 and shp[i] < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shp[i]} at {i}! Mismatching "
                                   f"argument at index {k} had {shp}; but expected shape should be broadcastable to "
                                   f"{result}")
            result[i] = shp[i]
    return Size(result)


def infer_broadcast_shape(*shapes):
    """The broadcast shape of op operands, with the message PyTorch's ops give."""
    out = []
    for shp in shapes:
        shp = (shp,) if isinstance(shp, numbers.Integral) else tuple(shp)
        err = F.broadcast_mismatch(out, shp)
        if err is not None:
            raise err
        if len(shp) > len(out):
            out = [1] * (len(shp) - len(out)) + out
        off = len(out) - len(shp)
        for i, s in enumerate(shp):
            if out[off + i] == 1:
                out[off + i] = s
    return Size(out)


def _broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        check_tensor(t, "broadcast_tensors", "tensors", i + 1)
    shape = tuple(infer_broadcast_shape(*(t._data.shape for t in tensors)))
    # a tensor already of the broadcast shape comes back itself (same object, same grad_fn), as PyTorch
    return tuple(t if t._data.shape == shape else t.expand(*shape) for t in tensors)


defop("broadcast_tensors", frontend=lambda op: _broadcast_tensors, method=False, differentiable=False)


# --------------------------------------------------------------------------- repeat / tile
def _repeat_kernel(xp, a, reps):
    a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
    return xp.tile(a, reps)


def _repeat_frontend(op):
    table = op.table

    def repeat(input, *sizes):
        check_tensor(input, "repeat")
        a = input._data
        reps = shape_arg(sizes, "repeat")
        if len(reps) < a.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               "tensor")
        if any(r < 0 for r in reps):
            # PyTorch checks the sizes of the result (a size times its repeats), so a negative
            # repeat of an empty dimension is no error
            padded = (1,) * (len(reps) - a.ndim) + a.shape
            out = [n * r for n, r in zip(padded, reps)]
            for n in out:
                if n < 0:
                    raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {out}")
            reps = tuple(max(r, 0) for r in reps)
        return _finish_copy(op, input, table[input._device.type](a, reps), {"reps": reps, "shape": a.shape})
    return repeat


defop("repeat", kernel=_repeat_kernel, frontend=_repeat_frontend, public=False)


def _tile(input, dims):
    check_tensor(input, "tile")
    reps = shape_arg((dims,), "tile")
    nd = input._data.ndim
    if len(reps) < nd:
        reps = (1,) * (nd - len(reps)) + reps
    return input.repeat(*reps)


defop("tile", frontend=lambda op: _tile, differentiable=False)


def _repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """A number of repeats goes as PyTorch's decomposition goes (unsqueeze, expand, contiguous copy,
    view: ``ViewBackward0`` over ``CloneBackward0``, the result a view of the copy); a tensor of
    repeats through index_select (``IndexSelectBackward0``)."""
    from .creation import tensor as _tensor
    check_tensor(input, "repeat_interleave")
    if repeats is None:  # repeat_interleave(repeats) -> indices
        reps = input._host().astype(np.int64).reshape(-1)
        return wrap(_to(np.repeat(np.arange(reps.size), reps), input._device), input._device)
    x = input
    if dim is None:
        x = input.reshape(-1)
        dim = 0
    if not isinstance(repeats, Tensor):
        count = int(repeats)
        if count < 0:
            raise RuntimeError("Repeats must be non-negative")
        d = wrap_dim(dim, x._data.ndim)
        shape = list(x._data.shape)
        wide = x.unsqueeze(d + 1)  # a 0-d input fails here, with PyTorch's dimension error
        sizes = shape[:d + 1] + [count] + shape[d + 1:]
        shape[d] *= count
        # a copy even when the expanded tensor is already dense (one or no repeats), as PyTorch's
        from ..memory_layout import contiguous_format
        return wide.expand(*sizes).clone(memory_format=contiguous_format).view(*shape)
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    if isinstance(repeats, Tensor):
        r = repeats._host().astype(np.int64).reshape(-1)
        if r.size == 1:
            r = np.full(n, int(r[0]))
        elif r.size != n:
            raise RuntimeError("repeats must have the same size as input along dim")
    else:
        r = np.full(n, int(repeats))
    idx = _tensor(np.repeat(np.arange(n), r), device=x._device)
    if x._data.ndim == 0:
        x = x.reshape(1)
    return x.index_select(d, idx)


def _to(arr, device):
    if device.type == "cpu":
        return arr
    from .conversion import move_array
    from ..device import device as D
    return move_array(arr, D("cpu"), device)


defop("repeat_interleave", frontend=lambda op: _repeat_interleave, differentiable=False)


# --------------------------------------------------------------------------- cat / stack
def _tensor_list(tensors, fname):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _cat_kernel(xp, arrays, axis):
    return xp.concatenate(arrays, axis=axis)


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
            d = _wd(dim, nd)
            skip = None
            arrays = [t._data for t in tensors]
            rs = a0.shape
            for i, a in enumerate(arrays):
                s = a.shape
                if s != rs:
                    for k in range(nd):
                        if k != d and s[k] != rs[k]:
                            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                               f"{rs[k]} but got size {s[k]} for tensor number {i} in the list.")
        else:
            tensors = _tensor_list(tensors, "cat")
            d, skip, arrays = _cat_checks(tensors, dim)
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
    d = wrap_dim(dim, nd)
    rs = ref._data.shape
    for i, t in enumerate(tensors):
        if skip[i]:
            continue
        s = t._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != rs[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {rs[k]} "
                                   f"but got size {s[k]} for tensor number {i} in the list.")
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
        d = _wd(dim, len(s0) + 1)
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
    return xp.concatenate([a[ix] for a in arrays], axis=axis)


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
    ts = [t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in ts]
    return _cat.frontend(ts, 1, out=out)


defop("hstack", frontend=lambda op: _hstack, method=False, differentiable=False)
defop("vstack", frontend=lambda op: _vstack, method=False, differentiable=False)
defop("row_stack", frontend=lambda op: _vstack, method=False, differentiable=False)
defop("dstack", frontend=lambda op: _dstack, method=False, differentiable=False)
defop("column_stack", frontend=lambda op: _column_stack, method=False, differentiable=False)


# --------------------------------------------------------------------------- slicing views
def _slice_kernel(xp, a, index):
    return a[index]


def _slice_frontend(op):
    """Internal: a basic-index view ``input[index]`` recorded under ``node_name`` (narrow,
    select, split and unbind pieces)."""
    table = op.table

    def slice_view(input, index, node_name):
        return _finish_view(op, input, table[input._device.type](input._data, index),
                            {"index": index, "shape": input._data.shape}, node_name=node_name)
    return slice_view


_slice = defop("_slice", kernel=_slice_kernel, frontend=_slice_frontend, method=False, public=False)


def _pieces_kernel(xp, a, dim, sizes):
    pre = (slice(None),) * dim
    if sizes is None:
        return tuple(a[pre + (i, Ellipsis)] for i in range(a.shape[dim]))  # Ellipsis: 0-d views, not scalars
    out = []
    start = 0
    for s in sizes:
        out.append(a[pre + (slice(start, start + s),)])
        start += s
    return tuple(out)


def _pieces_frontend(op):
    """Internal: the views unbind (``sizes=None``) or split (a size per piece) returns, recorded
    on ONE graph node with an output per piece, as PyTorch records ``UnbindBackward0`` and
    ``SplitBackward0``. Its backward joins the pieces' gradients in one allocation; a node per
    piece would scatter each piece's gradient into zeros the size of the whole input and then
    add those up (quadratic in the number of pieces: an RNN's time steps)."""
    table = op.table

    def pieces(input, dim, sizes, node_name):
        outs = tuple(wrap_view(p, input) for p in table[input._device.type](input._data, dim, sizes))
        if outs and input._requires_grad and _gs.enabled:
            if Tensor._autograd.record_multi(op, outs, (input,), {"dim": dim, "sizes": sizes}, node_name):
                for k, t in enumerate(outs):
                    t._hooks().multi_view_nr = k  # in-place writes to them are refused, as in PyTorch
        return outs
    return pieces


_pieces = defop("_pieces", kernel=_pieces_kernel, frontend=_pieces_frontend, method=False, public=False)


def _cut_dim(input, fname, dim, zero_dim_error):
    """``(array, dim, size of dim)`` for an op that cuts a tensor along one dim (narrow, split; select
    inlines it) once its checks pass; ``zero_dim_error`` is the (class, message) a 0-dim input raises."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(fname, "input", 1, input)
    a = input._data
    if a.ndim == 0:
        exc, message = zero_dim_error
        raise exc(message)
    d = wrap_dim(dim, a.ndim)
    return a, d, a.shape[d]


def _narrow(input, dim, start, length):
    _, d, n = _cut_dim(input, "narrow", dim, (RuntimeError, "narrow() cannot be applied to a 0-dim tensor."))
    start = _int_arg(start, "narrow", "start")
    length = _int_arg(length, "narrow", "length")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return _slice.frontend(input, index, "SliceBackward0")


defop("narrow", frontend=lambda op: _narrow, differentiable=False)


def _select(input, dim, index):
    # _cut_dim's checks written out: select is cheap enough (a view) for the tuple round trip to show
    check_tensor(input, "select")
    a = input._data
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    i = _int_arg(index, "select", "index")
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(a.shape)} at dimension {d}")
    if i < 0:
        i += n
    return _slice.frontend(input, (slice(None),) * d + (i, Ellipsis), "SelectBackward0")


defop("select", frontend=lambda op: _select, differentiable=False)


def _split(input, split_size_or_sections, dim=0):
    _, d, n = _cut_dim(input, "split", dim, (RuntimeError, "split expects at least a 1-dimensional tensor"))
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int_arg(s, "split_with_sizes", "split_sizes") for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    else:
        s = _int_arg(split_size_or_sections, "split", "split_size")
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0:
            if n != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            sizes = [0]
        else:
            sizes = [min(s, n - k) for k in range(0, n, s)] or [0]
        name = "SplitBackward0"
    sizes = tuple(sizes)
    return _pieces.frontend(input, d, sizes, name)


defop("split", frontend=lambda op: _split, differentiable=False)


def _split_with_sizes(input, split_sizes, dim=0):
    return _split(input, list(split_sizes), dim)


defop("split_with_sizes", frontend=lambda op: _split_with_sizes, differentiable=False)


def _chunk(input, chunks, dim=0):
    check_tensor(input, "chunk")
    chunks = _int_arg(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    a = input._data
    if a.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = a.shape[wrap_dim(dim, a.ndim)]
    if n == 0:  # PyTorch returns `chunks` empty pieces
        return _split(input, [0] * chunks, dim)
    return _split(input, -(-n // chunks), dim)


defop("chunk", frontend=lambda op: _chunk, differentiable=False)


def _tensor_split(input, indices_or_sections, dim=0):
    check_tensor(input, "tensor_split")
    a = input._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0] + [min(max(int(i) + (n if i < 0 else 0), 0), n) for i in indices_or_sections] + [n]
    else:
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [0]
        for i in range(k):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    pre = (slice(None),) * d
    return tuple(_slice.frontend(input, pre + (slice(s, max(s, e)),), "SliceBackward0")
                 for s, e in zip(bounds[:-1], bounds[1:]))


defop("tensor_split", frontend=lambda op: _tensor_split, differentiable=False)


def _unbind(input, dim=0):
    check_tensor(input, "unbind")
    a = input._data
    if a.ndim == 0:
        raise RuntimeError("Dimension specified as 0 but tensor has no dimensions")
    return _pieces.frontend(input, wrap_dim(dim, a.ndim), None, "UnbindBackward0")


defop("unbind", frontend=lambda op: _unbind, differentiable=False)


def _hvdsplit(axis_fn, name):
    def f(input, indices_or_sections):
        check_tensor(input, name)
        d = axis_fn(input._data.ndim)
        if isinstance(indices_or_sections, numbers.Integral):
            n = input._data.shape[d]
            if indices_or_sections == 0 or n % indices_or_sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {n} is not divisible by the split_size {indices_or_sections}!")
        return _tensor_split(input, indices_or_sections, d)
    return f


defop("hsplit", frontend=lambda op: _hvdsplit(lambda nd: 0 if nd == 1 else 1, "hsplit"), differentiable=False)
defop("vsplit", frontend=lambda op: _hvdsplit(lambda nd: 0, "vsplit"), differentiable=False)


# --------------------------------------------------------------------------- flip / roll
def _flip_frontend(op):
    table = op.table

    def flip(input, *args, dims=None):
        check_tensor(input, "flip")
        nd = input._data.ndim
        dims = _dims_arg(args if dims is None else (dims,), "flip")
        w = tuple(wrap_dim(d, nd) for d in dims)
        for k, d in enumerate(w):
            if d in w[:k]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        if nd == 0:
            w = ()
        return _finish_copy(op, input, table[input._device.type](input._data, w), {"dims": w})
    return flip


defop("flip", kernel=lambda xp, a, dims: xp.flip(a, dims).copy() if dims else a.copy(), frontend=_flip_frontend)


def _fliplr(input):
    check_tensor(input, "fliplr")
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def _flipud(input):
    check_tensor(input, "flipud")
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


defop("fliplr", frontend=lambda op: _fliplr, differentiable=False)
defop("flipud", frontend=lambda op: _flipud, differentiable=False)


def _roll_kernel(xp, a, shifts, dims):
    if dims is None:
        return xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
    return xp.roll(a, shifts, dims)


def _roll_frontend(op):
    table = op.table

    def roll(input, shifts, dims=None):
        check_tensor(input, "roll")
        nd = input._data.ndim
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        shifts = tuple(_int_arg(s, "roll", "shifts") for s in shifts)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"`shifts` required to be of size 1 when `dims` is None, got {len(shifts)}")
            w = None
        else:
            dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
            if len(shifts) != len(dims):
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
            w = tuple(wrap_dim(d, nd) for d in dims)
        return _finish_copy(op, input, table[input._device.type](input._data, shifts, w),
                            {"shifts": shifts, "dims": w})
    return roll


defop("roll", kernel=_roll_kernel, frontend=_roll_frontend)


def _rot90_frontend(op):
    table = op.table

    def rot90(input, k=1, dims=(0, 1)):
        check_tensor(input, "rot90")
        nd = input._data.ndim
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if nd < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
        d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
        if d0 == d1:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
        k = _int_arg(k, "rot90", "k") % 4
        return _finish_copy(op, input, table[input._device.type](input._data, k, (d0, d1)), {"k": k, "dims": (d0, d1)})
    return rot90


defop("rot90", kernel=lambda xp, a, k, axes: xp.ascontiguousarray(xp.rot90(a, k, axes)), frontend=_rot90_frontend)



# --------------------------------------------------------------------------- diagonals / triangles
def _diag_dims(nd, offset, dim1, dim2, fname="diagonal"):
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"{fname} dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diagonal_kernel(xp, a, offset, d1, d2):
    v = xp.diagonal(a, offset, d1, d2)
    if xp is np and a.flags.writeable:
        v.flags.writeable = True  # NumPy hands out read-only diagonals; PyTorch's are writable views
    return v


def _diagonal_frontend(op):
    table = op.table

    def diagonal(input, offset=0, dim1=0, dim2=1):
        check_tensor(input, "diagonal")
        a = input._data
        d1, d2 = _diag_dims(a.ndim, offset, dim1, dim2)
        data = table[input._device.type](a, offset, d1, d2)
        return _finish_view(op, input, data, {"offset": offset, "dim1": d1, "dim2": d2, "shape": a.shape})
    return diagonal


_diagonal = defop("diagonal", kernel=_diagonal_kernel, frontend=_diagonal_frontend)


def _diag_scatter_kernel(xp, g, shape, offset, d1, d2):
    """Zeros of ``shape`` with ``g`` (diagonal as the last dim) written on its (d1, d2) diagonal."""
    out = xp.zeros(shape, dtype=g.dtype)
    m = xp.moveaxis(out, (d1, d2), (-2, -1))
    n = g.shape[-1]
    if n:
        r = xp.arange(n) + max(-offset, 0)
        c = xp.arange(n) + max(offset, 0)
        m[..., r, c] = g
    return out


# diagonal_backward(grad, shape, offset, dim1, dim2)
diagonal_backward = gradient_scatter("_diagonal_backward", _diag_scatter_kernel, (None, "offset", "dim1", "dim2"))


def _diag_embed_frontend(op):
    table = op.table

    def diag_embed(input, offset=0, dim1=-2, dim2=-1):
        check_tensor(input, "diag_embed")
        a = input._data
        nd = a.ndim + 1
        d1, d2 = _diag_dims(nd, offset, dim1, dim2, "diagonal")
        n = (a.shape[-1] if a.ndim else 1) + abs(offset)
        rest = list(a.shape[:-1])
        shape = []
        for k in range(nd):
            shape.append(n if k in (d1, d2) else rest.pop(0))
        src = a if a.ndim else a.reshape(1)
        out = wrap(table[input._device.type](src, tuple(shape), offset, d1, d2), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"offset": offset, "dim1": d1, "dim2": d2})
        return out
    return diag_embed


defop("diag_embed", kernel=_diag_scatter_kernel, frontend=_diag_embed_frontend)


def _diag_frontend(op):
    table = op.table

    def diag(input, diagonal=0):
        check_tensor(input, "diag")
        a = input._data
        if a.ndim == 1:
            return input.diag_embed(diagonal, 0, 1)
        if a.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
        data = table[input._device.type](a, diagonal, 0, 1).copy()
        return _finish_copy(op, input, data, {"offset": diagonal, "dim1": 0, "dim2": 1, "shape": a.shape},
                            node_name="DiagonalBackward0_copy")
    return diag


defop("diag", kernel=_diagonal_kernel, frontend=_diag_frontend, formula_of="diagonal")


def _tri_frontend(op, name):
    table = op.table

    def tri(input, diagonal=0):
        check_tensor(input, name)
        a = input._data
        if a.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        k = _int_arg(diagonal, name, "diagonal")
        return _finish_copy(op, input, table[input._device.type](a, k), {"diagonal": k})
    tri.__name__ = name
    return tri


defop("tril", kernel=lambda xp, a, k: xp.tril(a, k), frontend=lambda op: _tri_frontend(op, "tril"), inplace="tril_")
defop("triu", kernel=lambda xp, a, k: xp.triu(a, k), frontend=lambda op: _tri_frontend(op, "triu"), inplace="triu_")


# --------------------------------------------------------------------------- copies
def _contiguous_frontend(op):
    table = op.table

    def contiguous(input, memory_format=None):
        check_tensor(input, "contiguous")
        if memory_format is not None and memory_format is not _contiguous_format():
            from .tensor_extras import contiguous_as  # channels_last & co. (memory_layout.py)
            return contiguous_as(input, memory_format)
        if input._data.flags.c_contiguous:
            return input
        return _finish_copy(op, input, table[input._device.type](input._data), None, node_name="CloneBackward0")
    return contiguous


defop("contiguous", kernel=lambda xp, a: xp.ascontiguousarray(a), frontend=_contiguous_frontend, public=False)


def _contiguous_format():
    from ..memory_layout import contiguous_format
    return contiguous_format


def _clone_frontend(op):
    table = op.table

    def clone(input, *, memory_format=None):
        check_tensor(input, "clone")
        if memory_format is not None:
            # a named format (memory_layout.py). Without one, the copy is C-ordered: PyTorch's default,
            # preserve_format, would keep a transposed input's strides, but tensorgraft's in-place
            # writes into views of a tensor that records gradients need a C-ordered base
            from .tensor_extras import clone_as
            return clone_as(input, memory_format)
        return _finish_copy(op, input, table[input._device.type](input._data), None)
    return clone


defop("clone", kernel=lambda xp, a: a.copy(), frontend=_clone_frontend)


# --------------------------------------------------------------------------- meshgrid / as_strided
def _meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for i, t in enumerate(tensors):
        check_tensor(t, "meshgrid", "tensors", i + 1)
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    ts = [t.reshape(-1) if t._data.ndim == 0 else t for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    n = len(ts)
    shape = tuple(t._data.shape[0] for t in ts)
    out = []
    for i, t in enumerate(ts):
        v = t.view(*([1] * i + [-1] + [1] * (n - i - 1)))
        out.append(v.expand(*shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


defop("meshgrid", frontend=lambda op: _meshgrid, method=False, differentiable=False)


def _as_strided_kernel(xp, a, base, size, stride, offset):
    isz = a.itemsize
    # the base covers one dense block of memory starting at its first element (C order, or any
    # other dense order such as a transposed clone's): view that block as the flat storage
    if xp is np:
        start = np.lib.stride_tricks.as_strided(base, (base.size,), (isz,))
        return np.lib.stride_tricks.as_strided(start[offset:], size, tuple(s * isz for s in stride))
    from cupy.lib.stride_tricks import as_strided  # pragma: no cover - CUDA only
    return as_strided(as_strided(base, (base.size,), (isz,))[offset:], size, tuple(s * isz for s in stride))


def _as_strided_frontend(op):
    table = op.table

    def as_strided(input, size, stride, storage_offset=None):
        """Strides in elements, relative to the start of the tensor's contiguous base storage."""
        check_tensor(input, "as_strided")
        base = input._base if input._base is not None else input
        b = base._data
        if not b.flags.c_contiguous and _dense_order(b) is None:
            raise RuntimeError("as_strided(): only supported on tensors whose base covers its memory densely "
                               "(call .contiguous() first)")
        size, stride = tuple(size), tuple(stride)
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        if storage_offset is None:
            storage_offset = _offset_of(input._data, b)
        need = storage_offset + sum((s - 1) * st for s, st in zip(size, stride) if s > 0) + 1
        if any(s == 0 for s in size):
            need = 0
        if need > b.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                               f"{storage_offset}, and itemsize {b.itemsize} requiring a storage size of "
                               f"{need * b.itemsize} are out of bounds for storage of size {b.size * b.itemsize}")
        data = table[input._device.type](input._data, b, size, stride, storage_offset)
        out = wrap_view(data, input)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"size": size, "stride": stride, "offset": storage_offset,
                                                         "in_offset": _offset_of(input._data, b),
                                                         "in_stride": input.stride()})
        return out
    return as_strided


def _dense_order(b):
    from ..memory_layout import _dense_order as dense_order
    return dense_order(b)


def _offset_of(a, base):
    try:
        return (a.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // a.itemsize
    except AttributeError:  # pragma: no cover - CUDA
        return (a.data.ptr - base.data.ptr) // a.itemsize


defop("as_strided", kernel=_as_strided_kernel, frontend=_as_strided_frontend)


# --------------------------------------------------------------------------- conformance samples
def _mk(shape, dtype, device, seed=0, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _one(*calls, shape=(2, 3, 2)):
    """Samples calling the op on one tensor of ``shape`` with each argument tuple in ``calls``."""
    def samples(dtype, device):
        x = _mk(shape, dtype, device, 40)
        return [((x,) + tuple(c), {}) for c in calls]
    return samples


def _lists(*calls):
    def samples(dtype, device):
        a, b = _mk((2, 3), dtype, device, 41), _mk((2, 3), dtype, device, 42)
        return [(([a, b],) + tuple(c), {}) for c in calls]
    return samples


def _pair_samples(dtype, device):
    return [((_mk((2, 3), dtype, device, 43), _mk((3, 2), dtype, device, 44)), {})]


_SHAPE_SAMPLES = {
    "view_as": (_pair_samples, lambda a, b: a.reshape(b.shape)),
    "reshape_as": (_pair_samples, lambda a, b: a.reshape(b.shape)),
    "unflatten": (_one((1, (3, 1)), (-1, (1, 2))), None),
    "ravel": (lambda dt, dev: [((_mk((2, 3, 2), dt, dev, 40),), {}), ((_mk((3, 2), dt, dev, 41).t(),), {})],
              np.ravel),
    "movedim": (_one((0, 2), ((0, 1), (2, 0))), None),
    "moveaxis": (_one((0, -1),), lambda a, s, d: np.moveaxis(a, s, d)),
    "adjoint": (_one(()), lambda a: np.swapaxes(a, -1, -2)),
    "broadcast_to": (_one(((2, 2, 3, 2),)), lambda a, s: np.broadcast_to(a, s)),
    "broadcast_tensors": (lambda dt, dev: [((_mk((2, 1), dt, dev, 45), _mk((3,), dt, dev, 46)), {})],
                          lambda a, b: np.broadcast_arrays(a, b)),
    "repeat": (_one((2, 1, 1), (1, 2, 1, 2)), None),
    "tile": (_one(((2,),), ((2, 1, 1, 1),)), lambda a, r: np.tile(a, r)),
    "repeat_interleave": (_one((2,), (2, 1)), lambda a, r, d=None: np.repeat(a, r, axis=d)),
    "cat": (_lists((0,), (1,)), lambda ts, d: np.concatenate(ts, d)),
    "concat": (_lists((-1,),), lambda ts, d: np.concatenate(ts, d)),
    "concatenate": (_lists((0,),), lambda ts, d: np.concatenate(ts, d)),
    "stack": (_lists((0,), (2,)), lambda ts, d: np.stack(ts, d)),
    "hstack": (_lists(()), lambda ts: np.hstack(ts)),
    "vstack": (_lists(()), lambda ts: np.vstack(ts)),
    "row_stack": (_lists(()), lambda ts: np.vstack(ts)),
    "dstack": (_lists(()), lambda ts: np.dstack(ts)),
    "column_stack": (_lists(()), lambda ts: np.column_stack(ts)),
    "atleast_1d": (_one((), shape=()), np.atleast_1d),
    "atleast_2d": (_one((), shape=(3,)), np.atleast_2d),
    "atleast_3d": (_one((), shape=(2, 3)), np.atleast_3d),
    "_slice": (_one(((slice(None), slice(0, 2)), "SliceBackward0")), lambda a, i, n: a[i]),
    "_pieces": (_one((1, None, "UnbindBackward0"), (0, [1, 0, 1], "SplitWithSizesBackward0"),
                     (2, [2], "SplitBackward0")),
                lambda a, d, sizes, n: tuple(np.moveaxis(a, d, 0)) if sizes is None
                else tuple(np.split(a, np.cumsum(sizes)[:-1], axis=d))),
    "narrow": (_one((1, 1, 2), (0, 0, 1)), None),
    "select": (_one((1, 2), (-1, 0)), lambda a, d, i: np.take(a, i, axis=d)),
    "split": (_one((1,), ([1, 2], 1)), None),
    "split_with_sizes": (_one(([1, 1],),), None),
    "chunk": (_one((2, 1),), None),
    "tensor_split": (_one((2, 1), ([1], 2)), None),
    "unbind": (_one((), (1,)), None),
    "hsplit": (_one((3,),), None),
    "vsplit": (_one((2,),), None),
    "flip": (_one(((0, 2),), (1,)), lambda a, d: np.flip(a, d)),
    "fliplr": (_one(()), np.fliplr),
    "flipud": (_one(()), np.flipud),
    "roll": (_one((1,), ((1, -1), (0, 2))), lambda a, s, d=None: np.roll(a, s, d)),
    "rot90": (_one((1, (0, 1)), (3, (1, 2))), lambda a, k, d: np.rot90(a, k, d)),
    "diagonal": (_one((), (1, 1, 2)), lambda a, o=0, d1=0, d2=1: np.diagonal(a, o, d1, d2)),
    "_diagonal_backward": (lambda dt, dev: [((_mk((2, 3), dt, dev, 47), (2, 3, 3), 0, 1, 2), {})], None),
    "diag_embed": (_one((), (1, 0, 2)), None),
    "diag": (lambda dt, dev: [((_mk((3,), dt, dev, 48),), {}), ((_mk((3, 3), dt, dev, 49), 1), {})],
             lambda a, k=0: np.diag(a, k)),
    "tril": (_one((), (-1,)), lambda a, k=0: np.tril(a, k)),
    "triu": (_one((), (1,)), lambda a, k=0: np.triu(a, k)),
    "meshgrid": (lambda dt, dev: [((_mk((2,), dt, dev, 50), _mk((3,), dt, dev, 51)), {"indexing": "ij"}),
                                  ((_mk((2,), dt, dev, 52), _mk((3,), dt, dev, 53)), {"indexing": "xy"})],
                 lambda a, b, indexing: np.meshgrid(a, b, indexing=indexing)),
    "as_strided": (_one(((2, 2), (1, 2)),), None),
}



def attach_samples(table, ops):
    """Conformance-kit samples/reference for the ops of one module (``OpDef.extra``)."""
    for op in ops:
        entry = table.get(op.name)
        if entry is None:
            continue
        op.extra.setdefault("samples", entry[0])
        if entry[1] is not None:
            op.extra.setdefault("reference", entry[1])
        for k, v in (entry[2] if len(entry) > 2 else {}).items():
            op.extra.setdefault(k, v)
        if op.kernel is None and op.xp_attr is None:
            op.extra.setdefault("composite", True)


_SHAPE_SAMPLES["as_strided"] += ({"gradgrad": False},)  # its backward is computed on the host
attach_samples(_SHAPE_SAMPLES, CORE_OPS)
