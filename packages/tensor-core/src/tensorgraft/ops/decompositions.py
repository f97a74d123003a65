"""LU, eigen-decomposition, matrix exponential, least squares and Householder products
(``torch.linalg.lu*``, ``eig``, ``matrix_exp``, ``lstsq``, ``householder_product``, ``geqrf``).

Kernels are written once against ``xp``. CuPy's ``linalg`` has no LU or Householder routines, so
those are composed here from column-by-column updates vectorized over the batch (``O(n)`` backend
calls per factorization): the same code runs on NumPy and CuPy and picks pivots as LAPACK does.

Ops whose backward PyTorch defines as one node but which are easiest to differentiate through a
composite of differentiable ops record ``attrs["fn"]`` (a tensorgraft-level function of the inputs);
their formula differentiates that function (``formulas/decompositions.py``)."""
from __future__ import annotations

import collections
import math

import numpy as np

from ..grad_mode import no_grad
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import defop
from .linalg import LinAlgError, _float_check, _record, _shape_str, _square, _tensor_args

LUFactorResult = collections.namedtuple("linalg_lu_factor", ["LU", "pivots"])
LUFactorExResult = collections.namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUResult = collections.namedtuple("linalg_lu", ["P", "L", "U"])
LUUnpackResult = collections.namedtuple("lu_unpack", ["P", "L", "U"])
SolveExResult = collections.namedtuple("linalg_solve_ex", ["result", "info"])
EigResult = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
LstsqResult = collections.namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
GeqrfResult = collections.namedtuple("geqrf", ["a", "tau"])

_COMPLEX_OF = {"float32": np.complex64, "float64": np.complex128, "complex64": np.complex64,
               "complex128": np.complex128}


def _record_fn(op, outs, inputs, fn, name, **attrs):
    """Record the floating outputs of a composite-differentiated op under PyTorch's node name; ``fn``
    returns the first output (the caller adjusts the others' ``fn``)."""
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        for o in outs:
            if o is not None and o._data.dtype.kind in "fc":
                Tensor._autograd.record(op, o, inputs, dict(attrs, fn=fn, part=None), node_name=name)


def _check_dims(fname, t, what="A"):
    if not isinstance(t, Tensor):
        raise F.not_a_tensor(fname, what, 1, t)
    if t._data.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {what} must have at least 2 dimensions.")


# --------------------------------------------------------------------------- LU kernels
def _flat(xp, a):
    batch = a.shape[:-2]
    return a.reshape((int(np.prod(batch, dtype=np.int64)),) + a.shape[-2:]), batch


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
            p = xp.argmax(xp.abs(A[:, j:, j]), axis=1) + j
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
                raise F.not_a_tensor(fname, "A", 1, A)
            if A._data.ndim < 2:
                raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                                   f"{list(A._data.shape)} instead")
            if A._data.dtype.kind not in "fc":
                raise NotImplementedError(f"\"lu_{A._device.type}\" not implemented for "
                                          f"'{F._type_name(A._data.dtype)}'")
            if not pivot and A._device.type == "cpu":
                raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
            lu, piv, info = table[A._device.type](A._data, pivot)
            if (check_errors or not ex) and bool((info > 0).any()):
                flat = np.asarray(info.get() if hasattr(info, "get") else info).reshape(-1)
                b = int(np.argmax(flat > 0))
                where = f"(Batch element {b}): " if info.ndim else ""
                raise LinAlgError(f"torch.linalg.lu_factor: {where}U[{flat[b]},{flat[b]}] is zero and using it on "
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


def _xp(t):
    from ..device import get_backend
    return get_backend(t._device).xp


def _ref_lu(a):
    lu, piv, _ = _lu_kernel(np, a, True)
    return _unpack_kernel(np, lu, piv, True, True)


defop("linalg_lu", kernel=_lu_kernel, frontend=_lu_frontend, method=False, public=False, samples=_lu_samples,
      reference=_ref_lu)


def _lu_unpack_frontend(op):
    def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
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
        y = xp.linalg.solve(H(U), b)
        return xp.matmul(P, xp.linalg.solve(H(L), y))
    y = xp.linalg.solve(L, xp.matmul(xp.swapaxes(P, -1, -2), b))
    return xp.linalg.solve(U, y)


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
        a = _square("linalg.lu_solve", LU)
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


# --------------------------------------------------------------------------- eig
def _eig_kernel(xp, a, values_only):
    ct = _COMPLEX_OF[str(a.dtype)]
    if values_only:
        return xp.linalg.eigvals(a).astype(ct, copy=False)
    w, v = xp.linalg.eig(a)
    return w.astype(ct, copy=False), v.astype(ct, copy=False)


def _eig_frontend(op):
    table = op.table

    def eig(A, *, out=None):
        a = _square("linalg.eig", A)
        if not bool(np.isfinite(a).all() if isinstance(a, np.ndarray) else _xp(A).isfinite(a).all()):
            raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
        w, v = table[A._device.type](a, False)
        L, V = wrap(w, A._device), wrap(v, A._device)
        if _gs.enabled and A._requires_grad:
            attrs = {"L": L.detach(), "V": V.detach()}
            Tensor._autograd.record(op, L, (A,), dict(attrs, part="values"), node_name="LinalgEigBackward0")
            Tensor._autograd.record(op, V, (A,), dict(attrs, part="vectors"), node_name="LinalgEigBackward0")
        return EigResult(L, V)
    return eig


_eig = defop("linalg_eig", kernel=_eig_kernel, frontend=_eig_frontend, method=False, public=False,
             samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_well"])._well(dt, dev, 151),)])


def _eigvals_frontend(op):
    table = op.table

    def eigvals(A, *, out=None):
        if _gs.enabled and isinstance(A, Tensor) and A._requires_grad:
            return _eig.frontend(A).eigenvalues
        a = _square("linalg.eigvals", A)
        return wrap(table[A._device.type](a, True), A._device)
    return eigvals


defop("linalg_eigvals", kernel=_eig_kernel, frontend=_eigvals_frontend, method=False, public=False,
      differentiable=False, samples=_eig.extra["samples"],
      reference=lambda a: np.sort_complex(np.linalg.eigvals(a)), composite=True,
      conformance_skip={"reference": "eigenvalue order is LAPACK's"})


# --------------------------------------------------------------------------- matrix_exp
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)


def _expm_kernel(xp, a):
    """Scaling and squaring with the [13/13] Padé approximant (Higham 2005); one scale for the batch."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = float(xp.abs(a).sum(-2).max())
    s = max(0, int(math.ceil(math.log2(norm / 5.371920351148152)))) if norm > 0 else 0
    A = a / (2.0 ** s) if s else a
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = xp.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R.astype(a.dtype, copy=False)


def _matrix_exp_frontend(op):
    table = op.table

    def matrix_exp(A):
        a = _square("linalg.matrix_exp", A)
        return _record(op, wrap(table[A._device.type](a), A._device), (A,), None, "LinalgMatrixExpBackward0")
    return matrix_exp


def _ref_expm(a):
    w, v = np.linalg.eig(a)
    return (v @ np.diag(np.exp(w)) @ np.linalg.inv(v)).real


def _expm_samples(dtype, device):
    from .linalg import _mk
    return [(_mk((3, 3), dtype, device, 152, -1.0, 1.0),), (_mk((2, 3, 3), dtype, device, 153, -3.0, 3.0),)]


_matrix_exp = defop("linalg_matrix_exp", kernel=_expm_kernel, frontend=_matrix_exp_frontend, method=False,
                    public=False, samples=_expm_samples,
                    reference=lambda a: np.stack([_ref_expm(m) for m in a.reshape(-1, *a.shape[-2:])]).reshape(a.shape))
defop("matrix_exp", frontend=lambda op: (lambda input: _matrix_exp.frontend(input)), differentiable=False,
      samples=_expm_samples, reference=_matrix_exp.extra["reference"], composite=True)


# --------------------------------------------------------------------------- lstsq
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_kernel(xp, a, b, rcond):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    smax = s[..., :1] if s.shape[-1] else s
    keep = s > rcond * smax
    sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
    uhb = xp.matmul(xp.conj(xp.swapaxes(u, -1, -2)), b)
    x = xp.matmul(xp.conj(xp.swapaxes(vh, -1, -2)), sinv[..., None] * uhb)
    return x, s, keep.sum(-1).astype(np.int64)


def lstsq_composite(A, B, vec=False):
    from ..linalg import pinv
    X = pinv(A).matmul(B.unsqueeze(-1) if vec else B)
    return X.squeeze(-1) if vec else X


def _lstsq_frontend(op):
    table = op.table

    def lstsq(A, B, rcond=None, *, driver=None):
        _tensor_args("linalg.lstsq", ("A", "B"), A, B)
        a, b = A._data, B._data
        if a.ndim < 2:
            raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
        if b.ndim < 1:
            raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
        if a.dtype != b.dtype:
            raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                               f"input's dtype {_TYPE[str(a.dtype)]} and other's dtype {_TYPE[str(b.dtype)]}")
        _float_check("torch.linalg.lstsq", A)
        vec = a.ndim - b.ndim == 1
        if not (0 <= a.ndim - b.ndim <= 1):
            raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                               "(input.dim() - other.dim()) <= 1")
        bb = b[..., None] if vec else b
        if bb.shape[-2] != a.shape[-2]:
            raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)" if not vec else
                               "torch.linalg.lstsq: input.size(-2) should match other.size(-1)")
        if driver is None:
            driver = "gelsy" if A._device.type == "cpu" else "gels"
        if driver not in _DRIVERS:
            raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
        m, n = a.shape[-2:]
        if rcond is None:
            rcond = float(np.finfo(a.dtype).eps) * max(m, n)
        x, s, rank = table[A._device.type](a, bb, rcond)
        xp = _xp(A)
        real = np.dtype(a.dtype.char.lower()) if a.dtype.kind == "c" else a.dtype
        if m > n and driver != "gelsy" and bool((rank == n).all()):
            res = (xp.abs(xp.matmul(a, x) - bb) ** 2).sum(-2)
            res = res[..., 0] if vec else res
        else:
            res = xp.empty((0,), dtype=real)
        dev = A._device
        sol = wrap(x[..., 0] if vec else x, dev)
        residuals = wrap(res.astype(real, copy=False), dev)
        rank_t = wrap(rank if driver != "gels" else xp.empty((0,), dtype=np.int64), dev)
        sv = wrap(s.astype(real, copy=False) if driver in ("gelsd", "gelss") else xp.empty((0,), dtype=real), dev)
        _record_fn(op, (sol, residuals), (A, B), lstsq_composite, "LinalgLstsqBackward0", vec=vec)
        if residuals.grad_fn is not None:  # PyTorch records the empty residuals too
            residuals.grad_fn.attrs.update(fn=_residual_composite if residuals.numel() else _no_residuals, part=None)
        return LstsqResult(sol, residuals, rank_t, sv)
    return lstsq


def _no_residuals(A, B, vec=False):
    return A.reshape(-1)[:0] + B.sum() * 0


def _residual_composite(A, B, vec=False):
    X = lstsq_composite(A, B, vec)
    r = A.matmul(X.unsqueeze(-1) if vec else X) - (B.unsqueeze(-1) if vec else B)
    r = (r.abs() ** 2).sum(-2)
    return r.squeeze(-1) if vec else r


_TYPE = {"float32": "Float", "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _lstsq_samples(dtype, device):
    from .linalg import _mk
    # an explicit driver: the default differs between CPU ('gelsy') and CUDA ('gels'), as in PyTorch
    return [((_mk((4, 3), dtype, device, 154), _mk((4, 2), dtype, device, 155)), {"driver": "gelsy"}),
            ((_mk((4, 3), dtype, device, 156), _mk((4, 2), dtype, device, 157)), {"driver": "gelsd"}),
            ((_mk((2, 4), dtype, device, 158), _mk((2,), dtype, device, 159)), {"driver": "gels"})]


defop("linalg_lstsq", kernel=_lstsq_kernel, frontend=_lstsq_frontend, method=False, public=False,
      samples=_lstsq_samples, reference=lambda a, b, driver=None: tuple(
          x for x in (np.linalg.pinv(a) @ b if b.ndim == 2 else np.linalg.pinv(a) @ b,)),
      conformance_skip={"reference": "rank and singular values depend on the driver (tested separately)"})


# --------------------------------------------------------------------------- Householder products
def _householder_kernel(xp, a, tau):
    """Q = H_1 ... H_k (first n columns), H_i = I - tau_i v_i v_i^H, applied from the right end."""
    m, n = a.shape[-2:]
    k = tau.shape[-1]
    Q = xp.broadcast_to(xp.eye(m, n, dtype=a.dtype), a.shape[:-2] + (m, n)).copy()
    for i in range(k - 1, -1, -1):
        v = xp.concatenate([xp.zeros(a.shape[:-2] + (i,), dtype=a.dtype), xp.ones(a.shape[:-2] + (1,), dtype=a.dtype),
                            a[..., i + 1:, i]], axis=-1)
        w = xp.matmul(xp.conj(v)[..., None, :], Q)  # v^H Q
        Q = Q - tau[..., i, None, None] * v[..., :, None] * w
    return Q


def householder_composite(A, tau):
    import tensorgraft as tg
    eye, ones, zeros, cat = tg.eye, tg.ones, tg.zeros, tg.cat
    m, n = A.shape[-2:]
    batch = tuple(A.shape[:-2])
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(*batch, m, n)
    for i in range(tau.shape[-1] - 1, -1, -1):
        v = cat([zeros(batch + (i,), dtype=A.dtype, device=A.device), ones(batch + (1,), dtype=A.dtype,
                                                                            device=A.device), A[..., i + 1:, i]], -1)
        vc = v.conj() if v.is_complex() else v
        Q = Q - tau[..., i].unsqueeze(-1).unsqueeze(-1) * v.unsqueeze(-1) * vc.unsqueeze(-2).matmul(Q)
    return Q


def _householder_frontend(fname):
    def factory(op):
        table = op.table

        def householder_product(A, tau, *, out=None):
            _tensor_args(fname, ("input", "tau"), A, tau)
            a, t = A._data, tau._data
            if a.ndim < 2:
                raise RuntimeError(f"torch.{fname}: input must have at least 2 dimensions.")
            if a.shape[-2] < a.shape[-1]:
                raise RuntimeError(f"torch.{fname}: input.shape[-2] must be greater than or equal to "
                                   "input.shape[-1]")
            if t.shape[-1] > a.shape[-1]:
                raise RuntimeError(f"torch.{fname}: input.shape[-1] must be greater than or equal to "
                                   "tau.shape[-1]")
            if t.ndim != a.ndim - 1:
                raise RuntimeError(f"torch.{fname}: Expected tau to have one dimension less than input, but got "
                                   f"tau.ndim equal to {t.ndim} and input.ndim is equal to {a.ndim}")
            if a.dtype != t.dtype:
                raise RuntimeError(f"torch.{fname}: tau dtype {_TYPE.get(str(t.dtype), t.dtype)} does not match "
                                   f"input dtype {_TYPE.get(str(a.dtype), a.dtype)}")
            res = wrap(table[A._device.type](a, t), A._device)
            _record_fn(op, (res,), (A, tau), householder_composite, "LinalgHouseholderProductBackward0")
            return res
        return householder_product
    return factory


def _hh_samples(dtype, device):
    from .linalg import _mk
    return [(_mk((4, 3), dtype, device, 160), _mk((2,), dtype, device, 161, 0.2, 1.5)),
            (_mk((2, 3, 3), dtype, device, 162), _mk((2, 3), dtype, device, 163, 0.2, 1.5))]


_hh = defop("linalg_householder_product", kernel=_householder_kernel,
            frontend=_householder_frontend("linalg.householder_product"), method=False, public=False,
            samples=_hh_samples, reference=lambda a, t: _householder_kernel(np, a, t))
defop("orgqr", kernel=_householder_kernel, frontend=_householder_frontend("orgqr"), samples=_hh_samples,
      reference=lambda a, t: _householder_kernel(np, a, t), formula_of="linalg_householder_product")


def _geqrf_kernel(xp, a):
    """Householder QR in LAPACK's storage (R on and above the diagonal, reflectors below, tau)."""
    A = a.copy()
    m, n = a.shape[-2:]
    k = min(m, n)
    tau = xp.zeros(a.shape[:-2] + (k,), dtype=a.dtype)
    for j in range(k):
        alpha = A[..., j, j].copy()
        x = A[..., j + 1:, j]
        xnorm = xp.sqrt((xp.abs(x) ** 2).sum(-1))
        trivial = (xnorm == 0) & (alpha.imag == 0 if a.dtype.kind == "c" else True)
        anorm = xp.sqrt(xp.abs(alpha) ** 2 + xnorm ** 2)
        sign = xp.where(alpha.real >= 0, 1.0, -1.0)
        beta = -sign * anorm
        safe_beta = xp.where(trivial, 1, beta)
        t = xp.where(trivial, 0, (beta - alpha) / safe_beta)
        scale = xp.where(trivial, 1, 1 / xp.where(trivial, 1, alpha - beta))
        A[..., j + 1:, j] = x * scale[..., None]
        A[..., j, j] = xp.where(trivial, alpha, beta)
        tau[..., j] = t
        if j + 1 < n:  # apply H^H = I - conj(tau) v v^H to the trailing columns
            v = xp.concatenate([xp.ones(a.shape[:-2] + (1,), dtype=a.dtype), A[..., j + 1:, j]], -1)
            C = A[..., j:, j + 1:]
            w = xp.matmul(xp.conj(v)[..., None, :], C)
            A[..., j:, j + 1:] = C - xp.conj(t)[..., None, None] * v[..., :, None] * w
    return A, tau


def _geqrf_frontend(op):
    table = op.table

    def geqrf(input, *, out=None):
        _check_dims("geqrf", input, "input")
        if input._data.ndim < 2:
            raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
        _float_check("geqrf", input)
        a, tau = table[input._device.type](input._data)
        return GeqrfResult(wrap(a, input._device), wrap(tau, input._device))
    return geqrf


defop("geqrf", kernel=_geqrf_kernel, frontend=_geqrf_frontend, differentiable=False,
      samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_mk"])._mk((4, 3), dt, dev, 164),)],
      reference=lambda a: _geqrf_kernel(np, a))


def _solve_ex(A, B, *, left=True, check_errors=False, out=None):
    from .creation import zeros
    from .linalg import _solve
    try:
        res = _solve.frontend(A, B, left=left)
    except LinAlgError:
        if check_errors:
            raise
        with no_grad():
            nan = _solve_singular(A, B, left)
        return SolveExResult(nan, _singular_info(A))
    return SolveExResult(res, zeros(A.shape[:-2], dtype=_int32(), device=A.device))


def _solve_singular(A, B, left):
    """Where LAPACK stops on a zero pivot the solution is meaningless; give NaNs rather than a guess."""
    from .creation import full
    vec = left and (B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])))
    shape = tuple(B.shape) if vec else tuple(np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))) + \
        tuple(B.shape[-2:])
    return full(shape, float("nan"), dtype=A.dtype, device=A.device)


def _singular_info(A):
    _, _, info = _lu_kernel(_xp(A), A._data, True)
    return wrap(info, A._device)


def _int32():
    from .. import dtypes
    return dtypes.int32


defop("linalg_solve_ex", frontend=lambda op: _solve_ex, method=False, public=False, differentiable=False,
      samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_well"])._well(dt, dev, 165),
                                __import__("tensorgraft.ops.linalg", fromlist=["_mk"])._mk((3, 2), dt, dev, 166))],
      reference=lambda a, b: (np.linalg.solve(a, b), np.zeros((), np.int32)), composite=True)


# --------------------------------------------------------------------------- LDL (Bunch-Kaufman)
LDLFactorResult = collections.namedtuple("linalg_ldl_factor", ["LD", "pivots"])
LDLFactorExResult = collections.namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])

# Bunch-Kaufman's growth bound: a 1x1 pivot is kept when |a_kk| >= alpha * (largest below it)
_BK_ALPHA = (1 + math.sqrt(17)) / 8


def _bk_size(xp, x, hermitian_diag=False):
    """LAPACK's pivot size: |re| + |im| for complex entries (|re| alone for a Hermitian diagonal)."""
    if x.dtype.kind != "c":
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
    cplx = A.dtype.kind == "c"
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
    L = xp.broadcast_to(ld, shape + (n, n)).reshape((-1, n, n))
    P = xp.broadcast_to(piv, shape + (n,)).reshape((-1, n)).astype(np.int64)
    B = xp.broadcast_to(b, shape + (n, nrhs)).reshape((-1, n, nrhs)).astype(
        np.result_type(ld.dtype, b.dtype), copy=True)
    herm = hermitian and L.dtype.kind == "c"
    nb = L.shape[0]
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
            if (check_errors or not ex) and bool((info > 0).any()):
                flat = np.asarray(info.get() if hasattr(info, "get") else info).reshape(-1)
                b = int(np.argmax(flat > 0))
                where = f"(Batch element {b}): " if info.ndim else ""
                raise LinAlgError(f"torch.{fname}: {where}The factorization could not be completed because D[{flat[b]},"
                                  f"{flat[b]}] is exactly zero: the matrix is singular.")
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
        if piv.dtype.kind not in "iu":
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
