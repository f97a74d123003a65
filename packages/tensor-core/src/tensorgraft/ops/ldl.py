"""The LDL factorisation of symmetric and Hermitian matrices (``torch.linalg.ldl_factor``,
``ldl_factor_ex``, ``ldl_solve``), by Bunch-Kaufman diagonal pivoting.

It is kept apart from ``decompositions.py`` because it shares nothing with the other factorisations
but the batch flattening: its 1x1/2x2 pivot search, LAPACK's ``sytrf``/``hetrf`` storage and the
matching ``sytrs`` solve form one algorithm that is read (and checked against LAPACK) on its own.
Forward only, as in PyTorch; the kernels are written once against ``xp``, with each matrix of a batch
following its own pivot blocks through masked, batch-wide steps (no Python loop over the batch)."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import defop
from ._return_types import return_type
from .decompositions import _flat
from .linalg import LinAlgError, _batch_prefix, _float_check, _tensor_args, first_failure
from tensorgraft.dtypes import np_kind as _np_kind

LDLFactorResult = return_type("linalg_ldl_factor", ("LD", "pivots"))
LDLFactorExResult = return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))

# Bunch-Kaufman's growth bound: a 1x1 pivot is kept when |a_kk| >= alpha * (largest below it)
_BK_ALPHA = (1 + math.sqrt(17)) / 8


def _bk_size(xp, x, hermitian_diag=False):
    """LAPACK's pivot size: |re| + |im| for complex entries (|re| alone for a Hermitian diagonal)."""
    if _np_kind(x.dtype) != "c":
        return xp.abs(x)
    return xp.abs(x.real) if hermitian_diag else xp.abs(x.real) + xp.abs(x.imag)


def _ldl_kernel(xp, a, hermitian):
    """``sytrf``/``hetrf`` with ``uplo='L'``: A = L D L^T (L^H), D of 1x1 and 2x2 blocks, pivots in
    LAPACK's 1-based form (negative pairs for 2x2 blocks). Only the lower triangle of A is read.

    Each matrix of the batch advances through its own columns (``k`` per matrix: a 2x2 pivot takes
    two at once), so every step works on full-size masked arrays and the batch needs no Python
    loop. The trailing block is kept as a full symmetric matrix; the row/column interchanges only
    touch it, leaving the finished L columns alone, which is LAPACK's (product-form) convention."""
    A, batch = _flat(xp, a)
    nb, n = A.shape[0], A.shape[-1]
    cplx = _np_kind(A.dtype) == "c"
    herm = hermitian and cplx
    low = xp.tril(A, -1)
    upper = xp.conj(xp.swapaxes(low, -1, -2)) if herm else xp.swapaxes(low, -1, -2)
    diag = xp.diagonal(A, 0, -2, -1)
    M = low + upper + xp.eye(n, dtype=A.dtype) * (diag.real if herm else diag)[:, None, :]
    piv = xp.broadcast_to(xp.arange(1, n + 1, dtype=np.int32), (nb, n)).copy()
    info = xp.zeros((nb,), dtype=np.int32)
    bi = xp.arange(nb)
    idx = xp.arange(n)
    k = xp.zeros((nb,), dtype=np.int64)
    while True:
        active = k < n
        if not bool(active.any()):
            break
        kc = xp.minimum(k, n - 1)
        akk = M[bi, kc, kc]
        absakk = _bk_size(xp, akk, herm)
        below = idx[None, :] > kc[:, None]
        col = xp.where(below, _bk_size(xp, M[bi, :, kc]), -1.0)
        imax = xp.argmax(col, axis=1)
        colmax = xp.maximum(col[bi, imax], 0.0)
        # the largest off-diagonal of row/column imax inside the trailing block
        row = xp.where((idx[None, :] >= kc[:, None]) & (idx[None, :] != imax[:, None]),
                       _bk_size(xp, M[bi, imax, :]), 0.0)
        rowmax = row.max(axis=1)
        aii = _bk_size(xp, M[bi, imax, imax], herm)
        singular = xp.maximum(absakk, colmax) == 0
        keep = singular | (absakk >= _BK_ALPHA * colmax) | \
            (absakk * xp.where(rowmax > 0, rowmax, 1) >= _BK_ALPHA * colmax * colmax)
        two = ~keep & (aii < _BK_ALPHA * rowmax) & active
        kp = xp.where(keep, kc, imax)
        kk = kc + two
        info = xp.where(singular & active & (info == 0), kc + 1, info).astype(np.int32)

        # symmetric interchange of kk and kp inside the trailing block (rows/cols >= k)
        swap = active & (kp != kk)
        in_block = (idx[None, :] >= kc[:, None]) & swap[:, None]
        r_kk, r_kp = M[bi, kk, :].copy(), M[bi, kp, :].copy()
        M[bi, kk, :] = xp.where(in_block, r_kp, r_kk)
        M[bi, kp, :] = xp.where(in_block, r_kk, r_kp)
        c_kk, c_kp = M[bi, :, kk].copy(), M[bi, :, kp].copy()
        M[bi, :, kk] = xp.where(in_block, c_kp, c_kk)
        M[bi, :, kp] = xp.where(in_block, c_kk, c_kp)

        # eliminate with the pivot block D (1x1, or 2x2 embedded as [[d11, d21'], [d21, d22]]):
        # L = X D^-1 for the rows below the block, then the trailing block loses L X^T (X^H)
        k1 = xp.minimum(kc + 1, n - 1)
        d11 = M[bi, kc, kc]
        d21 = xp.where(two, M[bi, k1, kc], 0)
        d22 = xp.where(two, M[bi, k1, k1], 1)
        d12 = xp.conj(d21) if herm else d21
        det = d11 * d22 - d12 * d21
        ok = active & ~singular
        det = xp.where(ok, det, 1)
        inv = xp.stack([xp.stack([d22, -d12], -1), xp.stack([-d21, d11], -1)], -2) / det[:, None, None]
        inv = inv * xp.stack([xp.ones_like(two), two], -1)[:, None, :] * xp.stack([xp.ones_like(two), two], -1)[:, :, None]
        inv = xp.where(ok[:, None, None], inv, 0)
        rows = (idx[None, :] > kk[:, None])[:, :, None]
        X = xp.where(rows, xp.stack([M[bi, :, kc], M[bi, :, k1]], -1), 0)
        X[:, :, 1] = xp.where(two[:, None], X[:, :, 1], 0)
        W = X @ inv
        Xt = xp.conj(xp.swapaxes(X, -1, -2)) if herm else xp.swapaxes(X, -1, -2)
        M = M - W @ Xt
        lower_rows = rows[:, :, 0] & ok[:, None]
        M[bi, :, kc] = xp.where(lower_rows, W[:, :, 0], M[bi, :, kc])
        M[bi, :, k1] = xp.where(lower_rows & two[:, None], W[:, :, 1], M[bi, :, k1])

        piv_k = xp.where(two, -(kp + 1), kp + 1).astype(np.int32)
        piv[bi, kc] = xp.where(active, piv_k, piv[bi, kc])
        piv[bi, k1] = xp.where(active & two, piv_k, piv[bi, k1])
        k = xp.where(active, k + 1 + two, k)
    return xp.tril(M).reshape(a.shape), piv.reshape(batch + (n,)), info.reshape(batch)


def _ldl_solve_kernel(xp, ld, piv, b, hermitian):
    """``sytrs``/``hetrs`` (lower): undo each pivot block's interchange and elimination forward,
    divide by D, then apply the transposed eliminations and interchanges backward. Batches follow
    their own pivot blocks through masked, batch-wide steps."""
    shape = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    n, nrhs = ld.shape[-1], b.shape[-1]
    nb = math.prod(shape)      # explicit: reshape(-1, ...) is ambiguous for empty batches or n = 0
    L = xp.broadcast_to(ld, shape + (n, n)).reshape((nb, n, n))
    P = xp.broadcast_to(piv, shape + (n,)).reshape((nb, n)).astype(np.int64)
    B = xp.broadcast_to(b, shape + (n, nrhs)).reshape((nb, n, nrhs)).astype(
        np.result_type(ld.dtype, b.dtype), copy=True)
    herm = hermitian and _np_kind(L.dtype) == "c"
    bi = xp.arange(nb)
    idx = xp.arange(n)

    def swap_rows(i, j, where):
        ri, rj = B[bi, i, :].copy(), B[bi, j, :].copy()
        B[bi, i, :] = xp.where(where[:, None], rj, ri)
        B[bi, j, :] = xp.where(where[:, None], ri, rj)

    k = xp.zeros((nb,), dtype=np.int64)
    while n and bool((k < n).any()):          # forward: solve (P L) D Y = B
        active = k < n
        kc = xp.minimum(k, n - 1)
        two = (P[bi, kc] < 0) & active
        k1 = xp.minimum(kc + 1, n - 1)
        kk = kc + two
        swap_rows(kk, xp.abs(P[bi, kc]) - 1, active)
        below = ((idx[None, :] > kk[:, None]) & active[:, None])[:, :, None]
        c0 = xp.where(below, L[bi, :, kc][:, :, None], 0)
        c1 = xp.where(below & two[:, None, None], L[bi, :, k1][:, :, None], 0)
        b0, b1 = B[bi, kc, :], B[bi, k1, :]
        B -= c0 * b0[:, None, :] + c1 * xp.where(two[:, None], b1, 0)[:, None, :]
        d11, d22 = L[bi, kc, kc], xp.where(two, L[bi, k1, k1], 1)
        d21 = xp.where(two, L[bi, k1, kc], 0)
        d12 = xp.conj(d21) if herm else d21
        det = d11 * d22 - d12 * d21
        det = xp.where(active, det, 1)
        y0 = (d22[:, None] * b0 - d12[:, None] * b1 * two[:, None]) / det[:, None]
        y1 = (d11[:, None] * b1 - d21[:, None] * b0) / det[:, None]
        B[bi, kc, :] = xp.where(active[:, None], y0, b0)
        B[bi, k1, :] = xp.where(two[:, None], y1, B[bi, k1, :])
        k = xp.where(active, k + 1 + two, k)

    k = xp.full((nb,), n - 1, dtype=np.int64)
    while n and bool((k >= 0).any()):         # backward: solve (P L)^T X = Y
        active = k >= 0
        kc = xp.maximum(k, 0)
        two = (P[bi, kc] < 0) & active
        first = xp.where(two, kc - 1, kc)
        below = ((idx[None, :] > kc[:, None]) & active[:, None])[:, :, None]
        Lt = xp.conj(L) if herm else L
        c0 = xp.where(below, Lt[bi, :, kc][:, :, None], 0)
        c1 = xp.where(below & two[:, None, None], Lt[bi, :, first][:, :, None], 0)
        B[bi, kc, :] -= (c0 * B).sum(1)
        B[bi, first, :] -= (c1 * B).sum(1)
        swap_rows(kc, xp.abs(P[bi, kc]) - 1, active)
        k = xp.where(active, k - 1 - two, k)
    return B.reshape(shape + (n, nrhs))


def _ldl_factor_frontend(fname, ex):
    def factory(op):
        table = op.table

        def ldl_factor(A, *, hermitian=False, check_errors=False, out=None):
            name = "torch.linalg.ldl_factor_ex"  # PyTorch's checks run in the _ex variant for both
            if not isinstance(A, Tensor):
                raise F.not_a_tensor(fname, "A", 1, A)
            if A._data.ndim < 2:
                raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
            if A._data.shape[-1] != A._data.shape[-2]:
                raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                                   f"{A._data.shape[-2]} by {A._data.shape[-1]} matrices")
            _float_check(name, A)
            ld, piv, info = table[A._device.type](A._data, hermitian)
            failed = first_failure(info) if check_errors or not ex else None
            if failed is not None:
                b, k = failed
                raise LinAlgError(f"torch.{fname}: {_batch_prefix(A._data, b)}The factorization could not be completed "
                                  f"because D[{k},{k}] is exactly zero: the matrix is singular.")
            dev = A._device
            if ex:
                return LDLFactorExResult(wrap(ld, dev), wrap(piv, dev), wrap(info, dev))
            return LDLFactorResult(wrap(ld, dev), wrap(piv, dev))
        return ldl_factor
    return factory


def _ldl_solve_frontend(op):
    table = op.table

    def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
        _tensor_args("linalg.ldl_solve", ("LD", "pivots", "B"), LD, pivots, B)
        ld, piv, b = LD._data, pivots._data, B._data
        name = "torch.linalg.ldl_solve"
        if ld.ndim < 2:
            raise RuntimeError(f"{name}: The input tensor LD must have at least 2 dimensions.")
        if ld.shape[-1] != ld.shape[-2]:
            raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {ld.shape[-2]} by "
                               f"{ld.shape[-1]} matrices")
        if b.ndim < 2:
            raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
        if piv.shape != ld.shape[:-1]:
            raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots "
                               f"with shape {list(piv.shape)} instead")
        if _np_kind(piv.dtype) not in "iu":
            raise RuntimeError(f"{name}: Expected pivots to be integers. Got {F._type_name(piv.dtype)}")
        if b.dtype != ld.dtype:
            raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {F._type_name(b.dtype)} "
                               f"and A of type {F._type_name(ld.dtype)} instead.")
        _float_check(name, LD)
        if b.shape[-2] != ld.shape[-1]:
            raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is {ld.shape[-2]} by "
                               f"{ld.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
        return wrap(table[LD._device.type](ld, piv, b, hermitian), LD._device)
    return ldl_solve


def _ldl_samples(dtype, device):
    from .linalg import _mk
    a = _mk((2, 4, 4), dtype, device, 167)
    a = (a + a.mT).detach()
    return [(a,), ((a[0],), {"hermitian": True})]


def _ref_ldl(a, hermitian=False):
    ld, piv, _ = _ldl_kernel(np, a, hermitian)
    return ld, piv


defop("linalg_ldl_factor_ex", kernel=_ldl_kernel, frontend=_ldl_factor_frontend("linalg.ldl_factor_ex", True),
      method=False, public=False, differentiable=False, samples=_ldl_samples,
      reference=lambda a, hermitian=False: _ldl_kernel(np, a, hermitian))
defop("linalg_ldl_factor", kernel=_ldl_kernel, frontend=_ldl_factor_frontend("linalg.ldl_factor", False),
      method=False, public=False, differentiable=False, samples=_ldl_samples, reference=_ref_ldl)


def _ldl_solve_samples(dtype, device):
    from .linalg import _mk
    a = _mk((4, 4), dtype, device, 168)
    a = (a + a.mT).detach()
    ld, piv, _ = _ldl_kernel(np, a.detach().cpu()._data, False)
    from .creation import tensor
    return [(tensor(ld, device=device), tensor(piv, device=device), _mk((4, 2), dtype, device, 169))]


defop("linalg_ldl_solve", kernel=_ldl_solve_kernel, frontend=_ldl_solve_frontend, method=False, public=False,
      differentiable=False, samples=_ldl_solve_samples,
      reference=lambda ld, piv, b, hermitian=False: _ldl_solve_kernel(np, ld, piv, b, hermitian))
