"""Declaring core ops. ``CORE_OPS`` is what core's own plugin hands to the registry through
``tensorgraft_register_ops`` — the same hook a third-party op plugin implements.

An op is declared once: its generic kernel (``kernel(xp, ...)`` or an ``xp`` attribute name) and a
frontend factory. ``bind_all`` (run once at load time) builds each op's per-device kernel table and
exposes the frontend as ``tensorgraft.<name>``, as ``Tensor.<method>``, as its in-place variant
``Tensor.<name>_`` and as the operator dunders.
"""
from __future__ import annotations

from ..registry import OpDef
from . import _frontend as F

CORE_OPS: list = []


def defop(name, *, frontend, kernel=None, xp_attr=None, method=True, inplace=None, dunders=(),
          differentiable=True, public=True, kernels=None, **extra) -> OpDef:
    """Declare a core op. ``extra`` lands in ``OpDef.extra``; among its keys, two say which of the
    inputs the frontend records are not differentiable in PyTorch, so that the node's
    ``next_functions`` has an edge for the others only (``gather``: one, for ``input``):

    - ``nondiff_inputs``: positions that never get an edge (an index, a mask, a condition);
    - ``scalar_inputs``: positions that get none when a number is passed there (PyTorch's
      Scalar overload, ``x.index_fill(0, i, 1.0)``), one when a tensor is.

    The node still keeps those inputs for its formula; ops without either key are untouched."""
    op = OpDef(name=name, kernel=kernel, make_frontend=frontend, xp_attr=xp_attr,
               method=(name if method is True else (method or None)), inplace=inplace, dunders=tuple(dunders),
               differentiable=differentiable, public=public, kernels=dict(kernels or {}), extra=extra)
    CORE_OPS.append(op)
    return op


def unary(name, xp_attr=None, kernel=None, *, to_float=False, inplace=True, **kw) -> OpDef:
    return defop(name, xp_attr=xp_attr if kernel is None else None, kernel=kernel,
                 frontend=lambda op: F.make_unary(op, to_float=to_float),
                 inplace=(name + "_") if inplace is True else inplace, **kw)


def binary(name, xp_attr=None, kernel=None, *, mode="same", inplace=True, dunders=(), rdunders=(),
           idunders=(), wrapper=None, **kw) -> OpDef:
    """A two-operand elementwise op. The operator dunders bind the plain ``f(input, other)``;
    ``wrapper`` turns it into the public function when that takes more (``alpha=``, ``out=``)."""
    def frontend(op):
        fast = F.make_binary(op, mode=mode)
        op.extra["fast"] = fast
        # the method's refusals count ``other`` as position 1 (``x.add(a)``: "argument 'other'
        # (position 1)"), so it is a closure of its own, as fast as the function's; it runs what the
        # wrapper adds to the function (``alpha=``, ldexp's dtype rules) unless it needs none of it
        method = F.make_binary(op, mode=mode, method=True)
        fast_method = op.extra.get("method_fast") or wrapper is None
        op.extra["method_frontend"] = method if fast_method else wrapper(method)
        return wrapper(fast) if wrapper is not None else fast
    return defop(name, xp_attr=xp_attr if kernel is None else None, kernel=kernel, frontend=frontend,
                 inplace=(name + "_") if inplace is True else inplace, binary_mode=mode,
                 dunders=tuple(dunders), rdunders=tuple(rdunders), idunders=tuple(idunders), **kw)


def gradient_scatter(name, kernel, attr_names):
    """Declare a private op that places a gradient into a tensor of the input's shape
    (``_frontend.make_gradient_scatter``) and return the function backward formulas call,
    ``f(grad, shape, *args)``: it reaches the op's frontend, which exists once the op is bound."""
    op = defop(name, kernel=kernel, frontend=lambda op: F.make_gradient_scatter(op, attr_names), method=False,
               public=False)

    def scatter(grad, shape, *args):
        return op.frontend(grad, shape, *args)
    scatter.__name__ = scatter.__qualname__ = name.lstrip("_")
    return scatter
