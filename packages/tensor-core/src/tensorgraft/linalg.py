"""``tensorgraft.linalg``: the PyTorch ``torch.linalg`` namespace (norms, solvers)."""
from __future__ import annotations


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` over ``dim`` (all dims when None)."""
    from .ops.reduction import vector_norm as _vector_norm
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype, out=out)
