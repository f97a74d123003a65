"""Rounding (floor, ceil, trunc, fix, frac, round) and the unary ops on bits and truth values:
logical_not, bitwise_not, the predicates isnan/isinf/isfinite/isposinf/isneginf/signbit, and
positive (``+x``). The kernels refuse the dtypes PyTorch has no kernel for (bool, complex)."""
from __future__ import annotations

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._define import defop, unary
from tensorgraft.dtypes import np_kind as _np_kind


def _rounding(fn):
    def kernel(xp, a):
        if _np_kind(a.dtype) == "b":  # integers round to themselves; PyTorch has no bool kernel
            raise NotImplementedError(f"\"{fn}_vml_cpu\" not implemented for 'Bool'")
        if _np_kind(a.dtype) in "iu":
            return a.copy()
        try:
            return getattr(xp, fn)(a)
        except TypeError:  # NumPy has no complex rounding; neither has PyTorch, in its own words
            if _np_kind(a.dtype) == "c":
                raise NotImplementedError(f"{fn} is not supported for complex inputs") from None
            raise
    return kernel


unary("floor", kernel=_rounding("floor"))
unary("ceil", kernel=_rounding("ceil"))
unary("trunc", kernel=_rounding("trunc"))
unary("fix", kernel=_rounding("trunc"))
def _frac_kernel(xp, a):
    if _np_kind(a.dtype) != "f":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{F._type_name(a.dtype)}'")
    return a - xp.trunc(a)


unary("frac", kernel=_frac_kernel)


def _round_kernel(xp, a, decimals=0):
    if _np_kind(a.dtype) in "bc":  # no bool or complex kernel in PyTorch (NumPy rounds both)
        kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{F._type_name(a.dtype)}'")
    if _np_kind(a.dtype) in "iu":
        return a.copy()
    return xp.round(a, decimals)  # half to even, as PyTorch


# ``decimals`` not passed: rounds as 0 does, but PyTorch records another node for it
_NO_DECIMALS = object()


def _round_frontend(op):
    table = op.table

    def round(input, *, decimals=_NO_DECIMALS):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("round", "input", 1, input)
        plain = decimals is _NO_DECIMALS
        out = wrap(table[input._device.type](input._data, 0 if plain else decimals), input._device)
        if input._requires_grad and _gs.enabled:
            # passing ``decimals`` at all (even 0) is PyTorch's ``round.decimals`` overload, whose
            # node is RoundBackward1
            Tensor._autograd.record(op, out, (input,), None,
                                    node_name=None if plain else "RoundBackward1")
        return out
    return round


defop("round", kernel=_round_kernel, frontend=_round_frontend, inplace="round_")

unary("logical_not", kernel=lambda xp, a: xp.logical_not(a), differentiable=False)
def _bitwise_not_kernel(xp, a):
    if _np_kind(a.dtype) == "b":
        return xp.logical_not(a)
    if _np_kind(a.dtype) not in "iu":
        # (the ~ operator refuses these first, in Python's words: Tensor.__invert__)
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{F._type_name(a.dtype)}'")
    return xp.invert(a)


# (bf16_native: the kernel sees a half tensor as it is, to name its dtype in the refusal)
unary("bitwise_not", kernel=_bitwise_not_kernel, differentiable=False, bf16_native=True)
unary("isnan", "isnan", inplace=False, differentiable=False)
unary("isinf", "isinf", inplace=False, differentiable=False)
unary("isfinite", "isfinite", inplace=False, differentiable=False)
def _infinity_test(name):
    """isposinf/isneginf: real inputs only (NumPy's ufuncs refuse complex ones in words of their own)."""
    def kernel(xp, a):
        if _np_kind(a.dtype) == "c":
            raise RuntimeError(f"{name} does not support complex inputs.")
        return getattr(xp, name)(a)
    return kernel


unary("isposinf", kernel=_infinity_test("isposinf"), inplace=False, differentiable=False, bf16_native=True)
unary("isneginf", kernel=_infinity_test("isneginf"), inplace=False, differentiable=False, bf16_native=True)
def _signbit_kernel(xp, a):
    try:
        return xp.signbit(a)
    except TypeError:
        if _np_kind(a.dtype) == "c":
            raise NotImplementedError("signbit is not implemented for complex tensors.") from None
        raise


unary("signbit", kernel=_signbit_kernel, inplace=False, differentiable=False)


def _positive_frontend(op):
    def positive(input):
        """``+x`` is ``x`` itself (no copy, no graph node), as in PyTorch."""
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("positive", "input", 1, input)
        if _np_kind(input._data.dtype) == "b":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return input
    return positive


defop("positive", kernel=lambda xp, a: a, frontend=_positive_frontend, dunders=("__pos__",), composite=True)
