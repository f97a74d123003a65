"""``parametrizations.orthogonal``: a matrix (or batch of matrices) kept orthogonal/unitary by
writing it as a map of unconstrained parameters — the matrix exponential or the Cayley transform
of a skew-symmetric matrix, or a product of Householder reflections.

tensorgraft has no ``matrix_exp``, ``householder_product`` or ``geqrf`` ops, so the first two are
composites of differentiable ops here (their gradients come from autograd), and ``geqrf`` — only
needed without gradients, to assign a matrix — calls LAPACK through NumPy on the host.
"""
from __future__ import annotations

import math
from enum import Enum, auto

import numpy as np

import tensorgraft as _tg
from tensorgraft.grad_mode import no_grad
from tensorgraft.tensor import Tensor

from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal"]


def _eye_like(A, n, k=None):
    return _tg.eye(n, n if k is None else k, dtype=A.dtype, device=A.device)


def _matrix_exp(A):
    """``exp(A)`` for a square matrix or batch: scaling and squaring of a Taylor polynomial.

    ``A`` is scaled by ``2**-s`` until its 1-norm is at most 1/2, where the degree-18 Taylor
    polynomial (Horner form) is exact to double precision, then squared ``s`` times. The scaling is
    chosen outside autograd; everything else is matmuls, so the gradient is that of the
    approximation (as accurate as the value)."""
    with no_grad():
        norm = float(A.abs().sum(-2).amax()) if A.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    X = A / (2.0 ** s) if s else A
    eye = _eye_like(A, A.size(-1))
    E = eye
    for k in range(18, 0, -1):
        E = eye + (X @ E) / k
    for _ in range(s):
        E = E @ E
    return E


def _householder_product(A, tau):
    """``torch.linalg.householder_product``: the first ``n`` columns of ``H_1 ... H_k`` for
    ``A`` (*, m, n) and ``tau`` (*, k), with ``H_i = I - tau_i v_i v_i^H`` and ``v_i`` column ``i``
    of ``A`` below the diagonal, 1 on it and 0 above. Applied right to left to ``eye(m, n)``, one
    rank-one update per reflector."""
    m, n = A.size(-2), A.size(-1)
    V = A.tril(-1) + _eye_like(A, m, n)
    Q = _eye_like(A, m, n).expand(*A.shape[:-2], m, n)
    for i in range(tau.size(-1) - 1, -1, -1):
        v = V[..., :, i:i + 1]                                    # (*, m, 1)
        Q = Q - tau[..., i, None, None] * (v @ (v.mH @ Q))
    return Q


def _geqrf(A):
    """LAPACK's ``geqrf`` (``torch.geqrf``) of a tensor, as host arrays, no gradient: the
    reflectors below the diagonal and ``R`` on and above it, and the ``tau`` factors. NumPy's
    ``qr(mode="raw")`` is that call; it returns the transposed (Fortran-order) matrix."""
    a = A.detach().cpu().numpy()
    flat = a.reshape((-1,) + a.shape[-2:])
    raw = [np.linalg.qr(mat, mode="raw") for mat in flat]
    h = np.stack([r[0].T for r in raw]).reshape(a.shape).astype(a.dtype, copy=False)
    tau = np.stack([r[1] for r in raw]).reshape(a.shape[:-2] + (min(a.shape[-2:]),)).astype(a.dtype, copy=False)
    return h, tau


def _is_orthogonal(Q, eps=None):
    n, k = Q.size(-2), Q.size(-1)
    Id = _tg.eye(k, dtype=Q.dtype, device=Q.device)
    # a reasonable eps, but not too large
    eps = 10.0 * n * _tg.finfo(Q.dtype).eps
    return _tg.allclose(Q.mH @ Q, Id, atol=eps)


def _make_orthogonal(A):
    """The Q of the QR decomposition of ``A`` with ``diag(R)`` made positive (so the map is
    continuous and an orthogonal ``A`` maps to itself)."""
    Q, R = _tg.linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained ``X`` (same shape as the weight) to an orthogonal matrix. With
    ``use_trivialization`` the result is ``base @ map(X)``, ``base`` being the orthogonal matrix
    last assigned, so ``X = -Id`` (what ``right_inverse`` stores) gives ``base`` back."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # here n >= k: X is tall
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                # embed X into an n x n matrix
                X = _tg.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH                   # skew-symmetric (skew-Hermitian)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                Id = _tg.eye(n, dtype=A.dtype, device=A.device)
                Q = _tg.linalg.solve(_tg.add(Id, A, alpha=-0.5), _tg.add(Id, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            # X is real: householder does not support complex numbers
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the diagonal of X (±1) picks the sign of each column; it is not a parameter to learn,
            # hence the cast that cuts it off from the graph
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            # no closed form inverts the Cayley or exponential maps of a non-square embedding
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            # householder: the reflectors of Q's QR, with diag(R) > 0 encoded as the signs on the diagonal
            A, tau = _geqrf(Q)
            idx = np.arange(k)
            diag = np.sign(A[..., idx, idx])
            # LAPACK leaves tau = 0 where it applied no reflection: the sign flips there
            diag[tau == 0] *= -1
            A[..., idx, idx] = diag
            A = _tg.tensor(A, device=Q.device)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            # complete Q to a full n x n orthogonal matrix
            N = _tg.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(_tg.cat([Q, N], dim=-1))
        self.base = Q
        # -Id: the householder map sends it (like the others send 0) to eye(n, k)
        return _tg.zeros_like(Q_init) - _eye_like(Q_init, Q_init.size(-2), Q_init.size(-1))


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize ``module.<name>`` (a matrix or batch of matrices, ``n x k``) to be orthogonal
    (``Q^H Q = I`` if ``n >= k``, else ``Q Q^H = I``); returns the module.

    ``orthogonal_map``: ``"matrix_exp"`` (default for square or complex matrices), ``"cayley"`` or
    ``"householder"`` (default otherwise). ``use_trivialization=True`` optimises in the tangent
    space of a base point (``parametrizations.<name>.base``), which assigning a matrix resets."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.size(-2) == weight.size(-1) or weight.is_complex()
                          else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
