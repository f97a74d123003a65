"""``default_collate`` (samples -> a batch) and ``default_convert`` (NumPy -> tensors, no batching),
with PyTorch's rules: tensors are stacked, NumPy arrays become tensors, Python ints become int64
and floats float64 tensors, strings stay lists, containers are collated field by field."""
from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

__all__ = ["default_collate", "default_convert"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


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


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring)."""
    import tensorgraft as _tg
    Tensor, as_tensor, tensor = _tensor_api()
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        batch = list(batch)
    if len(batch) == 0:
        raise IndexError("default_collate: got an empty batch")
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _tg.stack(list(batch), 0)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        if elem.shape == ():  # NumPy scalars
            return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_tg.float64)
    if isinstance(elem, int):  # bool too: a bool tensor, as PyTorch
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuilt_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        collated = [default_collate(samples) for samples in transposed]
        if isinstance(elem, tuple):
            return collated  # a list, as PyTorch
        return _rebuilt_sequence(elem, collated)
    raise TypeError(_ERR.format(elem_type))
