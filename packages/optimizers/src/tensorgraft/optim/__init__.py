"""``tensorgraft.optim``: optimizers and learning-rate schedulers with ``torch.optim``'s API.

Every optimizer, built-in or from a plugin, is registered through the ``tensorgraft_register_optimizers``
hook and resolved here from the registry, so ``tensorgraft.optim.Adam`` and a third-party
``tensorgraft.optim.Lion`` are found the same way.
"""
from __future__ import annotations

from . import lr_scheduler  # noqa: F401
from ._flat import FlatOptimizer  # noqa: F401
from .optimizer import Optimizer, required  # noqa: F401

__all__ = ["Optimizer", "FlatOptimizer", "lr_scheduler", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
           "RMSprop", "Adagrad", "Adadelta", "LBFGS"]


def __getattr__(name):
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
    return sorted(set(globals()) | set(registry.optimizers))
