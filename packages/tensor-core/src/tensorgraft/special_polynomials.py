"""Kernels of ``torch.special``'s orthogonal polynomials, computed the way PyTorch's CPU kernels are.

PyTorch evaluates each element on its own, in the promoted floating dtype (float32 for integer
operands), with the degree truncated to an int64. Which formula it uses depends on the element:

- a negative degree (also NaN, inf, or a float past the int64 range: they become INT64_MIN) is 0;
- points where the value is known exactly (x = ±1 for Chebyshev and Legendre, 0 and 1 for the
  shifted Chebyshev, x = 0 for Laguerre) give that value;
- Chebyshev polynomials of high degree inside (-1, 1) come from their trigonometric form
  (T_n = cos nθ with x = cos θ, and so on), which stays accurate where the recurrence loses digits;
- everything else runs the three-term recurrence from p_0 = 1, p_1, stepping up to the degree.

The results only agree bit for bit with PyTorch's when each step does the same float operations
in the same order, so the recurrences below are written operation for operation (``x + x`` rather
than ``2 * x``, the step's integer multiplied in after its conversion to the float dtype). Every
element steps together; each keeps the value of the step equal to its own degree.

PyTorch's kernels are compiled with floating-point contraction on the FMA-capable CPUs they
dispatch to (AVX2, AVX-512): each step ``a * b - c * d`` is one fused multiply-add,
``fma(a, b, -(c * d))``, rounded once. ``_fma`` reproduces it (float32 through float64, where the
product is exact; float64 through an error-free product and sum).

The trigonometric forms call the C library's ``cos``/``sin``/``acos`` (``cosf``... for float32)
element by element, as PyTorch's kernels do: NumPy's SIMD versions round differently in the last
bit, and the degree multiplies the angle's error (a 1-ulp ``acos`` became 26 ulps of T_7). That
costs about a microsecond per element of that branch; a machine without FMA (PyTorch's DEFAULT
capability) would round the recurrences' steps twice, which these kernels do not follow.
"""
from __future__ import annotations

import math

import numpy as np

from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["POLYNOMIAL_KERNELS"]

_INT64_SPAN = 2.0 ** 63
_HALF_TYPES = ("float16", "bfloat16")


def _type_name(dtype):
    from .ops import _frontend as F
    return F._type_name(dtype)


def _operands(xp, x, n, name):
    """``x`` as a floating array and the degree as an int64 array (``-1`` for every degree
    PyTorch's float-to-int64 conversion makes negative), broadcast together. The frontend has
    already promoted; either operand may still be a Python number."""
    dtype = x.dtype if hasattr(x, "dtype") else n.dtype
    if dtype.name in _HALF_TYPES:
        # PyTorch dispatches these on float32/float64 only
        where = "cpu" if xp is np else "cuda"
        raise NotImplementedError(f"\"{name}_{where}\" not implemented for '{_type_name(dtype)}'")
    xs = xp.asarray(x, dtype=dtype)
    if hasattr(n, "dtype"):
        ns = xp.asarray(n)
        if _np_kind(ns.dtype) == "f":
            usable = xp.isfinite(ns) & (xp.abs(ns) < _INT64_SPAN)
            ns = xp.where(usable, xp.trunc(xp.where(usable, ns, 0)), -1)
        deg = ns.astype(xp.int64)
    else:
        value = float(n)
        deg = xp.full(xs.shape, int(value) if np.isfinite(value) and abs(value) < _INT64_SPAN else -1,
                      dtype=xp.int64)
    deg = xp.where(deg < 0, -1, deg)
    xs, deg = xp.broadcast_arrays(xs, deg)
    return xs, deg


def _f(dtype, value):
    """An array of the float dtype: integers (degrees, step counters) enter the arithmetic the way
    C++ converts an int64 operand of a float operation. (A NumPy scalar for a Python int: CuPy takes
    it as a scalar operand.)"""
    return value.astype(dtype) if hasattr(value, "astype") else np.dtype(dtype).type(value)


def _load_libm():
    """The C library's float32 math functions (``cosf`` ...), or None where ctypes cannot find them.
    (Python's ``math`` functions are the C library's float64 ones, and faster to call.)"""
    try:
        import ctypes
        import ctypes.util
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        table = {}
        for name in ("cosf", "sinf", "acosf"):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
            table[name] = np.frompyfunc(fn, 1, 1)
        return table
    except (OSError, AttributeError):
        return None


_MATH64 = {name: np.frompyfunc(getattr(math, name), 1, 1) for name in ("cos", "sin", "acos")}
_LIBM = []


def _trig(xp, fn, a):
    """The C library's ``fn`` ("cos", "sin", "acos") of a float array, as PyTorch's kernels call it
    (``std::cos`` of a float is ``cosf``). Neither NumPy's SIMD float32 versions nor its float64
    ones round as the C library does, and a Chebyshev value multiplies the angle's last-bit error
    by the degree; without a loadable C library NumPy's functions stand in."""
    if xp is np and a.size and a.dtype == np.float64:
        # (only finite arguments reach here, and acos's within (-1, 1): math raises on no other)
        return _MATH64[fn](a).astype(np.float64)
    if not _LIBM:
        _LIBM.append(_load_libm())
    libm = _LIBM[0]
    if xp is not np or libm is None or a.size == 0 or a.dtype != np.float32:
        return getattr(xp, "arc" + fn[1:] if fn == "acos" else fn)(a)
    return libm[fn + "f"](a).astype(np.float32)


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's split of a float64 into two 26-bit halves


def _fma(a, b, c):
    """a * b + c rounded once (the hardware's fused multiply-add), for float32 or float64 arrays."""
    if a.dtype == np.float32:
        # the float64 product of two float32 values is exact: only the sum rounds (then to float32)
        return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)
    fused, total, err = _error_free_fma(a, b, c)
    # where the halves overflow (huge operands) or the value is not finite, the plain result stands
    return np.where(np.isfinite(fused) & np.isfinite(err), fused, total)


def _fma_float(a, b, c):
    """``_fma`` for Python floats (float64 values)."""
    fused, total, err = _error_free_fma(a, b, c)
    return fused if math.isfinite(fused) and math.isfinite(err) else total


def _error_free_fma(a, b, c):
    """(a * b + c rounded once, a * b + c rounded twice, the product's rounding error) for float64
    arrays or Python floats, from Dekker's exact product (prod + err == a * b) and Knuth's exact
    sum (total + low == prod + c)."""
    prod = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    err = ((ah * bh - prod) + ah * bl + al * bh) + al * bl
    total = prod + c
    back = total - prod
    low = (prod - (total - back)) + (c - back)
    return total + (low + err), total, err


# Each NumPy step costs ~30 array operations (~35 us) whatever the number of elements, and a degree
# can be millions (PyTorch's reference inputs have 4988400: minutes of stepping). Once few elements
# still step, a Python-float loop per element is faster (~1.5 us a step each).
_SCALAR_TAIL_ELEMENTS = 8
_SCALAR_TAIL_STEPS = 4096


def _recurrence(xp, x, deg, first, step, scalar_step=None):
    """p_deg for p_0 = 1, p_1 = ``first``, p_{j+1} = ``step(j, p_j, p_{j-1})`` (j = 1, 2, ...).
    ``scalar_step(i)``, where given, is the step on Python floats of the element at flat index i
    (float64 NumPy arrays only)."""
    one = xp.ones_like(x)
    result = xp.where(deg == 0, one, xp.where(deg == 1, first, xp.zeros_like(x)))
    highest = int(deg.max()) if deg.size else -1
    below, here = one, first
    for j in range(1, highest):
        below, here = here, step(j, here, below)
        result = xp.where(deg == j + 1, here, result)
        if j % 64 == 0:
            # a NaN stays NaN: once every element still stepping is NaN, the rest is known
            pending = deg > j + 1
            live = pending & ~xp.isnan(here)
            if not bool(xp.any(live)):
                return xp.where(pending, xp.asarray(xp.nan, dtype=x.dtype), result)
            if (scalar_step is not None and xp is np and x.dtype == np.float64
                    and highest - j > _SCALAR_TAIL_STEPS and int(np.count_nonzero(live)) <= _SCALAR_TAIL_ELEMENTS):
                result = np.where(pending, np.nan, result)  # (a new array: its .flat writes through)
                for i in np.flatnonzero(live):
                    result.flat[i] = _scalar_tail(scalar_step(i), j + 1, int(deg.flat[i]), float(here.flat[i]),
                                                  float(below.flat[i]))
                return result
    return result


def _scalar_tail(step, j, degree, here, below):
    """Steps one element from p_j (``here``) and p_{j-1} (``below``) up to p_degree."""
    for k in range(j, degree):
        below, here = here, step(k, here, below)
    return here


def _pick(xp, cases, default):
    """``cases`` is a list of (mask, value), first match wins (the kernels' ``if`` chain)."""
    out = default
    for mask, value in reversed(cases):
        out = xp.where(mask, value, out)
    return out


def _odd(deg):
    return deg % 2 != 0


def _sign(xp, deg, dtype):
    return xp.where(_odd(deg), -1.0, 1.0).astype(dtype)


# --------------------------------------------------------------------------- Chebyshev (plain and shifted)
def _chebyshev(kind, shifted):
    """T, U, V or W of x, or of 2x - 1 for the shifted ones (evaluated as ``x + x - 1``)."""
    name = f"{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}"
    # degrees above which PyTorch switches to the trigonometric form inside (-1, 1)
    limit = {"t": 6, "u": 8, "v": 8, "w": 8}[kind] if not shifted else {"t": 6, "u": 6, "v": 6, "w": 4}[kind]

    def kernel(xp, x, n):
        x, deg = _operands(xp, x, n, name)
        dt = x.dtype
        with np.errstate(all="ignore"):
            y = (x + x) - 1 if shifted else x
            # the values PyTorch returns exactly at the ends (x = 1 and x = -1, or 1 and 0 when shifted)
            at_one, at_minus_one = (x == 1, x == 0) if shifted else (x == 1, x == -1)
            sign = _sign(xp, deg, dt)
            one, succ, twice = xp.ones_like(x), _f(dt, deg + 1), _f(dt, deg + deg + 1)
            edge_one = {"t": one, "u": succ, "v": one, "w": twice}[kind]
            edge_minus_one = {"t": sign, "u": xp.where(_odd(deg), -succ, succ),
                              "v": xp.where(_odd(deg), -twice, twice), "w": sign}[kind]
            inside = (deg > limit) & (xp.abs(y) < 1)
            two_y = (y + y)
            first = {"t": y, "u": two_y, "v": two_y - 1, "w": two_y + 1}[kind]
            active = ~(at_one | at_minus_one | inside) & (deg >= 0)
            steps = _recurrence(xp, y, xp.where(active, deg, 0), first, lambda j, q, p: _fma(two_y, q, -p))
            values = _pick(xp, [(deg < 0, xp.zeros_like(x)), (at_one, edge_one), (at_minus_one, edge_minus_one)],
                           steps)
            if bool(inside.any()):
                values[inside] = _closed(xp, kind, y[inside], deg[inside])
            return values
    kernel.__name__ = "_" + name
    return kernel


def _closed(xp, kind, y, deg):
    """The trigonometric forms at y = cos θ in (-1, 1) (the elements that take them, flattened),
    with PyTorch's fallbacks where the denominator vanishes."""
    dt = y.dtype
    theta = _trig(xp, "acos", y)
    if kind == "t":
        return _trig(xp, "cos", _f(dt, deg) * theta)
    if kind == "u":
        s = _trig(xp, "sin", theta)
        m = _f(dt, deg + 1)
        regular = _trig(xp, "sin", m * theta) / s
        return xp.where(s != 0, regular, m * _trig(xp, "cos", m * theta) / y)
    half = _f(dt, deg) + dt.type(0.5)
    twice = _f(dt, deg + deg + 1)
    if kind == "v":
        regular = _trig(xp, "cos", half * theta) / _trig(xp, "cos", theta / 2)
        return xp.where(_trig(xp, "sin", theta / 2) != 1, regular, xp.where(_odd(deg), -twice, twice))
    regular = _trig(xp, "sin", half * theta) / _trig(xp, "sin", theta / 2)
    return xp.where(_trig(xp, "cos", theta / 2) != 1, regular, xp.where(_odd(deg), -1.0, 1.0).astype(dt))


# --------------------------------------------------------------------------- Hermite, Laguerre, Legendre
def _hermite_h(xp, x, n):
    """H_0 = 1, H_1 = 2x, H_{j+1} = 2x H_j - 2j H_{j-1}."""
    x, deg = _operands(xp, x, n, "hermite_polynomial_h")
    with np.errstate(all="ignore"):
        two_x = x + x
        values = _recurrence(xp, x, xp.maximum(deg, 0), two_x, lambda j, q, p: _fma(two_x, q, -(_f(x.dtype, 2 * j) * p)))
        return xp.where(deg < 0, xp.zeros_like(x), values)


def _hermite_he(xp, x, n):
    """He_0 = 1, He_1 = x, He_{j+1} = x He_j - j He_{j-1}."""
    x, deg = _operands(xp, x, n, "hermite_polynomial_he")
    with np.errstate(all="ignore"):
        values = _recurrence(xp, x, xp.maximum(deg, 0), x, lambda j, q, p: _fma(x, q, -(_f(x.dtype, j) * p)))
        return xp.where(deg < 0, xp.zeros_like(x), values)


def _laguerre(xp, x, n):
    """L_0 = 1, L_1 = 1 - x, L_{j+1} = ((2j + (1 - x)) L_j - j L_{j-1}) / (j + 1); L_n(0) = 1."""
    x, deg = _operands(xp, x, n, "laguerre_polynomial_l")
    dt = x.dtype
    with np.errstate(all="ignore"):
        one_minus = 1 - x
        values = _recurrence(xp, x, xp.maximum(deg, 0), one_minus,
                             lambda j, q, p: _fma(_f(dt, j + j) + one_minus, q, -(_f(dt, j) * p)) / _f(dt, j + 1),
                             lambda i: _laguerre_step(float(one_minus.flat[i])))
        return _pick(xp, [(deg < 0, xp.zeros_like(x)), (x == 0, xp.ones_like(x))], values)


def _laguerre_step(one_minus):
    """The step above for one float64 element (j converts exactly: degrees stay below 2**53 here)."""
    return lambda j, q, p: _fma_float(float(j + j) + one_minus, q, -(float(j) * p)) / float(j + 1)


def _legendre(xp, x, n):
    """P_0 = 1, P_1 = x, P_{j+1} = ((2j + 1) x P_j - j P_{j-1}) / (j + 1); P_n(±1) = (±1)^n."""
    x, deg = _operands(xp, x, n, "legendre_polynomial_p")
    dt = x.dtype
    with np.errstate(all="ignore"):
        values = _recurrence(xp, x, xp.maximum(deg, 0), x,
                             lambda j, q, p: _fma(_f(dt, j + j + 1) * x, q, -(_f(dt, j) * p)) / _f(dt, j + 1),
                             lambda i: _legendre_step(float(x.flat[i])))
        edge = xp.abs(x) == 1
        at_edge = xp.where((x > 0) | ~_odd(deg), 1.0, -1.0).astype(dt)
        return _pick(xp, [(deg < 0, xp.zeros_like(x)), (edge, at_edge)], values)


def _legendre_step(x):
    """The step above for one float64 element."""
    return lambda j, q, p: _fma_float(float(j + j + 1) * x, q, -(float(j) * p)) / float(j + 1)


POLYNOMIAL_KERNELS = {
    **{f"chebyshev_polynomial_{k}": _chebyshev(k, False) for k in "tuvw"},
    **{f"shifted_chebyshev_polynomial_{k}": _chebyshev(k, True) for k in "tuvw"},
    "hermite_polynomial_h": _hermite_h,
    "hermite_polynomial_he": _hermite_he,
    "laguerre_polynomial_l": _laguerre,
    "legendre_polynomial_p": _legendre,
}
