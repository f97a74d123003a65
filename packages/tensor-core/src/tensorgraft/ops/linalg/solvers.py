"""The ``torch.linalg`` solvers and determinants: inv/inverse, det, slogdet/logdet, solve,
cholesky (and the legacy torch.cholesky), solve_triangular, matrix_power, with the triangular
substitution (``solve_triangular_array``) that also serves ``ops/lu.py``."""
from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop
from .._return_types import return_type
from .checks import (
    LinAlgError, _batch_prefix, _first_zero_pivot, _host, _record, _shape_str, _square, _tensor_args, check_batches,
    first_failure, require_tensors, singular_inv_error, square_matrices,
)
from tensorgraft.dtypes import np_kind as _np_kind


def substitute(xp, tri, b, upper):
    """X with ``tri @ X = b`` for triangular ``tri`` by column-oriented substitution, as LAPACK's
    trsm runs it: a zero on the diagonal gives inf/NaN instead of an error, NaN/inf entries spread
    only into the rows substitution carries them to, and a solved entry that is exactly zero
    updates nothing (so ``0 * inf`` never makes a NaN). One Python step per row: used only where
    the fast LU-based solve fails or gives non-finite values."""
    shape = np.broadcast_shapes(tri.shape[:-2], b.shape[:-2])
    tri = xp.broadcast_to(tri, shape + tri.shape[-2:])
    x = xp.array(xp.broadcast_to(b, shape + b.shape[-2:]), dtype=xp.result_type(tri, b))
    n = tri.shape[-1]
    with np.errstate(all="ignore"):
        for j in (range(n - 1, -1, -1) if upper else range(n)):
            xj = x[..., j, :] / tri[..., j, j, None]
            x[..., j, :] = xj
            rest = slice(0, j) if upper else slice(j + 1, n)
            update = tri[..., rest, j, None] * xj[..., None, :]
            x[..., rest, :] -= xp.where(xj[..., None, :] == 0, 0, update)
    return x


def solve_triangular_array(xp, tri, b, upper):
    """``tri^-1 b`` for a triangular ``tri`` with PyTorch's (trsm's) results where ``tri`` is singular or
    holds non-finite values; the common case is one LAPACK/cuSOLVER call."""
    try:
        with np.errstate(all="ignore"):
            x = xp.linalg.solve(tri, b)
        if bool(xp.isfinite(x).all()):
            return x
    except Exception:  # numpy.linalg.LinAlgError "Singular matrix": trsm divides by the zero instead
        pass
    return substitute(xp, tri, b, upper)


def _inv_kernel(xp, a):
    try:
        return xp.linalg.inv(a)
    except Exception as exc:  # numpy.linalg.LinAlgError
        if "ingular" in str(exc):
            raise singular_inv_error("linalg.inv", a) from None
        raise


def _unary_linalg(fname, node, check=_square):
    def factory(op):
        table = op.table

        def f(A):
            a = check(fname, A)
            res = wrap(table[A._device.type](a), A._device)
            return _record(op, res, (A,), None, node)
        f.__name__ = fname.rpartition(".")[2]
        return f
    return factory


_inv = defop("linalg_inv", kernel=_inv_kernel, frontend=_unary_linalg("linalg.inv", "LinalgInvExBackward0"),
             method=False, public=False)


def _inverse(input):
    if not isinstance(input, Tensor):  # (the torch-level spellings name their argument ``input``)
        raise F.not_a_tensor("inverse", "input", 1, input)
    return _inv.frontend(input)


defop("inverse", frontend=lambda op: _inverse, differentiable=False)


def _det_kernel(xp, a):
    return xp.asarray(xp.linalg.det(a))


_det = defop("linalg_det", kernel=_det_kernel, frontend=_unary_linalg("linalg.det", "LinalgDetBackward0"),
             method=False, public=False)


def _torch_det(input):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("det", "input", 1, input)
    return _det.frontend(input)


defop("det", frontend=lambda op: _torch_det, differentiable=False)

SlogdetResult = return_type("linalg_slogdet", ("sign", "logabsdet"))
# torch.slogdet (and Tensor.slogdet) return the same pair under a class of their own name
SlogdetLegacy = return_type("slogdet", ("sign", "logabsdet"))


def _slogdet_kernel(xp, a):
    s, l = xp.linalg.slogdet(a)
    # a NaN determinant has no sign: PyTorch reports 0 where NumPy says 1
    s = xp.where(xp.isnan(l), xp.zeros((), dtype=s.dtype), s)
    return xp.asarray(s), xp.asarray(l)


def _slogdet_frontend(op):
    table = op.table

    def slogdet(A):
        a = _square("linalg.slogdet", A)
        s, l = table[A._device.type](a)
        sign = wrap(s, A._device)
        logabs = wrap(l, A._device)
        # the sign of a real determinant is locally constant (zero gradient); a complex one is det/|det|
        _record(op, sign, (A,), {"part": "sign"}, "LinalgSlogdetBackward0")
        _record(op, logabs, (A,), {"part": "logabsdet"}, "LinalgSlogdetBackward0")
        return SlogdetResult(sign, logabs)
    return slogdet


_slogdet = defop("linalg_slogdet", kernel=_slogdet_kernel, frontend=_slogdet_frontend, method=False, public=False)


def _torch_slogdet(input):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("slogdet", "input", 1, input)
    return SlogdetLegacy(*_slogdet.frontend(input))


defop("slogdet", frontend=lambda op: _torch_slogdet, differentiable=False)


def _logdet(input):
    _square("logdet", input, "input")  # PyTorch's checks name logdet, not the slogdet it runs
    sign, logabs = _slogdet.frontend(input)
    if _np_kind(input._data.dtype) == "c":  # log(det) = log|det| + i*arg(det): complex, as PyTorch
        return logabs + sign.log()
    from ..creation import full_like
    nan = full_like(logabs, float("nan"))
    return _where_op()(sign < 0, nan, logabs)


def _where_op():
    from ...registry import registry
    return registry.ops["where"].frontend


defop("logdet", frontend=lambda op: _logdet, differentiable=False)


def _solve_kernel(xp, a, b, vec):
    if vec:
        return xp.linalg.solve(a, b[..., None])[..., 0]
    if b.ndim < a.ndim:
        # B is a matrix (or stack) broadcast over A's batch: give it A's batch dims first, because
        # NumPy < 2 reads a B with one dim less than A as a stack of vectors
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, shape + a.shape[-2:])
        b = xp.broadcast_to(b, shape + b.shape[-2:])
    return xp.linalg.solve(a, b)


def _solve_frontend(op):
    table = op.table

    def solve(A, B, *, left=True, out=None):
        _tensor_args("linalg.solve", ("A", "B"), A, B)
        a = _square("linalg.solve", A)
        b = B._data
        # PyTorch reads B as a vector (a column) whatever ``left`` is, so X A = b has no solution form
        vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
        if not left and (vec or b.ndim < 2 or b.shape[-1] != a.shape[-1]):
            bs = (b.shape[-1], 1) if vec else b.shape[-2:]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(bs)})")
        if not left:  # XA = B  <=>  A^T X^T = B^T
            a = a.swapaxes(-1, -2)
            b = b.swapaxes(-1, -2)
        rows = b.shape[-1] if vec else b.shape[-2]
        if rows != a.shape[-1]:
            bs = (b.shape[-1], 1) if vec else b.shape[-2:]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(bs)})")
        if a.dtype != b.dtype:
            raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                               f"{F._type_name(a.dtype)} and B of type {F._type_name(b.dtype)} instead")
        check_batches(b.shape[:-1] if vec else b.shape[:-2], a.shape[:-2])
        try:
            res = table[A._device.type](a, b, vec)
        except Exception as exc:
            if "ingular" in str(exc):
                where = _first_zero_pivot(a)
                prefix = _batch_prefix(a, where[0] if where else 0)
                raise LinAlgError(f"torch.linalg.solve: {prefix}The solver failed because the input matrix is "
                                  "singular.") from None
            raise
        if not left:
            res = res.swapaxes(-1, -2)
        return _record(op, wrap(res, A._device), (A, B), {"vec": vec, "left": left}, "LinalgSolveExBackward0")
    return solve


_solve = defop("linalg_solve", kernel=_solve_kernel, frontend=_solve_frontend, method=False, public=False)


def _cholesky_kernel(xp, a, upper):
    if upper:  # PyTorch then reads A's upper triangle: factor A^H (whose lower triangle that is)
        a = xp.conj(xp.swapaxes(a, -1, -2))
    try:
        L = xp.linalg.cholesky(a)
    except Exception:  # numpy's LinAlgError; CuPy (below) fills the failed matrices with NaN instead
        L = None
    # NumPy factors a matrix holding NaN without complaint (NaN pivots); LAPACK's potrf, as PyTorch
    # runs it, stops there: a NaN anywhere in the diagonal of L means some pivot was not > 0
    if L is None or bool(xp.isnan(xp.diagonal(L, 0, -2, -1).real).any()):
        raise not_positive_definite("linalg.cholesky", a)
    return xp.conj(xp.swapaxes(L, -1, -2)) if upper else L


def cholesky_info(a):
    """Per matrix of ``a`` (host array, flattened batch): 0, or the order of its first leading
    minor that is not positive-definite (LAPACK potrf's ``info``), by a column-by-column
    factorization that stops at the first pivot that is not > 0 (NaN included). Also returns the
    partial factors, as potrf leaves them: the columns before the failure done, the failing pivot
    unrooted, the rest as in ``a``'s lower triangle."""
    n = a.shape[-1]
    flat = np.array(a.reshape((-1, n, n)))
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b, m in enumerate(flat):
        for j in range(n):
            row = m[j, :j]
            pivot = m[j, j] - np.dot(row, np.conj(row))
            if not np.real(pivot) > 0:
                info[b] = j + 1
                m[j, j] = pivot
                break
            m[j, j] = np.sqrt(np.real(pivot))
            m[j + 1:, j] = (m[j + 1:, j] - m[j + 1:, :j] @ np.conj(row)) / m[j, j]
    return info, np.tril(flat).reshape(a.shape)


def not_positive_definite(fname, a):
    b, order = first_failure(cholesky_info(_host(a))[0])
    return LinAlgError(f"{fname}: {_batch_prefix(a, b)}The factorization could not be completed because the input "
                       f"is not positive-definite (the leading minor of order {order} is not positive-definite).")


def _cholesky_frontend(op):
    table = op.table

    def cholesky(A, *, upper=False, out=None):
        a = _square("linalg.cholesky", A, "input")
        res = wrap(table[A._device.type](a, upper), A._device)
        return _record(op, res, (A,), {"upper": upper}, "LinalgCholeskyExBackward0")
    return cholesky


_cholesky = defop("linalg_cholesky", kernel=_cholesky_kernel, frontend=_cholesky_frontend, method=False,
                  public=False)


def _torch_cholesky(input, upper=False):
    _square("cholesky", input, "input")  # the legacy op's own checks name it (and let integers reach the kernel)
    try:
        return _cholesky.frontend(input, upper=upper)
    except LinAlgError as e:  # the legacy op's message names it ``cholesky``
        raise LinAlgError(str(e).replace("linalg.cholesky: ", "cholesky: ", 1)) from None


defop("cholesky", frontend=lambda op: _torch_cholesky, differentiable=False)


def _solve_triangular_kernel(xp, a, b, upper, unitriangular, left=True):
    tri = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        n = a.shape[-1]
        eye = xp.eye(n, dtype=a.dtype)
        tri = tri * (1 - eye) + eye
    if not left:  # X A = B is A^T X^T = B^T, whose triangle is the other one
        return xp.swapaxes(solve_triangular_array(xp, xp.swapaxes(tri, -1, -2), xp.swapaxes(b, -1, -2), not upper),
                           -1, -2)
    return solve_triangular_array(xp, tri, b, upper)


def _solve_triangular_frontend(op):
    table = op.table

    def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
        _tensor_args("linalg.solve_triangular", ("input", "B"), A, B)
        a = _square("linalg.solve_triangular", A)
        b = B._data
        rows = -2 if left else -1
        if b.ndim < 2 or b.shape[rows] != a.shape[-1]:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation {eq} "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(b.shape[-2:])})")
        check_batches(b.shape[:-2], a.shape[:-2])
        if b.dtype != a.dtype:
            # PyTorch solves in A's dtype: B is cast to it (a complex B into a real A loses its imaginary part)
            if _np_kind(b.dtype) == "c" and _np_kind(a.dtype) != "c":
                import warnings
                warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
                B = B.real
            B = B.to(_dt.from_numpy_dtype(a.dtype))
            b = B._data
        res = wrap(table[A._device.type](a, b, upper, unitriangular, left), A._device)
        return _record(op, res, (A, B), {"upper": upper, "unitriangular": unitriangular, "left": left},
                       "LinalgSolveTriangularBackward0")
    return solve_triangular


defop("linalg_solve_triangular", kernel=_solve_triangular_kernel, frontend=_solve_triangular_frontend,
      method=False, public=False)


def _matrix_power(A, n):
    # any dtype: integer matrices have powers too. (torch.matrix_power's TypeError; linalg.matrix_power
    # checks its argument under its own name first)
    require_tensors("matrix_power", ("input",), A)
    a = square_matrices("linalg.matrix_power", A)
    n = int(n)
    if n == 0:
        from ..creation import eye
        e = eye(a.shape[-1], dtype=A.dtype, device=A.device)
        if A._requires_grad and _gs.enabled:
            # PyTorch writes the identity into a copy of A: a CopyBackwards node (its gradient is zero)
            return A.clone().copy_(e)
        return e.expand(*a.shape).clone() if a.ndim > 2 else e
    original = A
    if n < 0:
        A = _inv.frontend(A)
        n = -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    # n = 1 returns a copy of A (CloneBackward0); n = -1 the inverse itself (LinalgInvExBackward0)
    return result if result is not original else original.clone()


defop("matrix_power", frontend=lambda op: _matrix_power, differentiable=False)
