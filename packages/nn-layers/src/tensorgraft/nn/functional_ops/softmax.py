"""softmax and log_softmax over a dim: the fused ops, their backward ops (which hang on the output,
as PyTorch's ``_softmax_backward_data``) and the formulas."""
from __future__ import annotations

import numpy as np

from tensorgraft.dtypes import dtype as _dtype
from tensorgraft.ops._args import wrap_dim
from tensorgraft.ops._frontend import _type_name
from tensorgraft.sparse.coo_data import SparseCOOData, dense_softmax_refusal

from ._common import batched_of, formula, gs, nnop, record, wrap
from .activation_args import check_tensor, int_arg, type_name
from .activation_builders import _backward_op
from tensorgraft.dtypes import np_kind as _np_kind


# The kernels below write their temporaries in place where operands share a shape and dtype: the
# same operations in the same order (so the same values), but one large array where the
# out-of-place spelling made three or four. Over a classifier's logits (2048 x 1000 float32, 8 MB
# an array) each fresh temporary costs as much as the arithmetic: log_softmax's backward went from
# 6.1 to 2.1 ms on the 2-core CI machine.


def _softmax_k(xp, x, dim):
    if x.size == 0:  # nothing to normalise (max() of an empty axis would raise)
        return xp.empty_like(x)
    m = x.max(axis=dim, keepdims=True)
    e = xp.subtract(x, m)
    xp.exp(e, out=e)
    s = e.sum(axis=dim, keepdims=True)
    if dim == x.ndim - 1:
        # PyTorch's last-dim kernel scales by the sum's reciprocal, its other-dim kernel divides
        # (seen from its results): doing the same keeps more results bit-equal to PyTorch's
        e *= xp.reciprocal(s, out=s)
    else:
        e /= s
    return e


def _log_softmax_k(xp, x, dim):
    if x.size == 0:
        return xp.empty_like(x)
    m = x.max(axis=dim, keepdims=True)
    s = x - m
    s -= xp.log(_sum_of_exp(xp, s, dim))
    return s


_ROW_BLOCK = 1 << 16  # values per block of rows in _sum_of_exp: the exp temporary stays in L2


def _sum_of_exp(xp, s, dim):
    """``exp(s).sum(dim, keepdim=True)``; over the last dim of a large C-contiguous NumPy array, a
    block of rows at a time into one reused temporary (each row is summed by the same loop either
    way, so the sums are the same)."""
    if xp is not np or dim != s.ndim - 1 or s.size <= _ROW_BLOCK or not s.flags.c_contiguous:
        return xp.exp(s).sum(axis=dim, keepdims=True)
    n = s.shape[-1]
    rows = s.reshape(-1, n)
    step = max(1, _ROW_BLOCK // n)
    tmp = np.empty((min(step, rows.shape[0]), n), s.dtype)
    out = np.empty(rows.shape[0], s.dtype)
    for i in range(0, rows.shape[0], step):
        block = tmp[:min(step, rows.shape[0] - i)]
        np.exp(rows[i:i + step], out=block)
        np.sum(block, axis=1, out=out[i:i + step])
    return out.reshape(s.shape[:-1] + (1,))


def _softmax_like(name, kernel, node):
    holder = []

    def frontend(input, dim, dtype=None):
        check_tensor(input, name)
        if type(dim) is not int:  # the position of ``Tensor.softmax(dim)``'s, which F calls
            dim = int_arg(dim, name, "dim", 1)
        a = input._data
        if dtype is not None:
            if not isinstance(dtype, _dtype):
                raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")
            a = a.astype(dtype.np)
        if _np_kind(a.dtype) != "f" and a.size:
            # the kernel refuses what is not real floating (complex too), the input or what ``dtype``
            # made of it (dtype=torch.long too); an empty input never reaches it
            last = a.ndim == 0 or wrap_dim(dim, a.ndim) == a.ndim - 1
            raise NotImplementedError(f'"{name}_{"lastdim_" if last else ""}kernel_impl" not implemented for '
                                      f"'{_type_name(a.dtype)}'")
        d = wrap_dim(dim, a.ndim)  # a 0-d input takes dim 0 or -1, as a 1-d one
        if a.__class__ is SparseCOOData:
            raise dense_softmax_refusal(name == "log_softmax")
        op = holder[0]
        if not a.flags.c_contiguous:  # ATen's kernel reads input.contiguous(): a row-major result
            a = a.copy()
        out = wrap(op.table[input._device.type](a if a.ndim else a.reshape(1), d).reshape(a.shape), input._device)
        if input._requires_grad and gs.enabled:
            record(op, out, (input,), {"dim": d})
        return out
    op = nnop(name, kernel, frontend, node=node)
    holder.append(op)
    return frontend, op


softmax_op, _SOFTMAX = _softmax_like("softmax", _softmax_k, "SoftmaxBackward0")
log_softmax_op, _LOG_SOFTMAX = _softmax_like("log_softmax", _log_softmax_k, "LogSoftmaxBackward0")


def _softmax_b(xp, y, g, dim):
    if g.shape != y.shape or g.dtype != y.dtype:  # (a batched gradient, mixed dtypes: promoted)
        return (g - (g * y).sum(axis=dim, keepdims=True)) * y
    t = g * y
    s = t.sum(axis=dim, keepdims=True)
    t = xp.subtract(g, s, out=t)
    t *= y
    return t


def _log_softmax_b(xp, y, g, dim):
    s = g.sum(axis=dim, keepdims=True)
    if g.shape != y.shape or g.dtype != y.dtype or s.dtype != y.dtype:
        return g - xp.exp(y) * s
    e = xp.exp(y)
    e *= s
    return xp.subtract(g, e, out=e)


# Their backward ops hang on the output (whose node is the forward's), as PyTorch's
# ``_softmax_backward_data``. Softmax's is self-adjoint in the gradient; log_softmax's is not.
def _softmax_dd(y, g, gg, dim):
    # gg (g - sum(g y)) - g sum(gg y), expanded as PyTorch's formula (its graph: two subtractions)
    return gg * g - gg * (g * y).sum(dim, keepdim=True) - g * (gg * y).sum(dim, keepdim=True)


def _log_softmax_adjoint(y, gg, dim):
    return gg - (gg * y.exp()).sum(dim, keepdim=True)


def _log_softmax_dd(y, g, gg, dim):
    # grouped as PyTorch's: (-sum(g) * exp(y)) * gg
    return -g.sum(dim, keepdim=True) * y.exp() * gg


def _dim_from_end(y, params):
    """The backward ops' ``(dim,)`` counted from the end (the same dim of operands with more
    leading dims: a batched backward's); None for a 0-d output."""
    if y.ndim == 0:
        return None
    d = params[0]
    return (d - y.ndim if d >= 0 else d,)


_SOFTMAX_BACKWARD = _backward_op("softmax", _softmax_b, "SoftmaxBackwardDataBackward0", _softmax_dd,
                                 batched_params=_dim_from_end)
_LOG_SOFTMAX_BACKWARD = _backward_op("log_softmax", _log_softmax_b, "LogSoftmaxBackwardDataBackward0",
                                     _log_softmax_dd, _log_softmax_adjoint, batched_params=_dim_from_end)


def _softmax_like_grad(kernel, recorded):
    from tensorgraft.device import get_backend
    from tensorgraft.ops._bfloat16 import float32_compute
    kernel = float32_compute(kernel)  # bfloat16: the sum over ``dim`` in float32, rounded once

    def grad(node, g):
        y = node.output
        d = node.attrs["dim"]
        if g.ndim == 0:
            return (g * 0,)
        if gs.enabled:
            return (recorded(y, g, d),)
        return (wrap(kernel(get_backend(g._device).xp, y._data, g._data, d), g._device),)

    @batched_of(grad)
    def grad_batched(node, g):
        # g is (batch, *y.shape); the dim counted from the end, y broadcast to g
        y = node.output
        if y.ndim == 0 or g.shape[1:] != y.shape:
            return None
        d = node.attrs["dim"] - y.ndim
        if gs.enabled:
            return (recorded(y.expand(g.shape), g, d),)
        xp = get_backend(g._device).xp
        return (wrap(kernel(xp, xp.broadcast_to(y._data, g._data.shape), g._data, d), g._device),)
    return grad


formula("softmax", saves=(), saves_output=True)(_softmax_like_grad(_softmax_b, _SOFTMAX_BACKWARD))
formula("log_softmax", saves=(), saves_output=True)(_softmax_like_grad(_log_softmax_b, _LOG_SOFTMAX_BACKWARD))
