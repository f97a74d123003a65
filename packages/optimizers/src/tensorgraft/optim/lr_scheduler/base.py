"""``LRScheduler``, the base class of every scheduler (and ``_LRScheduler``, its pre-2.0 name), with
the plumbing the schedulers share: reading and writing the param groups' LRs (a tensor LR changes
in place), per-group arguments, and PyTorch's warnings -- the deprecated ``epoch`` argument, and
``scheduler.step()`` before ``optimizer.step()``, noticed through a wrapper on the optimizer's
``step``."""
from __future__ import annotations

import functools
import weakref
import warnings

from tensorgraft.tensor import Tensor

from ..optimizer import Optimizer


EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. "
    "Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from "
    "None, the closed form is used instead of the new chainable form, where available. Please open an issue if "
    "you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")

_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should "
    "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
    "result in PyTorch skipping the first value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")


_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. Please, make "
    "sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")


def _patch_track_step_called(opt) -> None:
    """As torch: wrap the optimizer instance's ``step`` so the scheduler can tell whether ``optimizer.step()``
    ran after the scheduler was created (the order warning) or was replaced since (the override warning)."""
    if hasattr(opt.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(opt)
    func = opt.step.__func__

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        o = opt_ref()
        o._opt_called = True
        return func.__get__(o, o.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    opt.step = wrapper


def _copy(value):
    return value.clone() if isinstance(value, Tensor) else value


def _lrs(optimizer, key="lr"):
    """The groups' ``key`` values, a tensor as a copy, as PyTorch's ``_param_groups_val_list``: a
    tensor LR changes in place, so ``base_lrs``, ``get_lr()`` and ``get_last_lr()`` must not alias it."""
    return [_copy(g[key]) for g in optimizer.param_groups]


def _last_lrs(optimizer):
    """What ``get_last_lr()`` reports: the groups' LRs, a tensor LR as a copy (it changes in place)."""
    return _lrs(optimizer)


def _set_lr(group, value) -> None:
    """As PyTorch: a tensor LR is overwritten in place (the optimizer, or a captured graph, may hold
    it), rounded to its dtype; any other LR is replaced."""
    lr = group["lr"]
    if isinstance(lr, Tensor):
        # PyTorch's ``_to_scalar``: a tensor value is squeezed to 0-d if it can be; ``fill_`` refuses
        # one of more elements with its own RuntimeError
        if isinstance(value, Tensor) and value.dim() != 0:
            value = value.squeeze()
        lr.fill_(value)
    else:
        group["lr"] = value


def _per_group(name, optimizer, value):
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. {name} has {len(value)} "
                             f"values, param_groups has {len(optimizer.param_groups)}.")
    else:
        value = [value] * len(optimizer.param_groups)
    # every entry a copy of a tensor, as PyTorch's ``_format_param``: the groups must not share (or
    # alias the caller's) tensor, which a tensor LR then filled in place would change behind them
    return [_copy(v) for v in value]


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the next LRs, usually from the current ones)."""

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                lr = group["lr"]
                group.setdefault("initial_lr", lr.clone() if isinstance(lr, Tensor) else lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler with "
                        "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training from a "
                        "checkpoint but haven't properly loaded the optimizer state\n2. You're using last_epoch >= 0 "
                        "for a fresh training run (not recommended)")
        self.base_lrs = _lrs(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _patch_track_step_called(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list:
        return self._last_lr

    def get_lr(self) -> list:
        raise NotImplementedError

    def _warn_get_lr(self):
        if not self._get_lr_called_within_step:
            # stacklevel 2 attributes the warning to the scheduler's get_lr, as PyTorch's helper does
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)

    def _warn_if_out_of_order(self) -> None:
        """At the first explicit ``step()``: was ``optimizer.step`` replaced, or never called yet?"""
        if not getattr(self.optimizer.step, "_wrapped_by_lr_sched", False):
            message = _OVERRIDDEN_WARNING
        elif getattr(self.optimizer, "_opt_called", False):
            return
        else:
            message = _ORDER_WARNING
        warnings.warn(message, UserWarning, stacklevel=3)

    def step(self, epoch=None) -> None:
        first_explicit_step = self._step_count == 1
        self._step_count += 1
        if first_explicit_step:
            self._warn_if_out_of_order()
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _compute_in_step(self, compute) -> list:
        """Run ``compute`` (``get_lr`` or a closed form) with the 'called from step()' flag raised."""
        self._get_lr_called_within_step = True
        try:
            return compute()
        finally:
            self._get_lr_called_within_step = False

    def _install(self, values) -> None:
        """Write ``values`` into the param groups and remember them as the last LRs."""
        # strict, as PyTorch: LRs for fewer groups than the optimizer has now (one added after the
        # scheduler, with a closed form that reads ``base_lrs``) is zip's ValueError
        for group, value in zip(self.optimizer.param_groups, values, strict=True):
            _set_lr(group, value)
        self._last_lr = _last_lrs(self.optimizer)

    def _update_lr(self, epoch=None) -> None:
        compute = self.get_lr
        if epoch is None:
            self.last_epoch += 1
        else:
            self.last_epoch = epoch
            compute = getattr(self, "_get_closed_form_lr", compute)
        self._install(self._compute_in_step(compute))


class _LRScheduler(LRScheduler):
    """The pre-2.0 name of the base class, kept for old custom schedulers that subclass it. A class of
    its own (not an alias) as in PyTorch, so the built-in schedulers, which derive from
    ``LRScheduler`` directly, are not ``isinstance(s, _LRScheduler)``."""
