"""clamp/clip and clamp_min/clamp_max: their promotion of the input with its bounds, their
autograd nodes (one per PyTorch overload), and the checks their in-place variants run first."""
from __future__ import annotations

import numbers

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._args import invalid_combination
from .._define import defop
from .._frontend.kernel_dtypes import check_inplace_result
from . import branch_free
from ..creation.fills import checked_fill_value
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.dtypes import CPP_TYPE_NAMES


def _clamp_operands(fname, input, *bounds, sides=("min", "max")):
    """The input's array and its bounds, all in PyTorch's result dtype of clamp: the usual
    promotion over the input and the bounds given (``clamp(bool_t, min=-1)`` is int64,
    ``clamp(int8_t, min=float64_t)`` float64). A tensor bound is already on ``input``'s device.
    ``fname``: clamp, or clamp_min/clamp_max with ``sides`` naming their one bound."""
    a = input._data
    for v in bounds:  # (the common bounds by class first: the Number ABC's isinstance is slow)
        if v is not None and v.__class__ is not float and v.__class__ is not int and \
                not isinstance(v, (Tensor, numbers.Number, np.bool_)):
            raise _bound_type_error(fname, input, bounds, sides)
    _refuse_complex_input(fname, input, bounds)
    ranked = [(_dt._BY_NUMPY[a.dtype], _dt.ZERO_DIM if a.ndim == 0 else _dt.DIMENSIONED)]
    for v in bounds:
        if isinstance(v, Tensor):
            ranked.append((_dt._BY_NUMPY[v._data.dtype], _dt.ZERO_DIM if v._data.ndim == 0 else _dt.DIMENSIONED))
        elif v is not None:
            ranked.append((_dt._scalar_dtype(v), _dt.SCALAR))
    npd = _dt.result_type_ranked(ranked).np
    if npd.kind in "bc":
        _refuse_kernel_dtype(npd, input, bounds, sides)
    if a.dtype != npd:
        a = a.astype(npd)
    for v in bounds:
        _check_bound(v, npd)
    out = [None if v is None else v._data.astype(npd, copy=False) if isinstance(v, Tensor) else F._weak_scalar(v, npd)
           for v in bounds]
    return a, out


def _bound_type_error(fname, input, bounds, sides):
    """A bound that is neither a tensor nor a number (a NumPy array, a list): no overload takes it."""
    if fname in ("clamp", "clip"):
        overloads = ("Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
                     "Tensor input, Number min = None, Number max = None, *, Tensor out = None")
    else:
        overloads = tuple(f"Tensor input, {kind} {sides[0]}, *, Tensor out = None" for kind in ("Tensor", "Number"))
    return invalid_combination(fname, (input, *(v for v in bounds if v is not None)), overloads=overloads)


def _refuse_complex_input(fname, input, bounds):
    """PyTorch's refusals of complex operands that come before the promotion: a complex input
    ("clamp is not supported for complex types", except clamp_min/clamp_max with a tensor bound,
    which reach their maximum/minimum kernel: ``_refuse_kernel_dtype``), and a complex number bound
    (the same words, but clamp of a floating input first converts the number to a double and
    fails at that)."""
    kind = _np_kind(input._data.dtype)
    if kind == "c" and not (fname != "clamp" and isinstance(bounds[0], Tensor)):
        raise NotImplementedError("clamp is not supported for complex types")
    if any(v.__class__ is complex for v in bounds):
        if fname == "clamp" and kind == "f":
            raise RuntimeError("value cannot be converted to type double without overflow")
        raise NotImplementedError("clamp is not supported for complex types")


def _refuse_kernel_dtype(npd, input, bounds, sides):
    """The kernels PyTorch has no complex or (for two bounds or number bounds) bool loop for,
    named as its errors name them: a tensor bound's maximum/minimum, clamp of two tensor bounds,
    and the scalar kernels (``clamp_min_scalar``) for bool; e.g. ``clamp(bool_t, min=True)`` is
    '"clamp_min_scalar_cpu" not implemented for 'Bool''. A bool input with one bool tensor bound
    works (maximum/minimum of bools)."""
    given = [side for side, v in zip(sides, bounds) if v is not None]
    numbers = not any(isinstance(v, Tensor) for v in bounds)
    if npd.kind == "c":
        stem = "clamp" if len(given) == 2 else "maximum" if given == ["min"] else "minimum"
    elif numbers:
        stem = "clamp_scalar" if len(given) == 2 else f"clamp_{given[0]}_scalar"
    elif len(given) == 2 and all(isinstance(v, Tensor) for v in bounds):
        stem = "clamp"
    else:
        return
    raise NotImplementedError(f"\"{stem}_{input._device.type}\" not implemented for '{F._type_name(npd)}'")


def _check_bound(v, npdtype):
    """A number bound as c10's checked conversion takes it into the result dtype, before anything
    is computed or written: 1e40 into float32, 1e6 into float16 (unlike where's unchecked
    conversion), 300 into int8 raise "value cannot be converted to type ... without overflow"; a
    negative int still wraps into uint8 (-1 -> 255). Tensor bounds and complex numbers (which
    clamp refuses or takes elsewhere) pass."""
    if v is None or v.__class__ is complex or isinstance(v, Tensor):
        return
    if v.__class__ is float and (npdtype is _F64 or npdtype is _F32 and -_F32_MAX <= v <= _F32_MAX) or \
            v.__class__ is int and -_I64_HIGH <= v < _I64_HIGH and (npdtype is _I64 or npdtype is _F32 or npdtype is _F64):
        return  # (the common float bound, without the general conversion's cost)
    checked_fill_value(v, npdtype)


_F32, _F64, _I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
_I64_HIGH = 1 << 63
_F32_MAX = float(np.finfo(np.float32).max)


def _clamp_frontend(op):
    table = op.table

    def clamp(input, min=None, max=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("clamp", "input", 1, input)
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) and min._device is not input._device or \
                isinstance(max, Tensor) and max._device is not input._device:
            input, min, max = F.join_cpu_scalars("clamp", input, min, max)
        a, (lo, hi) = _clamp_operands("clamp", input, min, max)
        try:
            out = wrap(table[input._device.type](a, lo, hi), input._device)
        except ValueError as e:
            raise F.shape_error(e, a, lo, hi) from None
        if _gs.enabled and (input._requires_grad or isinstance(min, Tensor) and min._requires_grad
                            or isinstance(max, Tensor) and max._requires_grad):
            # PyTorch's overloads: clamp(Tensor? min, Tensor? max) -> ClampBackward0 when every bound
            # given is a tensor; any Python number selects clamp(Scalar? min, Scalar? max) ->
            # ClampBackward1 (clamp_min/clamp_max record their own nodes only when called by name)
            numbers = (min is not None and not isinstance(min, Tensor)) or (max is not None and not isinstance(max, Tensor))
            name = "ClampBackward1" if numbers else "ClampBackward0"
            Tensor._autograd.record(op, out, (input, min, max), None, node_name=name)
        return out
    return clamp


_clamp = defop("clamp", kernel=branch_free.clamp, frontend=_clamp_frontend, inplace="clamp_")
defop("clip", kernel=branch_free.clamp, frontend=_clamp_frontend, inplace="clip_", formula_of="clamp")


def _clamp_side_frontend(op, side):
    """``clamp_min(input, min)`` / ``clamp_max(input, max)``: one bound, a number or a tensor."""
    table = op.table
    fname = op.name
    base = "ClampMin" if side == "min" else "ClampMax"

    def clamp_side(input, bound):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor(fname, "input", 1, input)
        if bound is None:
            raise TypeError(f"{fname}(): argument '{side}' must be Number or Tensor, not NoneType")
        if isinstance(bound, Tensor) and bound._device is not input._device:
            input, bound = F.join_cpu_scalars(fname, input, bound)
        a, (b,) = _clamp_operands(fname, input, bound, sides=(side,))
        try:
            out = wrap(table[input._device.type](a, b), input._device)
        except ValueError as e:
            raise F.shape_error(e, a, b) from None
        if _gs.enabled and (input._requires_grad or isinstance(bound, Tensor) and bound._requires_grad):
            Tensor._autograd.record(op, out, (input, bound), None,
                                    node_name=base + ("Backward1" if isinstance(bound, Tensor) else "Backward0"))
        return out
    clamp_side.__name__ = clamp_side.__qualname__ = fname
    return clamp_side


defop("clamp_min", kernel=lambda xp, a, b: branch_free.clamp(xp, a, lo=b), frontend=lambda op: _clamp_side_frontend(op, "min"),
      inplace="clamp_min_")
defop("clamp_max", kernel=lambda xp, a, b: branch_free.clamp(xp, a, hi=b), frontend=lambda op: _clamp_side_frontend(op, "max"),
      inplace="clamp_max_")


def _legacy_name(npdtype):
    """PyTorch's C++ scalar-type names used in some messages ("float", "double")."""
    return CPP_TYPE_NAMES.get(str(npdtype), str(npdtype))




def _clamp_inplace_check(self, min=None, max=None, one_side=False):
    """``int_t.clamp_(0.5)``: PyTorch refuses a Python float bound for an integer tensor before it
    computes anything, naming the tensor's C type ("long int"). A complex number bound: clamp_min_/
    clamp_max_ and a complex tensor refuse complex clamping; clamp_ of a real tensor refuses the
    complex result an integer tensor can't hold, or the number the double its scalar overload takes
    cannot be. Tensor bounds go the generic in-place cast check first."""
    kind = _np_kind(self._data.dtype)
    for bound in (min, max):
        if isinstance(bound, Tensor):  # (a complex bound for a real tensor: before the kernel's refusal)
            check_inplace_result(self._data, bound._data, False)
        if bound is None or isinstance(bound, Tensor):
            continue
        if isinstance(bound, complex) and not isinstance(bound, (int, float)) and bound.imag != 0:
            if one_side or kind == "c":
                raise NotImplementedError("clamp is not supported for complex types")
            if kind in "biu":
                raise RuntimeError("result type ComplexFloat can't be cast to the desired output type "
                                   f"{_legacy_name(self._data.dtype)}")
            raise RuntimeError("value cannot be converted to type double without overflow")
        if isinstance(bound, (float, np.floating)) and _np_kind(self._data.dtype) in "biu":
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_legacy_name(self._data.dtype)}")
        if isinstance(bound, (int, np.integer)) and not isinstance(bound, (bool, np.bool_)) and \
                -_I64_HIGH <= bound < _I64_HIGH and _np_kind(self._data.dtype) == "b":  # (the C type here too, where the generic check says "Bool")
            raise RuntimeError("result type Long can't be cast to the desired output type bool")


F.INPLACE_PRECHECKS.update(clamp_=_clamp_inplace_check, clip_=_clamp_inplace_check,
                           clamp_min_=lambda self, min: _clamp_inplace_check(self, min=min, one_side=True),
                           clamp_max_=lambda self, max: _clamp_inplace_check(self, max=max, one_side=True))


def _clamp_store(bound_names):
    """No-grad ``x.clamp_(lo, hi)`` with number bounds (``F.DIRECT_INPLACE``): the kernel into
    x's array, the bounds in x's dtype as ``_clamp_operands`` makes them, so the values are the
    general path's to the bit."""
    def store(self, args, kwargs):
        a = F.direct_target(self)
        if a is None or len(args) > len(bound_names):
            return False
        bounds = dict(zip(bound_names, args))
        for k, v in kwargs.items():
            if k not in bound_names or k in bounds:
                return False  # (an unknown or repeated argument: the general path words the error)
            bounds[k] = v
        if not any(bounds.get(k) is not None for k in bound_names):
            return False
        lo, hi = bounds.get("min"), bounds.get("max")
        if any(v is not None and v.__class__ not in (int, float) for v in (lo, hi)):
            return False
        _check_bound(lo, a.dtype)  # (refused before the write)
        _check_bound(hi, a.dtype)
        to = a.dtype.type
        branch_free.clamp(np, a, None if lo is None else to(lo), None if hi is None else to(hi), out=a)
        return True
    return store


F.DIRECT_INPLACE.update(clamp=_clamp_store(("min", "max")), clip=_clamp_store(("min", "max")),
                        clamp_min=_clamp_store(("min",)), clamp_max=_clamp_store(("max",)))
