"""``torch.cpu.amp``: deprecated aliases of ``torch.amp``'s CPU autocast and GradScaler.

The two base classes serve every device's aliases (``tensorgraft.cuda.amp`` subclasses them too):
a subclass names its device in ``_alias_device``."""
import warnings

from .. import amp as _amp
from ..amp.autocast_mode import _default_dtype


class _DeprecatedAutocast(_amp.autocast):
    """``torch.<device>.amp.autocast``: ``torch.amp.autocast`` for one device, with PyTorch's warning."""

    _alias_device = None

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        device = self._alias_device
        warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                      f"`torch.amp.autocast('{device}', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__(device, enabled=enabled, dtype=_default_dtype(device) if dtype is None else dtype,
                         cache_enabled=cache_enabled)


class _DeprecatedGradScaler(_amp.GradScaler):
    """``torch.<device>.amp.GradScaler``: ``torch.amp.GradScaler`` for one device, with PyTorch's warning."""

    _alias_device = None

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        device = self._alias_device
        warnings.warn(f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                      f"`torch.amp.GradScaler('{device}', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__(device, init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)


class autocast(_DeprecatedAutocast):
    _alias_device = "cpu"


class GradScaler(_DeprecatedGradScaler):
    _alias_device = "cpu"
