"""``cumsum`` and ``cumprod`` (and their in-place forms), with PyTorch's int64 accumulation for
integer inputs. The other scans -- ``cummax``, ``logcumsumexp``... -- are in ``ops/scan.py``."""
from __future__ import annotations

import numpy as np

from ...dtypes import BF16
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import REQUIRED, arg_position, is_int, method_and_function, wrap_dim, wrong_type
from .._define import defop
from ._shared import _half_input, _int64_acc, _record_values, _type_name


# =========================================================================== cumulative
def _cum_kernel(xp, a, which, axis, npdtype):
    if a.ndim == 0:
        return a.astype(npdtype or a.dtype, copy=True)
    scan = xp.cumsum if which == "cumsum" else xp.cumprod
    target = np.dtype(npdtype or a.dtype)
    if target == np.float16 or target is BF16:
        # PyTorch accumulates half-precision scans in float32 (a running sum of 3000 ones is 3000,
        # where float16 steps stop at 2048) and rounds each partial result once
        return scan(a, axis=axis, dtype=np.float32).astype(target)
    wider = _CPU_ACCUMULATOR.get(target.name) if xp is np else None
    if wider is not None:
        # PyTorch's CPU scans accumulate float32 (complex64) in double precision and round each
        # partial result once: a float32 running sum differs from it in most elements
        return scan(a.astype(target, copy=False), axis=axis, dtype=wider).astype(target)
    return scan(a, axis=axis, dtype=npdtype)


# (CUDA's scans accumulate in the dtype itself, as PyTorch's CUDA kernels do)
_CPU_ACCUMULATOR = {"float32": np.float64, "complex64": np.complex128}


def _cum_frontend(op, which):
    table = op.table

    def build(method):
        def cum(input, *args, dim=REQUIRED, dtype=None, out=None):
            check_tensor(input, which)  # (the tensor is the parser's first argument)
            if args:  # dim alone may come positionally; PyTorch counts self only in the function
                if len(args) > 1 or dim is not REQUIRED:
                    if dim is not REQUIRED and len(args) == 1:
                        raise TypeError(f"{which}() got multiple values for argument 'dim'")
                    n = len(args) + (not method)
                    raise TypeError(f"{which}() takes {1 + (not method)} positional argument"
                                    f"{'' if method else 's'} but {n} were given")
                dim = args[0]
            a = input._data
            if dim.__class__ is not int and dim is not REQUIRED and not is_int(dim):
                raise wrong_type(which, "dim", "int", dim, arg_position(0, len(args), method))
            axis = wrap_dim(dim, a.ndim, which)
            if dtype is not None and dtype.np.kind == "b" and a.ndim and a.size:
                raise NotImplementedError(f"\"{which}_out_cpu\" not implemented for '{_type_name(dtype.np)}'")
            if out is not None and isinstance(out, Tensor):
                F.check_out_overlap(out, (input,))
            a = _half_input(a, dtype)
            res = wrap(table[input._device.type](a, which, axis, _int64_acc(a, dtype)), input._device)
            _record_values(op, res, input, {"dim": axis})
            if out is not None:
                F.write_out(out, res._data, which)
                return out
            return res
        cum.__name__ = cum.__qualname__ = which
        return cum
    return method_and_function(op, build)


# (bf16_native: the kernel accumulates the half types in float32 itself, so the registry's float32
# wrapper must not hand it float32 copies it would accumulate in double)
defop("cumsum", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumsum"), inplace="cumsum_",
      bf16_native=True)
defop("cumprod", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumprod"), inplace="cumprod_",
      bf16_native=True)
