"""Fused activations: forward and derivative written against ``xp``, declared as ops by
``activation_builders._pointwise``, and rrelu (leaky_relu with a random slope). softmax/log_softmax
(``softmax.py``), prelu and glu (``prelu_glu.py``) and the argument checks (``activation_args.py``)
have files of their own; the names other modules read from this one are imported here again."""
from __future__ import annotations

import math

import numpy as np

from ._common import formula, gs, nnop, record, wrap
from .activation_args import check_tensor
from .activation_builders import _REAL, _backward_op, _one_minus, _pointwise, _result_alias, _scalar_op, _sig
# (read from this module by activation_api and the other frontends)
from .activation_args import int_arg, number_arg, type_name  # noqa: F401
from .activation_builders import saved_by_inplace  # noqa: F401
from tensorgraft.dtypes import float64 as tg_float64
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.ops.elementwise.branch_free import clamp, drop_where, keep_where, select
from tensorgraft.ops.elementwise.blocked import in_blocks
from .special import erf, erf_float32


# ---------------------------------------------------------------- definitions
# Each activation: forward ``_<name>_f(xp, x, *params)``, derivative times the gradient
# ``_<name>_b(xp, x, g, *params)``, and, for the smooth ones, ``_<name>_dd(x, g, gg, *params)``:
# gg * g * f''(x), the gradient of that derivative for x (tensorgraft ops: differentiable again).
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715
_INV_SQRT2 = 1 / math.sqrt(2.0)
_INV_SQRT2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_f(xp, x, approximate):
    if approximate == "tanh":
        k = x.dtype.type(_GELU_K)
        return 0.5 * x * (1.0 + xp.tanh(k * (x + _GELU_C * x * x * x)))
    if xp is np and x.dtype == np.float32:
        return in_blocks(_gelu_float32, x)
    return 0.5 * x * (1.0 + erf(xp, x * x.dtype.type(_INV_SQRT2)))


def _gelu_float32(x):
    # x * 0.5 * (1 + erf(x / sqrt 2)) in place, grouped as PyTorch's float32 kernel
    one_plus_erf = erf_float32(x * np.float32(_INV_SQRT2))
    one_plus_erf += np.float32(1)
    out = x * np.float32(0.5)
    out *= one_plus_erf
    return out


def _gelu_grad_float32(x, g):
    # g * (cdf + x * pdf), in place, erf as the forward's
    cdf = erf_float32(x * np.float32(_INV_SQRT2))
    cdf += np.float32(1)
    cdf *= np.float32(0.5)
    d = np.square(x)
    d *= np.float32(-0.5)
    np.exp(d, out=d)
    d *= np.float32(_INV_SQRT2PI)
    d *= x
    d += cdf
    d *= g
    return d


def _gelu_b(xp, x, g, approximate):
    if approximate == "tanh":
        t = xp.tanh(_GELU_K * (x + _GELU_C * x * x * x))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_K * (1.0 + 3 * _GELU_C * x * x)
        return (g * d).astype(x.dtype, copy=False)
    if xp is np and x.dtype == np.float32 and g.dtype == np.float32 and g.shape == x.shape:
        return in_blocks(_gelu_grad_float32, x, g)
    cdf = 0.5 * (1.0 + erf(xp, x * x.dtype.type(_INV_SQRT2)))
    pdf = xp.exp(-0.5 * x * x) * x.dtype.type(_INV_SQRT2PI)
    return g * (cdf + x * pdf)


def _gelu_dd(x, g, gg, approximate):
    if approximate == "tanh":
        # f = x (1 + tanh u) / 2 with u = k (x + c x^3)
        du = _GELU_K * (1.0 + 3 * _GELU_C * x * x)
        t = (_GELU_K * (x + _GELU_C * x * x * x)).tanh()
        sech2 = 1.0 - t * t
        return gg * g * (sech2 * (du + 0.5 * x * (6 * _GELU_K * _GELU_C * x - 2.0 * t * du * du)))
    # gg g pdf (2 - x^2), expanded as PyTorch's formula: (gg g) (2 pdf - x^2 pdf), each pdf its own
    # exp(-x^2 / 2) / sqrt(2 pi) of Scalar products (the nodes its graph shows)
    def pdf():
        return _scalar_op("mul", "MulBackward1", _scalar_op("mul", "MulBackward1", x * x, -0.5).exp(), _INV_SQRT2PI)
    return gg * g * (_scalar_op("mul", "MulBackward1", pdf(), 2.0) - x * x * pdf())


gelu_op = _pointwise("gelu", _gelu_f, _gelu_b, "GeluBackward0", kinds=_REAL,
                     double=("GeluBackwardBackward0", _gelu_dd), saved=("approximate",))


def _in_place_ok(x, g=None):
    """Whether the kernels below may write their steps in place: a NumPy/CuPy float array of 1 or
    more dims (a 0-d array's ufunc results are scalars) and, for a gradient, one of its shape and
    dtype (a batched or promoted one keeps the out-of-place formula). bfloat16 (kind "V") and
    complex inputs keep it too: their scalar promotions differ."""
    return x.ndim > 0 and x.dtype.kind == "f" and (g is None or (g.shape == x.shape and g.dtype == x.dtype))


def _sigmoid_into_new(xp, x):
    """``1.0 / (1.0 + exp(-x))`` (``_sig``'s operations, operands in its order, so its bits, NaN
    signs included) in one new buffer, each step written in place: a layer's activation then costs
    one allocation instead of four."""
    t = xp.negative(x)
    xp.exp(t, out=t)
    xp.add(1.0, t, out=t)
    return xp.divide(1.0, t, out=t)


def _silu_f(xp, x):
    if not _in_place_ok(x):
        return x * _sig(xp, x)
    if xp is np:  # (a block at a time: its five passes then run in cache, 3.1 -> 2.5 ms on 2M values)
        return in_blocks(_silu_in_place, x)
    return _silu_in_place(x, xp)


def _silu_in_place(x, xp=np):
    t = _sigmoid_into_new(xp, x)
    return xp.multiply(x, t, out=t)


def _silu_b(xp, x, g):
    if not _in_place_ok(x, g):
        s = _sig(xp, x)
        return g * (s * (1.0 + x * (1.0 - s)))
    if xp is np:  # (a block at a time: 5.4 -> 3.8 ms on 2M values)
        return in_blocks(_silu_grad_in_place, x, g)
    return _silu_grad_in_place(x, g, xp)


def _silu_grad_in_place(x, g, xp=np):
    # g * (s * (1.0 + x * (1.0 - s))) in two buffers, each operation's operands in that order
    s = _sigmoid_into_new(xp, x)
    t = xp.subtract(1.0, s)
    xp.multiply(x, t, out=t)
    xp.add(1.0, t, out=t)
    xp.multiply(s, t, out=t)
    return xp.multiply(g, t, out=t)


def _silu_tg(x, g):
    # grouped as PyTorch's composite, whose nodes a gradient taken with create_graph=True shows
    from .nn_aten_nodes import add_scalar
    s = x.sigmoid()
    return g * s * add_scalar(x * _one_minus(s), 1.0)


silu_op = _pointwise("silu", _silu_f, _silu_b, "SiluBackward0", tg_bwd=_silu_tg)


def _opmath(x):
    """Half and bfloat16 compute in float32 (ATen's opmath), so an exp that fits there does not overflow."""
    return x.astype("float32") if _np_kind(x.dtype) == "f" and x.dtype.itemsize < 4 else x


def _exp_overflows_from(dt):
    """Just below where ``exp`` overflows in ``dt`` (88.7 in float32, 709.8 in float64)."""
    return float(np.log(np.finfo(dt).max)) - 1.0


def _softplus_f(xp, x, beta, threshold):
    bx = _opmath(x) * beta
    # log(1 + e^bx) = log1p(e^-|bx|) + max(bx, 0) never overflows; dividing max(bx, 0) (not
    # max(x, 0)) by beta keeps it right for a negative beta too
    smooth = xp.log1p(xp.exp(-xp.abs(bx))) / beta + clamp(xp, bx, lo=bx.dtype.type(0)) / beta
    if beta == 0 or threshold > _exp_overflows_from(bx.dtype):
        # but PyTorch evaluates log1p(exp(bx)) / beta as written: beta=0 gives log(2)/0 = inf
        # everywhere, and an exp that overflows below a large threshold gives inf (x=100 with
        # threshold=1000); that form where it can differ
        near = bx > _exp_overflows_from(bx.dtype)
        if beta == 0:
            near = xp.ones_like(near)
        smooth = xp.where(near, xp.log1p(xp.exp(bx)) / beta, smooth)
    return select(xp, bx > threshold, x, smooth.astype(x.dtype, copy=False))


def _softplus_b(xp, x, g, beta, threshold):
    bx = _opmath(x) * beta
    curve = _opmath(g) * _sig(xp, bx)
    if threshold > _exp_overflows_from(bx.dtype):
        # PyTorch's z / (z + 1), z = exp(bx): NaN where z overflows below the threshold
        z = xp.exp(bx)
        curve = xp.where(xp.isinf(z), xp.asarray(np.nan, dtype=curve.dtype), curve)
    return select(xp, bx > threshold, g, curve.astype(g.dtype, copy=False)).astype(x.dtype, copy=False)


def _softplus_dd(x, g, gg, beta, threshold):
    # beta gg g s (1 - s) below the threshold, s = sigmoid(beta x): sigmoid_backward of gg g,
    # masked, times beta, which is how PyTorch's graph shows it (SigmoidBackwardBackward0 inside)
    from tensorgraft.ops.elementwise import sigmoid_backward
    bx = _scalar_op("mul", "MulBackward1", x, beta)
    curve = sigmoid_backward.frontend(gg * g, bx.sigmoid()) * (bx <= threshold)
    return _scalar_op("mul", "MulBackward1", curve, beta)


softplus_op = _pointwise("softplus", _softplus_f, _softplus_b, "SoftplusBackward0", kinds=_REAL,
                         double=("SoftplusBackwardBackward0", _softplus_dd), saved=("beta", "threshold"))


def _mish_f(xp, x):
    return x * xp.tanh(_softplus_f(xp, x, 1.0, 20.0))


def _mish_b(xp, x, g):
    t = xp.tanh(_softplus_f(xp, x, 1.0, 20.0))
    return g * (t + x * (1.0 - t * t) * _sig(xp, x))


def _mish_tg(x, g):
    # PyTorch's composite: tanh(log1p(exp x)) + x sigmoid(x) (1 - t^2), grouped as its graph shows
    # (exp overflowing to inf for large x still gives t = 1, so no threshold is needed)
    # nodes created in PyTorch's order (the engine runs the newest first): sigmoid, then
    # exp/log1p/tanh, then 1 - t*t, then x*s
    s = x.sigmoid()
    t = x.exp().log1p().tanh()
    u = _one_minus(t * t)
    return g * (t + x * s * u)


mish_op = _pointwise("mish", _mish_f, _mish_b, "MishBackward0", tg_bwd=_mish_tg, kinds=_REAL)


def _elu_f(xp, x, alpha, scale, input_scale):
    # the exponential side is computed everywhere and kept where x <= 0 (or NaN): no clamp of x to
    # the negative side first, so elu(-0.) is -0. on every NumPy (PyTorch's), and what the large
    # positive x overflow to is not selected
    negative_side = (xp.expm1(x * input_scale) * (alpha * scale)).astype(x.dtype, copy=False)
    return select(xp, x > 0, (x * scale).astype(x.dtype, copy=False), negative_side)


def _elu_b(xp, x, g, alpha, scale, input_scale, is_result=False):
    # tested as x > 0 so that a NaN input takes the exponential branch and gets a NaN gradient,
    # as PyTorch's vectorized kernel gives it
    if is_result:  # x is the result of the in-place variant: f' = input_scale * (f + alpha * scale) there
        exponential_side = (x + alpha * scale) * input_scale
    else:
        exponential_side = xp.exp(clamp(xp, x, hi=x.dtype.type(0)) * input_scale) * (alpha * scale * input_scale)
    d = select(xp, x > 0, x.dtype.type(scale), exponential_side.astype(x.dtype, copy=False))
    return (g * d).astype(x.dtype, copy=False)


def _elu_dd(x, g, gg, alpha, scale, input_scale, is_result=False):
    if is_result:  # d f'/d f = input_scale on the exponential side (grouped as PyTorch's graph)
        return _scalar_op("mul", "MulBackward1", gg, input_scale) * (g * (x <= 0))
    # f'' = input_scale f' on the exponential side: elu_backward of gg g input_scale, masked, which
    # is how PyTorch's graph shows it (EluBackwardBackward0 again, under a product)
    from tensorgraft.registry import registry
    elu_backward = registry.ops["nn.elu_backward"].frontend
    return elu_backward(x, _scalar_op("mul", "MulBackward1", gg * g, input_scale), alpha, scale, input_scale) * (x <= 0)


_INPLACE_ELU = ("In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
                "caused by calling in-place forward function with a negative slope, please call out-of-place version "
                "instead.")
elu_op = _pointwise("elu", _elu_f, _elu_b, "EluBackward0", kinds=_REAL, double=("EluBackwardBackward0", _elu_dd),
                    inplace_check=lambda alpha, scale, input_scale: _INPLACE_ELU if alpha < 0 else None,
                    saved=("alpha", ("scale", "Elu", True), ("input_scale", "Elu", True)))


def _leaky_f(xp, x, slope):
    scaled = x * x.dtype.type(slope)
    if 0 < slope <= 1 and _np_kind(x.dtype) == "f":
        # the larger of x and slope * x is x where x > 0 and slope * x elsewhere (NaN stays NaN,
        # -0. stays -0.): two vectorised passes instead of a select (not for a slope of 0, where
        # inf * 0 is NaN); into the product's own buffer where it is one (not a 0-d scalar)
        return xp.maximum(x, scaled, out=scaled) if x.ndim else xp.maximum(x, scaled)
    return select(xp, x > 0, x, scaled)


def _leaky_b(xp, x, g, slope, is_result=False):
    # (from the in-place variant's result, ``is_result``: the same test, its slope being >= 0)
    if xp is np and _in_place_ok(x, g) and g.__class__ is np.ndarray:
        if 0 <= slope <= 1:
            # g times the factor 1 (x > 0) or slope (elsewhere, NaN included), the factor being
            # the larger of the mask as 0./1. and the slope: three passes in one buffer, the same
            # products (slope * g, 1 * g) to the bit (1024 x 512: 1.1 -> 0.75 ms beside the
            # select below, which stays for slopes outside [0, 1]); half in float32, as below
            d = np.greater(x, 0, out=np.empty(g.shape, _opmath(g[:0]).dtype))
            np.maximum(d, d.dtype.type(slope), out=d)
            d *= g
            return d if d.dtype == g.dtype else d.astype(g.dtype)
        # a layer's worth: the mask and the blend's integer temporaries stay in cache a block at a
        # time (1024 x 512: 0.92 -> 0.60 ms)
        return in_blocks(lambda xb, gb: _leaky_grad(xp, xb, gb, slope), x, g)
    return _leaky_grad(xp, x, g, slope)


def _leaky_grad(xp, x, g, slope):
    # slope * g in float32 for half, rounded once (ATen's opmath: its forward rounds the slope
    # to half first, its backward does not)
    scaled = _opmath(g) * np.float32(slope) if g.dtype == np.float16 else g * g.dtype.type(slope)
    return select(xp, x > 0, g, scaled.astype(g.dtype, copy=False))


_INPLACE_LEAKY = ("In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
                  "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                  "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
                  "in-place leakRelu backward calculation with negative slope")
leaky_relu_op = _pointwise("leaky_relu", _leaky_f, _leaky_b, "LeakyReluBackward0", kinds=_REAL,
                           double=("LeakyReluBackwardBackward0",),
                           inplace_check=lambda slope: _INPLACE_LEAKY if slope < 0 else None,
                           saved=("negative_slope",))


def _threshold_f(xp, x, threshold, value):
    # x <= threshold selects the value, so NaN stays NaN (and gets the gradient), as PyTorch's
    return xp.where(x <= threshold, x.dtype.type(value), x)


def _threshold_b(xp, x, g, threshold, value):
    return drop_where(xp, x <= threshold, g)


threshold_op = _pointwise("threshold", _threshold_f, _threshold_b, "ThresholdBackward0", kinds="fiu",
                          double=("ThresholdBackwardBackward0",))


def _hardtanh_f(xp, x, lo, hi):
    if _np_kind(x.dtype) in "iu":
        lo, hi = int(lo), int(hi)  # integer inputs clamp to the bounds truncated toward zero
    return xp.clip(x, lo, hi).astype(x.dtype, copy=False)


def _hardtanh_b(xp, x, g, lo, hi):
    return keep_where(xp, (x > lo) & (x < hi), g)


hardtanh_op = _pointwise("hardtanh", _hardtanh_f, _hardtanh_b, "HardtanhBackward0", kinds="fiu",
                         double=("HardtanhBackwardBackward0",), saved=("min_val", "max_val"))


def _hardswish_f(xp, x):
    if xp is np and x.__class__ is np.ndarray and _np_kind(x.dtype) == "f":
        # x * clip(x + 3, 0, 6) / 6 in one temporary (the same operations in the same order)
        r = x + x.dtype.type(3.0)
        r = clamp(np, r, x.dtype.type(0.0), x.dtype.type(6.0), out=r)
        r *= x
        r /= x.dtype.type(6.0)
        return r
    return x * xp.clip(x + 3.0, 0.0, 6.0).astype(x.dtype, copy=False) / x.dtype.type(6.0)


# at the kinks PyTorch takes the outer pieces: 0 at x = -3, 1 at x = 3
def _hardswish_b(xp, x, g):
    # the middle branch last, so a NaN input gets a NaN gradient (PyTorch's vectorized kernel)
    middle = drop_where(xp, x <= -3.0, (x / 3.0 + 0.5).astype(x.dtype, copy=False))
    return g * select(xp, x >= 3.0, middle.dtype.type(1), middle)


def _hardswish_dd(x, g, gg):
    import tensorgraft as tg
    middle = (x > -3.0).logical_and(x < 3.0)
    return tg.where(middle, _scalar_op("div", "DivBackward1", gg * g, 3.0), 0.0)


hardswish_op = _pointwise("hardswish", _hardswish_f, _hardswish_b, "HardswishBackward0", kinds=_REAL,
                          double=("HardswishBackwardBackward0", _hardswish_dd))


def _hardsigmoid_f(xp, x):
    return xp.clip(x / x.dtype.type(6.0) + x.dtype.type(0.5), 0.0, 1.0).astype(x.dtype, copy=False)


# PyTorch's kernel multiplies by 1/6 taken in float32, for float64 too (checked bit for bit)
_ONE_SIXTH = float(np.float32(1.0 / 6.0))


def _hardsigmoid_b(xp, x, g):
    return keep_where(xp, (x > -3.0) & (x < 3.0), g * g.dtype.type(_ONE_SIXTH))


# PyTorch has no derivative of hardsigmoid's backward: its gradient is a node that raises if reached
hardsigmoid_op = _pointwise("hardsigmoid", _hardsigmoid_f, _hardsigmoid_b, "HardsigmoidBackward0", kinds=_REAL,
                            double=("NotImplemented",))


def _logsigmoid_f(xp, x):
    return -(xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x))))


def _logsigmoid_b(xp, x, g):
    return g * _sig(xp, -x)


def _logsigmoid_dd(x, g, gg):
    # gg g (s - 1) s, grouped as PyTorch's formula (its graph: SubBackward1, then two products)
    s = x.sigmoid()
    return gg * g * _scalar_op("sub", "SubBackward1", s, 1.0) * s


logsigmoid_op = _pointwise("log_sigmoid", _logsigmoid_f, _logsigmoid_b, "LogSigmoidBackward0", kinds=_REAL,
                           double=("LogSigmoidBackwardBackward0", _logsigmoid_dd))


# hardshrink/softshrink: NaN passes through the forward (the "inside" test is false) but gets no
# gradient (the "outside" test is false too), as PyTorch's kernels
def _hardshrink_f(xp, x, lambd):
    return xp.where((x >= -lambd) & (x <= lambd), xp.zeros((), x.dtype), x)


def _shrink_b(xp, x, g, lambd):
    return keep_where(xp, (x > lambd) | (x < -lambd), g)


hardshrink_op = _pointwise("hardshrink", _hardshrink_f, _shrink_b, "HardshrinkBackward0", kinds=_REAL,
                           double=("HardshrinkBackwardBackward0",), saved=("lambd",))


def _softshrink_f(xp, x, lambd):
    # the shrunk band keeps the input's sign (PyTorch prints -0. for a small negative input)
    return xp.where(xp.abs(x) <= lambd, x * 0, x - xp.sign(x) * x.dtype.type(lambd))


softshrink_op = _pointwise("softshrink", _softshrink_f, _shrink_b, "SoftshrinkBackward0", kinds=_REAL,
                           double=("SoftshrinkBackwardBackward0",), saved=("lambd",))


# softmax/log_softmax register here, after the pointwise activations and before rrelu: the order
# nn's ops and formulas have always been registered in
from .softmax import log_softmax_op, softmax_op  # noqa: E402,F401


# ---------------------------------------------------------------- rrelu
def _rrelu_k(xp, x, r, slope):
    """Training: ``r`` holds uniform draws in [lower, upper]; the slope (the saved "noise") is the
    draw where x <= 0 and 1 elsewhere, as ATen's ``rrelu_with_noise``. Eval: leaky_relu with the
    mean slope (no noise)."""
    if r is None:
        return xp.where(x > 0, x, x * x.dtype.type(slope)), None
    noise = xp.where(x <= 0, r, xp.ones((), x.dtype))
    return x * noise, noise


def rrelu_op(input, lower, upper, training, inplace=False, generator=None):
    check_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    a = input._data
    if _np_kind(a.dtype) != "f":
        kernel = "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu"
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(a.dtype)}'")
    r = None
    if training:
        # drawn on the input's device, by ``generator`` (torch.rrelu's) or that device's default one:
        # one double for each element <= 0, in memory order, rounded to the input's precision, as
        # PyTorch's CPU kernel draws (so the slopes, and the generator's state after, are PyTorch's)
        from tensorgraft.device import get_backend
        from tensorgraft.ops.creation import empty
        xp = get_backend(input._device).xp
        negative = (a <= 0).reshape(a.shape)  # (ascontiguousarray would make a 0-d input 1-d)
        count = int(negative.sum())
        draws = empty((count,), dtype=tg_float64, device=input.device).uniform_(lower, upper,
                                                                               generator=generator)._data
        r = xp.zeros(a.shape, a.dtype)
        r[negative] = draws.astype(a.dtype)
    out, noise = _RRELU.table[input._device.type](a, r, (lower + upper) / 2)
    res = wrap(out, input._device)
    if input._requires_grad and gs.enabled:
        record(_RRELU, res, (input,), {"noise": noise, "lower": lower, "upper": upper, "training": training},
               node_name="RreluWithNoiseBackward1" if inplace else None)
    return res


_RRELU = nnop("rrelu_with_noise", _rrelu_k, rrelu_op, node="RreluWithNoiseBackward0")


def _rrelu_b(xp, x, g, noise, lower, upper, training):
    if training and upper - lower > 1e-6:
        return g * noise
    # eval, or a range too narrow to be random: leaky_relu's derivative with the mean slope
    return _leaky_b(xp, x, g, (lower + upper) / 2)


_RRELU_BACKWARD = _backward_op("rrelu_with_noise", _rrelu_b, "RreluWithNoiseBackwardBackward0")


@formula("rrelu_with_noise", saves=(0,))
def _rrelu_grad(node, g):
    x = node.inputs[0]
    a = node.attrs
    args = (a["noise"], a["lower"], a["upper"], a["training"])
    if gs.enabled:
        if node.name() == "RreluWithNoiseBackward1":
            # the in-place variant differentiates from its result, so the gradient's node hangs
            # on this node (as PyTorch's); the result has x's sign, so the same masks apply
            from tensorgraft.device import get_backend
            xp = get_backend(x._device).xp
            res = x._data * a["noise"] if a["noise"] is not None else _leaky_f(xp, x._data, (a["lower"] + a["upper"]) / 2)
            x = _result_alias(node, res, x._device)
        return (_RRELU_BACKWARD(x, g, *args),)
    from tensorgraft.device import get_backend
    return (wrap(_rrelu_b(get_backend(x._device).xp, x._data, g._data, *args), g._device),)


# prelu and glu register last, as they always have
from .prelu_glu import glu_op, prelu_backward_op, prelu_op  # noqa: E402,F401
