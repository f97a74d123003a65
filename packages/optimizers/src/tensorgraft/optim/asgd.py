"""``ASGD``: averaged stochastic gradient descent. ``eta`` (the decaying step) and ``mu`` (the
averaging weight) are per-parameter 0-d tensors holding float32-rounded values, as PyTorch keeps them
(float32, or the parameter's dtype after ``load_state_dict``); ``ax`` is the average."""
from __future__ import annotations

import numpy as np

from ._checks import check, check_lr
from ._flat import FlatOptimizer, grad_prologue
from ._half_precision import add_scaled_, half_scalar, round_to_half_

__all__ = ["ASGD"]


class ASGD(FlatOptimizer):
    _half_opmath = True
    _n_tmp = 1
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))
    _scalar_state_keys = ("step", "eta", "mu")
    _capturable_checked = ("params, mus, etas, and state_steps",) * 2

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        check_lr(lr)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _spec(self, group):
        return [("step", "count"), ("eta", ("scalar", group["lr"])), ("mu", ("scalar", 1.0)), ("ax", 0.0)]

    def _consts(self, group, s):
        return {"eta": s["eta"], "mu": s["mu"]}      # this step uses the values the previous step left

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, = T
        grad_prologue(xp, group, P, G, T0, k=k)
        eta = k["eta"]
        P *= 1 - group["lambd"] * eta
        round_to_half_(k, P)
        add_scaled_(xp, P, -half_scalar(k, eta), G, T0)  # param.add_(grad, alpha=-eta)
        round_to_half_(k, P)
        ax = S["ax"]
        if k["mu"] != 1:  # ax.add_(param.sub(ax).mul_(mu))
            xp.subtract(P, ax, out=T0)
            round_to_half_(k, T0)
            T0 *= k["mu"]
            round_to_half_(k, T0)
            ax += T0
        else:
            xp.copyto(ax, P)

    def _run_bucket(self, group, b) -> None:
        super()._run_bucket(group, b)
        # then eta and mu for the next step, from the new step count, rounded to float32 as PyTorch
        # computes them (also where a loaded state keeps them in the parameter's dtype)
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        eta, mu = b.scalars["eta"], b.scalars["mu"]
        foreach = bool(group["foreach"])
        for i, step in enumerate(b.scalars["step"].tolist()):
            eta[i] = _foreach_eta(lr, lambd, alpha, step) if foreach else np.float32(lr / ((1 + lambd * lr * step) ** alpha))
            mu[i] = np.float32(1 / max(1, step - t0))


def _foreach_eta(lr, lambd, alpha, step):
    """eta as PyTorch's foreach path computes it: arithmetic on the float32 step counters (the power
    correctly rounded), whatever dtype eta is kept in."""
    f32 = np.float32
    base = f32(1) + f32(f32(lambd * lr) * f32(step))
    return f32(lr) * f32(f32(1) / f32(float(base) ** alpha))
