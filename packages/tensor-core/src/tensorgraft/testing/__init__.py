"""Testing helpers shipped with core: ``assert_close`` (like ``torch.testing.assert_close``), the
op conformance kit (``tensorgraft.testing.conformance``, also exposed as a pytest plugin), and the
helpers that check code against PyTorch (``tensorgraft.testing.oracle``; PyTorch needed only there)."""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from .comparison import assert_close

__all__ = ["assert_close", "assert_allclose", "assert_on_device", "make_tensor"]


def assert_on_device(t, device) -> None:
    """``t`` is on ``device``'s type and its data really is that device's array (not, say, a NumPy
    array that lost its device on the way) — what device-parametrized tests check of every result.
    With an index (``'cuda:1'``) the tensor and its array must be on that very device."""
    from ..device import backends, device as _device
    want = _device(device)
    assert t.device.type == want.type, f"{t.device} is not a {device} device"
    backend = backends()[t.device.type]
    assert backend.owns(t._data), f"{type(t._data)} is not a {device} array"
    if want.index is not None and want.type != "cpu":  # 'cuda:1': that GPU, and the array really there
        assert t.device.index == want.index, f"{t.device} is not {want}"
        assert backend.array_index(t._data) == want.index, (
            f"the array of a {t.device} tensor lives on {want.type}:{backend.array_index(t._data)}")


# The tolerances of the deprecated ``assert_allclose`` (rtol, atol): looser than assert_close's.
_ALLCLOSE_TOLS = {_dt.float16: (1e-3, 1e-3), _dt.float32: (1e-4, 1e-5), _dt.float64: (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated (PyTorch 1.12) in favour of ``assert_close``: ``expected`` is converted to
    ``actual``'s dtype and device first, NaNs compare equal by default, and float tolerances are
    (1e-3, 1e-3) for float16, (1e-4, 1e-5) for float32 and (1e-5, 1e-8) for float64; exact otherwise."""
    import warnings
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade "
                  "instructions in https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    from ..ops.conversion import as_tensor
    if not isinstance(actual, Tensor):
        actual = as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = as_tensor(expected, dtype=actual.dtype)
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is None:
        rtol, atol = _ALLCLOSE_TOLS.get(actual.dtype, (0.0, 0.0))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device="cpu", low=None, high=None, requires_grad=False, seed=None):
    """A random tensor, like ``torch.testing.make_tensor``: without ``seed`` drawn from the global
    generator as PyTorch draws it (so seeded programs get PyTorch's values and the generator
    advances as there); with ``seed`` from a local NumPy generator of that seed, leaving the
    global generator alone (tests use it for inputs that do not depend on the order they run in)."""
    from ..ops.creation import tensor
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if seed is None:
        return _make_tensor_global(shape, dtype, device, low, high, requires_grad)
    rng = np.random.default_rng(seed)
    lo = -9 if low is None else low
    hi = 9 if high is None else high
    if dtype is _dt.bool:
        arr = rng.random(shape) < 0.5
    elif dtype.category == 1:
        arr = rng.integers(max(lo, 0) if dtype is _dt.uint8 else lo, hi, shape)
    else:
        arr = rng.uniform(lo, hi, shape)
        if dtype.is_complex:
            arr = arr + 1j * rng.uniform(lo, hi, shape)
    return tensor(np.asarray(arr).astype(dtype.np), device=device, requires_grad=requires_grad)


def _make_tensor_global(shape, dtype, device, low, high, requires_grad):
    """PyTorch's draws (found by running it): floats and complex ``uniform_(low, high)`` on an
    empty tensor (default [-9, 9]); integers ``randint(low, high)`` (default -9, or 0 for uint8,
    to 10 exclusive); bool ``randint(0, 2)``."""
    from ..ops.creation import empty
    from ..ops.sampling import randint
    if dtype is _dt.bool:
        out = randint(0, 2, shape, dtype=dtype, device=device)
    elif dtype.category == 1:
        lo = (0 if dtype is _dt.uint8 else -9) if low is None else low
        out = randint(lo, 10 if high is None else high, shape, dtype=dtype, device=device)
    else:
        out = empty(shape, dtype=dtype, device=device).uniform_(-9 if low is None else low, 9 if high is None else high)
    if requires_grad:
        out.requires_grad_(True)
    return out
