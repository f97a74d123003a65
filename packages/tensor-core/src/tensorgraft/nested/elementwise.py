"""Nested-tensor handlers of elementwise ops: unary ops and binary ops run once on the packed
buffer (the result gets the input's structure), ``where``, ``masked_fill``, ``addcmul`` and kin."""
from __future__ import annotations

from ..memory_layout import jagged, strided
from ..overrides._dispatch import public_name
from ..tensor import Tensor
from .nested_tensor import NestedTensor, components, from_components, like, nested_dim, nested_shape
from .handlers import (_DIM0, HANDLERS, _arg, _is_jagged, _layout, _no_kernel, _raggedness_matches, _refuse, _register,
                       _replace_arg, _require_contiguous_jagged, _shape_text, _size_text)
from tensorgraft.argument_errors import c_type_name


# unary elementwise ops (and their ``_`` forms): one op on the buffer. PyTorch's strided layout
# has kernels for a few of them only.
_UNARY = {
    "relu", "gelu", "silu", "tanh", "sigmoid", "exp", "abs", "absolute", "neg", "negative", "sin", "cos", "tan",
    "sqrt", "log", "log2", "log10", "sign", "sgn", "floor", "ceil", "round", "erf", "erfc", "erfinv", "exp2",
    "rsqrt", "reciprocal", "square", "trunc", "fix", "frac", "log1p", "expm1", "logical_not", "isnan", "isinf",
    "isfinite", "isposinf", "isneginf", "signbit", "clamp", "clip", "clamp_min", "clamp_max", "hardtanh", "relu6",
    "leaky_relu", "elu", "selu", "celu", "softplus", "mish", "hardswish", "hardsigmoid", "logsigmoid",
    "softsign", "tanhshrink", "hardshrink", "softshrink", "threshold", "sinh", "cosh", "asin", "acos", "atan",
    "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "positive", "nan_to_num", "bitwise_not", "conj",
    "deg2rad", "rad2deg", "lgamma", "digamma", "sinc", "logit", "i0",
    "float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool", "cfloat", "cdouble",
    "to", "type", "cpu", "cuda", "clone", "detach", "detach_", "zeros_like", "ones_like", "empty_like",
    "full_like", "rand_like", "randn_like", "zero_", "fill_", "normal_", "uniform_", "dropout", "alpha_dropout",
    "contiguous", "__invert__", "__neg__", "__abs__", "type_as", "feature_alpha_dropout", "dropout1d", "dropout2d",
    "dropout3d",
}


# (PyTorch 2.13's NestedTensorCPU kernels, found by trying each op)
_STRIDED_UNARY = {"relu", "relu_", "gelu", "gelu_", "silu", "silu_", "tanh", "tanh_", "abs", "abs_", "absolute",
                  "absolute_", "neg", "neg_", "negative", "negative_", "sin", "cos", "sqrt", "sgn", "sgn_",
                  "logical_not", "logical_not_", "isnan", "isinf", "isposinf", "isneginf", "positive", "conj",
                  "float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool", "cfloat",
                  "cdouble", "to", "type", "cpu", "cuda", "clone", "detach", "detach_", "zeros_like", "ones_like",
                  "empty_like", "randn_like", "zero_", "fill_", "normal_", "contiguous", "__neg__", "__abs__",
                  "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "softsign",
                  "tanhshrink"}


# the kernel PyTorch's message names when it has none (the op's own name otherwise)
_ATEN_NAMES = {"clip": "clamp", "relu6": "hardtanh", "fix": "trunc", "absolute": "abs", "negative": "neg",
               "arcsin": "asin", "arccos": "acos", "arctan": "atan", "isfinite": "ne.Scalar", "selu": "elu",
               "logsigmoid": "log_sigmoid_forward", "square": "pow.Tensor_Scalar", "square_": "pow_.Scalar"}


# ops PyTorch's jagged layout has no rule for (its error: ``aten.<name>.default``)
_JAGGED_MISSING = {"abs_": "abs_", "absolute_": "abs_", "normal_": "normal_", "uniform_": "uniform_",
                   "hardswish": "hardswish", "hardswish_": "hardswish_", "logsigmoid": "log_sigmoid_forward",
                   "mish_": "mish_", "threshold_": "threshold_"}


def _base_name(short: str) -> str:
    if short.startswith("__") and short.endswith("__"):
        short = short[2:-2]
        if short.startswith("r") and short[1:] in _BINARY:
            short = short[1:]
        elif short.startswith("i") and short[1:] in _BINARY:
            short = short[1:] + "_"
        return {"truediv": "div", "floordiv": "floor_divide", "mod": "remainder", "and": "bitwise_and",
                "or": "bitwise_or", "xor": "bitwise_xor", "invert": "bitwise_not"}.get(short, short)
    return short


def _check_no_dense_tensors(name, args, kwargs, nt):
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor) and a is not nt and a._data.ndim != 0:
            raise _refuse(name)


def _unary(func, short, args, kwargs):
    nt = args[0] if args else kwargs.get("input")
    if not isinstance(nt, NestedTensor):
        raise _refuse(public_name(func))
    base = _base_name(short)
    # ``F.relu6(x, inplace=True)`` is PyTorch's in-place kernel (``hardtanh_``)
    inplace = (base.endswith("_") and base != "detach_") or kwargs.get("inplace") is True
    base = base.rstrip("_")
    name = base + "_" if inplace else base
    if base == "dropout3d":  # PyTorch's dropout3d unsqueezes dim 0 first
        if _layout(nt) is strided and not inplace:
            raise RuntimeError(_DIM0.format(op="unsqueeze", ing="unsqueezing"))
        if not inplace:
            raise RuntimeError("unsqueeze(): not supported for NestedTensor on dim=0")
        raise _no_kernel("unsqueeze_") if _layout(nt) is strided else NotImplementedError("aten.unsqueeze_.default")
    if _layout(nt) is strided:
        if name not in _STRIDED_UNARY and base not in ("dropout", "alpha_dropout", "feature_alpha_dropout",
                                                       "dropout1d", "dropout2d"):
            aten = _ATEN_NAMES.get(name) or _ATEN_NAMES.get(base, base) + ("_" if inplace else "")
            if aten.rstrip("_") == "clamp" and any(isinstance(x, Tensor) for x in (*args[1:], *kwargs.values())):
                aten += ".Tensor"
            raise _no_kernel(aten)
    elif name in _JAGGED_MISSING:
        raise NotImplementedError(f"aten.{_JAGGED_MISSING[name]}.default")
    elif base == "dropout":  # (PyTorch's native_dropout, even in eval mode)
        _require_contiguous_jagged(nt, "native_dropout_default(self: jt, float: any, train: any?)")
    if base not in ("to", "type_as"):  # (whose tensor argument only gives a dtype and device)
        _check_no_dense_tensors(public_name(func), args, kwargs, nt)
    if short == "contiguous" and _layout(nt) is jagged and nt.__dict__["_lengths"] is not None:
        return from_components([c.contiguous() for c in components(nt)], jagged)  # fills the holes
    out = func(*args, **kwargs)
    if out is nt:
        return nt  # an in-place op, or a conversion that changed nothing
    if not isinstance(out, Tensor) or out._data.shape != nt._data.shape:
        raise _refuse(public_name(func))
    return like(out, nt)


for _n in _UNARY:
    HANDLERS[_n] = _unary
    if not _n.startswith("__") and not _n.endswith("_"):
        HANDLERS.setdefault(_n + "_", _unary)


# binary elementwise ops: both nested with the same structure, or a nested tensor and a number,
# a 0-d tensor or (jagged) a dense tensor broadcast over the non-ragged dims
_BINARY = {"add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "atan2", "arctan2", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le",
           "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal", "logical_and", "logical_or",
           "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "hypot", "xlogy", "copysign", "rsub",
           "truediv", "floordiv", "mod", "and", "or", "xor", "copy_", "lerp", "addcmul", "addcdiv"}


_CANONICAL = {"subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div", "greater": "gt",
              "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne", "arctan2": "atan2"}


_TENSOR_ONLY = {"atan2", "arctan2", "maximum", "minimum", "fmax", "fmin", "hypot"}
_JAGGED_MISSING_BINARY = {"floor_divide", "addcmul", "addcdiv"}


_NO_OVERLOADS = {"atan2", "maximum", "minimum", "fmax", "fmin", "hypot", "logical_and", "logical_or", "logical_xor",
                 "floor_divide", "addcmul", "addcdiv"}


def _strided_binary_supported(op, short, inplace, both, b) -> bool:
    """What PyTorch's strided kernels take: + - * / (not ``1 - nt``, ``2 / nt``, ``sub_``, ``div_``),
    and ``>``, ``>=``, ``==`` with a number."""
    op = _CANONICAL.get(op, op)
    if short in ("__rsub__", "__rtruediv__", "rsub") or (inplace and op in ("sub", "div")):
        return False
    if op in ("add", "sub", "mul", "div") or (op == "copy_" and both):
        return True
    if op == "eq" and not both:  # with a number or a 0-d tensor
        return True
    return op in ("gt", "ge") and not both and not isinstance(b, Tensor)


def _strided_binary_aten(op, short, inplace, both, b) -> str:
    op = _CANONICAL.get(op, op)
    if short in ("__rsub__", "rsub"):
        return "rsub.Scalar"
    if short == "__rtruediv__":
        return "reciprocal"
    if short == "__rpow__":
        return "pow.Scalar"
    tensor = both or isinstance(b, Tensor)
    if op in _NO_OVERLOADS or op == "copy_":
        return op
    if inplace:
        return f"{op}_.Tensor" if tensor else f"{op}_.Scalar"
    if op == "pow":
        return "pow.Tensor_Tensor" if tensor else "pow.Tensor_Scalar"
    if op == "xlogy" and not tensor:
        return "xlogy.Scalar_Other"
    if op == "lerp":
        return "lerp.Scalar"  # (the overload of a number weight)
    return f"{op}.Tensor" if tensor else f"{op}.Scalar"


def _binary(func, short, args, kwargs, aten=None):
    base = _base_name(short)
    inplace = base.endswith("_") and base != "copy_"
    op = base.rstrip("_") if base != "copy_" else base
    a = args[0] if args else kwargs.get("input")
    b = args[1] if len(args) > 1 else kwargs.get("other")
    if len(args) <= 1 and "other" not in kwargs and short not in ("copy_",):
        raise _refuse(public_name(func))
    na, nb = isinstance(a, NestedTensor), isinstance(b, NestedTensor)
    layout = _layout(a) if na else _layout(b)
    rest_tensors = [x for x in (*args[2:], *kwargs.values()) if isinstance(x, Tensor)]
    if any(isinstance(x, NestedTensor) for x in rest_tensors) or (inplace and not na):
        raise _refuse(public_name(func))
    aten = aten or f"{base}.Tensor"
    if op in _TENSOR_ONLY and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not {c_type_name(b)}")
    if op in _JAGGED_MISSING_BINARY and layout is jagged:
        raise NotImplementedError(f"aten.{op}.default")
    if layout is strided:
        both = na and nb
        if not _strided_binary_supported(op, short, inplace, both, b):
            if op == "eq" and both:
                raise RuntimeError("eq does not support nested tensor as other value.")
            raise _no_kernel(_strided_binary_aten(op, short, inplace, both, b))
        if both:
            if _layout(b) is not strided or a.__dict__["_sizes"] != b.__dict__["_sizes"]:
                raise RuntimeError(f"{op} does not support broadcasting when given a NestedTensor")
            return _finish(func(*args, **kwargs), a, inplace)
        dense = b if na else a
        if isinstance(dense, Tensor) and dense._data.ndim != 0:
            raise RuntimeError("Expected both self and other to be nested, but got a nested self and non-nested other"
                               if na else
                               "Expected both self and other to be nested, but got a non-nested self and nested other")
        return _finish(func(*args, **kwargs), a if na else b, inplace)
    # jagged (PyTorch's jagged_binary_pointwise)
    if na and nb:
        if _layout(b) is jagged and _raggedness_matches(a, b):
            return _finish(func(*args, **kwargs), a, inplace)
        raise RuntimeError(f"cannot call binary pointwise function {aten} with inputs of shapes {_size_text(a)} and "
                           f"{_size_text(b)}")
    nt, t = (a, b) if na else (b, a)
    if not isinstance(t, Tensor):
        return _finish(func(*args, **kwargs), nt, inplace)
    if t._data.ndim > nested_dim(nt):
        raise NotImplementedError("NYI: broadcasting NT with T with larger dim")
    squeezed = t
    while squeezed._data.ndim > 0 and squeezed._data.shape[0] == 1:
        squeezed = squeezed.squeeze(0)
    if nested_dim(nt) >= squeezed._data.ndim + 2:
        new_t = squeezed
    elif nested_dim(nt) == t._data.ndim:
        if t._data.shape[0] != len(nt.__dict__["_sizes"]):
            raise RuntimeError(f"cannot call binary pointwise function {aten} with inputs of shapes "
                               f"{_shape_text(a)} and {_shape_text(b)}")
        r = nt.__dict__["_ragged_idx"]
        if tuple(t._data.shape[1:r]) != tuple(nested_shape(nt)[1:r]):
            # PyTorch converts t to a jagged tensor first, whose leading dims then do not match
            as_nt = list(nested_shape(nt)[:1]) + list(t._data.shape[1:r]) + [nt.__dict__["_jint"]] \
                + list(t._data.shape[r + 1:])
            shown = "(" + ", ".join(repr(x) for x in as_nt) + ")"
            lhs, rhs = (_size_text(nt), shown) if na else (shown, _size_text(nt))
            raise RuntimeError(f"cannot call binary pointwise function {aten} with inputs of shapes {lhs} and {rhs}")
        new_t = _dense_as_values(t, nt)
    else:
        raise RuntimeError(f"cannot call binary pointwise function {aten} with inputs of shapes {_shape_text(a)} and "
                           f"{_shape_text(b)}")
    args, kwargs = (_replace_arg(args, kwargs, 1, "other", new_t) if na else
                    _replace_arg(args, kwargs, 0, "input", new_t))
    return _finish(func(*args, **kwargs), nt, inplace)


def _dense_as_values(t, nt):
    """A dense ``(B, 1 or max_seqlen, ...)`` tensor as values matching ``nt``'s (PyTorch expands
    it to the padded shape and converts it to jagged: its error words come from ``expand``)."""
    from .. import cat
    d = nt.__dict__
    r = d["_ragged_idx"]
    padded = d["_max_seqlen"]
    t = t.expand([x if i != r else padded for i, x in enumerate(t._data.shape)])
    pieces = [t[i].narrow(r - 1, 0, s[r - 1]) for i, s in enumerate(d["_sizes"])]
    return cat(pieces, r - 1)


def _finish(out, nt, inplace):
    if inplace or out is nt:
        return nt
    return like(out, nt)


for _n in _BINARY:
    HANDLERS[_n] = _binary
    HANDLERS.setdefault(_n + "_", _binary)
    for _d in (f"__{_n}__", f"__r{_n}__", f"__i{_n}__"):
        HANDLERS[_d] = _binary


HANDLERS["__rsub__"] = HANDLERS["__rtruediv__"] = HANDLERS["__rpow__"] = _binary


@_register("where")
def _where(func, short, args, kwargs):
    cond = _arg(args, kwargs, 0, "condition")
    x, y = _arg(args, kwargs, 1, "input"), _arg(args, kwargs, 2, "other")
    nested = [v for v in (cond, x, y) if isinstance(v, NestedTensor)]
    first = nested[0]
    if x is None:
        raise _refuse("torch.where (one argument)")
    if _layout(first) is strided:
        raise RuntimeError("other must be nested" if not isinstance(y, NestedTensor) else "self must not be nested")
    if not isinstance(cond, NestedTensor):
        raise ValueError("NestedTensor where_self(condition: jt_all, self: any, other: any): expected condition to be "
                         "a jagged layout NestedTensor")
    ndim = nested_dim(cond)
    for i, v in enumerate((cond, x, y)):
        if isinstance(v, NestedTensor):
            if not _raggedness_matches(cond, v):
                r = cond.__dict__["_ragged_idx"]
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {v.__dict__['_jint']!r} at {r - ndim}! Mismatching "
                    f"argument at index {i} had {_shape_text(v)}; but expected shape should be broadcastable to "
                    f"[{', '.join(repr(s) for s in nested_shape(cond))}]")
        elif isinstance(v, Tensor) and v._data.ndim != 0:
            raise _refuse("torch.where (with a dense tensor)")
    return like(func(*args, **kwargs), cond)


@_register("expand_as")
def _expand_as(func, short, args, kwargs):
    nt, other = args[0], _arg(args, kwargs, 1, "other")
    if not _is_jagged(nt):
        raise _refuse(public_name(func))
    shape = nested_shape(other) if isinstance(other, NestedTensor) else tuple(other._data.shape)
    if shape == nested_shape(nt):
        from ..ops.tensor_extras import _alias
        return like(_alias.frontend(nt), nt)  # a new tensor viewing nt (PyTorch's expand is a view)
    raise RuntimeError(f"expand(): cannot expand shape {_size_text(nt)} -> [{', '.join(repr(x) for x in shape)}]")


@_register("is_same_size")
def _is_same_size(func, short, args, kwargs):
    a, b = args[0], args[1]
    if not (isinstance(a, NestedTensor) and isinstance(b, NestedTensor)) or _layout(a) is not _layout(b):
        raise _refuse("torch.Tensor.is_same_size of a nested and a dense tensor")
    return nested_shape(a) == nested_shape(b) and a.__dict__["_sizes"] == b.__dict__["_sizes"]


@_register("copy_")
def _copy(func, short, args, kwargs):
    nt, src = args[0], _arg(args, kwargs, 1, "src")
    if isinstance(nt, NestedTensor) and _layout(nt) is jagged and not isinstance(src, NestedTensor):
        raise ValueError("NestedTensor copy_default(self: jt_all, src: jt_all, non_blocking: any?): expected src to "
                         "be a jagged layout NestedTensor")
    return _binary(func, short, args, kwargs)


@_register("addcmul", "addcdiv", "addcmul_", "addcdiv_")
def _addc(func, short, args, kwargs):
    nt = next(x for x in (*args, *kwargs.values()) if isinstance(x, NestedTensor))
    if _layout(nt) is strided:
        raise _no_kernel(short)
    raise NotImplementedError(f"aten.{short}.default")


@_register("masked_fill", "masked_fill_")
def _masked_fill(func, short, args, kwargs):
    nt, mask = args[0], _arg(args, kwargs, 1, "mask")
    if isinstance(nt, NestedTensor) and _layout(nt) is strided:
        if not isinstance(mask, NestedTensor):
            raise RuntimeError("Expected both self and other to be nested, but got a nested self and non-nested other")
        if _layout(mask) is strided and mask.__dict__["_sizes"] == nt.__dict__["_sizes"]:
            return _finish(func(*args, **kwargs), nt, short.endswith("_"))
    if not _is_jagged(nt):
        raise _refuse(public_name(func))
    value = _arg(args, kwargs, 2, "value")
    return _binary(func, short, args, kwargs,
                   aten=f"{short}.Tensor" if isinstance(value, Tensor) else f"{short}.Scalar")
