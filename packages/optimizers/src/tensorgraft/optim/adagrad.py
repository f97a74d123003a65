"""``Adagrad`` (``lr_decay``, ``initial_accumulator_value``). State is created in the constructor, as
in PyTorch."""
from __future__ import annotations

import numpy as np

from tensorgraft.device import device as _device, get_backend
from tensorgraft.tensor import wrap

from ._checks import check, check_fused, check_lr
from ._flat import FlatOptimizer, grad_prologue
from ._half_precision import half_scalar, multiply_add_, round_to_half_
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["Adagrad"]


class Adagrad(FlatOptimizer):
    _half_opmath = True
    _group_setdefaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("fused", None))
    _scalar_state_keys = ("step",)
    _fused_complex_refusal = "adagrad"

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= initial_accumulator_value, f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        cpu = _device("cpu")
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = wrap(np.zeros((), dtype=np.float32), cpu)
                xp = get_backend(p._device).xp
                init = initial_accumulator_value
                if _np_kind(p._data.dtype) == "c":
                    init = complex(init, init)      # as PyTorch: both reals of a complex entry accumulate
                state["sum"] = wrap(xp.full(p._data.shape, init, dtype=p._data.dtype), p._device)

    def _spec(self, group):
        # As PyTorch: the accumulator starts from the optimizer-wide value (``defaults``), also for a group
        # that gives its own ``initial_accumulator_value`` (kept in the group, but unused)
        return [("step", "count"), ("sum", float(self.defaults["initial_accumulator_value"]))]

    def _consts(self, group, s):
        return {"clr": group["lr"] / (1 + (s["step"] - 1) * group["lr_decay"])}

    def _sparse_step(self, group, params) -> None:
        """PyTorch's sparse update: the gradient coalesced, its squares added to the accumulator's
        rows, and only those rows of the parameter moved."""
        if group["weight_decay"] != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        for p in params:
            g = p._grad._data.coalesce()
            values = -g.values if group["maximize"] else g.values
            state = self.state[p]
            step = state["step"]
            step._data[...] = step._data + 1
            clr = group["lr"] / (1 + (float(step._data) - 1) * group["lr_decay"])
            where = tuple(g.indices)
            acc = state["sum"]._data
            acc[where] += values * values
            std = np.sqrt(acc[where]) + group["eps"]
            p._data[where] += (values / std) * -clr
            p._vc[0] += 1

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, T1 = T
        grad_prologue(xp, group, P, G, T0, k=k)
        acc = S["sum"]
        xp.copyto(T0, G)
        multiply_add_(xp, k, acc, T0, G, acc)  # state_sum.addcmul_(grad, grad, value=1)
        xp.sqrt(acc, out=T0)
        round_to_half_(k, T0)
        T0 += half_scalar(k, group["eps"])
        round_to_half_(k, T0)
        xp.multiply(G, -k["clr"], out=T1)
        T1 /= T0
        P += T1
