"""Weight averaging (SWA / EMA) with the behaviour of ``torch.optim.swa_utils``.

* :class:`AveragedModel` holds a deep copy of a model (``.module``) plus an ``n_averaged`` counter
  buffer and folds later snapshots of the model into it: a running mean by default, or any per-tensor
  ``avg_fn`` / list-wise ``multi_avg_fn`` (see the ``get_*_avg_fn`` factories).
* :func:`update_bn` re-estimates the batch-norm statistics of a model with one pass over a loader.
* :class:`SWALR` moves every group's learning rate from wherever it is toward the group's ``swa_lr``
  over ``anneal_epochs`` steps and then keeps it there.
"""
from __future__ import annotations

import copy
import math
from itertools import chain

import tensorgraft as _tg
from tensorgraft.nn import Module

from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


# ------------------------------------------------------------------------------------------ averaging rules

def _validated_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")
    return decay


def _blend(decay, old, new):
    """``decay * old + (1 - decay) * new`` as a new tensor (integer inputs give a float result)."""
    return decay * old + (1 - decay) * new


def _mean_step(old, new, count):
    """The running mean after folding ``new`` in as sample number ``count + 1``."""
    return old + (new - old) / (count + 1)


def get_ema_multi_avg_fn(decay=0.999):
    """A ``multi_avg_fn`` for an exponential moving average with the given decay."""
    keep = _validated_decay(decay)

    @_tg.no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        # the first tensor decides the kind of update, as PyTorch's (an empty list is an IndexError)
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            for acc, cur in zip(ema_param_list, current_param_list):
                acc.lerp_(cur, 1 - keep)
        else:
            for acc, cur in zip(ema_param_list, current_param_list, strict=True):
                acc.copy_(acc * keep + cur * (1 - keep))

    return ema_update


_INT_ALPHA = "For integral input tensors, argument alpha must not be a floating point number."
_INT_ADDCDIV = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


def get_swa_multi_avg_fn():
    """A ``multi_avg_fn`` computing the equally weighted running mean."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        # (PyTorch reads the first tensor: an empty list is an IndexError)
        first = averaged_param_list[0]
        pairs = list(zip(averaged_param_list, current_param_list))
        # a tensor count gives a weight rounded to the default dtype, as a 0-d division in torch does
        weight = 1 / (num_averaged + 1)
        if isinstance(weight, _tg.Tensor):
            weight = weight.item()
        with _tg.no_grad():
            if first.is_floating_point() or first.is_complex():
                for acc, cur in pairs:
                    acc.lerp_(cur, weight)
            else:
                raise RuntimeError(_INT_ADDCDIV if isinstance(num_averaged, _tg.Tensor) else _INT_ALPHA)

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """A per-tensor ``avg_fn`` for an exponential moving average with the given decay."""
    keep = _validated_decay(decay)

    @_tg.no_grad()  # as PyTorch's: the average is no part of any graph
    def ema_update(ema_param, current_param, num_averaged):
        return _blend(keep, ema_param, current_param)

    return ema_update


def get_swa_avg_fn():
    """A per-tensor ``avg_fn`` computing the equally weighted running mean."""

    @_tg.no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return _mean_step(averaged_param, current_param, num_averaged)

    return swa_update


# ------------------------------------------------------------------------------------------ AveragedModel

class AveragedModel(Module):
    """A running average (SWA by default, EMA with the matching ``*_avg_fn``) of a model's parameters,
    and optionally of its buffers (``use_buffers=True``; otherwise buffers are copied from the model)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        replica = copy.deepcopy(model)
        if device is not None:
            replica = replica.to(device)
        self.module = replica
        self.register_buffer("n_averaged", _tg.tensor(0, dtype=_tg.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        # Step for step as PyTorch: parameters (and buffers with ``use_buffers``) pair up only as far as
        # both go, the first snapshot is copied pair by pair, then the buffers are copied with a strict
        # zip. One deliberate difference: buffers that do not line up (another architecture) are
        # refused with zip's own message *before* anything is updated, where PyTorch has already
        # updated the parameters when its zip fails.
        if not self.use_buffers:
            mine, theirs = sum(1 for _ in self.module.buffers()), sum(1 for _ in model.buffers())
            if mine != theirs:
                raise ValueError(f"zip() argument 2 is {'shorter' if theirs < mine else 'longer'} than argument 1")
        if self.use_buffers:
            mine, theirs = chain(self.module.parameters(), self.module.buffers()), chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        targets, sources = [], []
        first = int(self.n_averaged) == 0
        for t, s in zip(mine, theirs):
            s = s.detach().to(t.device)
            targets.append(t.detach())
            sources.append(s)
            if first:
                t.detach().copy_(s)
        with _tg.no_grad():
            if not first:
                if self.avg_fn is not None and self.multi_avg_fn is None:
                    for t, s in zip(targets, sources):
                        t.copy_(self.avg_fn(t, s, self.n_averaged.to(t.device)))
                else:
                    self._fold_grouped(targets, sources)
            if not self.use_buffers:
                # buffers (e.g. batch-norm statistics) follow the model rather than being averaged
                for b_mine, b_theirs in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_mine.detach().copy_(b_theirs.detach().to(b_mine.device))
            self.n_averaged.add_(1)

    def _fold_grouped(self, targets, sources) -> None:
        """Average per (device, dtype) bucket, with ``multi_avg_fn`` or else the running mean.

        The buckets come in reverse order of first appearance: the order PyTorch's C++ grouping (a hash
        map) gives for the few dtypes a model has, which decides what a ``multi_avg_fn`` that fails on
        one bucket (the SWA one on an integer buffer) has already updated."""
        buckets = {}
        for t, s in zip(targets, sources):
            lists = buckets.setdefault((str(t.device), t.dtype), ([], []))
            lists[0].append(t)
            lists[1].append(s)
        for ts, ss in reversed(list(buckets.values())):
            n_averaged = self.n_averaged.to(ts[0].device)
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(ts, ss, n_averaged)
            else:  # PyTorch's CPU path: the per-tensor running mean
                for t, s in zip(ts, ss):
                    t.copy_(_mean_step(t, s, n_averaged))


# ------------------------------------------------------------------------------------------ update_bn

def _batch_norm_layers(model):
    from tensorgraft.nn.modules.normalization import _BatchNorm
    return [m for m in model.modules() if isinstance(m, _BatchNorm)]


@_tg.no_grad()
def update_bn(loader, model, device=None) -> None:
    """Recompute the running statistics of every batch-norm layer of ``model`` as the plain average
    over one pass of ``loader`` (the first element of a list/tuple batch is the input).

    Runs without autograd, as PyTorch's; like it, an error from the loader or the model leaves the
    layers in training mode with cumulative (``momentum=None``) averaging."""
    layers = _batch_norm_layers(model)
    if not layers:
        return
    saved = []
    for layer in layers:
        layer.reset_running_stats()
        saved.append(layer.momentum)
        layer.momentum = None          # cumulative average
    mode = model.training
    model.train()
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for layer, momentum in zip(layers, saved):
        layer.momentum = momentum
    model.train(mode)


# ------------------------------------------------------------------------------------------ SWALR

class SWALR(LRScheduler):
    """Anneal each group's learning rate toward its ``swa_lr`` over ``anneal_epochs`` steps ('cos' or
    'linear' shape), then hold it there. Follows changes made to ``lr`` from outside, like torch."""

    _STRATEGIES = ("cos", "linear")

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        targets = _per_group("swa_lr", optimizer, swa_lr)
        for group, target in zip(optimizer.param_groups, targets):
            group["swa_lr"] = target
        if anneal_strategy not in self._STRATEGIES:
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

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr annealing started from, recovered from ``lr`` (the blend with weight ``alpha``)."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _progress(self, k):
        """The annealing weight after ``k`` steps (0: the starting lr, 1: swa_lr)."""
        frac = k / max(1, self.anneal_epochs)
        return self.anneal_func(max(0, min(1, frac)))

    def get_lr(self):
        self._warn_get_lr()
        k = self._step_count - 1
        if self.anneal_epochs == 0:
            k = max(1, k)
        w_prev, w_next = self._progress(k - 1), self._progress(k)
        out = []
        for group in self.optimizer.param_groups:
            goal, now = group["swa_lr"], group["lr"]
            # undo the previous blend to recover the lr annealing started from, then blend anew
            origin = self._get_initial_lr(now, goal, w_prev)
            out.append(goal * w_next + origin * (1 - w_next))
        return out

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
