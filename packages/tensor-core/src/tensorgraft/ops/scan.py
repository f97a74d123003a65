"""Scans along a dim: cummax / cummin (values and indices), logcumsumexp, and diff.

NumPy has ``ufunc.accumulate`` (an O(n) sequential scan); CuPy does not offer it for these ufuncs,
so the kernels take it when ``xp`` is NumPy and otherwise run a log-step scan (Hillis-Steele:
``ceil(log2 n)`` passes, each combining every element with the one ``2**k`` before it) built
only from slicing and plain ufuncs, which both array modules have. Both give the same values for
max/min; for logaddexp they may differ in the last bits (the additions are grouped differently).
"""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap
from . import _frontend as F
from ._frontend import check_tensor
from ._args import NOT_GIVEN, arg_position, bind_arguments, is_int, method_and_function, wrap_dim, wrong_type
from ._define import CORE_OPS, defop
from ._return_types import return_type
from tensorgraft.dtypes import np_kind as _np_kind

_FIRST = len(CORE_OPS)


def scan(xp, a, axis, ufunc_name):
    """Inclusive scan of ``a`` along ``axis`` with the associative, commutative binary ufunc
    ``xp.<ufunc_name>`` (maximum, minimum, logaddexp): ``out[i] = f(a[0], ..., a[i])``."""
    if xp is np:
        return getattr(np, ufunc_name).accumulate(a, axis=axis)
    f = getattr(xp, ufunc_name)
    n = a.shape[axis]
    out = a.copy()
    step = 1
    while step < n:
        later = [slice(None)] * a.ndim
        earlier = [slice(None)] * a.ndim
        later[axis] = slice(step, None)
        earlier[axis] = slice(0, n - step)
        nxt = out.copy()
        nxt[tuple(later)] = f(out[tuple(earlier)], out[tuple(later)])
        out = nxt
        step *= 2
    return out


# =========================================================================== cummax / cummin
def _cummaxmin_kernel(xp, a, which, axis):
    """(values, indices) of the running max/min along ``axis``, as PyTorch's CPU kernel: equal
    values move the index to the later position, a NaN wins and stays (each later NaN moves the
    index on)."""
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    vals = scan(xp, a, axis, "maximum" if which == "cummax" else "minimum")
    hit = a == vals  # position i holds the running extreme (a new one, or a tie)
    if _np_kind(a.dtype) in "fc":
        hit |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    pos = xp.arange(a.shape[axis], dtype=np.int64).reshape(shape)
    idx = scan(xp, xp.where(hit, pos, xp.zeros((), np.int64)), axis, "maximum")
    return vals, idx.astype(np.int64, copy=False)


def _cummaxmin_frontend(which):
    def make(op):
        table = op.table
        Ret = return_type(which)

        def cummax(input, dim=NOT_GIVEN, *, out=None):
            check_tensor(input, which)
            if dim is NOT_GIVEN:  # (PyTorch's parser words it so)
                raise TypeError(f'{which}() missing 1 required positional arguments: "dim"')
            if out is not None:
                # (the parser's checks of the out tuple come before anything else)
                if not isinstance(out, (tuple, list)):
                    raise TypeError(f"{which}(): argument 'out' must be tuple of Tensors, not {c_type_name(out)}")
                if len(out) != 2:
                    raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
                F.check_out_grad(which, out, input)
            a = input._data
            if _np_kind(a.dtype) == "c":
                # complex numbers have no order: PyTorch's dispatch has no kernel for them
                raise NotImplementedError(f"\"{which}_cpu\" not implemented for '{F._type_name(a.dtype)}'")
            if a.ndim == 0 and dim.__class__ is int and dim not in (0, -1):
                # (PyTorch's own check for a 0-d input, before the usual dim wrapping)
                raise IndexError(f"{which}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
            d = wrap_dim(dim, a.ndim)
            v, i = table[input._device.type](a, which, d)
            vals, idx = wrap(v, input._device), wrap(i, input._device)
            if input._requires_grad and _gs.enabled:
                Tensor._autograd.record(op, vals, (input,), {"dim": d, "indices": idx})
            if out is not None:
                # PyTorch's cummax/cummin kernels take out tensors of exactly the result's dtypes
                for t, r in zip(out, (vals, idx)):
                    if isinstance(t, Tensor) and t._data.dtype != r._data.dtype:
                        raise RuntimeError(f"expected scalar_type {F._type_name(r._data.dtype)} but found "
                                           f"{F._type_name(t._data.dtype)}")
                return F.write_outs(out, (vals, idx), which, Ret)
            return Ret(vals, idx)
        cummax.__name__ = cummax.__qualname__ = which
        return cummax
    return make


# =========================================================================== logcumsumexp
def _complex_log1p(xp, z):
    """c10's ``log1p`` of a complex number (more accurate than ``log(1 + z)`` near 0)."""
    x, y = z.real, z.imag
    theta = xp.arctan2(y, x + 1)
    r = x * (2 + x) + y * y
    small = xp.abs(z) < 0.5
    real = xp.where(small, xp.where(r == 0, x, 0.5 * xp.log1p(r)), xp.log(xp.hypot(x + 1, y)))
    return (real + 1j * theta).astype(z.dtype)


def _complex_log_add_exp(xp, x, y):
    """PyTorch's ``_log_add_exp_helper`` for complex numbers: NaN (in either part) infects; equal
    infinite real parts are handled apart (``-inf`` keeps the smaller, ``+inf`` sums exactly);
    otherwise ``log1p(exp(min - max)) + max``, min and max by their real parts."""
    y_nan = xp.isnan(y.real) | xp.isnan(y.imag)
    x_nan = xp.isnan(x.real) | xp.isnan(x.imag)
    x_first = x.real < y.real
    lo = xp.where(y_nan, y, xp.where(x_nan, x, xp.where(x_first, x, y)))
    hi = xp.where(y_nan, y, xp.where(x_nan, x, xp.where(x_first, y, x)))
    general = _complex_log1p(xp, xp.exp(lo - hi)) + hi
    infinite = xp.where(lo.real < 0, lo, xp.log(xp.exp(lo) + xp.exp(hi)))
    res = xp.where(~xp.isfinite(lo.real) & (lo.real == hi.real), infinite, general)
    nan = xp.asarray(complex(np.nan, np.nan), dtype=x.dtype)
    return xp.where(xp.isnan(lo.real) | xp.isnan(lo.imag), nan, res).astype(x.dtype)


def _complex_logcumsumexp(xp, a, axis):
    """PyTorch's CPU scan for complex inputs: ``cum = helper(x[i], cum)`` from ``-inf``, one slice
    along ``axis`` at a time."""
    x = xp.moveaxis(a, axis, 0)
    out = xp.empty_like(x)
    cum = xp.full(x.shape[1:], complex(-np.inf, 0.0), dtype=a.dtype)
    with np.errstate(all="ignore"):
        for i in range(x.shape[0]):
            cum = _complex_log_add_exp(xp, x[i], cum)
            out[i] = cum
    return xp.moveaxis(out, 0, axis)


def _logcumsumexp_kernel(xp, a, axis):
    if a.ndim == 0:
        return a.copy()
    if _np_kind(a.dtype) == "c":
        return _complex_logcumsumexp(xp, a, axis)
    # logaddexp is exact about infinities (-inf is the identity, inf absorbs) and never
    # overflows: log(exp(x) + exp(y)) = max + log1p(exp(-|x - y|)); half precision accumulates in
    # float32, as PyTorch's
    if a.dtype == np.float16:
        return scan(xp, a.astype(np.float32), axis, "logaddexp").astype(np.float16)
    return scan(xp, a, axis, "logaddexp")


def _logcumsumexp_frontend(op):
    table = op.table

    def logcumsumexp(input, dim=NOT_GIVEN, *, out=None):
        check_tensor(input, "logcumsumexp")
        if dim is NOT_GIVEN:  # (PyTorch's parser words it so)
            raise TypeError('logcumsumexp() missing 1 required positional arguments: "dim"')
        if out is not None:
            F.check_out_grad("logcumsumexp", out, input)
        a = input._data
        if _np_kind(a.dtype) not in "fc":
            # integers and bools: as PyTorch's dispatch error
            raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{F._type_name(a.dtype)}'")
        d = wrap_dim(dim, a.ndim)
        res = wrap(table[input._device.type](a, d), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (input,), {"dim": d})
        if out is not None:
            if isinstance(out, Tensor) and out._data.dtype != res._data.dtype:  # (no promotion into out)
                raise RuntimeError(f"expected scalar_type {F._type_name(res._data.dtype)} but found "
                                   f"{F._type_name(out._data.dtype)}")
            F.write_out(out, res._data, "logcumsumexp")
            return out
        return res
    return logcumsumexp


# =========================================================================== diff
_DIFF_ARGS = ("n", "dim", "prepend", "append")


def _diff_frontend(op):
    """``diff(input, n=1, dim=-1, prepend=None, append=None)`` with PyTorch's parser errors: an
    argument of a wrong type is named with its ``(position N)`` only when given positionally (the
    method does not count ``self``)."""
    def build(method):
        def diff(input, *args, **kwargs):
            check_tensor(input, "diff")
            if len(args) > 4:
                raise TypeError(f"diff() takes from {1 - method} to {5 - method} positional arguments but "
                                f"{len(args) + 1 - method} were given")
            given = bind_arguments("diff", _DIFF_ARGS, args, kwargs)
            n, dim = given.get("n", 1), given.get("dim", -1)
            prepend, append = given.get("prepend"), given.get("append")
            npos = len(args)
            if n.__class__ is not int and not is_int(n):
                raise wrong_type("diff", "n", "int", n, arg_position(0, npos, method))
            if dim.__class__ is not int and not is_int(dim):
                raise wrong_type("diff", "dim", "int", dim, arg_position(1, npos, method))
            for i, (name, t) in enumerate((("prepend", prepend), ("append", append))):
                if t is not None and not isinstance(t, Tensor):
                    raise wrong_type("diff", name, "Tensor", t, arg_position(2 + i, npos, method))
            return _diff(input, int(n), int(dim), prepend, append)
        diff.__name__ = diff.__qualname__ = "diff"
        return diff
    return method_and_function(op, build)


def _diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim`` (logical xor for bools), after concatenating
    ``prepend``/``append``; written with narrow/sub/cat, so the gradient comes from those
    (``SubBackward0``, as in PyTorch). The arguments are checked by ``_diff_frontend``."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, nd)
    for t in (prepend, append):
        if t is None:
            continue
        if t._data.ndim != nd:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i in range(nd):
            if i != d and t._data.shape[i] != input._data.shape[i]:
                raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input "
                                   f"except along the differencing dimension; input.size({i}) = "
                                   f"{input._data.shape[i]}, but got tensor.size({i}) = {t._data.shape[i]}")
    if n == 0:  # a copy of the input (prepend/append are checked, then ignored), as PyTorch
        from ..registry import registry
        from .shape import _finish_copy
        return _finish_copy(registry.ops["clone"], input, input._data.copy(), None, node_name="CopyBackwards")
    x = input
    if prepend is not None or append is not None:
        from .shape import _cat
        parts = [t for t in (prepend, input, append) if t is not None]
        x = _cat.frontend(parts, d)
    is_bool = _np_kind(x._data.dtype) == "b"
    for _ in range(n):
        m = x._data.shape[d]
        if m == 0:
            break
        later, earlier = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = later.logical_xor(earlier) if is_bool else later - earlier
    return x


# =========================================================================== declarations
def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _cummaxmin_samples(dtype, device):
    return [((_mk((2, 5), dtype, device, 120), 1), {}), ((_mk((4, 3), dtype, device, 121), 0), {}),
            ((_mk((2, 3, 2), dtype, device, 122), -2), {}), ((_mk((), dtype, device, 123), 0), {})]


def _cummaxmin_reference(which):
    acc = np.maximum if which == "cummax" else np.minimum

    def ref(a, dim):
        if a.ndim == 0:
            return a, np.zeros((), np.int64)
        vals = acc.accumulate(a, axis=dim)
        moved = np.moveaxis(a, dim, -1)
        mv = np.moveaxis(vals, dim, -1)
        idx = np.zeros(moved.shape, np.int64)
        for k in np.ndindex(moved.shape[:-1]):  # the last position <= i holding the running value
            for i in range(moved.shape[-1]):
                idx[k + (i,)] = max(j for j in range(i + 1) if moved[k + (j,)] == mv[k + (i,)])
        return vals, np.moveaxis(idx, -1, dim)
    return ref


def _logcumsumexp_samples(dtype, device):
    from .creation import tensor
    wide = tensor([[-30.0, 5.0, 4.5, 20.0], [1.0, -2.0, 3.0, 0.5]], dtype=dtype, device=device)
    return [((_mk((2, 4), dtype, device, 124), 1), {}), ((_mk((3, 2), dtype, device, 125), 0), {}),
            ((wide, -1), {}), ((_mk((), dtype, device, 126), 0), {})]


def _logcumsumexp_reference(a, dim):
    if a.ndim == 0:
        return a
    return np.logaddexp.accumulate(a.astype(np.float64), axis=dim)


def _diff_samples(dtype, device):
    x = _mk((3, 4), dtype, device, 127)
    return [((x,), {}), ((x, 2, 0), {}), ((x, 1, 1, _mk((3, 1), dtype, device, 128)), {}),
            ((x, 1, 0), {"append": _mk((2, 4), dtype, device, 129)}), ((x, 5), {})]


def _diff_reference(a, n=1, dim=-1, prepend=None, append=None):
    return np.diff(a, n, axis=dim, **({"prepend": prepend} if prepend is not None else {}),
                   **({"append": append} if append is not None else {}))


defop("cummax", kernel=_cummaxmin_kernel, frontend=_cummaxmin_frontend("cummax"), samples=_cummaxmin_samples,
      reference=_cummaxmin_reference("cummax"))
defop("cummin", kernel=_cummaxmin_kernel, frontend=_cummaxmin_frontend("cummin"), samples=_cummaxmin_samples,
      reference=_cummaxmin_reference("cummin"))
defop("logcumsumexp", kernel=_logcumsumexp_kernel, frontend=_logcumsumexp_frontend,
      samples=_logcumsumexp_samples, reference=_logcumsumexp_reference)
defop("diff", frontend=_diff_frontend, composite=True, samples=_diff_samples, reference=_diff_reference)


# =========================================================================== trapezoid / cumulative_trapezoid
def _integration_args(fname, y, x, dx, dim, extra=()):
    """Checks shared by the trapezoid family; returns (dim, dx as a float or None, x viewed to
    broadcast against the differences of y, or None)."""
    check_tensor(y, fname, "y")
    if x is not None and dx is not None or x is not None and not isinstance(x, Tensor):
        got = ", ".join(["Tensor", c_type_name(x)] + [f"dx={c_type_name(dx)}"] * (dx is not None))
        raise TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), but expected one of:")
    nd = y._data.ndim
    if nd == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, nd)
    if x is None:
        if dx is None:
            dx = 1
        if isinstance(dx, Tensor):
            # PyTorch's parser takes a 0-d tensor for the Scalar dx, unless it requires grad
            if dx._data.ndim != 0 or dx.requires_grad:
                raise TypeError(f"{fname}() received an invalid combination of arguments - got (Tensor, dx=Tensor), "
                                "but expected one of:")
            dx = dx.item()
        if isinstance(dx, (bool, np.bool_, complex)) or not isinstance(dx, numbers.Real):
            raise RuntimeError(f"{fname}: Currently, we only support dx as a real number.")
        if _np_kind(y._data.dtype) == "b":
            raise RuntimeError(f"{fname}: received a bool input for `y`, but bool is not supported")
        return d, float(dx), None
    if _np_kind(y._data.dtype) == "b" or _np_kind(x._data.dtype) == "b":
        raise RuntimeError(f"{fname}: received a bool input for `x` or `y`, but bool is not supported")
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{fname}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[d] = x._data.shape[0]
        x = x.view(shape)
    elif x._data.ndim < nd:
        x = x.view((1,) * (nd - x._data.ndim) + tuple(x._data.shape))
    return d, None, x


def _pairs(t, d):
    """``(t[..., 1:, ...], t[..., :-1, ...])`` along ``d`` (PyTorch's slice(dim, 1) and slice(dim, 0, -1))."""
    m = t._data.shape[d]
    k = max(m - 1, 0)
    return t.narrow(d, min(1, m), k), t.narrow(d, 0, k)


def _dx_from(x, d):
    right, left = _pairs(x, d)
    return right - left


def _by_number(op_name, t, number):
    """``t * number`` / ``t / number`` as ATen's Scalar overload, which PyTorch's C++ trapezoid
    family calls with its ``double`` constants: the graph then reads ``MulBackward1`` /
    ``DivBackward1``, as PyTorch's does."""
    from ..special import _as_tensor, _scalar_overload
    node = "MulBackward1" if op_name == "mul" else "DivBackward1"
    return _scalar_overload(op_name, node, t, _as_tensor(number, t))


def _trapezoid(y, x=None, *, dx=None, dim=-1, _name="trapezoid"):
    """Written as PyTorch's ``do_trapezoid``, so gradients (and nodes) are those of the ops used."""
    d, dxs, xv = _integration_args(_name, y, x, dx, dim)
    if y._data.shape[d] == 0:  # NumPy's answer for no samples: 0
        import tensorgraft as tg
        shape = y._data.shape[:d] + y._data.shape[d + 1:]
        return tg.zeros(shape, dtype=y.dtype, device=y.device)
    if xv is None:
        ends = _by_number("mul", y.select(d, 0) + y.select(d, -1), 0.5)
        return _by_number("mul", y.sum(d) - ends, dxs)
    right, left = _pairs(y, d)
    return _by_number("div", ((left + right) * _dx_from(xv, d)).sum(d), 2.0)


def _trapz(y, x=None, *, dx=None, dim=-1):
    return _trapezoid(y, x, dx=dx, dim=dim, _name="trapz")


def _cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    d, dxs, xv = _integration_args("cumulative_trapezoid", y, x, dx, dim)
    right, left = _pairs(y, d)
    if xv is None:
        return _by_number("mul", left + right, dxs / 2.0).cumsum(d)
    return _by_number("div", ((left + right) * _dx_from(xv, d)).cumsum(d), 2.0)


def _trapezoid_samples(dtype, device):
    y = _mk((3, 4), dtype, device, 192)
    x = _mk((4,), dtype, device, 193, 0.0, 3.0)
    return [((y,), {}), ((y,), {"dx": 0.5, "dim": 0}), ((y, x), {}), ((y, _mk((3, 1), dtype, device, 194)), {"dim": 0}),
            ((y, _mk((3, 4), dtype, device, 195)), {"dim": 1})]


def _trapezoid_reference(y, x=None, dx=None, dim=-1):
    return np.trapezoid(y, x, dx=1.0 if dx is None else dx, axis=dim) if hasattr(np, "trapezoid") else \
        np.trapz(y, x, dx=1.0 if dx is None else dx, axis=dim)


def _cumulative_trapezoid_reference(y, x=None, dx=None, dim=-1):
    y = np.moveaxis(y, dim, -1)
    if x is None:
        steps = np.full(y.shape[-1] - 1, 1.0 if dx is None else dx)
    else:
        x = np.broadcast_to(np.moveaxis(x, dim, -1) if x.ndim == y.ndim else x, x.shape if x.ndim == 1 else y.shape)
        steps = np.diff(x, axis=-1)
    return np.moveaxis(np.cumsum(steps * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1), -1, dim)


defop("trapezoid", frontend=lambda op: _trapezoid, method=False, composite=True, samples=_trapezoid_samples,
      reference=_trapezoid_reference)
defop("trapz", frontend=lambda op: _trapz, method=False, composite=True, samples=_trapezoid_samples,
      reference=_trapezoid_reference)
defop("cumulative_trapezoid", frontend=lambda op: _cumulative_trapezoid, method=False, composite=True,
      samples=_trapezoid_samples, reference=_cumulative_trapezoid_reference)

# the ops this module declares (tests check each differentiable one has a formula)
SCAN_OPS = CORE_OPS[_FIRST:]
