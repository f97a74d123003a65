"""``SignSGD``: p <- p - lr * sign(grad) (Bernstein et al., 2018), registered through the optimizers
part's hook. Needs tensorgraft-optim (imported only from that hook)."""
from __future__ import annotations

import tensorgraft as tg
from tensorgraft.optim import Optimizer


class SignSGD(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with tg.enable_grad():
                loss = closure()
        with tg.no_grad():
            for group in self.param_groups:
                lr, wd = group["lr"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if wd:
                        g = g + p * wd
                    p.sub_(g.sign() * lr)
        return loss
