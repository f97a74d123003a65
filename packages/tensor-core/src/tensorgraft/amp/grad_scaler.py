"""``torch.amp.GradScaler``: dynamic loss scaling for mixed-precision training.

The scaler keeps one number, the loss scale. ``scale(loss)`` multiplies by it so that small
float16 gradients do not flush to zero; ``unscale_``/``step`` divide the gradients back and look
for inf/NaN values; ``update`` then shrinks the scale after an overflow and grows it after a run
of clean iterations.

Here the scale lives on the host as a Python float rounded to float32 (the precision PyTorch
keeps it in); a 0-dim float32 tensor holding it is made per device when outputs are scaled.
"""
from __future__ import annotations

from enum import Enum

import numpy as np

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    """Where an optimizer stands in the current iteration (between two ``update`` calls)."""
    READY = 0
    UNSCALED = 1
    STEPPED = 2


_NO_SCALE_HINT = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."
_BAD_NEW_SCALE = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                  "torch.FloatTensor with requires_grad=False.")


def _f32(x) -> float:
    """``x`` rounded to the nearest float32, returned as a Python float."""
    return float(np.float32(float(x)))


class _Ledger:
    """What one optimizer has been through since the last ``update``: its stage and, per device
    holding some of its gradients, whether an inf/NaN was seen there."""
    __slots__ = ("stage", "overflow_by_device")

    def __init__(self):
        self.stage = OptState.READY
        self.overflow_by_device: dict[str, bool] = {}


class GradScaler:
    """Scale losses up before ``backward`` and gradients back down before the optimizer step."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        import warnings

        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            from ..device import backends  # the registry: works without tensorgraft-cuda installed
            cuda = backends().get("cuda")
            if cuda is None or not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.", stacklevel=2)
                self._enabled = False
        if self._enabled:
            if not growth_factor > 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if not backoff_factor < 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._first_scale = init_scale   # reported as given until the scale is first used
        self._live_scale = None           # float32-rounded float once scale()/load has started it
        self._growth = growth_factor
        self._backoff = backoff_factor
        self._interval = growth_interval
        self._clean_run = 0               # consecutive iterations without inf/NaN gradients
        self._ledgers: dict[int, _Ledger] = {}
        self._device_scales: dict[str, object] = {}

    # ------------------------------------------------------------------ the scale itself
    def _require_started(self, what):
        if self._live_scale is None:
            raise AssertionError(f"Attempted {what} but _scale is None.  " + _NO_SCALE_HINT)

    def _set_scale(self, value):
        self._live_scale = _f32(value)
        self._device_scales.clear()

    def _scale_tensor_on(self, device):
        key = str(device)
        t = self._device_scales.get(key)
        if t is None:
            import tensorgraft as tg
            t = tg.tensor(self._live_scale, dtype=tg.float32, device=device)
            self._device_scales[key] = t
        return t

    def scale(self, outputs):
        """``outputs`` (a tensor, or lists/tuples/iterables of them) multiplied by the scale."""
        if not self._enabled:
            return outputs
        import tensorgraft as tg

        def mul(obj):
            if isinstance(obj, tg.Tensor):
                if self._live_scale is None:
                    self._set_scale(self._first_scale)
                return obj * self._scale_tensor_on(obj.device)
            if isinstance(obj, (list, tuple)):
                items = [mul(o) for o in obj]
                if isinstance(obj, tuple) and hasattr(obj, "_fields"):
                    return type(obj)(*items)
                return type(obj)(items)
            if hasattr(obj, "__iter__"):
                return map(mul, obj)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return mul(outputs)

    # ------------------------------------------------------------------ per-optimizer work
    def _ledger(self, optimizer) -> _Ledger:
        book = self._ledgers.get(id(optimizer))
        if book is None:
            book = self._ledgers[id(optimizer)] = _Ledger()
        return book

    def _divide_gradients(self, optimizer):
        """Multiply every gradient of ``optimizer`` by 1/scale in place; per device, whether any
        gradient there holds inf/NaN."""
        import tensorgraft as tg

        grads = [p.grad for group in optimizer.param_groups for p in group["params"]
                 if getattr(p, "grad", None) is not None]
        if any(g.dtype is tg.float16 for g in grads):
            raise ValueError("Attempting to unscale FP16 gradients.")
        factor = _f32(1.0 / float(np.float64(self._live_scale)))
        overflow: dict[str, bool] = {}
        with tg.no_grad():
            for g in grads:
                key = str(g.device)
                bad = not bool(tg.isfinite(g).all())
                overflow[key] = overflow.get(key, False) or bad
                g.mul_(factor)
        return overflow

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale (once per iteration), noting inf/NaN."""
        if not self._enabled:
            return
        self._require_started("unscale_")
        book = self._ledger(optimizer)
        if book.stage is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if book.stage is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        book.overflow_by_device = self._divide_gradients(optimizer)
        book.stage = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` unless its gradients held inf/NaN (then skipped and
        None returned); the gradients are unscaled first if ``unscale_`` was not called."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._require_started("step")
        book = self._ledger(optimizer)
        if book.stage is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if book.stage is OptState.READY:
            self.unscale_(optimizer)
        if not book.overflow_by_device:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None
        if not any(book.overflow_by_device.values()):
            result = optimizer.step(*args, **kwargs)
        book.stage = OptState.STEPPED
        return result

    def update(self, new_scale=None):
        """End the iteration: set the scale to ``new_scale`` if given, else back off after an
        overflow seen by any optimizer, or grow after ``growth_interval`` clean iterations."""
        if not self._enabled:
            return
        self._require_started("update")
        if new_scale is not None:
            self._set_scale(self._explicit_scale(new_scale, self._device))
        else:
            seen = [bad for book in self._ledgers.values() for bad in book.overflow_by_device.values()]
            if not seen:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(seen):
                self._set_scale(float(self._live_scale) * float(self._backoff))
                self._clean_run = 0
            else:
                self._clean_run += 1
                if self._clean_run == self._interval:
                    self._set_scale(float(self._live_scale) * float(self._growth))
                    self._clean_run = 0
        self._ledgers = {}

    @staticmethod
    def _explicit_scale(value, device):
        """``update(new_scale)``'s value, checked in PyTorch's order: a float, else a tensor on the
        scaler's device type with one element that does not require grad, copied into the 0-dim
        scale (so a ``[1]``-shaped one fails to broadcast there)."""
        if isinstance(value, float):
            return value
        where = getattr(value, "device", None)
        if where is None:  # PyTorch reads ``new_scale.device`` before any check
            raise AttributeError(f"'{type(value).__name__}' object has no attribute 'device'")
        if where.type != device or value.numel() != 1 or value.requires_grad:
            raise AssertionError(_BAD_NEW_SCALE)
        if value.dim() != 0:
            raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {list(value.shape)}")
        return float(value.item())

    # ------------------------------------------------------------------ accessors
    def _get_scale_async(self):
        """The scale as a 0-dim float32 tensor on the scaler's device (None before first use)."""
        if self._live_scale is None:
            return None
        return self._scale_tensor_on(self._device)

    @property
    def _scale(self):
        """PyTorch's attribute: the 0-dim float32 scale tensor, None until ``scale()`` first runs."""
        return self._get_scale_async()

    def _get_growth_tracker(self):
        """The count of consecutive clean iterations (0 when disabled)."""
        return int(self._clean_run) if self._enabled else 0

    def get_scale(self):
        """The current scale as a Python number (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._first_scale if self._live_scale is None else self._live_scale

    def get_growth_factor(self):
        return self._growth

    def set_growth_factor(self, new_factor):
        self._growth = new_factor

    def get_backoff_factor(self):
        return self._backoff

    def set_backoff_factor(self, new_factor):
        self._backoff = new_factor

    def get_growth_interval(self):
        return self._interval

    def set_growth_interval(self, new_interval):
        self._interval = new_interval

    def is_enabled(self):
        return self._enabled

    # ------------------------------------------------------------------ persistence
    def state_dict(self):
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval``, ``_growth_tracker``;
        empty when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth, "backoff_factor": self._backoff,
                "growth_interval": self._interval, "_growth_tracker": int(self._clean_run)}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._first_scale = state_dict["scale"]
        if self._live_scale is not None:
            self._set_scale(state_dict["scale"])
        self._growth = state_dict["growth_factor"]
        self._backoff = state_dict["backoff_factor"]
        self._interval = state_dict["growth_interval"]
        self._clean_run = int(state_dict["_growth_tracker"])

    def __getstate__(self):
        if self._enabled and self._ledgers:
            raise AssertionError("A GradScaler instance may only be pickled at the beginning of an iteration, "
                                 "or at the end after scaler.update().")
        snapshot = dict(self.__dict__)
        snapshot["_device_scales"] = {}
        return snapshot

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._device_scales = {}
