"""``torch.library.register_autocast``: how a custom op behaves inside ``torch.autocast``.

PyTorch runs a custom op's autocast kernel before autograd and the device kernels: inside an
enabled region for the registered device type, floating-point tensor arguments on that device
(float64 ones excepted, as PyTorch's ``_cast``) are cast to the registered dtype, and the op then
runs with autocast off for that device type. Ops without a registration pay nothing: the check
in ``CustomOpDef.__call__`` is ``_autocast_dtype is not None``.
"""
from __future__ import annotations

import collections.abc
from tensorgraft.argument_errors import c_type_name

from ..tensor import Tensor

__all__ = ["register_autocast", "register_autocast_rule", "call_autocast"]


def _check_device_type(device_type):
    from ..amp import is_autocast_available
    if not isinstance(device_type, str):
        raise TypeError("_is_autocast_available(): argument 'device_type' (position 1) must be str, not "
                        f"{c_type_name(device_type)}")
    if not is_autocast_available(device_type):  # (a string naming no device type raises in there)
        raise ValueError(f"Device type '{device_type}' does not support autocast.")


def register_autocast_rule(op, device_type, cast_inputs):
    """``op.register_autocast``: the first dtype registered for a device type stays (as in PyTorch,
    whose later registrations do not replace the kernel). Returns the autocast kernel."""
    _check_device_type(device_type)
    if op._autocast_dtype is None:
        op._autocast_dtype = {}
    op._autocast_dtype.setdefault(device_type, cast_inputs)

    def kernel(_keyset, *args, **kwargs):
        if len(kwargs) != 0:
            raise AssertionError(f"Custom ops do not support kwargs yet, got {list(kwargs.keys())}")
        return _run_cast(op, device_type, cast_inputs, args, {})
    return kernel


def register_autocast(op, device_type, cast_inputs, /, *, lib=None):
    """Register an autocast rule for the custom op ``op`` (a custom op, its overload, or
    ``"ns::name"``): see ``CustomOpDef.register_autocast``."""
    from .vmap_rules import resolve_for_registration
    target = resolve_for_registration(op, "register_autocast")
    return target.register_autocast(device_type, cast_inputs)


def _cast(value, device_type, dtype):
    if isinstance(value, Tensor):
        import tensorgraft
        eligible = value.is_floating_point() and value.device.type == device_type and value.dtype is not tensorgraft.float64
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    if isinstance(value, collections.abc.Iterable):
        return (_cast(v, device_type, dtype) for v in value)
    return value


def _run_cast(op, device_type, dtype, args, kwargs):
    from ..amp._state import state
    mode = state.modes[device_type]
    args = _cast(args, device_type, dtype)
    kwargs = {k: _cast(v, device_type, dtype) for k, v in kwargs.items()}
    was = mode[0]
    mode[0] = False  # the op runs with autocast off for this device type (PyTorch excludes its key)
    state.refresh()
    try:
        return op(*args, **kwargs)
    finally:
        mode[0] = was
        state.refresh()


def call_autocast(op, args, kwargs):
    """The op's call inside an enabled autocast region of a registered device type, or
    NotImplemented (no region enabled for any of them: the call goes on as usual)."""
    from ..amp._state import state
    if not state.on:
        return NotImplemented
    for device_type, dtype in op._autocast_dtype.items():
        mode = state.modes.get(device_type)
        if mode is not None and mode[0]:
            return _run_cast(op, device_type, dtype, args, kwargs)
    return NotImplemented
