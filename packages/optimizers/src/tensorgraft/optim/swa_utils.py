"""``tensorgraft.optim.swa_utils``: stochastic weight averaging and EMA of a model's weights
(``AveragedModel``), the SWA learning-rate schedule (``SWALR``) and ``update_bn``, as
``torch.optim.swa_utils``.

Needs tensorgraft-nn (``AveragedModel`` is a ``Module``); imported only when used."""
from __future__ import annotations

import copy
import itertools
import math
import warnings

import tensorgraft as _tg
from tensorgraft.nn import Module

from ._flat import lerp_
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _lerp_all(averaged, current, weight) -> None:
    """``torch._foreach_lerp_`` with a scalar weight: the same two-branch lerp as ``Tensor.lerp_``."""
    from tensorgraft.device import get_backend
    for a, c in zip(averaged, current):
        lerp_(get_backend(a._device).xp, a._data, c._data.astype(a._data.dtype, copy=False),
              float(weight), a._data.copy())
        a._vc[0] += 1


def _is_float(t) -> bool:
    return t._data.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay=0.999):
    """``multi_avg_fn`` for an exponential moving average: ``ema = decay * ema + (1 - decay) * param``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        with _tg.no_grad():
            if _is_float(ema_param_list[0]):
                _lerp_all(ema_param_list, current_param_list, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """``multi_avg_fn`` for the running equal-weight average of all models seen."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with _tg.no_grad():
            if _is_float(averaged_param_list[0]):
                _lerp_all(averaged_param_list, current_param_list, 1 / (num_averaged + 1))
            else:
                for a, c in zip(averaged_param_list, current_param_list):
                    diff = c - a
                    a.add_(diff / (num_averaged + 1) if isinstance(num_averaged, _tg.Tensor)
                           else diff * (1.0 / (num_averaged + 1)))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``avg_fn`` (one tensor at a time) for an exponential moving average."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        with _tg.no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """``avg_fn`` (one tensor at a time) for the running equal-weight average."""

    def swa_update(averaged_param, current_param, num_averaged):
        with _tg.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _by_device_and_dtype(pairs):
    groups: dict = {}
    for a, m in pairs:
        groups.setdefault((a.device, a.dtype), ([], []))
        groups[(a.device, a.dtype)][0].append(a)
        groups[(a.device, a.dtype)][1].append(m)
    return groups


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and buffers with ``use_buffers=True``) are averaged by
    ``update_parameters(model)``: equal-weight SWA by default, or ``avg_fn``/``multi_avg_fn`` (e.g.
    ``get_ema_multi_avg_fn(0.999)``). ``state_dict()`` holds ``n_averaged`` and ``module.*``."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _tg.tensor(0, dtype=_tg.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        pairs = []
        copy_param = bool(self.n_averaged == 0)
        with _tg.no_grad():
            for p_averaged, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach().to(p_averaged.device)
                pairs.append((p_averaged.detach(), p_model_))
                if copy_param:
                    p_averaged.detach().copy_(p_model_)
            if int(self.n_averaged) > 0:
                self._average(pairs)
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_swa.detach().copy_(b_model.detach().to(b_swa.device))
            self.n_averaged += 1

    def _average(self, pairs) -> None:
        if self.multi_avg_fn is not None or self.avg_fn is None:
            for (dev, _), (avgs, models) in _by_device_and_dtype(pairs).items():
                n = self.n_averaged.to(dev)
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(avgs, models, n)
                elif dev.type != "cpu":
                    # PyTorch takes the foreach (lerp) path on devices with foreach kernels, the
                    # formula path on the CPU; the two round differently, so follow it
                    get_swa_multi_avg_fn()(avgs, models, n)
                else:
                    avg_fn = get_swa_avg_fn()
                    for a, m in zip(avgs, models):
                        a.copy_(avg_fn(a, m, n))
        else:
            for a, m in pairs:
                a.copy_(self.avg_fn(a, m, self.n_averaged.to(a.device)))


def update_bn(loader, model, device=None) -> None:
    """Recompute the running statistics of every batch-norm layer of ``model`` with one pass over
    ``loader`` (a cumulative average: momentum ``None``), as after SWA the averaged weights need them."""
    from tensorgraft.nn.modules.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with _tg.no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to ``swa_lr`` over ``anneal_epochs`` steps (``"cos"`` or ``"linear"``),
    then keeps it there."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        # recovers the lr the annealing started from out of the current one, so that the schedule
        # composes with other changes to the lr, as PyTorch's does
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
