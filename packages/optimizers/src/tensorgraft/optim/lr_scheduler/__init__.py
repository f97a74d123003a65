"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s behaviour: the same (recursive,
"chainable") update formulas, so LR sequences match PyTorch's, ``get_last_lr()``,
``state_dict()``/``load_state_dict()`` and the warning when ``scheduler.step()`` runs before the
first ``optimizer.step()``.

Schedulers registered by plugins (``registrar.register_scheduler``) resolve as attributes of this
module too.

- ``base.py``: ``LRScheduler`` (and ``_LRScheduler``) and the helpers every scheduler uses
- ``lambda_lr.py``: ``LambdaLR``, ``MultiplicativeLR``
- ``decay.py``: ``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``
- ``annealing.py``: ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``OneCycleLR``
- ``composite.py``: ``SequentialLR``, ``ChainedScheduler``
- ``plateau.py``: ``ReduceLROnPlateau``
"""
from __future__ import annotations

import functools
import math
import types
import weakref
import warnings
from bisect import bisect_right
from collections import Counter
from functools import partial

from tensorgraft.tensor import Tensor

from ..optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau",
           "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]

BUILTIN_SCHEDULERS = tuple(n for n in __all__ if n != "LRScheduler") + ("LRScheduler",)

# Every name the single module ``lr_scheduler.py`` had stays importable from here (``swa_utils``
# imports private helpers; old custom schedulers subclass ``_LRScheduler``).
from .base import (
    EPOCH_DEPRECATION_WARNING, _ORDER_WARNING, _OVERRIDDEN_WARNING, _patch_track_step_called, _lrs, _last_lrs,
    _set_lr, _per_group, _check_optimizer, LRScheduler, _LRScheduler,
)
from .lambda_lr import _LambdaState, LambdaLR, MultiplicativeLR
from .decay import StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR
from .annealing import (
    CosineAnnealingLR, _setup_momentum, _set_momentum, CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR,
)
from .composite import _check_children, _Composite, SequentialLR, ChainedScheduler
from .plateau import ReduceLROnPlateau

# The classes keep this module as theirs, as PyTorch's do (``torch.optim.lr_scheduler.StepLR``), so
# a pickled scheduler still names ``tensorgraft.optim.lr_scheduler.<class>`` -- the same bytes as
# before the split, loadable whatever submodule holds the class later -- and reprs and messages
# naming a scheduler's type are unchanged. Their functions follow: a CyclicLR pickles its scale
# function (a static method) by reference.
for _cls in (LRScheduler, _LRScheduler, _LambdaState, LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR,
             LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR, CyclicLR, CosineAnnealingWarmRestarts,
             OneCycleLR, _Composite, SequentialLR, ChainedScheduler, ReduceLROnPlateau):
    _cls.__module__ = __name__
    for _attr in vars(_cls).values():
        _attr = getattr(_attr, "__func__", _attr)  # (the function of a staticmethod)
        if isinstance(_attr, types.FunctionType):
            _attr.__module__ = __name__
del _cls, _attr


def __getattr__(name):
    """Schedulers registered by plugins (``registrar.register_scheduler``)."""
    from tensorgraft.registry import registry
    cls = registry.schedulers.get(name)
    if cls is None:
        raise AttributeError(f"module 'tensorgraft.optim.lr_scheduler' has no attribute '{name}'")
    return cls
