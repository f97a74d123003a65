"""Gradients of ``tensorgraft/ops/special_math.py`` (the top-level in-place functions call the
Tensor methods, whose nodes carry the gradient)."""
from __future__ import annotations

from . import formula


def _tg():
    import tensorgraft
    return tensorgraft


@formula("i0")
def i0(node, g):
    from tensorgraft.registry import registry
    return (g * registry.ops["_i1"].frontend(node.inputs[0]),)


@formula("_i1", node="SpecialI1Backward0")
def i1(node, g):
    """``i1'(x) = i0(x) - i1(x) / x``, and 1/2 at 0 (the limit), as PyTorch's formula."""
    tg = _tg()
    from tensorgraft.registry import registry
    x = node.inputs[0]
    safe = tg.where(x == 0, tg.ones_like(x), x)
    d = x.i0() - registry.ops["_i1"].frontend(safe) / safe
    return (g * tg.where(x == 0, tg.full_like(x, 0.5), d),)


@formula("frexp", saves=())
def frexp(node, g):
    """The mantissa is ``x / 2**exponent`` with the exponent piecewise constant."""
    return (g / node.attrs["exponent"].exp2(),)


@formula("mvlgamma")
def mvlgamma(node, g):
    x = node.inputs[0]
    p = node.attrs["p"]
    acc = None
    for j in range(p - 1, -1, -1):
        term = (x - 0.5 * j).digamma()
        acc = term if acc is None else acc + term
    return (g * acc,)
