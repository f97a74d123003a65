"""``cumsum`` and ``cumprod`` (and their in-place forms), with PyTorch's int64 accumulation for
integer inputs. The other scans -- ``cummax``, ``logcumsumexp``... -- are in ``ops/scan.py``."""
from __future__ import annotations

from ...tensor import wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import REQUIRED, wrap_dim
from .._define import defop
from ._shared import _int64_acc, _record_values


# =========================================================================== cumulative
def _cum_kernel(xp, a, which, axis, npdtype):
    if a.ndim == 0:
        return a.astype(npdtype or a.dtype, copy=True)
    return (xp.cumsum if which == "cumsum" else xp.cumprod)(a, axis=axis, dtype=npdtype)


def _cum_frontend(op, which):
    table = op.table

    def cum(input, dim=REQUIRED, *, dtype=None, out=None):
        check_tensor(input, which)
        a = input._data
        axis = wrap_dim(dim, a.ndim, which)
        res = wrap(table[input._device.type](a, which, axis, _int64_acc(a, dtype)), input._device)
        _record_values(op, res, input, {"dim": axis})
        if out is not None:
            F.write_out(out, res._data, which)
            return out
        return res
    cum.__name__ = cum.__qualname__ = which
    return cum


defop("cumsum", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumsum"), inplace="cumsum_")
defop("cumprod", kernel=_cum_kernel, frontend=lambda op: _cum_frontend(op, "cumprod"), inplace="cumprod_")
