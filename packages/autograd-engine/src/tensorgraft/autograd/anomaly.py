"""``detect_anomaly``: when a backward formula fails or produces NaN, name the node and show
(as a warning) where it was created in the forward pass.

While enabled, every recorded node keeps the forward stack trace; the engine runs nodes through
``run_checked``. Like PyTorch's anomaly mode the switch is process-wide.
"""
from __future__ import annotations

import functools
import warnings

from tensorgraft.dtypes import BF16 as _BF16

enabled = False
check_nan = True


def _set(mode: bool, nan: bool) -> None:
    global enabled, check_nan
    enabled = bool(mode)
    check_nan = bool(nan)


class detect_anomaly:
    """Context manager / decorator enabling anomaly detection inside its block."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = (enabled, check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self.prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` switches anomaly mode on (a plain call) or, used with
    ``with``, for the block only."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (enabled, check_nan)
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self.prev)
        return False


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: the plain switch (no warning, no restoring)."""
    _set(mode, check_nan)


def is_anomaly_enabled() -> bool:
    return enabled


def is_anomaly_check_nan_enabled() -> bool:
    return check_nan


def run_checked(node, grads):
    """``node.apply(grads)``, naming the node (and its forward trace) when it fails or yields NaN."""
    try:
        out = node.apply(grads)
    except Exception:
        _warn_trace(node)
        raise
    if check_nan:
        import numpy as np
        for i, g in enumerate(out):
            if g is None:
                continue
            host = g._host()
            if (host.dtype.kind in "fc" or host.dtype is _BF16) and np.isnan(host).any():
                _warn_trace(node)
                raise RuntimeError(f"Function '{type(node).__name__}' returned nan values in its {i}th output.")
    return out


def _warn_trace(node):
    trace = getattr(node, "_trace", None)
    if trace:
        warnings.warn(f"Error detected in {type(node).__name__}. Traceback of forward call that caused the error:\n"
                      + "".join(trace), UserWarning, stacklevel=4)
    else:
        warnings.warn(f"Error detected in {type(node).__name__}. No forward pass information available. Enable "
                      "detect anomaly during forward pass for more information.", UserWarning, stacklevel=4)
