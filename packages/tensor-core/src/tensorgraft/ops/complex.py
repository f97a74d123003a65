"""Complex numbers: ``view_as_real``/``view_as_complex`` (views), ``real``/``imag`` (views, through
``view_as_real`` + ``select`` as in PyTorch, so their nodes are ``SelectBackward0``), ``conj``,
``conj_physical``, ``angle``, ``complex`` and ``polar``.

PyTorch's ``conj()`` is lazy (a conjugate bit on a view); here it is materialised, so ``is_conj()`` is
always False and ``resolve_conj``/``resolve_neg`` return their input. The graph node is the same
(``ConjBackward0``) and so are the values; only writes through a conjugated view differ (they
do not reach the original tensor here).

Gradients (``tensorgraft/autograd/formulas/complex.py``) follow PyTorch's convention: the gradient
of a real loss with respect to a complex tensor is the conjugate Wirtinger derivative times 2.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import Tensor, wrap, wrap_view
from . import _frontend as F
from ._frontend import check_tensor
from ._define import defop
from tensorgraft.dtypes import np_kind as _np_kind

_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}


def _needs(*ts):
    return _gs.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in ts)


def _csamples(dtype, device):
    """Conformance samples: complex ops take a real tensor of shape (..., 2) through view_as_complex."""
    from ..testing import make_tensor
    return [((make_tensor((3, 2), dtype=dtype, device=device, seed=11),), {}),
            ((make_tensor((2, 3, 2), dtype=dtype, device=device, seed=12),), {})]


# --------------------------------------------------------------------------- view_as_real / view_as_complex
def _view_as_real_kernel(xp, a):
    r = a.real  # a view with the complex strides, in both NumPy and CuPy
    return xp.lib.stride_tricks.as_strided(r, shape=a.shape + (2,), strides=a.strides + (r.itemsize,))


def _view_as_real_frontend(op):
    table = op.table

    def view_as_real(input):
        check_tensor(input, "view_as_real")
        if _np_kind(input._data.dtype) != "c":
            raise RuntimeError("view_as_real is only supported for complex tensors")
        out = wrap_view(table[input._device.type](input._data), input)
        if _needs(input):
            F.record(op, out, (input,), None)
        return out
    return view_as_real


def _view_as_complex_kernel(xp, a):
    return a.view(_COMPLEX_OF[a.dtype])[..., 0]


def _view_as_complex_frontend(op):
    table = op.table

    def view_as_complex(input):
        check_tensor(input, "view_as_complex")
        a = input._data
        if a.dtype == np.float16:  # (PyTorch's view is complex32, which NumPy has no arrays of)
            raise RuntimeError("view_as_complex(): tensorgraft has no complex32 (ComplexHalf) dtype, which PyTorch "
                               "would return for a float16 tensor; convert it to float32 first")
        if a.dtype not in _COMPLEX_OF:
            raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a "
                               f"tensor of scalar type: {F._type_name(a.dtype)}")
        if a.ndim == 0 or a.shape[-1] != 2:
            raise RuntimeError("Tensor must have a last dimension of size 2")
        # (an empty tensor's strides are not checked, as in PyTorch)
        if a.size and a.strides[-1] != a.itemsize:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        if a.size and any(s % (2 * a.itemsize) for s in a.strides[:-1]):
            raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
        out = wrap_view(table[input._device.type](a), input)
        if _needs(input):
            F.record(op, out, (input,), None)
        return out
    return view_as_complex


def _view_as_real_samples(dtype, device):
    return [((view_as_complex(x),), {}) for (x,), _ in _csamples(dtype, device)]


def _np_view_as_complex(a):
    return a[..., 0] + 1j * a[..., 1]


_VAR = defop("view_as_real", kernel=_view_as_real_kernel, frontend=_view_as_real_frontend, method=False,
             samples=_view_as_real_samples, reference=lambda a: np.stack([a.real, a.imag], -1))
_VAC = defop("view_as_complex", kernel=_view_as_complex_kernel, frontend=_view_as_complex_frontend, method=False,
             samples=_csamples, reference=_np_view_as_complex)


def view_as_real(input):
    return _VAR.frontend(input)


def view_as_complex(input):
    return _VAC.frontend(input)


# --------------------------------------------------------------------------- real / imag
def real(input):
    """``torch.real``: a view of the real parts (the input itself for a real tensor)."""
    check_tensor(input, "real")
    if _np_kind(input._data.dtype) != "c":
        return input
    return view_as_real(input).select(-1, 0)


def imag(input):
    """``torch.imag``: a view of the imaginary parts; an error for real tensors, as PyTorch."""
    check_tensor(input, "imag")
    if _np_kind(input._data.dtype) != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return view_as_real(input).select(-1, 1)


def set_part(getter, t, value):
    """``t.real = value`` / ``t.imag = value``: write through the view."""
    target = getter(t)
    if isinstance(value, Tensor):
        target.copy_(value)
    else:
        target.fill_(value)


# --------------------------------------------------------------------------- conj
def _conj_frontend(op):
    table = op.table
    name = op.name

    def conj(input):
        check_tensor(input, name)
        if _np_kind(input._data.dtype) != "c":
            return input  # PyTorch: conj of a real tensor is the tensor itself
        out = wrap(table[input._device.type](input._data), input._device)
        if _needs(input):
            F.record(op, out, (input,), None)
        return out
    conj.__name__ = conj.__qualname__ = name
    return conj


def _conj_samples(dtype, device):
    return _view_as_real_samples(dtype, device)


defop("conj", xp_attr="conj", frontend=_conj_frontend, samples=_conj_samples, reference=np.conj)
defop("conj_physical", xp_attr="conj", frontend=_conj_frontend, inplace="conj_physical_", samples=_conj_samples,
      reference=np.conj)


def resolve_conj(input):
    """Conjugation is materialised here (``is_conj()`` is always False): returns ``input``."""
    check_tensor(input, "resolve_conj")
    return input


def resolve_neg(input):
    """Negation is never lazy here (``is_neg()`` is always False): returns ``input``."""
    check_tensor(input, "resolve_neg")
    return input


# --------------------------------------------------------------------------- angle
def _angle_kernel(xp, a):
    if _np_kind(a.dtype) == "c":
        return xp.angle(a)
    z = xp.zeros((), a.dtype)
    # PyTorch: pi for negatives, 0 otherwise (also -0.0), NaN stays NaN
    return xp.where(a < 0, xp.asarray(math.pi, a.dtype), xp.where(a != a, a, z))


def _angle_frontend(op):
    table = op.table

    def angle(input):
        check_tensor(input, "angle")
        a = input._data
        if _np_kind(a.dtype) not in "fc":
            a = a.astype(_dt.get_default_dtype().np)
        out = wrap(table[input._device.type](a), input._device)
        if op.differentiable and _needs(input):
            F.record(op, out, (input,), None)
        return out
    return angle


def _angle_samples(dtype, device):
    from ..testing import make_tensor
    return _view_as_real_samples(dtype, device) + [((make_tensor((2, 3), dtype=dtype, device=device, seed=13),), {})]


def _np_angle(a):
    if _np_kind(a.dtype) == "c":
        return np.angle(a)
    return np.where(a < 0, math.pi, np.where(np.isnan(a), a, 0.0))


defop("angle", kernel=_angle_kernel, frontend=_angle_frontend, samples=_angle_samples, reference=_np_angle)


# --------------------------------------------------------------------------- complex / polar
def _pair_kernel(polar):
    def kernel(xp, a, b):
        if polar:
            a, b = a * xp.cos(b), a * xp.sin(b)
        shape = xp.broadcast_shapes(a.shape, b.shape) if hasattr(xp, "broadcast_shapes") else \
            np.broadcast_shapes(a.shape, b.shape)
        out = xp.empty(shape, dtype=_COMPLEX_OF[a.dtype])
        out.real[...] = a  # not a + 1j * b: inf * 1j would put NaN in the real part
        out.imag[...] = b
        return out
    return kernel


def _pair_frontend(op):
    table = op.table
    name = op.name
    argnames = ("abs", "angle") if name == "polar" else ("real", "imag")

    def complex_pair(a, b, *, out=None):
        check_tensor(a, name, argnames[0], 1)
        check_tensor(b, name, argnames[1], 2)
        da, db = a._data.dtype, b._data.dtype
        if da == db == np.float16:
            if name == "polar":  # (PyTorch's kernel has no half type either)
                raise NotImplementedError("\"polar_cpu\" not implemented for 'Half'")
            raise RuntimeError(f"{name}(): tensorgraft has no complex32 (ComplexHalf) dtype, which PyTorch would "
                               "return for float16 parts; convert them to float32 first")
        if not (da in _COMPLEX_OF or da == np.float16) or not (db in _COMPLEX_OF or db == np.float16):
            raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                               f"{F._type_name(da)} and {F._type_name(db)}")
        if da != db:
            raise RuntimeError(f"Expected object of scalar type {F._type_name(da)} but got scalar type "
                               f"{F._type_name(db)} for second argument")
        if a._device is not b._device:
            raise F.device_mismatch(name, a, b)
        if isinstance(out, Tensor) and out._data.dtype != _COMPLEX_OF[da]:  # (no other dtype: not even wider)
            raise RuntimeError(f"Expected object of scalar type {F._type_name(_COMPLEX_OF[da])} but got scalar type "
                               f"{F._type_name(out._data.dtype)} for argument 'out'")
        try:
            res = wrap(table[a._device.type](a._data, b._data), a._device)
        except ValueError as e:  # NumPy's broadcast error, worded as PyTorch's
            raise F.shape_error(e, a, b) from None
        if _needs(a, b):
            F.record(op, res, (a, b), None)
        if out is not None:
            F.write_out(out, res._data, name)
            return out
        return res
    complex_pair.__name__ = complex_pair.__qualname__ = name
    return complex_pair


def _pair_samples(dtype, device):
    from ..testing import make_tensor
    return [((make_tensor((2, 3), dtype=dtype, device=device, seed=14),
              make_tensor((2, 3), dtype=dtype, device=device, seed=15)), {}),
            ((make_tensor((2, 3), dtype=dtype, device=device, seed=16, low=0.5, high=2.0),
              make_tensor((3,), dtype=dtype, device=device, seed=17)), {})]


defop("complex", kernel=_pair_kernel(False), frontend=_pair_frontend, method=False, samples=_pair_samples,
      reference=lambda a, b: a + 1j * b)
defop("polar", kernel=_pair_kernel(True), frontend=_pair_frontend, method=False, samples=_pair_samples,
      reference=lambda a, b: a * np.cos(b) + 1j * a * np.sin(b))
