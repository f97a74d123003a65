"""``torch.autocast``: run eligible ops in a lower-precision float type.

The switches are per thread and per device type (``_state.state``). Inside an enabled region,
ops on the lower-precision list (matmul, linear, convolutions) cast their float operands to the
region's dtype with ``lower``; ops on the float32 list (the losses) cast them to float32 with
``fp32``; ops that are float32-only on CUDA use ``fp32_cuda``. float64 and non-float operands
are never cast. Casts of leaf tensors that require grad (weights) are remembered until the
outermost region exits, so a weight used twice is cast once.
"""
from __future__ import annotations

import functools
import warnings
from tensorgraft.argument_errors import c_type_name

from ._state import state as _sw

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

_KNOWN = ("cpu", "cuda")
_ALL_DEVICE_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, "
                     "mps, meta, hpu, mtia, privateuseone")


def _tg():
    import tensorgraft
    return tensorgraft


def _default_dtype(device_type):
    # PyTorch's defaults: bfloat16 on the CPU, float16 on CUDA
    return _tg().bfloat16 if device_type == "cpu" else _tg().float16


def _mode(device_type):
    if not isinstance(device_type, str):
        device_type = getattr(device_type, "type", device_type)
    m = _sw.modes.get(device_type)
    if m is None:
        raise RuntimeError(f"Expected one of {_ALL_DEVICE_TYPES} device type at start of device string: "
                           f"{device_type}")
    return m


# --------------------------------------------------------------------------- switches
def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports ``device_type`` here; a string naming no device type is refused
    in PyTorch's words."""
    if isinstance(device_type, str) and device_type not in _ALL_DEVICE_TYPES.split(", "):
        _mode(device_type)  # raises
    return device_type in _KNOWN


def is_autocast_enabled(device_type=None) -> bool:
    return bool(_mode("cuda" if device_type is None else device_type)[0])


def _check_enabled(enabled, position=2) -> None:
    if enabled.__class__ is not bool:
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position {position}) must be bool, not "
                        f"{c_type_name(enabled)}")


def set_autocast_enabled(device_type, enabled=None) -> None:
    if enabled is None:  # the legacy one-argument form switches CUDA
        device_type, enabled = "cuda", device_type
        _check_enabled(enabled, 1)
    else:
        _check_enabled(enabled)
    _mode(device_type)[0] = enabled
    _sw.refresh()


def _deprecated(old, new) -> None:
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def get_autocast_dtype(device_type):
    dtype = _mode(device_type)[1]
    return _default_dtype(device_type) if dtype is None else dtype


def set_autocast_dtype(device_type, dtype) -> None:
    _mode(device_type)[1] = dtype


# the per-device spellings below warn as PyTorch's do (each call)
def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled() -> bool:
    return _sw.keep_casts


def set_autocast_cache_enabled(enabled) -> None:
    _sw.keep_casts = bool(enabled)


def clear_autocast_cache() -> None:
    _sw.casts.clear()


def autocast_increment_nesting() -> int:
    _sw.depth += 1
    return _sw.depth


def autocast_decrement_nesting() -> int:
    _sw.depth -= 1
    return _sw.depth


def _cuda_usable() -> bool:
    try:
        return bool(_tg().cuda.is_available())
    except Exception:  # noqa: BLE001 - no CUDA backend installed
        return False


def _require_str(device_type):
    if not isinstance(device_type, str):
        cls = type(device_type)
        # the common mistake is passing a device object: name its class as PyTorch's message does
        shown = "<class 'torch.device'>" if cls is _tg().device else str(cls)
        raise ValueError(f"Expected `device_type` of type `str`, got: `{shown}`")


# --------------------------------------------------------------------------- the context manager
class autocast:
    """``with autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` or as a
    decorator. Regions nest; leaving one restores the switches found on entry."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        _require_str(device_type)
        tg = _tg()
        _mode(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        on = enabled  # (a non-bool is refused on entry, where PyTorch's set_autocast_enabled sees it)
        if on and device_type == "cpu" and self.fast_dtype is not tg.float16 and self.fast_dtype is not tg.bfloat16:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          stacklevel=2)
            on = False
        elif on and device_type == "cuda":
            if not _cuda_usable():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                on = False
            elif self.fast_dtype is not tg.float16 and self.fast_dtype is not tg.float32:
                # CuPy has no bfloat16 arrays, so tensorgraft's CUDA devices never support it
                raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to float16.")
        self._enabled = on
        self._saved = []

    def __enter__(self):
        _check_enabled(self._enabled)
        mode = _mode(self.device)
        self._saved.append((list(mode), _sw.keep_casts))
        mode[0], mode[1] = self._enabled, self.fast_dtype
        _sw.keep_casts = self._cache_enabled
        _sw.refresh()
        autocast_increment_nesting()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        before, keep = self._saved.pop()
        _mode(self.device)[:] = before
        _sw.keep_casts = keep
        _sw.refresh()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


# --------------------------------------------------------------------------- casting helpers
def _castable(t):
    tg = _tg()
    return isinstance(t, tg.Tensor) and t.is_floating_point() and t.dtype is not tg.float64


def _convert(t, dtype):
    """``t`` as ``dtype``; for a leaf weight the cast is remembered while caching is on."""
    if t.dtype is dtype:
        return t
    remember = _sw.keep_casts and t.requires_grad and t.grad_fn is None
    if not remember:
        return t.to(dtype)
    key = (id(t), dtype)
    hit = _sw.casts.get(key)
    if hit is not None and hit[0] is t:
        return hit[1]
    out = t.to(dtype)
    _sw.casts[key] = (t, out)
    return out


def _cast_each(tensors, target_of):
    out = []
    for t in tensors:
        if _castable(t):
            dtype = target_of(t.device.type)
            if dtype is not None:
                t = _convert(t, dtype)
        out.append(t)
    return tuple(out)


def _region_dtype(device_type):
    mode = _sw.modes.get(device_type)
    if mode is None or not mode[0]:
        return None
    return get_autocast_dtype(device_type)


def lower(*tensors):
    """Operands of a lower-precision-list op, cast to their device's autocast dtype."""
    return _cast_each(tensors, _region_dtype)


def fp32(*tensors):
    """Operands of a float32-list op, cast to float32 where their device's autocast is on."""
    f32 = _tg().float32
    return _cast_each(tensors, lambda dev: f32 if is_autocast_enabled(dev) else None)


def fp32_cuda(*tensors):
    """Like ``fp32``, for ops that are on the float32 list of CUDA autocast only."""
    f32 = _tg().float32
    return _cast_each(tensors, lambda dev: f32 if dev == "cuda" and is_autocast_enabled("cuda") else None)


def fp32_cpu(*tensors):
    """Like ``fp32``, for ops that are on the float32 list of CPU autocast only (the 3-d pools,
    the reflection and replication pads, grid_sample, max_unpool, prod, trace, ormqr)."""
    f32 = _tg().float32
    return _cast_each(tensors, lambda dev: f32 if dev == "cpu" and is_autocast_enabled("cpu") else None)


# --------------------------------------------------------------------------- custom Functions
def _cast_inputs(obj, dtype, device_type):
    tg = _tg()
    if isinstance(obj, tg.Tensor):
        if obj.is_floating_point() and obj.dtype is not tg.float64 and obj.device.type == device_type:
            return obj.to(dtype)
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cast_inputs(o, dtype, device_type) for o in obj)
    if isinstance(obj, dict):
        return {k: _cast_inputs(v, dtype, device_type) for k, v in obj.items()}
    return obj


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorate a custom Function's ``forward``: with ``cast_inputs``, run it with autocast off on
    inputs cast to that dtype (when autocast is on for ``device_type``); the matching
    ``custom_bwd`` backward then runs under the autocast state the forward saw."""
    _require_str(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._amp_seen = (get_autocast_dtype(device_type), is_autocast_enabled(device_type))
        if cast_inputs is None or not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        ctx._amp_seen = (ctx._amp_seen[0], False)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast_inputs(args, cast_inputs, device_type),
                       **_cast_inputs(kwargs, cast_inputs, device_type))
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorate a custom Function's ``backward`` to run under its forward's autocast state."""
    _require_str(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        dtype, was_on = getattr(args[0], "_amp_seen", (get_autocast_dtype(device_type), False))
        with autocast(device_type=device_type, enabled=was_on, dtype=dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
