"""Eigen-decomposition, matrix exponential, least squares and Householder products
(``torch.linalg.eig``/``eigvals``, ``matrix_exp``, ``lstsq``, ``householder_product``, ``torch.orgqr``,
``geqrf``), and the helpers the other factorisation modules share.

LU (``lu.py``) and LDL (``ldl.py``) have modules of their own; they import ``_flat``, ``_xp``,
``_check_dims`` and ``_record_fn`` from here. Kernels are written once against ``xp``. CuPy's
``linalg`` has no Householder routines, so those are composed here from column-by-column updates
vectorized over the batch: the same code runs on NumPy and CuPy.

Ops whose backward PyTorch defines as one node but which are easiest to differentiate through a
composite of differentiable ops record ``attrs["fn"]`` (a tensorgraft-level function of the inputs);
their formula differentiates that function (``formulas/decompositions.py``)."""
from __future__ import annotations

import math

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import defop
from ._return_types import return_type
from .linalg import _float_check, _record, _square, _tensor_args, aten_name, check_batches, converged
from tensorgraft.dtypes import np_kind as _np_kind

EigResult = return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
LstsqResult = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
GeqrfResult = return_type("geqrf", ("a", "tau"))

_COMPLEX_OF = {"float32": np.complex64, "float64": np.complex128, "complex64": np.complex64,
               "complex128": np.complex128}


def _record_fn(op, outs, inputs, fn, name, **attrs):
    """Record the floating outputs of a composite-differentiated op under PyTorch's node name; ``fn``
    returns the first output (the caller adjusts the others' ``fn``)."""
    if _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        for o in outs:
            if o is not None and _np_kind(o._data.dtype) in "fc":
                Tensor._autograd.record(op, o, inputs, dict(attrs, fn=fn, part=None), node_name=name)


def _check_dims(fname, t, what="A"):
    if not isinstance(t, Tensor):
        raise F.not_a_tensor(aten_name(fname), what, 1, t)
    if t._data.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {what} must have at least 2 dimensions.")


def _flat(xp, a):
    """``a`` as (batch, m, n) with one batch axis, and the original batch shape: the factorisation
    kernels index matrices by one batch position, whatever the caller's batch dims."""
    batch = a.shape[:-2]
    return a.reshape((int(np.prod(batch, dtype=np.int64)),) + a.shape[-2:]), batch


def _xp(t):
    from ..device import get_backend
    return get_backend(t._device).xp


# --------------------------------------------------------------------------- eig
def _eig_kernel(xp, a, values_only):
    ct = _COMPLEX_OF[str(a.dtype)]
    if values_only:
        # NumPy refuses a matrix holding NaN/inf; PyTorch hands it to LAPACK, whose output for it is
        # meaningless. Its eigenvalues here are NaN, and the other matrices of the batch are solved.
        finite = xp.isfinite(a).all(axis=(-2, -1))
        if not bool(finite.all()):
            w = xp.linalg.eigvals(xp.where(finite[..., None, None], a, 0)).astype(ct, copy=False)
            return xp.where(finite[..., None], w, xp.asarray(complex("nan+nanj"), dtype=ct))
        return xp.linalg.eigvals(a).astype(ct, copy=False)
    w, v = xp.linalg.eig(a)
    return w.astype(ct, copy=False), v.astype(ct, copy=False)


def _eig_frontend(op):
    table = op.table

    def eig(A, *, out=None):
        a = _square("linalg.eig", A, "input")
        if not bool(np.isfinite(a).all() if isinstance(a, np.ndarray) else _xp(A).isfinite(a).all()):
            raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
        w, v = table[A._device.type](a, False)
        L, V = wrap(w, A._device), wrap(v, A._device)
        if _gs.enabled and A._requires_grad:
            # one node for both results, as PyTorch's (its formula reads them again under create_graph)
            Tensor._autograd.record_multi(op, (L, V), (A,), {"L": L.detach(), "V": V.detach()},
                                          node_name="LinalgEigBackward0")
        return EigResult(L, V)
    return eig


_eig = defop("linalg_eig", kernel=_eig_kernel, frontend=_eig_frontend, method=False, public=False,
             samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_well"])._well(dt, dev, 151),)])


def _eigvals_frontend(op):
    table = op.table

    def eigvals(A, *, out=None):
        if _gs.enabled and isinstance(A, Tensor) and A._requires_grad:
            return _eig.frontend(A).eigenvalues
        a = _square("linalg.eigvals", A, "input")
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
    """Scaling and squaring with the [13/13] Padé approximant (Higham 2005); one scale for the batch.
    float16 is computed in float32 (LAPACK has no half solve); a matrix holding NaN/inf gives NaN, as
    in PyTorch, without spoiling the scale of the rest of the batch."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    if a.dtype == np.float16:
        return _expm_kernel(xp, a.astype(np.float32)).astype(np.float16)
    finite = xp.isfinite(a).all(axis=(-2, -1))
    if not bool(finite.all()):
        R = _expm_kernel(xp, xp.where(finite[..., None, None], a, 0))
        return xp.where(finite[..., None, None], R, xp.asarray(float("nan"), dtype=a.dtype))
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
        a = _square("linalg.matrix_exp", A, "input")
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


def _torch_matrix_exp(input):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("matrix_exp", "input", 1, input)
    return _matrix_exp.frontend(input)


defop("matrix_exp", frontend=lambda op: _torch_matrix_exp, differentiable=False,
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


def lstsq_composite(A, B, vec=False, wide=None):
    from ..linalg import pinv
    X = pinv(A).matmul(B.unsqueeze(-1) if vec else B)
    if wide is not None:
        X = X.expand(tuple(wide) + tuple(X.shape[-2:]))
    return X.squeeze(-1) if vec else X


def _lstsq_frontend(op):
    table = op.table

    def lstsq(A, B, rcond=None, *, driver=None):
        _tensor_args("linalg.lstsq", ("input", "b"), A, B)
        a, b = A._data, B._data
        if a.ndim < 2:
            raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
        if b.ndim < 1:
            raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
        if a.dtype != b.dtype:
            raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                               f"input's dtype {_TYPE[str(a.dtype)]} and other's dtype {_TYPE[str(b.dtype)]}")
        _float_check("torch.linalg.lstsq", A)
        # PyTorch's linalg_solve_is_vector_rhs: B is a vector only when 1-D or shaped A.shape[:-1]
        vec = b.ndim == 1 or (a.ndim - 1 == b.ndim and b.shape == a.shape[:-1])
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
        wide = None
        if not vec and a.ndim - b.ndim == 1:
            # PyTorch 2.13 broadcasts A's batch with B.shape[:-1] here and expands the solution and
            # residuals (not rank/singular_values) to that batch
            check_batches(a.shape[:-2], b.shape[:-1])
            wide = np.broadcast_shapes(a.shape[:-2], b.shape[:-1])
        check_batches(a.shape[:-2], bb.shape[:-2])
        if wide is not None:
            check_batches(wide, np.broadcast_shapes(a.shape[:-2], bb.shape[:-2]))
        m, n = a.shape[-2:]
        if rcond is None:
            rcond = float(np.finfo(a.dtype).eps) * max(m, n)
        x, s, rank = converged(table[A._device.type], a, bb, rcond, fname="torch.linalg.lstsq")
        xp = _xp(A)
        real = np.dtype(a.dtype.char.lower()) if _np_kind(a.dtype) == "c" else a.dtype
        if m > n and driver != "gelsy" and bool((rank == n).all()):
            res = (xp.abs(xp.matmul(a, x) - bb) ** 2).sum(-2)
            res = res[..., 0] if vec else res
        else:
            res = xp.empty((0,), dtype=real)
        dev = A._device
        if wide is not None:
            x = xp.broadcast_to(x, wide + x.shape[-2:]).copy()
            res = xp.broadcast_to(res, wide + res.shape[-1:]).copy() if res.ndim > 1 else res
        sol = wrap(x[..., 0] if vec else x, dev)
        residuals = wrap(res.astype(real, copy=False), dev)
        rank_t = wrap(rank if driver != "gels" else xp.empty((0,), dtype=np.int64), dev)
        sv = wrap(s.astype(real, copy=False) if driver in ("gelsd", "gelss") else xp.empty((0,), dtype=real), dev)
        _record_fn(op, (sol, residuals), (A, B), lstsq_composite, "LinalgLstsqBackward0", vec=vec, wide=wide)
        if residuals.grad_fn is not None:  # PyTorch records the empty residuals too
            residuals.grad_fn.attrs.update(fn=_residual_composite if residuals.numel() else _no_residuals, part=None)
        return LstsqResult(sol, residuals, rank_t, sv)
    return lstsq


def _no_residuals(A, B, vec=False, wide=None):
    return A.reshape(-1)[:0] + B.sum() * 0


def _residual_composite(A, B, vec=False, wide=None):
    X = lstsq_composite(A, B, vec)
    r = A.matmul(X.unsqueeze(-1) if vec else X) - (B.unsqueeze(-1) if vec else B)
    r = (r.abs() ** 2).sum(-2)
    if wide is not None:
        r = r.expand(tuple(wide) + tuple(r.shape[-1:]))
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
        trivial = (xnorm == 0) & (alpha.imag == 0 if _np_kind(a.dtype) == "c" else True)
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
        if isinstance(input, Tensor) and input._data.ndim < 2:
            raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
        _check_dims("geqrf", input, "input")
        _float_check("geqrf", input)
        a, tau = table[input._device.type](input._data)
        return GeqrfResult(wrap(a, input._device), wrap(tau, input._device))
    return geqrf


defop("geqrf", kernel=_geqrf_kernel, frontend=_geqrf_frontend, differentiable=False,
      samples=lambda dt, dev: [(__import__("tensorgraft.ops.linalg", fromlist=["_mk"])._mk((4, 3), dt, dev, 164),)],
      reference=lambda a: _geqrf_kernel(np, a))
