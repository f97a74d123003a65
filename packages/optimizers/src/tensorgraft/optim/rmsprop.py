"""``RMSprop`` (``alpha``, ``centered``, ``momentum``)."""
from __future__ import annotations

from ._checks import check, check_lr
from ._flat import FlatOptimizer, grad_prologue, lerp_, square_avg_
from ._half_precision import add_scaled_, half_scalar, multiply_add_, round_to_half_

__all__ = ["RMSprop"]


class RMSprop(FlatOptimizer):
    _half_opmath = True
    _group_setdefaults = (("momentum", 0), ("centered", False), ("foreach", None), ("maximize", False),
                          ("differentiable", False), ("capturable", False))
    _scalar_state_keys = ("step",)
    _lerped_state = ("grad_avg",)
    _capturable_xla = (True, True)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _spec(self, group):
        spec = [("step", "count"), ("square_avg", 0.0)]
        if group["momentum"] > 0:
            spec.append(("momentum_buffer", 0.0))
        if group["centered"]:
            spec.append(("grad_avg", 0.0))
        return spec

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        alpha = group["alpha"]
        grad_prologue(xp, group, P, G, T0, k=k)
        sq = S["square_avg"]
        square_avg_(xp, sq, G, alpha, T0, k)
        if group["centered"]:
            ga = S["grad_avg"]
            lerp_(xp, ga, G, 1 - alpha, T0, k)
            xp.negative(ga, out=T0)
            multiply_add_(xp, k, T0, T0, ga, sq)  # square_avg.addcmul(grad_avg, grad_avg, value=-1)
            xp.sqrt(T0, out=T0)
        else:
            xp.sqrt(sq, out=T0)
        round_to_half_(k, T0)
        T0 += half_scalar(k, group["eps"])
        round_to_half_(k, T0)
        if group["momentum"] > 0:
            xp.divide(G, T0, out=T1)
            buf = S["momentum_buffer"]
            buf *= group["momentum"]
            round_to_half_(k, buf)
            buf += T1  # buf.mul_(momentum).addcdiv_(grad, avg)
            round_to_half_(k, buf)
            add_scaled_(xp, P, -half_scalar(k, group["lr"]), buf, T1)  # param.add_(buf, alpha=-lr)
        else:
            xp.multiply(G, -group["lr"], out=T1)
            T1 /= T0
            P += T1
