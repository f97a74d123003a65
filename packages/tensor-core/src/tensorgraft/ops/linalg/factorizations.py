"""QR, eigh, SVD (svd, svdvals) and the pseudo-inverse computed from it (linalg.pinv, pinverse).
The other factorizations are modules of their own next to this package: ``decompositions.py``
(eig, lstsq, Householder), ``lu.py``, ``ldl.py``, ``lowrank.py``."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop
from .._return_types import return_type
from .checks import _OWN_MESSAGE, _float_check, _record, _record_per_output, _square, converged
from tensorgraft.dtypes import np_kind as _np_kind


QRResult = return_type("linalg_qr", ("Q", "R"))
EighResult = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
SVDResult = return_type("linalg_svd", ("U", "S", "Vh"))


def _qr_kernel(xp, a, mode):
    if a.ndim == 2 or xp is not np:
        return xp.linalg.qr(a, mode=mode)
    return np.linalg.qr(a, mode=mode)


def _qr_frontend(op):
    table = op.table

    def qr(A, mode="reduced", *, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg_qr", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.qr", A)
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                               "'r', or 'complete'")
        if mode == "r":
            r = table[A._device.type](A._data, "r")
            # PyTorch's Q for mode='r' is a 1-D empty tensor, whatever the batch shape
            Q, R = wrap(A._data.reshape(-1)[:0].copy(), A._device), wrap(r, A._device)
        else:
            q, r = table[A._device.type](A._data, mode)
            Q, R = wrap(q, A._device), wrap(r, A._device)
        if _gs.enabled and A._requires_grad:
            _record_per_output(op, ((Q, "Q"), (R, "R")), (A,), {"Q": Q.detach(), "R": R.detach(), "mode": mode},
                               "LinalgQrBackward0")
        return QRResult(Q, R)
    return qr


defop("linalg_qr", kernel=_qr_kernel, frontend=_qr_frontend, method=False, public=False)


def _eigh_kernel(xp, a, uplo):
    return xp.linalg.eigh(a, UPLO=uplo)


def _eigh_frontend(op):
    table = op.table

    def eigh(A, UPLO="L", *, out=None):
        a = _square("linalg.eigh", A, "input")
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        w, v = table[A._device.type](a, UPLO)
        L, V = wrap(w, A._device), wrap(v, A._device)
        if _gs.enabled and A._requires_grad:
            _record_per_output(op, ((L, "values"), (V, "vectors")), (A,),
                               {"L": L.detach(), "V": V.detach(), "UPLO": UPLO}, "LinalgEighBackward0")
        return EighResult(L, V)
    return eigh


_eigh = defop("linalg_eigh", kernel=_eigh_kernel, frontend=_eigh_frontend, method=False, public=False)


def _svd_kernel(xp, a, full):
    return xp.linalg.svd(a, full_matrices=full)


def _svd_frontend(op):
    table = op.table

    def svd(A, full_matrices=True, *, driver=None, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg_svd", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.svd", A)
        u, s, vh = converged(table[A._device.type], A._data, full_matrices)
        U, S, Vh = wrap(u, A._device), wrap(s, A._device), wrap(vh, A._device)
        if _gs.enabled and A._requires_grad:
            # with full_matrices=True the columns past min(m, n) do not enter the gradient, as in PyTorch
            k = s.shape[-1]
            attrs = {"U": U.detach()[..., :k], "S": S.detach(), "Vh": Vh.detach()[..., :k, :], "k": k}
            _record_per_output(op, ((U, "U"), (S, "S"), (Vh, "Vh")), (A,), attrs, "LinalgSvdBackward0")
        return SVDResult(U, S, Vh)
    return svd


_svd = defop("linalg_svd", kernel=_svd_kernel, frontend=_svd_frontend, method=False, public=False)


def _svdvals_kernel(xp, a):
    return xp.linalg.svd(a, compute_uv=False)


def _svdvals_frontend(op):
    table = op.table

    def svdvals(A, *, driver=None, out=None):
        if not isinstance(A, Tensor):
            raise F.not_a_tensor("linalg_svdvals", "A", 1, A)
        if A._data.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _float_check("linalg.svdvals", A)
        s = wrap(converged(table[A._device.type], A._data), A._device)
        if _gs.enabled and A._requires_grad:
            u, _, vh = _svd.table[A._device.type](A._data, False)
            Tensor._autograd.record(op, s, (A,), {"U": wrap(u, A._device), "Vh": wrap(vh, A._device)},
                                    node_name="LinalgSvdBackward0")
        return s
    return svdvals


_svdvals = defop("linalg_svdvals", kernel=_svdvals_kernel, frontend=_svdvals_frontend, method=False, public=False)


def _pinv_kernel(xp, a, atol, rtol, hermitian):
    """Pseudo-inverse from the SVD (eigendecomposition when ``hermitian``), keeping the singular values
    above ``max(atol, rtol * largest)`` as PyTorch does. ``atol``/``rtol`` are numbers or arrays that
    broadcast against the batch dimensions."""
    m, n = a.shape[-2:]
    if a.size == 0:
        return xp.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    if hermitian:
        w, v = xp.linalg.eigh(a)
        size = xp.abs(w)
    else:
        u, w, vh = xp.linalg.svd(a, full_matrices=False)
        size = w
    cutoff = xp.maximum(xp.asarray(atol)[..., None], xp.asarray(rtol)[..., None] * size.max(-1, keepdims=True))
    keep = size > cutoff
    inv = xp.where(keep, 1 / xp.where(keep, w, xp.ones((), w.dtype)), xp.zeros((), w.dtype))
    if hermitian:
        return ((v * inv[..., None, :].astype(v.dtype)) @ xp.conj(xp.swapaxes(v, -1, -2))).astype(a.dtype)
    return ((xp.conj(xp.swapaxes(vh, -1, -2)) * inv[..., None, :].astype(a.dtype))
            @ xp.conj(xp.swapaxes(u, -1, -2))).astype(a.dtype)


def _tolerance(value, like):
    """``atol``/``rtol`` as the kernel takes them: a Tensor's array (on the matrix's device) or a number."""
    if isinstance(value, Tensor):
        return value._data.real if _np_kind(value._data.dtype) == "c" else value._data
    return float(value)


def _pinv_frontend(op):
    table = op.table

    def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
        if not isinstance(A, Tensor):
            # (PyTorch's parser lists pinv's overloads, each of which names this argument ``input``)
            raise F.not_a_tensor("linalg_pinv", "input", 1, A)
        if A._data.ndim < 2:  # PyTorch's pinv checks rank and dtype in one message
            raise RuntimeError(_OWN_MESSAGE["linalg.pinv"](A))
        _float_check("linalg.pinv", A)
        a = A._data
        if rtol is None and rcond is not None:
            rtol = rcond
        if rtol is None:
            # PyTorch: the default rtol only when no positive atol is given
            atol_given = atol is not None and (isinstance(atol, Tensor) or atol > 0)
            rtol = 0.0 if atol_given else max(a.shape[-2:]) * np.finfo(a.dtype).eps
        atol = 0.0 if atol is None else atol
        res = wrap(converged(table[A._device.type], a, _tolerance(atol, A), _tolerance(rtol, A), bool(hermitian)),
                   A._device)
        return _record(op, res, (A,), None, "LinalgPinvBackward0")
    return pinv


_pinv = defop("linalg_pinv", kernel=_pinv_kernel, frontend=_pinv_frontend, method=False, public=False)


def _pinverse(input, rcond=1e-15):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("pinverse", "input", 1, input)
    return _pinv.frontend(input, rtol=rcond)


defop("pinverse", frontend=lambda op: _pinverse, differentiable=False)
