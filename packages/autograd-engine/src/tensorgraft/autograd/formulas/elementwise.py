"""Gradients of ``tensorgraft/ops/elementwise``: the two-operand arithmetic here (add/sub/mul/div,
pow, remainder/fmod/floor_divide, copysign, xlogy, float_power, atan2, hypot, ldexp); the one-input
math functions in ``elementwise_unary.py``, the selecting and blending ops (maximum, clamp, lerp,
addcmul, fill_/copy_) in ``elementwise_select.py``. Written with tensorgraft ops, so they are
themselves differentiable (higher-order gradients)."""
from __future__ import annotations

import tensorgraft as tg

from . import batched_of, formula
from .elementwise_common import _cj, _is_t, _pow_grads, _rc, _rc_meta, _scalar_overload
from .sparse_coo import has_sparse_coo, sparse_pow_gradient, sparse_times
# (imported for their registrations: ``load_all`` imports this module only)
from . import elementwise_select, elementwise_unary  # noqa: F401,E402


def _pow_node(inputs):
    """PyTorch's overloads: Tensor_Scalar -> PowBackward0, Tensor_Tensor -> 1, Scalar_Tensor -> 2."""
    a, b = inputs
    if not _is_t(a):
        return "PowBackward2"
    return "PowBackward1" if _is_t(b) else "PowBackward0"


def _sub_node(inputs):
    # ``2 - x`` is ``rsub(x, 2)`` in PyTorch
    return "SubBackward0" if _is_t(inputs[0]) else "RsubBackward1"


def _alpha(node):
    """The ``alpha`` of ``add``/``sub`` (recorded in ``attrs`` only where it was passed and not 1)."""
    attrs = node.attrs
    return attrs.get("alpha", 1) if attrs else 1


def _times_alpha(g, alpha):
    # other's gradient is g * conj(alpha), a Scalar product (MulBackward1 under create_graph, as PyTorch's)
    if alpha == 1:
        return g
    return _scalar_overload("mul", "MulBackward1", g, _cj(alpha))


@formula("add", saves=(), batched=True)
def add(node, g):
    g_other = _times_alpha(g, _alpha(node)) if node.needs_input_grad[1] else None
    if g._data.dtype.kind == "c":
        return _rc_meta(g, node, 0), (_rc_meta(g_other, node, 1) if g_other is not None else None)
    return g, g_other


@formula("sub", "subtract", saves=(), node=_sub_node, scalar_inputs={"RsubBackward1": (0,)}, batched=True)
def sub(node, g):
    g_other = _times_alpha(-g, _alpha(node)) if node.needs_input_grad[1] else None
    if g._data.dtype.kind == "c":
        return _rc_meta(g, node, 0), (_rc_meta(g_other, node, 1) if g_other is not None else None)
    return g, g_other


# ATen's Scalar overloads (``mul.Scalar``: MulBackward1, recorded by derivative formulas under
# create_graph) have one input: the number gets no edge, as in PyTorch's next_functions
add.nondiff_inputs = {"AddBackward1": (1,)}
sub.nondiff_inputs = {"SubBackward1": (1,)}

# every AddBackward0/SubBackward0 shows ``_saved_alpha``, 1 where none was passed (``x + y``)
add.saved_defaults = sub.saved_defaults = {"alpha": 1}


@formula("rsub", saves=(), batched=True)
def rsub(node, g):
    # other - alpha * input; the node name (RsubBackward0/1) comes from the frontend
    alpha = node.attrs["alpha"]
    need_input, need_other = node.needs_input_grad
    return (-g * alpha if alpha != 1 else -g) if need_input else None, g if need_other else None


@formula("mul", "multiply", node="MulBackward0", saves_crossed=True, batched=True)
def mul(node, g):
    a, b = node.inputs  # a is kept only when b requires grad, and b only when a does
    need_a, need_b = node.needs_input_grad
    if has_sparse_coo(g) and has_sparse_coo(a, b):  # (a sparse gradient times a sparse operand)
        return (sparse_times(g, _cj(b)) if need_a else None), (sparse_times(g, _cj(a)) if need_b else None)
    if g._data.dtype.kind == "c":
        return ((_rc_meta(g * _cj(b), node, 0) if need_a else None),
                (_rc_meta(g * _cj(a), node, 1) if need_b else None))
    if need_a and b.__class__ is not tg.Tensor and g._requires_grad and node.__class__.__name__ == "MulBackward1":
        # a Scalar-overload node (recorded by a derivative formula): its gradient is one too
        return _scalar_overload("mul", "MulBackward1", g, b), None
    return (g * b if need_a else None), (g * a if need_b else None)


mul.nondiff_inputs = {"MulBackward1": (1,)}


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
# the dividend is kept only for the divisor's gradient, the divisor for both (PyTorch's DivBackward0)
@formula("div", "divide", "true_divide", node="DivBackward0", reroute={"MulBackward0": _reciprocal_times},
         saves_crossed=((1,), (0, 1)))
def div(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if node.attrs is not None and node.attrs["rounding_mode"] is not None:
        # rounded division is piecewise constant: zero gradients (not None: PyTorch fills .grad)
        return (_zeros_of(node, 0, g) if need_a else None), (_zeros_of(node, 1, g) if need_b else None)
    # the divisor's gradient is -g * ((a / b) / b), rounded as PyTorch rounds it (a / (b * b) differs
    # in the last bit for about half of float32 inputs)
    if g._data.dtype.kind == "c":
        ga = _rc_meta(g / _cj(b), node, 0) if need_a else None
        gb = _rc(-g * _cj((a / b) / b), b) if need_b else None
        return ga, gb
    ga = g / b if need_a else None
    gb = -g * ((a / b) / b) if need_b else None
    return ga, gb


div.nondiff_inputs = {"DivBackward1": (1,)}


def _zeros_of(node, i, g):
    """Zeros shaped as the node's input ``i`` (which it may not keep; the engine casts them to the
    input's dtype)."""
    return tg.zeros(node.in_meta[i][0], dtype=g.dtype, device=g.device)


@batched_of(div)
def _div_batched(node, g):
    # (rounded division's zeros have no batch dim: that rare node runs per entry)
    if node.attrs is not None and node.attrs["rounding_mode"] is not None:
        return None
    return div(node, g)


@formula("neg", "negative", saves=(), node="NegBackward0", batched=True)
def neg(node, g):
    return (-g,)


# PowBackward1/2 keep the result (``_saved_result``) for the exponent's gradient, out * log(base);
# PowBackward0 (a number exponent) does not need it
@formula("pow", node=_pow_node, saves_output={"PowBackward1": True, "PowBackward2": True}, batched=True)
def pow_(node, g):
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    if has_sparse_coo(a) and not _is_t(b):  # (sparse ** number: on the stored entries only)
        return sparse_pow_gradient(g, a, b), None
    return _pow_grads(g, a, b, need_a, need_b, out=node.output if need_b else None)


# ``2 ** x`` is pow.Scalar in PyTorch: its base is a Scalar, so ``_saved_self`` is the number itself
pow_.number_saves = {"PowBackward2": ("self",)}


@formula("atan2", "arctan2", node="Atan2Backward0")
def atan2(node, g):
    a, b = node.inputs
    # PyTorch's: 1 / (a^2 + b^2) is taken as 0 at the origin (a gradient of 0 there, not 0/0)
    denom = a * a + b * b
    recip = denom.reciprocal().masked_fill(denom == 0, 0)  # (MaskedFillBackward0, as PyTorch's)
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
    """PyTorch's overloads: ``<Op>Backward0`` for a number divisor, ``<Op>Backward1`` for a tensor
    one; ``remainder(2, x)`` (``2 % x``, remainder.Scalar_Tensor) has no derivative in PyTorch, whose
    node is then the C++ ``NotImplemented`` with an edge for ``x`` alone."""
    def name(inputs):
        if not _is_t(inputs[0]):
            return "NotImplemented"
        return prefix + ("Backward1" if _is_t(inputs[1]) else "Backward0")
    return name


def _not_implemented(op_name):
    """PyTorch's error on reaching a node of an op without a derivative (at backward, not forward)."""
    return RuntimeError(f"derivative for aten::{op_name} is not implemented")


@formula("remainder", "fmod", node={"remainder": _overload_node("Remainder"), "fmod": _overload_node("Fmod")},
         scalar_inputs={"NotImplemented": (0,)})
def remainder(node, g):
    cls_name = node.__class__.__name__
    if cls_name == "NotImplemented":
        raise _not_implemented("remainder" if node._op.name == "remainder" else "fmod")
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    gb = None
    if need_b:
        q = (a / b).floor() if cls_name.startswith("Remainder") else (a / b).trunc()
        gb = -g * q
    return g, gb


# floor_divide has no derivative in PyTorch (``x // 2`` records NotImplemented, whose backward
# raises); a number operand gets no edge
@formula("floor_divide", saves=(), node="NotImplemented", scalar_inputs=(0, 1))
def floor_divide(node, g):
    raise _not_implemented("floor_divide")


@formula("copysign", saves=(0,), saves_output=True, node=lambda inputs: "CopysignBackward0" if _is_t(inputs[1])
         else "CopysignBackward1", scalar_inputs=(1,))
def copysign(node, g):
    # as PyTorch: d/da = result / a (so a sign bit on -0.0 counts), 0 where a == 0; the sign
    # source gets a zero gradient (PyTorch's zeros_like, not None). As PyTorch, only a and the
    # result are saved: changing the sign source in place afterwards is no error.
    # (the ratio is piecewise constant in a: detached, so a second derivative sees zero there)
    a = node.inputs[0]
    ratio = (node.output.detach() / a.detach()).masked_fill(a.detach() == 0, 0)
    b_meta = node.in_meta[1]  # (None: a number sign source; the engine casts the zeros to b's dtype)
    return g * ratio, (None if b_meta is None else tg.zeros(b_meta[0], dtype=g.dtype, device=g.device))


@formula("nextafter", saves=(0, 1))
def nextafter(node, g):
    # PyTorch 2.13's derivative: the step is treated as the identity in ``self`` except where
    # self == other (the result is ``other`` there, yet PyTorch gives 0, not 1, to both); ``other``
    # always gets zeros (zeros_like, not None). A NaN operand compares unequal: self gets g there.
    a, b = node.inputs
    ga = tg.where(a != b, g, tg.zeros((), dtype=g.dtype, device=g.device)) if node.needs_input_grad[0] else None
    return ga, tg.zeros(node.in_meta[1][0], dtype=g.dtype, device=g.device)


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


# xlogy's Scalar overloads keep the number as a Scalar (``_saved_self`` of ``xlogy(2, x)`` is 2)
xlogy.number_saves = {"XlogyBackward1": ("self",), "XlogyBackward2": ("other",)}


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
