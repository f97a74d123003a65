"""PyTorch's smaller tensor functions that no other family covers.

- ``view_copies.py``: the ``*_copy`` functions (``permute_copy``, ``split_copy`` ...) and
  ``_alias`` (``AliasBackward0``: what ``Tensor.as_subclass`` records);
- here: the ``unsafe_*`` splits, ``dsplit``, ``isreal``, ``nonzero_static``, ``fill``, ``detach``,
  ``is_conj``/``is_neg``, ``empty_permuted`` and ``_to_format``: the copy that
  ``contiguous``/``clone``/``to`` make when asked for another memory format;
- ``random_counts.py``: ``poisson``/``binomial``;
- ``numerical_gradient.py``: ``torch.gradient``.

Importing the package registers the ops of all of them, in that order. Other modules import the
names they use (``_alias``, ``to_memory_format``, ``contiguous_as`` ...) from the package.
"""
from __future__ import annotations

import numbers

import numpy as np

from ...grad_mode import state as _gs
from ...device import get_backend
from ...tensor import Tensor, wrap, wrap_view
from ... import memory_layout as _ml
from .. import _frontend as F
from .._frontend import check_tensor
from .._define import defop
from ..shape import slicing as _slicing
from ..elementwise.fill_copy import checked_fill_number, fill_tensor_value
from tensorgraft.dtypes import np_kind as _np_kind

# (first: its ops are registered before this module's own, and it holds the shared helpers)
from .view_copies import (  # noqa: F401
    _COPY_MULTI, _COPY_VIEWS, _alias, _alias_frontend, _complex_samples, _copied, _copy_function,
    _copy_samples, _multi_copy_function, _own_views, _real_view, _rename_node, _renamed_nodes, _samples,
    _slice_view, _view_as_complex_copy_view, _view_copy_view, _with_out)


# --------------------------------------------------------------------------- unsafe splits, dsplit
def _renamed_views(views, node_name):
    seen = set()
    for v in views:
        node = v.grad_fn
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            _rename_node(node, node_name)
    return views


def _unsafe_chunk(input, chunks, dim=0):
    check_tensor(input, "unsafe_chunk")
    return _renamed_views(input.chunk(chunks, dim), "UnsafeSplitBackward0")


def _unsafe_split(input, split_size, dim=0):
    check_tensor(input, "unsafe_split")
    return _renamed_views(input.split(split_size, dim), "UnsafeSplitBackward0")


def _unsafe_split_with_sizes(input, split_sizes, dim=0):
    check_tensor(input, "unsafe_split_with_sizes")
    return _renamed_views(input.split_with_sizes(split_sizes, dim), "UnsafeSplitWithSizesBackward0")


_split_samples = _samples(lambda X: [((X((4, 6), 730), 2, 1), {}), ((X((5, 2), 731), 2), {})])
defop("unsafe_chunk", frontend=lambda op: _unsafe_chunk, differentiable=False, samples=_split_samples)
defop("unsafe_split", frontend=lambda op: _unsafe_split, differentiable=False, samples=_split_samples)
defop("unsafe_split_with_sizes", frontend=lambda op: _unsafe_split_with_sizes, differentiable=False,
      samples=_samples(lambda X: [((X((4, 6), 732), [2, 4], 1), {})]))
defop("dsplit", frontend=lambda op: _slicing.dsplit, differentiable=False,
      samples=_samples(lambda X: [((X((2, 2, 4), 733), 2), {}), ((X((2, 2, 6), 734), [1, 4]), {})]))


# --------------------------------------------------------------------------- predicates, nonzero_static
def _isreal(input):
    check_tensor(input, "isreal")
    if _np_kind(input._data.dtype) == "c":
        return input.imag == 0
    from ..creation import ones_like
    from ... import dtypes
    return ones_like(input, dtype=dtypes.bool)


def _is_conj(input):
    check_tensor(input, "is_conj")
    return input.is_conj()


def _is_neg(input):
    check_tensor(input, "is_neg")
    return input.is_neg()


def _nonzero_static(input, *, size, fill_value=-1):
    check_tensor(input, "nonzero_static")
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = input.nonzero()
    n = found._data.shape[0]
    if n >= size:
        return found[:size].clone()
    from ..creation import full
    pad = full((size - n, input._data.ndim), fill_value, dtype=found.dtype, device=input._device)
    return _cat_rows(found, pad)


def _cat_rows(top, bottom):
    xp = get_backend(top._device).xp
    return wrap(xp.concatenate((top._data, bottom._data)), top._device)


def _detach(input):
    check_tensor(input, "detach")
    return input.detach()


defop("isreal", frontend=lambda op: _isreal, differentiable=False, samples=_samples(lambda X: [((X((2, 3), 740),), {})]),
      reference=np.isreal)
defop("is_conj", frontend=lambda op: _is_conj, method=False, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X: [((X((2,), 741),), {})]), reference=lambda a: False)
defop("is_neg", frontend=lambda op: _is_neg, method=False, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X: [((X((2,), 742),), {})]), reference=lambda a: False)
defop("nonzero_static", frontend=lambda op: _nonzero_static, differentiable=False,
      samples=_samples(lambda X: [((X((3, 4), 743, -1, 1),), {"size": 5}), ((X((6,), 744),), {"size": 9})]))
defop("detach", frontend=lambda op: _detach, method=False, differentiable=False,
      samples=_samples(lambda X: [((X((2, 3), 745),), {})]), reference=lambda a: a)


# --------------------------------------------------------------------------- fill
def _fill_frontend(op):
    table = op.table

    def fill(input, value):
        check_tensor(input, "fill")
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            data = table[input._device.type](input._data, fill_tensor_value(input._data, value._data))
            out = wrap(data, input._device)
            if F.needs_grad(input, value):
                Tensor._autograd.record(op, out, (input, value), None, node_name="FillBackward1")
            return out
        # (fill_'s checks and c10 conversions: -1 wraps into uint16, 1e10 is refused by e4m3fn)
        value = checked_fill_number(input._data, value)
        out = wrap(table[input._device.type](input._data, value), input._device)
        if F.needs_grad(input):
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return fill


def _fill_kernel(xp, a, v):
    out = xp.empty_like(a)
    out[...] = v
    return out


defop("fill", kernel=_fill_kernel, frontend=_fill_frontend, method=False,
      samples=_samples(lambda X: [((X((2, 3), 750), 2.5), {}), ((X((2, 3), 751), X((), 752)), {})]),
      reference=lambda a, v: np.full_like(a, v))


# --------------------------------------------------------------------------- format copies
def _to_format_frontend(op):
    table = op.table

    def to_format(input, memory_format, node_name="CloneBackward0"):
        data = table[input._device.type](input._data, memory_format)
        out = wrap(data, input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None, node_name=node_name)
        return out
    return to_format


_to_format = defop("_to_format", kernel=lambda xp, a, fmt: _ml.copy_in_format(xp, a, fmt),
                   frontend=_to_format_frontend, method=False, public=False,
                   samples=_samples(lambda X: [((X((2, 3, 4, 5), 760), _ml.channels_last), {}),
                                               ((X((2, 3), 761), _ml.contiguous_format), {})]),
                   reference=lambda a, fmt: a)


def to_memory_format(input, memory_format, node_name="CloneBackward0"):
    """A copy of ``input`` laid out in ``memory_format``, recording ``node_name`` (what
    ``contiguous(memory_format=)``, ``clone(memory_format=)`` and ``to(memory_format=)`` call)."""
    return _to_format.frontend(input, memory_format, node_name)


def contiguous_as(input, memory_format):
    """``contiguous(memory_format=)``: ``input`` itself when it is already laid out so."""
    _ml.check_format_rank(input._data.ndim, memory_format)
    if _ml.is_contiguous_as(input._data, memory_format):
        return input
    if memory_format is _ml.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return to_memory_format(input, memory_format)


def clone_as(input, memory_format):
    """``clone(memory_format=)``; the default, ``preserve_format``, keeps a dense input's strides."""
    if memory_format is None:
        memory_format = _ml.preserve_format
    return to_memory_format(input, memory_format)


# --------------------------------------------------------------------------- empty_permuted
def _empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                    pin_memory=False):
    size = tuple(int(s) for s in size)
    order = tuple(int(d) for d in physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(order))):
        raise RuntimeError("Duplicate dim not allowed" if len(set(order)) != len(order) else
                           f"Dimension out of range (expected to be in range of [{-len(order)}, {len(order) - 1}], "
                           f"but got {max(order)})")
    from ..creation import empty
    t = empty(size, dtype=dtype, device=device)
    xp = get_backend(t._device).xp
    t._data = _ml.empty_with_strides(xp, size, _ml.format_strides(size, order), t._data.dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


defop("empty_permuted", frontend=lambda op: _empty_permuted, method=False, differentiable=False,
      samples=lambda dtype, device: [(((2, 3, 4), (0, 2, 1)), {"dtype": dtype, "device": device})],
      conformance_skip={"devices": "uninitialised memory"})


# Registered after the ops above, as before the package was split.
from .random_counts import (  # noqa: E402, F401
    _RANDOM_SKIPS, _binomial_frontend, _draw, _land, _poisson_frontend, _positive, _pytorch_counts)
from .numerical_gradient import (  # noqa: E402, F401
    _default_float, _gradient, _gradient_along, _nonuniform, _np_gradient)
