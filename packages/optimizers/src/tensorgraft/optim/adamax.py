"""``Adamax``: Adam with the infinity norm."""
from __future__ import annotations

from ._flat import FlatOptimizer, check, grad_prologue, lerp_

__all__ = ["Adamax"]


class Adamax(FlatOptimizer):
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
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
        grad_prologue(xp, group, P, G, T0)
        m, u = S["exp_avg"], S["exp_inf"]
        lerp_(xp, m, G, 1 - beta1, T0)
        u *= beta2
        xp.abs(G, out=T0)
        T0 += group["eps"]
        xp.maximum(u, T0, out=u)
        xp.multiply(m, -k["clr"], out=T1)
        T1 /= u
        P += T1
