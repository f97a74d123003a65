"""``default_collate`` (samples -> a batch) and ``default_convert`` (NumPy -> tensors, no batching),
with PyTorch's rules: tensors are stacked, NumPy arrays become tensors, Python ints become int64
and floats float64 tensors, strings stay lists, containers are collated field by field."""
from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _tensor_api():
    from ...ops.conversion import as_tensor
    from ...ops.creation import tensor
    from ...tensor import Tensor
    return Tensor, as_tensor, tensor


def _rebuilt_mapping(template, values: dict):
    """``values`` in the mapping type of ``template`` (a mutable one copied and updated, so extra
    attributes survive), or as a plain dict where that type cannot be built so."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            clone = copy.copy(template)
            clone.update(values)
            return clone
        return type(template)(values)
    except TypeError:
        return values


def _rebuilt_sequence(template, values: list):
    """``values`` in the sequence type of ``template`` (as ``_rebuilt_mapping``), else a list."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(template)(values)
    except TypeError:
        return values


def default_convert(data):
    Tensor, as_tensor, _ = _tensor_api()
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if elem_type.__name__ == "ndarray" and _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuilt_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuilt_sequence(data, [default_convert(d) for d in data])
    return data


def collate_tensor_fn(batch, *, collate_fn_map=None):
    import tensorgraft as _tg
    return _tg.stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:  # strings/objects: no tensor type
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    _, as_tensor, _ = _tensor_api()
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    _, as_tensor, _ = _tensor_api()
    return as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    import tensorgraft as _tg
    _, _, tensor = _tensor_api()
    return tensor(batch, dtype=_tg.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    _, _, tensor = _tensor_api()
    return tensor(batch)  # bools too (bool is an int): a bool tensor, as PyTorch


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def _default_collate_fn_map() -> dict:
    Tensor, _, _ = _tensor_api()
    return {Tensor: collate_tensor_fn, np.ndarray: collate_numpy_array_fn,
            (np.bool_, np.number, np.object_): collate_numpy_scalar_fn, float: collate_float_fn,
            int: collate_int_fn, str: collate_str_fn, bytes: collate_str_fn}


# element type -> its collate function; default_collate reads it at every call, so updating it in
# place (``default_collate_fn_map[MyType] = fn``) extends default_collate, as PyTorch documents
default_collate_fn_map = _default_collate_fn_map()


def collate(batch, *, collate_fn_map=None):
    """Collate a list of samples into a batch: an element whose type (or a base of it, in the
    map's order) is in ``collate_fn_map`` goes to that function (called as
    ``fn(batch, collate_fn_map=collate_fn_map)``); mappings, namedtuples and sequences are
    collated field by field, through this function again."""
    if not isinstance(batch, collections.abc.Sequence):
        # an extension: any iterable of samples is accepted (PyTorch indexes ``batch[0]``, so a
        # generator fails there); a str or bytes batch stays itself, as in PyTorch
        batch = list(batch)
    if len(batch) == 0:
        raise IndexError("default_collate: got an empty batch")
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuilt_mapping(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        collated = [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        if isinstance(elem, tuple):
            return collated  # a list, as PyTorch
        return _rebuilt_sequence(elem, collated)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring): ``collate`` with
    ``default_collate_fn_map``."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
