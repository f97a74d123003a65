"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from tensorgraft.tensor import Tensor, wrap

from ._checks import check_fused, check_not_below_zero
from ._flat import FlatOptimizer, grad_prologue
from ._half_precision import add_scaled_, half_scalar, round_to_half_

__all__ = ["SGD"]

_SPARSE_PLUS_DENSE = "add(sparse, dense) is not supported. Use add(dense, sparse) instead."


class SGD(FlatOptimizer):
    _n_tmp = 1
    _half_opmath = True
    _real_state_for_complex = "cast"
    _fused_complex_refusal = "sgd"
    _group_setdefaults = (("nesterov", False), ("maximize", False), ("foreach", None), ("differentiable", False),
                          ("fused", False))

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check_not_below_zero(lr, f"Invalid learning rate: {lr}")
        check_not_below_zero(momentum, f"Invalid momentum value: {momentum}")
        check_not_below_zero(weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _spec(self, group):
        return [("momentum_buffer", "grad")] if group["momentum"] != 0 else []

    def _sparse_step(self, group, params) -> None:
        """PyTorch's update for a sparse gradient: the touched rows only. The momentum buffer of
        such a parameter is a sparse tensor (kept coalesced here, so it holds at most one entry per
        touched row, where PyTorch's keeps every entry it was given); weight decay is refused with
        PyTorch's error (it would add the dense parameter to the sparse gradient)."""
        if group["weight_decay"] != 0:
            raise RuntimeError(_SPARSE_PLUS_DENSE)
        momentum, lr = group["momentum"], group["lr"]
        for p in params:
            g = p._grad._data
            if group["maximize"]:
                g = g.with_values(-g.values)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is not None and not buf.is_sparse:
                    # a dense buffer (from earlier dense gradients) stays dense, as PyTorch's
                    # ``buf.mul_(momentum).add_(grad, alpha=1 - dampening)``; Nesterov's
                    # ``grad.add(buf, alpha=momentum)`` is then sparse + dense, which PyTorch refuses
                    B = buf._data
                    B *= momentum
                    g.with_values(g.values * (1 - group["dampening"])).add_into(B)
                    buf._vc[0] += 1
                    if group["nesterov"]:
                        raise RuntimeError(_SPARSE_PLUS_DENSE)
                    p._data -= B * lr
                    p._vc[0] += 1
                    continue
                if buf is None:
                    buf = wrap(g.copy(), p._device)
                else:
                    dampened = g if group["dampening"] == 0 else g.with_values(g.values * (1 - group["dampening"]))
                    buf = wrap(buf._data.with_values(buf._data.values * momentum).accumulated(dampened).coalesce(),
                               p._device)
                state["momentum_buffer"] = buf
                if group["nesterov"]:
                    g = g.accumulated(buf._data.with_values(buf._data.values * momentum))
                else:
                    g = buf._data
            g.with_values(g.values * -lr).add_into(p._data)
            p._vc[0] += 1

    def _scalars(self, group, scalars):
        pass

    def _writes_grad(self, group) -> bool:
        # maximize negates G in place, weight decay and Nesterov add into it; otherwise G is only read
        return bool(group["maximize"] or group["weight_decay"] != 0
                    or (group["momentum"] != 0 and group["nesterov"]))

    def _kernel(self, xp, group, k, P, G, S, T):
        T0, = T
        grad_prologue(xp, group, P, G, T0, k=k)
        momentum = group["momentum"]
        if momentum != 0:
            buf = S["momentum_buffer"]
            if k["fresh"]:
                xp.copyto(buf, G)
            else:  # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                buf *= momentum
                round_to_half_(k, buf)
                add_scaled_(xp, buf, half_scalar(k, 1 - group["dampening"]), G, T0)
                round_to_half_(k, buf)
            if group["nesterov"]:  # grad.add(buf, alpha=momentum)
                add_scaled_(xp, G, half_scalar(k, momentum), buf, T0)
                round_to_half_(k, G)
            else:
                G = buf
        add_scaled_(xp, P, -half_scalar(k, group["lr"]), G, T0)  # param.add_(grad, alpha=-lr): rounded at the end
