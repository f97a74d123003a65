"""Parametrization-based normalisations: ``weight_norm`` (a magnitude and a direction tensor) and
``spectral_norm`` (the weight divided by a power-iteration estimate of its top singular value),
plus ``orthogonal`` (re-exported from :mod:`.orthogonal`).

Each one registers a small module with :func:`parametrize.register_parametrization`, so the
unconstrained tensors live under ``module.parametrizations.<name>`` (``original0``/``original1``
for the weight norm, ``original`` plus the ``_u``/``_v`` power-method buffers for the spectral
norm).
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.tensor import Tensor

from .. import functional as F
from ..functional_ops.weight_norm import norm_except_dim, weight_norm as _wn_op
from ..modules.module import Module
from . import parametrize
from .orthogonal import orthogonal  # noqa: F401

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_WARMUP_STEPS = 15      # power-method steps taken when the estimate is first built


# ------------------------------------------------------------------ weight norm
class _WeightNorm(Module):
    """``(g, v) -> v * g / ||v||`` with the norm over every dim but ``dim`` (``-1``: all of them)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _wn_op(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        # split a full weight into (magnitude, direction); the direction is kept unnormalised
        magnitude = norm_except_dim(weight, 2, self.dim)
        return magnitude, weight


def _old_weight_norm_keys_upgrader(tensor_name):
    """A load-state-dict pre-hook turning the hook-based layout (``<name>_g``/``<name>_v``) into
    the parametrized one (``parametrizations.<name>.original0``/``original1``)."""
    def upgrade(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        legacy = [prefix + tensor_name + suffix for suffix in ("_g", "_v")]
        if not all(k in state_dict for k in legacy):
            return
        target = prefix + "parametrizations." + tensor_name + ".original"
        for idx, key in enumerate(legacy):
            state_dict[target + str(idx)] = state_dict.pop(key)
    return upgrade


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``original0 * original1 / ||original1||`` (the norm over
    every dim but ``dim``; ``dim=None`` means the whole tensor). Returns ``module``. State dicts
    saved with the hook-based ``nn.utils.weight_norm`` still load."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    module._register_load_state_dict_pre_hook(_old_weight_norm_keys_upgrader(name))
    return module


# ------------------------------------------------------------------ spectral norm
def _as_matrix(tensor, out_dim):
    """``tensor`` with ``out_dim`` moved to the front and the rest flattened: (rows, cols)."""
    if out_dim:
        order = [out_dim] + [d for d in range(tensor.ndim) if d != out_dim]
        tensor = tensor.permute(*order)
    return tensor.reshape(tensor.shape[0], -1)


def _unit_random(like, length, eps):
    vec = _tg.empty(length, dtype=like.dtype, device=like.device).normal_(0, 1)
    return F.normalize(vec, dim=0, eps=eps)


class _SpectralNorm(Module):
    """``w -> w / sigma(w)``, ``sigma`` estimated by power iteration on persistent singular-vector
    buffers ``_u`` (left) and ``_v`` (right); a 1-D tensor is simply scaled to unit norm."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        rank = weight.ndim
        if not -rank <= dim < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{rank}, {rank - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim % rank
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if rank > 1:
            mat = _as_matrix(weight, self.dim)
            rows, cols = mat.shape
            self.register_buffer("_u", _unit_random(mat, rows, eps))
            self.register_buffer("_v", _unit_random(mat, cols, eps))
            self._refine(mat, _WARMUP_STEPS)

    def _refine(self, mat, steps):
        """``steps`` power-method updates of the buffers, in place and outside autograd."""
        with _tg.no_grad():
            for _ in range(steps):
                self._u.copy_(F.normalize(mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = _as_matrix(weight, self.dim)
        if self.training:
            self._refine(mat, self.n_power_iterations)
        # copies, so later in-place refinements do not disturb this graph
        left = self._u.clone()
        right = self._v.clone()
        sigma = _tg.vdot(left, mat.mv(right))
        return weight / sigma

    def right_inverse(self, value):
        # any tensor is accepted as the new unnormalised original
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrize ``module.<name>`` as itself divided by its largest singular value (estimated
    by ``n_power_iterations`` power-method steps per training-mode access). ``dim`` is the output
    dim: 1 for the transposed convolutions and 0 otherwise by default. Returns ``module``."""
    target = getattr(module, name, None)
    if not isinstance(target, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from .spectral_norm import _transposed_convs
        dim = int(isinstance(module, _transposed_convs()))
    parametrize.register_parametrization(module, name, _SpectralNorm(target, n_power_iterations, dim, eps))
    return module
