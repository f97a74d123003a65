"""``parametrizations.orthogonal``: keep a matrix (or a batch of them) orthogonal / unitary.

A wide ``n x k`` matrix (``n < k``) is handled through its transpose, so below ``n >= k`` always and
the result has orthonormal columns. The unconstrained tensor ``original`` is mapped onto the
orthogonal group by one of three maps:

* ``matrix_exp`` / ``cayley``: the lower triangle of ``original`` (zero-padded to ``n x n``) gives
  the skew-Hermitian ``S = L - L^H``; the map is ``exp(S)``, or ``(I - S/2)^{-1} (I + S/2)``; the
  first ``k`` columns are kept.
* ``householder``: the strictly lower triangle holds the reflector vectors ``v_j`` (unit leading
  entry implied, ``tau_j = 2 / |v_j|^2``); the product of the reflectors is then scaled column-wise
  by the diagonal of ``original`` truncated to integers (PyTorch's convention).

With ``use_trivialization`` the result is multiplied on the left by the orthogonal buffer ``base``;
assigning to the parametrized tensor then stores the (orthonormalised) value in ``base`` and resets
``original`` to the point the maps send to the identity.
"""
from __future__ import annotations

from enum import Enum

import tensorgraft as _tg
from tensorgraft.tensor import Tensor

from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal"]


class _OrthogonalMap(Enum):
    matrix_exp = "matrix_exp"
    cayley = "cayley"
    householder = "householder"


_MAP_NAMES = '"matrix_exp", "cayley", "householder"'


def _tall(x):
    """``(x with n >= k, whether it was transposed)``."""
    if x.size(-2) < x.size(-1):
        return x.mT, True
    return x, False


def _skew_from_lower(x):
    """Square skew-Hermitian ``L - L^H`` from the lower triangle ``L`` of a tall ``x`` (zero-padded)."""
    n, k = x.shape[-2:]
    low = x.tril()
    if n > k:
        pad = _tg.zeros(*x.shape[:-1], n - k, dtype=x.dtype, device=x.device)
        low = _tg.cat([low, pad], dim=-1)
    return low - low.mH


def _cayley(s):
    eye = _tg.eye(s.size(-1), dtype=s.dtype, device=s.device)
    return _tg.linalg.solve(eye - 0.5 * s, eye + 0.5 * s)


def _reflections(x):
    """Product of the reflectors stored below the diagonal of a tall real ``x``, columns scaled by the
    integer part of its diagonal (which carries no gradient)."""
    vectors = x.tril(-1)
    tau = 2.0 / (1.0 + (vectors * vectors).sum(dim=-2))
    q = _tg.linalg.householder_product(vectors, tau)
    scale = x.detach().diagonal(dim1=-2, dim2=-1).trunc()
    return q * scale.unsqueeze(-2)


def _canonical_q(a):
    """The Q factor of ``a = QR`` normalised so that R's diagonal is real and non-negative."""
    q, r = _tg.linalg.qr(a)
    return q * _tg.sgn(r.diagonal(dim1=-2, dim2=-1)).unsqueeze(-2)


class _Orthogonal(Module):
    """The parametrization module registered by :func:`orthogonal` (shown as ``_Orthogonal()``)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map is _OrthogonalMap.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        self._trivialized = use_trivialization
        if use_trivialization:
            side = max(weight.shape[-2:])
            self.register_buffer("base", _tg.zeros(*weight.shape[:-2], side, side, dtype=weight.dtype,
                                                   device=weight.device))

    def forward(self, X):
        x, flipped = _tall(X)
        k = x.size(-1)
        if self.orthogonal_map is _OrthogonalMap.householder:
            q = _reflections(x)
        else:
            s = _skew_from_lower(x)
            q = _tg.linalg.matrix_exp(s) if self.orthogonal_map is _OrthogonalMap.matrix_exp else _cayley(s)
            if q.size(-1) != k:  # a square matrix keeps every column: no slice node in its history
                q = q[..., :k]
        if self._trivialized:
            q = self.base @ q
        return q.mT if flipped else q

    def right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        q, flipped = _tall(Q)
        n, k = q.shape[-2:]
        if self._trivialized:
            _tg.finfo(q.dtype)  # integer tensors cannot be orthonormalised (PyTorch's TypeError)
            full = q
            if n > k:  # complete the columns to a square orthogonal basis with random directions
                extra = _tg.randn(*q.shape[:-1], n - k, dtype=q.dtype, device=q.device)
                full = _tg.cat([q, extra], dim=-1)
            with _tg.no_grad():
                self.base.copy_(_canonical_q(full))
            # every map sends this point to the identity: the householder reflectors are all e_j
            # (each a sign flip) and the diagonal -1 flips them back; the skew part is zero
            start = -_tg.eye(n, k, dtype=q.dtype, device=q.device).expand(q.shape)
        elif self.orthogonal_map is _OrthogonalMap.householder:
            # LAPACK's reflectors reproduce Q up to column signs; a reflector LAPACK skipped (tau = 0)
            # is a sign flip under the map, so its column's sign is inverted once more
            packed, tau = _tg.geqrf(q)
            signs = _tg.sgn(packed.diagonal(dim1=-2, dim2=-1))
            signs = _tg.where(tau == 0, -signs, signs)
            on_diagonal = _tg.eye(n, k, dtype=_tg.bool, device=q.device)
            start = _tg.where(on_diagonal, signs.unsqueeze(-2), packed)
        else:
            raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                      "parametrizations when use_trivialization=False.")
        return start.mT if flipped else start


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize ``module.<name>`` (a matrix or a batch of matrices) to stay orthogonal or unitary;
    ``orthogonal_map`` is ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default:
    ``matrix_exp`` for square or complex tensors, else ``householder``). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    kind = _OrthogonalMap.__members__.get(orthogonal_map) if isinstance(orthogonal_map, str) else None
    if kind is None:
        raise ValueError(f"orthogonal_map has to be one of {_MAP_NAMES}. Got: {orthogonal_map}")
    parametrize.register_parametrization(module, name, _Orthogonal(weight, kind, use_trivialization=use_trivialization),
                                         unsafe=True)
    return module
