"""Views around size-1 dimensions: unsqueeze and squeeze insert and drop them; expand, expand_as,
broadcast_to and broadcast_tensors stretch them. Also the shape arithmetic of broadcasting:
``broadcast_shapes`` (``torch.broadcast_shapes``), ``infer_broadcast_shape`` (op operands, with
the message PyTorch's ops give) and ``_expand_error`` (expand's message, which ``__setitem__``
and linalg give too)."""
from __future__ import annotations

from tensorgraft.argument_errors import not_a_tensor_in_list

import numbers

from ...memory_layout import strided_view
from ...sparse.coo_data import SparseCOOData
from ...tensor import Size, Tensor
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import (NOT_GIVEN, REQUIRED, bad_int_list_item, invalid_combination, is_int, method_and_function,
                     shape_arg, type_name, wrap_dim)
from .._define import defop
from ._common import _finish_view, _int_params, _shape, _wd


# --------------------------------------------------------------------------- squeeze / unsqueeze
def _unsqueeze_frontend(op):
    table = op.table

    def build(method):
        def unsqueeze(input, *args, dim=REQUIRED):
            if len(args) == 1 and dim is REQUIRED:  # (the usual call)
                dim = args[0]
                if dim.__class__ is not int:
                    _int_params("unsqueeze", args, [REQUIRED], ("dim",), method)  # (refuses with a position)
            else:
                dim, = _int_params("unsqueeze", args, [dim], ("dim",), method)
            check_tensor(input, "unsqueeze")
            nd = input._data.ndim
            d = _wd(dim, nd + 1, "unsqueeze")
            return _finish_view(op, input, table[input._device.type](input._data, d), {"dim": d})
        unsqueeze.__name__ = unsqueeze.__qualname__ = "unsqueeze"
        return unsqueeze
    return method_and_function(op, build)


def _unsqueeze_kernel(xp, a, d):
    if a.__class__ is SparseCOOData:  # (a new size-1 dim of a sparse tensor: sparse or dense by position)
        return a.insert_axis(d)
    # PyTorch gives the new size-1 dim the stride size[d] * stride[d] (1 at the end), which
    # .stride() shows; a reshape computes that (indexing with None would give 0), except at the end
    # of a non-contiguous array, where it repeats the last stride
    shape = a.shape
    out = a.reshape(shape[:d] + (1,) + shape[d:])
    if d and d == a.ndim and out.strides[-1] != a.itemsize:
        out = strided_view(xp, a, out.shape, a.strides + (a.itemsize,))
    return out


defop("unsqueeze", kernel=_unsqueeze_kernel, frontend=_unsqueeze_frontend)


_SQUEEZE_OVERLOADS = {True: ("", "int dim", "tuple of ints dim"),
                      False: ("Tensor input", "Tensor input, int dim", "Tensor input, tuple of ints dim")}


def _annotated_type(value) -> str:
    """How PyTorch's parser shows a sequence it refuses when it says why (``tuple of (float,)``)."""
    if isinstance(value, tuple):
        inner = ", ".join(type_name(v) for v in value)
        return f"tuple of ({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return f"list of [{', '.join(type_name(v) for v in value)}]"
    return type_name(value)


def _squeeze_error(method, input, args, kwargs) -> TypeError:
    """squeeze has three signatures (none, an int, ints): a dim none takes is refused as a call.
    With one argument PyTorch also says why each signature that could take one refused it."""
    overloads = _SQUEEZE_OVERLOADS[method]
    err = invalid_combination("squeeze", args if method else (input, *args), kwargs, overloads)
    if len(args) + len(kwargs) != 1:
        return err
    if args:
        bad = f"!{_annotated_type(args[0])}!"
    else:
        bad = f"!dim={_annotated_type(kwargs['dim'])}!" + (", " if method else "")
    why = "      didn't match because some of the arguments have invalid types: " + (
        f"({bad})" if method else f"(Tensor, {bad})")
    lines = str(err).split("\n")
    out = [lines[0]]
    for i, o in enumerate(overloads):
        out.append(f" * ({o})")
        if i == 0:
            if method:  # the method's signature of no arguments says why too (the function's does not)
                out.append("      didn't match because some of the keywords were incorrect: dim" if kwargs else why)
        else:
            out.append(why)
    return TypeError("\n".join(out) + "\n")


def _int_list(dims) -> tuple:
    """Dims given as a sequence that starts with an int: PyTorch's parser takes bools after the
    first (as 0 and 1) and refuses anything else there."""
    had_bool = any(d.__class__ is bool for d in dims)
    dims = tuple(int(d) if d.__class__ is bool else d for d in dims)
    bad = bad_int_list_item("squeeze", "dim", dims)
    if bad is not None:
        raise bad
    return list(dims) if had_bool else dims  # (a list: see the repeat check in ``_squeeze``)


def _squeeze_frontend(op):
    table = op.table

    def build(method):
        def squeeze(input, *args, dim=NOT_GIVEN):
            if args and (len(args) > 1 or dim is not NOT_GIVEN):
                # the method takes several dims as several arguments (``x.squeeze(0, 1)``), as
                # view/permute do; the function does not
                if method and dim is NOT_GIVEN and is_int(args[0]):
                    return _squeeze(input, _int_list(args))
                raise _squeeze_error(method, input, args, {} if dim is NOT_GIVEN else {"dim": dim})
            if args:
                dim = args[0]
            if dim is NOT_GIVEN:
                return _squeeze(input, None)
            if dim.__class__ is not int and not is_int(dim):
                if isinstance(dim, (tuple, list)) and (not dim or is_int(dim[0])):
                    dim = _int_list(dim)
                else:  # None included: PyTorch's squeeze has no ``dim=None``
                    raise _squeeze_error(method, input, args, {} if args else {"dim": dim})
            return _squeeze(input, dim)
        squeeze.__name__ = squeeze.__qualname__ = "squeeze"
        return squeeze

    def _squeeze(input, dim):
        check_tensor(input, "squeeze")
        a = input._data
        if dim is None:
            axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
            name = "SqueezeBackward0"
        else:
            multi = isinstance(dim, (tuple, list))
            dims = dim if multi else (dim,)
            wrapped = set()
            for d in dims:
                d = wrap_dim(d, a.ndim, "squeeze")
                if d in wrapped:  # (a bool counts as its int: ``squeeze((1, True))`` repeats dim 1)
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
                wrapped.add(d)
            axes = tuple(sorted(d for d in wrapped if a.ndim and a.shape[d] == 1))
            name = "SqueezeBackward2" if multi else "SqueezeBackward1"
        return _finish_view(op, input, table[input._device.type](a, axes), {"shape": a.shape}, node_name=name)
    return method_and_function(op, build)


defop("squeeze", kernel=lambda xp, a, axes: xp.squeeze(a, axes) if axes else a.view(), frontend=_squeeze_frontend)


# --------------------------------------------------------------------------- expand / broadcast
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


def _expand_frontend(op):
    table = op.table

    def expand(input, *sizes, size=None, implicit=False):
        check_tensor(input, "expand")
        if size is not None:
            sizes = (size,)
        a = input._data
        sizes = _shape(sizes, "expand")
        if len(sizes) < a.ndim:
            raise RuntimeError(f"expand({input.type()}{{{list(a.shape)}}}, size={list(sizes)}): the number of "
                               f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
                               f"in the tensor ({a.ndim})")
        lead = len(sizes) - a.ndim
        target = list(sizes)
        for i in range(len(sizes) - 1, -1, -1):  # from the last dim, as PyTorch (the first error wins)
            s = sizes[i]
            if i < lead:
                if s < 0:
                    raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                       f"non-existing dimension {i}")
                continue
            cur = a.shape[i - lead]
            if s == -1:
                target[i] = cur
            elif cur != 1 and s != cur:
                raise _expand_error(sizes, a.shape)
        return _finish_view(op, input, table[input._device.type](a, tuple(target)), {"shape": a.shape})
    return expand


def _expand_kernel(xp, a, shape):
    b = xp.broadcast_to(a, shape)
    if 1 not in shape or not a.ndim:  # (a 0-d tensor's expansions have only 0 strides in PyTorch)
        return b
    # a size-1 dim keeps a stride in PyTorch (NumPy gives it 0): the tensor's own where its size
    # is kept, the next dim's extent for a new leading one (PyTorch's inferExpandGeometry)
    nd = len(shape)
    lead = nd - a.ndim
    strides = [0] * nd
    for i in range(nd - 1, -1, -1):
        d = i - lead
        if d >= 0:
            st = a.strides[d] if a.shape[d] == shape[i] else 0
        elif shape[i] != 1:
            st = 0
        else:
            st = shape[i + 1] * strides[i + 1] if i + 1 < nd else a.itemsize
        strides[i] = st
    strides = tuple(strides)
    if strides == b.strides:
        return b
    return strided_view(xp, b, shape, strides)  # (~3 us: only where they differ)


defop("expand", kernel=_expand_kernel, frontend=_expand_frontend, public=False)


def _expand_as(input, other):
    check_tensor(other, "expand_as", "other", 1)  # (a method only: self is not counted)
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
        if not isinstance(t, Tensor):  # (one TensorList argument, as PyTorch's parser sees it)
            raise not_a_tensor_in_list(i, t)
    shape = tuple(infer_broadcast_shape(*(t._data.shape for t in tensors)))
    # a tensor already of the broadcast shape comes back itself (same object, same grad_fn), as PyTorch
    return tuple(t if t._data.shape == shape else t.expand(*shape) for t in tensors)


defop("broadcast_tensors", frontend=lambda op: _broadcast_tensors, method=False, differentiable=False)
