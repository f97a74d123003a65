"""One-tensor math ops: neg/negative, abs/absolute, sign/sgn, exp/log/sqrt and their variants,
rsqrt, reciprocal, square, the trigonometric and hyperbolic functions, sigmoid and relu, with the
backward ops of relu, sigmoid and tanh (``threshold_backward``, ``sigmoid_backward``,
``tanh_backward``), which their gradient formulas call.

Most are a ``unary(...)`` line over a NumPy ufunc; the hand-written kernels give PyTorch's errors
for the dtypes PyTorch refuses (bool negation, complex sign). On the CPU, complex64/complex128
log2, log10, acos, rsqrt, reciprocal, sigmoid and sgn take ``complex_unary``'s kernels, which
repeat PyTorch's formulas (NumPy's complex ufuncs round differently)."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop, unary
from . import branch_free, complex_unary
from ._samples import _sx
from tensorgraft.dtypes import np_kind as _np_kind


_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _neg_kernel(xp, a):
    try:
        return xp.negative(a)
    except TypeError:
        if _np_kind(a.dtype) == "b":
            raise RuntimeError(_NEG_BOOL) from None
        raise


def _neg_cpu(a):
    try:
        return np.negative(a)
    except TypeError:
        return _neg_kernel(np, a)


unary("neg", kernel=_neg_kernel, dunders=("__neg__",), kernels={"cpu": _neg_cpu})
unary("negative", kernel=_neg_kernel, inplace=True, kernels={"cpu": _neg_cpu})
def _abs_kernel(xp, a):
    if _np_kind(a.dtype) == "b":  # PyTorch has no bool kernel; NumPy's absolute returns the bools
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return xp.absolute(a)


unary("abs", kernel=_abs_kernel, dunders=("__abs__",))
unary("absolute", kernel=_abs_kernel)


def _abs_inplace_check(self, *args, **kwargs):
    # (a complex tensor cannot hold its real absolute values: PyTorch refuses before the cast check)
    if _np_kind(self._data.dtype) == "c":
        raise RuntimeError("In-place abs is not supported for complex tensors.")


F.INPLACE_PRECHECKS.update(abs_=_abs_inplace_check, absolute_=_abs_inplace_check)


def _complex_cpu(name, ufunc=None):
    """An op that is one ufunc for every dtype but complex64/complex128, which the CPU computes
    in ``complex_unary`` (PyTorch's formulas, so PyTorch's rounding). ``bf16_native``: the CPU
    table calls the ufunc itself on real dtypes, bfloat16 included, as a plain ufunc op would."""
    ufunc = ufunc or name
    return {"kernel": lambda xp, a: getattr(xp, ufunc)(a),
            "kernels": {"cpu": complex_unary.cpu(name, getattr(np, ufunc))}, "bf16_native": True}


def _sign_kernel(xp, a):
    if _np_kind(a.dtype) == "b":
        return a.copy()
    r = xp.sign(a)
    if _np_kind(a.dtype) == "f":
        r = branch_free.drop_where(xp, r != r, r)  # PyTorch: sign(nan) == 0
    return r


def _sign_real_kernel(xp, a):
    if _np_kind(a.dtype) == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    return _sign_kernel(xp, a)


def _sgn_kernel(xp, a):  # (complex on the CPU: complex_unary.sgn, which rounds as PyTorch's)
    if _np_kind(a.dtype) == "c":  # z / |z| (0 at 0), whatever NumPy's own complex sign convention
        m = xp.abs(a)
        return xp.where(m == 0, xp.zeros((), a.dtype), a / xp.where(m == 0, xp.ones((), m.dtype), m))
    return _sign_kernel(xp, a)


unary("sign", kernel=_sign_real_kernel)
unary("sgn", kernel=_sgn_kernel, kernels={"cpu": complex_unary.cpu("sgn", lambda a: _sign_kernel(np, a))})
unary("exp", "exp", to_float=True)
unary("exp2", "exp2", to_float=True)
unary("expm1", "expm1", to_float=True)
unary("log", "log", to_float=True)
unary("log2", **_complex_cpu("log2"), to_float=True)
unary("log10", **_complex_cpu("log10"), to_float=True)
unary("log1p", "log1p", to_float=True)
unary("sqrt", "sqrt", to_float=True)
unary("rsqrt", kernel=lambda xp, a: 1.0 / xp.sqrt(a),
      kernels={"cpu": complex_unary.cpu("rsqrt", lambda a: 1.0 / np.sqrt(a))}, to_float=True)
unary("reciprocal", kernel=lambda xp, a: 1.0 / a, kernels={"cpu": complex_unary.cpu("reciprocal", lambda a: 1.0 / a)},
      to_float=True)
unary("square", kernel=lambda xp, a: (a.astype(np.int64) if _np_kind(a.dtype) == "b" else a) ** 2,
      node="PowBackward0")
unary("sin", "sin", to_float=True)
unary("cos", "cos", to_float=True)
unary("tan", "tan", to_float=True)
unary("asin", "arcsin", to_float=True)
unary("acos", **_complex_cpu("acos", "arccos"), to_float=True)
unary("atan", "arctan", to_float=True)
unary("sinh", "sinh", to_float=True)
unary("cosh", "cosh", to_float=True)
unary("tanh", "tanh", to_float=True)
unary("asinh", "arcsinh", to_float=True)
unary("acosh", "arccosh", to_float=True)
unary("atanh", "arctanh", to_float=True)
# 1 / (1 + exp(-x)), PyTorch's formula: its rounding is the closest to PyTorch's, and it keeps the
# negative tail (sigmoid(-30) = 9.4e-14 in float32, where the tanh form 0.5 (1 + tanh(x / 2))
# cancels to 0); exp(-x) overflowing to inf for x < -88 (float32) gives the correct 0
def _sigmoid_cpu(a):
    if a.dtype.kind == "c":  # PyTorch's own rounding (complex_unary)
        return complex_unary.sigmoid(a)
    if a.dtype == np.float16:  # computed in float32 as PyTorch's half kernel (exp(11) overflows half)
        return _sigmoid_cpu(a.astype(np.float32)).astype(np.float16)
    if a.ndim == 0:
        return 1.0 / (1.0 + np.exp(-a))
    t = np.negative(a)  # one buffer, reused in place: as fast as the tanh form was
    np.exp(t, out=t)
    t += 1
    return np.divide(1, t, out=t)


unary("sigmoid", kernel=lambda xp, a: 1.0 / (1.0 + xp.exp(-a)), kernels={"cpu": _sigmoid_cpu}, to_float=True)
def _relu_kernel(xp, a):
    if _np_kind(a.dtype) in "bc":  # NumPy would keep bools as they are, and order complex numbers
        if _np_kind(a.dtype) == "c":  # PyTorch's relu is a clamp, which words the refusal
            raise NotImplementedError("clamp is not supported for complex types")
        raise RuntimeError("Boolean inputs not supported for relu")
    # a clamp from below, as PyTorch's relu (-0. stays -0.)
    return branch_free.clamp(xp, a, a.dtype.type(0))


unary("relu", kernel=_relu_kernel)


# --------------------------------------------------------------------------- relu's backward
# ``threshold_backward(grad, x, t)``: exactly 0 where x <= t (also where grad is inf or NaN, which
# a multiplication by the 0/1 mask would turn into NaN), else grad. Written as "not x <= t" rather
# than "x > t" because PyTorch passes the gradient where x is NaN (relu(nan) = nan has grad 1).
# PyTorch's op of the same name, so a double backward through relu records ThresholdBackwardBackward0.
def _threshold_backward_kernel(xp, g, x, threshold):
    # (np.where branches per element: branch_free and-s the bits with a mask instead)
    if (xp is np and g.__class__ is np.ndarray and x.__class__ is np.ndarray and g.dtype in _TB_INTS
            and x.shape == g.shape and g.flags.c_contiguous and x.flags.c_contiguous):
        return _threshold_backward_blocks(g, x, threshold)
    return branch_free.drop_where(xp, x <= threshold, g)


_TB_INTS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
_TB_BLOCK = 65536  # elements: a block's operands and masks stay in the L2 cache


def _threshold_backward_blocks(g, x, threshold):
    """``drop_where(x <= threshold, g)`` block by block: the boolean mask, widened to all-ones or
    zero ints by one int8 subtraction written straight into the result (``(x <= t) - 1``), and-ed
    with ``g``'s bits there. The same bits as the whole-array spelling, 1.1x (one pass fewer) to
    1.5x (the mask's passes in cache instead of memory) faster."""
    ints = _TB_INTS[g.dtype]
    xf, gf = x.reshape(-1), g.reshape(-1).view(ints)
    r = np.empty(gf.size, ints)
    mask = np.empty(min(gf.size, _TB_BLOCK), dtype=bool)
    for s in range(0, gf.size, _TB_BLOCK):
        e = min(s + _TB_BLOCK, gf.size)
        m, rs = mask[:e - s], r[s:e]
        np.less_equal(xf[s:e], threshold, out=m)
        np.subtract(m.view(np.int8), np.int8(1), out=rs, casting="unsafe")  # -1 (all ones) where kept
        rs &= gf[s:e]
    return r.view(g.dtype).reshape(g.shape)


def _threshold_backward_frontend(op):
    table = op.table

    def threshold_backward(grad, input, threshold):
        out = wrap(table[grad._device.type](grad._data, input._data, threshold), grad._device)
        if grad._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (grad, input), {"threshold": threshold})
        return out
    return threshold_backward


def _threshold_backward_samples(dtype, device):
    return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2), 0.0), {}),
            ((_sx((4,), dtype, device, 3), _sx((4,), dtype, device, 4), 0.5), {})]


def _threshold_backward_ref(g, x, threshold):
    return np.where(x <= threshold, 0, g)


threshold_backward = defop("threshold_backward", kernel=_threshold_backward_kernel,
                           frontend=_threshold_backward_frontend, method=False, public=False,
                           samples=_threshold_backward_samples, reference=_threshold_backward_ref, elementwise=False)


# --------------------------------------------------------------------------- sigmoid's and tanh's backward
# ``sigmoid_backward(grad_output, output)`` and ``tanh_backward(grad_output, output)``: the
# derivative written from the saved result, PyTorch's ops of the same names (private there too:
# ``torch.ops.aten`` only), so a gradient taken with create_graph=True records
# SigmoidBackwardBackward0 / TanhBackwardBackward0 over (grad_output, output), as PyTorch's graph.
# sigmoid's kernel rounds as PyTorch's CPU kernel (checked bit for bit): grad * (1 - y) * y left to
# right; PyTorch's tanh kernel computes 1 - t*t with one rounding (a fused multiply-add), see below.
def _sigmoid_backward_kernel(xp, g, y):
    one = _one_of(y)
    if _np_kind(y.dtype) == "c":  # PyTorch's convention for a holomorphic f: grad * conj(f'(z))
        return g * xp.conj((one - y) * y)
    return g * (one - y) * y


def _one_of(a):
    # 1 in ``a``'s dtype: NumPy 1.x computes ``1 - a`` of a 0-d float32 array in float64
    # (value-based casting between two "scalars"); NumPy 2 keeps float32 either way
    return a.dtype.type(1) if a.ndim == 0 else 1


def _tanh_backward_kernel(xp, g, t):
    if _np_kind(t.dtype) == "c":
        return g * xp.conj(_one_of(t) - t * t)
    # (1 - t)(1 + t): where tanh saturates, 1 - fl(t*t) would cancel to a few correct digits;
    # 1 - t is exact there, so this stays within an ulp or two of PyTorch's fused 1 - t*t (which
    # float32 could get exactly through float64, at twice the cost of a plain backward)
    if xp is np and t.ndim and g.dtype == t.dtype and g.shape == t.shape:
        w = np.subtract(1, t)  # one buffer, reused in place (as fast as the plain 1 - t*t form)
        w *= np.add(1, t)
        return np.multiply(g, w, out=w)
    one = _one_of(t)
    return g * ((one - t) * (one + t))


def _output_backward_frontend(op):
    table = op.table

    def frontend(grad_output, output):
        out = wrap(table[grad_output._device.type](grad_output._data, output._data), grad_output._device)
        # recorded when either requires grad: the node hangs on the output too, so a double
        # backward reaches the input through the forward node (as PyTorch's)
        if _gs.enabled and (grad_output._requires_grad or output._requires_grad):
            Tensor._autograd.record(op, out, (grad_output, output), None)
        return out
    frontend.__name__ = op.name
    return frontend


def _output_backward_samples(lo, hi):
    def samples(dtype, device):
        return [((_sx((2, 3), dtype, device, 1), _sx((2, 3), dtype, device, 2, lo, hi)), {}),
                ((_sx((4,), dtype, device, 3), _sx((4,), dtype, device, 4, lo, hi)), {})]
    return samples


sigmoid_backward = defop("sigmoid_backward", kernel=_sigmoid_backward_kernel, frontend=_output_backward_frontend,
                         method=False, public=False, samples=_output_backward_samples(0.05, 0.95),
                         reference=lambda g, y: g * (1 - y) * y, elementwise=False)
tanh_backward = defop("tanh_backward", kernel=_tanh_backward_kernel, frontend=_output_backward_frontend,
                      method=False, public=False, samples=_output_backward_samples(-0.95, 0.95),
                      reference=lambda g, t: g * (1 - t * t), elementwise=False)
