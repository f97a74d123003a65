"""``LKJCholesky``: the LKJ distribution (Lewandowski, Kurowicka & Joe, 2009) over correlation
matrices, expressed on their lower Cholesky factors. The density of a correlation matrix ``C`` is
proportional to ``det(C) ** (concentration - 1)``; ``concentration = 1`` is uniform.

Sampled by the onion method: row ``i`` of the factor is ``sqrt(y_i) * u_i`` off the diagonal and
``sqrt(1 - y_i)`` on it, with ``u_i`` uniform on the unit sphere of ``R^i`` and
``y_i ~ Beta(i / 2, concentration + (dim - 1 - i) / 2)``. ``log_prob`` is the density of those
free entries, row by row, which follows from the same construction.
"""
import math

import tensorgraft as tg

from . import constraints
from .continuous import Beta
from .distribution import Distribution, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    _expand_params = ("concentration",)
    _expand_dists = ("_beta",)  # its batch shape ends in the dim - 1 rows

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        c = self.concentration
        super().__init__(c.shape, tg.Size((dim, dim)), validate_args=validate_args)
        # row i (1 <= i < dim) draws y_i ~ Beta(i / 2, concentration + (dim - 1 - i) / 2)
        i = tg.arange(1, dim, dtype=c.dtype, device=c.device)
        self._beta = Beta(0.5 * i, c.unsqueeze(-1) + 0.5 * (dim - 1 - i), validate_args=False)

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            y = self._beta.sample(sample_shape)  # squared length of the free part of rows 1..dim-1
            y = tg.cat([tg.zeros_like(y[..., :1]), y], -1).unsqueeze(-1)  # row 0 has none
            c = self.concentration
            shape = self._extended_shape(sample_shape)
            u = tg.randn(shape, dtype=c.dtype, device=c.device).tril(-1)
            norm = tg.linalg.vector_norm(u, dim=-1, keepdim=True)
            # row 0 is all zeros (nothing to normalize): divide it by 1 instead of 0
            direction = u / tg.where(norm > 0, norm, tg.ones_like(norm))
            w = y.sqrt() * direction
            diag = (1 - w.pow(2).sum(-1)).clamp(min=tg.finfo(c.dtype).tiny).sqrt()
            return w + diag.diag_embed()

    def log_prob(self, value):
        self._check(value)
        dim, c = self.dim, self.concentration
        i = tg.arange(1, dim, dtype=value.dtype, device=value.device)  # rows with free entries
        b = c.unsqueeze(-1) + 0.5 * (dim - 1 - i)
        log_diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:].log()
        # density of row i's free entries: (1 - y)^(b - 1) Gamma(i/2 + b) / (pi^(i/2) Gamma(b)),
        # with 1 - y the squared diagonal entry
        per_row = 2 * (b - 1) * log_diag - 0.5 * i * math.log(math.pi) - tg.lgamma(b) + tg.lgamma(0.5 * i + b)
        return per_row.sum(-1)
