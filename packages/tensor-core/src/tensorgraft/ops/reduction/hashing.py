"""``torch.hash_tensor`` (new in PyTorch 2.13): a uint64 hash of the elements, whole or along dims.

Mode 0, the only one, is PyTorch's ``xor_sum``: each element widened to its 64-bit equivalent
(a float of any width to a double, a signed integer to an int64 with its sign extended, a bool or
uint8 to a uint64), those 64 bits read as a uint64, and the xor of them all. So the hash of
``arange(4.)`` in float32 is that of the doubles 0., 1., 2., 3. (4609434218613702656), and an int8
-1 counts as the int64 -1's bits. Not differentiable (PyTorch's result never requires grad).
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name

from ... import dtypes as _dt
from ...sparse.array_base import dispatch_key, no_aten_kernel
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import wrap_dims, wrong_type
from .._define import defop
from ._shared import _all_dims, check_keepdim

_U64 = np.dtype(np.uint64)
# PyTorch's CPU xor_sum has kernels for the floats, the signed integers, uint8 and bool only
_NO_KERNEL = {"uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64", "complex64": "ComplexFloat",
              "complex128": "ComplexDouble", **{d.name: d.scalar_type for d in _dt.FLOAT8_DTYPES}}


def as_hash_words(xp, a):
    """The elements of ``a`` as the uint64 words PyTorch xors: each widened to its 64-bit float or
    integer equivalent first, then bit-cast (not value-converted) to uint64."""
    kind = _dt.np_kind(a.dtype)
    if kind == "f":
        return a.astype(np.float64).view(_U64)
    if kind == "i":
        return a.astype(np.int64).view(_U64)
    return a.astype(_U64)  # (bool, uint8: their value is their word)


def _hash_kernel(xp, a, axes, keepdim):
    words = as_hash_words(xp, a)
    if words.ndim == 0:
        return words.copy()
    return xp.asarray(xp.bitwise_xor.reduce(words, axis=axes, keepdims=keepdim), dtype=_U64)


def _hash_frontend(op):
    table = op.table

    def hash_tensor(input, dim=None, *, keepdim=False, mode=0, out=None):
        check_tensor(input, "hash_tensor")
        check_keepdim("hash_tensor", keepdim)
        if mode.__class__ is not int:
            raise wrong_type("hash_tensor", "mode", "int", mode)
        a = input._data
        if dispatch_key(a):
            raise no_aten_kernel("hash_tensor", a)
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim, "hash_tensor")
        if axes is None:
            if a.size == 0:
                raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
        else:
            for d in axes:
                if a.shape[d] == 0:
                    raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
        if mode != 0:
            raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
        name = _NO_KERNEL.get(a.dtype.name)
        if name is not None:
            if a.size:
                raise NotImplementedError(f'"xor_sum_cpu" not implemented for \'{name}\'')
            a = a.real.astype(np.uint8)  # (an empty result needs no kernel: PyTorch makes it for any dtype)
        res = table[input._device.type](a, axes, keepdim)
        if out is not None:
            if not isinstance(out, Tensor):
                raise TypeError(f"hash_tensor(): argument 'out' must be Tensor, not {c_type_name(out)}")
            if out._data.dtype != _U64:
                raise RuntimeError(f"Expected result to be of dtype uint64, but got {F._type_name(out._data.dtype)}")
            return F.write_out(out, res, "hash_tensor")
        return wrap(res, input._device)

    def method(self, dim=None, *, keepdim=False, mode=0):  # (the method takes no out=)
        return hash_tensor(self, dim, keepdim=keepdim, mode=mode)
    method.__name__ = method.__qualname__ = "hash_tensor"
    op.extra["method_frontend"] = method
    return hash_tensor


def _hash_samples(dtype, device):
    from ...testing import make_tensor
    from ...testing.conformance import Sample

    def X(shape, seed):
        return make_tensor(shape, dtype=dtype, device=device, low=-3.0, high=3.0, seed=seed)
    return [Sample((X((3, 4), 211),)), Sample((X((3, 4), 212), 1)),
            Sample((X((2, 3, 4), 213), (0, 2)), {"keepdim": True}), Sample((X((), 214),))]


def _hash_reference(a, dim=None, keepdim=False, mode=0):
    words = as_hash_words(np, np.asarray(a))
    if words.ndim == 0:
        return words
    axes = None if dim is None else tuple(d % words.ndim for d in (dim if isinstance(dim, tuple) else (dim,)))
    return np.bitwise_xor.reduce(words, axis=axes, keepdims=keepdim)


defop("hash_tensor", kernel=_hash_kernel, frontend=_hash_frontend, differentiable=False, bf16_native=True,
      samples=_hash_samples, reference=_hash_reference, dtype_rule=False)
