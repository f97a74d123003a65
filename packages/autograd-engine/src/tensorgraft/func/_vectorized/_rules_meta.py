"""Properties and metadata (logical: the per-sample shape), and PyTorch's refusals: reading a
batched value as a Python value, data-dependent control flow, memory access, ops whose output
shape depends on the values. Messages are ``_vmap.py``'s and ``_vmap_guards.py``'s."""
from __future__ import annotations

import numpy as np

from tensorgraft.tensor import wrap as _wrap_array

from .._vmap import _CONTROL_FLOW_MSG, _ITEM_MSG, _NO_STORAGE_MSG, _value_read_error
from .._vmap_guards import (
    _ALLCLOSE_MSG,
    _DYNAMIC_MSG,
    _MASKED_SELECT_MSG,
    _NO_RULE_MSG,
    _REQUIRES_GRAD_MSG,
)
from ._batched import batched_repr
from ._common import METHOD, TORCH, at, register, wrap
from ._fallback import fallback


def _first_batched(args, kwargs, level):
    for a in (*args, *kwargs.values()):
        if at(a, level):
            return a
    return args[0]


def _stand_in(t):
    """A plain tensor over the first sample's memory: the logical shape, strides and dtype."""
    data = t._data
    return _wrap_array(data.view(np.ndarray) if isinstance(data, np.ndarray) else data, t._device)


# metadata that is the same for every sample: asked of the first sample's memory
def _on_stand_in(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    return func(_stand_in(t), *args[1:], **kwargs)


register("size dim ndimension numel nelement stride is_contiguous element_size __len__ storage_offset",
         _on_stand_in, (METHOD,))
register("shape.__get__ ndim.__get__ itemsize.__get__ nbytes.__get__", _on_stand_in, (METHOD,))
register("numel", _on_stand_in, (TORCH,))


# properties of the physical tensor that do not depend on the batch
def _on_physical(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    return func(t._physical, *args[1:], **kwargs)


register("dtype.__get__ device.__get__ is_cuda.__get__ layout.__get__ requires_grad.__get__ is_leaf.__get__ "
         "grad_fn.__get__ is_sparse.__get__ is_quantized.__get__ is_meta.__get__ is_mkldnn.__get__ "
         "is_floating_point is_complex is_signed get_device is_inference", _on_physical, (METHOD,))
register("is_floating_point is_complex is_signed", _on_physical, (TORCH,))


def _on_physical_wrapped(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    return wrap(func(t._physical, *args[1:], **kwargs), level)


register("data.__get__ grad.__get__", _on_physical_wrapped, (METHOD,))


def _repr(func, level, size, args, kwargs):
    t = args[0]
    return batched_repr(t) if at(t, level) else fallback(func, level, size, args, kwargs)


def _format(func, level, size, args, kwargs):
    t = args[0]
    if not at(t, level):
        return fallback(func, level, size, args, kwargs)
    if len(args) > 1 and args[1]:  # a format spec formats the value: ``.item()`` first, as PyTorch's
        raise _value_read_error(_ITEM_MSG)
    return batched_repr(t)


register("__repr__ __str__", _repr, (METHOD,))
register("__format__", _format, (METHOD,))


# --------------------------------------------------------------------------- refusals
def _refusing(message):
    def rule(func, level, size, args, kwargs):
        if at(args[0], level) if args else False:
            raise _value_read_error(message)
        return fallback(func, level, size, args, kwargs)
    return rule


register("item __float__ __int__ __index__ __complex__", _refusing(_ITEM_MSG), (METHOD,))
register("__bool__ is_nonzero", _refusing(_CONTROL_FLOW_MSG), (METHOD,))
register("tolist numpy __array__ data_ptr untyped_storage", _refusing(_NO_STORAGE_MSG), (METHOD,))
register("is_nonzero", _refusing(_CONTROL_FLOW_MSG), (TORCH,))


def _raise(message):
    def rule(func, level, size, args, kwargs):
        raise RuntimeError(message)
    return rule


def _nonzero(func, level, size, args, kwargs):
    if not at(args[0], level):
        return fallback(func, level, size, args, kwargs)
    as_tuple = kwargs.get("as_tuple", False)
    raise RuntimeError(_NO_RULE_MSG.format("nonzero_numpy") if as_tuple else _DYNAMIC_MSG.format("nonzero"))


def _unique(func, level, size, args, kwargs):
    if not at(args[0], level):
        return fallback(func, level, size, args, kwargs)
    raise RuntimeError(_DYNAMIC_MSG.format("_unique2" if kwargs.get("dim") is None else "unique_dim"))


def _unique_consecutive(func, level, size, args, kwargs):
    if not at(args[0], level):
        return fallback(func, level, size, args, kwargs)
    raise RuntimeError(_DYNAMIC_MSG.format("unique_consecutive"))


def _masked_select(func, level, size, args, kwargs):
    mask = args[1] if len(args) > 1 else kwargs.get("mask")
    if at(mask, level):
        raise RuntimeError(_MASKED_SELECT_MSG)
    return fallback(func, level, size, args, kwargs)


register("nonzero", _nonzero)
# (PyTorch has no batching rule for argwhere: its per-sample fallback runs, which stacks the samples'
# results when their sizes agree)
register("argwhere", fallback)
register("unique", _unique)
register("unique_consecutive", _unique_consecutive)
register("masked_select", _masked_select)
register("equal", _raise(_NO_RULE_MSG.format("equal")))
register("allclose", _raise(_ALLCLOSE_MSG))
register("requires_grad_", _raise(_REQUIRES_GRAD_MSG), (METHOD,))
register("requires_grad.__set__", _raise(_REQUIRES_GRAD_MSG), (METHOD,))
