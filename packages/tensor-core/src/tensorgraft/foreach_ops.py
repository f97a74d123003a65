"""PyTorch's ``torch._foreach_*`` functions: one op applied to every tensor of a list.

PyTorch's multi-tensor optimizers call them, and hand-written optimizers (Lion, Adafactor ports)
copy those loops, so ``torch._foreach_mul_(exp_avgs, beta)`` has to run. PyTorch fuses the list
into few kernel launches; NumPy has nothing to fuse, so each function here is a loop over the
single-tensor op. Values, dtypes, errors and in-place semantics follow PyTorch; a result that
requires grad carries the single op's node (``MulBackward0``) instead of PyTorch's
``ForeachMulBackward1Scalar``.

Resolved on first use by ``tensorgraft.__getattr__``, so importing tensorgraft does not load it.
"""
from __future__ import annotations

from tensorgraft.argument_errors import c_type_name

import numbers

import tensorgraft as _tg

from .ops._args import invalid_combination
from .tensor import Tensor

# --------------------------------------------------------------------------- argument checks


def _type_name(value) -> str:
    return "Tensor" if isinstance(value, Tensor) else c_type_name(value)


def _tensors(fname, value, argnum=0):
    """``value`` as a list of tensors, with PyTorch's errors for anything else."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{fname}(): argument 'self' (position 1) must be tuple of Tensors, not {_type_name(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {argnum}, but got {_type_name(item)}")
    if not value:
        raise RuntimeError("Tensor list must have at least one tensor.")
    return value


def _same_length(first, second):
    if len(first) != len(second):
        raise RuntimeError(f"Tensor lists must have the same number of tensors, got {len(first)} and {len(second)}")


def _is_scalar(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, Tensor)


def _scalar_tensor(value):
    if value.dim() != 0:
        raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {value.dim()} dimensions and "
                           f"{value.numel()} elements.")
    return value


def _operands(fname, tensors, other, overloads, args, kwargs, tensor_ok=True, scalar_list_ok=True):
    """The per-tensor second operands: a number for each, a 0-dim tensor for each, or the items of
    a list of numbers or of tensors (a list holding any tensor is a tensor list, as in PyTorch)."""
    if not isinstance(tensors, (list, tuple)) or not (
            _is_scalar(other) or isinstance(other, (list, tuple, Tensor))):
        raise invalid_combination(fname, args, kwargs, overloads)
    tensors = _tensors(fname, tensors)
    if _is_scalar(other):
        return tensors, [other] * len(tensors)
    if isinstance(other, Tensor):
        if not tensor_ok:
            raise invalid_combination(fname, args, kwargs, overloads)
        return tensors, [_scalar_tensor(other)] * len(tensors)
    if any(isinstance(item, Tensor) for item in other) or not other:
        _tensors(fname, other, argnum=1)
        _same_length(tensors, other)
        return tensors, list(other)
    if not scalar_list_ok:
        raise invalid_combination(fname, args, kwargs, overloads)
    if len(other) != len(tensors):
        raise RuntimeError("Tensor list must have same number of elements as scalar list.")
    return tensors, list(other)


def _done(tensors, results, inplace):
    """PyTorch returns a tuple of new tensors, or for an in-place variant the list it was given."""
    return tensors if inplace else tuple(results)


# --------------------------------------------------------------------------- unary


_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
          "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
          "sinh", "sqrt", "tan", "tanh", "trunc")


def _make_unary(name, inplace):
    fname = f"_foreach_{name}" + ("_" if inplace else "")
    method = name + ("_" if inplace else "")

    def unary(self):
        tensors = _tensors(fname, self)
        return _done(self, [getattr(t, method)() for t in tensors], inplace)
    unary.__name__ = unary.__qualname__ = fname
    return unary


for _name in _UNARY:
    globals()[f"_foreach_{_name}"] = _make_unary(_name, False)
    globals()[f"_foreach_{_name}_"] = _make_unary(_name, True)


# --------------------------------------------------------------------------- binary

_SCALAR = "tuple of Tensors self, Number scalar"
_SCALARS = "tuple of Tensors self, tuple of Scalars scalars"
_ALPHA_OVERLOADS = (_SCALAR, _SCALARS, "tuple of Tensors self, Tensor other, *, Number alpha = 1",
                    "tuple of Tensors self, tuple of Tensors other, *, Number alpha = 1")
_MUL_OVERLOADS = (_SCALARS, "tuple of Tensors self, Tensor other", "tuple of Tensors self, tuple of Tensors other",
                  _SCALAR)
_CLAMP_OVERLOADS = (_SCALAR, _SCALARS, "tuple of Tensors self, tuple of Tensors other")


def _make_alpha_binary(name, inplace):
    """add and sub: ``alpha`` scales a tensor operand (a number operand takes no alpha)."""
    fname = f"_foreach_{name}" + ("_" if inplace else "")
    method = name + ("_" if inplace else "")

    def binary(self, other, *, alpha=1):
        kwargs = {} if alpha == 1 else {"alpha": alpha}
        if alpha != 1 and isinstance(other, (list, tuple)) and other and not isinstance(other[0], Tensor) \
                and isinstance(self, (list, tuple)):
            raise TypeError(f"expected Tensor as element 0 in argument 1, but got {_type_name(other[0])}")
        if alpha != 1 and _is_scalar(other):
            raise invalid_combination(fname, (self, other), kwargs, _ALPHA_OVERLOADS)
        tensors, operands = _operands(fname, self, other, _ALPHA_OVERLOADS, (self, other), kwargs)
        if alpha == 1:
            results = [getattr(t, method)(o) for t, o in zip(tensors, operands)]
        else:
            results = [getattr(t, method)(o, alpha=alpha) for t, o in zip(tensors, operands)]
        return _done(self, results, inplace)
    binary.__name__ = binary.__qualname__ = fname
    return binary


def _make_binary(name, overloads, inplace, method=None, tensor_ok=True):
    fname = f"_foreach_{name}" + ("_" if inplace else "")
    method = (method or name) + ("_" if inplace else "")

    def binary(self, other):
        tensors, operands = _operands(fname, self, other, overloads, (self, other), {}, tensor_ok=tensor_ok)
        return _done(self, [getattr(t, method)(o) for t, o in zip(tensors, operands)], inplace)
    binary.__name__ = binary.__qualname__ = fname
    return binary


def _make_extremum(name, inplace):
    """maximum/minimum: a number operand clamps; a tensor operand is the elementwise op (which has
    no in-place Tensor method, so the in-place variant writes its result back)."""
    fname = f"_foreach_{name}" + ("_" if inplace else "")
    clamp = "clamp_min" if name == "maximum" else "clamp_max"
    elementwise = getattr(_tg, name)

    def extremum(self, other):
        tensors, operands = _operands(fname, self, other, _CLAMP_OVERLOADS, (self, other), {}, tensor_ok=False)
        results = []
        for t, o in zip(tensors, operands):
            if isinstance(o, Tensor):
                out = elementwise(t, o)
                results.append(t.copy_(out) if inplace else out)
            else:
                results.append(getattr(t, clamp + ("_" if inplace else ""))(o))
        return _done(self, results, inplace)
    extremum.__name__ = extremum.__qualname__ = fname
    return extremum


for _inplace in (False, True):
    _suffix = "_" if _inplace else ""
    for _name in ("add", "sub"):
        globals()[f"_foreach_{_name}{_suffix}"] = _make_alpha_binary(_name, _inplace)
    for _name in ("mul", "div"):
        globals()[f"_foreach_{_name}{_suffix}"] = _make_binary(_name, _MUL_OVERLOADS, _inplace)
    for _name in ("clamp_min", "clamp_max"):
        globals()[f"_foreach_{_name}{_suffix}"] = _make_binary(_name, _CLAMP_OVERLOADS, _inplace, tensor_ok=False)
    for _name in ("maximum", "minimum"):
        globals()[f"_foreach_{_name}{_suffix}"] = _make_extremum(_name, _inplace)

_POW_OVERLOADS = ("Number self, tuple of Tensors exponent", "tuple of Tensors self, Number exponent",
                  "tuple of Tensors self, tuple of Scalars exponent", "tuple of Tensors self, tuple of Tensors exponent")


def _foreach_pow(self, exponent):
    if _is_scalar(self) and isinstance(exponent, (list, tuple)):  # a number raised to each tensor
        return tuple(_tg.pow(self, t) for t in _tensors("_foreach_pow", exponent))
    tensors, operands = _operands("_foreach_pow", self, exponent, _POW_OVERLOADS, (self, exponent), {},
                                  tensor_ok=False)
    return tuple(t.pow(o) for t, o in zip(tensors, operands))


def _foreach_pow_(self, exponent):
    tensors, operands = _operands("_foreach_pow_", self, exponent, _POW_OVERLOADS[1:], (self, exponent), {},
                                  tensor_ok=False)
    for t, o in zip(tensors, operands):
        t.pow_(o)
    return self


# --------------------------------------------------------------------------- ternary

_LERP_OVERLOADS = ("tuple of Tensors self, tuple of Tensors tensors1, Number weight",
                   "tuple of Tensors self, tuple of Tensors tensors1, tuple of Scalars weight",
                   "tuple of Tensors self, tuple of Tensors tensors1, tuple of Tensors weights")


def _lerp(fname, self, tensors1, weight, inplace):
    if not isinstance(tensors1, (list, tuple)):
        raise invalid_combination(fname, (self, tensors1, weight), {}, _LERP_OVERLOADS)
    tensors, weights = _operands(fname, self, weight, _LERP_OVERLOADS, (self, tensors1, weight), {},
                                 tensor_ok=False)
    ends = _tensors(fname, tensors1, argnum=1)
    _same_length(tensors, ends)
    method = "lerp_" if inplace else "lerp"
    return _done(self, [getattr(t, method)(e, w) for t, e, w in zip(tensors, ends, weights)], inplace)


def _foreach_lerp(self, tensors1, weight):
    return _lerp("_foreach_lerp", self, tensors1, weight, False)


def _foreach_lerp_(self, tensors1, weight):
    return _lerp("_foreach_lerp_", self, tensors1, weight, True)


_POINTWISE_ARGS = "tuple of Tensors self, tuple of Tensors tensor1, tuple of Tensors tensor2, "
_POINTWISE_OVERLOADS = tuple(_POINTWISE_ARGS + last for last in (
    "tuple of Scalars scalars", "Tensor scalars", "Number value = 1"))


def _pointwise(fname, method, self, tensor1, tensor2, scalars):
    """addcmul/addcdiv: ``scalars`` is one number, a list of numbers, or a 1-D tensor of them."""
    if not all(isinstance(v, (list, tuple)) for v in (self, tensor1, tensor2)):
        raise invalid_combination(fname, (self, tensor1, tensor2, scalars), {}, _POINTWISE_OVERLOADS)
    tensors = _tensors(fname, self)
    for argnum, other in ((1, tensor1), (2, tensor2)):
        _same_length(tensors, _tensors(fname, other, argnum))
    if isinstance(scalars, Tensor):
        if scalars.dim() != 1 or scalars.numel() != len(tensors):
            raise RuntimeError(f"Expected length of scalars to match input of length {len(tensors)} but got "
                               f"{scalars.numel()} instead.")
        values = scalars.tolist()
    elif isinstance(scalars, (list, tuple)):
        if len(scalars) != len(tensors):
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        values = list(scalars)
    elif _is_scalar(scalars):
        values = [scalars] * len(tensors)
    else:
        raise invalid_combination(fname, (self, tensor1, tensor2, scalars), {}, _POINTWISE_OVERLOADS)
    return [getattr(t, method)(a, b, value=v) for t, a, b, v in zip(tensors, tensor1, tensor2, values)]


def _foreach_addcmul(self, tensor1, tensor2, scalars=1, *, value=None):
    scalars = scalars if value is None else value
    return tuple(_pointwise("_foreach_addcmul", "addcmul", self, tensor1, tensor2, scalars))


def _foreach_addcmul_(self, tensor1, tensor2, scalars=1, *, value=None):
    scalars = scalars if value is None else value
    _pointwise("_foreach_addcmul_", "addcmul_", self, tensor1, tensor2, scalars)
    return self


def _foreach_addcdiv(self, tensor1, tensor2, scalars=1, *, value=None):
    scalars = scalars if value is None else value
    return tuple(_pointwise("_foreach_addcdiv", "addcdiv", self, tensor1, tensor2, scalars))


def _foreach_addcdiv_(self, tensor1, tensor2, scalars=1, *, value=None):
    scalars = scalars if value is None else value
    _pointwise("_foreach_addcdiv_", "addcdiv_", self, tensor1, tensor2, scalars)
    return self


# --------------------------------------------------------------------------- reductions, copies


def _foreach_norm(self, ord=2, dtype=None):
    return tuple(_tg.linalg.vector_norm(t, ord, dtype=dtype) for t in _tensors("_foreach_norm", self))


def _foreach_powsum(self, ord):
    return tuple(t.abs().pow(ord).sum() for t in _tensors("_foreach_powsum", self))


def _foreach_max(self):
    tensors = _tensors("_foreach_max", self)
    if any(t.numel() == 0 for t in tensors):
        raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; max over zero elements "
                           "is undefined.")
    return tuple(t.max() for t in tensors)


def _foreach_zero_(self):
    for t in _tensors("_foreach_zero_", self):
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    tensors = _tensors("_foreach_copy_", self)
    sources = _tensors("_foreach_copy_", src, argnum=1)
    _same_length(tensors, sources)
    for t, s in zip(tensors, sources):
        t.copy_(s, non_blocking=non_blocking)
    return self


def _foreach_clone(self):
    return tuple(t.clone() for t in _tensors("_foreach_clone", self))


def _foreach_mm(self, mat2):
    tensors = _tensors("_foreach_mm", self)
    others = _tensors("_foreach_mm", mat2, argnum=1)
    _same_length(tensors, others)
    return tuple(_tg.mm(a, b) for a, b in zip(tensors, others))


NAMES = frozenset(name for name in globals() if name.startswith("_foreach_"))
