"""Schedulers made of schedulers: ``SequentialLR`` (one child after another, switching at
milestones) and ``ChainedScheduler`` (every child at each step). Their ``state_dict`` holds their
children's."""
from __future__ import annotations

from bisect import bisect_right

from .base import LRScheduler, _last_lrs, _set_lr
from .plateau import ReduceLROnPlateau


def _check_children(owner, optimizer, schedulers):
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires additional "
                             f"kwargs to be specified when calling `step`, but got one at index {i} in the given "
                             "schedulers sequence.")
        if optimizer is not s.optimizer:
            raise ValueError(f"{owner} expects all schedulers to belong to the same optimizer, but got scheduler "
                             f"{type(s).__name__} at index {i} has {s.optimizer}, which is different from "
                             f"{type(optimizer).__name__}.")


class _Composite:
    def state_dict(self) -> dict:
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        saved = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, saved):
            s.load_state_dict(sd)


class SequentialLR(_Composite, LRScheduler):
    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        _check_children(name, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones to be equal to {len(milestones)}")
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        # every child already took its initial step while being built: roll the LRs and the children's
        # epoch counters back, then let only the scheduler that is active at epoch 0 take it again
        for group in optimizer.param_groups:
            _set_lr(group, group["initial_lr"])
        self.recursive_undo()
        first = self._schedulers[self._active(0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _active(self, epoch) -> int:
        """Index of the child scheduler in charge at ``epoch``."""
        return bisect_right(self._milestones, epoch)

    def recursive_undo(self, sched=None):
        """Step back the epoch counter of every (nested) child scheduler by one."""
        pending = list(getattr(self if sched is None else sched, "_schedulers", [sched]))
        while pending:
            node = pending.pop()
            if hasattr(node, "_schedulers"):
                pending.extend(node._schedulers)
            elif node is not self and hasattr(node, "last_epoch"):
                node.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        k = self._active(self.last_epoch)
        child = self._schedulers[k]
        if k and self.last_epoch == self._milestones[k - 1]:
            child._update_lr(0)  # the child takes over here: it restarts from its epoch 0
        else:
            child.step()
        self._last_lr = child.get_last_lr()


class ChainedScheduler(_Composite, LRScheduler):
    def __init__(self, schedulers, optimizer=None):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler to be chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(name, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _last_lrs(schedulers[-1].optimizer)

    def step(self):
        for s in self._schedulers:
            s.step()
        self._last_lr = _last_lrs(self._schedulers[-1].optimizer)
