"""Evenly spaced values: ``arange``, ``range`` (deprecated, end inclusive), ``linspace`` and
``logspace``, computed bit for bit as PyTorch's CPU kernels compute them (SIMD-blocked
accumulation, fused multiply-adds, the end each value is computed from).

Separate because matching PyTorch's floating-point results here needs numerics (an emulated
fused multiply-add, per-dtype rounding) that nothing else in creation uses.
"""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor
from .. import _frontend as F
from ..conversion import move_array, resolve_device
from .._args import invalid_combination
from ._common import _CPU, _check_dtype, _cnum, _finish, _make, _not_implemented, no_sparse_kernel, sparse_layout
from .fills import checked_fill_value


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


_RANGE_TAIL = ("int steps{}, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
               "torch.device device = None, bool pin_memory = False, bool requires_grad = False")


def _check_scalar_ends(fname, start, end, steps=None, base=None):
    """linspace/logspace take numbers or tensor ends of one value only (0-d), checked before
    anything else; an end that is neither (a NumPy array, a list) matches none of their overloads."""
    if not all(isinstance(v, (Tensor, numbers.Number, np.bool_)) for v in (start, end)):
        tail = _RANGE_TAIL.format("" if fname == "linspace" else ", float base = 10.0")
        given = (start, end) + ((steps,) if steps is not None else ()) + ((base,) if base is not None else ())
        raise invalid_combination(fname, given, overloads=tuple(
            f"{a} start, {b} end, {tail}" for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"),
                                                        ("Tensor", "Number"), ("Number", "Number"))))
    shown = [f"{name} with {t._data.ndim} dimension(s)" for name, t in (("start", start), ("end", end))
             if isinstance(t, Tensor)]
    if any(t._data.ndim for t in (start, end) if isinstance(t, Tensor)):
        raise RuntimeError(f"{fname} only supports 0-dimensional start and end tensors, but got {' and '.join(shown)}.")


def _fma(a, b, c, odd=False):
    """``a * b + c`` rounded once, as a fused multiply-add. Float64 operands: correctly rounded
    (Boldo and Melquiond's emulation: Dekker's exact product, an exact sum with ``c``, the two
    error terms added with rounding to odd, then one rounding to nearest; ``b`` beyond 2**900 is
    split scaled down, so huge ends do not overflow the split). Measured: PyTorch's float64
    linspace is the exact fma, ``linspace(-3, -1e39, 40)`` included, where a plain compensated
    sum was an ulp off in a few elements. ``odd``: rounded to odd instead (where the product is
    exact in double, as a float32 step times an index is), so that a float32 cast of the result
    rounds once, as C's ``fmaf``: PyTorch's float32 linspace. Other dtypes: the compensated sum,
    as before."""
    a, b, c = np.asarray(a), np.asarray(b), np.asarray(c)
    if a.dtype != np.float64 or b.dtype != np.float64 or c.dtype != np.float64:
        return _fma_compensated(a, b, c)
    with np.errstate(over="ignore", invalid="ignore"):
        p = a * b
        big = np.abs(b) > 2.0 ** 900
        bs = np.where(big, b * 2.0 ** -128, b) if big.any() else b
        ah, al = _split(a)
        bh, bl = _split(bs)
        ps = a * bs
        err = ((ah * bh - ps) + ah * bl + al * bh) + al * bl  # (p - a*b exactly, in the scaled product)
        if bs is not b:
            err = np.where(big, err * 2.0 ** 128, err)
        th, tl = _two_sum(c, p)
        v, ev = _two_sum(tl, err)
        # round v to odd: an inexact sum whose last bit is even moves one ulp toward the lost part
        even = (np.asarray(v, dtype=np.float64).view(np.int64) & 1) == 0
        fix = (ev != 0) & even
        if fix.any():
            v = np.where(fix, np.nextafter(v, np.where(ev > 0, np.inf, -np.inf)), v)
        r = np.where(v == 0, th, th + v)  # (th when exact: it has the zero's sign, -0 + -0 = -0, where th + 0 is +0)
        if odd:  # (v is tl here: the product was exact; r + er is the exact result)
            er = (th - r) + v
            fix = (er != 0) & ((np.asarray(r, dtype=np.float64).view(np.int64) & 1) == 0)
            if fix.any():
                r = np.where(fix, np.nextafter(r, np.where(er > 0, np.inf, -np.inf)), r)
        # (an infinite or NaN product or sum is the fused result itself; the error terms would make it NaN)
        return np.where(np.isfinite(th), r, p + c)


def _split(v):
    t = 134217729.0 * v
    hi = t - (t - v)
    return hi, v - hi


def _two_sum(x, y):
    s = x + y
    bb = s - x
    return s, (x - (s - bb)) + (y - bb)


def _fma_compensated(a, b, c):
    p = a * b

    def split(v):
        t = 134217729.0 * v
        hi = t - (t - v)
        return hi, v - hi
    ah, al = split(a)
    bh, bl = split(np.float64(b))
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    err2 = (p - (s - bb)) + (c - bb)
    with np.errstate(invalid="ignore"):
        # (an infinite product or sum is the fused result itself; the error terms would make it NaN)
        return np.where(np.isfinite(s), s + (err + err2), s)


def _float_range(n, start, step, npd):
    """``arange`` values bit-for-bit as PyTorch's CPU kernel computes them: blocks of SIMD
    width start from ``start + step * block_start`` and add ``j * step``; the tail is scalar."""
    idx = np.arange(n, dtype=np.int64)
    if npd == np.float16 or npd == _dt.BF16:
        return _half_range(idx, start, step, npd)
    v = 4 if npd == np.float64 else 8
    nv = (n // (2 * v)) * 2 * v
    out = np.empty(n, dtype=np.float64)
    if nv:
        j = (idx[:nv] % v).astype(np.float64)
        base = _fma((idx[:nv] - idx[:nv] % v).astype(np.float64), step, start)
        if npd != np.float64:
            base = base.astype(np.float32).astype(np.float64)
        out[:nv] = _fma(j, step, base)
    out[nv:] = _fma(idx[nv:].astype(np.float64), step, start)
    if npd == np.float64:
        return out
    return out.astype(np.float32).astype(npd, copy=False)


def _half_range(idx, start, step, npd):
    """float16/bfloat16 ``arange``: PyTorch accumulates in float (``start``, ``step`` rounded to it);
    a SIMD block of 16 starts from ``start + step * block_start`` rounded to the half type, and adds
    ``j * step`` in float (fused for float16, a product then a sum for bfloat16); the tail is scalar,
    each value one fused ``start + step * i``, rounded once to the half type."""
    n = idx.shape[0]
    s32, st32 = float(np.float32(start)), float(np.float32(step))
    v = 16
    nv = (n // (2 * v)) * 2 * v
    out = np.empty(n, dtype=np.float32)
    if nv:
        j = idx[:nv] % v
        base = _fma((idx[:nv] - j).astype(np.float64), st32, s32).astype(np.float32).astype(npd).astype(np.float32)
        if npd == np.float16:
            out[:nv] = _fma(j.astype(np.float64), st32, base.astype(np.float64)).astype(np.float32)
        else:
            out[:nv] = base + j.astype(np.float32) * np.float32(st32)
    out[nv:] = _fma(idx[nv:].astype(np.float64), st32, s32).astype(np.float32)
    return out.astype(npd)


@F.factory_with_out("arange")
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False) -> Tensor:
    """Length ``ceil((end - start) / step)`` computed in double, values as PyTorch's kernel."""
    if layout is not None and sparse_layout(layout, "arange"):
        raise no_sparse_kernel("arange", "arange.start_out")
    dtype = _check_dtype(dtype, "arange")
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if not isinstance(v, numbers.Real):
            raise TypeError(f"arange(): argument 'end' must be Number, not {c_type_name(v)}")
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    # the common arange(n): three comparisons with constants, and no int64 wrap-around possible below;
    # anything else is looked at by _parsed_ints and _arange_overflow
    plain = all_int and -(1 << 61) < end < 1 << 61 and -(1 << 61) < start < 1 << 61 and -(1 << 61) < step < 1 << 61
    if not plain:
        _parsed_ints(start, end, step)
    if dtype is None:
        dtype = _dt.int64 if all_int else _dt.get_default_dtype()
    if dtype.category == 3 or dtype is _dt.bool:  # (no kernel: refused before the range is checked)
        raise _not_implemented("arange_cpu", dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_cnum(start)} -> {_cnum(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if not plain:
        _arange_overflow(start, end, step, dtype)
    dev = resolve_device(device)
    if dtype.category == 2:
        n = max(0, math.ceil((float(end) - float(start)) / float(step)))
        data = _float_range(n, float(start), float(step), dtype.np)
    else:
        istart, iend, istep = int(start), int(end), int(step)
        if all_int or dtype is _dt.int64:
            if istep == 0:
                raise ValueError("step must be nonzero")
            sgn = (istep > 0) - (istep < 0)
            num = iend - istart + istep - sgn
            if not plain and not _I64_LOW <= num < _I64_HIGH:
                # PyTorch computes this in int64, wrapping around (a double end of exactly 2.0**63 passes
                # the conversion check and wraps too): a negative count is its "invalid size" error,
                # a wrapped positive one its (short) length
                num = (num + _I64_HIGH) % (1 << 64) - _I64_HIGH
                if (num < 0) != (istep < 0) and num:
                    raise RuntimeError("invalid size, possible overflow?")
            q = abs(num) // abs(istep)  # C++ integer division truncates toward zero
            n = max(0, q if (num < 0) == (istep < 0) else -q)
        else:
            n = max(0, math.ceil((float(end) - float(start)) / float(step)))
        if not plain and istart == _I64_HIGH:  # (a double start of exactly 2.0**63: its end is too, the range empty)
            istart = 0
        data = (istart + np.arange(n, dtype=np.int64) * istep).astype(dtype.np)
    if dev is not _CPU:
        data = move_array(data, _CPU, dev)
    return _make(data, dev, requires_grad)


_I64_LOW, _I64_HIGH = -(1 << 63), 1 << 63
_F32_MAX = float(np.finfo(np.float32).max)


def _parsed_ints(*values):
    """PyTorch's argument parser takes a Python int as an int64 or else a uint64, whatever the
    dtype: one outside [-2**63, 2**64) is an OverflowError before anything else is looked at."""
    for v in values:
        if isinstance(v, numbers.Integral) and not _I64_LOW <= v < 1 << 64:
            raise OverflowError("int too big to convert" if v > 0 else "can't convert negative int to unsigned")


def _arange_overflow(start, end, step, dtype):
    """The kernel's checked conversions (c10), after the range checks: an integer dtype converts
    start, end and step to int64 (its accumulate type) and a 16-bit float start and step to float:
    "value cannot be converted to type int64_t/float without overflow" where one does not fit
    (arange(0, 1e20, 1e19, dtype=int64)). A float64 and float32 result computes in double (no
    check), and a half's end past float's range is allowed (its values become inf)."""
    if dtype.category == 2:
        if dtype is _dt.float16 or dtype is _dt.bfloat16:
            _float_acc_range(start, step)
        return
    _int64_range(start, end, step)


def _float_acc_range(*values):
    for v in values:  # (an int below 2**64 always fits a float; NaN and the infinities too)
        if v.__class__ is not int and abs(v) > _F32_MAX and not math.isinf(v):
            raise RuntimeError("value cannot be converted to type float without overflow")


def _int64_range(*values):
    for v in values:
        # (a double is compared with int64's bounds as doubles, as c10 does: 2.0**63 itself passes)
        if not (_I64_LOW <= v < _I64_HIGH if isinstance(v, numbers.Integral) else -2.0 ** 63 <= v <= 2.0 ** 63):
            raise RuntimeError("value cannot be converted to type int64_t without overflow")


@F.factory_with_out("range")
def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False) -> Tensor:
    """Deprecated in PyTorch (end inclusive); kept for old tutorials. Default float dtype."""
    if layout is not None and sparse_layout(layout, "range"):
        raise no_sparse_kernel("range", "range.out")
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    dtype = _check_dtype(dtype, "range") or _dt.get_default_dtype()
    if dtype is _dt.bool or dtype.category == 3:
        raise _not_implemented("range_cpu", dtype)
    # (range converts its three numbers with c10's checks first, before its own range checks)
    _parsed_ints(start, end, step)
    if dtype.category != 2:
        _int64_range(start, end, step)
    elif dtype is _dt.float16 or dtype is _dt.bfloat16:
        _float_acc_range(start, end, step)
    if dtype.category != 2 and all(math.isfinite(v) for v in (start, end, step)):
        # integer kernel: PyTorch converts the ends and the step to int64 first (truncating)
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_cnum(start)} -> {_cnum(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if isinstance(step, int) and isinstance(start, int) and isinstance(end, int):
        n = (end - start) // step + 1  # exact: both have the step's sign
        data = (start + np.arange(n, dtype=np.int64) * step).astype(dtype.np)
    else:
        # PyTorch's accumulate type: float for both half types, double otherwise; the length too is
        # computed in it, ``(end - start) / step + 1`` truncated
        acc = np.float32 if dtype is _dt.float16 or dtype is _dt.bfloat16 else np.float64
        n = int(math.floor((end - start) / step)) + 1 if acc is np.float64 else \
            int((acc(end) - acc(start)) / acc(step) + acc(1))
        data = (acc(start) + np.arange(n, dtype=acc) * acc(step)).astype(dtype.np)
    return _finish(data, resolve_device(device), requires_grad)


def _steps_arg(steps, fname, start, end):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        # several signatures (number or tensor ends): a float count is refused as a whole call,
        # shown as usually written, every argument positionally
        raise invalid_combination(fname, (start, end, steps))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_values(start, end, steps, npd):
    """PyTorch's kernel: ``step`` in the result precision, values computed from the nearer end
    (``start + step * i`` in the first half, ``end - step * (steps - 1 - i)`` after), each as a
    fused multiply-add. Returns float64 values to be cast to ``npd``."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    kind = np.dtype(npd)
    if kind == np.float64 or kind.kind in "iub":
        s, e = float(start), float(end)
        step = (e - s) / (steps - 1)
    elif kind == np.float16 or kind == _dt.BF16:
        # every operation in the half type (c10's Half/BFloat16 arithmetic: through float, rounded
        # after each step), the integers too: ``(end - start) / (steps - 1)`` and ``step * i`` convert
        # ``steps - 1`` and ``i`` to the half type first (bfloat16 holds integers exactly to 256 only)
        h = kind.type
        s, e = h(np.float32(start)), h(np.float32(end))  # (c10 converts a double through float)
        step = h(np.float32(h(np.float32(e) - np.float32(s))) / np.float32(h(steps - 1)))
        i = np.arange(steps)
        fwd = (s + (step * i.astype(h)).astype(h)).astype(h)
        bwd = (e - (step * (steps - 1 - i).astype(h)).astype(h)).astype(h)
        return np.where(i < steps // 2, fwd, bwd).astype(np.float64)
    else:  # float32: ends and step rounded to single precision
        s, e = float(np.float32(start)), float(np.float32(end))
        step = float(np.float32(np.float32(e - s) / np.float32(steps - 1)))
        # (each value one fmaf, rounded once into float: computed exactly in double (index times
        # step is exact there) and rounded to odd, so that the float32 cast is the single rounding)
        return _linspace_fma(s, e, step, steps, True)
    return _linspace_fma(s, e, step, steps, False)


def _linspace_fma(s, e, step, steps, odd):
    """``fma(i, step, s)`` for the first half, ``fma(-(steps - 1 - i), step, e)`` for the rest,
    correctly rounded (rounded to odd with ``odd``: a float32 step, whose products are exact):
    ``_fma``'s algorithm with the index unsplit (it has at most 26 bits) and the step split once."""
    half = steps // 2
    k = np.arange(steps, dtype=np.float64)
    k[half:] -= steps - 1
    if steps:
        k[-1] = -0.0  # (-(steps - 1 - i) at the last point: end - step * 0 keeps a -0 end's sign)
    c = np.empty(steps)
    c[:half] = s
    c[half:] = e
    big = max(abs(s), abs(e)) + abs(step) * steps
    if not (steps < 1 << 26 and (step == 0 or 2.0 ** -900 < abs(step) < 2.0 ** 900) and big < 2.0 ** 1000):
        return _fma(k, step, c, odd)  # (huge or tiny steps, or an overflow: the general emulation)
    p = k * step
    th = c + p
    bb = th - c
    tl = (c - (th - bb)) + (p - bb)  # (th + tl = c + p exactly)
    if odd:  # (k * step is exact: round th + tl to odd)
        fix = (tl != 0) & ((th.view(np.int64) & 1) == 0)
        if fix.any():
            th = np.where(fix, np.nextafter(th, np.where(tl > 0, np.inf, -np.inf)), th)
        return th
    t = 134217729.0 * step
    sh = t - (t - step)
    err = (k * sh - p) + k * (step - sh)  # (k * step - p exactly: Dekker with k its own high part)
    v = tl + err
    bb = v - tl
    ev = (tl - (v - bb)) + (err - bb)
    fix = (ev != 0) & ((v.view(np.int64) & 1) == 0)  # (v rounded to odd)
    if fix.any():
        v = np.where(fix, np.nextafter(v, np.where(ev > 0, np.inf, -np.inf)), v)
    return np.where(v == 0, th, th + v)


def _range_dtype(fname, dtype, start, end, steps):
    """linspace/logspace's dtype: the one given, else the default float - or the default complex
    when an end point is complex, which then may not be narrowed to a real dtype."""
    given = _check_dtype(dtype, fname)
    complex_ends = any(isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (start, end))
    inferred = _dt.default_complex_dtype() if complex_ends else _dt.get_default_dtype()
    if given is None:
        return inferred
    if complex_ends and given.category < 3:
        legacy = {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}[inferred.np.name]
        raise RuntimeError(f"torch.{fname}(): inferred dtype {legacy} can't be safely cast to passed dtype "
                           f"{F._type_name(given.np)}")
    if given is _dt.bool and steps > 1:  # one point is just ``start``: no kernel runs
        raise NotImplementedError(f"\"{fname}_cpu\" not implemented for 'Bool'")
    return given


@F.factory_with_out("linspace")
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    if layout is not None and sparse_layout(layout, "linspace"):
        raise no_sparse_kernel("linspace", "linspace.out")
    _check_scalar_ends("linspace", start, end, steps)
    steps = _steps_arg(steps, "linspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _range_dtype("linspace", dtype, start, end, steps)
    if dtype is _dt.bool:
        return _finish(np.full(steps, start != 0), resolve_device(device), requires_grad)
    if steps <= 1 and dtype.category <= 1:
        return _few_points(steps, start, dtype, device, requires_grad)
    if steps > 1 and dtype.category == 2:
        _check_float_ends(dtype, start, end)
    elif steps and dtype is _dt.float32:  # (one point: only float refuses one beyond its range, as logspace)
        _check_float_ends(dtype, start)
    if dtype.category == 3:
        if steps > 1 and dtype is _dt.complex64:  # (each end converted as c10 converts a number: checked)
            checked_fill_value(complex(start), dtype.np)
            checked_fill_value(complex(end), dtype.np)
        vals = np.linspace(start, end, steps)
    elif dtype.category <= 1:
        # the end points are converted to the dtype first (-5 is 251 in uint8; -0.25 is refused)
        start, end = (float(checked_fill_value(v, dtype.np)) for v in (start, end))
        vals = np.trunc(_linspace_values(start, end, steps, dtype.np))
    else:
        vals = _linspace_values(float(start), float(end), steps, dtype.np)
    if dtype is _dt.float16:
        vals = vals.astype(np.float32)
    return _finish(vals.astype(dtype.np), resolve_device(device), requires_grad)


def _few_points(steps, first, dtype, device, requires_grad):
    """No points, or one, into an integer dtype: PyTorch runs no kernel but fills the one point
    with ``first`` (checked as ``fill_`` checks it; no points checks nothing, not even the ends)."""
    vals = np.full(steps, checked_fill_value(first, dtype.np) if steps else 0, dtype=dtype.np)
    return _finish(vals, resolve_device(device), requires_grad)


_C10_FLOAT_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


def _check_float_ends(dtype, *values):
    """The end points (or the one point filled in) converted to a float dtype as c10 converts a
    number: a finite value beyond the dtype's range is an error, not an infinity."""
    name = _C10_FLOAT_NAMES.get(np.dtype(dtype.np).name)
    if name is None or name == "double":
        return
    top = float(_dt.finfo(dtype).max)
    for v in values:
        v = float(v)
        if math.isfinite(v) and abs(v) > top:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _c_pow(base, x):
    """C's ``pow`` where Python's raises: NaN for a negative base to a non-integer power, an
    infinity for zero to a negative power or on overflow (signed as C signs it)."""
    try:
        return math.pow(base, x)
    except ValueError:  # (a negative base and a non-integer power, or a zero base and a negative power)
        if base < 0:
            return math.nan
        return -math.inf if math.copysign(1.0, base) < 0 and _odd_integer(x) else math.inf
    except OverflowError:
        return -math.inf if base < 0 and _odd_integer(x) else math.inf


def _odd_integer(x):
    return math.isfinite(x) and x == math.floor(x) and math.fmod(x, 2.0) != 0


@F.factory_with_out("logspace")
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    if layout is not None and sparse_layout(layout, "logspace"):
        raise no_sparse_kernel("logspace", "logspace.out")
    _check_scalar_ends("logspace", start, end, steps)
    steps = _steps_arg(steps, "logspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _range_dtype("logspace", dtype, start, end, steps)
    if dtype is _dt.bool:
        return _finish(np.full(steps, _c_pow(float(base), float(start)) != 0), resolve_device(device), requires_grad)
    if steps <= 1 and dtype.category <= 1:
        return _few_points(steps, _c_pow(float(base), float(start)), dtype, device, requires_grad)
    if steps > 1 and dtype.category == 2:
        _check_float_ends(dtype, start, end)
    elif steps and dtype is _dt.float32:
        # (one point is filled with ``base ** start``: measured, PyTorch 2.13 refuses one beyond float's
        # range but lets it become an infinity in the half types)
        _check_float_ends(dtype, _c_pow(float(base), float(start)))
    if dtype.category == 3:
        if steps > 1 and dtype is _dt.complex64:  # (each end converted as c10 converts a number: checked)
            checked_fill_value(complex(start), dtype.np)
            checked_fill_value(complex(end), dtype.np)
        exps = np.linspace(complex(start), complex(end), steps)
        return _finish((complex(base) ** exps).astype(dtype.np), resolve_device(device), requires_grad)
    ends = (start, end)
    start, end = float(start), float(end)
    if steps == 1:
        exps = np.array([start])  # filled with pow(base, start) in double
    elif dtype.category <= 1:
        # the end points are converted to the dtype first (-5 is 251 in uint8; -0.25 is refused)
        start, end = (float(checked_fill_value(v, dtype.np)) for v in ends)
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    elif dtype.category == 2 and dtype is not _dt.float64:
        # unlike linspace, PyTorch's logspace rounds only the ends (and their difference) to the
        # result dtype; the step and each exponent are plain double arithmetic (no fused multiply-add),
        # measured bit for bit against PyTorch 2.13 for float32, float16 and bfloat16. Half types go
        # through float, as c10 converts them (the difference is a float subtraction, then rounded)
        low = np.dtype(dtype.np).type
        s32, e32 = np.float32(low(np.float32(start))), np.float32(low(np.float32(end)))
        start, end = float(s32), float(e32)
        step = float(low(e32 - s32)) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    else:  # exponents as PyTorch computes them for double: start + step * i (no fused multiply-add)
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    base = float(base)
    if steps <= 100_000:  # the C library's pow, as PyTorch's scalar kernel (NumPy's SIMD pow may differ by an ulp)
        vals = np.array([_c_pow(base, v) for v in exps.tolist()], dtype=np.float64)
    else:
        vals = np.power(base, exps)
    if dtype.category <= 1:
        vals = np.trunc(vals)
    elif dtype is _dt.float16 or dtype is _dt.bfloat16:
        vals = vals.astype(np.float32)  # (double to a half type rounds through float, as c10's)
    return _finish(vals.astype(dtype.np), resolve_device(device), requires_grad)
