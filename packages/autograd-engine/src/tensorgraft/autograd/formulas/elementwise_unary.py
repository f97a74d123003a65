"""Gradients of the one-input elementwise math functions: exp/log families, roots, trigonometric
and hyperbolic functions, sigmoid/tanh/relu (and their backward ops, for double backward), abs/sgn,
the piecewise-constant roundings, erf, gamma functions, logit, sinc."""
from __future__ import annotations

import tensorgraft as tg
from tensorgraft.ops.elementwise import sigmoid_backward as _SIGMOID_BACKWARD
from tensorgraft.ops.elementwise import tanh_backward as _TANH_BACKWARD

from . import batched_of, formula
from .elementwise_common import _cj, _one_minus, _pow_grads, _scalar_overload, _threshold_backward

# The formulas below are written in the order and with the ops of PyTorch's derivatives (their C++
# numbers are ATen's Scalar overloads: ``x * 2`` records MulBackward1, ``x + 1`` AddBackward1), so
# that a graph built with create_graph=True shows PyTorch's nodes and rounds as PyTorch's does.


def _times(t, number):
    return _scalar_overload("mul", "MulBackward1", t, number)


def _plus(t, number):
    return _scalar_overload("add", "AddBackward1", t, number)


def _sq(t):
    # PyTorch's ``t.pow(2)`` (PowBackward0); a complex one squares as t * t, the product ATen's pow
    # kernel computes for the exponent 2 (tensorgraft's complex pow rounds otherwise)
    return t.pow(2) if t._data.dtype.kind != "c" else t * t


@formula("exp", saves=(), saves_output=True, batched=True)
def exp(node, g):
    return (g * _cj(node.output),)


@formula("exp2", saves=(), saves_output=True, batched=True)
def exp2(node, g):
    return (_times(g * _cj(node.output), 0.6931471805599453),)


@formula("expm1", saves=(), saves_output=True, batched=True)
def expm1(node, g):
    return (g * _cj(_plus(node.output, 1)),)


@formula("log", batched=True)
def log(node, g):
    return (g / _cj(node.inputs[0]),)


@formula("log2", batched=True)
def log2(node, g):
    return (g / _cj(_times(node.inputs[0], 0.6931471805599453)),)


@formula("log10", batched=True)
def log10(node, g):
    return (g / _cj(_times(node.inputs[0], 2.302585092994046)),)


@formula("log1p", batched=True)
def log1p(node, g):
    return (g / _cj(_plus(node.inputs[0], 1)),)


@formula("sqrt", saves=(), saves_output=True, batched=True)
def sqrt(node, g):
    # g / (2 * result), the product a Scalar one (MulBackward1 under create_graph, as PyTorch's)
    return (g / _scalar_overload("mul", "MulBackward1", _cj(node.output), 2),)


@formula("rsqrt", saves=(), saves_output=True, batched=True)
def rsqrt(node, g):
    # -0.5 * g * result ** 3, as PyTorch's (MulBackward1 and PowBackward0 under create_graph)
    return (_scalar_overload("mul", "MulBackward1", g, -0.5) * _cj(node.output.pow(3)),)


@formula("reciprocal", saves=(), saves_output=True, batched=True)
def reciprocal(node, g):
    out = node.output
    return (-g * _cj(out * out),)


@formula("square", batched=True)
def square(node, g):
    # square is pow(x, 2) in PyTorch: the same formula, so that g * 2 * x**1 keeps the graph to x
    # for the third derivative (zeros, not "not used in the graph") and every order matches x ** 2
    return _pow_grads(g, node.inputs[0], 2, True, False)[:1]


square.saved_defaults = {"exponent": 2}  # its PowBackward0 shows ``_saved_exponent`` 2, as x ** 2's


@formula("sin", batched=True)
def sin(node, g):
    return (g * _cj(node.inputs[0].cos()),)


@formula("cos", batched=True)
def cos(node, g):
    return (g * _cj(-node.inputs[0].sin()),)


@formula("tan", saves=(), saves_output=True, batched=True)
def tan(node, g):
    return (g * _cj(_plus(_sq(node.output), 1)),)


def _complex_pole(r, x, d):
    """At the branch points (z = +-1) PyTorch's complex gradients multiply by rsqrt(0) = NaN + NaNj
    (c10::complex division by zero), where dividing by 0 gives inf here; real ones stay inf."""
    if x._data.dtype.kind != "c":
        return r
    pole = d == 0
    if not bool(pole.any()):
        return r
    # NaN multiplies the poles only: where(pole, r * nan, r) would send NaN back to every element
    # of r in a second derivative (the unselected branch's gradient is 0 * nan)
    return r * tg.where(pole, float("nan"), 1.0)


@formula("asin", batched=True)
def asin(node, g):
    x = node.inputs[0]
    d = _plus(-x * x, 1)
    return (_complex_pole(g * _cj(d.rsqrt()), x, d),)


@formula("acos", batched=True)
def acos(node, g):
    x = node.inputs[0]
    d = _plus(-x * x, 1)
    return (_complex_pole(g * _cj(-d.rsqrt()), x, d),)


@formula("atan", batched=True)
def atan(node, g):
    x = node.inputs[0]
    return (g / _cj(_plus(x * x, 1)),)


@formula("sinh", batched=True)
def sinh(node, g):
    return (g * _cj(node.inputs[0].cosh()),)


@formula("cosh", batched=True)
def cosh(node, g):
    return (g * _cj(node.inputs[0].sinh()),)


@formula("tanh", saves=(), saves_output=True, batched=True)
def tanh(node, g):
    # one op (PyTorch's tanh_backward): TanhBackwardBackward0 under create_graph, over the gradient
    # and the output; a plain backward is a single kernel call (the product of three ops was slower)
    return (_TANH_BACKWARD.frontend(g, node.output),)


@formula("tanh_backward", batched=True)
def tanh_backward(node, gg):
    # grad_output * (1 - t^2): linear in grad_output (its gradient is tanh_backward again), and
    # -2 t grad_output for t; the same grouping as PyTorch's, whose graph shows these nodes
    go, t = node.inputs
    need_go, need_t = node.needs_input_grad
    d_go = _TANH_BACKWARD.frontend(gg, _cj(t)) if need_go else None
    # (complex t: the kernel is antiholomorphic in t, so conj(gg) * grad_output * conj(f'(t)))
    d_t = _cj(gg) * (_scalar_overload("mul", "MulBackward1", _cj(t), -2) * go) if need_t else None
    return d_go, d_t


@formula("asinh", batched=True)
def asinh(node, g):
    return (g * _cj(_plus(_sq(node.inputs[0]), 1).rsqrt()),)


@formula("acosh", batched=True)
def acosh(node, g):
    x = node.inputs[0]
    if x._data.dtype.kind == "c":
        # sqrt(z - 1) * sqrt(z + 1): sqrt(z*z - 1) has the other sign in half the plane (PyTorch's branch)
        d = (x - 1).sqrt() * (x + 1).sqrt()
        return (_complex_pole(g / _cj(d), x, d),)
    # finite for x < -1 too, as PyTorch
    return (g * _scalar_overload("sub", "SubBackward1", x * x, 1).rsqrt(),)


@formula("atanh", batched=True)
def atanh(node, g):
    return (g / _cj(_one_minus(_sq(node.inputs[0]))),)


@formula("sigmoid", saves=(), saves_output=True, batched=True)
def sigmoid(node, g):
    # one op (PyTorch's sigmoid_backward), as tanh's above
    return (_SIGMOID_BACKWARD.frontend(g, node.output),)


@formula("sigmoid_backward", batched=True)
def sigmoid_backward(node, gg):
    # grad_output * (1 - y) * y: for y, grad_output * (1 - 2y), written (-2 y + 1) with ATen's
    # Scalar overloads as PyTorch's formula, so the graph shows the same nodes
    go, y = node.inputs
    need_go, need_y = node.needs_input_grad
    d_go = _SIGMOID_BACKWARD.frontend(gg, _cj(y)) if need_go else None
    d_y = None
    if need_y:
        slope = _scalar_overload("add", "AddBackward1", _scalar_overload("mul", "MulBackward1", _cj(y), -2), 1)
        d_y = _cj(gg) * go * slope
    return d_go, d_y


@formula("relu", saves=(), saves_output=True, batched=True)
def relu(node, g):
    # an inf or NaN arriving where relu was flat gives 0 there (PyTorch's threshold_backward), not NaN
    return (_threshold_backward(g, node.output, 0),)


@formula("threshold_backward", saves=(1,))
def threshold_backward(node, g):
    # flat in x almost everywhere, but zeros rather than None (PyTorch's zeros_like(grad)): relu's
    # second derivative is then 0 through x, not "x appears to not have been used in the graph"
    x = node.inputs[1]
    gx = tg.zeros_like(x) if node.needs_input_grad[1] else None
    return (_threshold_backward(g, x, node.attrs["threshold"]), gx)


@batched_of(threshold_backward)
def _threshold_backward_batched(node, g):
    x = node.inputs[1]
    gx = g.new_zeros((g.shape[0], *x.shape)) if node.needs_input_grad[1] else None
    return (_threshold_backward(g, x, node.attrs["threshold"]), gx)


@formula("abs", "absolute", node="AbsBackward0", batched=True)
def abs_(node, g):
    x = node.inputs[0]
    return (g * x.sgn(),)  # (SgnBackward0 under create_graph, as PyTorch's; sign for real inputs)


@formula("sgn", saves=(0,), saves_output=True, node="SgnBackward0", batched=True)
def sgn(node, g):
    x = node.inputs[0]
    if x._data.dtype.kind != "c":
        return (g.new_zeros(g.shape),)
    # PyTorch's sgn_backward: (g - sgn^2 conj(g)) / (2|z|), 0 where z == 0
    s, ax = node.output, x.abs()
    r = (g - s * s * g.conj()) / (2 * ax)
    return (tg.where(ax == 0, tg.zeros_like(r), r),)


@formula("sign", "floor", "ceil", "trunc", "fix", "round", saves=(), node={"fix": "TruncBackward0"}, batched=True)
def zero_grad(node, g):
    return (g.new_zeros(g.shape),)  # zeros even where g is inf/NaN (g * 0 would be NaN), as PyTorch


@formula("frac", saves=(), batched=True)
def frac(node, g):
    return (g,)


@formula("erf", batched=True)
def erf(node, g):
    return (_times((-_sq(node.inputs[0])).exp(), 1.1283791670955126) * g,)


@formula("erfc", batched=True)
def erfc(node, g):
    return (_times((-_sq(node.inputs[0])).exp(), -1.1283791670955126) * g,)


@formula("erfinv", saves=(), saves_output=True, batched=True)
def erfinv(node, g):
    # (PyTorch computes erfinv(x) again; its value is the saved result)
    return (_times(_sq(node.output).exp(), 0.886226925452758) * g,)


@formula("nan_to_num", batched=True)
def nan_to_num(node, g):
    return (g * node.inputs[0].isfinite(),)


@formula("logit", batched=True)
def logit(node, g):
    x = node.inputs[0]
    eps = node.attrs["eps"]
    gx = g / (x * _one_minus(x))
    if eps is None or eps < 0:  # no clamping: outside [0, 1] logit is NaN, and so is its gradient (PyTorch's)
        gx = tg.where((x >= 0) & (x <= 1), gx, tg.full_like(gx, float("nan")))
    else:
        gx = tg.where((x >= eps) & (x <= 1 - eps), gx, tg.zeros_like(gx))
    return (gx,)


@formula("sinc", batched=True)
def sinc(node, g):
    x = node.inputs[0]
    px = _times(x, 3.141592653589793)
    sq = _times(x * x, 3.141592653589793)
    d = (px * px.cos() - px.sin()) / sq
    # 0 at x == 0 whatever the gradient (PyTorch masks after multiplying: inf there is no NaN)
    r = g * _cj(d)
    return (tg.where(sq == 0, tg.zeros((), dtype=r.dtype, device=r.device), r),)


@formula("deg2rad", saves=(), batched=True)
def deg2rad(node, g):
    return (_times(g, 0.017453292519943295),)


@formula("rad2deg", saves=(), batched=True)
def rad2deg(node, g):
    return (_times(g, 57.29577951308232),)


@formula("lgamma", batched=True)
def lgamma(node, g):
    return (g * node.inputs[0].digamma(),)


@formula("digamma", batched=True)
def digamma(node, g):
    return (g * tg.polygamma(1, node.inputs[0]),)


@formula("polygamma", batched=True)
def polygamma(node, g):
    return (g * tg.polygamma(node.attrs["n"] + 1, node.inputs[0]),)
