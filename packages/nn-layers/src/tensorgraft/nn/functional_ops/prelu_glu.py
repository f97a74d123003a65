"""The activations with a second operand or a gate: prelu (a learned slope per channel) and glu
(one half of the input gating the other), each one fused op with a backward op of its own for
``create_graph=True``."""
from __future__ import annotations

from ._common import Tensor, formula, gs, nnop, record, same_device, wrap
from .activation_builders import _backward_op, _sig


# ---------------------------------------------------------------- prelu
# One node (PreluKernelBackward0) over the input and the weight already viewed to broadcast
# against it, as ATen records it; with create_graph=True both gradients come from one node of their
# own (PreluKernelBackwardBackward0, over the output gradient, the input and the weight).
def _prelu_k(xp, x, w):
    return xp.where(x > 0, x, x * w)


def prelu_op(input, weight_view):
    same_device("_prelu_kernel", input, weight_view)
    out = wrap(_PRELU.table[input._device.type](input._data, weight_view._data), input._device)
    if gs.enabled and (input._requires_grad or weight_view._requires_grad):
        record(_PRELU, out, (input, weight_view), None)
    return out


_PRELU = nnop("prelu", _prelu_k, prelu_op, node="PreluKernelBackward0")


def _sum_to(t, shape):
    """``t`` summed over the dims it was broadcast along to reach its shape from ``shape``."""
    if tuple(t.shape) == tuple(shape):
        return t
    return t.sum_to_size(*shape) if len(shape) else t.sum()


def _prelu_b(xp, x, w, g):
    flat = ~(x > 0)  # as ATen: a NaN input takes the slope's side (gradient w, weight gradient NaN)
    gw = xp.where(flat, g * x, xp.zeros((), g.dtype))
    lead = gw.ndim - w.ndim
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(w.shape) if n == 1 and gw.shape[lead + i] != 1)
    if axes:
        gw = gw.sum(axis=axes, keepdims=True).reshape(w.shape)
    return xp.where(flat, g * w, g), gw


def prelu_backward_op(grad, input, weight_view):
    """Both gradients of prelu for ``grad``, as tensors of one node when recorded."""
    gx, gw = _PRELU_BACKWARD.table[grad._device.type](input._data, weight_view._data, grad._data)
    gx, gw = wrap(gx, grad._device), wrap(gw, grad._device)
    if gs.enabled and (grad._requires_grad or input._requires_grad or weight_view._requires_grad):
        Tensor._autograd.record_multi(_PRELU_BACKWARD, (gx, gw), (grad, input, weight_view), None)
    return gx, gw


_PRELU_BACKWARD = nnop("prelu_backward", _prelu_b, prelu_backward_op, node="PreluKernelBackwardBackward0")


@formula("prelu", saves=(0, 1))
def _prelu_grad(node, g):
    x, w = node.inputs
    nx, nw = node.needs_input_grad
    if gs.enabled:
        gx, gw = prelu_backward_op(g, x, w)
    else:
        from tensorgraft.device import get_backend
        gx, gw = _prelu_b(get_backend(g._device).xp, x._data, w._data, g._data)
        gx, gw = wrap(gx, g._device), wrap(gw, g._device)
    return gx if nx else None, gw if nw else None


@formula("prelu_backward")
def _prelu_grad_of_grad(node, grads):
    # gx = where(x > 0, g, g w) and gw = sum over the broadcast dims of where(x > 0, 0, g x): both
    # bilinear, with a mask that is flat in x
    import tensorgraft as tg
    g, x, w = node.inputs
    ggx, ggw = grads
    need_g, need_x, need_w = node.needs_input_grad
    # ATen's double backward splits at x >= 0, not x > 0: a zero input is on the identity's side
    # here though on the slope's side in the first backward; a NaN input is on the slope's side
    flat = ~(x >= 0)
    zero = g.new_zeros(())
    if ggx is None:
        ggx = tg.zeros_like(g)
    from_w = ggx * w if ggw is None else ggx * w + x * ggw
    d_g = tg.where(flat, from_w, ggx) if need_g else None
    d_x = (tg.zeros_like(x) if ggw is None else tg.where(flat, g * ggw, zero)) if need_x else None
    d_w = _sum_to(tg.where(flat, g * ggx, zero), tuple(w.shape)) if need_w else None
    return d_g, d_x, d_w


_prelu_grad_of_grad.multi_output = True


# ---------------------------------------------------------------- glu
# ``a * sigmoid(b)`` for the two halves of ``dim``: one node (GluBackward0) as in ATen, and its
# gradient, with create_graph=True, one node of its own (GluBackwardBackward0).
def _glu_k(xp, x, dim):
    a, b = xp.split(x, 2, axis=dim)
    return a * _sig(xp, b)


def glu_op(input, dim):
    out = wrap(_GLU.table[input._device.type](input._data, dim), input._device)
    if gs.enabled and input._requires_grad:
        record(_GLU, out, (input,), {"dim": dim})
    return out


_GLU = nnop("glu", _glu_k, glu_op, node="GluBackward0")


def _glu_b(xp, x, g, dim):
    a, b = xp.split(x, 2, axis=dim)
    s = _sig(xp, b)
    return xp.concatenate([g * s, g * a * s * (1 - s)], axis=dim)


def _glu_adjoint(x, gg, dim):
    a, b = x.chunk(2, dim)
    gga, ggb = gg.chunk(2, dim)
    s = b.sigmoid()
    return gga * s + ggb * a * s * (1 - s)


def _glu_dd(x, g, gg, dim):
    import tensorgraft as tg
    a, b = x.chunk(2, dim)
    gga, ggb = gg.chunk(2, dim)
    s = b.sigmoid()
    ds = s * (1 - s)
    return tg.cat([ggb * g * ds, g * ds * (gga + ggb * a * (1 - 2 * s))], dim)


_GLU_BACKWARD = _backward_op("glu", _glu_b, "GluBackwardBackward0", _glu_dd, _glu_adjoint)


@formula("glu", saves=(0,))
def _glu_grad(node, g):
    x = node.inputs[0]
    dim = node.attrs["dim"]
    if gs.enabled:
        return (_GLU_BACKWARD(x, g, dim),)
    from tensorgraft.device import get_backend
    return (wrap(_glu_b(get_backend(x._device).xp, x._data, g._data, dim), g._device),)
