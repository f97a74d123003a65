"""Gradients of ``tensorgraft/ops/special_functions.py``, as PyTorch's derivatives.yaml (written
with tensorgraft ops, so they are differentiable again)."""
from __future__ import annotations

import math

from . import formula

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _tg():
    import tensorgraft
    return tensorgraft


def _op(name):
    from tensorgraft.registry import registry
    return registry.ops[name].frontend


@formula("special_erfcx", saves_output=True)
def special_erfcx(node, g):
    x = node.inputs[0]
    return (g * ((2.0 * x) * node.output - _TWO_OVER_SQRT_PI),)


@formula("special_i0e", saves_output=True)
def special_i0e(node, g):
    x = node.inputs[0]
    return (g * (_op("special_i1e")(x) - x.sgn() * node.output),)


@formula("special_i1e", saves_output=True)
def special_i1e(node, g):
    """``i1e'(x) = i0e(x) - i1e(x) (sgn(x) + 1/x)``, and 1/2 at 0 (the limit)."""
    tg = _tg()
    x = node.inputs[0]
    safe = tg.where(x == 0, tg.ones_like(x), x)
    d = _op("special_i0e")(x) - node.output * (x.sgn() + safe.reciprocal())
    return (g * tg.where(x == 0, tg.full_like(x, 0.5), d),)


@formula("special_ndtri", saves=(), saves_output=True)
def special_ndtri(node, g):
    r = node.output
    return (g * _SQRT_2PI * (r * r * 0.5).exp(),)


@formula("special_log_ndtr", saves_output=True)
def special_log_ndtr(node, g):
    x = node.inputs[0]
    return (g * (-0.5 * x * x - node.output).exp() / _SQRT_2PI,)


@formula("special_entr")
def special_entr(node, g):
    return (g * -(1 + node.inputs[0].log()),)


@formula("special_xlog1py")
def special_xlog1py(node, g):
    tg = _tg()
    a, b = node.inputs
    need_a, need_b = node.needs_input_grad
    ga = gb = None
    if need_a:
        # PyTorch's xlog1py(grad, b), 0 only where a == 0 and b <= -1 (log1p b is -inf or NaN)
        ga = tg.special.xlog1py(g, b)
        if isinstance(b, tg.Tensor):
            ga = ga.masked_fill((a == 0) & (b <= -1), 0)
        elif b <= -1:
            ga = ga.masked_fill(a == 0, 0)
    if need_b:
        gb = g * a / (b + 1)
    return ga, gb


@formula("special_zeta")
def special_zeta(node, g):
    x, q = node.inputs
    need_x, need_q = node.needs_input_grad
    if need_x:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    return None, (g * -x * _op("special_zeta")(x + 1.0, q) if need_q else None)


def _igamma_grad(node, g, name, sign):
    a, x = node.inputs
    need_a, need_x = node.needs_input_grad
    if need_a:
        raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
    if not need_x:
        return None, None
    return None, g * sign * ((a - 1) * x.log() - x - a.lgamma()).exp()


@formula("igamma")
def igamma(node, g):
    return _igamma_grad(node, g, "igamma", 1.0)


@formula("igammac")
def igammac(node, g):
    return _igamma_grad(node, g, "igammac", -1.0)
