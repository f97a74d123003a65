"""view (``view(dtype)`` too), reshape, view_as, reshape_as, flatten, ravel and unflatten: the same
elements under a new shape. A view whenever the strides allow it (PyTorch's view rule,
``_try_view``); otherwise view refuses and reshape copies."""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...tensor import wrap_view
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import REQUIRED, invalid_combination, method_and_function, missing_args, shape_arg, wrap_dim
from .._define import defop
from ._common import _finish_copy, _finish_view, _infer, _int_params, _shape


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
        if not shape:
            raise invalid_combination("view", overloads=("torch.dtype dtype", "tuple of ints size"))
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
        if shape is None:
            if not args:
                raise missing_args("reshape", "shape")
            shape = args
        else:
            shape = (shape,)
        a = input._data
        shape = _infer(_shape(shape, "reshape"), a.size, "reshape")
        v = _try_view(a, shape)
        if v is not None:
            return _finish_view(op, input, v, {"shape": a.shape}, node_name="ViewBackward0")
        return _finish_copy(op, input, table[input._device.type](a, shape), {"shape": a.shape},
                            node_name="UnsafeViewBackward0")
    return reshape


_reshape_op = defop("reshape", kernel=lambda xp, a, shape: xp.reshape(xp.ascontiguousarray(a), shape),
                   frontend=_reshape_frontend)


def unsafe_view(input, shape):
    """PyTorch's ``_unsafe_view`` of a fresh contiguous result (``kron``): reshaped in place of a
    copy, recorded as ``UnsafeViewBackward0`` and not as a view of the intermediate."""
    return _finish_copy(_reshape_op, input, input._data.reshape(shape), {"shape": input._data.shape},
                        node_name="UnsafeViewBackward0")


def _view_as(input, other):
    check_tensor(other, "view_as", "other", 1)  # (a method only: self is not counted)
    return input.view(other._data.shape)


def _reshape_as(input, other):
    check_tensor(other, "reshape_as", "other", 1)  # (a method only: self is not counted)
    return input.reshape(other._data.shape)


defop("view_as", frontend=lambda op: _view_as, public=False, differentiable=False)
defop("reshape_as", frontend=lambda op: _reshape_as, public=False, differentiable=False)


def _flatten_frontend(op):
    def build(method):
        def flatten(input, *args, start_dim=REQUIRED, end_dim=REQUIRED):
            if not args and start_dim is REQUIRED and end_dim is REQUIRED:
                return _flatten(input, 0, -1)
            start_dim, end_dim = _int_params("flatten", args, [start_dim, end_dim], ("start_dim", "end_dim"), method,
                                             (0, -1))
            return _flatten(input, start_dim, end_dim)
        flatten.__name__ = flatten.__qualname__ = "flatten"
        return flatten
    return method_and_function(op, build)


def _flatten(input, start_dim=0, end_dim=-1):
    check_tensor(input, "flatten")
    nd = input._data.ndim
    if nd == 0:
        # a 0-d tensor's dims are checked as a 1-d tensor's (range [-1, 0]), as PyTorch
        wrap_dim(start_dim, 1, "flatten", "start_dim"), wrap_dim(end_dim, 1, "flatten", "end_dim")
        return input.reshape(1)
    s, e = wrap_dim(start_dim, nd, "flatten", "start_dim"), wrap_dim(end_dim, nd, "flatten", "end_dim")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return input.reshape(shape[:s] + (n,) + shape[e + 1:])


defop("flatten", frontend=_flatten_frontend, differentiable=False)


def _ravel(input):
    """A flat view when the layout allows, else a flat copy (``contiguous().view(-1)``, as PyTorch)."""
    check_tensor(input, "ravel")
    return input.contiguous().view(-1)


defop("ravel", frontend=lambda op: _ravel, differentiable=False)


def _unflatten(input, dim, sizes):
    check_tensor(input, "unflatten")
    shape = input._data.shape
    sizes = shape_arg((sizes,), "unflatten")
    if len(sizes) == 0:  # (checked before the dim, as PyTorch)
        raise RuntimeError("unflatten: sizes must be non-empty")
    d = wrap_dim(dim, len(shape), "unflatten")

    # ATen reads the size of dim d and infers the -1 in one step whose errors it wraps in this
    # message, except a product that does not match, which gets its own
    def unexpected(why):
        raise RuntimeError(f"unflatten got an unexpected error:\n{why}")

    def mismatch():
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({n}) in the input tensor")

    if not shape:
        unexpected("Dimension specified as 0 but tensor has no dimensions")
    n = shape[d]
    known, inferred = 1, False
    for i, s in enumerate(sizes):
        if s == -1:
            if inferred:
                unexpected("only one dimension can be inferred")
            inferred = True
        elif s >= 0:
            known *= s
        else:
            unexpected(f"invalid shape dimension {s} at index {i} of shape {list(sizes)}")
    if inferred:
        if known == 0 and n == 0:
            unexpected(f"cannot reshape tensor of 0 elements into shape {list(sizes)} because the unspecified "
                       "dimension size -1 can be any value and is ambiguous")
        if known == 0 or n % known:
            mismatch()
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        mismatch()
    return input.view(shape[:d] + sizes + shape[d + 1:])


defop("unflatten", frontend=lambda op: _unflatten, differentiable=False)
