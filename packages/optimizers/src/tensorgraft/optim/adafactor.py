"""``Adafactor`` (PyTorch 2.5+'s): second moments factored into a row and a column average for
parameters of two or more dimensions (a vector for the rest), a relative step size
``max(eps2, RMS(param)) * min(lr, 1/sqrt(t))`` and update clipping at RMS ``d``.

Not element-wise (norms and the factored estimate span whole tensors), so each parameter is updated
on its own with array operations, as PyTorch's single-tensor path does."""
from __future__ import annotations

import math

import numpy as np


from tensorgraft.dtypes import finfo as _finfo

from tensorgraft.device import get_backend
from tensorgraft.tensor import wrap

from ._checks import check, check_lr
from ._flat import _NO_HALF, _check_state_shape, host_hyperparameters, lerp_
from ._half_precision import HALF_TYPES, half_scalar, round_to_half_
from tensorgraft.ops._bfloat16 import narrow, widen_half
from .optimizer import Optimizer, _scalar_tensor, evaluate_closure
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.sparse.coo_data import SparseCOOData

__all__ = ["Adafactor"]


def _norm(xp, a) -> float:
    return float(xp.sqrt(xp.sum(a * a)))


def _check_loaded_state(p, state) -> None:
    """A loaded state that does not fit the gradient fails with the message of PyTorch's in-place
    ``lerp_`` (state on the left), before any parameter of the group moved."""
    shape = tuple(p._grad._data.shape)
    if len(shape) > 1:
        want = (("row_var", shape[:-1] + (1,)), ("col_var", shape[:-2] + (1, shape[-1])))
    else:
        want = (("variance", shape),)
    have = []
    for key, target in want:
        v = state.get(key)
        if v is None:
            return
        try:
            grown = np.broadcast_shapes(tuple(v.shape), target)
        except ValueError:
            grown = None
        if grown != tuple(v.shape):      # the in-place lerp_ cannot hold the broadcast result
            _check_state_shape(key, v, target)
        have.append(tuple(v.shape))
    # a larger (broadcastable) state gives a larger update, refused by the in-place ``param.add_``
    if len(have) == 2:
        (row, col) = have
        update = np.broadcast_shapes(row[:-2], col[:-2]) + (row[-2], col[-1])
    else:
        update = have[0]
    update = np.broadcast_shapes(update, shape)
    if update != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(update)}")


class Adafactor(Optimizer):
    _group_setdefaults = (("foreach", None),)
    _scalar_state_keys = ("step",)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        check_lr(lr, "Learning rate should be >= 0 but is: {}")
        check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, p, state) -> None:
        xp = get_backend(p._device).xp
        g = p._grad._data
        state["step"] = _scalar_tensor(0.0)
        if g.ndim > 1:
            state["row_var"] = wrap(xp.zeros(g.shape[:-1] + (1,), dtype=g.dtype), p._device)
            state["col_var"] = wrap(xp.zeros(g.shape[:-2] + (1, g.shape[-1]), dtype=g.dtype), p._device)
        else:
            state["variance"] = wrap(xp.zeros(g.shape, dtype=g.dtype), p._device)

    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            group = host_hyperparameters(group)
            lr, wd, d, decay = group["lr"], group["weight_decay"], group["d"], group["beta2_decay"]
            eps1, eps2 = group["eps"]
            # the group's state first, then the updates: a complex parameter (refused, as in PyTorch)
            # leaves the parameters before it with their initial state but not updated
            params = []
            for p in group["params"]:
                if p._grad is None:
                    continue
                if _np_kind(p._data.dtype) == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                if p._grad._data.__class__ is SparseCOOData:
                    raise RuntimeError("Adafactor does not support sparse gradients")
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p, state)
                else:
                    _check_loaded_state(p, state)
                params.append(p)
            for p in params:
                state = self.state[p]
                if eps1 is None:
                    # as PyTorch's loop: set from the first parameter's dtype, then kept for the group
                    eps1 = float(_finfo(p.dtype).eps)  # (tensorgraft's finfo: NumPy's has no bfloat16)
                self._update(p, state, lr, wd, d, decay, eps1, eps2, group["maximize"])
                self._bump_versions(p, state)
        return loss

    def _update(self, p, state, lr, wd, d, decay, eps1, eps2, maximize) -> None:
        xp = get_backend(p._device).xp
        G = -p._grad._data if maximize else p._grad._data
        keys = [key for key in ("row_var", "col_var", "variance") if key in state]
        half = p._data.dtype if xp is np and p._data.dtype in HALF_TYPES else None
        if half is None:
            self._arithmetic(xp, _NO_HALF, p._data, G, [state[key]._data for key in keys], state,
                             lr, wd, d, decay, eps1, eps2)
            return
        # float16/bfloat16: float32 copies, each of PyTorch's ops rounded to the half type where it
        # ends (its norms and means accumulate in float32), the results stored back once
        wide = [widen_half(a) for a in (p._data, *(state[key]._data for key in keys))]
        self._arithmetic(xp, {"half": half}, wide[0], widen_half(G), wide[1:], state, lr, wd, d, decay, eps1, eps2)
        for target, value in zip((p._data, *(state[key]._data for key in keys)), wide):
            target[...] = narrow(value, half)

    @staticmethod
    def _arithmetic(xp, k, P, G, arrays, state, lr, wd, d, decay, eps1, eps2) -> None:
        """The update of ``P`` (and of the moment ``arrays``: row and column, or the vector's),
        with ``round_to_half_`` where PyTorch's ops end for a half-type parameter (``k``)."""
        step = state["step"]._data
        step += 1
        t = float(step)
        one_minus_beta2 = t ** decay
        rho = min(lr, 1 / t ** 0.5)
        alpha = max(eps2, half_scalar(k, _norm(xp, P)) / P.size ** 0.5) * rho
        if wd != 0:
            P *= 1 - lr * wd
            round_to_half_(k, P)
        if G.ndim > 1:
            for average, axis in zip(arrays, (-1, -2)):  # the row, then the column average
                # ``torch.norm(grad, dim=axis, keepdim=True).square_().div_(n)``: PyTorch squares the
                # norm rather than summing squares, three ops: the same rounding here
                mean = xp.sqrt(xp.sum(G * G, axis=axis, keepdims=True))
                round_to_half_(k, mean)
                mean = xp.square(mean)
                round_to_half_(k, mean)
                mean /= G.shape[axis]
                round_to_half_(k, mean)
                lerp_(xp, average, mean, one_minus_beta2, xp.empty_like(average), k)
            row, col = arrays
            var = xp.matmul(row, col)
            round_to_half_(k, var)
            row_average = xp.mean(row, axis=-2, keepdims=True)
            round_to_half_(k, row_average)
            var /= xp.maximum(row_average, eps1)
        else:
            v, = arrays
            squared = G * G
            round_to_half_(k, squared)
            lerp_(xp, v, squared, one_minus_beta2, xp.empty_like(v), k)
            var = v.copy()
        round_to_half_(k, var)
        xp.maximum(var, eps1 * eps1, out=var)
        update = xp.reciprocal(xp.sqrt(var, out=var), out=var)  # rsqrt_: one op in PyTorch
        round_to_half_(k, update)
        update *= G
        round_to_half_(k, update)
        denom = max(1.0, half_scalar(k, _norm(xp, update)) / (math.sqrt(update.size) * d))
        update *= half_scalar(k, -alpha / denom)  # param.add_(update, alpha=-alpha / denom)
        P += update

    def _bump_versions(self, p, state) -> None:
        p._vc[0] += 1
        for key in ("row_var", "col_var", "variance"):
            if key in state:
                state[key]._vc[0] += 1
