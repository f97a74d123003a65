"""The rest of the elementwise math, declared after clamp: lerp, nan_to_num and logit (frontends of
their own for the weight, replacement values and eps), sinc, deg2rad/rad2deg, logaddexp/logaddexp2,
heaviside (no promotion), and addcmul/addcdiv (``value=``)."""
from __future__ import annotations

import functools
import math
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import binary, defop, unary
from .._frontend.kernel_dtypes import kernel_dtypes
from ..fused_multiply_add import lerp_into, scaled_sum
from . import branch_free
from .clamp import _legacy_name
from .special import _real_only
from tensorgraft.dtypes import np_kind as _np_kind

_F16 = np.dtype(np.float16)


def _lerp_kernel(xp, a, b, w):
    # PyTorch's two-sided form: exact at both ends (w == 0 -> a, w == 1 -> b)
    one_weight = getattr(w, "ndim", 0) == 0
    fusable = one_weight and xp is np and a.dtype in _FUSED_DTYPES
    if fusable and a.shape == b.shape:
        # one weight: a + w d or b + (w - 1) d, rounded once (PyTorch's kernel ends in a fused
        # multiply-add; ``w - 1`` in the dtype, as there), block by block
        out = np.empty_like(a)
        if lerp_into(out, a, b, w):
            return out
    d = b - a
    if fusable:  # (operands that broadcast or are laid out differently: the same, on whole arrays)
        small = abs(w) < 0.5
        r = scaled_sum(a if small else b, w if small else w - w.dtype.type(1), d)
        if r is not None:
            return r
    if one_weight and a.dtype == d.dtype and a.dtype in _LERP_IN_PLACE:
        # one weight: one side for every element, computed in d's buffer (no select, which
        # computed both sides)
        if abs(w) < 0.5:
            d *= w
            d += a
            return d
        d *= w - 1  # b + d (w - 1) is b - d (1 - w) to the bit: IEEE negation is exact
        d += b
        return d
    return branch_free.select(xp, xp.abs(w) < 0.5, a + w * d, b - d * (1 - w))


# dtypes whose lerp is one fused multiply-add (``fused_multiply_add.py``: BLAS's float32/float64 axpy)
_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# dtypes whose arithmetic with a same-typed weight stays in the dtype (bfloat16 weighs in float32)
_LERP_IN_PLACE = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex64), np.dtype(np.complex128))


def _lerp_frontend(op):
    table = op.table

    def lerp(input, end, weight):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("lerp", "input", 1, input)
        if not isinstance(end, Tensor):
            raise F.not_a_tensor("lerp", "end", 2, end)
        dev = input._device
        if end._device is not dev or isinstance(weight, Tensor) and weight._device is not dev:
            input, end, weight = F.join_cpu_scalars("lerp", input, end, weight)
            dev = input._device
        a, b = input._data, end._data
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected dtype {_legacy_name(a.dtype)} for `end` but got dtype {_legacy_name(b.dtype)}")
        if _np_kind(a.dtype) not in "fc":  # (PyTorch's kernels for a number and for a tensor weight)
            kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{F._type_name(a.dtype)}'")
        if isinstance(weight, Tensor):
            w = weight._data
            if w.dtype != a.dtype:
                if w.ndim:
                    raise RuntimeError(f"expected dtype {_legacy_name(a.dtype)} for `weight` but got dtype "
                                       f"{_legacy_name(w.dtype)}")
                w = w.astype(a.dtype)  # a 0-d weight is cast, as PyTorch does
            node = "LerpBackward1"
        elif isinstance(weight, F._SCALARS):
            # a half-type lerp weighs by the number in float32, as PyTorch's kernel (unrounded)
            w = np.float32(weight) if a.dtype is _dt.BF16 or a.dtype == np.float16 else a.dtype.type(weight)
            node = None
        else:
            raise TypeError(f"lerp(): argument 'weight' must be Number or Tensor, not {c_type_name(weight)}")
        try:
            out = wrap(table[dev.type](a, b, w), dev)
        except ValueError as e:
            raise F.shape_error(e, a, b, w) from None
        if F.needs_grad(input, end, weight):
            if node is None:  # a number weight: the node saves nothing but the number
                Tensor._autograd.record(_lerp_by_number, out, (input, end, weight), {"weight": weight})
            else:
                Tensor._autograd.record(op, out, (input, end, weight), None, node_name=node)
        return out
    return lerp


# PyTorch refuses mixed float32/float64 operands here (no promotion): the conformance kit's mixed
# precision check does not apply
defop("lerp", kernel=_lerp_kernel, frontend=_lerp_frontend, inplace="lerp_", dtype_rule=False)
# lerp with a number weight (PyTorch's LerpBackward0): its gradients need only the number, so its
# node keeps no tensors and a second backward through it works, as in PyTorch
_lerp_by_number = defop("_lerp_scalar", kernel=_lerp_kernel, frontend=_lerp_frontend, method=False, public=False,
                        node="LerpBackward0", dtype_rule=False)


def _nan_to_num_kernel(xp, a, nan, posinf, neginf):
    if _np_kind(a.dtype) not in "fc":
        return a.copy()
    if a.dtype is _dt.BF16:
        # the infinities become bfloat16's own largest values (NumPy's finfo cannot read the type,
        # and float32's would round to infinity again)
        big = float(_dt.finfo(_dt.bfloat16).max)
        wide = xp.nan_to_num(a.astype(np.float32), nan=nan, posinf=big if posinf is None else posinf,
                             neginf=-big if neginf is None else neginf)
        return wide.astype(a.dtype)
    return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_frontend(op):
    table = op.table

    def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("nan_to_num", "input", 1, input)
        out = wrap(table[input._device.type](input._data, 0.0 if nan is None else nan, posinf, neginf),
                   input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return nan_to_num


defop("nan_to_num", kernel=_nan_to_num_kernel, frontend=_nan_to_num_frontend, inplace="nan_to_num_",
      bf16_native=True)  # its bfloat16 limits (above)


def _logit_kernel(xp, a, eps):
    # ``eps``: a number, or the pair of bounds already rounded to a half type (the frontend)
    if eps is not None:
        lo, hi = eps if isinstance(eps, tuple) else (eps, 1 - eps)
        if lo <= hi:
            a = xp.clip(a, lo, hi)
        else:  # eps > 0.5: PyTorch raises x below lo to lo first, so lo wins where the bounds cross
            a = xp.where(a < lo, xp.asarray(lo, dtype=a.dtype), xp.where(a > hi, xp.asarray(hi, dtype=a.dtype), a))
    return xp.log(a / (1 - a))


def _logit_frontend(op):
    table = op.table

    def logit(input, eps=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("logit", "input", 1, input)
        a = input._data
        if _np_kind(a.dtype) not in "fc":
            a = a.astype(_dt.get_default_dtype().np)
        _real_only(a, "logit_cpu")
        bound = eps
        if eps is not None and (a.dtype is _dt.BF16 or a.dtype is _F16):
            # PyTorch's half kernel holds eps and 1 - eps in the half type (1 - 1e-6 rounds to 1)
            lo = np.asarray(eps, dtype=a.dtype)
            bound = (float(lo), float(np.asarray(1 - float(lo), dtype=a.dtype)))
        out = wrap(table[input._device.type](a, bound), input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), {"eps": eps})
        return out
    return logit


defop("logit", kernel=_logit_kernel, frontend=_logit_frontend, inplace="logit_")

unary("sinc", kernel=lambda xp, a: xp.sinc(a), to_float=True)
def _angle_units(name, factor):
    def kernel(xp, a):
        if _np_kind(a.dtype) == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return a * a.dtype.type(factor)
    return kernel


unary("deg2rad", kernel=_angle_units("deg2rad", math.pi / 180.0), to_float=True, node="Deg2RadBackward0")
unary("rad2deg", kernel=_angle_units("rad2deg", 180.0 / math.pi), to_float=True, node="Rad2DegBackward0")
def _logaddexp_kernel(xp, a, b):
    if xp is np and a.__class__ is np.ndarray and b.__class__ is np.ndarray and a.dtype == b.dtype \
            and a.dtype in (np.float32, np.float64):
        return _logaddexp_float(a, b)
    try:
        return xp.logaddexp(a, b)
    except TypeError:  # NumPy has no complex logaddexp; PyTorch does
        if np.result_type(a, b).kind != "c":
            raise
    a, b = xp.broadcast_arrays(xp.asarray(a), xp.asarray(b))
    first_bigger = a.real >= b.real
    big, small = xp.where(first_bigger, a, b), xp.where(first_bigger, b, a)
    r = big + xp.log1p(xp.exp(small - big))
    return xp.where(xp.isinf(big.real), big, r)  # exp(inf - inf) would make it NaN


def _logaddexp_float(a, b):
    """PyTorch's formula, max(a, b) + log1p(exp(-|a - b|)), and a where both are the same
    infinity: NumPy's logaddexp calls libm per element (~20x slower than these vectorised passes);
    the two agree within 2 ulp."""
    r = np.asarray(np.subtract(a, b))  # (of two 0-d arrays NumPy returns a scalar, no out= target)
    np.abs(r, out=r)
    np.negative(r, out=r)
    np.exp(r, out=r)
    np.log1p(r, out=r)
    top = np.maximum(a, b)
    r += top
    infinite = np.isinf(top)  # (never where a or b is NaN: maximum propagates it)
    if infinite.any():  # inf - inf made NaN where both were inf; the maximum is the answer there
        r = branch_free.select(np, infinite, top, r)
    return r


binary("logaddexp", kernel=_logaddexp_kernel, mode="float", inplace=False,
       kernels={"cpu": functools.partial(_logaddexp_kernel, np)}, operand_check=kernel_dtypes("logaddexp", "fc"))
binary("logaddexp2", "logaddexp2", mode="float", inplace=False, operand_check=kernel_dtypes("logaddexp2", "f"))
def _heaviside_wrapper(fast):
    """PyTorch's heaviside takes two tensors of one real dtype (no promotion, no numbers)."""
    def heaviside(input, values):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("heaviside", "input", 1, input)
        if not isinstance(values, Tensor):
            raise F.not_a_tensor("heaviside", "values", 2, values)
        if isinstance(input, Tensor):
            if _np_kind(input._data.dtype) == "c" or _np_kind(values._data.dtype) == "c":
                raise RuntimeError("heaviside is not yet implemented for complex tensors.")
            if input._data.dtype != values._data.dtype:
                raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
        return fast(input, values)
    return heaviside


# no promotion in PyTorch: the conformance kit's mixed-precision check does not apply
binary("heaviside", kernel=lambda xp, a, b: xp.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype, copy=False),
       differentiable=False, wrapper=_heaviside_wrapper, dtype_rule=False)


# --------------------------------------------------------------------------- addcmul / addcdiv
def _addc_kernel(kind):
    # PyTorch's order, ``a + (value * t1) op t2`` (its float32 addcmul fuses the last multiply-add:
    # see _frontend/half_alpha.py for why that is not emulated)
    def kernel(xp, a, t1, t2, value):
        if kind == "mul":
            return a + (value * t1) * t2
        return a + (value * t1) / t2
    return kernel


def _addc_frontend(op, kind):
    table = op.table
    fname = op.name

    def addc(input, tensor1, tensor2, *, value=1, out=None):
        for pos, (nm, t) in enumerate((("input", input), ("tensor1", tensor1), ("tensor2", tensor2)), 1):
            if not isinstance(t, Tensor):
                raise F.not_a_tensor(fname, nm, pos, t)
        if tensor1._device is not input._device or tensor2._device is not input._device:
            input, tensor1, tensor2 = F.join_cpu_scalars(fname, input, tensor1, tensor2)
        ranked = [(t.dtype, _dt.ZERO_DIM if t._data.ndim == 0 else _dt.DIMENSIONED) for t in (input, tensor1, tensor2)]
        common = _dt.result_type_ranked(ranked)
        # (PyTorch refuses two integral operands whatever ``input`` is, and its text has two spaces)
        if kind == "div" and tensor1.dtype.category < 2 and tensor2.dtype.category < 2:
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                               "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior "
                               "can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                               "for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The "
                               "future addcdiv behavior is just the latter implementation: "
                               "(input + value * tensor1 / tensor2), for all dtypes.")
        npd = common.np
        if npd.kind == "b" and kind == "mul":  # (no bool kernel; NumPy would blend the products as "or")
            raise NotImplementedError(f"\"addcmul_{input._device.type}_out\" not implemented for 'Bool'")
        if npd.kind in "iu" and not isinstance(value, bool):
            # PyTorch truncates a float ``value`` for integer tensors (unlike add's ``alpha``),
            # and refuses one the dtype cannot hold
            value = int(value)
            info = np.iinfo(npd)
            if not info.min <= value <= info.max:
                raise RuntimeError(f"value cannot be converted to type {F._CONVERT_NAMES[npd.name]} without overflow")
        arrs = [t._data if t._data.dtype == npd else t._data.astype(npd) for t in (input, tensor1, tensor2)]
        # (the half types scale by the number in float32, unrounded, as PyTorch's kernel)
        scale = np.float32(value) if npd is _dt.BF16 or npd is _F16 else npd.type(value)
        res = wrap(table[input._device.type](*arrs, scale), input._device)
        if F.needs_grad(input, tensor1, tensor2):
            Tensor._autograd.record(op, res, (input, tensor1, tensor2), {"value": value})
        if out is not None:
            F.write_out(out, res._data, fname)
            return out
        return res
    addc.__name__ = addc.__qualname__ = fname
    return addc


defop("addcmul", kernel=_addc_kernel("mul"), frontend=lambda op: _addc_frontend(op, "mul"), inplace="addcmul_")
defop("addcdiv", kernel=_addc_kernel("div"), frontend=lambda op: _addc_frontend(op, "div"), inplace="addcdiv_")


# The no-grad in-place forms written straight into the tensor's array (``F.DIRECT_INPLACE``), with
# the arithmetic of the kernels above, so the values are the general path's to the bit: the
# updates of hand-written optimizers (``v.addcmul_(g, g, value=1 - beta2)``,
# ``p.addcdiv_(m, denom, value=-lr)``) and weight averages (``avg.lerp_(p, 0.001)``).
def _addc_store(kind):
    def store(self, args, kwargs):
        a = F.direct_target(self)
        if a is None or len(args) != 2 or (kwargs and list(kwargs) != ["value"]):
            return False
        value = kwargs.get("value", 1)
        t1, t2 = F.direct_operand(self, a, args[0]), F.direct_operand(self, a, args[1])
        if value.__class__ not in (int, float) or t1 is None or t2 is None:
            return False
        scaled = np.multiply(t1, a.dtype.type(value))  # (value * t1) op t2, as the kernel
        np.add(a, scaled * t2 if kind == "mul" else scaled / t2, out=a)
        return True
    return store


def _lerp_store(self, args, kwargs):
    a = F.direct_target(self)
    if a is None or kwargs or len(args) != 2 or args[1].__class__ not in (int, float):
        return False
    b = F.direct_operand(self, a, args[0])
    if b is None or b.shape != a.shape:
        return False
    # a + w * d or b + (w - 1) * d, rounded once: in place block by block, or (operands laid out
    # differently, or overlapping) the kernel's result copied in
    if not lerp_into(a, a, b, args[1]):
        a[...] = _lerp_kernel(np, a, b, a.dtype.type(args[1]))
    return True


F.DIRECT_INPLACE.update(addcmul=_addc_store("mul"), addcdiv=_addc_store("div"), lerp=_lerp_store)
