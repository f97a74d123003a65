"""LU factorisation with partial pivoting and what is built on it: ``torch.linalg.lu_factor``,
``lu_factor_ex``, ``lu``, ``lu_solve``, ``solve_ex`` and ``torch.lu_unpack``.

It has its own module because it is the one factorisation here whose kernels are composed by hand
(CuPy's ``linalg`` has no LU): a right-looking elimination vectorized over the batch that picks
pivots as LAPACK's ``getf2`` does, the permutation rebuilt from LAPACK's 1-based row swaps, and the
triangular solves on top. ``lu_solve`` records its node through ``lu_solve_composite`` (the same solve
in differentiable ops; see ``decompositions._record_fn``); the LU formulas live in
``formulas/decompositions.py``."""
from __future__ import annotations

import numpy as np

from ..grad_mode import no_grad
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import defop
from ._return_types import return_type
from .decompositions import _check_dims, _flat, _record_fn, _xp
from .linalg import (
    LinAlgError, _batch_prefix, _float_check, _record, _shape_str, _square, _tensor_args, aten_name, check_batches,
    first_failure, require_tensors, solve_triangular_array,
)
from tensorgraft.dtypes import np_kind as _np_kind

LUFactorResult = return_type("linalg_lu_factor", ("LU", "pivots"))
LUFactorExResult = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
LUResult = return_type("linalg_lu", ("P", "L", "U"))
LUUnpackResult = return_type("lu_unpack", ("P", "L", "U"))
SolveExResult = return_type("linalg_solve_ex", ("result", "info"))


def _lu_kernel(xp, a, pivot):
    """Right-looking LU with partial pivoting (LAPACK's getf2: first largest |a_ij| wins)."""
    A, batch = _flat(xp, a.copy())
    nb, m, n = A.shape
    k = min(m, n)
    piv = xp.empty((nb, k), dtype=np.int32)
    info = xp.zeros((nb,), dtype=np.int32)
    bi = xp.arange(nb)
    for j in range(k):
        if pivot:
            col = A[:, j:, j]
            # LAPACK's i?amax ranks complex entries by |re| + |im|, not the modulus: the same pivots
            size = xp.abs(col.real) + xp.abs(col.imag) if _np_kind(col.dtype) == "c" else xp.abs(col)
            p = xp.argmax(size, axis=1) + j
            piv[:, j] = p + 1
            rj, rp = A[bi, j].copy(), A[bi, p].copy()
            A[bi, j] = rp
            A[bi, p] = rj
        else:
            piv[:, j] = j + 1
        d = A[:, j, j]
        zero = d == 0
        info = xp.where(zero & (info == 0), j + 1, info).astype(np.int32)
        if j + 1 < m:
            l = A[:, j + 1:, j] / xp.where(zero, 1, d)[:, None]
            A[:, j + 1:, j] = l
            if j + 1 < n:
                A[:, j + 1:, j + 1:] -= l[:, :, None] * A[:, j, None, j + 1:]
    return A.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm_kernel(xp, piv, m, dtype):
    """The permutation matrix P with A = P L U from LAPACK's 1-based row swaps."""
    P2, batch = _flat(xp, piv[..., None, :])
    piv2 = P2[:, 0, :].astype(np.int64) - 1
    nb, k = piv2.shape
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    bi = xp.arange(nb)
    for j in range(k):
        p = piv2[:, j]
        pj, pp = perm[:, j].copy(), perm[bi, p].copy()
        perm[:, j] = pp
        perm[bi, p] = pj
    P = xp.zeros((nb, m, m), dtype=dtype)
    P[bi[:, None], perm, xp.arange(m)[None, :]] = 1
    return P.reshape(batch + (m, m))


def _unpack_kernel(xp, lu, piv, unpack_data, unpack_pivots):
    m, n = lu.shape[-2:]
    k = min(m, n)
    if unpack_data:
        L = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype)
        U = xp.triu(lu[..., :k, :])
    else:
        L = U = xp.empty((0,), dtype=lu.dtype)
    P = _perm_kernel(xp, piv, m, lu.dtype) if unpack_pivots else xp.empty((0,), dtype=lu.dtype)
    return P, L, U


def _lu_factor_frontend(fname, ex):
    def factory(op):
        table = op.table

        def lu_factor(A, *, pivot=True, check_errors=False, out=None):
            if not isinstance(A, Tensor):
                raise F.not_a_tensor(aten_name(fname), "A", 1, A)
            if A._data.ndim < 2:
                raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                                   f"{list(A._data.shape)} instead")
            _float_check(fname, A)
            if not pivot and A._device.type == "cpu":
                raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
            lu, piv, info = table[A._device.type](A._data, pivot)
            failed = first_failure(info) if check_errors or not ex else None
            if failed is not None:
                b, k = failed
                raise LinAlgError(f"torch.linalg.lu_factor: {_batch_prefix(A._data, b)}U[{k},{k}] is zero and using it on "
                                  "lu_solve would result in a division by zero. If you still want to perform the "
                                  "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
            dev = A._device
            LU = wrap(lu, dev)
            _record(op, LU, (A,), {"pivots": piv, "pivot": pivot}, "LinalgLuFactorExBackward0")
            if ex:
                return LUFactorExResult(LU, wrap(piv, dev), wrap(info, dev))
            return LUFactorResult(LU, wrap(piv, dev))
        return lu_factor
    return factory


def _lu_samples(dtype, device):
    from .linalg import _mk
    return [(_mk((3, 3), dtype, device, 140),), (_mk((2, 3, 3), dtype, device, 141),), (_mk((3, 2), dtype, device, 142),),
            (_mk((2, 4), dtype, device, 143),)]


def _ref_lu_factor(a):
    lu, piv, _ = _lu_kernel(np, a, True)
    return lu, piv


_lu_factor_ex = defop("linalg_lu_factor_ex", kernel=_lu_kernel, frontend=_lu_factor_frontend("linalg.lu_factor_ex", True),
                      method=False, public=False, samples=_lu_samples, reference=lambda a: _lu_kernel(np, a, True))
_lu_factor = defop("linalg_lu_factor", kernel=_lu_kernel, frontend=_lu_factor_frontend("linalg.lu_factor", False),
                   method=False, public=False, samples=_lu_samples, reference=_ref_lu_factor,
                   formula_of="linalg_lu_factor_ex")


def _lu_frontend(op):
    table = op.table

    def lu(A, *, pivot=True, out=None):
        if isinstance(A, Tensor) and A._data.ndim < 2:
            raise RuntimeError(f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: {list(A._data.shape)} "
                               "instead")
        _check_dims("linalg.lu", A)
        _float_check("linalg.lu", A)
        if not pivot and A._device.type == "cpu":
            raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
        dev = A._device
        lu_, piv, _ = table[dev.type](A._data, pivot)
        P, L, U = (wrap(x, dev) for x in _unpack_kernel(_xp(A), lu_, piv, True, True))
        if _gs.enabled and A._requires_grad:
            attrs = {"P": P, "L": L.detach(), "U": U.detach(), "pivot": pivot}
            Tensor._autograd.record(op, L, (A,), dict(attrs, part="L"), node_name="LinalgLuBackward0")
            Tensor._autograd.record(op, U, (A,), dict(attrs, part="U"), node_name="LinalgLuBackward0")
        return LUResult(P, L, U)
    return lu


def _ref_lu(a):
    lu, piv, _ = _lu_kernel(np, a, True)
    return _unpack_kernel(np, lu, piv, True, True)


defop("linalg_lu", kernel=_lu_kernel, frontend=_lu_frontend, method=False, public=False, samples=_lu_samples,
      reference=_ref_lu)


def _lu_unpack_frontend(op):
    def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
        _tensor_args("lu_unpack", ("LU_data", "LU_pivots"), LU_data, LU_pivots)
        if LU_data._data.ndim < 2:
            raise RuntimeError("torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                               f"{list(LU_data._data.shape)} instead")
        if LU_pivots._data.dtype != np.int32:
            raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype."
                               "\nNote: this function is intended to be used with the output produced by "
                               "torch.linalg.lu_factor")
        dev = LU_data._device
        P, L, U = (wrap(x, dev) for x in _unpack_kernel(_xp(LU_data), LU_data._data, LU_pivots._data,
                                                         unpack_data, unpack_pivots))
        if unpack_data and _gs.enabled and LU_data._requires_grad:
            Tensor._autograd.record(op, L, (LU_data,), {"part": "L"}, node_name="LuUnpackBackward0")
            Tensor._autograd.record(op, U, (LU_data,), {"part": "U"}, node_name="LuUnpackBackward0")
        return LUUnpackResult(P, L, U)
    return lu_unpack


def _unpack_samples(dtype, device):
    from .linalg import _mk
    out = []
    for s, seed in (((3, 3), 144), ((3, 2), 145), ((2, 4), 146)):
        a = _mk(s, dtype, device, seed)
        lu, piv, _ = _lu_kernel(np, a.detach().cpu()._data, True)
        out.append((a, wrap(piv, a._device) if device == "cpu" else wrap(piv, a._device).to(device)))
    return out


defop("lu_unpack", frontend=_lu_unpack_frontend, method=False, samples=_unpack_samples,
      reference=lambda lu, piv: _unpack_kernel(np, lu, piv, True, True))


def _lu_solve_kernel(xp, lu, piv, b, left, adjoint):
    P, L, U = _unpack_kernel(xp, lu, piv, True, True)

    def H(x):
        return xp.conj(xp.swapaxes(x, -1, -2))
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return H(_lu_solve_kernel(xp, lu, piv, H(b), True, not adjoint))
    if adjoint:  # U^H L^H P^T X = B
        y = solve_triangular_array(xp, H(U), b, False)
        return _permute_rows(xp, P, solve_triangular_array(xp, H(L), y, True))
    y = solve_triangular_array(xp, L, _permute_rows(xp, xp.swapaxes(P, -1, -2), b), False)
    return solve_triangular_array(xp, U, y, True)


def _permute_rows(xp, P, x):
    """``P @ x`` for a permutation matrix P as a gather (LAPACK's row swaps): a product would turn
    the inf of a singular solve into NaN in every row (0 * inf)."""
    if P.shape[-1] == 0:
        return xp.matmul(P, x)
    rows = xp.argmax(P, axis=-1)[..., None]
    shape = np.broadcast_shapes(rows.shape[:-2], x.shape[:-2])
    rows = xp.broadcast_to(rows, shape + (rows.shape[-2], x.shape[-1]))
    return xp.take_along_axis(xp.broadcast_to(x, shape + x.shape[-2:]), rows, axis=-2)


def lu_solve_composite(LU, pivots, B, left=True, adjoint=False):
    """The same solve written with differentiable ops (used for its gradient)."""
    from ..linalg import solve_triangular
    m = LU.shape[-1]
    from .creation import eye
    L = LU.tril(-1) + eye(m, dtype=LU.dtype, device=LU.device)
    U = LU.triu()
    P = wrap(_perm_kernel(_xp(LU), pivots._data, m, LU._data.dtype), LU._device)

    def H(x):
        return x.mT.conj() if x.is_complex() else x.mT
    if not left:
        return H(lu_solve_composite(LU, pivots, H(B), True, not adjoint))
    if adjoint:
        y = solve_triangular(H(U), B, upper=False)
        return P.matmul(solve_triangular(H(L), y, upper=True, unitriangular=True))
    y = solve_triangular(L, P.mT.matmul(B), upper=False, unitriangular=True)
    return solve_triangular(U, y, upper=True)


def _lu_solve_frontend(op):
    table = op.table

    def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
        _tensor_args("linalg.lu_solve", ("LU", "pivots", "B"), LU, pivots, B)
        a = _square("torch.linalg.lu_solve", LU)
        b = B._data
        if b.ndim < 2:
            raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
        rows = b.shape[-2] if left else b.shape[-1]
        if rows != a.shape[-1]:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {eq} "
                               f"({_shape_str(a.shape[-2:])} and {_shape_str(b.shape[-2:])})")
        if a.dtype != b.dtype:
            raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                               f"{F._type_name(a.dtype)} and B of type {F._type_name(b.dtype)} instead")
        if pivots._data.dtype != np.int32:
            raise RuntimeError(f"linalg.lu_solve: Expected pivots to be int32, but got {F._type_name(pivots._data.dtype)}")
        check_batches(b.shape[:-2], a.shape[:-2])
        res = wrap(table[LU._device.type](a, pivots._data, b, left, adjoint), LU._device)
        _record_fn(op, (res,), (LU, pivots, B), lu_solve_composite, "LinalgLuSolveBackward0", left=left,
                   adjoint=adjoint)
        return res
    return lu_solve


def _lu_solve_samples(dtype, device):
    from .linalg import _mk, _well
    A = _well(dtype, device, 147)
    lu, piv, _ = _lu_kernel(np, A.detach().cpu()._data, True)
    LU = wrap(lu, A.cpu()._device).to(device)
    p = wrap(piv, A.cpu()._device).to(device)
    return [(LU, p, _mk((3, 2), dtype, device, 148)),
            ((LU, p, _mk((2, 3), dtype, device, 149)), {"left": False}),
            ((LU, p, _mk((3, 2), dtype, device, 150)), {"adjoint": True})]


def _ref_lu_solve(lu, piv, b, left=True, adjoint=False):
    return _lu_solve_kernel(np, lu, piv, b, left, adjoint)


_lu_solve = defop("linalg_lu_solve", kernel=_lu_solve_kernel, frontend=_lu_solve_frontend, method=False, public=False,
                  samples=_lu_solve_samples, reference=_ref_lu_solve)


# --------------------------------------------------------------------------- solve_ex (LU's info)
def _solve_ex(A, B, *, left=True, check_errors=False, out=None):
    require_tensors("linalg_solve_ex", ("A", "B"), A, B)  # (before linalg.solve checks them as its own)
    from .creation import zeros
    from .linalg import _solve
    try:
        res = _solve.frontend(A, B, left=left)
    except LinAlgError as e:
        if check_errors:  # PyTorch's check runs in the _ex function and names it
            raise LinAlgError(str(e).replace("torch.linalg.solve: ", "torch.linalg.solve_ex: ", 1)) from None
        with no_grad():
            return SolveExResult(*solve_singular(A, B, left))
    return SolveExResult(res, zeros(A.shape[:-2], dtype=_int32(), device=A.device))


def solve_singular(A, B, left):
    """``(X, info)`` for a batch holding a singular matrix, as LAPACK's getrf + getrs leave them (what
    PyTorch's ``solve_ex``/``inv_ex`` return): the regular matrices solved, the singular ones divided
    by their zero pivot (±inf, NaN), ``info`` the order of that pivot. ``B=None`` inverts A."""
    xp = _xp(A)
    a = A._data
    lu, piv, info = _lu_kernel(xp, a, True)
    if B is None:
        b = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
        vec = False
    else:
        b = B._data
        vec = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]))
        if vec:
            b = b[..., None]
    x = _lu_solve_kernel(xp, lu, piv, b, left, False)
    return wrap(x[..., 0] if vec else x, A._device), wrap(info, A._device)


def _int32():
    from .. import dtypes
    return dtypes.int32


defop("linalg_solve_ex", frontend=lambda op: _solve_ex, method=False, public=False, differentiable=False,
      samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_well"])._well(dt, dev, 165),
                                __import__("tensorgraft.ops.linalg", fromlist=["_mk"])._mk((3, 2), dt, dev, 166))],
      reference=lambda a, b: (np.linalg.solve(a, b), np.zeros((), np.int32)), composite=True)
