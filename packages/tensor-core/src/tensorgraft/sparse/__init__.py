"""``tensorgraft.sparse`` (``torch.sparse``): functions on sparse COO tensors.

Sparse COO tensors themselves are made by ``tensorgraft.sparse_coo_tensor`` and ``Tensor.to_sparse``;
their data and kernels are in ``coo_data.py``, the ops with gradients in ``ops/sparse_coo.py``.
"""
from __future__ import annotations

__all__ = ["mm", "sum", "addmm", "softmax", "log_softmax", "spdiags"]


def _frontends():
    from ..ops.sparse_coo import sparse_frontends
    return sparse_frontends()


def _check_sparse(fname, name, t, *, allow_dense=False):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if not allow_dense and not t.is_sparse:
        raise RuntimeError(f"{fname}(): argument '{name}' must be a sparse COO tensor (layout=torch.sparse_coo), "
                           f"got a strided one: use torch.mm for dense matrices, or .to_sparse() it first")


def mm(mat1, mat2, reduce=None):
    """``mat1 @ mat2`` for a sparse COO ``mat1`` and a dense (or sparse) ``mat2``. The gradient of
    ``mat1`` is sparse, with ``mat1``'s pattern (PyTorch's SparseAddmmBackward0); the result and
    ``mat2``'s gradient are dense. Two sparse operands give a sparse result, without gradients; a
    dense ``mat1`` is ``torch.mm``'s case."""
    if reduce is not None:
        raise NotImplementedError(f"sparse.mm(reduce={reduce!r}): the reductions other than a sum are for "
                                  f"sparse CSR tensors, which tensorgraft does not have")
    _check_sparse("sparse.mm", "mat1", mat1, allow_dense=True)
    _check_sparse("sparse.mm", "mat2", mat2, allow_dense=True)
    if not mat1.is_sparse:  # dense @ (sparse or dense): the ordinary product, as PyTorch
        import tensorgraft
        return tensorgraft.mm(mat1, mat2)
    return _frontends()["mm"](mat1, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with ``mat1`` sparse COO and ``mat`` dense."""
    _check_sparse("sparse.addmm", "mat1", mat1)
    product = mm(mat1, mat2)
    if alpha != 1:
        product = product * alpha
    return product + (mat if beta == 1 else mat * beta)


def sum(input, dim=None, dtype=None):  # noqa: A001  (torch.sparse.sum's name)
    """The sum of a sparse COO tensor's entries: over everything (a dense 0-d tensor), or over the
    dimensions in ``dim`` (sparse while a sparse dimension is left, as PyTorch)."""
    _check_sparse("sparse.sum", "input", input)
    return _frontends()["sum"](input, dim, dtype)


def softmax(input, dim, *, dtype=None):
    """The softmax of a sparse COO tensor along ``dim`` over its stored entries only (the others
    count as minus infinity): a sparse tensor with the input's coalesced pattern. ``dtype``: the
    input is cast to it first."""
    return _frontends()["softmax"](input, dim, dtype, False)


def log_softmax(input, dim, *, dtype=None):
    """The log of ``softmax(input, dim)``, computed without forming the softmax first."""
    return _frontends()["softmax"](input, dim, dtype, True)


def spdiags(diagonals, offsets, shape, layout=None):
    """A sparse COO ``shape`` matrix with the rows of ``diagonals`` on the diagonals ``offsets``
    (0 the main one, > 0 above it): as SciPy's ``spdiags``, ``diagonals[d, j]`` goes to column ``j``.
    Has no gradient, as in PyTorch."""
    return _frontends()["spdiags"](diagonals, offsets, shape, layout)
