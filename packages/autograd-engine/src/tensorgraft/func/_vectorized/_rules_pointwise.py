"""Elementwise (broadcasting) ops: the physical tensors of the batched operands get size-1 dims
after the batch dim until every operand has the call's highest logical rank, so that broadcasting
lines up logical dims; unbatched operands broadcast as they are (from the right, below the batch
dim). One physical call computes every sample."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from .._vmap_guards import _DYNAMIC_MSG
from ._common import FUNCTIONAL, METHOD, SPECIAL, TORCH, aligned, at, register, wrap
from ._fallback import refuse_inplace_into_unbatched

UNARY = """abs absolute acos arccos acosh arccosh asin arcsin asinh arcsinh atan arctan atanh arctanh ceil clamp clip
cos cosh deg2rad rad2deg digamma erf erfc erfinv exp exp2 expm1 fix floor frac lgamma log log10 log1p log2 logit i0
isnan isinf isfinite isposinf isneginf isreal nan_to_num neg negative positive reciprocal round rsqrt sigmoid sign sgn
signbit sin sinc sinh sqrt square tan tanh trunc relu logical_not bitwise_not angle conj conj_physical mvlgamma
polygamma clamp_min clamp_max clone detach contiguous float double half bfloat16 int long short bool byte char
cpu cuda zeros_like ones_like full_like empty_like resolve_conj resolve_neg real imag threshold""".split()
BINARY = """add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow float_power atan2
arctan2 hypot logaddexp logaddexp2 maximum minimum fmax fmin eq ne lt le gt ge greater greater_equal less less_equal
not_equal logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift
bitwise_right_shift copysign nextafter xlogy lerp addcmul addcdiv heaviside ldexp isclose rsub
igamma igammac""".split()
DUNDERS = """__rsub__ __rtruediv__ __rdiv__ __floordiv__ __rfloordiv__ __rmod__ __rpow__ __and__ __rand__ __or__
__ror__ __xor__ __rxor__ __lshift__ __rlshift__ __rshift__ __rrshift__ __eq__ __invert__ __neg__ __abs__ __pos__
""".split()
FUNCTIONAL_POINTWISE = """relu relu6 elu selu celu gelu silu mish leaky_relu hardtanh hardswish hardsigmoid sigmoid
tanh softplus softsign logsigmoid tanhshrink softshrink hardshrink threshold rrelu_eval""".split()
SPECIAL_POINTWISE = """expit logit erf erfc erfinv exp2 expm1 log1p sinc xlogy xlog1py i0 i0e i1 i1e ndtr ndtri
log_ndtr digamma psi gammaln entr round""".split()


def _common_dtype(tensors):
    """The dtype PyTorch computes in when some operand is a batched *logical* 0-d tensor: such a
    tensor counts only by its category there, but its physical tensor has a dim (the batch's)."""
    import tensorgraft
    acc = None
    for t in tensors:
        stand = tensorgraft.empty((1,) * min(t._data.ndim, 1), dtype=t.dtype)
        if acc is None:
            acc = stand
        else:
            dt = tensorgraft.result_type(acc, stand)
            acc = tensorgraft.empty((1,) * max(min(acc.dim(), 1), min(stand.dim(), 1)), dtype=dt)
    return acc.dtype


def _operands(args, kwargs):
    out = [a for a in args if isinstance(a, Tensor)]
    if kwargs:
        out.extend(v for v in kwargs.values() if isinstance(v, Tensor))
    return out


def pointwise(func, level, size, args, kwargs):
    tensors = _operands(args, kwargs)
    rank = max(t._data.ndim for t in tensors)
    if len(tensors) > 1 and any(at(t, level) and t._data.ndim == 0 for t in tensors) and \
            len({t._data.dtype for t in tensors}) > 1:
        common = _common_dtype(tensors)
        cast = {id(t): t.to(common) for t in tensors
                if at(t, level) and t._data.ndim == 0 and t.dtype != common and t._data.dtype.kind != "b"}
        if cast:
            args = tuple(cast.get(id(a), a) for a in args)
            kwargs = {k: cast.get(id(v), v) for k, v in kwargs.items()}
    new_args = tuple(aligned(a, level, rank) for a in args)
    new_kwargs = {k: aligned(v, level, rank) for k, v in kwargs.items()} if kwargs else kwargs
    return wrap(func(*new_args, **new_kwargs), level)


def pointwise_inplace(func, level, size, args, kwargs):
    self = args[0]
    if not at(self, level):
        refuse_inplace_into_unbatched(func.__name__, self, args[1:], kwargs, level)
    rank = self._data.ndim
    new_args = (self._physical,) + tuple(aligned(a, level, rank) for a in args[1:])
    new_kwargs = {k: aligned(v, level, rank) for k, v in kwargs.items()} if kwargs else kwargs
    func(*new_args, **new_kwargs)
    return self


def _fill(func, level, size, args, kwargs):
    """``fill_(value)`` with a batched (logical 0-d) value: each sample filled with its own."""
    self = args[0]
    value = args[1] if len(args) > 1 else kwargs.get("value")
    if not at(self, level) or not at(value, level):
        return pointwise_inplace(func, level, size, args, kwargs)
    self._physical.copy_(aligned(value, level, self._data.ndim).expand_as(self._physical))
    return self


def _masked_fill(func, level, size, args, kwargs):
    """``masked_fill(input, mask, value)``; a batched value (each sample's own 0-d tensor) cannot go
    to the op, which takes a 0-d value only: ``where(mask, value, input)`` in input's dtype."""
    names = ("input", "mask", "value")
    given = dict(zip(names, args), **kwargs)
    value = given.get("value")
    if not (isinstance(value, Tensor) and at(value, level)):
        return pointwise(func, level, size, args, kwargs)
    import tensorgraft
    rank = max(t._data.ndim for t in given.values() if isinstance(t, Tensor))
    x, mask, v = (aligned(given[n], level, rank) for n in names)
    return wrap(tensorgraft.where(mask, v.to(x.dtype), x), level)


def _like_other(func, level, size, args, kwargs):
    """``x.to(other)`` / ``x.type_as(other)``: ``other`` gives its dtype (and device) only, so a
    batched ``other`` does not batch the result (vmap then expands an unbatched result, as PyTorch)."""
    other = args[1] if len(args) > 1 else kwargs.get("other")
    if not (isinstance(other, Tensor) and at(other, level)):
        return pointwise(func, level, size, args, kwargs)
    self = args[0]
    if func.__name__ == "type_as":
        converted = self.to(other.dtype)
    else:
        rest = {k: v for k, v in kwargs.items() if k != "other"}
        converted = self.to(other.device, other.dtype, *args[2:], **rest)
    return converted


def _where(func, level, size, args, kwargs):
    if len(args) == 1 and not kwargs:  # where(cond): the indices of the True values
        raise RuntimeError(_DYNAMIC_MSG.format("where"))
    return pointwise(func, level, size, args, kwargs)


def _functional_pointwise(func, level, size, args, kwargs):
    inplace = kwargs.get("inplace") or (func.__name__.endswith("_"))
    if inplace and not at(args[0], level):
        refuse_inplace_into_unbatched(func.__name__, args[0], args[1:], kwargs, level)
    return pointwise(func, level, size, args, kwargs)


register(" ".join(UNARY + BINARY), pointwise)
register("masked_fill", _masked_fill)
register("to type_as", _like_other, (METHOD,))
register(" ".join(DUNDERS), pointwise, (METHOD,))
register(" ".join(n + "_" for n in UNARY + BINARY if n not in ("to", "clone", "detach", "contiguous", "type_as")),
         pointwise_inplace, (METHOD, TORCH))
register("__iand__ __ior__ __ixor__ __ilshift__ __irshift__ zero_ copy_ masked_fill_ clamp_ clip_",
         pointwise_inplace, (METHOD,))
register("fill_", _fill, (METHOD,))
register("where", _where)
register(" ".join(FUNCTIONAL_POINTWISE) + " relu_ elu_ leaky_relu_ hardtanh_ threshold_ celu_ selu_",
         _functional_pointwise, (FUNCTIONAL,))
register(" ".join(SPECIAL_POINTWISE), pointwise, (SPECIAL,))
