"""Small questions about a tensor (``is_nonzero``, ``is_signed``, ``is_same_size``, ``get_device``)
and composites of other ops (``sum_to_size``, ``msort``, ``unravel_index``), so their graph nodes
are PyTorch's (``SumBackward1``, ``ViewBackward0``, ``SortBackward0``)."""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ..tensor import Size
from . import _frontend as F
from ._frontend import check_tensor
from ._define import defop
from tensorgraft.dtypes import np_kind as _np_kind


def _is_nonzero(input):
    check_tensor(input, "is_nonzero")
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._host().reshape(()) != 0)


def _is_same_size(input, other):
    check_tensor(input, "is_same_size")
    check_tensor(other, "is_same_size", "other", 2)
    return input._data.shape == other._data.shape


def _is_signed(input):
    check_tensor(input, "is_signed")
    return input.dtype.is_signed  # (float8_e8m0fnu, an exponent alone, is the unsigned float)


def _get_device(input):
    """The device index of a CUDA tensor; -1 on the CPU (PyTorch's convention)."""
    check_tensor(input, "get_device")
    if input._device.type in ("cpu", "meta"):
        return -1
    return input._device.index or 0


def _sum_to_size(input, *size):
    """Sum the broadcast dims of ``input`` away so that it has ``size`` (the reverse of expand)."""
    check_tensor(input, "sum_to_size")
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = input._data.shape
    lead = len(shape) - len(size)
    ok = lead >= 0 and all(s == t or s == 1 for s, t in zip(size, shape[lead:]))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if not size:
        return input.sum()  # (PyTorch's sum_to: a 0-d target is always a full sum, a 0-d input's too)
    if size == shape:
        return input
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
    out = input.sum(dims, keepdim=True) if dims else input
    return out.view(size) if lead else out


def _msort(input, *, out=None):
    check_tensor(input, "msort")
    if out is not None:
        # PyTorch's msort is sort(0) into ``out``: sort's structured rules (the input's own dtype, a
        # resize with the warning) and its name in the refusal of out= while recording gradients
        from .reduction.sort_arguments import _structured_out
        F.check_out_grad("sort", out, input)
        if not isinstance(out, F.Tensor):
            raise TypeError(f"msort(): argument 'out' must be Tensor, not {c_type_name(out)}")
        res = input.sort(0)[0]
        _structured_out(out, res._data.dtype, res.shape)
        F.store_into(out, res._data, "msort")
        return out
    return input.sort(0)[0]


def _unravel_index(indices, shape):
    """Coordinates of flat ``indices`` in ``shape``: one int64 tensor per dim (wrapping like PyTorch:
    out-of-range indices are reduced modulo the size of each dim, not refused)."""
    if isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        from .creation import tensor
        indices = tensor(int(indices))
    check_tensor(indices, "unravel_index", "indices")
    if _np_kind(indices._data.dtype) not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    idx = indices.to(dtype=_int64())
    out = []
    rest = idx
    for s in reversed(shape):
        out.append(rest.remainder(s))
        rest = rest.div(s, rounding_mode="floor")
    return tuple(reversed(out))


def _int64():
    from .. import dtypes
    return dtypes.int64


def _samples(build):
    def samples(dtype, device):
        from ..testing import make_tensor
        from ..testing.conformance import Sample

        def X(shape, seed, lo=-2.0, hi=2.0):
            return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)
        return [Sample(*s) if len(s) == 3 else Sample(s[0], s[1]) for s in build(X, device)]
    return samples


def _np_sum_to_size(a, size):
    lead = a.ndim - len(size)
    out = a.sum(axis=tuple(range(lead))) if lead else a
    return out.sum(axis=tuple(i for i, s in enumerate(size) if s == 1), keepdims=True)


def _ints(values, device):
    from .creation import tensor
    return tensor(values, device=device)


defop("is_nonzero", frontend=lambda op: _is_nonzero, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X, dev: [((X((), 160),), {}), ((X((1, 1), 161),), {})]),
      reference=lambda a: bool(a.reshape(()) != 0))
defop("is_same_size", frontend=lambda op: _is_same_size, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X, dev: [((X((2, 3), 162), X((2, 3), 163)), {}), ((X((2, 3), 164), X((3,), 165)), {})]),
      reference=lambda a, b: a.shape == b.shape)
defop("is_signed", frontend=lambda op: _is_signed, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X, dev: [((X((2,), 166),), {}), ((_ints([1, 2], dev),), {})]),
      reference=lambda a: _np_kind(a.dtype) in "ifc")
defop("get_device", frontend=lambda op: _get_device, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X, dev: [((X((2,), 167),), {})]), conformance_skip={"devices": "the index differs"})
defop("sum_to_size", frontend=lambda op: _sum_to_size, public=False, composite=True,
      samples=_samples(lambda X, dev: [((X((3, 4), 168), 1, 4), {}), ((X((3, 4), 169), (4,)), {}),
                                       ((X((2, 3, 4), 170), 3, 1), {}), ((X((3, 4), 171), 3, 4), {})]),
      reference=lambda a, *size: _np_sum_to_size(a, size[0] if isinstance(size[0], tuple) else size))
defop("msort", frontend=lambda op: _msort, composite=True,
      samples=_samples(lambda X, dev: [((X((3, 4), 172),), {}), ((X((5,), 173),), {})]),
      reference=lambda a: np.sort(a, axis=0))
defop("unravel_index", frontend=lambda op: _unravel_index, method=False, differentiable=False,
      samples=_samples(lambda X, dev: [((_ints([4, 7, 0], dev), (3, 3)), {}), ((_ints(5, dev), (2, 3)), {})]),
      reference=lambda i, s: np.unravel_index(i, s))
