"""PyTorch's ``distributions.utils``: the helpers that user-written distributions import
(``broadcast_all``, the probs/logits conversions, ``lazy_property``) and the conversions between
lower-triangular matrices and the vectors of their entries."""
import tensorgraft as tg

from .distribution import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits
from .distribution import sum_rightmost as _sum_rightmost  # noqa: F401 (PyTorch's private name)

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant


def _standard_normal(shape, dtype, device):
    return tg.empty(shape, dtype=dtype, device=device).normal_()


def _tril_mask(n, diag, device):
    arange = tg.arange(n, device=device)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries of the (batched) ``D x D`` matrix on and below diagonal ``diag``, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag=0):
    """The (batched) lower-triangular ``D x D`` matrix whose entries on and below diagonal
    ``diag`` are ``vec``, row by row (the inverse of ``tril_matrix_to_vec``)."""
    # D solves D (D + 1) / 2 + diag-dependent terms = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = tg.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
