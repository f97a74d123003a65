"""``Adadelta`` (``rho``)."""
from __future__ import annotations

from ._checks import check, check_lr
from ._flat import FlatOptimizer, grad_prologue, square_avg_
from ._half_precision import add_scaled_, half_scalar, round_to_half_

__all__ = ["Adadelta"]


class Adadelta(FlatOptimizer):
    _half_opmath = True
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))
    _scalar_state_keys = ("step",)
    _capturable_xla = (False, False)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _spec(self, group):
        return [("step", "count"), ("square_avg", 0.0), ("acc_delta", 0.0)]

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        rho = group["rho"]
        eps = half_scalar(k, group["eps"])
        grad_prologue(xp, group, P, G, T0, k=k)
        sq, acc = S["square_avg"], S["acc_delta"]
        square_avg_(xp, sq, G, rho, T0, k)
        xp.add(sq, eps, out=T0)
        round_to_half_(k, T0)
        xp.sqrt(T0, out=T0)
        round_to_half_(k, T0)
        xp.add(acc, eps, out=T1)
        round_to_half_(k, T1)
        xp.sqrt(T1, out=T1)
        round_to_half_(k, T1)
        T1 /= T0
        round_to_half_(k, T1)
        T1 *= G                                  # the update (delta)
        round_to_half_(k, T1)
        square_avg_(xp, acc, T1, rho, T0, k)
        add_scaled_(xp, P, -half_scalar(k, group["lr"]), T1, T0)  # param.add_(delta, alpha=-lr)
