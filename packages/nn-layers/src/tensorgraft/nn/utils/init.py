"""``tensorgraft.nn.utils.skip_init``: build a module whose initial parameter values do not matter."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` for callers that will overwrite every parameter/buffer.

    PyTorch builds the module on its ``meta`` device and then allocates uninitialised storage; tensorgraft
    has no ``meta`` device, so the module is built directly on the requested device. The values are then
    whatever the constructor's initialisers produced: as good as PyTorch's "uninitialised" for a caller
    that overwrites them, but the initialisation cost is not saved.
    """
    from ..modules.module import Module

    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
