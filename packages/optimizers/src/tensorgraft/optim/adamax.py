"""``Adamax``: Adam with the infinity norm."""
from __future__ import annotations

from ._checks import check_adam_family
from ._flat import FlatOptimizer, grad_prologue, lerp_
from ._half_precision import half_scalar, round_to_half_

__all__ = ["Adamax"]


class Adamax(FlatOptimizer):
    _half_opmath = True
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))
    _lerped_state = ("exp_avg",)
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_adam_family(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _spec(self, group):
        return [("step", "count"), ("exp_avg", 0.0), ("exp_inf", 0.0)]

    def _consts(self, group, s):
        return {"clr": group["lr"] / (1 - group["betas"][0] ** s["step"])}

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        beta1, beta2 = group["betas"]
        grad_prologue(xp, group, P, G, T0, k=k)
        m, u = S["exp_avg"], S["exp_inf"]
        lerp_(xp, m, G, 1 - beta1, T0, k)
        u *= beta2
        round_to_half_(k, u)
        xp.abs(G, out=T0)
        T0 += half_scalar(k, group["eps"])
        round_to_half_(k, T0)
        xp.maximum(u, T0, out=u)
        xp.multiply(m, -k["clr"], out=T1)
        T1 /= u
        P += T1
