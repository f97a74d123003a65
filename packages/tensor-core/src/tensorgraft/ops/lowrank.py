"""Randomized and iterative methods for a few singular or eigen pairs: ``torch.svd_lowrank``,
``torch.pca_lowrank`` (Halko-Martinsson-Tropp's randomized range finder) and ``torch.lobpcg``
(Knyazev's locally optimal block preconditioned conjugate gradient).

They are apart from ``linalg_composite.py`` because they are algorithms rather than thin wrappers:
each draws a random start and iterates towards a subspace, so their results are unique only up to
signs, and their gradients are taken through a deterministic equivalent (``svd_lowrank`` is built
from differentiable matmul/qr/svd; ``lobpcg`` records ``_lobpcg_exact``, a full eigen-decomposition,
through ``decompositions._record_fn``)."""
from __future__ import annotations

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor
from . import _frontend as F
from ._define import defop
from .decompositions import _record_fn
from .linalg import _mk
from tensorgraft.dtypes import BF16, np_kind as _np_kind


def _lin():
    from .. import linalg
    return linalg


# --------------------------------------------------------------------------- randomized low-rank SVD / PCA
def _adjoint(x):
    return x.mH if x.is_complex() else x.mT


def _approximate_basis(A, q, niter):
    """Halko-Martinsson-Tropp's randomized range finder: an orthonormal Q (m x q) whose span
    nearly holds A's top-q left singular subspace, sharpened by ``niter`` power iterations (each
    re-orthonormalized, so small singular values are not lost to rounding)."""
    import tensorgraft as tg
    n = A.shape[-1]
    # the test matrix is drawn in A's dtype, or the default float for an integer A (whose product
    # with it then fails with matmul's dtype error, as in PyTorch)
    dtype = A.dtype if A.dtype.is_floating_point or A.dtype.is_complex else None
    R = tg.randn(tuple(A.shape[:-2]) + (n, q), dtype=dtype, device=A.device)
    Q = _lin().qr(A.matmul(R)).Q
    for _ in range(niter):
        Q = _lin().qr(_adjoint(A).matmul(Q)).Q
        Q = _lin().qr(A.matmul(Q)).Q
    return Q


def _svd_lowrank(A, q=6, niter=2, M=None):
    """``torch.svd_lowrank``: (U, S, V) with A ~ U diag(S) V^H of rank q; built from matmul, qr
    and svd, so it is differentiable wherever those are."""
    if not isinstance(A, Tensor):
        raise F.not_a_tensor("svd_lowrank", "A", 1, A)
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        A = A - M
    if m < n:  # work on the tall A^H (its range is the smaller one) and swap the factors back
        V, S, U = _svd_lowrank_tall(_adjoint(A), q, niter)
        return U, S, V
    return _svd_lowrank_tall(A, q, niter)


def _svd_lowrank_tall(A, q, niter):
    Q = _approximate_basis(A, q, niter)
    U_small, S, Vh = _lin().svd(_adjoint(Q).matmul(A), full_matrices=False)
    return Q.matmul(U_small), S, _adjoint(Vh)


def _pca_lowrank(A, q=None, center=True, niter=2):
    """``torch.pca_lowrank``: the low-rank SVD of A with its column means removed."""
    if not isinstance(A, Tensor):
        raise F.not_a_tensor("pca_lowrank", "A", 1, A)
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (isinstance(q, int) and 0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (isinstance(niter, int) and niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter)
    return _svd_lowrank(A, q, niter, M=A.mean(-2, keepdim=True))


def _lowrank_samples(dt, dev):
    return [(_mk((6, 4), dt, dev, 203),), ((_mk((3, 5), dt, dev, 204),), {"q": 2, "niter": 1})]


def _lowrank_reference(a, q=6, niter=2, M=None):
    """Only the singular values are unique: compare those (the random basis decides U, V's signs)."""
    return np.linalg.svd(a if M is None else a - M, compute_uv=False)[:q]


defop("svd_lowrank", frontend=lambda op: _svd_lowrank, method=False, composite=True, samples=_lowrank_samples,
      conformance_skip={"reference": "random basis: U and V are unique only up to sign",
                        "devices": "each device draws its own random basis",
                        "gradcheck": "a new random basis per call", "gradgradcheck": "a new random basis per call"})
defop("pca_lowrank", frontend=lambda op: _pca_lowrank, method=False, composite=True, samples=_lowrank_samples,
      conformance_skip={"reference": "random basis: U and V are unique only up to sign",
                        "devices": "each device draws its own random basis",
                        "gradcheck": "a new random basis per call", "gradgradcheck": "a new random basis per call"})


# --------------------------------------------------------------------------- LOBPCG
class _LOBPCG:
    """Locally optimal block preconditioned conjugate gradient (Knyazev 2001) for the extreme
    eigenpairs of the symmetric pencil (A, B), one dense matrix at a time, on raw arrays.

    Each step does Rayleigh-Ritz on the span of the current vectors X, the (preconditioned)
    residuals W of the pairs not yet converged, and the previous search directions P. The basis is
    B-orthonormalized by SVQB (Duersch et al. 2018: an eigen-decomposition of the scaled Gram matrix,
    dropping directions it finds dependent), which is what keeps the method stable ("ortho");
    "basic" skips the dropping and orthonormalizes by Cholesky, as Knyazev's original."""

    def __init__(self, xp, A, B, iK, k, largest, tol, robust):
        self.xp, self.A, self.B, self.iK = xp, A, B, iK
        self.k, self.largest, self.robust = k, largest, robust
        self.tol = tol
        self.eps = np.finfo(A.real.dtype if _np_kind(A.dtype) == "c" else A.dtype).eps

    def _bdot(self, U, V):
        BV = V if self.B is None else self.B @ V
        return U.conj().T @ BV

    def _orthonormalize(self, S):
        """B-orthonormal basis of span(S) (SVQB); near-dependent directions are dropped."""
        xp = self.xp
        G = self._bdot(S, S)
        G = (G + G.conj().T) / 2
        d = xp.sqrt(xp.maximum(xp.abs(xp.diagonal(G)), np.finfo(G.dtype).tiny))
        theta, Z = xp.linalg.eigh(G / d[:, None] / d[None, :])
        theta = theta.real
        if self.robust:
            keep = theta > self.eps * 10 * max(float(theta.max()), 1.0) * S.shape[1]
            theta, Z = theta[keep], Z[:, keep]
        else:
            theta = xp.maximum(theta, np.finfo(G.dtype).tiny)
        return (S / d[None, :]) @ (Z / xp.sqrt(theta)[None, :])

    def _rayleigh_ritz(self, S, n):
        """The n extreme Ritz pairs of (A, B) on the B-orthonormal basis S."""
        xp = self.xp
        H = S.conj().T @ (self.A @ S)
        theta, Z = xp.linalg.eigh((H + H.conj().T) / 2)
        order = xp.argsort(-theta) if self.largest else xp.argsort(theta)
        sel = order[:n]
        return theta[sel], S @ Z[:, sel]

    def run(self, X, niter):
        xp = self.xp
        n = X.shape[1]
        E, X = self._rayleigh_ritz(self._orthonormalize(X), n)
        P = None
        anorm = float(xp.linalg.norm(self.A))
        bnorm = 1.0 if self.B is None else float(xp.linalg.norm(self.B))
        step = 0
        while niter < 0 or step < niter:
            BX = X if self.B is None else self.B @ X
            R = self.A @ X - BX * E[None, :]
            rerr = xp.linalg.norm(R, axis=0) / (anorm + xp.abs(E) * bnorm)
            active = rerr > self.tol
            if not bool(active[:self.k].any()):
                break
            W = R[:, active]
            if self.iK is not None:
                W = self.iK @ W
            blocks = [X, W - X @ self._bdot(X, W)]  # the residual's new directions only
            if P is not None:
                blocks.append(P[:, active] - X @ self._bdot(X, P[:, active]))
            S = self._orthonormalize(xp.concatenate(blocks, axis=1))
            E_new, X_new = self._rayleigh_ritz(S, n)
            P = X_new - X @ self._bdot(X, X_new)   # the step just taken, outside the old span
            E, X = E_new, X_new
            step += 1
        return E[:self.k], X[:, :self.k]


def _lobpcg_exact(A, B=None, k=1, largest=True, signs=None, part_index=0):
    """The same k eigenpairs from a full (generalized) symmetric eigen-decomposition, built from
    differentiable ops: the function LOBPCG's gradient is taken through (an eigenvector's
    derivative involves the whole spectrum, which the iteration never sees)."""
    A = (A + A.mT) / 2
    if B is not None:
        L = _lin().cholesky(B)
        C = _lin().solve_triangular(L, A, upper=False)
        C = _lin().solve_triangular(L, C.mT, upper=False)
        evals, Y = _lin().eigh((C + C.mT) / 2)
        vecs = _lin().solve_triangular(L.mT, Y, upper=True)
    else:
        evals, vecs = _lin().eigh(A)
    n = A.shape[-1]
    cols = list(range(n - 1, n - 1 - k, -1)) if largest else list(range(k))
    if part_index == 0:
        return evals[..., cols]
    return vecs[..., cols] * signs


def _lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
            tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """``torch.lobpcg``: the k largest (or smallest) eigenpairs of A X = B X E, A and B symmetric
    (B positive-definite), by LOBPCG. Dense matrices and batches of them; differentiable in A and B."""
    from ..grad_mode import no_grad
    from .creation import tensor
    if not isinstance(A, Tensor):
        raise F.not_a_tensor("lobpcg", "A", 1, A)
    if A.shape[-1] != A.shape[-2]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if B is not None and tuple(B.shape) != tuple(A.shape):
        raise AssertionError(f"A and B must have the same shapes, got {A.shape} and {B.shape}")
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    k = min(k, n)
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 x "
                         f"the number of requested eigenpairs (={n})")
    largest = True if largest is None else largest
    niter = 1000 if niter is None else niter
    if A._data.dtype is BF16:
        # PyTorch's lobpcg multiplies A by a float32 start block, and its matmul refuses the mix
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: c10::BFloat16 != float")
    eps = float(np.finfo(np.dtype(A._data.dtype)).eps)
    tol = eps ** 0.5 if tol is None else tol
    import tensorgraft as tg
    with no_grad():
        if X is None:
            X = tg.randn(tuple(A.shape[:-2]) + (m, n), dtype=A.dtype, device=A.device)
        host = lambda t: None if t is None else np.asarray(t.detach().cpu()._data)  # noqa: E731
        a, b, ik = host(A), host(B), host(iK)
        x = np.broadcast_to(host(X), a.shape[:-2] + (m, n))
        batch = a.shape[:-2]
        Es, Xs = [], []
        for i in np.ndindex(*batch):
            solver = _LOBPCG(np, a[i], None if b is None else b[i], None if ik is None else ik[i], k, largest, tol,
                             method != "basic")
            e, v = solver.run(np.array(x[i]), niter)
            Es.append(e)
            Xs.append(v)
        E = tensor(np.stack(Es).reshape(batch + (k,)), device=A.device)
        V = tensor(np.stack(Xs).reshape(batch + (m, k)), device=A.device)
    inputs = (A,) if B is None else (A, B)
    if _gs.enabled and any(t._requires_grad for t in inputs):
        with no_grad():  # align the exact eigenvectors' signs with the ones returned
            ref = _lobpcg_exact(A.detach(), None if B is None else B.detach(), k, largest, 1, part_index=1)
            signs = (ref * V).sum(-2, keepdim=True).sign()
            signs = tg.where(signs == 0, tg.ones_like(signs), signs)
        _record_fn(_LOBPCG_OP, (E,), inputs, _lobpcg_exact, "LOBPCGAutogradFunctionBackward", k=k,
                   largest=largest, signs=signs, part_index=0)
        _record_fn(_LOBPCG_OP, (V,), inputs, _lobpcg_exact, "LOBPCGAutogradFunctionBackward", k=k,
                   largest=largest, signs=signs, part_index=1)
    return E, V


def _lobpcg_samples(dt, dev):
    from .creation import eye
    a = _mk((9, 9), dt, dev, 205)
    spd = (a @ a.mT + eye(9, dtype=dt, device=dev)).detach()
    return [((spd,), {"k": 2}), ((spd,), {"k": 1, "largest": False})]


_LOBPCG_OP = defop("lobpcg", frontend=lambda op: _lobpcg, method=False, samples=_lobpcg_samples,
                   reference=lambda a, k=1, largest=True: np.linalg.eigvalsh(a)[::-1][:k] if largest
                   else np.linalg.eigvalsh(a)[:k],
                   conformance_skip={"reference": "eigenvectors are unique only up to sign",
                                     "devices": "each device draws its own random start",
                                     "gradcheck": "each call draws its own random start, so the perturbed calls "
                                                  "differ in sign and in the digits past tol (tests use a fixed X)",
                                     "gradgradcheck": "as gradcheck"})
