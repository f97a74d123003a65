"""Annealing and cyclical schedules: ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``,
``CyclicLR`` and ``OneCycleLR``. The last two also move the momentum (or Adam's beta1) against the
LR, through ``_setup_momentum``/``_set_momentum``."""
from __future__ import annotations

import math
import types
from functools import partial

from .base import LRScheduler, _check_optimizer, _lrs, _per_group, _set_lr


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing in PyTorch's recursive form (each LR computed from the previous one)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self._warn_get_lr()
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        # (the zips strict as PyTorch's: a group added after the scheduler has no base LR)
        if self._step_count == 1 and e > 0:
            return [lo + (b - lo) * (1 + math.cos(e * math.pi / T)) / 2 for b, _ in zip(self.base_lrs, groups, strict=True)]
        if (e - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                    for b, g in zip(self.base_lrs, groups, strict=True)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (g["lr"] - lo) + lo
                for g in groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


def _setup_momentum(self, optimizer, base_momentum, max_momentum, last_epoch, base_first=False):
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    self.use_beta1 = "betas" in optimizer.defaults
    # which list is checked first decides the message when both have the wrong length: PyTorch's
    # CyclicLR checks base_momentum first, its OneCycleLR max_momentum
    if base_first:
        bases = _per_group("base_momentum", optimizer, base_momentum)
        maxs = _per_group("max_momentum", optimizer, max_momentum)
    else:
        maxs = _per_group("max_momentum", optimizer, max_momentum)
        bases = _per_group("base_momentum", optimizer, base_momentum)
    if last_epoch == -1:
        for mx, bs, group in zip(maxs, bases, optimizer.param_groups):
            _set_momentum(self, group, mx)
            group["max_momentum"] = mx
            group["base_momentum"] = bs
    return bases, maxs


def _set_momentum(self, group, m):
    if self.use_beta1:
        group["betas"] = (m, *group["betas"][1:])
    else:
        group["momentum"] = m


class CyclicLR(LRScheduler):
    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                _set_lr(group, lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _setup_momentum(self, optimizer, base_momentum, max_momentum,
                                                                      last_epoch, base_first=True)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        """Pick the built-in amplitude policy of ``mode`` (a user ``scale_fn`` takes precedence)."""
        if self._scale_fn_custom is not None:
            return
        builtin = {
            "triangular": (CyclicLR._triangular_scale_fn, "cycle"),
            "triangular2": (CyclicLR._triangular2_scale_fn, "cycle"),
            "exp_range": (partial(CyclicLR._exp_range_scale_fn, self.gamma), "iterations"),
        }
        if self.mode in builtin:
            self._scale_fn_ref, self.scale_mode = builtin[self.mode]

    def scale_fn(self, x):
        return self._scale_fn_custom(x) if self._scale_fn_custom is not None else self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma ** x

    def get_lr(self):
        self._warn_get_lr()
        progress = self.last_epoch / self.total_size
        cycle = math.floor(1 + progress)
        within = 1.0 + progress - cycle  # position inside the current cycle, in [0, 1)
        if within <= self.step_ratio:
            height = within / self.step_ratio  # rising edge
        else:
            height = (within - 1) / (self.step_ratio - 1)  # falling edge
        position = self.last_epoch if self.scale_mode != "cycle" else cycle
        # ``scale_fn`` is called once per value, as PyTorch does: a stateful user scale_fn (one that
        # counts its calls, say) sees the same calls
        out = [low + (high - low) * height * self.scale_fn(position) for low, high in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:  # momentum moves against the LR: high when the LR is low
            momenta = [high - (high - low) * height * self.scale_fn(position)
                       for low, high in zip(self.base_momentums, self.max_momentums)]
            for group, momentum in zip(self.optimizer.param_groups, momenta, strict=True):
                _set_momentum(self, group, momentum)
        return out

    def state_dict(self):
        sd = super().state_dict()
        sd.pop("_scale_fn_ref", None)
        fn = sd.pop("_scale_fn_custom")
        sd["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            sd["_scale_fn_custom"] = fn.__dict__.copy()
        return sd

    def load_state_dict(self, state_dict):
        # PyTorch pops this entry out of the caller's dict (it is gone from it afterwards); so does this
        custom_state = state_dict.pop("_scale_fn_custom")
        LRScheduler.load_state_dict(self, state_dict)
        if custom_state is not None:  # a callable object's attributes (plain functions are not saved)
            self._scale_fn_custom.__dict__.update(custom_state)
        self._init_scale_fn()


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the base LRs to ``eta_min`` over ``T_i`` epochs, then a restart;
    the first period is ``T_0`` epochs and each later one ``T_mult`` times the previous."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        # the comparison first, as PyTorch: a non-number fails with the same TypeError
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        LRScheduler.__init__(self, optimizer, last_epoch=last_epoch)

    def get_lr(self):
        self._warn_get_lr()
        lo = self.eta_min
        weight = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [lo + (base - lo) * weight for base in self.base_lrs]

    def _advance_one(self) -> None:
        """One implicit step: move along the period, restarting (and lengthening it) at its end."""
        self.T_cur += 1
        if self.T_cur >= self.T_i:
            self.T_cur %= self.T_i
            self.T_i *= self.T_mult

    def _seek(self, epoch) -> None:
        """Place ``T_cur``/``T_i`` for an explicit, possibly fractional, epoch."""
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
            return
        if self.T_mult == 1:
            self.T_cur = epoch % self.T_0
            return
        # period k starts at T_0 * (T_mult**k - 1) / (T_mult - 1): invert that geometric sum
        base, mult = self.T_0, self.T_mult
        k = int(math.log(epoch / base * (mult - 1) + 1, mult))
        self.T_i = base * mult ** k
        self.T_cur = epoch - base * (mult ** k - 1) / (mult - 1)

    def step(self, epoch=None):
        if epoch is not None:
            self._seek(epoch)
        elif self.last_epoch >= 0:
            epoch = self.last_epoch + 1
            self._advance_one()
        else:  # the step taken by the constructor
            epoch = 0
            self._seek(epoch)
        self.last_epoch = math.floor(epoch)
        self._install(self._compute_in_step(self.get_lr))


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = n = self._count_steps(total_steps, epochs, steps_per_epoch)
        warmup_end = float(pct_start * n) - 1
        # (last step of the phase, LR from -> to, momentum from -> to), as param-group keys
        rows = [(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum")]
        if three_phase:
            rows.append((float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"))
            rows.append((n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"))
        else:
            rows.append((n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"))
        fields = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(fields, row)) for row in rows]
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for mx, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = mx / div_factor
                group["max_lr"] = mx
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _setup_momentum(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _count_steps(total_steps, epochs, steps_per_epoch) -> int:
        def positive_int(value):
            return isinstance(value, int) and value > 0

        if total_steps is not None:
            # compared before its type is checked, as PyTorch (a string fails with a TypeError)
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            return total_steps
        if epochs is None or steps_per_epoch is None:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not positive_int(epochs):
            raise ValueError(f"Expected positive integer epochs, but got {epochs}")
        if not positive_int(steps_per_epoch):
            raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
        return epochs * steps_per_epoch

    @staticmethod
    def _annealing_cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def _anneal_func(self, *args):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(*args)
        return self._annealing_linear(*args)

    def get_lr(self):
        self._warn_get_lr()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, ph in enumerate(self._schedule_phases):
                end = ph["end_step"]
                if step <= end or i == last:
                    pct = (step - start) / (end - start)
                    lr = self._anneal_func(group[ph["start_lr"]], group[ph["end_lr"]], pct)
                    if self.cycle_momentum:
                        mom = self._anneal_func(group[ph["start_momentum"]], group[ph["end_momentum"]], pct)
                    break
                start = ph["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(self, group, mom)
        return lrs
