"""``tensorgraft.optim``: optimizers and learning-rate schedulers with ``torch.optim``'s API.

Every optimizer, built-in or from a plugin, is registered through the ``tensorgraft_register_optimizers``
hook and resolved here from the registry, so ``tensorgraft.optim.Adam`` and a third-party
``tensorgraft.optim.Lion`` are found the same way.
"""
from __future__ import annotations

import importlib as _importlib

__all__ = ["Optimizer", "FlatOptimizer", "lr_scheduler", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
           "RMSprop", "Adagrad", "Adadelta", "LBFGS", "Rprop", "ASGD", "Adafactor", "SparseAdam", "Muon",
           "swa_utils"]

# Imported on first use: ``import tensorgraft`` imports this package (for its plugin entry point).
_LAZY = {"Optimizer": "optimizer", "required": "optimizer", "FlatOptimizer": "_flat"}
_SUBMODULES = frozenset({"lr_scheduler", "optimizer", "swa_utils"})


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    from tensorgraft.registry import registry
    cls = registry.optimizers.get(name)
    if cls is None:
        from ._plugin import BUILTIN_OPTIMIZERS
        hint = (" (the tensorgraft-optim plugin did not register it: it is disabled or failed to load; "
                "run 'tensorgraft plugins' for details)") if name in BUILTIN_OPTIMIZERS else ""
        raise AttributeError(f"module 'tensorgraft.optim' has no attribute '{name}'{hint}")
    return cls


def __dir__():
    from tensorgraft.registry import registry
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES) | set(registry.optimizers))
