"""Helpers shared by the elementwise gradient modules (``elementwise*.py``): complex-input
conventions, PyTorch's Scalar-overload nodes, masked pass-through, and pow's gradient (used by
pow, square and float_power)."""
from __future__ import annotations

import cmath
import math

import numpy as np

import tensorgraft as tg
from tensorgraft.ops.elementwise import threshold_backward as _THRESHOLD_BACKWARD


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


def _number_op_tensor(op_name, number, t):
    """C++'s ``number - t`` / ``number / t`` in a derivative formula (ATen's operator-(Scalar, Tensor)
    and operator/): a tensor filled with the number, then the op, so a graph built with
    create_graph=True shows SubBackward0 / DivBackward0 with an empty first edge (Python's ``1 - t``
    is rsub, and ``2 / t`` a reciprocal times 2); the values are those of ``number - t`` / ``number / t``."""
    if not (t._requires_grad and tg.is_grad_enabled()):
        return number - t if op_name == "sub" else tg.full_like(t, number) / t
    filled = tg.full_like(t, number)
    return filled - t if op_name == "sub" else filled / t


def _one_minus(t):
    return _number_op_tensor("sub", 1, t)


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


def _pow_grads(g, a, b, need_a, need_b, out=None):
    """Gradients of ``a ** b``; ``out``: the result when the node saved it (``b``'s gradient reads it)."""
    a, b = (x.item() if isinstance(x, np.generic) else x for x in (a, b))  # (np.float64(2) ** x: a number)
    complex_out = g._data.dtype.kind == "c"
    ga = gb = None
    if need_a:
        if _is_t(b):
            # (``b - 1`` is ATen's Scalar overload: SubBackward1 under create_graph, as PyTorch's)
            ga = tg.where(b == 0, tg.zeros_like(g), g * _cj(b * a ** _scalar_overload("sub", "SubBackward1", b, 1)))
        elif b == 0:
            ga = tg.zeros_like(g)  # PyTorch's zeros_like: 0 even for an inf or NaN gradient
        else:
            # exponent * x ** (exponent - 1), the product a Scalar one (MulBackward1), as PyTorch's
            ga = g * _cj(_scalar_overload("mul", "MulBackward1", a ** (b - 1), b))
    if need_b:
        if out is None:
            out = a ** b
        if _is_t(a):
            # a real base under a complex exponent: its log is taken in the complex plane
            # (log(-2) = log 2 + i*pi), as PyTorch computes it in the result's dtype
            la = (a.to(g.dtype) if complex_out and a._data.dtype.kind != "c" else a).log()
        elif complex_out:
            la = cmath.log(a) if a != 0 else complex("-inf")
        else:
            la = math.log(a) if a > 0 else float("-inf") if a == 0 else float("nan")
        # a number base's log is a number: PyTorch's ``result * log(base)`` is then a Scalar product
        factor = out * la if _is_t(a) else _scalar_overload("mul", "MulBackward1", out, la)
        # (a nonzero number base has nothing to mask: PyTorch's where is for a zero base only)
        if (_is_t(a) or a == 0) and not complex_out and (not _is_t(a) or a._data.dtype.kind != "c") \
                and b._data.dtype.kind != "c":
            # 0 ** b is flat in b where b >= 0 (log 0 would make it NaN); the factor is masked
            # before the gradient multiplies it, so an inf gradient there gives NaN, as PyTorch
            factor = tg.where((a == 0) & (b >= 0), tg.zeros_like(factor), factor)
        gb = g * _cj(factor)
    if complex_out:
        return _rc(ga, a), _rc(gb, b)
    return ga, gb


def _pass_where(g, mask):
    """``g`` where ``mask``, exactly 0 elsewhere (PyTorch's where(mask, grad, 0)): g * mask would
    turn an inf or NaN arriving at a clamped element into NaN, e.g. x.clamp(min=0).sqrt() at x < 0;
    a double backward then records WhereBackward0, as PyTorch's graph."""
    return tg.where(mask, g, tg.zeros((), dtype=g.dtype, device=g.device))


def _zeros_from(g):
    """A zero gradient; connected to ``g`` when building a graph (so double backward sees it)."""
    return g * 0 if g.requires_grad else tg.zeros_like(g)
