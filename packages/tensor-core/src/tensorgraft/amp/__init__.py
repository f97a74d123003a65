"""``torch.amp``: automatic mixed precision — ``autocast`` and ``GradScaler``."""
from .autocast_mode import (  # noqa: F401
    autocast, autocast_decrement_nesting, autocast_increment_nesting, clear_autocast_cache, custom_bwd, custom_fwd,
    get_autocast_cpu_dtype, get_autocast_dtype, get_autocast_gpu_dtype, is_autocast_available,
    is_autocast_cache_enabled, is_autocast_cpu_enabled, is_autocast_enabled, set_autocast_cache_enabled,
    set_autocast_cpu_dtype, set_autocast_cpu_enabled, set_autocast_dtype, set_autocast_enabled,
    set_autocast_gpu_dtype,
)
from .grad_scaler import GradScaler  # noqa: F401

__all__ = ["autocast", "custom_bwd", "custom_fwd", "GradScaler", "is_autocast_available"]
