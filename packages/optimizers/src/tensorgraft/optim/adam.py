"""``Adam`` (``amsgrad``, ``maximize``, coupled or decoupled weight decay)."""
from __future__ import annotations

from ._checks import check_adam_family, check_fused, check_tensor_hyperparameters
import numpy as np

from ._flat import FlatOptimizer, RoundedScalar, adam_moments_
from ._half_precision import half_scalar, round_to_half_

__all__ = ["Adam"]


class Adam(FlatOptimizer):
    _group_setdefaults = (("amsgrad", False), ("maximize", False), ("foreach", None), ("capturable", False),
                          ("differentiable", False), ("decoupled_weight_decay", False), ("fused", None))
    _lerped_state = ("exp_avg",)
    _half_opmath = True
    _scalar_state_keys = ("step",)
    _sparse_refusal = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_adam_family(lr, betas, eps, weight_decay)
        check_tensor_hyperparameters(lr, betas, foreach, capturable)
        betas = tuple(betas)  # (PyTorch's Adam/AdamW keep a tuple whatever they were given)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _spec(self, group):
        spec = [("step", "count"), ("exp_avg", 0.0), ("exp_avg_sq", 0.0)]
        if group["amsgrad"]:
            spec.append(("max_exp_avg_sq", 0.0))
        return spec

    def _consts(self, group, s):
        beta1, beta2 = group["betas"]
        t = s["step"]
        if group["differentiable"] and not group.get("foreach"):
            # PyTorch's differentiable path takes the bias corrections from the float32 ``step``
            # tensor (0-d float32 arithmetic) and folds them into the denominator:
            # denom = sqrt(v) / (bc2_sqrt * -step_size) + eps / -step_size; param += m / denom
            t = RoundedScalar(t, np.float32)
            step_size_neg = -(group["lr"] / (1 - beta1 ** t))
            bc2_sqrt = (1 - beta2 ** t) ** 0.5
            return {"denom_scale": float(bc2_sqrt * step_size_neg), "denom_eps": float(group["eps"] / step_size_neg)}
        bc1 = 1 - beta1 ** t
        bc2 = 1 - beta2 ** t
        return {"step_size": group["lr"] / bc1, "bc2_sqrt": bc2 ** 0.5}

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        m, v = adam_moments_(xp, group, P, G, S, T0, k)
        if group["amsgrad"]:
            vmax = S["max_exp_avg_sq"]
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        xp.sqrt(v, out=T0)
        round_to_half_(k, T0)  # (each step of the denominator is an op of its own in PyTorch)
        if "denom_scale" in k:  # differentiable=True (see _consts)
            T0 /= k["denom_scale"]
            round_to_half_(k, T0)
            T0 += half_scalar(k, k["denom_eps"])
            round_to_half_(k, T0)
            xp.divide(m, T0, out=T1)  # param.addcdiv_(exp_avg, denom): rounded once
            P += T1
            return
        T0 /= k["bc2_sqrt"]
        round_to_half_(k, T0)
        T0 += half_scalar(k, group["eps"])
        round_to_half_(k, T0)
        xp.multiply(m, -k["step_size"], out=T1)   # addcdiv: (value * t1) / t2, rounded once
        T1 /= T0
        P += T1
