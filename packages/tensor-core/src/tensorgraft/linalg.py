"""``tensorgraft.linalg``: the PyTorch ``torch.linalg`` namespace (norms, solvers, decompositions).

Gradients: lu_factor(_ex), lu, lu_solve, lstsq (solution, residuals), matrix_exp, eig/eigvals and
householder_product are differentiable with PyTorch's formulas. inv, solve, solve_triangular, det, slogdet,
cholesky, pinv, eigh/eigvalsh, cross, norms and matrix_power are differentiable (twice as well);
``svdvals`` (hence the 'nuc'/2/-2 matrix norms, cond), ``qr`` and ``svd`` (U, S, Vh) are differentiable
once. ``ldl_factor(_ex)``/``ldl_solve`` give no gradient (PyTorch records one that fails in backward).
"""
from __future__ import annotations


import math

from tensorgraft.argument_errors import c_type_name, not_a_tensor, wrong_type

from .ops._return_types import return_type
from .ops.decompositions import EigResult, LstsqResult  # noqa: F401
from .ops.ldl import LDLFactorExResult, LDLFactorResult  # noqa: F401
from .ops.linalg import (  # noqa: F401
    EighResult, LinAlgError, QRResult, SlogdetResult, SVDResult, parse_einsum, require_tensors as _require_tensors,
)
from .ops.lu import LUFactorExResult, LUFactorResult, LUResult, SolveExResult  # noqa: F401
from tensorgraft.dtypes import np_kind as _np_kind
from .ops._frontend.axis_aliases import with_axis_alias as _with_axis_alias
from tensorgraft.dtypes import CPP_TYPE_NAMES

__all__ = ["inv", "solve", "solve_triangular", "det", "slogdet", "cholesky", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "matrix_power", "cross", "norm", "matrix_norm", "vector_norm", "multi_dot", "vecdot",
           "matmul", "diagonal", "inv_ex", "cholesky_ex", "matrix_rank", "cond", "LinAlgError", "lstsq", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "solve_ex", "matrix_exp", "eig", "eigvals", "householder_product",
           "tensorinv", "tensorsolve", "vander", "ldl_factor", "ldl_factor_ex", "ldl_solve"]


def _op(name):
    from .registry import registry
    return registry.ops[name].frontend


def inv(A, *, out=None):
    """``torch.linalg.inv``."""
    return _op("linalg_inv")(A)


InvExResult = return_type("linalg_inv_ex", ("inverse", "info"))


def inv_ex(A, *, check_errors=False, out=None):
    """``(inverse, info)``: ``info`` is 0, or the order of the first zero pivot of A's LU factorization
    (per matrix of a batch). A singular matrix gets what LAPACK's solve leaves (±inf, NaN) and raises
    only with ``check_errors=True``, as PyTorch."""
    if not isinstance(A, Tensor):  # (checked under this function's name before inv checks it as its own)
        raise not_a_tensor("linalg_inv_ex", "A", 1, A)
    from .ops.creation import zeros
    try:
        inverse = inv(A)
    except LinAlgError as e:
        if check_errors:  # the check runs in the _ex function, which PyTorch's message names
            raise LinAlgError(str(e).replace("linalg.inv: ", "linalg.inv_ex: ", 1)) from None
        from .ops.lu import solve_singular
        from .grad_mode import no_grad
        with no_grad():
            return InvExResult(*solve_singular(A, None, True))
    return InvExResult(inverse, zeros(A.shape[:-2], dtype=_int32(), device=A.device))


def _int32():
    from . import dtypes
    return dtypes.int32


def solve(A, B, *, left=True, out=None):
    """``torch.linalg.solve``: X with AX = B (``left=False``: XA = B)."""
    return _op("linalg_solve")(A, B, left=left)


class _Required:
    """The default of a keyword PyTorch requires: its absence gets PyTorch's message."""

    def __repr__(self):
        return "<required>"


_REQUIRED = _Required()


def solve_triangular(A, B, *, upper=_REQUIRED, left=True, unitriangular=False, out=None):
    if upper is _REQUIRED:  # keyword-only and required: PyTorch's parser words the omission so
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: "upper"')
    return _op("linalg_solve_triangular")(A, B, upper=upper, left=left, unitriangular=unitriangular)


def det(A, *, out=None):
    return _op("linalg_det")(A)


def slogdet(A, *, out=None):
    """``(sign, logabsdet)``; only ``logabsdet`` carries a gradient."""
    return _op("linalg_slogdet")(A)


def cholesky(A, *, upper=False, out=None):
    return _op("linalg_cholesky")(A, upper=upper)


CholeskyExResult = return_type("linalg_cholesky_ex", ("L", "info"))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)``: ``info`` is 0 where the factorization succeeded, else the order of the first
    leading minor that is not positive-definite (per matrix of a batch), and that matrix's L is
    LAPACK's partial factor. Raises only with ``check_errors=True``, as PyTorch."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_cholesky_ex", "input", 1, A)
    from .ops.creation import zeros
    try:
        L = cholesky(A, upper=upper)
    except LinAlgError as e:
        if check_errors:
            raise LinAlgError(str(e).replace("linalg.cholesky: ", "linalg.cholesky_ex: ", 1)) from None
        return _cholesky_ex_failed(A, upper)
    return CholeskyExResult(L, zeros(A.shape[:-2], dtype=_int32(), device=A.device))


def _cholesky_ex_failed(A, upper):
    """Some matrix of ``A`` is not positive-definite: potrf's partial factors and ``info`` per
    matrix, as PyTorch returns them (the failing pivot left unrooted: ``[[1, 0], [2, -9]]`` for
    ``[[1, 2], [2, -5]]``). Only this failure path runs on the host; no gradient flows from it."""
    import numpy as np

    from .ops.creation import tensor
    from .ops.linalg import cholesky_info
    a = np.asarray(A.detach().cpu().numpy())
    if upper:  # potrf then reads the upper triangle: factor A^H's lower one, hand back its adjoint
        a = np.conj(np.swapaxes(a, -1, -2))
    info, L = cholesky_info(a)
    if upper:
        L = np.conj(np.swapaxes(L, -1, -2))
    return CholeskyExResult(tensor(L, device=A.device), tensor(info.reshape(a.shape[:-2]), device=A.device))


def qr(A, mode="reduced", *, out=None):
    """Forward only (no gradient)."""
    return _op("linalg_qr")(A, mode)


def eigh(A, UPLO="L", *, out=None):
    return _op("linalg_eigh")(A, UPLO)


def eigvalsh(A, UPLO="L", *, out=None):
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_eigvalsh", "input", 1, A)
    return _op("linalg_eigh")(A, UPLO).eigenvalues


def svd(A, full_matrices=True, *, driver=None, out=None):
    """Forward only (no gradient); ``svdvals`` is differentiable."""
    return _op("linalg_svd")(A, full_matrices)


def svdvals(A, *, driver=None, out=None):
    return _op("linalg_svdvals")(A)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """``torch.linalg.pinv``; ``rcond`` (PyTorch's older overload, also positional) is ``rtol``."""
    return _op("linalg_pinv")(A, atol=atol, rtol=rtol, hermitian=hermitian, rcond=rcond)


def matrix_power(A, n, *, out=None):
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_matrix_power", "input", 1, A)
    return _op("matrix_power")(A, n)


def cross(input, other, *, dim=-1, out=None):
    return _op("linalg_cross")(input, other, dim)


def multi_dot(tensors, *, out=None):
    return _op("linalg_multi_dot")(tensors)


def matmul(input, other, *, out=None):
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        _require_tensors("linalg_matmul", ("input", "other"), input, other)
    return _op("matmul")(input, other)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    if not isinstance(A, Tensor):  # (a NumPy array has a diagonal method of its own)
        raise not_a_tensor("linalg_diagonal", "A", 1, A)
    return A.diagonal(offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    """``sum(x.conj() * y, dim)``."""
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
        _require_tensors("linalg_vecdot", ("x", "y"), x, y)
    from .ops._frontend import _type_name
    from .amp._state import state as _autocast
    if _autocast.on:  # (on PyTorch's lower-precision list)
        x, y = _autocast.lower(x, y)
    if _np_kind(x._data.dtype) not in "fc":  # PyTorch checks x's kind, then that both dtypes agree (no promotion)
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(x._data.dtype)}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_type_name(x._data.dtype)} and y of type {_type_name(y._data.dtype)} instead")
    if x.is_complex():
        x = x.conj()
    return (x * y).sum(dim)


def _matrix_norm_checks(A, ord, dim, dtype):
    """PyTorch's checks, in its order: the order, A (a float/complex matrix), dim (a pair of distinct
    dims in range, named wrapped), then ``dtype`` (the input's kind, no narrowing)."""
    from .ops._args import wrap_dim
    from .ops._frontend import _type_name
    from .ops.reduction.norms import _check_norm_dtype
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if A.dtype.category < 2:  # checked before any dtype= cast, as PyTorch
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(A._data.dtype)}")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if dtype is not None:
        if _np_kind(dtype.np) not in "fc":
            raise RuntimeError(f"linalg.matrix_norm: dtype should be floating point or complex, but got "
                               f"{_type_name(dtype.np)}")
        try:
            _check_norm_dtype(A._data.dtype, dtype)
        except RuntimeError as e:
            raise RuntimeError(str(e).replace("linalg.vector_norm", "linalg.matrix_norm")) from None


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.matrix_norm``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_matrix_norm", "input", 1, A)
    _matrix_norm_checks(A, ord, dim, dtype)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        if A._data.dtype.itemsize == 2:  # float16 (an SVD needs LAPACK's float/double)
            from .ops._frontend import _type_name
            raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got {_type_name(A._data.dtype)}")
        M = A.movedim((d0, d1), (-2, -1))
        s = svdvals(M)
        if ord == "nuc" or (ord == 2 and s.shape[-1] == 0):  # the largest of no singular values is 0
            r = s.sum(-1)
        else:
            r = s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
        return r
    if ord in (1, -1, math.inf, -math.inf):
        red, keep = (d0, d1) if ord in (1, -1) else (d1, d0)
        # as PyTorch: the sum drops its dim unless keepdim, so the graph ends in Amax/AminBackward0
        s = A.abs().sum(red, keepdim=keepdim)
        if not keepdim and keep > red:
            keep -= 1
        if ord > 0 and s.shape[keep] == 0:  # (the largest of no sums is 0, as PyTorch's; the least raises)
            return s.sum(keep, keepdim=keepdim)
        return s.amax(keep, keepdim=keepdim) if ord > 0 else s.amin(keep, keepdim=keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.norm``: vector norm for 1-D input / int dim, matrix norm for 2-D / pair dim."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_norm", "input", 1, A)
    if dim is not None:
        if isinstance(dim, int):
            dim = (dim,)
        dim = tuple(dim)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        if isinstance(ord, str) and len(dim) == 1:  # PyTorch hands a string ord to matrix_norm, which checks
            if A.ndim < 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim[0]}")
        if len(dim) != 1:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.ndim == 1:
        if isinstance(ord, str):
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")


def matrix_rank(A, tol=None, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values (``hermitian=True``: |eigenvalues|) above
    ``max(atol, rtol * largest)``; an empty matrix has rank 0. Tensor ``atol``/``rtol`` broadcast
    over the batch; ``tol`` (the deprecated overload) is an ``atol`` with ``rtol`` 0."""
    if tol is not None:
        atol, rtol = tol, 0.0
    from .grad_mode import no_grad
    from .ops.linalg import _float_check
    if not isinstance(A, Tensor):  # (PyTorch's parser lists the overloads, each naming it ``input``)
        raise not_a_tensor("linalg_matrix_rank", "input", 1, A)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    _float_check("linalg.matrix_rank", A)
    with no_grad():
        s = eigvalsh(A).abs() if hermitian else svdvals(A)
        if s.shape[-1] == 0:
            from .ops.creation import zeros
            from .dtypes import int64
            return zeros(s.shape[:-1], dtype=int64, device=s.device)
        default = max(A.shape[-2:]) * _eps(A)
        if isinstance(atol, Tensor) or isinstance(rtol, Tensor):  # per-matrix thresholds, one per batch entry
            from . import maximum, where
            if rtol is None:
                rtol = where(atol > 0, 0.0, default) if isinstance(atol, Tensor) else (default if not atol else 0.0)
            col = [v.unsqueeze(-1) if isinstance(v, Tensor) else v for v in (atol, rtol)]
            threshold = s.amax(-1, keepdim=True) * col[1]
            if atol is not None:
                threshold = maximum(threshold, col[0]) if isinstance(atol, Tensor) else threshold.clamp(min=atol)
            return (s > threshold).sum(-1)
        if rtol is None:
            rtol = default if atol is None or atol == 0 else 0.0
        threshold = s.amax(-1, keepdim=True) * rtol
        if atol is not None:
            threshold = threshold.clamp(min=atol)
        return (s > threshold).sum(-1)


def _eps(A):
    import numpy as np
    return float(np.finfo(A._data.dtype).eps)


def cond(A, p=None, *, out=None):
    """``torch.linalg.cond``: by singular values for p in (None, 2, -2) (any shape) and 'nuc'
    (``sum(s) * sum(1/s)``), else ``norm(A, p) * norm(inv(A), p)`` for square A, inf where A is
    singular or that product is NaN (as PyTorch)."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_cond", "input", 1, A)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.cond(ord={p}): The input tensor A must have at least 2 dimensions."
                           if isinstance(p, str) else "linalg.cond: The input tensor must have at least 2 dimensions.")
    if p is None or p in (2, -2):
        s = svdvals(A)
        if s.shape[-1] == 0:  # an empty matrix is perfectly conditioned by PyTorch's convention: 0
            return s.sum(-1)
        return s.amax(-1) / s.amin(-1) if p != -2 else s.amin(-1) / s.amax(-1)
    # PyTorch checks squareness first only for the string orders; numeric ones return zeros for an
    # empty input of any shape
    if A.numel() == 0 and not isinstance(p, str):
        return A.abs().sum((-2, -1))
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.numel() == 0:
        return A.abs().sum((-2, -1))
    if p == "nuc":
        s = svdvals(A)
        return s.sum(-1) * s.reciprocal().sum(-1)
    inverse, info = inv_ex(A)
    c = matrix_norm(A, p) * matrix_norm(inverse, p)
    unusable = (info > 0) | c.isnan()
    return c.masked_fill(unusable, float("inf")) if bool(unusable.any()) else c


def vector_norm(x, *args, **kwargs):
    """``torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None)``:
    the ``ord``-norm of ``x`` over ``dim`` (all dims when None). Arguments pass on as given, so
    argument errors say "(position N)" only for positional ones, as PyTorch's."""
    if not isinstance(x, Tensor):
        raise not_a_tensor("linalg_vector_norm", "input", 1, x)
    from .ops.reduction import vector_norm as _vector_norm
    return _vector_norm(x, *args, **kwargs)


def lstsq(A, B, rcond=None, *, driver=None):
    """``torch.linalg.lstsq``: (solution, residuals, rank, singular_values). As PyTorch: ``residuals``
    only when m > n, every matrix has full rank and the driver is not 'gelsy'; ``rank`` except for
    'gels'; ``singular_values`` only for 'gelsd'/'gelss'; the others are empty."""
    return _op("linalg_lstsq")(A, B, rcond, driver=driver)


def lu_factor(A, *, pivot=True, out=None):
    return _op("linalg_lu_factor")(A, pivot=pivot)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    return _op("linalg_lu_factor_ex")(A, pivot=pivot, check_errors=check_errors)


def lu(A, *, pivot=True, out=None):
    return _op("linalg_lu")(A, pivot=pivot)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return _op("linalg_lu_solve")(LU, pivots, B, left=left, adjoint=adjoint)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    return _op("linalg_solve_ex")(A, B, left=left, check_errors=check_errors)


def matrix_exp(A):
    return _op("linalg_matrix_exp")(A)


def eig(A, *, out=None):
    """Complex eigenvalues and unit-norm eigenvectors (LAPACK's phase convention)."""
    return _op("linalg_eig")(A)


def eigvals(A, *, out=None):
    return _op("linalg_eigvals")(A)


def householder_product(A, tau, *, out=None):
    return _op("linalg_householder_product")(A, tau)


def tensorinv(A, ind=2, *, out=None):
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_tensorinv", "input", 1, A)
    return _op("linalg_tensorinv")(A, ind)


def tensorsolve(A, B, dims=None, *, out=None):
    if not (isinstance(A, Tensor) and isinstance(B, Tensor)):
        _require_tensors("linalg_tensorsolve", ("input", "other"), A, B)
    return _op("linalg_tensorsolve")(A, B, dims)


def vander(x, *, N=None):
    if not isinstance(x, Tensor):
        raise not_a_tensor("linalg_vander", "x", 1, x)
    return _op("linalg_vander")(x, N=N)


def ldl_factor(A, *, hermitian=False, out=None):
    """``(LD, pivots)`` of the Bunch-Kaufman factorization A = L D L^T (L D L^H with
    ``hermitian=True``), in LAPACK's layout. Forward only, as in PyTorch."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_ldl_factor", "input", 1, A)
    return _op("linalg_ldl_factor")(A, hermitian=hermitian)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """``(LD, pivots, info)``: ``info`` is the 1-based index of the first zero pivot, else 0."""
    if not isinstance(A, Tensor):
        raise not_a_tensor("linalg_ldl_factor_ex", "input", 1, A)
    return _op("linalg_ldl_factor_ex")(A, hermitian=hermitian, check_errors=check_errors)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B, A given by ``ldl_factor``'s factors. Forward only, as in PyTorch."""
    return _op("linalg_ldl_solve")(LD, pivots, B, hermitian=hermitian)


# --------------------------------------------------------------------------- out=
# Every function above that takes ``out=`` gets it here: the result is computed as usual, then
# written into ``out`` (a tensor, or a tuple of them for a named-tuple result, which is then
# returned as ``linalg_<name>_out`` of those tensors). Each entry: (the op PyTorch names when it
# refuses ``out=`` while recording gradients, or None where PyTorch copies the result into
# ``out`` and records that copy; the dtype rule for ``out``, as PyTorch words each check).
_TITLE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}
_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}

_OUT_RULES = {
    "inv": ("linalg_inv_ex", "exact"), "inv_ex": ("linalg_inv_ex", "exact"),
    "solve": ("_linalg_solve_ex", "exact"), "solve_ex": ("_linalg_solve_ex", "exact"),
    "solve_triangular": ("linalg_solve_triangular", "scalar_type"),
    "det": ("_linalg_det", "exact"), "slogdet": ("_linalg_slogdet", "exact"),
    "cholesky": ("linalg_cholesky_ex", "exact"), "cholesky_ex": ("linalg_cholesky_ex", "exact"),
    "qr": ("linalg_qr", "exact"), "eigh": ("_linalg_eigh", "exact"), "eigvalsh": ("_linalg_eigh", "exact"),
    "svd": ("_linalg_svd", "exact"), "svdvals": ("_linalg_svd", "exact"),
    "pinv": ("linalg_pinv", ("castable", "linalg.pinv")), "matrix_power": ("matmul", "power"),
    "cross": ("linalg_cross", "exact"), "multi_dot": ("mm", "multi_dot"), "matmul": ("matmul", "exact"),
    "vecdot": ("sum", "vecdot"),
    "matrix_norm": (None, ("norm", "linalg.matrix_norm")), "norm": (None, ("norm", "linalg.norm")),
    "matrix_rank": (None, None), "cond": (None, ("castable", "linalg.cond")),
    "lu_factor": ("linalg_lu_factor_ex", "exact"), "lu_factor_ex": ("linalg_lu_factor_ex", "exact"),
    "lu": ("linalg_lu", "exact"), "lu_solve": ("linalg_lu_solve", "exact"),
    "eig": ("linalg_eig", "exact"), "eigvals": (None, ("castable", "torch.linalg.eigvals", "eigenvalues", True)),
    "vector_norm": ("linalg_vector_norm", "exact"),
    "householder_product": ("linalg_householder_product", "exact"),
    "tensorinv": ("linalg_inv_ex", "exact"), "tensorsolve": (None, "exact"),
    "ldl_factor": (None, "exact"), "ldl_factor_ex": (None, "exact"), "ldl_solve": (None, "exact"),
    "lstsq": ("linalg_lstsq", "exact"),
}


def _check_out_dtype(rule, result, out):
    """PyTorch's check of ``out``'s dtype against the result's, in the words of ``rule``."""
    have, want = out.dtype.np, result.dtype.np
    if rule is None or have == want:
        return
    h, w = have.name, want.name
    kind = rule[0] if isinstance(rule, tuple) else rule
    if kind == "power":  # matrix_power: a float out of another width, else the castable check
        kind, rule = ("exact", rule) if have.kind == want.kind else ("castable", ("castable", "matrix_power"))
    if kind == "exact":
        raise RuntimeError(f"Expected out tensor to have dtype {CPP_TYPE_NAMES[w]}, but got {CPP_TYPE_NAMES[h]} instead")
    if kind == "scalar_type":
        raise RuntimeError(f"expected scalar type {_TITLE_NAMES[w]} but found {_TITLE_NAMES[h]}")
    if kind == "multi_dot":
        raise RuntimeError(f"multi_dot(): expected out tensor to have dtype {CPP_TYPE_NAMES[w]} but got {CPP_TYPE_NAMES[h]}")
    if kind == "vecdot":
        raise RuntimeError(f"linalg.vecdot: Expected out of dtype{_TITLE_NAMES[w]} but found {_TITLE_NAMES[h]}")
    if kind == "norm":
        raise RuntimeError(f"{rule[1]} expected out tensor dtype {_TITLE_NAMES[w]} but got: {_TITLE_NAMES[h]}")
    # castable: an out of a wider type of the same or a higher kind takes the result (eigvals'
    # complex result also goes into a real out: its copy warns that the imaginary part is dropped)
    lowest = _KIND_ORDER["f"] if len(rule) > 3 else _KIND_ORDER[want.kind]
    if _KIND_ORDER[have.kind] < lowest or (have.kind == want.kind and have.itemsize < want.itemsize):
        what = rule[2] if len(rule) > 2 else "result"
        raise RuntimeError(f"{rule[1]}: Expected {what} to be safely castable from {_TITLE_NAMES[w]} dtype, "
                           f"but got {what} with dtype {_TITLE_NAMES[h]}")


def _tensors_in(values):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _tensors_in(v)


# the functions above whose result is a named tuple: their ``out`` is a tuple of tensors
_TUPLE_RESULTS = frozenset({"inv_ex", "solve_ex", "slogdet", "cholesky_ex", "qr", "eigh", "svd", "lu_factor",
                            "lu_factor_ex", "lu", "eig", "ldl_factor", "ldl_factor_ex", "lstsq"})


def _check_out_argument(name, fn, out):
    """PyTorch's parser's TypeError for an ``out`` that is no Tensor (a tuple of them for a named-tuple
    result), raised before anything is computed."""
    if name not in _TUPLE_RESULTS:
        raise wrong_type(f"linalg_{name}", "out", "Tensor", out)
    if not isinstance(out, (tuple, list)):
        raise wrong_type(f"linalg_{name}", "out", "tuple of Tensors", out)
    for k, o in enumerate(out):
        if not isinstance(o, Tensor):
            import inspect
            params = list(inspect.signature(fn).parameters)  # ``out``'s index among the arguments
            where = params.index("out") if "out" in params else len(params)
            raise TypeError(f"expected Tensor as element {k} in argument {where}, but got {c_type_name(o)}")


def _with_out(name, fn, grad_name, rule):
    import functools

    @functools.wraps(fn)
    def f(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            _check_out_argument(name, fn, out)
        from .ops import _frontend as F
        if grad_name is not None:  # refused before anything is computed or written
            F.check_out_grad(grad_name, out, *_tensors_in(args), *_tensors_in(kwargs.values()))
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            outs = tuple(out)
            if len(outs) != len(result):
                raise RuntimeError(f"linalg_{name}(): expected a tuple of {len(result)} out tensors, got {len(outs)}")
            for r, o in zip(result, outs):
                _check_out_dtype(rule, r, o)
            for r, o in zip(result, outs):
                _write(F, o, r, grad_name is None, f"linalg_{name}")
            kind = return_type(f"{type(result).__name__}_out", type(result)._fields)
            return kind(*outs)
        _check_out_dtype(rule, result, out)
        return _write(F, out, result, grad_name is None, f"linalg_{name}")
    return f


def _write(F, out, result, record, opname):
    """``result`` into ``out`` (resized, with PyTorch's warning, when its shape differs). Where
    PyTorch computes first and copies (``record``), the copy is recorded as its ``copy_`` is."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{opname}(): argument 'out' must be Tensor, not {c_type_name(out)}")
    if tuple(out.shape) != tuple(result.shape):
        F.write_out(out, result.detach()._data.astype(out._data.dtype), opname, stacklevel=5)
        if not (record and result.requires_grad):
            return out
    if record or (result.is_complex() and not out.is_complex()):
        out.copy_(result)  # (a complex result into a real out warns as PyTorch's copy does)
    else:
        F.store_into(out, result._data, opname)
    return out


from .tensor import Tensor  # noqa: E402

for _name, (_grad, _rule) in _OUT_RULES.items():
    globals()[_name] = _with_out(_name, globals()[_name], _grad, _rule)
# PyTorch's linalg functions are C++-bound: its argument parser takes axis=/keepdims= for dim=/keepdim=
# (vector_norm reads dim out of its keywords itself)
for _name in __all__:
    globals()[_name] = _with_axis_alias(globals()[_name], _name, dim_in_kwargs=_name == "vector_norm")
del _name, _grad, _rule
