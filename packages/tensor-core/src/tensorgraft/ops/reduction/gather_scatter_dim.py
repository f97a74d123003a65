"""``gather_dim``/``scatter_dim`` and their private ops ``_gather_dim``/``_scatter_dim``: values at
indices along a dim, and a gradient put back at those indices.

The backward formulas of the (values, indices) reductions -- max/min, sort, topk, median, mode --
route gradients through them, so a gradient of a gradient is recorded as well. Kept apart from
the reductions users call because they are plumbing for those gradients."""
from __future__ import annotations

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .._define import defop


# --------------------------------------------------------------------------- gather / scatter along a dim
def _along(xp, idx, dim):
    """Advanced index selecting ``idx`` (same ndim as the array) along ``dim``."""
    grids = list(xp.ix_(*[xp.arange(s) for s in idx.shape]))
    grids[dim] = idx
    return tuple(grids)


def _gather_kernel(xp, a, idx, dim):
    return a[_along(xp, idx, dim)]


def _scatter_kernel(xp, g, idx, dim, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    if g.size:
        out[_along(xp, idx, dim)] = g  # indices are distinct within each slice
    return out


def _gather_frontend(op):
    table = op.table

    def _gather_dim(input, index, dim):
        out = wrap(table[input._device.type](input._data, index._data, dim), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"index": index, "dim": dim})
        return out
    return _gather_dim


def _scatter_frontend(op):
    table = op.table

    def _scatter_dim(grad, index, dim, shape):
        out = wrap(table[grad._device.type](grad._data, index._data, dim, tuple(shape)), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (grad,), {"index": index, "dim": dim})
        return out
    return _scatter_dim


_gather_op = defop("_gather_dim", kernel=_gather_kernel, frontend=_gather_frontend, method=False, public=False)
_scatter_op = defop("_scatter_dim", kernel=_scatter_kernel, frontend=_scatter_frontend, method=False, public=False)


def gather_dim(input, index, dim):
    """``input`` values at ``index`` (same ndim) along ``dim``; differentiable (backward: scatter)."""
    return _gather_op.frontend(input, index, dim)


def scatter_dim(grad, index, dim, shape):
    """A zero tensor of ``shape`` holding ``grad`` at ``index`` (distinct per slice) along ``dim``."""
    return _scatter_op.frontend(grad, index, dim, shape)
