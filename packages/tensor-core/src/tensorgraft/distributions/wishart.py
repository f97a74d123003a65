"""``Wishart``: the distribution of ``sum_i x_i x_i^T`` for ``df`` Gaussian vectors ``x_i`` of
covariance ``Sigma``, over symmetric positive-definite ``p x p`` matrices (``df`` may be any real
above ``p - 1``). Sampled by Bartlett's decomposition, so ``rsample`` is differentiable in the
scale and, through the Chi2 draws' implicit reparameterization, in ``df``."""
import math
import numbers
import warnings

import tensorgraft as tg

from . import constraints
from .continuous import Chi2
from .exp_family import ExponentialFamily
from .multivariate import CholeskyMatrices, given_matrix, scale_tril_from

__all__ = ["Wishart"]


def _mvdigamma(x, p):
    """``sum_{i<p} digamma(x - i/2)``, the derivative of the multivariate log-gamma function."""
    offsets = tg.arange(p, dtype=x.dtype, device=x.device) / 2
    return tg.digamma(x.unsqueeze(-1) - offsets).sum(-1)


def _log_det_from_tril(L):
    return 2 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class Wishart(CholeskyMatrices, ExponentialFamily):
    """Given ``df`` and exactly one of ``covariance_matrix``, ``precision_matrix`` or
    ``scale_tril`` (the covariance's lower Cholesky factor, which everything uses)."""

    support = constraints.positive_definite
    has_rsample = True
    _expand_params = ("df",)

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        name, param = given_matrix(AssertionError, covariance_matrix=covariance_matrix,
                                   precision_matrix=precision_matrix, scale_tril=scale_tril)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = tg.Size(tuple(param.shape[:-2]))
            self.df = tg.tensor(float(df), dtype=param.dtype, device=param.device)
        else:
            batch_shape = tg.Size(tg.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            shown = self.df.item() if self.df.numel() == 1 else self.df
            raise ValueError(f"Value of df={shown} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(tuple(batch_shape) + tuple(event_shape)))
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(i + 1) for i in range(len(self._batch_shape))]
        self._unbroadcasted_scale_tril = scale_tril_from(name, param)
        # Bartlett: the i-th diagonal entry of the triangular factor is sqrt(Chi2(df - i))
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - tg.arange(p, dtype=param.dtype, device=param.device))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
                          stacklevel=2)

    @property
    def arg_constraints(self):
        p = self._event_shape[-1]
        return {"covariance_matrix": constraints.positive_definite, "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky, "df": constraints.greater_than(p - 1)}

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._batch_dims = [-(i + 1) for i in range(len(new.batch_shape))]
        # (not an ``_expand_dists`` entry: with a scalar ``df`` its batch shape is only ``(p,)``)
        new._dist_chi2 = self._dist_chi2.expand(new.batch_shape + (self._event_shape[-1],))
        return new

    def _df_matrix(self):
        return self.df.reshape(tuple(self.df.shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        p = self._event_shape[-1]
        factor = self.df - p - 1
        factor = tg.where(factor <= 0, tg.full_like(factor, math.nan), factor)
        return factor.reshape(tuple(factor.shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        # Var(X_ij) = df (S_ij^2 + S_ii S_jj)
        S = self.covariance_matrix
        diag = S.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (S.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett(self, sample_shape):
        """``L A`` with ``A`` lower triangular: sqrt Chi2 draws on the diagonal, N(0, 1) below."""
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        chi2 = self._dist_chi2.rsample(sample_shape)  # sample_shape + batch_shape + (p,)
        A = chi2.sqrt().clamp(min=tg.finfo(L.dtype).eps).diag_embed()
        # only the p (p - 1) / 2 entries below the diagonal are drawn, in row order (as PyTorch
        # draws them: a seeded sample is PyTorch's)
        i, j = tg.tril_indices(p, p, offset=-1, device=L.device)
        A[..., i, j] = tg.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                                dtype=L.dtype, device=L.device)
        return L @ A

    def rsample(self, sample_shape=tg.Size(), max_try_correction=None):
        """Samples that are numerically singular (possible when ``df`` is close to ``p - 1``) are
        redrawn up to ``max_try_correction`` times (3 with validation on, else none)."""
        sample_shape = tg.Size(tuple(sample_shape))
        if max_try_correction is None:
            max_try_correction = 3 if self._validate_args else 1
        factor = self._bartlett(sample_shape)
        sample = factor @ factor.mT
        for _ in range(max_try_correction - 1):
            singular = tg.linalg.cholesky_ex(sample.detach())[1] != 0
            if not bool(singular.any()):
                break
            factor = self._bartlett(sample_shape)
            redrawn = factor @ factor.mT
            sample = tg.where(singular.reshape(tuple(singular.shape) + (1, 1)), redrawn, sample)
        return sample

    def log_prob(self, value):
        self._check(value)
        nu, p = self.df, self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        C = tg.linalg.cholesky(value)
        shape = tg.broadcast_shapes(tuple(L.shape), tuple(C.shape))
        # tr(S^-1 X) = |L^-1 C|_F^2 with X = C C^T and S = L L^T
        trace = tg.linalg.solve_triangular(L.expand(shape), C.expand(shape), upper=False).pow(2).sum((-2, -1))
        return (-nu * p / 2 * math.log(2) - nu / 2 * _log_det_from_tril(L) - tg.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * _log_det_from_tril(C) - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        log_det = _log_det_from_tril(self._unbroadcasted_scale_tril)
        expected_log_det = _mvdigamma(nu / 2, p) + p * math.log(2) + log_det
        log_normalizer = nu / 2 * log_det + nu * p / 2 * math.log(2) + tg.mvlgamma(nu / 2, p)
        return log_normalizer - (nu - p - 1) / 2 * expected_log_det + nu * p / 2

    # exponential family: T(X) = (X, log det X), eta = (-S^-1 / 2, (df - p - 1) / 2)
    @property
    def _natural_params(self):
        p = self._event_shape[-1]
        return -0.5 * self.precision_matrix, 0.5 * (self.df - p - 1)

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        nu = 2 * y + p + 1
        # S = (-2 x)^-1, so log det S = -log det(-2 x)
        return -nu / 2 * tg.logdet(-2 * x) + nu * p / 2 * math.log(2) + tg.mvlgamma(nu / 2, p)

    @property
    def _mean_carrier_measure(self):
        return 0


def _kl_wishart_wishart(p, q):
    nu_p, nu_q, n = p.df, q.df, p.event_shape[-1]
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    shape = tg.broadcast_shapes(tuple(Lp.shape), tuple(Lq.shape))
    trace = tg.linalg.solve_triangular(Lq.expand(shape), Lp.expand(shape), upper=False).pow(2).sum((-2, -1))
    return ((nu_p - nu_q) / 2 * _mvdigamma(nu_p / 2, n) + nu_p / 2 * (trace - n)
            + nu_q / 2 * (_log_det_from_tril(Lq) - _log_det_from_tril(Lp))
            + tg.mvlgamma(nu_q / 2, n) - tg.mvlgamma(nu_p / 2, n))


def _register():
    from .kl import register_kl
    register_kl(Wishart, Wishart)(_kl_wishart_wishart)


_register()

