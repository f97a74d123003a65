"""``detect_anomaly``: when a backward formula produces NaN/Inf, name the op and show where it
was created in the forward pass."""
from __future__ import annotations

import warnings

enabled = False


class detect_anomaly:
    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        global enabled
        self.prev = enabled
        enabled = True
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    def __init__(self, mode: bool, check_nan: bool = True):
        global enabled
        self.prev = enabled
        enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False


def is_anomaly_enabled() -> bool:
    return enabled


def run_checked(node, grads):
    import numpy as np
    try:
        out = node.apply(grads)
    except Exception as exc:
        trace = getattr(node, "_trace", None) if hasattr(type(node), "_trace") else None
        _warn_trace(node)
        raise exc
    for i, g in enumerate(out):
        if g is None:
            continue
        host = g._host()
        if host.dtype.kind in "fc" and not np.all(np.isfinite(host)):
            _warn_trace(node)
            raise RuntimeError(f"Function '{type(node).__name__}' returned nan values in its {i}th output.")
    return out


def _warn_trace(node):
    try:
        trace = node._trace
    except AttributeError:
        trace = None
    if trace:
        warnings.warn(f"Error detected in {type(node).__name__}. Traceback of forward call that caused the error:\n"
                      + "".join(trace), RuntimeWarning, stacklevel=3)
