"""Gradients of ``tensorgraft/ops/elementwise.py``. Written with tensorgraft ops, so they are
themselves differentiable (higher-order gradients)."""
from __future__ import annotations

import cmath
import math

import numpy as np

import tensorgraft as tg
from tensorgraft.ops.elementwise import sigmoid_backward as _SIGMOID_BACKWARD
from tensorgraft.ops.elementwise import tanh_backward as _TANH_BACKWARD
from tensorgraft.ops.elementwise import threshold_backward as _THRESHOLD_BACKWARD

from . import formula


def _threshold_backward(g, x, threshold):
    out = _THRESHOLD_BACKWARD.frontend(g, x, threshold)
    if out.grad_fn is None and x.requires_grad and tg.is_grad_enabled():
        # the frontend records only when g requires grad, but PyTorch's node also hangs on x (whose
        # gradient is zeros): without it a double backward from relu to x finds x "not used in the
        # graph" where PyTorch returns zeros, e.g. u_xx of a ReLU network in a PINN
        tg.Tensor._autograd.record(_THRESHOLD_BACKWARD, out, (g, x), {"threshold": threshold})
    return out


def _is_t(x):
    return isinstance(x, tg.Tensor)


def _scalar_overload(op_name, node_name, t, number):
    """``t <op> number`` recorded as ATen's Scalar overload (``MulBackward1``, ``AddBackward1``):
    PyTorch's derivative formulas compute in C++ with Python numbers, and a graph built with
    create_graph=True shows those names; the values and the gradient are the core op's."""
    from tensorgraft.registry import registry
    op = registry.ops[op_name]
    if not (t._requires_grad and tg.is_grad_enabled()):
        return op.frontend(t, number)  # nothing recorded: a plain backward pays one lookup
    with tg.no_grad():
        out = op.frontend(t, number)
    tg.Tensor._autograd.record(op, out, (t, number), {"alpha": 1} if op_name == "add" else None, node_name=node_name)
    return out


# Complex inputs (PyTorch's convention: grad * conj(f'(z)) for a holomorphic f); both helpers leave
# real tensors alone, so the real path is unchanged.
def _cj(t):
    if isinstance(t, tg.Tensor):
        return t.conj() if t._data.dtype.kind == "c" else t
    return t.conjugate() if isinstance(t, complex) else t


def _rc(grad, x):
    """A real input receives the real part of a complex gradient (PyTorch's handle_r_to_c)."""
    if grad is not None and grad._data.dtype.kind == "c" and (not _is_t(x) or x._data.dtype.kind != "c"):
        return grad.real
    return grad


def _rc_meta(grad, node, i):
    """``_rc`` for formulas that save no inputs: the input's dtype comes from the node's metadata."""
    meta = node.in_meta[i] if i < len(node.in_meta) else None
    if meta is not None and meta[1] is not None and np.dtype(meta[1]).kind != "c":
        return grad.real
    return grad


def _pow_node(inputs):
    """PyTorch's overloads: Tensor_Scalar -> PowBackward0, Tensor_Tensor -> 1, Scalar_Tensor -> 2."""
    a, b = inputs
    if not _is_t(a):
        return "PowBackward2"
    return "PowBackward1" if _is_t(b) else "PowBackward0"


def _sub_node(inputs):
    # ``2 - x`` is ``rsub(x, 2)`` in PyTorch
    return "SubBackward0" if _is_t(inputs[0]) else "RsubBackward1"


@formula("add", saves=())
def add(node, g):
    if g._data.dtype.kind == "c":
        return _rc_meta(g, node, 0), _rc_meta(g, node, 1)
    return g, g


@formula("sub", "subtract", saves=(), node=_sub_node, scalar_inputs={"RsubBackward1": (0,)})
def sub(node, g):
    if g._data.dtype.kind == "c":
        return _rc_meta(g, node, 0), _rc_meta(-g, node, 1)
    return g, -g


@formula("rsub", saves=())
def rsub(node, g):
    # other - alpha * input; the node name (RsubBackward0/1) comes from the frontend
    alpha = node.attrs["alpha"]
    need_input, need_other = node.needs_input_grad
    return (-g * alpha if alpha != 1 else -g) if need_input else None, g if need_other else None


@formula("mul", "multiply", node="MulBackward0", saves_crossed=True)
def mul(node, g):
    a, b = node.inputs  # a is kept only when b requires grad, and b only when a does
    need_a, need_b = node.needs_input_grad
    if g._data.dtype.kind == "c":
        return ((_rc_meta(g * _cj(b), node, 0) if need_a else None),
                (_rc_meta(g * _cj(a), node, 1) if need_b else None))
    if need_a and b.__class__ is not tg.Tensor and g._requires_grad and node.__class__.__name__ == "MulBackward1":
        # a Scalar-overload node (recorded by a derivative formula): its gradient is one too
        return _scalar_overload("mul", "MulBackward1", g, b), None
    return (g * b if need_a else None), (g * a if need_b else None)


def _reciprocal_times(out, inputs, attrs):
    """``2 / x`` is ``x.reciprocal() * 2`` in PyTorch: a MulBackward0 whose edges are the
    ReciprocalBackward0 of ``x`` and the number's empty one. Recorded so (the reciprocal's
    value is computed again, only here), its backward is then PyTorch's too: -(g * 2) * r * r."""
    from tensorgraft.registry import registry

    from ..engine import record
    number, t = inputs
    return record(registry.ops["mul"], out, (t.reciprocal(), number), None)


# ``2 / x`` records MulBackward0 (PyTorch computes x.reciprocal() * 2): the frontend names that
# node (the op's ``scalar_first_node``), so the common tensor path keeps a cached node class
@formula("div", "divide", "true_divide", node="DivBackward0", reroute={"MulBackward0": _reciprocal_times})
def div(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if node.attrs is not None and node.attrs["rounding_mode"] is not None:
        # rounded division is piecewise constant: zero gradients (not None: PyTorch fills .grad)
        return (tg.zeros_like(a) if need_a else None), (tg.zeros_like(b) if need_b else None)
    # the divisor's gradient is -g * ((a / b) / b), rounded as PyTorch rounds it (a / (b * b) differs
    # in the last bit for about half of float32 inputs)
    if g._data.dtype.kind == "c":
        ga = _rc(g / _cj(b), a) if need_a else None
        gb = _rc(-g * _cj((a / b) / b), b) if need_b else None
        return ga, gb
    ga = g / b if need_a else None
    gb = -g * ((a / b) / b) if need_b else None
    return ga, gb


@formula("neg", "negative", saves=(), node="NegBackward0")
def neg(node, g):
    return (-g,)


@formula("pow", node=_pow_node)
def pow_(node, g):
    a, b = node.inputs
    return _pow_grads(g, a, b, *node.needs_input_grad)


def _pow_grads(g, a, b, need_a, need_b):
    complex_out = g._data.dtype.kind == "c"
    ga = gb = None
    if need_a:
        if _is_t(b):
            ga = tg.where(b == 0, tg.zeros_like(g), g * _cj(b * a ** (b - 1)))
        elif b == 0:
            ga = tg.zeros_like(g)  # PyTorch's zeros_like: 0 even for an inf or NaN gradient
        else:
            # exponent * x ** (exponent - 1), the product a Scalar one (MulBackward1), as PyTorch's
            ga = g * _cj(_scalar_overload("mul", "MulBackward1", a ** (b - 1), b))
    if need_b:
        out = a ** b
        if _is_t(a):
            # a real base under a complex exponent: its log is taken in the complex plane
            # (log(-2) = log 2 + i*pi), as PyTorch computes it in the result's dtype
            la = (a.to(g.dtype) if complex_out and a._data.dtype.kind != "c" else a).log()
        elif complex_out:
            la = cmath.log(a) if a != 0 else complex("-inf")
        else:
            la = math.log(a) if a > 0 else float("-inf") if a == 0 else float("nan")
        factor = out * la
        if not complex_out and (not _is_t(a) or a._data.dtype.kind != "c") and b._data.dtype.kind != "c":
            # 0 ** b is flat in b where b >= 0 (log 0 would make it NaN); the factor is masked
            # before the gradient multiplies it, so an inf gradient there gives NaN, as PyTorch
            factor = tg.where((a == 0) & (b >= 0), tg.zeros_like(factor), factor)
        gb = g * _cj(factor)
    if complex_out:
        return _rc(ga, a), _rc(gb, b)
    return ga, gb


@formula("exp", saves=(), saves_output=True)
def exp(node, g):
    return (g * _cj(node.output),)


@formula("exp2", saves=(), saves_output=True)
def exp2(node, g):
    return (g * _cj(node.output) * 0.6931471805599453,)


@formula("expm1", saves=(), saves_output=True)
def expm1(node, g):
    return (g * _cj(node.output + 1),)


@formula("log")
def log(node, g):
    return (g / _cj(node.inputs[0]),)


@formula("log2")
def log2(node, g):
    return (g / _cj(node.inputs[0] * 0.6931471805599453),)


@formula("log10")
def log10(node, g):
    return (g / _cj(node.inputs[0] * 2.302585092994046),)


@formula("log1p")
def log1p(node, g):
    return (g / _cj(node.inputs[0] + 1),)


@formula("sqrt", saves=(), saves_output=True)
def sqrt(node, g):
    # g / (2 * result), the product a Scalar one (MulBackward1 under create_graph, as PyTorch's)
    return (g / _scalar_overload("mul", "MulBackward1", _cj(node.output), 2),)


@formula("rsqrt", saves=(), saves_output=True)
def rsqrt(node, g):
    # -0.5 * g * result ** 3, as PyTorch's (MulBackward1 and PowBackward0 under create_graph)
    return (_scalar_overload("mul", "MulBackward1", g, -0.5) * _cj(node.output.pow(3)),)


@formula("reciprocal", saves=(), saves_output=True)
def reciprocal(node, g):
    out = node.output
    return (-g * _cj(out * out),)


@formula("square")
def square(node, g):
    # square is pow(x, 2) in PyTorch: the same formula, so that g * 2 * x**1 keeps the graph to x
    # for the third derivative (zeros, not "not used in the graph") and every order matches x ** 2
    return _pow_grads(g, node.inputs[0], 2, True, False)[:1]


@formula("sin")
def sin(node, g):
    return (g * _cj(node.inputs[0].cos()),)


@formula("cos")
def cos(node, g):
    return (-g * _cj(node.inputs[0].sin()),)


@formula("tan", saves=(), saves_output=True)
def tan(node, g):
    out = node.output
    return (g * _cj(1 + out * out),)


@formula("asin")
def asin(node, g):
    x = node.inputs[0]
    return (g / _cj((1 - x * x).sqrt()),)


@formula("acos")
def acos(node, g):
    x = node.inputs[0]
    return (-g / _cj((1 - x * x).sqrt()),)


@formula("atan")
def atan(node, g):
    x = node.inputs[0]
    return (g / _cj(1 + x * x),)


@formula("sinh")
def sinh(node, g):
    return (g * _cj(node.inputs[0].cosh()),)


@formula("cosh")
def cosh(node, g):
    return (g * _cj(node.inputs[0].sinh()),)


@formula("tanh", saves=(), saves_output=True)
def tanh(node, g):
    # one op (PyTorch's tanh_backward): TanhBackwardBackward0 under create_graph, over the gradient
    # and the output; a plain backward is a single kernel call (the product of three ops was slower)
    return (_TANH_BACKWARD.frontend(g, node.output),)


@formula("tanh_backward")
def tanh_backward(node, gg):
    # grad_output * (1 - t^2): linear in grad_output (its gradient is tanh_backward again), and
    # -2 t grad_output for t; the same grouping as PyTorch's, whose graph shows these nodes
    go, t = node.inputs
    need_go, need_t = node.needs_input_grad
    d_go = _TANH_BACKWARD.frontend(gg, _cj(t)) if need_go else None
    # (complex t: the kernel is antiholomorphic in t, so conj(gg) * grad_output * conj(f'(t)))
    d_t = _cj(gg) * (_scalar_overload("mul", "MulBackward1", _cj(t), -2) * go) if need_t else None
    return d_go, d_t


@formula("asinh")
def asinh(node, g):
    x = node.inputs[0]
    return (g / _cj((x * x + 1).sqrt()),)


@formula("acosh")
def acosh(node, g):
    x = node.inputs[0]
    if x._data.dtype.kind == "c":
        # sqrt(z - 1) * sqrt(z + 1): sqrt(z*z - 1) has the other sign in half the plane (PyTorch's branch)
        return (g / _cj((x - 1).sqrt() * (x + 1).sqrt()),)
    return (g / (x * x - 1).sqrt(),)  # finite for x < -1 too, as PyTorch


@formula("atanh")
def atanh(node, g):
    x = node.inputs[0]
    return (g / _cj(1 - x * x),)


@formula("sigmoid", saves=(), saves_output=True)
def sigmoid(node, g):
    # one op (PyTorch's sigmoid_backward), as tanh's above
    return (_SIGMOID_BACKWARD.frontend(g, node.output),)


@formula("sigmoid_backward")
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


@formula("relu", saves=(), saves_output=True)
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


@formula("abs", "absolute", node="AbsBackward0")
def abs_(node, g):
    x = node.inputs[0]
    return (g * x.sgn(),)  # (SgnBackward0 under create_graph, as PyTorch's; sign for real inputs)


@formula("sgn", saves=(0,), saves_output=True, node="SgnBackward0")
def sgn(node, g):
    x = node.inputs[0]
    if x._data.dtype.kind != "c":
        return (g.new_zeros(g.shape),)
    # PyTorch's sgn_backward: (g - sgn^2 conj(g)) / (2|z|), 0 where z == 0
    s, ax = node.output, x.abs()
    r = (g - s * s * g.conj()) / (2 * ax)
    return (tg.where(ax == 0, tg.zeros_like(r), r),)


@formula("sign", "floor", "ceil", "trunc", "fix", "round", saves=(), node={"fix": "TruncBackward0"})
def zero_grad(node, g):
    return (g.new_zeros(g.shape),)  # zeros even where g is inf/NaN (g * 0 would be NaN), as PyTorch


@formula("frac", saves=())
def frac(node, g):
    return (g,)


@formula("erf")
def erf(node, g):
    x = node.inputs[0]
    return (g * 1.1283791670955126 * (-x * x).exp(),)


@formula("erfc")
def erfc(node, g):
    x = node.inputs[0]
    return (-g * 1.1283791670955126 * (-x * x).exp(),)


@formula("erfinv", saves=(), saves_output=True)
def erfinv(node, g):
    out = node.output
    return (g * 0.886226925452758 * (out * out).exp(),)


# PyTorch's masked forms: the gradient goes through unchanged or is *replaced* by 0 (g * mask would
# turn an inf or NaN gradient into NaN on the side not taken); a double backward records
# MaskedFillBackward0. maximum/minimum split a tie in halves and pass a NaN's gradient to both
# sides (the NaN propagates from either); fmax/fmin give a tie to the first operand, and a NaN
# side (which they ignore) gets nothing unless both are NaN, when the first one gets it.
def _extremum_grads(a, b, g, a_wins, b_wins):
    split = tg.where(a == b, g / 2, g)
    return split.masked_fill(b_wins, 0), split.masked_fill(a_wins, 0)


@formula("maximum")
def maximum(node, g):
    a, b = node.inputs
    return _extremum_grads(a, b, g, a > b, a < b)


@formula("minimum")
def minimum(node, g):
    a, b = node.inputs
    return _extremum_grads(a, b, g, a < b, a > b)


def _fextremum_grads(a, b, g, a_first, b_first):
    a_nan, b_nan = a.isnan(), b.isnan()
    take_a = a_first | b_nan
    take_b = b_first | (a_nan & b_nan.logical_not())
    return g.masked_fill(take_a.logical_not(), 0), g.masked_fill(take_b.logical_not(), 0)


@formula("fmax")
def fmax(node, g):
    a, b = node.inputs
    return _fextremum_grads(a, b, g, a >= b, a < b)


@formula("fmin")
def fmin(node, g):
    a, b = node.inputs
    return _fextremum_grads(a, b, g, a <= b, a > b)


@formula("atan2", "arctan2", node="Atan2Backward0")
def atan2(node, g):
    a, b = node.inputs
    # PyTorch's: 1 / (a^2 + b^2) is taken as 0 at the origin (a gradient of 0 there, not 0/0)
    denom = a * a + b * b
    recip = tg.where(denom == 0, tg.zeros_like(denom), 1 / denom)
    return g * b * recip, g * -a * recip


@formula("hypot", saves=(0, 1), saves_output=True)
def hypot(node, g):
    a, b = node.inputs
    out = node.output
    return g * a / out, g * b / out


@formula("_remainder_scalar", "_fmod_scalar", saves=(), scalar_inputs=(1,))
def remainder_by_number(node, g):
    # x - q * c with q piecewise constant: the gradient passes through; the number gets none
    return g, None


def _overload_node(prefix):
    """PyTorch's overloads: ``<Op>Backward0`` for a number divisor, ``<Op>Backward1`` for a tensor one."""
    return lambda inputs: prefix + ("Backward1" if _is_t(inputs[1]) else "Backward0")


@formula("remainder", "fmod", node={"remainder": _overload_node("Remainder"), "fmod": _overload_node("Fmod")})
def remainder(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    gb = None
    if need_b:
        q = (a / b).floor() if node.__class__.__name__.startswith("Remainder") else (a / b).trunc()
        gb = -g * q
    return g, gb


@formula("floor_divide", saves=())
def floor_divide(node, g):
    return g * 0, None


@formula("copysign", saves_output=True, node=lambda inputs: "CopysignBackward0" if _is_t(inputs[1])
         else "CopysignBackward1", scalar_inputs=(1,))
def copysign(node, g):
    # as PyTorch: d/da = result / a (so a sign bit on -0.0 counts), 0 where a == 0; the sign
    # source gets a zero gradient (PyTorch's zeros_like, not None)
    # (the ratio is piecewise constant in a: detached, so a second derivative sees zero there)
    a, b = node.inputs
    ratio = (node.output.detach() / a.detach()).masked_fill(a.detach() == 0, 0)
    return g * ratio, (tg.zeros_like(b) if isinstance(b, tg.Tensor) else None)


def _xlogy_node(inputs):
    """PyTorch's overloads: XlogyBackward0 (two tensors), 1 (a number ``self``), 2 (a number ``other``)."""
    a, b = inputs
    return "XlogyBackward1" if not isinstance(a, tg.Tensor) else \
        ("XlogyBackward0" if isinstance(b, tg.Tensor) else "XlogyBackward2")


@formula("xlogy", node=_xlogy_node, scalar_inputs=(0, 1))
def xlogy(node, g):
    a, b = node.inputs
    ga = None
    if isinstance(a, tg.Tensor) and node.needs_input_grad[0]:
        # PyTorch's xlogy(grad, b), 0 where a == 0 and b <= 0 (log b is -inf or NaN there), and
        # nothing else masked: an inf gradient at b == 1 gives inf * log 1 = NaN, as PyTorch
        ga = tg.xlogy(g, b)
        if isinstance(b, tg.Tensor):
            ga = ga.masked_fill((a == 0) & (b <= 0), 0)
        elif b <= 0:
            ga = ga.masked_fill(a == 0, 0)
    gb = g * a / b
    return ga, gb


def _float_power_in_double(out, inputs, attrs):
    """PyTorch's float_power converts each tensor operand to the result's double dtype first
    (``x.to(torch.float64)``, a ToCopyBackward0 node), then records a pow node on those: the
    graph users see. None when no operand needs converting (the float_power node then)."""
    wide = out._data.dtype
    if all(not _is_t(t) or t._data.dtype == wide for t in inputs):
        return None
    from tensorgraft.registry import registry

    from ..engine import record
    dt = out.dtype
    return record(registry.ops["pow"], out, tuple(t.to(dt) if _is_t(t) and t._data.dtype != wide else t
                                                   for t in inputs), attrs)


@formula("float_power", node=_pow_node, scalar_inputs=(0, 1), reroute=_float_power_in_double)
def float_power(node, g):
    # PyTorch computes it as pow in the result's double dtype (float64, or complex128 when either
    # operand is complex); the engine casts each gradient back to its input's dtype
    a, b = node.inputs
    wide = g.dtype
    ga, gb = _pow_grads(g, a.to(wide) if _is_t(a) else a, b.to(wide) if _is_t(b) else b, *node.needs_input_grad)
    return _rc(ga, a), _rc(gb, b)  # a real input gets the real part


def _pass_where(g, mask):
    """``g`` where ``mask``, exactly 0 elsewhere (PyTorch's where(mask, grad, 0)): g * mask would
    turn an inf or NaN arriving at a clamped element into NaN, e.g. x.clamp(min=0).sqrt() at x < 0;
    a double backward then records WhereBackward0, as PyTorch's graph."""
    return tg.where(mask, g, tg.zeros((), dtype=g.dtype, device=g.device))


@formula("clamp", "clip", scalar_inputs={"ClampBackward1": (1, 2)})
def clamp(node, g):
    x, lo, hi = node.inputs
    keep = None
    if lo is not None:
        keep = x >= lo
    if hi is not None:
        k2 = x <= hi
        keep = k2 if keep is None else keep & k2
    gx = _pass_where(g, keep)
    # clamp is min(max(x, lo), hi): where lo > hi the result is hi whatever x is, so hi (not lo)
    # receives the gradient there; where lo == hi and x < lo, PyTorch gives neither a gradient
    both = lo is not None and hi is not None
    crossed = (lo > hi) if both else None
    glo = ghi = None
    if isinstance(lo, tg.Tensor) and lo.requires_grad:
        glo = _pass_where(g, (x < lo) & (lo < hi) if both else x < lo)
    if isinstance(hi, tg.Tensor) and hi.requires_grad:
        ghi = _pass_where(g, (x > hi) if crossed is None else (x > hi) | crossed)
    return gx, glo, ghi


@formula("clamp_min", scalar_inputs=(1,))
def clamp_min(node, g):
    x, lo = node.inputs
    need_x, need_lo = node.needs_input_grad
    gx = _pass_where(g, x >= lo) if need_x else None
    glo = _pass_where(g, x < lo) if need_lo else None
    return gx, glo


@formula("clamp_max", scalar_inputs=(1,))
def clamp_max(node, g):
    x, hi = node.inputs
    need_x, need_hi = node.needs_input_grad
    gx = _pass_where(g, x <= hi) if need_x else None
    ghi = _pass_where(g, x > hi) if need_hi else None
    return gx, ghi


@formula("lerp")
def lerp(node, g):
    a, b, w = node.inputs
    need_a, need_b, need_w = node.needs_input_grad
    ga = g * _cj(1 - w) if need_a else None
    gb = g * _cj(w) if need_b else None
    gw = g * _cj(b - a) if need_w else None
    return ga, gb, gw


@formula("_lerp_scalar", saves=(), scalar_inputs=(2,))
def lerp_by_number(node, g):
    w = node.attrs["weight"]  # the number itself: the node keeps no tensors
    need_a, need_b, _ = node.needs_input_grad
    return (g * _cj(1 - w) if need_a else None), (g * _cj(w) if need_b else None), None


@formula("nan_to_num")
def nan_to_num(node, g):
    return (g * node.inputs[0].isfinite(),)


@formula("logit")
def logit(node, g):
    x = node.inputs[0]
    eps = node.attrs["eps"]
    gx = g / (x * (1 - x))
    if eps is None:  # outside [0, 1] logit is NaN, and so is its gradient (PyTorch's)
        gx = tg.where((x < 0) | (x > 1), tg.full_like(gx, float("nan")), gx)
    else:
        gx = tg.where((x < eps) | (x > 1 - eps), tg.zeros_like(gx), gx)
    return (gx,)


@formula("sinc")
def sinc(node, g):
    x = node.inputs[0]
    px = x * 3.141592653589793
    d = (px.cos() * px - px.sin()) / (px * x)
    # 0 at x == 0 whatever the gradient (PyTorch masks after multiplying: inf there is no NaN)
    r = g * _cj(d)
    return (tg.where(x == 0, tg.zeros_like(r), r),)


@formula("deg2rad", saves=())
def deg2rad(node, g):
    return (g * 0.017453292519943295,)


@formula("rad2deg", saves=())
def rad2deg(node, g):
    return (g * 57.29577951308232,)


@formula("logaddexp")
def logaddexp(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = g / _cj((b - a).exp() + 1) if need_a else None
    gb = g / _cj((a - b).exp() + 1) if need_b else None
    if g._data.dtype.kind == "c":
        return _rc(ga, a), _rc(gb, b)
    return ga, gb


@formula("logaddexp2")
def logaddexp2(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = g / ((b - a).exp2() + 1) if need_a else None
    gb = g / ((a - b).exp2() + 1) if need_b else None
    return ga, gb


@formula("addcmul")
def addcmul(node, g):
    _, t1, t2 = node.inputs
    v = node.attrs["value"]
    need_i, need_1, need_2 = node.needs_input_grad
    return (g if need_i else None), (g * _cj(t2 * v) if need_1 else None), (g * _cj(t1 * v) if need_2 else None)


@formula("addcdiv")
def addcdiv(node, g):
    _, t1, t2 = node.inputs
    v = node.attrs["value"]
    need_i, need_1, need_2 = node.needs_input_grad
    g1 = g * _cj(v / t2) if need_1 else None
    g2 = -g * _cj(v * t1 / (t2 * t2)) if need_2 else None
    return (g if need_i else None), g1, g2


def _zeros_from(g):
    """A zero gradient; connected to ``g`` when building a graph (so double backward sees it)."""
    return g * 0 if g.requires_grad else tg.zeros_like(g)


@formula("fill_", saves=(), scalar_inputs=(1,))
def fill_(node, g):
    need_self, need_value = node.needs_input_grad
    return (_zeros_from(g) if need_self else None), (g.sum() if need_value else None)


@formula("zero_", saves=())
def zero_(node, g):
    return (_zeros_from(g),)


@formula("copy_", saves=())
def copy_(node, g):
    need_self, need_src = node.needs_input_grad
    gs = None
    if need_src:
        dev = node.attrs["device"]
        gs = g if g._device is dev else g.to(dev)
    return (_zeros_from(g) if need_self else None), gs


@formula("lgamma")
def lgamma(node, g):
    return (g * node.inputs[0].digamma(),)


@formula("digamma")
def digamma(node, g):
    return (g * tg.polygamma(1, node.inputs[0]),)


@formula("polygamma")
def polygamma(node, g):
    return (g * tg.polygamma(node.attrs["n"] + 1, node.inputs[0]),)


@formula("ldexp")
def ldexp(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    scale = tg.exp2(b) if isinstance(b, tg.Tensor) else 2.0 ** b
    ga = g * _cj(scale) if need_a else None
    gb = g * _cj(a * scale * 0.6931471805599453) if need_b else None
    if g._data.dtype.kind == "c":
        return _rc(ga, a), _rc(gb, b)
    return ga, gb



@formula("normal", saves=())
def normal(node, g):
    """NormalBackward1/2/3 (named by the frontend after the overload): PyTorch's gradient of a
    draw is zero for its tensor mean and std alike."""
    return tuple(g.new_zeros(g.shape) if need else None for need in node.needs_input_grad)
