"""Fused normalization: batch_norm (training statistics + running-stat update, or eval with
running stats), layer_norm and group_norm, each with a closed-form backward."""
from __future__ import annotations

import math

import numpy as np

from tensorgraft import memory_layout as _ml
from tensorgraft.dtypes import BF16
from tensorgraft.ops._bfloat16 import widen, widen_half

from tensorgraft.autograd.saved_properties import _SECOND_BACKWARD as SECOND_BACKWARD, FromNode

from ._common import batched_of, formula, gs, nnop, record, same_device, wrap, xp_of
from .half_kernels import batch_norm_float16
from .rowwise_moments import fused_multiply_add, rowwise_moments
from tensorgraft.dtypes import np_kind as _np_kind


def suggested_layout(xp, out, like):
    """``out`` laid out as ATen lays out a kernel's result for input ``like``: channels-last when
    ``like``'s strides follow that format (its ``suggest_memory_format``), C-contiguous otherwise.
    NumPy's elementwise ops would carry a transposed input's order into the result instead, and
    then ``.view`` on it fails where it works in PyTorch."""
    out = xp.ascontiguousarray(out)
    fmt = _ml.suggest_format(like)
    if fmt is _ml.contiguous_format or out.ndim != like.ndim:
        return out
    return _ml.relayout_like(xp, out, like, fmt)


# ------------------------------------------------------------------ batch norm
def _bn_kernel(xp, x, w, b, rm, rv, training, momentum, eps):
    if x.dtype is BF16 or (rm is not None and rm.dtype is BF16):
        return _bn_kernel_bfloat16(xp, x, w, b, rm, rv, training, momentum, eps)
    if x.dtype == _F16 and xp is np:  # (ATen's own float16 rounding: half_kernels.py)
        out, xhat, invstd = batch_norm_float16(x, w, b, rm, rv, training, momentum, eps)
        # (xhat and invstd stay float32, as bfloat16's: the backward accumulates in float32, as ATen's)
        return suggested_layout(xp, out, x), xhat, invstd
    if xp is np and x.dtype == _F32 and all(p is None or p.dtype == _F32 for p in (w, b, rm, rv)):
        return _bn_float32_cpu(x, w, b, rm, rv, training, momentum, eps)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mean = x.mean(axis=axes)
        xc = x - mean.reshape(shape)
        var = (xc * xc).mean(axis=axes)
        n = x.size // x.shape[1]
        if rm is not None:
            rm *= (1 - momentum)
            rm += momentum * mean
            rv *= (1 - momentum)
            rv += momentum * var * (n / max(n - 1, 1))
    else:
        mean, var = rm, rv
        xc = x - mean.reshape(shape)
    invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat = xc * invstd.reshape(shape)
    out = xhat
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return suggested_layout(xp, out.astype(x.dtype, copy=False), x), xhat, invstd


_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)




def _bn_float32_cpu(x, w, b, rm, rv, training, momentum, eps):
    """float32 batch norm in PyTorch's CPU arithmetic (ATen's batch_norm_kernel.cpp), so outputs and
    running statistics match it bit for bit for inputs with spatial dims (BatchNorm2d/3d, BatchNorm1d
    on (N, C, L)); PyTorch computes (N, C) and channels-last inputs from per-thread partial sums,
    which this approximates (see differences.md):

    - batch statistics: the mean is a double-precision sum over the channel, divided and rounded to
      float32; the variance sums float32 squares of ``x - mean`` in double precision; ``invstd`` is
      ``1 / sqrt(var + eps)`` in double precision, rounded;
    - running statistics: ``momentum`` rounded to float32; the mean updated in float32, the variance
      (unbiased) in double precision;
    - the output is ``x * alpha + beta`` with ``alpha = invstd * weight`` and
      ``beta = bias - mean * alpha``, both multiply-adds fused (one rounding), as compiled."""
    channels = x.shape[1]
    n = x.size // channels
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        mean = (x.sum(axis=axes, dtype=_F64) / n).astype(_F32)
        xc = x - mean.reshape(shape)
        var_sum = np.square(xc).sum(axis=axes, dtype=_F64).astype(_F32)
        invstd = (1.0 / np.sqrt((var_sum / np.float32(n)).astype(_F64) + eps)).astype(_F32)
        if rm is not None:
            m = np.float32(momentum)
            rm[...] = m * mean + (np.float32(1) - m) * rm
            unbiased = (var_sum / np.float32(n - 1)).astype(_F64)
            rv[...] = (np.float64(m) * unbiased + ((np.float32(1) - m) * rv).astype(_F64)).astype(_F32)
    else:
        mean = rm
        invstd = np.float32(1) / np.sqrt(rv + np.float32(eps))
        xc = x - mean.reshape(shape)
    alpha = invstd if w is None else invstd * w
    beta = fused_multiply_add((-mean).reshape(1, -1), alpha, np.float32(0) if b is None else b).reshape(-1)
    # one (sample, channel) plane per row, its alpha and beta per row
    planes = np.ascontiguousarray(x).reshape(x.shape[0] * channels, -1)
    out = fused_multiply_add(planes, np.tile(alpha, x.shape[0]).reshape(-1, 1),
                             np.tile(beta, x.shape[0]).reshape(-1, 1)).reshape(x.shape)
    xhat = xc * invstd.reshape(shape)  # (what the backward formula reads)
    return suggested_layout(np, out, x), xhat, invstd


def _bn_kernel_bfloat16(xp, x, w, b, rm, rv, training, momentum, eps):
    """bfloat16 batch norm computed in float32, as PyTorch's kernel: the output rounded once, the
    saved statistics (xhat, invstd) kept in float32, bfloat16 running stats updated in place (the
    registry's float32 wrapper would update copies, so this op computes its own way)."""
    rm32 = None if rm is None else rm.astype(np.float32)
    rv32 = None if rv is None else rv.astype(np.float32)
    out, xhat, invstd = _bn_kernel(xp, widen(x), widen(w), widen(b), rm32, rv32, training, momentum, eps)
    if rm is not None and training:
        rm[...] = rm32  # (rounded to the running stats' own dtype on assignment)
        rv[...] = rv32
    return out.astype(x.dtype), xhat, invstd


def check_param_dtypes(x, params):
    """PyTorch's CPU batch norm: parameters and running stats share the input's dtype, except
    float32 ones with a half-precision input (its mixed-dtype kernel)."""
    kinds = {t._data.dtype for t in params if t is not None}
    if not kinds or kinds == {x.dtype} or (x.dtype.itemsize == 2 and kinds == {np.dtype(np.float32)}):
        return
    if x.dtype == np.float32:
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def check_channel_counts(x, weight, bias, running_mean, running_var):
    """ATen's batch norm: each parameter and running statistic holds one value per channel."""
    C = x.shape[1] if x.ndim > 1 else 1
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.size != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")


def batch_norm_op(input, weight, bias, running_mean, running_var, training, momentum, eps):
    x = input._data
    if x.size == 0:
        # ATen's _batch_norm_impl_index skips the kernel for an empty input (the running statistics
        # stay as they are): a copy, times the first weight, plus the first bias (the graph PyTorch
        # keeps: CloneBackward0, MulBackward0, AddBackward0)
        out = input.clone()
        if weight is not None:
            out = out * weight.select(0, 0)
        if bias is not None:
            out = out + bias.select(0, 0)
        return out
    if training:
        n = x.size // x.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    check_channel_counts(x, weight, bias, running_mean, running_var)
    out, xhat, invstd = _BN.table[input._device.type](x, None if weight is None else weight._data,
                                                      None if bias is None else bias._data, rm, rv, training,
                                                      momentum, eps)
    if training and running_mean is not None:
        running_mean._vc[0] += 1
        running_var._vc[0] += 1
    res = wrap(out, input._device)
    if gs.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                       or (bias is not None and bias._requires_grad)):
        record(_BN, res, (input, weight, bias), {"xhat": xhat, "invstd": invstd, "training": training,
                                                 "eps": eps, "mean": None if training else rm.copy()}, node_name="NativeBatchNormBackward0")
    return res


_BN = nnop("batch_norm", _bn_kernel, batch_norm_op, bf16_native=True)  # (updates the running stats in place)


def _norm_grad_graph(node, g, axes, param_axes, pshape, training, eps):
    """create_graph=True: the gradient written with tensorgraft ops, recomputing the normalized
    input from ``x`` so that it can be differentiated again."""
    x, w, _ = node.inputs
    nx, nw, nb = node.needs_input_grad
    if training:
        mu = x.mean(axes, keepdim=True)
        xc = x - mu
        invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    else:
        invstd = wrap(node.attrs["invstd"], g._device).reshape(pshape)
        xc = x - wrap(node.attrs["mean"], g._device).reshape(pshape)
    xhat = xc * invstd
    wr = None if w is None else w.reshape(pshape)
    gx = gw = gb = None
    if nx:
        gy = g if wr is None else g * wr
        if training:
            gx = (gy - gy.mean(axes, keepdim=True) - xhat * (gy * xhat).mean(axes, keepdim=True)) * invstd
        else:
            gx = gy * invstd
    # (no dims to sum over, an input of the normalized dims alone: the products themselves, where
    # ``sum(())`` would sum over every dim)
    if nw:
        gw = (g * xhat).sum(param_axes) if param_axes else g * xhat
    if nb:
        gb = g.sum(param_axes) if param_axes else g
    return gx, gw, gb


@formula("batch_norm", saves=(0, 1))
def _bn_grad(node, g):
    _, w, b = node.inputs
    a = node.attrs
    if gs.enabled:
        nd = g.ndim
        axes = (0,) + tuple(range(2, nd))
        return _norm_grad_graph(node, g, axes, axes, (1, g.shape[1]) + (1,) * (nd - 2), a["training"], a["eps"])
    nx, nw, nb = node.needs_input_grad
    gd = g._data
    xhat, invstd = a["xhat"], a["invstd"]
    axes = (0,) + tuple(range(2, gd.ndim))
    shape = (1, gd.shape[1]) + (1,) * (gd.ndim - 2)
    dev = g._device
    gx = gw = gb = None
    wd = None if w is None else w._data
    out_dtype = gd.dtype
    # the half types: sums in float32, rounded once (the kernels saved xhat and invstd in float32)
    gd, wd = widen_half(gd), widen_half(wd)
    sum_g = gd.sum(axis=axes)
    prod = gd * xhat
    sum_gx = prod.sum(axis=axes)
    if nx:
        scale = invstd if wd is None else invstd * wd
        if a["training"]:
            n = gd.size // gd.shape[1]
            ws = 1 if wd is None else wd
            same = (xhat, invstd) + (() if wd is None else (wd,))
            if gd.strides == xhat.strides and all(t.dtype == gd.dtype for t in same):
                # (gd * w - sum_g * w / n - xhat * (sum_gx * w) / n) * invstd, the operations in
                # that order (so the same roundings), in two step-sized buffers instead of six
                # temporaries: 15-20% faster on a DCGAN's 64-sample batches
                xp = xp_of(g)
                if wd is None:
                    gx_ = gd - (sum_g * ws).reshape(shape) / n
                else:
                    gx_ = gd * wd.reshape(shape)
                    xp.subtract(gx_, (sum_g * ws).reshape(shape) / n, out=gx_)
                xp.multiply(xhat, (sum_gx * ws).reshape(shape), out=prod)
                xp.divide(prod, n, out=prod)
                xp.subtract(gx_, prod, out=gx_)
                xp.multiply(gx_, invstd.reshape(shape), out=gx_)
            else:
                gy = gd if wd is None else gd * wd.reshape(shape)
                gx_ = (gy - (sum_g * ws).reshape(shape) / n
                       - xhat * (sum_gx * ws).reshape(shape) / n) * invstd.reshape(shape)
        else:
            gx_ = gd * scale.reshape(shape)
        gx = wrap(gx_.astype(out_dtype, copy=False), dev)
    param_dtype = None if w is None else w._data.dtype
    if nw:
        gw = wrap(sum_gx if param_dtype is None else sum_gx.astype(param_dtype, copy=False), dev)
    if nb:  # (the bias is not saved: its gradient takes the weight's dtype, else the gradient's)
        gb = wrap(sum_g.astype(param_dtype or out_dtype, copy=False), dev)
    return gx, gw, gb


# ------------------------------------------------------------------ layer norm
def _mean_kept(xp, x, axes):
    """``x.mean(axes, keepdims=True)``; over no entries (a normalized dim of size 0) NaN, as PyTorch's,
    without NumPy's "Mean of empty slice" RuntimeWarning."""
    if math.prod(x.shape[a] for a in axes) == 0:
        return xp.full(tuple(1 if a in axes else n for a, n in enumerate(x.shape)), np.nan, dtype=x.dtype)
    return x.mean(axis=axes, keepdims=True)


def _ln_kernel(xp, x, w, b, nd, eps):
    if xp is np and x.dtype == _F32 and x.size and all(p is None or p.dtype == _F32 for p in (w, b)):
        return _ln_float32_cpu(x, w, b, nd, eps)
    out_dtype = x.dtype
    if x.dtype.itemsize == 2 and (_np_kind(x.dtype) == "f" or x.dtype is BF16):
        # half precision is normalized in float32 and written back in half, as ATen's CPU kernel
        # does; float32 affine parameters (its mixed-dtype case) must not promote the output
        x = x.astype(np.float32)
    axes = tuple(range(x.ndim - nd, x.ndim))
    mean = _mean_kept(xp, x, axes)
    xc = x - mean
    var = _mean_kept(xp, xc * xc, axes)
    invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat = xc * invstd
    out = xhat
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    # contiguous whatever the input's layout, as ATen's
    return xp.ascontiguousarray(out.astype(out_dtype, copy=False)), xhat, invstd


def _ln_float32_cpu(x, w, b, nd, eps):
    """float32 layer norm in PyTorch's CPU arithmetic (ATen's layer_norm_kernel.cpp), outputs bit
    for bit: each row's mean and variance from ``RowwiseMoments`` (rowwise_moments.py),
    ``rstd = 1 / sqrt(var + eps)`` in float32 (``eps`` rounded to float32), and the output
    ``(x - mean) * rstd * weight + bias``, the last multiply-add fused (one rounding; without a
    weight ``(x - mean) * rstd + bias`` fused)."""
    lead = x.shape[:x.ndim - nd]
    n = math.prod(x.shape[x.ndim - nd:])
    rows = np.ascontiguousarray(x).reshape(-1, n)
    mean, var = rowwise_moments(rows)
    rstd = np.float32(1) / np.sqrt(var + np.float32(eps))
    centered = rows - mean[:, None]
    xhat = centered * rstd[:, None]
    if w is not None and b is not None:
        out = fused_multiply_add(xhat, w.reshape(-1), b.reshape(-1))
    elif w is not None:  # (plus 0: the fused and unfused results are the same)
        out = xhat * w.reshape(-1)
    elif b is not None:  # (the kernel's scalar loop, times 1 dropped: (x - mean) * rstd + bias, fused)
        out = fused_multiply_add(centered, rstd[:, None], b.reshape(-1))
    else:
        out = xhat
    kept = lead + (1,) * nd
    return out.reshape(x.shape), xhat.reshape(x.shape), rstd.reshape(kept)


def layer_norm_op(input, nd, weight, bias, eps):
    out, xhat, invstd = _LN.table[input._device.type](input._data, None if weight is None else weight._data,
                                                      None if bias is None else bias._data, nd, eps)
    res = wrap(out, input._device)
    if gs.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                       or (bias is not None and bias._requires_grad)):
        record(_LN, res, (input, weight, bias), {"xhat": xhat, "invstd": invstd, "nd": nd, "eps": eps},
               node_name="NativeLayerNormBackward0")
    return res


_LN = nnop("layer_norm", _ln_kernel, layer_norm_op, bf16_native=True)  # half types computed in float32 above


# (the bias is kept too, as PyTorch's NativeLayerNormBackward0 keeps it: changing it in place
# before backward raises there)
@formula("layer_norm", saves=(0, 1, 2))
def _ln_grad(node, g):
    _, w, b = node.inputs
    a = node.attrs
    if gs.enabled:
        nd, ndim = a["nd"], g.ndim
        axes = tuple(range(ndim - nd, ndim))
        return _norm_grad_graph(node, g, axes, tuple(range(ndim - nd)), tuple(g.shape[ndim - nd:]), True, a["eps"])
    nx, nw, nb = node.needs_input_grad
    gd = g._data
    xhat, invstd, nd = a["xhat"], a["invstd"], a["nd"]
    lead = tuple(range(gd.ndim - nd))
    axes = tuple(range(gd.ndim - nd, gd.ndim))
    dev = g._device
    gx = gw = gb = None
    if gd.dtype is BF16:  # sums in float32, each gradient rounded once (as the forward, ops/_bfloat16.py)
        return _ln_grad_bfloat16(node, g, w, b, xhat, invstd, lead, axes)
    if nx:
        gy = gd if w is None else gd * w._data
        gx_ = _ln_input_grad(xp_of(g), gy, xhat, invstd, axes, gy_is_ours=w is not None)
        gx = wrap(gx_.astype(gd.dtype, copy=False), dev)
    if nw:
        gw = wrap((gd * xhat).sum(axis=lead), dev)
    if nb:
        gb = wrap(gd.sum(axis=lead), dev)
    return gx, gw, gb


def _ln_input_grad(xp, gy, xhat, invstd, axes, gy_is_ours):
    """Layer norm's input gradient ``(gy - mean(gy) - xhat * mean(gy * xhat)) * invstd`` (means over
    ``axes``). Where the operands share a dtype and shape it is computed in two buffers (``gy``
    itself when it is this backward's own ``grad * weight``), each operation's operands in the
    formula's order, so the values are the out-of-place formula's: a transformer's (batch * seq,
    d_model) activations then cost two allocations instead of five."""
    if not (gy.ndim and gy.dtype.kind == "f" and gy.dtype == xhat.dtype == invstd.dtype and gy.shape == xhat.shape):
        return (gy - _mean_kept(xp, gy, axes) - xhat * _mean_kept(xp, gy * xhat, axes)) * invstd
    mean_gy = _mean_kept(xp, gy, axes)
    t = gy * xhat
    mean_gy_xhat = _mean_kept(xp, t, axes)
    xp.multiply(xhat, mean_gy_xhat, out=t)
    d = xp.subtract(gy, mean_gy, out=gy if gy_is_ours else None)
    xp.subtract(d, t, out=d)
    return xp.multiply(d, invstd, out=d)


def _ln_saved_moment(which):
    """NativeLayerNormBackward0's ``_saved_result1`` (the mean) / ``_saved_result2`` (the inverse
    standard deviation), of shape (*lead, 1, ...): computed from what the node holds when read."""
    def get(node):
        if node._released:
            raise RuntimeError(SECOND_BACKWARD)
        x, a = node.inputs[0], node.attrs
        invstd = a["invstd"]
        m = invstd if which == 2 else x._data - a["xhat"] / invstd
        if which == 1:
            m = m.mean(axis=tuple(range(m.ndim - a["nd"], m.ndim)), keepdims=True)
        return wrap(m.astype(x._data.dtype, copy=False), x._device)
    return FromNode(get)


_ln_grad.input_names = ("input", "weight", "bias")
_ln_grad.pack_order = (2, 0, 1)  # (saved-tensor hooks see bias, input, weight: PyTorch's order)
_ln_grad.saved_hidden = ("eps", "nd")
_ln_grad.saved_defaults = {"normalized_shape": FromNode(lambda node: tuple(node.in_meta[0][0][-node.attrs["nd"]:])),
                           "result1": _ln_saved_moment(1), "result2": _ln_saved_moment(2)}


@batched_of(_ln_grad)
def _ln_batched(node, g):
    """``_ln_grad`` for g of shape (batch, *x.shape): the normalized dims counted from the end,
    the parameters' sums over every dim but the batch's and the normalized ones."""
    x, w, _ = node.inputs
    a = node.attrs
    nd = a["nd"]
    if g._data.dtype is BF16 or g.shape[1:] != x.shape:
        return None
    axes = tuple(range(-nd, 0))
    param_axes = tuple(range(1, g.ndim - nd))
    if gs.enabled:
        return _norm_grad_graph(node, g, axes, param_axes, tuple(g.shape[g.ndim - nd:]), True, a["eps"])
    nx, nw, nb = node.needs_input_grad
    gd = g._data
    xhat, invstd = a["xhat"], a["invstd"]
    dev = g._device
    gx = gw = gb = None
    if nx:
        gy = gd if w is None else gd * w._data
        xp = xp_of(g)
        axes_pos = tuple(range(gd.ndim - nd, gd.ndim))
        gx_ = (gy - _mean_kept(xp, gy, axes_pos) - xhat * _mean_kept(xp, gy * xhat, axes_pos)) * invstd
        gx = wrap(gx_.astype(gd.dtype, copy=False), dev)
    if nw:
        gw = wrap((gd * xhat).sum(axis=param_axes), dev)
    if nb:
        gb = wrap(gd.sum(axis=param_axes), dev)
    return gx, gw, gb


def _ln_grad_bfloat16(node, g, w, b, xhat, invstd, lead, axes):
    nx, nw, nb = node.needs_input_grad
    gd, dev = widen(g._data), g._device
    gx = gw = gb = None
    if nx:
        gy = gd if w is None else gd * widen(w._data)
        xp = xp_of(g)
        gx_ = (gy - _mean_kept(xp, gy, axes) - xhat * _mean_kept(xp, gy * xhat, axes)) * invstd
        gx = wrap(gx_.astype(g._data.dtype), dev)
    if nw:
        gw = wrap((gd * xhat).sum(axis=lead).astype(w._data.dtype), dev)
    if nb:
        # (the bias is not saved: its gradient takes the weight's dtype, else the gradient's)
        gb = wrap(gd.sum(axis=lead).astype(g._data.dtype if w is None else w._data.dtype), dev)
    return gx, gw, gb


# ------------------------------------------------------------------ group norm
# One node over (input, weight, bias) (NativeGroupNormBackward0), as ATen records it: the input
# viewed as (N, groups, -1) is normalized per row, then scaled and shifted per channel.
def _group_size(shape, groups):
    """The entries in one group of one sample: spelled out, as an empty batch leaves -1 undefined."""
    return math.prod(shape[1:]) // groups


def _gn_kernel(xp, x, w, b, groups, eps):
    if xp is np and x.dtype == _F32 and x.size and all(p is None or p.dtype == _F32 for p in (w, b)):
        return _gn_float32_cpu(x, w, b, groups, eps)
    rows = x.reshape(x.shape[0], groups, _group_size(x.shape, groups))
    mean = _mean_kept(xp, rows, (2,))
    xc = rows - mean
    var = _mean_kept(xp, xc * xc, (2,))
    invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    out = (xc * invstd).reshape(x.shape)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return suggested_layout(xp, out.astype(x.dtype, copy=False), x)


def _gn_float32_cpu(x, w, b, groups, eps):
    """float32 group norm in PyTorch's CPU arithmetic (ATen's group_norm_kernel.cpp, contiguous
    input), outputs bit for bit: each group's mean and variance from ``RowwiseMoments``
    (rowwise_moments.py), ``rstd = 1 / sqrt(max(var, 0) + eps)`` in double precision, rounded; without
    weight and bias ``(x - mean) * rstd``, else per channel ``scale = rstd * weight`` and
    ``bias' = -scale * mean + bias`` (fused), and ``scale * x + bias'`` (fused). (PyTorch computes a
    channels-last input another way, whose last bits this does not reproduce.)"""
    n, c = x.shape[0], x.shape[1]
    rows = np.ascontiguousarray(x).reshape(n * groups, _group_size(x.shape, groups))
    mean, var = rowwise_moments(rows)
    rstd = (1.0 / np.sqrt(np.maximum(var, np.float32(0)).astype(_F64) + eps)).astype(_F32)
    if w is None and b is None:
        out = rows - mean[:, None]
        out *= rstd[:, None]
    else:
        per = c // groups
        scale = rstd.reshape(n, groups, 1) * (np.float32(1) if w is None else w.reshape(1, groups, per))
        scale = np.broadcast_to(scale, (n, groups, per)).reshape(n * c, 1)
        shift = fused_multiply_add(-scale, np.repeat(mean, per).reshape(n * c, 1),
                                    np.float32(0) if b is None else np.tile(b.reshape(-1), n).reshape(n * c, 1))
        out = fused_multiply_add(rows.reshape(n * c, -1), scale, shift)
    return suggested_layout(np, out.reshape(x.shape), x)


def group_norm_op(input, groups, weight, bias, eps):
    same_device("native_group_norm", input, weight, bias)
    out = _GN.table[input._device.type](input._data, None if weight is None else weight._data,
                                        None if bias is None else bias._data, groups, eps)
    res = wrap(out, input._device)
    if gs.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                       or (bias is not None and bias._requires_grad)):
        record(_GN, res, (input, weight, bias), {"groups": groups, "eps": eps})
    return res


_GN = nnop("group_norm", _gn_kernel, group_norm_op, node="NativeGroupNormBackward0")


@formula("group_norm", saves=(0, 1))
def _gn_grad(node, g):
    # written with tensorgraft ops from the saved input, so create_graph=True can differentiate it
    x, w, _ = node.inputs
    nx, nw, nb = node.needs_input_grad
    groups, eps = node.attrs["groups"], node.attrs["eps"]
    n, c = x.shape[0], x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    per_channel = (0,) + tuple(range(2, x.ndim))
    per = _group_size(x.shape, groups)
    rows = x.reshape(n, groups, per)
    xc = rows - rows.mean(-1, keepdim=True)
    invstd = ((xc * xc).mean(-1, keepdim=True) + eps).rsqrt()
    xhat = xc * invstd
    gx = gw = gb = None
    if nx:
        gy = (g if w is None else g * w.reshape(shape)).reshape(n, groups, per)
        gx = ((gy - gy.mean(-1, keepdim=True) - xhat * (gy * xhat).mean(-1, keepdim=True)) * invstd).reshape(x.shape)
    if nw:
        gw = (g * xhat.reshape(x.shape)).sum(per_channel)
    if nb:
        gb = g.sum(per_channel)
    return gx, gw, gb
