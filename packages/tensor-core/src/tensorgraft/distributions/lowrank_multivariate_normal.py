"""``LowRankMultivariateNormal``: a Gaussian whose covariance is ``W W^T + diag(D)`` with a tall
``W`` (``cov_factor``, ``n x m``, ``m << n``). Everything goes through the ``m x m`` *capacitance*
``C = I + W^T D^-1 W`` (Woodbury identity and matrix determinant lemma), so nothing ``n x n`` is
factorized unless a user asks for ``scale_tril``."""
import math

import tensorgraft as tg

from . import constraints
from .distribution import CenteredAtLoc, Distribution, lazy_property
from .multivariate import MatrixViews, MultivariateNormal, _batch_solve_lower

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(W, D):
    """Cholesky factor of ``I + W^T D^-1 W``."""
    m = W.shape[-1]
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    K = Wt_Dinv @ W
    return tg.linalg.cholesky(K + tg.eye(m, dtype=W.dtype, device=W.device))


def _log_det(W, D, capacitance_tril):
    """``log det(W W^T + D) = 2 sum log diag(L_C) + sum log D``."""
    return 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def _mahalanobis(W, D, capacitance_tril, x):
    """``x^T (W W^T + D)^-1 x = x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2`` (Woodbury)."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    projected = (Wt_Dinv @ x.unsqueeze(-1)).squeeze(-1)
    correction = _batch_solve_lower(capacitance_tril, projected)
    return (x.pow(2) / D).sum(-1) - correction.pow(2).sum(-1)


class LowRankMultivariateNormal(CenteredAtLoc, MatrixViews, Distribution):
    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True
    _expand_params = ("loc", "cov_factor", "cov_diag")

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != tuple(event_shape):
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != tuple(event_shape):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        n, m = event_shape[0], cov_factor.shape[-1]
        batch_shape = tg.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                          tuple(cov_diag.shape[:-1]))
        self.loc = loc.expand(tuple(batch_shape) + (n,))
        self.cov_factor = cov_factor.expand(tuple(batch_shape) + (n, m))
        self.cov_diag = cov_diag.expand(tuple(batch_shape) + (n,))
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W @ W.mT + D.diag_embed()).expand(self._full_shape())

    @lazy_property
    def precision_matrix(self):
        # (W W^T + D)^-1 = D^-1 - (L_C^-1 W^T D^-1)^T (L_C^-1 W^T D^-1)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        Wt_Dinv = W.mT / D.unsqueeze(-2)
        shape = tg.broadcast_shapes(tuple(self._capacitance_tril.shape[:-2]), tuple(Wt_Dinv.shape[:-2]))
        m = W.shape[-1]
        A = tg.linalg.solve_triangular(self._capacitance_tril.expand(tuple(shape) + (m, m)),
                                       Wt_Dinv.expand(tuple(shape) + tuple(Wt_Dinv.shape[-2:])), upper=False)
        return ((1.0 / D).diag_embed() - A.mT @ A).expand(self._full_shape())

    @lazy_property
    def scale_tril(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        # scale the covariance to unit diagonal first so the factorization is well conditioned
        root_d = D.sqrt().unsqueeze(-1)
        W_scaled = W / root_d
        n = self._event_shape[0]
        K = W_scaled @ W_scaled.mT + tg.eye(n, dtype=W.dtype, device=W.device)
        return (root_d * tg.linalg.cholesky(K)).expand(self._full_shape())

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        m = self.cov_factor.shape[-1]
        eps_w = tg.randn(tuple(shape[:-1]) + (m,), dtype=self.loc.dtype, device=self.loc.device)
        eps_d = tg.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self.loc + (W @ eps_w.unsqueeze(-1)).squeeze(-1) + D.sqrt() * eps_d

    def _log_det(self):
        return _log_det(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril)

    def log_prob(self, value):
        self._check(value)
        diff = value - self.loc
        maha = _mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                            self._capacitance_tril, diff)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + maha)

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h.expand(self._batch_shape) if len(self._batch_shape) else h


# ---------------------------------------------------------------- KL between Gaussians
def _gaussian_terms(d):
    """``(log det Sigma, x -> x^T Sigma^-1 x, Sigma^-1 as a matrix product with a covariance)`` of
    a ``MultivariateNormal`` or ``LowRankMultivariateNormal``."""
    if isinstance(d, LowRankMultivariateNormal):
        W, D, L = d._unbroadcasted_cov_factor, d._unbroadcasted_cov_diag, d._capacitance_tril
        return d._log_det(), (lambda x: _mahalanobis(W, D, L, x)), (lambda S: (d.precision_matrix * S).sum((-2, -1)))
    L = d._unbroadcasted_scale_tril

    def trace_inv_times(S):
        # tr(Sigma^-1 S) = |L^-1 C|_F^2 with S = C C^T
        C = tg.linalg.cholesky(S)
        shape = tg.broadcast_shapes(tuple(L.shape), tuple(C.shape))
        return tg.linalg.solve_triangular(L.expand(shape), C.expand(shape), upper=False).pow(2).sum((-2, -1))
    return d._half_log_det() * 2, (lambda x: _batch_solve_lower(L, x).pow(2).sum(-1)), trace_inv_times


def _kl_gaussians(p, q, what):
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with                          "
                         "different event shapes cannot be computed")
    log_det_p = _gaussian_terms(p)[0]
    log_det_q, maha_q, trace_q = _gaussian_terms(q)
    n = p.event_shape[0]
    return 0.5 * (trace_q(p.covariance_matrix) + maha_q(q.loc - p.loc) - n + log_det_q - log_det_p)


def _register():
    from .kl import register_kl

    register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)(
        lambda p, q: _kl_gaussians(p, q, "Low Rank Multivariate Normals"))
    register_kl(LowRankMultivariateNormal, MultivariateNormal)(
        lambda p, q: _kl_gaussians(p, q, "(Low Rank) Multivariate Normals"))
    register_kl(MultivariateNormal, LowRankMultivariateNormal)(
        lambda p, q: _kl_gaussians(p, q, "(Low Rank) Multivariate Normals"))


_register()
