"""Power-average (LP) pooling, composed as PyTorch composes it: ``avg_pool(x ** p)`` times the window
size, then ``sign(s) * relu(|s|)`` to the power ``1 / p`` (a negative sum under an odd or fractional
``p`` gives NaN, as there); ``p = +-inf`` is a max pool of ``|x|``. The kernel size multiplies the
average whatever ceil_mode clips off the last window, again as PyTorch does. No op of its own: the
graph is the pools' and the elementwise ops', ending in ``PowBackward0`` like PyTorch's."""
from __future__ import annotations

import math
from tensorgraft.argument_errors import c_type_name

import tensorgraft as tg

from .. import functional as F  # (the pools; looked up when called, functional imports this module)


def _magnitude(out, norm_type, window):
    """``(sign(out) * relu(|out|) * window) ** (1 / p)``. Where a window's sum is zero the chain's
    upstream gradient is infinite (a fractional power at 0); PyTorch's gradient is zero there
    ("the gradient is set to zero as well"), because its sign and relu derivatives are a zero tensor
    and a masked select. Here sign's (zero) gradient is left out by taking the sign of the detached
    sum, and relu is the threshold at 0 (the same function, whose backward selects), so inf * 0
    never reaches the input as NaN."""
    return (tg.sign(out.detach()) * F.threshold(tg.abs(out), 0.0, 0.0)).mul(window).pow(1.0 / norm_type)


def _is_inf(norm_type, sign):
    return isinstance(norm_type, (int, float)) and norm_type == sign * math.inf


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    if _is_inf(norm_type, 1):
        return F.max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if _is_inf(norm_type, -1):
        return -F.max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = F.avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = F.avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if isinstance(kernel_size, (tuple, list)):  # PyTorch multiplies by kernel_size itself: a number only
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {c_type_name(kernel_size)}")
    return _magnitude(out, norm_type, kernel_size)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, rank):
    k = F._pair(kernel_size, rank)
    mx, avg = (F.max_pool2d, F.avg_pool2d) if rank == 2 else (F.max_pool3d, F.avg_pool3d)
    if _is_inf(norm_type, 1):
        return mx(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if _is_inf(norm_type, -1):
        return -mx(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _magnitude(out, norm_type, math.prod(k))


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)
