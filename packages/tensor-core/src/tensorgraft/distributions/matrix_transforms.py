"""Transforms onto sets of matrices: ``CorrCholeskyTransform`` (vectors to Cholesky factors of
correlation matrices, bijective) and ``PositiveDefiniteTransform`` (square matrices to positive
definite ones). Re-exported by ``transforms``, where PyTorch has them."""
import math

import tensorgraft as tg

from . import constraints
from .distribution import softplus
from .transforms import LowerCholeskyTransform, Transform, _SameTypeEq

__all__ = ["CorrCholeskyTransform", "PositiveDefiniteTransform"]


def _side_from_count(n, message="Input is not a flattened lower-diagonal number"):
    """``D`` with ``D (D - 1) / 2 == n`` (the number of entries below a ``D x D`` diagonal)."""
    side = round((1 + math.sqrt(1 + 8 * n)) / 2)
    if side * (side - 1) // 2 != n:
        raise ValueError(message)
    return side


def _strictly_lower_flat_index(side, device):
    """Positions in the flattened ``side x side`` matrix of the entries below the diagonal, row
    by row (the order of the unconstrained vector)."""
    rows, cols = tg.tril_indices(side, side, -1, device=device)
    return rows * side + cols


def _exclusive_cumsum(v):
    """``sum_{k<j} v_k`` along the last dimension."""
    total = tg.cumsum(v, -1)
    return tg.cat([tg.zeros_like(total[..., :1]), total[..., :-1]], -1)


class CorrCholeskyTransform(_SameTypeEq, Transform):
    """``R^(D(D-1)/2)`` onto lower Cholesky factors of ``D x D`` correlation matrices:
    ``z = tanh(x)`` fills the strictly lower triangle row by row, then each row is stick-broken so
    its squared norm is 1: ``L_ij = z_ij sqrt(1 - sum_{k<j} L_ik^2)``, the diagonal taking what is
    left. Since ``1 - sum_{k<j} L_ik^2 = prod_{k<j} (1 - z_ik^2)`` everything is a cumulative sum
    of ``log(1 - z^2)``."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    @staticmethod
    def _log_remaining(z, strictly_lower):
        """``log prod_{k<j} (1 - z_ik^2)``, counting only entries below the diagonal."""
        # masking z^2 (not the log) keeps log(0) on the diagonal out of the gradient
        log_one_minus = tg.log1p(-tg.where(strictly_lower, z.pow(2), tg.zeros_like(z)))
        return _exclusive_cumsum(log_one_minus)

    def _call(self, x):
        # the message of PyTorch's vec_to_tril_matrix, which its transform calls here
        side = _side_from_count(x.shape[-1], f"The size of last dimension is {x.shape[-1]} which cannot be "
                                "expressed as the lower triangular part of a square D x D matrix.")
        eps = tg.finfo(x.dtype).eps
        r = tg.tanh(x).clamp(min=-1 + eps, max=1 - eps)
        # place the vector below the diagonal (a 0/1 matrix product keeps it differentiable)
        index = _strictly_lower_flat_index(side, x.device)
        place = (index.unsqueeze(-1) == tg.arange(side * side, device=x.device)).to(x.dtype)
        eye = tg.eye(side, dtype=x.dtype, device=x.device)
        z = (r @ place).reshape(tuple(x.shape[:-1]) + (side, side)) + eye
        strictly_lower = tg.ones(side, side, dtype=tg.bool, device=x.device).tril(-1)
        return z * (0.5 * self._log_remaining(z, strictly_lower)).exp()

    def _inverse(self, y):
        side = y.shape[-1]
        # remaining stick before entry j of each row: 1 - sum_{k<j} L_ik^2
        remaining = 1 - _exclusive_cumsum(y.pow(2))
        z = y / remaining.clamp(min=tg.finfo(y.dtype).tiny).sqrt()
        flat = z.reshape(tuple(y.shape[:-2]) + (side * side,))
        index = _strictly_lower_flat_index(side, y.device)
        r = flat.index_select(-1, index)
        eps = tg.finfo(y.dtype).eps
        return tg.atanh(r.clamp(min=-1 + eps, max=1 - eps))

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        # triangular Jacobian: d tanh = 1 - z^2, and dL_ij/dz_ij = sqrt(remaining before j)
        side = y.shape[-1]
        flat_remaining = (1 - _exclusive_cumsum(y.pow(2))).reshape(tuple(y.shape[:-2]) + (side * side,))
        remaining = flat_remaining.index_select(-1, _strictly_lower_flat_index(side, y.device))
        log_tanh_grad = 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))
        return (log_tanh_grad + 0.5 * remaining.log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        side = _side_from_count(shape[-1])
        return tuple(shape[:-1]) + (side, side)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        side = shape[-1]
        return tuple(shape[:-2]) + (side * (side - 1) // 2,)


class PositiveDefiniteTransform(_SameTypeEq, Transform):
    """``L L^T`` with ``L = LowerCholeskyTransform()(x)``: onto positive definite matrices, but
    not bijective (only the lower triangle of ``x`` is used)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(tg.linalg.cholesky(y))
