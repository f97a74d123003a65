"""``ReduceLROnPlateau``: lowers the LRs when the metric passed to ``step(metrics)`` stops improving.
Apart from the other schedulers because a metric drives it, not the epoch count: no LR formula,
and schedulers made of others refuse it."""
from __future__ import annotations

import math
import warnings

from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, _check_optimizer, _last_lrs, _set_lr


class ReduceLROnPlateau(LRScheduler):
    """Multiplies the LRs by ``factor`` once the metric passed to ``step(metrics)`` has not improved
    for more than ``patience`` epochs; ``cooldown`` epochs after a reduction are not counted."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        n_groups = len(optimizer.param_groups)
        if not isinstance(min_lr, (list, tuple)):
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n_groups
        elif len(min_lr) == n_groups:
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            raise ValueError(f"expected {n_groups} min_lrs, got {len(min_lr)}")
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = _last_lrs(optimizer)
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self):
        """Forget the best value seen, the cooldown and the bad-epoch count."""
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def step(self, metrics, epoch=None):
        value = float(metrics)
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        improved = self._is_better(value, self.best)
        if improved:
            self.best = value
        self.num_bad_epochs = 0 if improved else self.num_bad_epochs + 1
        if self.in_cooldown:  # epochs spent cooling down never count as bad
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(self.last_epoch)
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _last_lrs(self.optimizer)

    def _reduce_lr(self, epoch):
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please modify the `min_lrs` field to match the "
                    "length of the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            current = float(group["lr"])
            lowered = max(current * self.factor, floor)
            if current - lowered > self.eps:  # skip updates too small to matter
                _set_lr(group, lowered)

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if relative else best - self.threshold
            return a < bar
        bar = best * (self.threshold + 1.0) if relative else best + self.threshold
        return a > bar

    def _init_is_better(self, mode, threshold, threshold_mode):
        worst = {"min": math.inf, "max": -math.inf}
        if mode not in worst:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:  # a set, as PyTorch: an unhashable mode is a TypeError
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = worst[mode]
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def load_state_dict(self, state_dict):
        LRScheduler.load_state_dict(self, state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
