"""Custom ``autograd.Function``s under forward AD: the class's ``jvp`` gives the tangents.

As in PyTorch, ``forward`` runs on the primals (it sees no tangents), then ``jvp(ctx, *tangents)``
runs with one tangent per argument — a dual tensor's tangent, zeros for a tensor without one, None
for anything else — and returns one tangent per output. A Function without ``jvp`` fails with
PyTorch's NotImplementedError when it meets a dual argument (and runs as usual otherwise).
"""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from .. import function as _function
from ._tangents import set_tangent, tangent_of


def install() -> None:
    _function._forward_ad_hook = _apply_with_tangents


def uninstall() -> None:
    _function._forward_ad_hook = None


def _apply_with_tangents(cls, args, kwargs):
    args = _function._bound_arguments(cls, args, kwargs)
    tangents = [tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return _function._apply(cls, args, {})[0]
    from . import unpack_dual
    primals = [unpack_dual(a).primal if t is not None else a for a, t in zip(args, tangents)]
    result, ctx = _function._apply(cls, primals, {})
    import tensorgraft
    tangents = [t if t is not None else (tensorgraft.zeros_like(a) if isinstance(a, Tensor) else None)
                for a, t in zip(args, tangents)]
    # inside jvp, ctx.saved_tensors is what save_for_forward kept (nothing without it), as in PyTorch
    ctx._jvp_saved = tuple(ctx.__dict__.get("_saved_for_forward") or ())
    try:
        out_tangents = cls.jvp(ctx, *tangents)
    finally:
        ctx._jvp_saved = None
    outs = result if isinstance(result, tuple) else (result,)
    if not isinstance(out_tangents, tuple):
        out_tangents = (out_tangents,)
    if len(out_tangents) != len(outs):
        raise RuntimeError(f"Function's jvp returned an invalid number of forward gradients (expected {len(outs)} but "
                           f"got {len(out_tangents)})")
    for o, t in zip(outs, out_tangents):
        if not isinstance(o, Tensor) or t is None or not (o.is_floating_point() or o.is_complex()):
            continue
        if tuple(t.shape) != tuple(o.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(o.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
        set_tangent(o, t)
    return result
