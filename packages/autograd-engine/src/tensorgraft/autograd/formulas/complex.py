"""Gradients of ``tensorgraft/ops/complex.py``, in PyTorch's convention: for a real loss L and a
complex input z the gradient is 2 dL/dz̄ (conjugate Wirtinger), so a holomorphic f passes back
``grad * conj(f'(z))`` and a real input receives the real part of what reaches it."""
from __future__ import annotations

import tensorgraft as tg

from . import formula

_J = 1j


@formula("view_as_real", saves=(), node="ViewAsRealBackward0")
def view_as_real(node, g):
    return (tg.view_as_complex(g.contiguous()),)


@formula("view_as_complex", saves=(), node="ViewAsComplexBackward0")
def view_as_complex(node, g):
    return (tg.view_as_real(g.contiguous()),)


@formula("conj", saves=(), node="ConjBackward0")
def conj(node, g):
    return (g.conj(),)


@formula("conj_physical", saves=(), node="ConjPhysicalBackward0")
def conj_physical(node, g):
    return (g.conj_physical(),)


@formula("angle", node="AngleBackward0")
def angle(node, g):
    x = node.inputs[0]
    if not x.is_complex():
        return (tg.zeros_like(x),)
    r = g * x / (x.abs() ** 2) * _J
    return (tg.where(x == 0, tg.zeros_like(r), r),)


# PyTorch's ComplexBackward0 keeps each part that needs a gradient (``_saved_real``/``_saved_imag``; None
# for the other), so an in-place change to it before backward raises; its saved-tensor hooks pack the
# imaginary part first. (The gradients themselves read neither.)
@formula("complex", saves_crossed=((0,), (1,)), node="ComplexBackward0")
def complex_(node, g):
    need_re, need_im = node.needs_input_grad
    return (g.real if need_re else None), (g.imag if need_im else None)


complex_.pack_order = (1, 0)
complex_.input_names = ("real", "imag")  # (the frontend's signature says ``a``, ``b``)


@formula("polar", saves=(), saves_output=True, node="PolarBackward0")
def polar(node, g):
    out = node.output
    gc = g.conj()
    need_abs, need_angle = node.needs_input_grad
    return ((gc * out.sgn()).real if need_abs else None), ((gc * (out * _J)).real if need_angle else None)
