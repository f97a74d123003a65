"""``tensorgraft.sparse`` (``torch.sparse``): functions on sparse tensors.

Sparse COO tensors themselves are made by ``tensorgraft.sparse_coo_tensor`` and ``Tensor.to_sparse``;
their data and kernels are in ``coo_data.py``, the ops with gradients in ``ops/sparse_coo.py``. The
compressed layouts (CSR, CSC, BSR, BSC: ``sparse_csr_tensor``, ``Tensor.to_sparse_csr`` ...) keep
theirs in ``compressed_data.py`` and ``ops/sparse_compressed.py``.
"""
from __future__ import annotations

from .gradcheck import as_sparse_gradcheck
from tensorgraft.argument_errors import c_type_name

__all__ = ["mm", "sum", "addmm", "sampled_addmm", "softmax", "log_softmax", "spdiags",
           "check_sparse_tensor_invariants", "as_sparse_gradcheck"]


class check_sparse_tensor_invariants:
    """``torch.sparse.check_sparse_tensor_invariants``: PyTorch's switch for checking the arrays
    given to the sparse factories (a context manager, a decorator, and ``enable()``/``disable()``/
    ``is_enabled()`` for the process). tensorgraft keeps the state PyTorch keeps, so code that reads
    it behaves the same, but checks the arrays whatever it says: the checks cost little next to
    building the tensor, and an unchecked index array would make later kernels read out of bounds."""

    _enabled = False  # (PyTorch's default: off)

    def __init__(self, enable=True):
        self.state = bool(enable)
        self.saved_state = None

    @staticmethod
    def is_enabled() -> bool:
        return check_sparse_tensor_invariants._enabled

    @staticmethod
    def enable() -> None:
        check_sparse_tensor_invariants._enabled = True

    @staticmethod
    def disable() -> None:
        check_sparse_tensor_invariants._enabled = False

    def __enter__(self):
        if self.saved_state is not None:
            raise RuntimeError("This context manager instance is already activated. Use a different context "
                               "manager instance for context nesting.")
        self.saved_state = check_sparse_tensor_invariants._enabled
        check_sparse_tensor_invariants._enabled = self.state
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        check_sparse_tensor_invariants._enabled = self.saved_state
        self.saved_state = None

    def __call__(self, function):
        import functools

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with check_sparse_tensor_invariants(self.state):
                return function(*args, **kwargs)
        return wrapper


def _frontends():
    from ..ops.sparse_coo import sparse_frontends
    return sparse_frontends()


def _check_sparse(fname, name, t, *, allow_dense=False, allow_compressed=False):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be Tensor, not {c_type_name(t)}")
    if allow_dense or t.is_sparse or (allow_compressed and _is_compressed(t)):
        return
    if allow_compressed:
        raise RuntimeError(f"{fname}(): argument '{name}' must be a sparse tensor (layout=torch.sparse_coo or a "
                           f"compressed one), got a strided one: use torch.mm for dense matrices, or .to_sparse() it "
                           f"first")
    got = f"torch.{t._data.layout}" if _is_compressed(t) else "a strided one"
    raise RuntimeError(f"{fname}(): argument '{name}' must be a sparse COO tensor (layout=torch.sparse_coo), got "
                       f"{got}: use torch.mm for dense matrices, or .to_sparse() it first")


def _is_compressed(t) -> bool:
    from .compressed_data import SparseCompressedData
    return t._data.__class__ is SparseCompressedData


def mm(mat1, mat2, reduce=None):
    """``mat1 @ mat2`` for a sparse ``mat1`` and a dense (or sparse) ``mat2``. For a COO ``mat1`` the
    gradient of ``mat1`` is sparse, with ``mat1``'s pattern (PyTorch's SparseAddmmBackward0); the
    result and ``mat2``'s gradient are dense; a CSR ``mat1`` gets a CSR gradient the same way (PyTorch
    has no gradient for the other compressed layouts there). Two sparse operands give a sparse
    result, without gradients; a dense ``mat1`` is ``torch.mm``'s case. ``reduce`` ("sum", "mean", "amax", "amin", for a CSR ``mat1``
    and a dense ``mat2``) reduces each row's products instead of summing them; the gradient of
    ``mat1`` is then CSR with its pattern (SparseMmReduceImplBackward0)."""
    _check_sparse("sparse.mm", "mat1", mat1, allow_dense=True)
    _check_sparse("sparse.mm", "mat2", mat2, allow_dense=True)
    if reduce is not None:
        if not _is_compressed(mat1):
            raise NotImplementedError(f"Could not run 'aten::_sparse_mm_reduce_impl' with arguments from the "
                                      f"'{'SparseCPU' if mat1.is_sparse else 'CPU'}' backend: sparse.mm(..., "
                                      f"reduce={reduce!r}) takes a CSR mat1 (.to_sparse_csr() makes one)")
        from ..ops.sparse_compressed import sparse_mm_reduce
        return sparse_mm_reduce(mat1, mat2, reduce)
    if _is_compressed(mat1) and not mat2.is_sparse and not _is_compressed(mat2):
        # compressed @ dense: PyTorch's sparse node (a gradient with mat1's pattern), unlike torch.mm
        return _frontends()["mm"](mat1, mat2)
    if not mat1.is_sparse:  # dense @ anything, compressed @ sparse: the ordinary product, as PyTorch
        import tensorgraft
        return tensorgraft.mm(mat1, mat2)
    return _frontends()["mm"](mat1, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with ``mat1`` sparse (COO or compressed). With dense
    ``mat`` and ``mat2`` one SparseAddmmBackward0 node, ``mat1``'s gradient with its pattern."""
    _check_sparse("sparse.addmm", "mat1", mat1, allow_compressed=True)
    _check_sparse("sparse.addmm", "mat", mat, allow_dense=True)
    _check_sparse("sparse.addmm", "mat2", mat2, allow_dense=True)
    if not (mat.is_sparse or _is_compressed(mat) or mat2.is_sparse or _is_compressed(mat2)):
        return _frontends()["addmm"](mat, mat1, mat2, beta, alpha)  # (one SparseAddmmBackward0 node)
    if _is_compressed(mat1):
        import tensorgraft
        return tensorgraft.addmm(mat, mat1, mat2, beta=beta, alpha=alpha)
    product = mm(mat1, mat2)
    if alpha != 1:
        product = product * alpha
    return product + (mat if beta == 1 else mat * beta)


def sampled_addmm(input, mat1, mat2, *, beta=1.0, alpha=1.0, out=None):
    """``beta * input + alpha * (mat1 @ mat2)`` computed at ``input``'s stored entries only: ``input``
    is a CSR tensor, the result has its pattern (the other products are never formed). Gradients:
    ``input``'s is CSR with its pattern, ``mat1``'s and ``mat2``'s dense (SparseSampledAddmmBackward0)."""
    from ..ops.sparse_compressed import sparse_sampled_addmm
    result = sparse_sampled_addmm(input, mat1, mat2, beta, alpha)
    if out is not None:
        out.copy_(result)
        return out
    return result


def sum(input, dim=None, dtype=None):  # noqa: A001  (torch.sparse.sum's name)
    """The sum of a sparse COO tensor's entries: over everything (a dense 0-d tensor), or over the
    dimensions in ``dim`` (sparse while a sparse dimension is left, as PyTorch)."""
    if _is_compressed(input) and dim is None:  # (every element: the ordinary sum, SumBackward0)
        return input.sum(dtype=dtype)
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
