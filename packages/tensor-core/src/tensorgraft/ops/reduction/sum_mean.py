"""``sum`` and ``mean``: the reductions nearly every training step runs, often on tiny tensors.

Apart from the other families because their frontends are tuned for that: on the CPU ``sum``'s
kernel is NumPy's ``add.reduce`` itself (below, ``_reduce_takes_array_out``), and neither goes
through the helpers the other families share. They are the first reductions to register."""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import check_dims_type, wrap_dims
from .._define import defop
from ._shared import check_keepdim
from tensorgraft.dtypes import np_kind as _np_kind


def _sum_kernel(xp, a, axes, npdtype, out=None, keepdims=False):
    # ufunc.reduce's signature, so NumPy's add.reduce can be the CPU kernel itself; ``out=...``
    # (an array rather than a NumPy scalar, NumPy >= 2) needs nothing here: array modules other
    # than NumPy return arrays anyway
    return xp.sum(a, axis=axes, dtype=npdtype, keepdims=keepdims)


def _sum_cpu_numpy1(a, axes, npdtype, out=None, keepdims=False):
    return np.add.reduce(a, axes, npdtype, None, keepdims)  # NumPy < 2.3 has no out=...


# by dtype character: int64 for integers and bools, as PyTorch; float32 for the half types
# (float16 'e', bfloat16 'E'), rounded once after
_F32 = np.dtype(np.float32)
_SUM_ACC = {**dict.fromkeys("?bhilqpBHILQP", np.dtype(np.int64)), "e": _F32, "E": _F32}
_BF16 = _dt.BF16


# the signatures PyTorch's parser lists for Tensor.sum/mean (a hidden one takes dim names)
_SUM_OVERLOADS = ("*, torch.dtype dtype = None", "tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None")


def _sum_frontend(op):
    table = op.table

    def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = F.numpy_spellings("sum", dim, keepdim, axis, keepdims)
        if input.__class__ is not Tensor:
            check_tensor(input, "sum")
        if keepdim.__class__ is not bool:  # (inline: sum is on every training step's path)
            check_keepdim("sum", keepdim)
        a = input._data
        # dim=() / [] reduces every dim, as PyTorch
        axes = None if dim is None or (dim.__class__ in (tuple, list) and not dim) else wrap_dims(dim, a.ndim, "sum",
                                                                                                  _SUM_OVERLOADS)
        if dtype is None:
            npd = _SUM_ACC.get(a.dtype.char)
            half = npd is _F32
        else:
            npd = dtype.np
            half = npd.char in "eE"
            if half:  # a half dtype asked for: the input is cast to it, then summed as one
                if a.dtype != npd:
                    a = a.astype(npd)
                npd = _F32
        dev = input._device
        r = table[dev.type](a, axes, npd, out=..., keepdims=keepdim)
        if half:
            r = r.astype(a.dtype)  # a half type, accumulated in float32 and rounded once
        out = wrap(r, dev)
        if input._requires_grad and _gs.enabled:
            if r.dtype.kind in "biu":
                raise RuntimeError(f"Autograd not support dtype: {F._type_name(r.dtype)}")
            # a full reduction's node (SumBackward0) keeps no keepdim in PyTorch: None is read as False
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim if dim is not None or keepdim
                                                        else None},
                                    node_name="SumBackward0" if dim is None else "SumBackward1")
        return out
    return sum


# On CPU the kernel is the ufunc's reduce itself: ``np.sum`` adds a Python-level dispatch layer
# (~1 us), a wrapper function another ~60 ns, and turning a NumPy scalar into a 0-d array ~150 ns
# (``out=...`` makes the reduce return the array directly) -- on tiny tensors that is the op's cost.
def _reduce_takes_array_out() -> bool:
    try:  # NumPy >= 2.3
        return np.add.reduce(np.zeros(1), None, None, out=...).__class__ is np.ndarray
    except TypeError:
        return False


defop("sum", kernel=_sum_kernel, kernels={"cpu": np.add.reduce if _reduce_takes_array_out() else _sum_cpu_numpy1},
      frontend=_sum_frontend, bf16_native=True)


def _mean_kernel(xp, a, axes, keepdim, npdtype):
    return xp.mean(a, axis=axes, keepdims=keepdim, dtype=npdtype)


def _mean_frontend(op):
    table = op.table

    def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = F.numpy_spellings("mean", dim, keepdim, axis, keepdims)
        check_tensor(input, "mean")
        check_dims_type("mean", dim, _SUM_OVERLOADS)  # (PyTorch's parser, before the dtype is looked at)
        if keepdim.__class__ is not bool:  # (inline, as sum's)
            check_keepdim("mean", keepdim)
        a = input._data
        if dtype is None and _np_kind(a.dtype) not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {F._type_name(a.dtype)}")
        if dtype is not None and _np_kind(dtype.np) not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                               f"or complex dtype. Got: {F._type_name(dtype.np)}")
        axes = None if dim is None or (dim.__class__ in (tuple, list) and not dim) else wrap_dims(dim, a.ndim)
        npd = dtype.np if dtype is not None else None
        if npd is not None and a.dtype != npd:
            a = a.astype(npd)
        half = a.dtype if a.dtype.char in "eE" else None
        if half is not None:
            a = a.astype(np.float32)  # the half types accumulate in float32; the op rounds once (below)
        if a.size:
            res = table[input._device.type](a, axes, keepdim, None)
        else:
            import warnings
            with warnings.catch_warnings():
                # PyTorch returns NaN for the mean of nothing without a word; NumPy warns
                warnings.simplefilter("ignore", RuntimeWarning)
                res = table[input._device.type](a, axes, keepdim, None)
        if half is not None:
            res = res.astype(half)
        out = wrap(res, input._device)
        if input._requires_grad and _gs.enabled:
            # (MeanBackward0 keeps no keepdim either: see sum's)
            Tensor._autograd.record(op, out, (input,), {"dim": axes, "keepdim": keepdim if dim is not None or keepdim
                                                        else None},
                                    node_name="MeanBackward0" if dim is None else "MeanBackward1")
        return out
    return mean


defop("mean", kernel=_mean_kernel, frontend=_mean_frontend, bf16_native=True)
