"""The first derivatives of mse_loss, smooth_l1_loss and huber_loss as ops of their own, as in
PyTorch (``mse_loss_backward``...): with create_graph=True the gradient of such a loss hangs on one
node (``MseLossBackwardBackward0`` over the output gradient, the input and the target), and that
node's own derivatives are PyTorch's double-backward formulas (derivatives.yaml), not the
derivative of a composite. A target's gradient is the same op with input and target swapped
(``mse_loss_backward(grad, target, self)``), as PyTorch's formula writes it."""
from __future__ import annotations

import numpy as np

from tensorgraft.autograd.formulas.elementwise_common import _scalar_overload

from ._common import formula, gs, nnop, record, wrap
from .loss_reduction import _expand_g


def _fit(d, full, shape):
    """``d`` (of the broadcast shape ``full``) summed back to an operand's ``shape``."""
    shape = tuple(shape)
    return d if tuple(full) == shape else d.sum_to_size(*shape)


def _full(x, y):
    return np.broadcast_shapes(tuple(x.shape), tuple(y.shape))


def _mean_div(t, reduction, n):
    # PyTorch divides by the input's numel in place (``grad_input /= numel``): a Scalar division
    return _scalar_overload("div", "DivBackward1", t, n) if reduction == "mean" else t


def loss_backward_op(name, bwd, node, double, grad_output=None):
    """``name``'s backward as an op: ``bwd(xp, x, y, nx, ny, *params) -> (dx, _)`` is the loss's
    NumPy derivative (the same kernel a plain backward runs, so values do not change);
    ``double(grad, x, y, reduction, n, *params)`` PyTorch's ``<loss>_double_backward`` (the
    derivative for ``self``; ``target`` gets its negation); ``grad_output(backward, gg, g, x, y,
    reduction, *params)``, when given, replaces the derivative for the output gradient (huber's;
    ``backward`` is this op)."""
    holder = []

    def kernel(xp, g, x, y, reduction, *params):
        n = int(np.prod(np.broadcast_shapes(x.shape, y.shape)))
        d, _ = bwd(xp, x, y, True, False, *params)
        return d * _expand_g(xp, g, reduction, None, n)

    def frontend(g, x, y, reduction, *params):
        op = holder[0]
        out = wrap(op.table[x._device.type](g._data, x._data, y._data, reduction, *params), x._device)
        if gs.enabled and (g._requires_grad or x._requires_grad or y._requires_grad):
            record(op, out, (g, x, y), (reduction,) + tuple(params))
        return out

    op = nnop(name + "_backward", kernel, frontend, node=node)
    holder.append(op)

    @formula(name + "_backward")
    def grad(n_, gg):
        g, x, y = n_.inputs
        reduction, *params = n_.attrs
        need_g, need_x, need_y = n_.needs_input_grad
        full = _full(x, y)
        n = int(np.prod(full))
        dg = dx = dy = None
        if need_g:
            if grad_output is not None:
                dg = grad_output(frontend, gg, g, x, y, reduction, *params)
            else:  # the same op over the incoming gradient; the engine sums it to g's shape
                dg = frontend(gg, x, y, reduction, *params)
            if tuple(dg.shape) != tuple(g.shape):
                dg = dg.sum() if g.ndim == 0 else dg.sum_to_size(*g.shape)
        if need_x:
            dx = _fit(double(gg * g, x, y, reduction, n, *params), full, x.shape)
        if need_y:
            dy = _fit(-double(gg * g, x, y, reduction, n, *params), full, y.shape)
        return dg, dx, dy
    return frontend


def _mse_double(grad, x, y, reduction, n):
    # mse_loss_double_backward: 2 * grad (a Scalar product), divided by numel for a mean
    return _mean_div(_scalar_overload("mul", "MulBackward1", grad, 2), reduction, n)


def _smooth_l1_double(grad, x, y, reduction, n, beta):
    import tensorgraft as tg
    if beta == 0:  # PyTorch's guard against a division by zero
        return tg.zeros_like(grad)
    mask = ((x.detach() - y.detach()).abs() < beta).to(grad.dtype)
    return _mean_div(_scalar_overload("div", "DivBackward1", grad * mask, beta), reduction, n)


def _huber_double(grad, x, y, reduction, n, delta):
    mask = ((x.detach() - y.detach()).abs() < delta).to(grad.dtype)
    return _mean_div(grad * mask, reduction, n)


def _huber_grad_output(backward, gg, g, x, y, reduction, delta):
    # huber_loss_double_backward_grad_output: the op itself for 'none'; else the op over ones,
    # times the incoming gradient, summed
    if reduction == "none":
        return backward(gg, x, y, reduction, delta)
    import tensorgraft as tg
    return (backward(tg.ones_like(g), x, y, reduction, delta) * gg).sum()
