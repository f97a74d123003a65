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
from ...grad_mode import state as _gs
from ...tensor import Tensor
from .. import _frontend as F
from .._args import invalid_combination, is_int, type_name
from ..creation import _KERNEL_TYPE_NAMES, _not_implemented
from .discrete import _pytorch_bernoulli
from .streams import (
    _CPU, _FLOAT_MAX, _C_TYPE_NAMES, _P_IN_RANGE, _any, _cpp_float, _draw_dtype, _matches_pytorch, _operand,
    _random_from_to, _stream,
)
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- in-place sampling methods
# ``w.uniform_(-0.1, 0.1)``, ``t.normal_()``, ``mask.bernoulli_(0.5)``: Tensor methods in PyTorch that
# fill a tensor with fresh samples (not ops: they read nothing from the tensor but its shape/dtype).
def _check_writable(t: Tensor, fname: str) -> None:
    """PyTorch's checks of an in-place write (inference tensors, leaves that require grad), made
    by each sampler before anything else: a refused call leaves the generator alone."""
    F.check_not_inference(t)
    F.check_inplace_allowed(t, fname)


# the node PyTorch records for an in-place sampler on a tensor that requires grad (gradient zero)
_NODES = {"uniform_": "UniformBackward0", "normal_": "NormalBackward0", "exponential_": "ExponentialBackward0",
          "log_normal_": "LogNormalBackward0", "cauchy_": "CauchyBackward0", "geometric_": "GeometricBackward0",
          "bernoulli_": "BernoulliBackward2", "random_": "RandomBackward2"}


def _write_samples(t: Tensor, values, fname: str, on_device: bool = False, node: str | None = None) -> Tensor:
    """Store the samples ``values`` (None: an empty ``t``, nothing to store) into ``t``. On a tensor
    that requires grad (a non-leaf: leaves are refused) the write is recorded as PyTorch records it:
    a node whose gradient is zero (``node``, by default ``fname``'s), or on a view, the base's
    ``CopySlices`` of values that carry no gradient. The caller made the in-place checks."""
    record = t._requires_grad and _gs.enabled  # (the sampler made the in-place checks)
    if record and t._base is not None and values is not None:
        from ..indexing import assign_into_view
        samples = t.detach().clone()
        _store(samples, values, on_device)
        return assign_into_view(t, samples)
    if values is None:
        t._vc[0] += 1
    else:
        _store(t, values, on_device)
    if record:
        from ...registry import registry
        Tensor._autograd.record(registry.ops["zero_"], t, (t,), None, node_name=node or _NODES[fname])
    return t


def _store(t: Tensor, values, on_device: bool) -> Tensor:
    return _write_values(t, values) if on_device else write_host_values(t, values)


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


def _fill(t: Tensor, fname: str, generator, draw, integer: bool = False, pytorch_draw=None,
          node: str | None = None) -> Tensor:
    """Fill ``t`` with ``draw(stream, shape, kw)``, ``kw`` being the keywords of a device stream's
    draw (``dtype=``: ``t``'s float precision, int64 for ``integer`` draws); empty for host streams,
    whose NumPy draws are copied to ``t``'s device. The PyTorch-matching CPU stream draws
    ``pytorch_draw(stream, shape, dtype, serial)`` instead, in ``t``'s memory order."""
    g, on_device = _stream(generator, t._device)
    shape = t._data.shape
    if pytorch_draw is not None and _matches_pytorch(g, on_device):
        values = fill_values(t._data, lambda s, d, serial: pytorch_draw(g, s, d, serial))
        return _write_samples(t, values, fname, node=node)
    if not on_device:
        return _write_samples(t, draw(g, shape, {}), fname, node=node)
    kw = {"dtype": np.int64 if integer else _draw_dtype(t._data.dtype)}
    return _write_samples(t, draw(g, shape, kw), fname, True, node=node)


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
    """``keep / (1 - p)`` in ``dt``. Half and bfloat16: divided in float32 by the float ``1 - p``,
    rounded once, as PyTorch's ``div_`` computes them (NumPy would divide a float16 by the float16
    ``1 - p``, and promote a bfloat16 quotient to float32)."""
    if dt is _dt.BF16 or dt == np.float16:
        return (keep.astype(np.float32) / np.float32(1.0 - p)).astype(dt)
    return keep.astype(dt) / (1.0 - p)


def _float_only(t: Tensor, kernel: str, complex_too: bool = False) -> None:
    if _np_kind(t._data.dtype) not in ("fc" if complex_too else "f") or t.dtype.limited:
        raise _not_implemented(kernel, _dt._BY_NUMPY[t._data.dtype])  # (PyTorch draws no limited dtype)


def _continuous_only(t: Tensor, distribution: str, type_names) -> None:
    """PyTorch's check of ``exponential_``/``cauchy_``: the two spell the dtype differently."""
    if t.dtype.limited and t.dtype.category == 2:  # (the 8-bit floats: no kernel)
        raise _not_implemented(f"{distribution.lower()}_cpu", t.dtype)
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


def _nothing_to_draw(t: Tensor, fname: str, node: str | None = None) -> Tensor:
    """An empty ``t``: PyTorch returns before its kernel (so before the kernel's dtype check),
    after the in-place checks, and records the write all the same."""
    return _write_samples(t, None, fname, node=node)


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    _check_writable(self, "uniform_")  # (before the arguments' checks, as PyTorch)
    from_ = kw.pop("from", from_)
    kind = _np_kind(self._data.dtype)
    if kind == "c" and self._data.size == 0:  # its float view's checks are never reached
        return _nothing_to_draw(self, "uniform_")
    _float_only(self, "check_uniform_bounds", complex_too=True)
    _check_uniform_bounds(float(from_), float(to), self.dtype)
    draw = lambda g, s, k: g.uniform(from_, to, s, **k)  # noqa: E731
    return _fill(self, "uniform_", generator, _complex_parts(draw) if kind == "c" else draw,
                 pytorch_draw=lambda g, s, d, serial: g.uniform(from_, to, s, d))


def _check_uniform_bounds(from_: float, to: float, dtype) -> None:
    """PyTorch's checks of ``uniform_(from, to)`` (a complex tensor's: of its float parts): both
    bounds finite values of the dtype, ``from <= to``, and a width the dtype holds."""
    if dtype.category == 3:
        dtype = _dt.float32 if dtype is _dt.complex64 else _dt.float64
    big = _FLOAT_MAX[dtype.name]
    if not -big <= from_ <= big:  # NaN included
        raise RuntimeError(f"from is out of bounds for {_C_TYPE_NAMES[dtype.name]}")
    if not -big <= to <= big:
        raise RuntimeError(f"to is out of bounds for {_C_TYPE_NAMES[dtype.name]}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_cpp_float(from_)} > "
                           f"to={_cpp_float(to)}")
    if to - from_ > big:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_KERNEL_TYPE_NAMES[dtype.name]}>::max(), "
                           f"but found to={_cpp_float(to)} and from={_cpp_float(from_)} which result in to-from to exceed the "
                           "limit")


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_writable(self, "normal_")  # (before the arguments' checks, as PyTorch)
    if not std >= 0:  # NaN included
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cpp_float(std)}")
    if self._data.size == 0:
        return _nothing_to_draw(self, "normal_")
    _float_only(self, "normal_kernel_cpu", complex_too=True)
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
    _check_writable(self, "exponential_")  # (before the arguments' checks, as PyTorch)
    if not lambd > 0:  # NaN included
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_cpp_float(lambd)}")
    if self._data.size == 0:
        return _nothing_to_draw(self, "exponential_")
    _continuous_only(self, "Exponential", _KERNEL_TYPE_NAMES)
    return _fill(self, "exponential_", generator, lambda g, s, k: g.exponential(1.0 / lambd, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.exponential(1.0 / lambd, s, d))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _check_writable(self, "log_normal_")  # (before the arguments' checks, as PyTorch)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_cpp_float(std)}")
    if self._data.size == 0:
        return _nothing_to_draw(self, "log_normal_")
    _float_only(self, "log_normal_cpu")
    return _fill(self, "log_normal_", generator, lambda g, s, k: g.lognormal(mean, std, s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.lognormal(mean, std, s, d))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _check_writable(self, "cauchy_")  # (before the arguments' checks, as PyTorch)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_cpp_float(sigma)}")
    _continuous_only(self, "Cauchy", _C_TYPE_NAMES)
    return _fill(self, "cauchy_", generator, lambda g, s, k: median + sigma * g.standard_cauchy(s, **k),
                 pytorch_draw=lambda g, s, d, serial: g.cauchy(median, sigma, s, d))


def _geometric_(self, p, *, generator=None):
    _check_writable(self, "geometric_")  # (before the arguments' checks, as PyTorch)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_cpp_float(p)}")
    if self._data.size == 0:
        return _nothing_to_draw(self, "geometric_")
    if _np_kind(self._data.dtype) in "bc" or self.dtype.limited:
        raise _not_implemented("geometric_cpu", self.dtype)
    return _fill(self, "geometric_", generator, lambda g, s, k: g.geometric(p, s, **k), integer=True,
                 pytorch_draw=lambda g, s, d, serial: g.geometric(p, s))


def _mantissa_bits(d) -> int:
    """Stored mantissa bits of a float dtype (bfloat16: 7, which NumPy's finfo cannot read)."""
    return 7 if d is _dt.BF16 else int(np.finfo(d).nmant)


_TO_NOT_GIVEN = object()


def _random_signature_error(args):
    """PyTorch's parser refusing ``random_`` bounds that are not ints (with its note, for two)."""
    note = "didn't match because some of the arguments have invalid types: (" + \
        ", ".join(f"!{type_name(a)}!" for a in args) + ")" if len(args) == 2 else None
    return invalid_combination("random_", args, None, (
        ("*, torch.Generator generator = None", note), "int from, int to, *, torch.Generator generator = None",
        "int to, *, torch.Generator generator = None"))


def _random_(self, from_=None, to=_TO_NOT_GIVEN, *, generator=None, **kw):
    """``random_()``: integers in [0, 2**mantissa] (floats) or [0, dtype max]; ``random_(to)``;
    ``random_(from, to)``; ``random_(from, None)``: from ``from`` up to the dtype's largest."""
    _check_writable(self, "random_")  # (before the arguments' checks, as PyTorch)
    from_ = kw.pop("from", from_)
    to_given = to is not _TO_NOT_GIVEN or "to" in kw
    to = kw.pop("to", None if to is _TO_NOT_GIVEN else to)
    d = self._data.dtype
    empty = self._data.size == 0
    given = tuple(v for v in (from_, to) if v is not None)
    if not all(v.__class__ is int or is_int(v) for v in given):  # (a float bound must not be truncated)
        raise _random_signature_error(given)
    if from_ is None and to is None:
        if d.kind == "c" or self.dtype.limited:  # (PyTorch has no unbounded draw of these)
            if empty:  # an empty tensor reaches no kernel, so no dtype check
                return _nothing_to_draw(self, "random_")
            raise _not_implemented("random_kernel_cpu", self.dtype)
        if d.kind == "f" or d is _dt.BF16:
            lo, hi = 0, (1 << (_mantissa_bits(d) + 1)) + 1
        else:
            lo, hi = 0, 2 if d.kind == "b" else int(np.iinfo(d).max) + 1
        # PyTorch: a draw of the dtype's own width, not a bounded one
        exact = lambda g, s, d, serial: g.random_unbounded(s, d)  # noqa: E731
        node = "RandomBackward2"
    else:
        node = "RandomBackward1" if from_ is not None and not to_given else "RandomBackward0"
        if from_ is not None and not to_given:
            from_, to = 0, from_
        # PyTorch's checks, then the bounds a float dtype can hold (from, to nudged inwards)
        bounds = _random_from_to(0 if from_ is None else int(from_), None if to is None else int(to), self.dtype,
                                 empty)
        if bounds is None:
            return _nothing_to_draw(self, "random_", node)
        lo, span = bounds
        # span None: the whole 64-bit range, the word itself read as an int64
        lo, hi = (0, 1 << 64) if span is None else (lo, lo + span)
        exact = lambda g, s, d, serial: g.integers(lo, hi, s, dtype=np.int64)  # noqa: E731
    return _fill(self, "random_", generator, lambda g, s, k: g.integers(lo, hi, s, dtype=np.int64),
                 pytorch_draw=exact, node=node)


def _bernoulli_(self, p=0.5, *, generator=None):
    _check_writable(self, "bernoulli_")  # (before the arguments' checks, as PyTorch)
    g, on_device = _stream(generator, self._device)
    if isinstance(p, Tensor):
        # PyTorch's order: nothing at all for an empty tensor; self's dtype, p expanded to self's
        # shape (its error where it does not fit), p's dtype; then each p as it is drawn
        node = "BernoulliBackward1"
        if self._data.size == 0:
            return _nothing_to_draw(self, "bernoulli_", node)
        if _np_kind(self._data.dtype) == "c" or self.dtype.limited:
            raise _not_implemented("bernoulli_tensor_cpu_self_", self.dtype)
        if tuple(p.shape) != tuple(self.shape):
            p.expand(tuple(self.shape))
        if p.dtype.category != 2:
            raise _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
        probs = _operand(p, self._device, on_device)
        if not _matches_pytorch(g, on_device) and _any(~((probs >= 0) & (probs <= 1))):
            raise RuntimeError(_P_IN_RANGE)
    else:
        node = "BernoulliBackward2"
        probs = float(p)
        if not 0 <= probs <= 1:  # NaN included, as PyTorch
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cpp_float(probs)}")
        if self._data.size == 0:
            return _nothing_to_draw(self, "bernoulli_")
        if _np_kind(self._data.dtype) == "c" or self.dtype.limited:
            raise _not_implemented("bernoulli_scalar_cpu_", self.dtype)
    if _matches_pytorch(g, on_device):
        return _write_samples(self, _pytorch_bernoulli(g, self._data, probs), "bernoulli_", node=node)
    kw = {"dtype": _draw_dtype(self._data.dtype)} if on_device else {}
    return _write_samples(self, g.random(self._data.shape, **kw) < probs, "bernoulli_", on_device, node)


for _name, _fn in (("uniform_", _uniform_), ("normal_", _normal_), ("exponential_", _exponential_),
                   ("log_normal_", _log_normal_), ("cauchy_", _cauchy_), ("geometric_", _geometric_),
                   ("random_", _random_), ("bernoulli_", _bernoulli_)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn
