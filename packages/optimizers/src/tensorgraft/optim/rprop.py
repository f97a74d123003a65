"""``Rprop``: resilient backpropagation (per-element step sizes grown or shrunk by the sign of
``grad * prev``; only the gradient's sign moves the parameter)."""
from __future__ import annotations

from ._checks import check, check_lr
from ._flat import FlatOptimizer

__all__ = ["Rprop"]


class Rprop(FlatOptimizer):
    _n_tmp = 2
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("capturable", False))
    _scalar_state_keys = ("step",)
    _capturable_xla = (True, True)
    _state_shape_grad_first = True

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _spec(self, group):
        # step_size starts at the group's lr when the state is created (PyTorch's full_like(grad, lr))
        return [("step", "count"), ("prev", 0.0), ("step_size", float(group["lr"]))]

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        if group["maximize"]:
            xp.negative(G, out=G)
        prev, step_size = S["prev"], S["step_size"]
        f = P.dtype.type                        # PyTorch writes the etas into a tensor of the param's dtype
        etaminus, etaplus = (f(e) for e in group["etas"])
        lo, hi = (f(s) for s in group["step_sizes"])
        xp.multiply(G, prev, out=T0)
        # the factor per element: etaplus where the sign kept, etaminus where it flipped, 1 at a zero
        xp.sign(T0, out=T1)
        T0[...] = xp.where(T1 > 0, etaplus, xp.where(T1 < 0, etaminus, f(1)))
        step_size *= T0
        xp.clip(step_size, lo, hi, out=step_size)
        G[T0 == etaminus] = 0                   # after a sign flip: no move now, and no flip test next step
        xp.sign(G, out=T1)
        xp.nan_to_num(T1, copy=False, nan=0.0)  # (PyTorch's sign of NaN is 0: a NaN gradient moves nothing)
        T1 *= step_size
        P -= T1
        xp.copyto(prev, G)
