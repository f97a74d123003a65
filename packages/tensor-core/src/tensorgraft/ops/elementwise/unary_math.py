"""One-tensor math ops: neg/negative, abs/absolute, sign/sgn, exp/log/sqrt and their variants,
rsqrt, reciprocal, square, the trigonometric and hyperbolic functions, sigmoid and relu, with
relu's backward op (``threshold_backward``), which its gradient formula calls.

Most are a ``unary(...)`` line over a NumPy ufunc; the hand-written kernels give PyTorch's errors
for the dtypes PyTorch refuses (bool negation, complex sign)."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .._define import defop, unary
from ._samples import _sx


_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
             "use the `~` or `logical_not()` operator instead.")


def _neg_kernel(xp, a):
    try:
        return xp.negative(a)
    except TypeError:
        if a.dtype.kind == "b":
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
    if a.dtype.kind == "b":  # PyTorch has no bool kernel; NumPy's absolute returns the bools
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return xp.absolute(a)


unary("abs", kernel=_abs_kernel, dunders=("__abs__",))
unary("absolute", kernel=_abs_kernel)
def _sign_kernel(xp, a):
    if a.dtype.kind == "b":
        return a.copy()
    r = xp.sign(a)
    if a.dtype.kind == "f":
        r = xp.where(r != r, xp.zeros((), r.dtype), r)  # PyTorch: sign(nan) == 0
    return r


def _sign_real_kernel(xp, a):
    if a.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    return _sign_kernel(xp, a)


def _sgn_kernel(xp, a):
    if a.dtype.kind == "c":  # z / |z| (0 at 0), whatever NumPy's own complex sign convention
        m = xp.abs(a)
        return xp.where(m == 0, xp.zeros((), a.dtype), a / xp.where(m == 0, xp.ones((), m.dtype), m))
    return _sign_kernel(xp, a)


unary("sign", kernel=_sign_real_kernel)
unary("sgn", kernel=_sgn_kernel)
unary("exp", "exp", to_float=True)
unary("exp2", "exp2", to_float=True)
unary("expm1", "expm1", to_float=True)
unary("log", "log", to_float=True)
unary("log2", "log2", to_float=True)
unary("log10", "log10", to_float=True)
unary("log1p", "log1p", to_float=True)
unary("sqrt", "sqrt", to_float=True)
unary("rsqrt", kernel=lambda xp, a: 1.0 / xp.sqrt(a), to_float=True)
unary("reciprocal", kernel=lambda xp, a: 1.0 / a, to_float=True)
unary("square", kernel=lambda xp, a: (a.astype(np.int64) if a.dtype.kind == "b" else a) ** 2,
      node="PowBackward0")
unary("sin", "sin", to_float=True)
unary("cos", "cos", to_float=True)
unary("tan", "tan", to_float=True)
unary("asin", "arcsin", to_float=True)
unary("acos", "arccos", to_float=True)
unary("atan", "arctan", to_float=True)
unary("sinh", "sinh", to_float=True)
unary("cosh", "cosh", to_float=True)
unary("tanh", "tanh", to_float=True)
unary("asinh", "arcsinh", to_float=True)
unary("acosh", "arccosh", to_float=True)
unary("atanh", "arctanh", to_float=True)
# tanh form of the logistic function: no overflow for large |x|, exact in the tails.
unary("sigmoid", kernel=lambda xp, a: 0.5 * (1.0 + xp.tanh(0.5 * a)), to_float=True)
def _relu_kernel(xp, a):
    if a.dtype.kind in "bc":  # NumPy would keep bools as they are, and order complex numbers
        if a.dtype.kind == "c":  # PyTorch's relu is a clamp, which words the refusal
            raise NotImplementedError("clamp is not supported for complex types")
        raise RuntimeError("Boolean inputs not supported for relu")
    return xp.maximum(a, 0)


unary("relu", kernel=_relu_kernel)


# --------------------------------------------------------------------------- relu's backward
# ``threshold_backward(grad, x, t)``: exactly 0 where x <= t (also where grad is inf or NaN, which
# a multiplication by the 0/1 mask would turn into NaN), else grad. Written as "not x <= t" rather
# than "x > t" because PyTorch passes the gradient where x is NaN (relu(nan) = nan has grad 1).
# PyTorch's op of the same name, so a double backward through relu records ThresholdBackwardBackward0.
def _threshold_backward_kernel(xp, g, x, threshold):
    flat = x <= threshold
    if xp is np and g.dtype.kind == "f" and g.shape == flat.shape:
        # np.where branches per element and is ~15x slower than a multiply on a random mask;
        # and-ing the bits with an all-ones/all-zeros mask (flat - 1: 0 or -1) is branch-free
        ints = np.dtype(f"i{g.dtype.itemsize}")
        return np.bitwise_and(g.view(ints), np.subtract(flat.view(np.uint8), 1, dtype=ints)).view(g.dtype)
    return xp.where(flat, xp.zeros((), g.dtype), g)


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
