"""``RAdam``: rectified Adam (optional decoupled weight decay)."""
from __future__ import annotations

from ._checks import check_adam_family
from ._flat import FlatOptimizer, adam_moments_
from ._half_precision import half_scalar, round_to_half_

__all__ = ["RAdam"]


class RAdam(FlatOptimizer):
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("decoupled_weight_decay", False),
                          ("capturable", False))
    _lerped_state = ("exp_avg",)
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_adam_family(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _half_opmath = True

    def _spec(self, group):
        return [("step", "count"), ("exp_avg", 0.0), ("exp_avg_sq", 0.0)]

    def _consts(self, group, s):
        beta1, beta2 = group["betas"]
        t = s["step"]
        bc1 = 1 - beta1 ** t
        bc2 = 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bc2
        k = {"bc1": bc1, "rect": None}
        if rho_t > 5.0:
            k["rect"] = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            k["bc2_sqrt"] = bc2 ** 0.5
        return k

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        m, v = adam_moments_(xp, group, P, G, S, T0, k)
        xp.divide(m, k["bc1"], out=T1)
        round_to_half_(k, T1)
        T1 *= group["lr"]
        round_to_half_(k, T1)
        if k["rect"] is not None:
            xp.sqrt(v, out=T0)
            round_to_half_(k, T0)
            T0 += half_scalar(k, group["eps"])
            round_to_half_(k, T0)
            # ``bias_correction2 ** 0.5 / t`` is Tensor.__rtruediv__: ``t.reciprocal() * number``
            xp.reciprocal(T0, out=T0)
            round_to_half_(k, T0)
            T0 *= k["bc2_sqrt"]
            round_to_half_(k, T0)
            T1 *= T0
            round_to_half_(k, T1)
            T1 *= k["rect"]
            round_to_half_(k, T1)
        P -= T1  # param.add_(update, alpha=-1.0)
