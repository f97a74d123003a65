"""Hinge-type losses held as one op each: ``multi_margin_loss``, ``multilabel_margin_loss`` and
``soft_margin_loss``.

Each is one op holding its reduction, as ATen's are (grad_fn MultiMarginLossBackward0 /
MultilabelMarginLossBackward0 / SoftMarginLossBackward0 whatever the reduction). Inputs are (N, C), (C,) or a 0-d scalar;
the kernels see (N, C). The argument checks follow ATen's order and messages; the only host reads
of device values are the target-range checks, which raise PyTorch's errors.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.device import get_backend

from ._common import check_tensor, formula, gs, nnop, record, refuse_grad, wrap
from .linear import _scalar_name
from tensorgraft.dtypes import np_kind as _np_kind

_EMPTY_INPUT = "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "


def _check_shape(x):
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim == 1 and x.shape[0] != 0) or x.ndim == 0):
        raise RuntimeError(_EMPTY_INPUT + str(list(x.shape)))


def _check_floating(x, kernel):
    """These CPU kernels take float32 and float64 (no half types, no complex)."""
    if _np_kind(x.dtype) != "f" or x.dtype.itemsize == 2:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_name(x.dtype)}\'')


def _check_long(t):
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_scalar_name(t.dtype)}")


def _reduce(xp, per, reduction, keep_batch):
    """Sum / mean over samples (mean of none: nan) or the per-sample losses."""
    if reduction == "sum":
        return per.sum()
    if reduction == "mean":
        return per.mean() if per.size else xp.asarray(np.nan, dtype=per.dtype)
    return per if keep_batch else per.reshape(())


def _scale(xp, g, reduction, n):
    """The incoming gradient as an (N, 1) column of per-sample factors."""
    if reduction == "none":
        return g.reshape(-1, 1)
    return (g / n if reduction == "mean" else g).reshape(1, 1)


# ------------------------------------------------------------------ multi_margin_loss
def _mm_parts(xp, x, y, p, margin, w):
    """z = margin - x[y] + x[i] on the positive, non-target entries (else 0), and the target weights."""
    ar = xp.arange(x.shape[0])
    z = margin - x[ar, y][:, None] + x
    on = (z > 0) & (xp.arange(x.shape[1])[None, :] != y[:, None])
    z = xp.where(on, z, 0).astype(x.dtype, copy=False)
    wy = w[y][:, None] if w is not None else None
    return z, wy


def _mm_kernel(xp, x, y, p, margin, w, reduction, keep_batch):
    z, wy = _mm_parts(xp, x, y, p, margin, w)
    h = z if p == 1 else z * z
    if wy is not None:
        h = h * wy
    return _reduce(xp, h.sum(axis=1) / x.shape[1], reduction, keep_batch).astype(x.dtype, copy=False)


def multi_margin_loss(input, target, p, margin, weight, reduction):
    check_tensor(input, "multi_margin_loss")
    check_tensor(target, "multi_margin_loss", "target", 2)
    refuse_grad("multi_margin_loss", "weight", weight)   # (allowed under no_grad, as PyTorch's)
    x, y = input._data, target._data
    _check_shape(x)
    nframe = x.shape[0] if x.ndim == 2 else 1
    dim = x.shape[-1] if x.ndim else 1
    if y.ndim > 1 or y.size != nframe:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(y.shape)}. "
                           f"Input has shape {list(x.shape)}.")
    w = None
    if weight is not None:
        w = weight._data
        if w.ndim > 1 or w.size != dim:
            raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(w.shape)}")
    _check_floating(x, "multi_margin_loss_cpu_kernel")
    _check_long(y)
    if w is not None:
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(x.dtype)} but found {_scalar_name(w.dtype)}")
        w = w.reshape(-1)
    x2, y1 = x.reshape(nframe, dim), y.reshape(-1)
    if y1.size and bool(((y1 < 0) | (y1 >= dim)).any()):
        raise RuntimeError("target out of range")
    keep = y.ndim > 0
    op = _MM[0]
    out = wrap(op.table[input._device.type](x2, y1, p, float(margin), w, reduction, keep), input._device)
    if gs.enabled and input._requires_grad:
        record(op, out, (input,), (y1, p, float(margin), w, reduction))
    return out


@formula("multi_margin_loss", saves=(0,))
def _mm_grad(node, g):
    x = node.inputs[0]
    xp = get_backend(x._device).xp
    y, p, margin, w, reduction = node.attrs
    # (the class count spelled out: -1 cannot be inferred for an empty batch)
    x2 = x._data.reshape(y.shape[0], x._data.shape[-1] if x._data.ndim else 1)
    z, wy = _mm_parts(xp, x2, y, p, margin, w)
    dz = (z > 0).astype(x2.dtype) if p == 1 else 2 * z
    if wy is not None:
        dz = dz * wy
    dz = dz * (_scale(xp, g._data, reduction, x2.shape[0]).astype(x2.dtype) / x2.shape[1])
    # the target entry of dz is 0: it gets minus the sum of its row
    dz[xp.arange(x2.shape[0]), y] = -dz.sum(axis=1)
    return (refusing_derivative("multi_margin_loss_backward", wrap(dz.reshape(x._data.shape), g._device), g, x),)


# ------------------------------------------------------------------ multilabel_margin_loss
def _ml_parts(xp, x, t):
    """How often each class is a target of its row (N, C) (labels up to the first -1, repeats count)
    and the hinge 1 - x[target c] + x[d] (N, C, C), zero unless positive and d is no target."""
    N, C = x.shape
    valid = xp.cumsum(t < 0, axis=1) == 0
    flat = (xp.arange(N)[:, None] * C + xp.where(valid, t, 0)).reshape(-1)
    cnt = xp.bincount(flat, weights=valid.reshape(-1).astype(x.dtype), minlength=N * C)
    cnt = cnt.reshape(N, C).astype(x.dtype, copy=False)
    z = 1 - x[:, :, None] + x[:, None, :]
    z = xp.where((z > 0) & (cnt == 0)[:, None, :], z, 0).astype(x.dtype, copy=False)
    return cnt, z


def _ml_kernel(xp, x, t, reduction, keep_batch):
    cnt, z = _ml_parts(xp, x, t)
    per = (cnt[:, :, None] * z).sum(axis=(1, 2)) / x.shape[1]
    return _reduce(xp, per, reduction, keep_batch).astype(x.dtype, copy=False)


def multilabel_margin_loss(input, target, reduction):
    check_tensor(input, "multilabel_margin_loss")
    check_tensor(target, "multilabel_margin_loss", "target", 2)
    x, t = input._data, target._data
    _check_shape(x)
    nframe = x.shape[0] if x.ndim == 2 else 1
    dim = x.shape[-1] if x.ndim else 1
    if (t.ndim > 1 or t.size != dim) if x.ndim <= 1 else (t.ndim != 2 or t.shape != x.shape):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    # the targets' range is checked first, on their values read as integers (whatever the dtype,
    # truncated), then the kernel's dtypes: the input's, then the target's
    if x.size and t.size:
        ti = np.trunc(t.astype(np.float64)) if _np_kind(t.dtype) in "fc" else t.astype(np.int64)
        if bool(((ti < -1) | (ti >= dim)).any()):
            raise RuntimeError("argument #2 'target' is out of range")
    _check_floating(x, "multilabel_margin_loss_forward_out_frame")
    _check_long(t)
    x2, t2 = x.reshape(nframe, dim), t.reshape(nframe, dim)
    op = _ML[0]
    out = wrap(op.table[input._device.type](x2, t2, reduction, t.ndim > 1), input._device)
    if gs.enabled and input._requires_grad:
        record(op, out, (input,), (t2, reduction))
    return out


@formula("multilabel_margin_loss", saves=(0,))
def _ml_grad(node, g):
    x = node.inputs[0]
    xp = get_backend(x._device).xp
    t, reduction = node.attrs
    x2 = x._data.reshape(t.shape)
    cnt, z = _ml_parts(xp, x2, t)
    W = cnt[:, :, None] * (z > 0)   # d loss / d x[d] through the pair (target c, non-target d)
    dx = W.sum(axis=1) - W.sum(axis=2)
    dx = dx * (_scale(xp, g._data, reduction, x2.shape[0]).astype(x2.dtype) / x2.shape[1])
    dx = wrap(dx.astype(x2.dtype, copy=False).reshape(x._data.shape), g._device)
    return (refusing_derivative("multilabel_margin_loss_backward", dx, g, x),)


# PyTorch's backward ops of these losses (and ctc_loss's) have no derivative: with create_graph=True
# their gradient still requires grad, through a ``NotImplemented`` node that raises when reached
_NO_DERIVATIVE = nnop("loss_backward_without_derivative", lambda xp, *a: None, None, node="NotImplemented")


def refusing_derivative(aten_name, dx, g, x):
    """``dx`` (computed from ``g`` and ``x``) behind PyTorch's node for ``aten::<aten_name>``."""
    if gs.enabled:
        live = tuple(t for t in (g, x) if t._requires_grad)
        if live:
            record(_NO_DERIVATIVE, dx, live, (aten_name,))
    return dx


@formula("loss_backward_without_derivative")
def _no_derivative(node, gg):
    raise RuntimeError(f"derivative for aten::{node.attrs[0]} is not implemented")


_MM = [nnop("multi_margin_loss", _mm_kernel, multi_margin_loss)]
_ML = [nnop("multilabel_margin_loss", _ml_kernel, multilabel_margin_loss)]


# ------------------------------------------------------------------ soft_margin_loss
# log(1 + exp(-y x)) per element (input and target broadcast), then the reduction. Only the input
# is differentiable, as in ATen; the gradient is written with tensorgraft ops (double backward).
def _sm_kernel(xp, x, y, reduction):
    if x.dtype.itemsize == 2:
        # float16/bfloat16: ATen runs neg, mul_, exp_, log1p_ on the half tensor, each rounded to
        # it (so exp overflows float16's 65504 to inf, and the loss is inf), and reduces in float32
        # (the op is bf16_native: the registry does not widen it)
        per = xp.log1p(xp.exp(-x * y))
        if reduction == "none":
            return per
        return _reduce(xp, per.astype(np.float32), reduction, True).astype(x.dtype)
    z = -y * x
    per = xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(z, 0)
    return _reduce(xp, per, reduction, True)


def _check_broadcasts_into(out_shape, other_shape):
    """PyTorch's errors for an operand of ``other_shape`` written into an ``out_shape`` result:
    sizes that do not broadcast (tensor a is the output's), or a broadcast that grows it."""
    a, b = tuple(out_shape), tuple(other_shape)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                               f"non-singleton dimension {i}")
    full = tuple(max(p, q) for p, q in zip(pa, pb))
    if full != a:
        raise RuntimeError(f"output with shape {list(a)} doesn't match the broadcast shape {list(full)}")


def soft_margin_loss(input, target, reduction):
    check_tensor(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target", 2)
    if gs.enabled and target._requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument "
                           "'target'. This input cannot have requires_grad True.")
    x, y = input._data, target._data
    # the loss is written into an array of the input's shape: the target must broadcast to it
    # (not past it), checked before any dtype
    if x.shape != y.shape:
        _check_broadcasts_into(x.shape, y.shape)
    # PyTorch writes the loss in the input's dtype (an integer or bool target is just converted;
    # a float64 target does not make a float32 input's loss float64). It negates the input first,
    # which a bool input refuses, and an integer input cannot hold the floating result.
    if x.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    if _np_kind(x.dtype) != "f":
        # an integer input with a floating target takes the target's dtype (PyTorch's promotion,
        # not NumPy's, which would widen int64 + float32 to float64); with an integer one, Float
        result = _scalar_name(y.dtype) if _np_kind(y.dtype) == "f" else "Float"
        raise RuntimeError(f"result type {result} can't be cast to the desired output type {_scalar_name(x.dtype)}")
    dtype = x.dtype
    out = _SM.table[input._device.type](x.astype(dtype, copy=False), y.astype(dtype, copy=False), reduction)
    res = wrap(out.astype(dtype, copy=False), input._device)
    if gs.enabled and input._requires_grad:
        record(_SM, res, (input,), {"target": y, "reduction": reduction})
    return res


_SM = nnop("soft_margin_loss", _sm_kernel, soft_margin_loss, node="SoftMarginLossBackward0", bf16_native=True)


@formula("soft_margin_loss", saves=(0,))
def _sm_grad(node, g):
    return (_sm_backward(g, node.inputs[0], node.attrs["target"], node.attrs["reduction"]),)


def _sm_backward_values(g, x, target, reduction):
    y = wrap(target, x._device)
    d = -y * (-y * x).sigmoid()
    if reduction == "mean":
        g = g / max(d.numel(), 1)
    gx = d * g
    if tuple(gx.shape) != tuple(x.shape):
        gx = gx.sum_to_size(*x.shape) if x.ndim else gx.sum()
    return gx.to(x.dtype)


def _sm_backward(g, x, target, reduction):
    """PyTorch's ``soft_margin_loss_backward`` as an op: with create_graph=True the input's gradient
    hangs on one ``SoftMarginLossBackwardBackward0`` node over the output gradient and the input,
    whose derivatives are PyTorch's double-backward formulas (below)."""
    import tensorgraft as tg
    if not gs.enabled:
        return _sm_backward_values(g, x, target, reduction)
    with tg.no_grad():
        out = _sm_backward_values(g, x, target, reduction)
    if g._requires_grad or x._requires_grad:
        record(_SM_BACKWARD, out, (g, x), {"target": target, "reduction": reduction})
    return out


_SM_BACKWARD = nnop("soft_margin_loss_backward", None, None, node="SoftMarginLossBackwardBackward0")


@formula("soft_margin_loss_backward", saves=(0, 1))
def _sm_backward_grad(node, gg):
    from tensorgraft.autograd.formulas.elementwise_common import _scalar_overload
    g, x = node.inputs
    target, reduction = node.attrs["target"], node.attrs["reduction"]
    need_g, need_x = node.needs_input_grad
    dg = dx = None
    if need_g:  # soft_margin_loss_double_backward_grad_output
        if reduction == "none":
            dg = _sm_backward(gg, x, target, reduction)
        else:
            import tensorgraft as tg
            dg = (_sm_backward(tg.ones_like(g), x, target, reduction) * gg).sum()
    if need_x:  # soft_margin_loss_double_backward(grad * grad_output, ...)
        y = wrap(target, x._device)
        z = (x * -y).exp()
        zplus1 = _scalar_overload("add", "AddBackward1", z, 1)
        dx = (gg * g) * (y * y) * z / (zplus1 * zplus1)
        if reduction == "mean":
            dx = _scalar_overload("div", "DivBackward1", dx, max(x.numel(), 1))
    return dg, dx
