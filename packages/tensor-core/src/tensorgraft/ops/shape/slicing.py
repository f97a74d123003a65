"""Views that cut a tensor along one dim: narrow, select, split, split_with_sizes, chunk,
tensor_split, hsplit, vsplit and unbind. All are recorded through two private ops: ``_slice``
(one basic-index view) and ``_pieces`` (every piece on one graph node, as PyTorch records
``SplitBackward0`` and ``UnbindBackward0``)."""
from __future__ import annotations

import numbers

from ... import dtypes as _dt
from ...empty_views import record_basic_index
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap_view
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import bad_int_list_item, invalid_combination, is_int, type_name, wrap_dim, wrong_type
from .._define import defop
from ._common import _finish_view, _int_arg
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- slicing views
def _slice_kernel(xp, a, index):
    return a[index]


def _slice_frontend(op):
    """Internal: a basic-index view ``input[index]`` recorded under ``node_name`` (narrow,
    select, split and unbind pieces)."""
    table = op.table

    def slice_view(input, index, node_name):
        out = _finish_view(op, input, table[input._device.type](input._data, index),
                           {"index": index, "shape": input._data.shape}, node_name=node_name)
        if not out._data.size:
            record_basic_index(out, input, index)
        return out
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
        if not input._data.size or (sizes is not None and 0 in sizes):
            _record_empty_pieces(outs, input, dim, sizes)
        if outs and input._requires_grad and _gs.enabled:
            if Tensor._autograd.record_multi(op, outs, (input,), {"dim": dim, "sizes": sizes}, node_name):
                for k, t in enumerate(outs):
                    t._hooks().multi_view_nr = k  # in-place writes to them are refused, as in PyTorch
        return outs
    return pieces


def _record_empty_pieces(outs, input, dim, sizes):
    """PyTorch's layout for the empty pieces (empty_views.py): each starts where its cut does."""
    pre = (slice(None),) * dim
    start = 0
    for k, t in enumerate(outs):
        if sizes is None:
            index = pre + (k, Ellipsis)
        else:
            index = pre + (slice(start, start + sizes[k]),)
            start += sizes[k]
        if not t._data.size:
            record_basic_index(t, input, index)


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


_NARROW_OVERLOADS = ("int dim, Tensor start, int length", "int dim, int start, int length")


def _narrow(input, dim, start, length):
    if not is_int(dim):
        raise invalid_combination("narrow", (dim, start, length), overloads=_NARROW_OVERLOADS)
    check_tensor_start(start)
    if isinstance(input, Tensor) and input._data.ndim and is_int(length) and length < 0:  # (before the dim, as PyTorch)
        raise RuntimeError("narrow(): length must be non-negative.")
    _, d, n = _cut_dim(input, "narrow", dim, (RuntimeError, "narrow() cannot be applied to a 0-dim tensor."))
    start = _int_arg(start, "narrow", "start", _NARROW_OVERLOADS, (dim, start, length))
    length = _int_arg(length, "narrow", "length", _NARROW_OVERLOADS, (dim, start, length))
    if length < 0:  # (checked before the start, as PyTorch)
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return _slice.frontend(input, index, "SliceBackward0")


defop("narrow", frontend=lambda op: _narrow, differentiable=False)


def check_tensor_start(start) -> None:
    """narrow's Tensor-start overload takes a 0-d integer tensor (not a bool one), checked first."""
    if isinstance(start, Tensor) and (start._data.ndim or _np_kind(start._data.dtype) not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")


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


def _split_sizes_error(sizes):
    if sizes and is_int(sizes[0]):
        return bad_int_list_item("split_with_sizes", "split_sizes", sizes)
    return TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, but found "
                     f"element of type {type_name(sizes[0])} at pos 0")


def _split(input, split_size_or_sections, dim=0):
    _, d, n = _cut_dim(input, "split", dim, (RuntimeError, "split expects at least a 1-dimensional tensor"))
    if isinstance(split_size_or_sections, (list, tuple)):
        if not all(is_int(s) for s in split_size_or_sections):  # (Tensor.split hands them to split_with_sizes)
            raise _split_sizes_error(split_size_or_sections)
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    else:
        if not is_int(split_size_or_sections):  # (neither an int nor a list: taken for a list of sizes)
            raise wrong_type("split_with_sizes", "split_sizes", "tuple of ints", split_size_or_sections, 2)
        s = int(split_size_or_sections)
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
    if not isinstance(input, Tensor):  # (in its own name, not split's)
        raise F.not_a_tensor("split_with_sizes", "input", 1, input)
    return _split(input, list(split_sizes), dim)


defop("split_with_sizes", frontend=lambda op: _split_with_sizes, differentiable=False)


def _chunk(input, chunks, dim=0):
    check_tensor(input, "chunk")
    chunks = _int_arg(chunks, "chunk", "chunks")
    a = input._data
    if a.ndim == 0:  # (checked before the count, as PyTorch)
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = a.shape[wrap_dim(dim, a.ndim, "chunk")]
    if n == 0:  # PyTorch returns `chunks` empty pieces
        return _split(input, [0] * chunks, dim)
    return _split(input, -(-n // chunks), dim)


defop("chunk", frontend=lambda op: _chunk, differentiable=False)


def _tensor_split(input, indices_or_sections, dim=0):
    check_tensor(input, "tensor_split")
    a = input._data
    if a.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(indices_or_sections, Tensor):
        t = indices_or_sections
        if t.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {t.ndim} dims")
        if t.dtype is not _dt.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{F._type_name(t.dtype.np)}")
        indices_or_sections = t.tolist()
    elif not isinstance(indices_or_sections, (list, tuple)) and not is_int(indices_or_sections):
        # (an array, a float: PyTorch's three overloads take a Tensor, an int or a tuple of ints)
        raise invalid_combination("tensor_split", (input, indices_or_sections), overloads=(
            "Tensor input, tuple of ints indices, int dim = 0", "Tensor input, Tensor tensor_indices_or_sections, int dim = 0",
            "Tensor input, int sections, int dim = 0"))
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
    d = wrap_dim(dim, a.ndim, "unbind")  # (a 0-d tensor takes dims -1 and 0, as one of one dim)
    if a.ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return _pieces.frontend(input, d, None, "UnbindBackward0")


defop("unbind", frontend=lambda op: _unbind, differentiable=False)


def _hvdsplit(axis_fn, name):
    """hsplit, vsplit and dsplit: tensor_split along the dim ``axis_fn(ndim)`` gives, with numpy's
    rule that an int of sections must divide it."""
    need = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[name]

    def f(input, indices_or_sections):
        check_tensor(input, name)
        indices_or_sections = _sections_arg(name, input, indices_or_sections)
        nd = input._data.ndim
        if nd < need:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor "
                               f"with {nd} dimensions!")
        d = axis_fn(nd)
        if isinstance(indices_or_sections, numbers.Integral):
            n = input._data.shape[d]
            if indices_or_sections == 0 or n % indices_or_sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {n} is not divisible by the split_size {indices_or_sections}!")
        return _tensor_split(input, indices_or_sections, d)
    return f


def _sections_arg(name, input, value):
    """hsplit/vsplit/dsplit's second argument as PyTorch's parser takes it: an int of sections, a
    0-d integer tensor read as one, or a sequence of int indices; anything else is refused."""
    if isinstance(value, Tensor):
        return _sections_tensor(name, value)
    if isinstance(value, (list, tuple)):
        for item in value:
            if not is_int(item):
                raise TypeError(f"{name}(): argument 'indices' failed to unpack the object at pos 2 with error "
                                f"\"type must be tuple of ints,but got {type_name(item)}\"")
        return value
    if not is_int(value):
        note = f"didn't match because some of the arguments have invalid types: (Tensor, !{type_name(value)}!)"
        raise invalid_combination(name, (input, value), None, [("Tensor input, int sections", note),
                                                               ("Tensor input, tuple of ints indices", note)])
    return value


def _sections_tensor(name, t):
    """A tensor given as hsplit/vsplit's ``sections``: PyTorch's parser reads a 0-d integer tensor
    of any integer dtype (uint16 too) as the int ``sections`` (``__index__``), divisibility check
    included; any other tensor matches neither of its overloads."""
    if t._data.ndim == 0 and t.dtype.category == _dt.int64.category and t.dtype is not _dt.bool:
        return int(t.item())
    note = "didn't match because some of the arguments have invalid types: (Tensor, !Tensor!)"
    raise invalid_combination(name, (t, t), None, [("Tensor input, int sections", note),
                                                   ("Tensor input, tuple of ints indices", note)])


defop("hsplit", frontend=lambda op: _hvdsplit(lambda nd: 0 if nd == 1 else 1, "hsplit"), differentiable=False)
defop("vsplit", frontend=lambda op: _hvdsplit(lambda nd: 0, "vsplit"), differentiable=False)
dsplit = _hvdsplit(lambda nd: 2, "dsplit")  # (registered with the tensor_extras, where it was added)
