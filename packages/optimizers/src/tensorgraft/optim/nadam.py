"""``NAdam``: Adam with Nesterov momentum (``momentum_decay``, optional decoupled weight decay)."""
from __future__ import annotations

import numpy as np

from ._checks import check, check_adam_family
from ._flat import FlatOptimizer, RoundedScalar, adam_moments_
from ._half_precision import half_scalar, round_to_half_

__all__ = ["NAdam"]


class NAdam(FlatOptimizer):
    _group_setdefaults = (("maximize", False), ("foreach", None), ("capturable", False), ("differentiable", False),
                          ("decoupled_weight_decay", False))
    _lerped_state = ("exp_avg",)
    _scalar_state_keys = ("step", "mu_product")
    _capturable_checked = ("params, mu_products and state_steps", "params, mu_products, and state_steps")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_adam_family(lr, betas, eps, weight_decay)
        check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    _half_opmath = True

    def _spec(self, group):
        return [("step", "count"), ("mu_product", ("scalar", 1.0)), ("exp_avg", 0.0), ("exp_avg_sq", 0.0)]

    def _mu(self, group, t):
        return group["betas"][0] * (1.0 - 0.5 * (0.96 ** (t * group["momentum_decay"])))

    def _scalars(self, group, scalars):
        step, mu_product = scalars["step"], scalars["mu_product"]
        step += 1
        # mu from Python floats (NumPy's vectorised power can differ in the last bit); the product is
        # float32 unless a loaded state made it the parameter's dtype
        cast = mu_product.dtype.type
        for i, t in enumerate(step.tolist()):
            mu_product[i] *= cast(self._mu(group, t))

    def _consts(self, group, s):
        t, mp = s["step"], s["mu_product"]
        lr = group["lr"]
        mu = self._mu(group, t)
        mu_next = self._mu(group, t + 1)
        if group["differentiable"] and not group.get("foreach"):
            # PyTorch's differentiable path keeps mu_product a (float32) tensor in these constants:
            # each is 0-d float32 arithmetic, ``c / (1 - mp)`` being ``(1 - mp).reciprocal() * c``
            mp = RoundedScalar(mp, np.float32)
        mp_next = mp * mu_next
        return {"bc2": 1 - group["betas"][1] ** t, "c_grad": -lr * (1.0 - mu) / (1.0 - mp),
                "c_avg": (-lr * mu_next) / (1.0 - mp_next)}

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        m, v = adam_moments_(xp, group, P, G, S, T0, k)
        xp.divide(v, k["bc2"], out=T0)
        round_to_half_(k, T0)
        xp.sqrt(T0, out=T0)
        round_to_half_(k, T0)
        T0 += half_scalar(k, group["eps"])
        round_to_half_(k, T0)
        # (the differentiable path scales grad and exp_avg as ops of their own, then addcdiv_ by 1)
        scaled = round_to_half_ if group["differentiable"] and not group.get("foreach") else _unrounded
        xp.multiply(G, k["c_grad"], out=T1)
        scaled(k, T1)
        T1 /= T0
        P += T1
        round_to_half_(k, P)
        xp.multiply(m, k["c_avg"], out=T1)
        scaled(k, T1)
        T1 /= T0
        P += T1


def _unrounded(k, *arrays) -> None:
    """(``round_to_half_``'s place where PyTorch's op does not end)"""
