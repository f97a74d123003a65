"""``SparseAdam``: Adam for sparse gradients (updates only the rows a gradient touches).

tensorgraft has no sparse tensors yet, and ``nn.Embedding(sparse=True)`` produces dense gradients,
so every gradient this optimizer can meet is dense, which PyTorch's SparseAdam refuses with the error
raised here. The class exists so PyTorch code constructing it (and its argument checks) runs
unchanged and fails at the same place with the same message."""
from __future__ import annotations

from ._checks import check, check_lr
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
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if _np_kind(p._data.dtype) == "c"]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None and not getattr(p._grad, "is_sparse", False):
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        return loss
