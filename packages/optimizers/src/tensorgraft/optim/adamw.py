"""``AdamW``: Adam with decoupled weight decay (default ``weight_decay=1e-2``).

The update itself lives in :class:`Adam`; AdamW only differs in its defaults and in always running
with ``decoupled_weight_decay=True`` (also for groups restored from an older state_dict).
"""
from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]

_DECOUPLED = {"decoupled_weight_decay": True}


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        flags = {"maximize": maximize, "foreach": foreach, "capturable": capturable,
                 "differentiable": differentiable, "fused": fused}
        flags.update(_DECOUPLED)
        Adam.__init__(self, params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                      **flags)

    def __setstate__(self, state):
        Adam.__setstate__(self, state)
        for grp in self.param_groups:
            grp.update(_DECOUPLED)
