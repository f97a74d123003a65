"""``SparseAdam``: Adam for sparse gradients (``nn.Embedding(sparse=True)``...): only the rows a
gradient touches are updated, and only their moments decay (PyTorch's "lazy" Adam). Dense gradients
are refused, as PyTorch refuses them."""
from __future__ import annotations

import math

import numpy as np

from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import wrap

from ._checks import check, check_lr
from ._flat import _host_scalar
from .optimizer import Optimizer, evaluate_closure
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_lr(lr, strict=True)
        check(0.0 < eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        # the parameters themselves must be dense (only their gradients are sparse); PyTorch checks
        # this before the complex check, so a sparse complex parameter gets this message
        sparse_params = [[i, j] for i, group in enumerate(self.param_groups)
                         for j, p in enumerate(group["params"]) if p.is_sparse]
        if sparse_params:
            raise ValueError(f"Sparse params at indices {sparse_params}: SparseAdam requires dense parameter tensors")
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if _np_kind(p._data.dtype) == "c"]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            params = []
            for p in group["params"]:  # every gradient checked (and state made) before any update
                if p._grad is None:
                    continue
                if p._grad._data.__class__ is not SparseCOOData:
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = wrap(np.zeros_like(p._data), p._device)
                    state["exp_avg_sq"] = wrap(np.zeros_like(p._data), p._device)
                state["step"] += 1
                params.append(p)
            for p in params:
                self._update(p, self.state[p], group)
        return loss

    @staticmethod
    def _update(p, state, group) -> None:
        """PyTorch's ``sparse_adam`` for one parameter, on the rows of its coalesced gradient."""
        g = p._grad._data
        if group["maximize"]:
            g = g.with_values(-g.values)
        g = g.coalesce()
        if g.values.size == 0:
            return
        beta1, beta2 = group["betas"]
        where = tuple(g.indices)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        # old <- b * old + (1 - b) * new, written as old += (1 - b) * (new - old)
        old_avg = exp_avg[where]
        avg_update = (g.values - old_avg) * (1 - beta1)
        exp_avg[where] += avg_update
        old_sq = exp_avg_sq[where]
        sq_update = (g.values * g.values - old_sq) * (1 - beta2)
        exp_avg_sq[where] += sq_update
        numer = avg_update + old_avg
        denom = np.sqrt(sq_update + old_sq) + group["eps"]
        step = state["step"]
        lr = group["lr"]
        # a tensor lr: PyTorch's step size is 0-d tensor arithmetic, rounded to the lr's dtype
        lr = _host_scalar(lr) if hasattr(lr, "item") else lr
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        p._data[where] += -step_size * (numer / denom)
        p._vc[0] += 1
