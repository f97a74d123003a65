"""Distributions over vectors: ``Dirichlet`` and ``MultivariateNormal``."""
import math

import tensorgraft as tg

from . import _sampling, constraints
from .distribution import CenteredAtLoc, Distribution, lazy_property
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet", "MultivariateNormal"]


def dirichlet_mode(a):
    """The maximizer of ``prod x_i ** (a_i - 1)`` on the simplex, NaN where there is none."""
    shifted = (a - 1).clamp(min=0)
    total = shifted.sum(-1, keepdim=True)
    # a safe denominator where the corner is chosen, so no 0/0 leaks NaN into the gradient
    mode = shifted / tg.where(total > 0, total, tg.ones_like(total))
    index = tg.arange(a.shape[-1], device=a.device)
    # with every concentration below one the density is unbounded at the largest one's corner
    largest = (a.argmax(-1, keepdim=True) == index).to(a.dtype)
    mode = tg.where((a < 1).all(-1, keepdim=True), largest, mode)
    # none above one: one concentration of exactly one, the others below, peak at its corner (the
    # density grows toward every face where a component below one vanishes); two or more ones
    # leave a flat ridge (no unique mode: NaN, PyTorch's value there too)
    ones = (a == 1).to(a.dtype)
    flat_top = (total == 0) & ~(a < 1).all(-1, keepdim=True)
    single_one = ones.sum(-1, keepdim=True) == 1
    mode = tg.where(flat_top & single_one, ones, mode)
    return tg.where(flat_top & ~single_one, tg.full_like(mode, math.nan), mode)


class Dirichlet(ExponentialFamily):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _expand_params = ("concentration",)

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return dirichlet_mode(self.concentration)

    @property
    def variance(self):
        a = self.concentration
        a0 = a.sum(-1, keepdim=True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        return _sampling.sample_dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        self._check(value)
        a = self.concentration
        return tg.xlogy(a - 1, value).sum(-1) + tg.lgamma(a.sum(-1)) - tg.lgamma(a).sum(-1)

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return tg.lgamma(x).sum(-1) - tg.lgamma(x.sum(-1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return (tg.lgamma(a).sum(-1) - tg.lgamma(a0) - (k - a0) * tg.digamma(a0)
                - ((a - 1) * tg.digamma(a)).sum(-1))


def _batch_solve_lower(L, b):
    """``L^-1 b`` for vectors ``b`` (``L`` broadcast over the leading dimensions of ``b``)."""
    shape = tg.broadcast_shapes(tuple(L.shape[:-2]), tuple(b.shape[:-1]))
    n = b.shape[-1]
    L = L.expand(tuple(shape) + (n, n))
    b = b.expand(tuple(shape) + (n,))
    return tg.linalg.solve_triangular(L, b.unsqueeze(-1), upper=False).squeeze(-1)


def _precision_to_scale_tril(P):
    """Lower ``L`` with ``L L^T = P^-1``: with ``J`` the reversal permutation and
    ``J P J = C C^T``, ``U = J C J`` is upper triangular with ``P = U U^T``, so ``L = U^-T``."""
    flip = P.flip(-2, -1)
    U = tg.linalg.cholesky(flip).flip(-2, -1)
    eye = tg.eye(P.shape[-1], dtype=P.dtype, device=P.device).expand(P.shape)
    return tg.linalg.solve_triangular(U, eye, upper=True).mT


def given_matrix(error_type, **matrices):
    """``(name, matrix)`` of the one of ``covariance_matrix``, ``precision_matrix`` and
    ``scale_tril`` given (MultivariateNormal and Wishart take exactly one); PyTorch reports any
    other count as ``error_type``."""
    given = [(name, matrix) for name, matrix in matrices.items() if matrix is not None]
    if len(given) != 1:
        raise error_type("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
    return given[0]


def scale_tril_from(name, matrix):
    """The lower Cholesky factor of the covariance, from the matrix ``given_matrix`` returned."""
    if name == "scale_tril":
        return matrix
    if name == "covariance_matrix":
        return tg.linalg.cholesky(matrix)
    return _precision_to_scale_tril(matrix)


class MatrixViews:
    """Base of the distributions with ``covariance_matrix``, ``precision_matrix`` and
    ``scale_tril`` views, each ``n x n`` over the batch shape (``_full_shape()``) and derived on
    first use (the multivariate normals, Wishart): ``expand`` carries those already derived over."""

    def _full_shape(self):
        n = self._event_shape[-1]
        return self._batch_shape + (n, n)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(new._full_shape())
        return new


class CholeskyMatrices(MatrixViews):
    """The three matrix views of a distribution kept as a lower Cholesky factor
    (``_unbroadcasted_scale_tril``): shared by MultivariateNormal and Wishart."""

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._full_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._full_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = tg.eye(L.shape[-1], dtype=L.dtype, device=L.device).expand(L.shape)
        Linv = tg.linalg.solve_triangular(L, eye, upper=False)
        return (Linv.mT @ Linv).expand(self._full_shape())


class MultivariateNormal(CenteredAtLoc, CholeskyMatrices, Distribution):
    """Gaussian over vectors, given by exactly one of ``covariance_matrix``, ``precision_matrix``
    or ``scale_tril`` (the lower Cholesky factor of the covariance, which everything uses)."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True
    _expand_params = ("loc",)

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        name, matrix = given_matrix(ValueError, covariance_matrix=covariance_matrix,
                                    precision_matrix=precision_matrix, scale_tril=scale_tril)
        if matrix.dim() < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{what} must be at least two-dimensional, with optional leading batch dimensions")
        batch_shape = tg.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = matrix.shape[-1]
        setattr(self, name, matrix.expand(tuple(batch_shape) + (n, n)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        # factored only after validation, so a matrix that is not positive definite gets the
        # constraint's ValueError (as in PyTorch), not the Cholesky's LinAlgError
        self._unbroadcasted_scale_tril = scale_tril_from(name, matrix)

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        eps = tg.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        self._check(value)
        z = _batch_solve_lower(self._unbroadcasted_scale_tril, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + z.pow(2).sum(-1)) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(self._batch_shape) if len(self._batch_shape) else h
