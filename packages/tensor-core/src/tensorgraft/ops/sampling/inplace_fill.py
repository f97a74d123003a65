"""The Tensor methods that refill a tensor in place with fresh samples (``uniform_``, ``normal_``,
``random_``, ``exponential_``, ``log_normal_``, ``cauchy_``, ``geometric_``, ``bernoulli_``), set on
``Tensor`` when this module is imported; ``write_host_values``, which ``nn.init`` also uses; and the
dropout mask ``nn.functional`` draws."""
from __future__ import annotations

import math

import numpy as np

from ... import dtypes as _dt
from ...cpu.fill_order import fill_values
from ...device import get_backend
from ...tensor import Tensor
from ..creation import _KERNEL_TYPE_NAMES, _cnum, _not_implemented
from .discrete import _pytorch_bernoulli
from .streams import (
    _CPU, _C_TYPE_NAMES, _P_IN_RANGE, _any, _check_int_bounds, _draw_dtype, _matches_pytorch,
    _no_random_bounds_for_complex, _operand, _stream,
)
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- in-place sampling methods
# ``w.uniform_(-0.1, 0.1)``, ``t.normal_()``, ``mask.bernoulli_(0.5)``: Tensor methods in PyTorch that
# fill a tensor with fresh samples (not ops: they read nothing from the tensor but its shape/dtype).
def _write_samples(t: Tensor, values, fname: str, on_device: bool = False) -> Tensor:
    from .._frontend import check_inplace_allowed, check_not_inference
    check_not_inference(t)
    check_inplace_allowed(t, fname)
    if not on_device:
        return write_host_values(t, values)
    return _write_values(t, values)  # drawn on t's device by its stream


def _write_values(t: Tensor, values) -> Tensor:
    """Store ``values`` (an array on ``t``'s device) into ``t``: cast to its dtype, version bumped."""
    d = t._data
    v = values.astype(d.dtype, copy=False)
    if d.ndim == 0:
        d[()] = v
    else:
        d[...] = v
    t._vc[0] += 1
    return t


def write_host_values(t: Tensor, values) -> Tensor:
    """Store host (NumPy) ``values`` into ``t`` in place: cast to its dtype, moved to its device,
    version bumped. No autograd checks: callers (in-place samplers, ``nn.init``) make their own."""
    v = np.asarray(values).astype(t._data.dtype, copy=False)
    if t._device.type != "cpu":
        # (ascontiguousarray would make a 0-d value 1-d)
        v = get_backend(t._device).from_host(np.ascontiguousarray(v) if v.ndim else v, t._device.index)
    return _write_values(t, v)


def _fill(t: Tensor, fname: str, generator, draw, integer: bool = False, pytorch_draw=None) -> Tensor:
    """Fill ``t`` with ``draw(stream, shape, kw)``, ``kw`` being the keywords of a device stream's
    draw (``dtype=``: ``t``'s float precision, int64 for ``integer`` draws); empty for host streams,
    whose NumPy draws are copied to ``t``'s device. The PyTorch-matching CPU stream draws
    ``pytorch_draw(stream, shape, dtype, serial)`` instead, in ``t``'s memory order."""
    g, on_device = _stream(generator, t._device)
    shape = t._data.shape
    if pytorch_draw is not None and _matches_pytorch(g, on_device):
        return _write_samples(t, fill_values(t._data, lambda s, d, serial: pytorch_draw(g, s, d, serial)), fname)
    if not on_device:
        return _write_samples(t, draw(g, shape, {}), fname)
    kw = {"dtype": np.int64 if integer else _draw_dtype(t._data.dtype)}
    return _write_samples(t, draw(g, shape, kw), fname, True)


def dropout_mask(shape, p: float, like: Tensor):
    """The array ``keep / (1 - p)`` (``keep`` 1 with probability ``1 - p``) of ``like``'s dtype on
    ``like``'s device, drawn by that device's default generator (on the device, for a device stream)."""
    dev, dt = like._device, like._data.dtype
    g, on_device = _stream(None, dev)
    if on_device:
        keep = g.random(shape, dtype=_draw_dtype(dt)) >= p
        return keep.astype(dt) / (1.0 - p) if p < 1 else keep.astype(dt) * 0
    if _matches_pytorch(g, on_device):
        # PyTorch: empty_like(input).bernoulli_(1 - p) (nothing drawn for p == 1), divided by 1 - p
        if p >= 1:
            return np.zeros(shape, dt)
        layout = like._data if tuple(shape) == like._data.shape else np.empty(shape, dt)
        keep = _pytorch_bernoulli(g, layout, 1.0 - p)
        return _scaled_keep(keep, dt, p)
    keep = g.random(shape) >= p
    m = _scaled_keep(keep, dt, p) if p < 1 else np.zeros(shape, dt)
    return m if dev is _CPU else get_backend(dev).from_host(m, dev.index)


def _scaled_keep(keep, dt, p):
    """``keep / (1 - p)`` in ``dt`` (bfloat16: divided in float32, rounded once; NumPy would
    promote the bfloat16 quotient to float32)."""
    if dt is _dt.BF16:
        return (keep.astype(np.float32) / np.float32(1.0 - p)).astype(dt)
    return keep.astype(dt) / (1.0 - p)


def _float_only(t: Tensor, kernel: str, complex_too: bool = False) -> None:
    if _np_kind(t._data.dtype) not in ("fc" if complex_too else "f"):
        raise _not_implemented(kernel, _dt._BY_NUMPY[t._data.dtype])


def _continuous_only(t: Tensor, distribution: str, type_names) -> None:
    """PyTorch's check of ``exponential_``/``cauchy_``: the two spell the dtype differently."""
    if _np_kind(t._data.dtype) != "f":
        raise RuntimeError(f"{distribution} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {type_names[t.dtype.name]}")


def _complex_parts(draw):
    """A complex tensor's samples: real and imaginary parts drawn apart, from the same distribution
    (PyTorch fills the complex tensor's float view)."""
    def both(g, shape, kw):
        parts = draw(g, tuple(shape) + (2,), kw)
        return parts[..., 0] + 1j * parts[..., 1]
    return both


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    _float_only(self, "check_uniform_bounds", complex_too=True)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_cnum(float(from_))} > "
                           f"to={_cnum(float(to))}")
    draw = lambda g, s, k: g.uniform(from_, to, s, **k)  # noqa: E731
    return _fill(self, "uniform_", generator, _complex_parts(draw) if _np_kind(self._data.dtype) == "c" else draw,
                 pytorch_draw=lambda g, s, d, serial: g.uniform(from_, to, s, d))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _float_only(self, "normal_kernel_cpu", complex_too=True)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cnum(float(std))}")
    if _np_kind(self._data.dtype) == "c":
        # each part gets the mean and half the variance, so |x - mean| has variance std**2 (PyTorch)
        part_std = std / math.sqrt(2.0)
        draw = _complex_parts(lambda g, s, k: g.normal(mean, part_std, s, **k))
    else:
        part_std = std
        draw = lambda g, s, k: g.normal(mean, std, s, **k)  # noqa: E731
    return _fill(self, "normal_", generator, draw,
                 pytorch_draw=lambda g, s, d, serial: g.normal(mean, part_std, s, d, serial=serial))


def _exponential_(self, lambd=1.0, *, generator=None):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_cnum(float(lambd))}")
    _continuous_only(self, "Exponential", _KERNEL_TYPE_NAMES)
    return _fill(self, "exponential_", generator, lambda g, s, k: g.exponential(1.0 / lambd, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.exponential(1.0 / lambd, s, d))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_cnum(float(std))}")
    _float_only(self, "log_normal_cpu")
    return _fill(self, "log_normal_", generator, lambda g, s, k: g.lognormal(mean, std, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.lognormal(mean, std, s, d))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_cnum(float(sigma))}")
    _continuous_only(self, "Cauchy", _C_TYPE_NAMES)
    return _fill(self, "cauchy_", generator, lambda g, s, k: median + sigma * g.standard_cauchy(s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.cauchy(median, sigma, s, d))


def _geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_cnum(float(p))}")
    if _np_kind(self._data.dtype) in "bc":
        raise _not_implemented("geometric_cpu", self.dtype)
    return _fill(self, "geometric_", generator, lambda g, s, k: g.geometric(p, s, **k), integer=True,
                 pytorch_draw=lambda g, s, d, serial: g.geometric(p, s))


def _mantissa_bits(d) -> int:
    """Stored mantissa bits of a float dtype (bfloat16: 7, which NumPy's finfo cannot read)."""
    return 7 if d is _dt.BF16 else int(np.finfo(d).nmant)


_TO_NOT_GIVEN = object()


def _random_(self, from_=None, to=_TO_NOT_GIVEN, *, generator=None, **kw):
    """``random_()``: integers in [0, 2**mantissa] (floats) or [0, dtype max]; ``random_(to)``;
    ``random_(from, to)``; ``random_(from, None)``: from ``from`` up to the dtype's largest."""
    from_ = kw.pop("from", from_)
    to_given = to is not _TO_NOT_GIVEN or "to" in kw
    to = kw.pop("to", None if to is _TO_NOT_GIVEN else to)
    d = self._data.dtype
    if d.kind == "c":
        if from_ is None and to is None:
            raise _not_implemented("random_kernel_cpu", self.dtype)
        _no_random_bounds_for_complex(self.dtype)
    if from_ is not None and not to_given:
        from_, to = 0, from_
    lo = 0 if from_ is None else int(from_)
    if to is None:
        if d.kind == "f" or d is _dt.BF16:
            hi = (1 << (_mantissa_bits(d) + 1)) + 1
        elif d.kind == "b":
            hi = 2
        else:
            hi = int(np.iinfo(d).max) + 1
    else:
        hi = int(to)
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    _check_int_bounds(lo, hi, self.dtype)
    if from_ is None and to is None:  # PyTorch: a draw of the dtype's own width, not a bounded one
        exact = lambda g, s, d, serial: g.random_unbounded(s, d)  # noqa: E731
    else:
        exact = lambda g, s, d, serial: g.integers(lo, hi, s, dtype=np.int64)  # noqa: E731
    return _fill(self, "random_", generator, lambda g, s, k: g.integers(lo, hi, s, dtype=np.int64),
                 pytorch_draw=exact)


def _bernoulli_(self, p=0.5, *, generator=None):
    g, on_device = _stream(generator, self._device)
    if isinstance(p, Tensor):
        probs = _operand(p, self._device, on_device)
        if _any((probs < 0) | (probs > 1)):
            raise RuntimeError(_P_IN_RANGE)
    else:
        probs = float(p)
        if not 0 <= probs <= 1:  # NaN included, as PyTorch
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cnum(probs)}")
    if _np_kind(self._data.dtype) == "c":
        kernel = "bernoulli_tensor_cpu_self_" if isinstance(p, Tensor) else "bernoulli_scalar_cpu_"
        raise _not_implemented(kernel, self.dtype)
    if _matches_pytorch(g, on_device):
        return _write_samples(self, _pytorch_bernoulli(g, self._data, probs), "bernoulli_")
    kw = {"dtype": _draw_dtype(self._data.dtype)} if on_device else {}
    return _write_samples(self, g.random(self._data.shape, **kw) < probs, "bernoulli_", on_device)


for _name, _fn in (("uniform_", _uniform_), ("normal_", _normal_), ("exponential_", _exponential_),
                   ("log_normal_", _log_normal_), ("cauchy_", _cauchy_), ("geometric_", _geometric_),
                   ("random_", _random_), ("bernoulli_", _bernoulli_)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn
