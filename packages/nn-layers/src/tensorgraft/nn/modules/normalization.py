"""BatchNorm, LayerNorm, GroupNorm, RMSNorm, InstanceNorm, LocalResponseNorm."""
from __future__ import annotations

import warnings

from tensorgraft import dtypes as _dt
from tensorgraft.ops.creation import empty, ones, tensor, zeros

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module
from .utils import _own_init

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm",
    "GroupNorm", "RMSNorm", "LocalResponseNorm",
]


# ------------------------------------------------------------------------------------ shared helpers
def _listing(module, leading, named):
    """``extra_repr`` text: the ``leading`` attributes bare, then ``name=value`` pairs.

    A pair's value is the attribute of that name, or a callable applied to the module."""
    parts = [str(getattr(module, a)) for a in leading]
    for label, source in named:
        value = source(module) if callable(source) else getattr(module, source)
        parts.append(f"{label}={value}")
    return ", ".join(parts)


def _has_bias(module):
    return module.bias is not None


def _affine_pair(module, wanted, with_bias, size, device, dtype):
    """Register ``weight``/``bias`` of ``size`` (values set later by ``reset_parameters``), or Nones;
    ``with_bias=None``: the module has no bias slot at all (RMSNorm, as PyTorch's).

    ``size`` goes to ``empty`` as PyTorch passes it: the batch/instance/group norms' channel count
    alone (a float count is refused as "not float"), LayerNorm/RMSNorm's shape tuple (which may be ())."""
    slots = (("weight", wanted),) if with_bias is None else (("weight", wanted), ("bias", wanted and with_bias))
    for name, present in slots:
        if present:
            setattr(module, name, Parameter(empty(size, device=device, dtype=dtype)))
        else:
            module.register_parameter(name, None)


def _unit_affine(module):
    """weight <- 1, bias <- 0, for whichever of them exists."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


def _as_shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


# ------------------------------------------------------------------------------------ batch / instance norm
_STAT_NAMES = ("running_mean", "running_var", "num_batches_tracked")


class _NormBase(Module):
    """State shared by the batch and instance norms: affine pair and running statistics."""

    _version = 2
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_pair(self, affine, bias, num_features, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_dt.int64, device=device))
        else:
            for name in _STAT_NAMES:
                self.register_buffer(name, None)
        self.reset_parameters()

    def _optional_state_keys(self, version):
        # checkpoints written before version 2 carry no batch counter
        if self.track_running_stats and (version is None or version < 2):
            return ("num_batches_tracked",)
        return ()

    def reset_running_stats(self):
        if not self.track_running_stats:
            return
        self.running_mean.zero_()
        self.running_var.fill_(1)
        self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            _unit_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return _listing(self, ("num_features",), (
            ("eps", "eps"), ("momentum", "momentum"), ("affine", "affine"), ("bias", _has_bias),
            ("track_running_stats", "track_running_stats")))


@_own_init   # (PyTorch's batch norms inherit _BatchNorm.__init__: a wrong call's TypeError names it)
class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:   # cumulative average over all batches seen
                factor = 1.0 / float(self.num_batches_tracked)
        no_stats = self.running_mean is None and self.running_var is None
        use_batch_stats = self.training or no_stats
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(input,
                            self.running_mean if keep_stats else None,
                            self.running_var if keep_stats else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)


def _dim_guard(allowed, wording):
    """A ``_check_input_dim`` accepting inputs whose ``dim()`` is in ``allowed``."""
    def _check_input_dim(self, input):
        if input.dim() not in allowed:
            raise ValueError(f"expected {wording} input (got {input.dim()}D input)")
    return _check_input_dim


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L)."""
    _check_input_dim = _dim_guard((2, 3), "2D or 3D")


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W)."""
    _check_input_dim = _dim_guard((4,), "4D")


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W)."""
    _check_input_dim = _dim_guard((5,), "5D")


class _InstanceNorm(_NormBase):
    """Per-sample, per-channel normalisation; unbatched input is accepted too."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _get_no_batch_dim(self):
        raise NotImplementedError

    def _check_input_dim(self, input):
        lo = self._get_no_batch_dim()
        if input.dim() not in (lo, lo + 1):
            raise ValueError(f"expected {lo}D or {lo + 1}D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        channel_axis = input.dim() - self._get_no_batch_dim()
        seen = input.shape[channel_axis]
        if seen != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={channel_axis} to match num_features "
                                 f"({self.num_features}), but got: {seen}.")
            warnings.warn(f"input's size at dim={channel_axis} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False", stacklevel=2)
        unbatched = input.dim() == self._get_no_batch_dim()
        batch = input.unsqueeze(0) if unbatched else input
        out = self._apply_instance_norm(batch)
        return out.squeeze(0) if unbatched else out

    def _apply_instance_norm(self, input):
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                               use_input_stats, momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L)."""

    def _get_no_batch_dim(self):
        return 2


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W)."""

    def _get_no_batch_dim(self):
        return 3


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W)."""

    def _get_no_batch_dim(self):
        return 4


# ------------------------------------------------------------------------------------ layer-wise norms
class _TrailingDimsNorm(Module):
    """The state LayerNorm and RMSNorm share: the trailing ``normalized_shape`` they normalise over,
    ``eps`` and an optional elementwise affine over that shape."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps, elementwise_affine, bias, device, dtype):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_pair(self, elementwise_affine, bias, self.normalized_shape, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            _unit_affine(self)


class LayerNorm(_TrailingDimsNorm):
    """Normalise over the trailing ``normalized_shape`` dimensions."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__(normalized_shape, eps, elementwise_affine, bias, device, dtype)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return _listing(self, ("normalized_shape",), (
            ("eps", "eps"), ("elementwise_affine", "elementwise_affine"), ("bias", _has_bias)))


class GroupNorm(Module):
    """Normalise each of ``num_groups`` channel groups of every sample."""

    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_pair(self, affine, bias, num_channels, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            _unit_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return _listing(self, ("num_groups", "num_channels"), (
            ("eps", "eps"), ("affine", "affine"), ("bias", _has_bias)))


class RMSNorm(_TrailingDimsNorm):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions (no centring)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__(normalized_shape, eps, elementwise_affine, None, device, dtype)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return _listing(self, ("normalized_shape",), (("eps", "eps"), ("elementwise_affine", "elementwise_affine")))


class LocalResponseNorm(Module):
    """Normalisation across neighbouring channels (AlexNet's LRN); see ``F.local_response_norm``."""

    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return _listing(self, ("size",), (("alpha", "alpha"), ("beta", "beta"), ("k", "k")))


def __getattr__(name):
    """PyTorch's import path for ``CrossMapLRN2d``, which lives in legacy.py (imported on first use: legacy.py
    imports this module)."""
    if name == "CrossMapLRN2d":
        from .legacy import CrossMapLRN2d
        return CrossMapLRN2d
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
