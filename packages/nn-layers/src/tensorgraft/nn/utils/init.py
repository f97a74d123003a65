"""``tensorgraft.nn.utils.skip_init``: build a module whose initial parameter values do not matter."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` for callers that will overwrite every parameter/buffer.

    As in PyTorch, the module is built on the ``meta`` device (its initialisers run but compute
    nothing, and draw nothing from the random generators, so the random numbers a program gets
    afterwards are PyTorch's) and then given uninitialised storage on the requested device
    (``device=``, the CPU by default) with ``to_empty``.
    """
    from ..modules.module import Module

    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "meta"
    return module_cls(*args, **kwargs).to_empty(device=final_device)
