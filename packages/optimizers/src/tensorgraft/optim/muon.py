"""``Muon``: momentum whose (Nesterov) update is orthogonalised by a quintic Newton–Schulz iteration
before it is applied, for 2-D parameters.

PyTorch runs the iteration in bfloat16. NumPy and CuPy have no bfloat16, so the same arithmetic is
emulated: every intermediate PyTorch rounds to bfloat16 is computed as PyTorch's CPU kernels compute
it (matrix products accumulated in float32, each ``addmm`` rounded once to float32) and then rounded
to bfloat16's precision (round to nearest even), so updates agree with PyTorch's bit for bit except
where a float32 product summed in another order lands on a bfloat16 rounding boundary."""
from __future__ import annotations

import math

from tensorgraft.device import get_backend

from ._checks import check, check_lr
from ._flat import host_hyperparameters, lerp_
from .optimizer import Optimizer, evaluate_closure
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.sparse.coo_data import SparseCOOData

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(xp, a):
    """``a`` (any float dtype) rounded to bfloat16, held in float32 (as ``tensor.bfloat16()``)."""
    bits = xp.ascontiguousarray(a, dtype=xp.float32).view(xp.uint32)
    bits = (bits + (((bits >> 16) & 1) + 0x7FFF)) & 0xFFFF0000      # round to nearest, ties to even
    return bits.astype(xp.uint32).view(xp.float32)


def _zeropower_via_newtonschulz(xp, grad, ns_coefficients, ns_steps, eps):
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (xp.float32(v) for v in ns_coefficients)
    x = _bf16(xp, grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(xp, xp.sqrt(xp.sum(x * x, dtype=xp.float32)))
    x = _bf16(xp, x / xp.maximum(norm, _bf16(xp, xp.float32(eps))))
    for _ in range(ns_steps):
        gram = _bf16(xp, x @ x.T)
        gram_update = _bf16(xp, _addmm(xp, gram, gram, gram, b, c))
        x = _bf16(xp, _addmm(xp, x, gram_update, x, a, 1))
    return x.T if tall else x


def _addmm(xp, bias, m1, m2, beta, alpha):
    """``beta * bias + alpha * (m1 @ m2)`` rounded once to float32, as PyTorch's bfloat16 addmm
    accumulates: the product in float32, then a fused multiply-add with the scaled bias (float64 here
    holds the exact result of that multiply-add)."""
    product = m1 @ m2
    if alpha != 1:
        product = alpha * product
    return (beta.astype(xp.float64) * bias.astype(xp.float64) + product.astype(xp.float64)).astype(xp.float32)


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    A, B = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        check_lr(lr, "Learning rate should be >= 0 but is: {}")
        check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        check(adjust_lr_fn is None or adjust_lr_fn in ["original", "match_rms_adamw"],
              f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            group = host_hyperparameters(group)
            lr, wd, momentum = group["lr"], group["weight_decay"], group["momentum"]
            # the group's state first, then the updates: a complex parameter (refused, as in PyTorch)
            # leaves the parameters before it with a zero momentum buffer but not updated
            params = []
            for p in group["params"]:
                if p._grad is None:
                    continue
                if _np_kind(p._data.dtype) == "c":
                    raise RuntimeError("Muon does not support complex parameters")
                if p._grad._data.__class__ is SparseCOOData:
                    raise RuntimeError("Muon does not support sparse gradients")
                if p._grad._data.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = p._grad.new_zeros(p._grad._data.shape)
                params.append(p)
            for p in params:
                xp = get_backend(p._device).xp
                grad = p._grad._data
                state = self.state[p]
                buf = state["momentum_buffer"]._data
                lerp_(xp, buf, grad, 1 - momentum, xp.empty_like(buf))
                if group["nesterov"]:
                    update = grad.copy()
                    lerp_(xp, update, buf, momentum, xp.empty_like(buf))   # grad.lerp(buf, momentum)
                else:
                    update = buf
                update = _zeropower_via_newtonschulz(xp, update, group["ns_coefficients"], group["ns_steps"],
                                                     group["eps"])
                adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p._data.shape)
                P = p._data
                P *= 1 - lr * wd
                P += update.astype(P.dtype) * -adjusted_lr
                p._vc[0] += 1
                state["momentum_buffer"]._vc[0] += 1
        return loss
