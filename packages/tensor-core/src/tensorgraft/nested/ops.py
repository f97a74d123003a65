"""What ops do on nested tensors: ``NestedTensor.__torch_function__`` lands here.

Every public function, Tensor method and property called with a nested tensor arrives as
``dispatch(func, ...)``; it is looked up by its short name (``add`` for ``torch.add``,
``Tensor.add``; ``relu`` for ``torch.relu``, ``Tensor.relu`` and ``nn.functional.relu``) in
``HANDLERS``. Why a table of names and not a default "run it on the buffer": an op that is not
elementwise (``sum``, ``view``, ``matmul`` ...) would silently compute on the packed buffer and
return a wrong answer; here an op that is not listed is refused, naming it.

The handlers run with subclass dispatch off, so a nested tensor passed to an op there *is* its
buffer (see ``nested_tensor.py``):

- elementwise ops run once on the buffer (``func(nt, ...)``) and the result gets the input's
  structure (``like``);
- ops that must see the components (``matmul`` of a nested tensor by a nested one, ``softmax``
  over the ragged dim, ``sdpa``, padding) run per component on views of the buffer and pack the
  results again (``from_components``); autograd follows both paths as ordinary ops.

What each layout allows follows PyTorch 2.13: the jagged layout's rules are those of
``torch/nested/_internal/ops.py`` (with its messages), the strided layout's those of PyTorch's
``NestedTensorCPU`` kernels, whose missing kernels raise PyTorch's "Could not run 'aten::...'".
"""
from __future__ import annotations

from .._C import DisableTorchFunctionSubclass
from ..memory_layout import jagged, strided
from ..overrides._dispatch import public_name
from ..tensor import Tensor, Size, _size, _wrap_dim
from .nested_tensor import (NestedTensor, components, from_components, is_contiguous_nested, like, like_jagged,
                            nested_dim, nested_shape, size_of, stride_of, NO_SIZES)

__all__ = ["dispatch", "HANDLERS", "convert"]

HANDLERS: dict = {}


def _register(*names):
    def deco(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


def dispatch(func, types, args, kwargs):
    name = public_name(func)
    with DisableTorchFunctionSubclass():
        if name.endswith(".__get__") or name.endswith(".__set__"):
            prop = name[len("torch.Tensor."):-len(".__get__")]
            if name.endswith(".__set__"):
                if prop == "grad" and isinstance(args[0], NestedTensor):
                    return _set_grad(func, *args)
                if prop in _SETTABLE:
                    return func(*args, **kwargs)
                raise _refuse(name)
            return _get_property(func, name, prop, args[0])
        for prefix in ("torch.Tensor.", "torch.nn.functional.", "torch."):
            if name.startswith(prefix) and "." not in name[len(prefix):]:
                short = name[len(prefix):]
                break
        else:
            raise _refuse(name)
        handler = HANDLERS.get(short)
        if handler is None:
            raise _refuse(name)
        if not args and "input" in kwargs:  # ``F.linear(input=nt, ...)``: the handlers read args[0]
            kwargs = dict(kwargs)
            args = (kwargs.pop("input"),)
        return handler(func, short, args, kwargs)


def _refuse(name):
    return NotImplementedError(f"{name}: nested tensors do not support this op in tensorgraft")


def _no_kernel(aten: str):
    # PyTorch's dispatcher error for an op the strided layout has no kernel for (its list of the
    # backends that do have one is left out)
    return NotImplementedError(
        f"Could not run 'aten::{aten}' with arguments from the 'NestedTensorCPU' backend. This could be because the "
        "operator doesn't exist for this backend, or was omitted during the selective/custom build process (if "
        "using custom build). If you are a Facebook employee using PyTorch on mobile, please visit "
        "https://fburl.com/ptmfixes for possible resolutions.")


def _layout(nt):
    return nt.__dict__["_nlayout"]


def _is_jagged(x) -> bool:
    return isinstance(x, NestedTensor) and x.__dict__["_nlayout"] is jagged


def _size_text(nt) -> str:
    """A jagged tensor's ``_size`` as PyTorch's messages print it: ``(2, j1, 3)``."""
    shape = nested_shape(nt)
    return "(" + ", ".join(repr(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_text(x) -> str:
    """``x.shape`` as PyTorch's messages print it: ``torch.Size([2, j1, 3])``."""
    if isinstance(x, NestedTensor):
        return repr(_size(nested_shape(x)))
    return repr(Size(x._data.shape))


def _arg(args, kwargs, pos, name, default=None):
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


def _replace_arg(args, kwargs, pos, name, value):
    if len(args) > pos:
        args = list(args)
        args[pos] = value
        return tuple(args), kwargs
    kwargs = dict(kwargs)
    kwargs[name] = value
    return args, kwargs


def _norm_dim(d, ndim):
    import operator
    return _wrap_dim(operator.index(d), ndim)


# --------------------------------------------------------------------------- properties
_SETTABLE = {"requires_grad", "grad", "retains_grad"}
_PASS_PROPERTIES = {"dtype", "device", "requires_grad", "grad_fn", "is_leaf", "itemsize", "output_nr", "_version",
                    "is_sparse", "is_quantized", "is_meta", "is_cpu", "is_cuda", "is_mkldnn", "is_sparse_csr",
                    "is_xpu", "is_mps", "is_ipu", "is_xla", "is_vulkan", "is_maia", "is_mtia", "retains_grad",
                    "_base", "name", "names", "is_inference", "nbytes"}


def _get_property(func, name, prop, nt):
    if not isinstance(nt, NestedTensor):
        return func(nt)
    if prop in _PASS_PROPERTIES:
        return func(nt)
    if prop == "shape":
        return size_of(nt)
    if prop == "ndim":
        return nested_dim(nt)
    if prop == "layout":
        return _layout(nt)
    if prop == "is_nested":
        return True
    if prop == "grad":
        return _nested_grad(nt)
    if prop == "data":
        return like(Tensor.detach(nt), nt)
    if prop == "T":
        if _layout(nt) is strided:
            raise _no_kernel("permute")
        raise ValueError("Permute is not supported on the batch dimension for jagged NT")
    if prop == "mT":
        return _transpose(None, "transpose", (nt, -2, -1), {})
    raise _refuse(name)


def _set_grad(setter, nt, value):
    """``nt.grad = value``: the engine keeps a nested leaf's gradient as a buffer, so a nested value
    is stored as its buffer (PyTorch's strided layout refuses any assignment, its jagged one a
    gradient of other offsets)."""
    if value is None:
        return setter(nt, None)
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    if not (_is_jagged(value) and _raggedness_matches(nt, value) and value._data.shape == nt._data.shape):
        shown = [repr(x) for x in (nested_shape(value) if isinstance(value, NestedTensor) else value._data.shape)]
        raise RuntimeError(f"attempting to assign a gradient of size '[{', '.join(shown)}]' to a tensor of size "
                           f"'[{', '.join(repr(x) for x in nested_shape(nt))}]'. Please ensure that the gradient and "
                           "the tensor are the same size")
    return setter(nt, Tensor.detach(value))


@_register("register_hook")
def _register_hook(func, short, args, kwargs):
    """The engine calls a hook with the buffer's gradient: the user's hook sees it with the nested
    tensor's structure, and a nested tensor it returns goes back as its buffer."""
    nt, hook = args[0], _arg(args, kwargs, 1, "hook")

    def on_buffer_grad(g):
        with DisableTorchFunctionSubclass():
            shown = like(g, nt)
        out = hook(shown)
        if isinstance(out, NestedTensor):
            from ..ops.tensor_extras import _alias
            with DisableTorchFunctionSubclass():
                return _alias.frontend(out)
        return out
    return func(nt, on_buffer_grad)


@_register("backward")
def _backward(func, short, args, kwargs):
    nt = args[0]
    gradient = _arg(args, kwargs, 1, "gradient")
    if gradient is None:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if not isinstance(gradient, NestedTensor) or _layout(gradient) is not _layout(nt) or (
            _layout(nt) is jagged and not _raggedness_matches(nt, gradient)) or (
            _layout(nt) is strided and nt.__dict__["_sizes"] != gradient.__dict__["_sizes"]):
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {_shape_text(gradient)} and output[0] "
                           f"has a shape of {_shape_text(nt)}.")
    # the buffer's backward with the gradient's buffer
    args, kwargs = _replace_arg(args, kwargs, 1, "gradient", Tensor.detach(gradient))
    return func(*args, **kwargs)


def _nested_grad(nt):
    g = nt._grad
    if g is None or isinstance(g, NestedTensor):
        return g
    # the engine accumulates the buffer's gradient; it is shown with nt's structure (the same
    # object each time, sharing the stored gradient's memory, so ``nt.grad.zero_()`` works)
    cached = nt.__dict__.get("_grad_view")
    if cached is not None and cached[0] is g:
        return cached[1]
    view = like(g, nt)
    nt.__dict__["_grad_view"] = (g, view)
    return view


# --------------------------------------------------------------------------- metadata methods
@_register("size")
def _size_method(func, short, args, kwargs):
    return size_of(args[0], _arg(args, kwargs, 1, "dim"))


@_register("dim", "ndimension")
def _dim(func, short, args, kwargs):
    return nested_dim(args[0])


@_register("stride")
def _stride(func, short, args, kwargs):
    return stride_of(args[0], _arg(args, kwargs, 1, "dim"))


@_register("is_contiguous")
def _is_contiguous(func, short, args, kwargs):
    return is_contiguous_nested(args[0])


@_register("numel", "nelement", "element_size", "is_floating_point", "is_complex", "get_device", "data_ptr",
           "requires_grad_", "retain_grad", "item", "is_signed", "untyped_storage", "storage_offset", "is_set_to",
           "__bool__", "__float__", "__int__", "__index__", "__complex__")
def _passthrough(func, short, args, kwargs):
    out = func(*args, **kwargs)
    return out


@_register("__len__")
def _len(func, short, args, kwargs):
    return NestedTensor.__len__(args[0])


@_register("__repr__", "__str__")
def _repr(func, short, args, kwargs):
    return NestedTensor.__repr__(args[0])


@_register("__format__")
def _format(func, short, args, kwargs):
    return format(NestedTensor.__repr__(args[0]), *args[1:])


@_register("tolist")
def _tolist(func, short, args, kwargs):
    if _layout(args[0]) is strided:
        from .nested_tensor import NO_STRIDES
        raise RuntimeError(NO_STRIDES)
    raise RuntimeError(".tolist() is not supported for tensor subclasses, got NestedTensor")


@_register("numpy")
def _numpy(func, short, args, kwargs):
    if _layout(args[0]) is strided:
        raise RuntimeError(NO_SIZES)
    raise RuntimeError(".numpy() is not supported for tensor subclasses.")


@_register("stack")
def _stack(func, short, args, kwargs):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    dim = _arg(args, kwargs, 1, "dim", 0)
    first = next(t for t in tensors if isinstance(t, NestedTensor))
    if _layout(first) is strided:
        raise _no_kernel("stack")
    if dim == 0:
        raise RuntimeError("stack(): not supported for NestedTensor on dim=0")
    raise _refuse("torch.stack")


@_register("values")
def _values(func, short, args, kwargs):
    from ..ops.tensor_extras import _alias
    return _alias.frontend(args[0])


@_register("offsets", "lengths")
def _offsets(func, short, args, kwargs):
    nt = args[0]
    if _layout(nt) is strided:
        raise AttributeError(f"'Tensor' object has no attribute '{short}'")
    return nt.__dict__["_offsets" if short == "offsets" else "_lengths"]


@_register("to_padded_tensor")
def _to_padded(func, short, args, kwargs):
    from .factories import to_padded_tensor
    return to_padded_tensor(*args, **kwargs)


@_register("unbind")
def _unbind(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim", 0)
    if dim != 0:
        if _layout(nt) is jagged:
            raise RuntimeError("unbind(): only supported for NestedTensor on dim=0")
        raise RuntimeError(f"NestedTensor can only be unbound along dimension 0 got dimension {dim} instead.")
    return tuple(components(nt))


@_register("__getitem__", "select")
def _getitem(func, short, args, kwargs):
    nt = args[0]
    if short == "select":
        dim, index = _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "index")
        if dim != 0:
            raise _refuse("torch.Tensor.select (dim != 0)")
    else:
        index = args[1]
    first = index[0] if isinstance(index, tuple) and index else index
    if isinstance(first, slice):
        if _layout(nt) is strided:
            raise _no_kernel("slice.Tensor")
        raise RuntimeError("slice(): not supported for NestedTensor on dim=0")
    if isinstance(index, bool) or not isinstance(index, int):
        raise _refuse("torch.Tensor.__getitem__ (anything but an int index)")
    comps = components(nt)
    n = len(comps)
    if not -n <= index < n:
        if _layout(nt) is jagged:
            raise IndexError("tuple index out of range")
        raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
    return comps[index]


# --------------------------------------------------------------------------- elementwise
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
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
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


def _raggedness_matches(a, b) -> bool:
    """PyTorch's ``raggedness_matches``: the same dims up to and including the ragged one (the same
    ``j`` symbol there), and the same number of dims."""
    if not _is_jagged(b) or a.__dict__["_ragged_idx"] != b.__dict__["_ragged_idx"] or nested_dim(a) != nested_dim(b):
        return False
    end = a.__dict__["_ragged_idx"] + 1
    return nested_shape(a)[:end] == nested_shape(b)[:end]


def _require_contiguous_jagged(nt, schema: str, arg: str = "self"):
    """PyTorch's schema check for its jagged ops declared on ``jt``: no holes, ragged dim 1."""
    if nt.__dict__["_lengths"] is not None or nt.__dict__["_ragged_idx"] != 1:
        raise ValueError(f"NestedTensor {schema}: expected {arg} to be a contiguous jagged layout NestedTensor")


def _long_tensor_text(values) -> str:
    """A 1-d int64 tensor as PyTorch's C++ prints it into its messages."""
    width = max(len(str(v)) for v in values)
    return "".join(f" {str(v).rjust(width)}\n" for v in values) + f"[ torch.LongTensor{{{len(values)}}} ]"


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


# --------------------------------------------------------------------------- reductions and normalisations
def _dims_arg(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return sorted({_norm_dim(d, ndim) for d in dim})
    return [_norm_dim(dim, ndim)]


@_register("sum", "mean")
def _reduce(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    dtype = kwargs.get("dtype")
    ndim = nested_dim(nt)
    if _layout(nt) is strided:
        if short == "mean":
            raise _no_kernel("mean.dim")
        if dim is None:
            raise _no_kernel("sum")
        dims = _dims_arg(dim, ndim)
        if len(dims) > 1:
            raise RuntimeError("NestedTensor only allows reduction of a single dimension for now.")
        if dims != [ndim - 1]:
            raise RuntimeError(f"NestedTensor can only be reduced across the last dimension for now got dimension "
                               f"{dims[0] if dims[0] != ndim - 1 else dims[-1]} instead.")
        if not keepdim:
            raise RuntimeError("NestedTensor always requires keepdim=True for now.")
        return from_components([c.sum(-1, keepdim=True, dtype=dtype) for c in components(nt)], strided)
    extra = {"dtype": dtype} if dtype is not None else {}
    r = nt.__dict__["_ragged_idx"]
    holes = nt.__dict__["_lengths"] is not None
    holes_msg = (f"{short}(): reducing across the ragged dimension is not supported for non-contiguous nested "
                 "tensors with holes")
    if dim is None:
        if holes:
            raise RuntimeError(holes_msg)
        return getattr(Tensor, short)(nt, **extra)
    dims = _dims_arg(dim, ndim)
    if 0 in dims and r in dims:
        if holes:
            raise RuntimeError(holes_msg)
        # over the batch and the ragged dim together: a dense result (PyTorch's values reduction)
        vdims = [d - 1 for d in dims if d != 0]
        return getattr(Tensor, short)(nt, vdims, keepdim, **extra)
    if 0 in dims:
        raise RuntimeError(f"{short}(): reducing along the batch dimension but not the ragged dimension is not "
                           "supported for nested tensors")
    if r in dims:
        if len(dims) > 1:
            raise RuntimeError(f"{short}(): reducing along a ragged and non-batch dimension is not supported for "
                               "nested tensors")
        if holes:
            raise RuntimeError(holes_msg)
        from .. import stack
        if short == "mean" and dtype is None and not (nt.is_floating_point() or nt.is_complex()):
            # PyTorch divides each component's sum by its length: a float result even for ints
            from .. import get_default_dtype
            outs = [Tensor.sum(c, r - 1, keepdim).to(get_default_dtype()) / c.shape[r - 1] for c in components(nt)]
            return stack(outs)
        outs = [getattr(Tensor, short)(c, r - 1, keepdim, **extra) for c in components(nt)]
        return stack(outs)
    out = getattr(Tensor, short)(nt, [d - 1 for d in dims], keepdim, **extra)
    if keepdim:
        return like(out, nt)
    # the ragged dim of the values moves left by the reduced dims before it
    shift = sum(1 for d in dims if d < r)
    return like_jagged(out, nt, ragged_idx=r - shift)


_STRIDED_REDUCTION_ATEN = {"max": ("max", "max.dim"), "min": ("min", "min.dim"), "amax": ("amax", "amax"),
                           "amin": ("amin", "amin"), "argmax": ("argmax", "argmax"), "argmin": ("argmin", "argmin"),
                           "prod": ("prod", "prod.dim_int"), "var": ("var.correction", "var.correction"),
                           "std": ("std.correction", "std.correction"), "all": ("all", "all.dim"),
                           "any": ("any", "any.dim")}


@_register(*_STRIDED_REDUCTION_ATEN)
def _other_reduction(func, short, args, kwargs):
    """max/min/amax/... : the whole tensor, or (jagged) one dim that is neither the batch nor the
    ragged dim, reduced on the values."""
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    if _layout(nt) is strided:
        raise _no_kernel(_STRIDED_REDUCTION_ATEN[short][dim is not None])
    if short in ("var", "std"):
        raise NotImplementedError(f"aten.{short}.correction")
    holes_msg = (f"{short}(): reducing across the ragged dimension is not supported for non-contiguous nested "
                 "tensors with holes")
    if dim is None:
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(holes_msg)
        return func(*args, **kwargs)
    if isinstance(dim, (tuple, list)):
        raise _refuse(f"torch.{short} over several dims of a jagged tensor")
    d = _norm_dim(dim, nested_dim(nt))
    r = nt.__dict__["_ragged_idx"]
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    if d == 0:
        raise RuntimeError(f"{short}(): reducing along the batch dimension but not the ragged dimension is not "
                           "supported for nested tensors")
    if d == r:  # over the ragged dim alone: a dense result, one row per component
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(holes_msg)
        from .. import stack
        outs = [func(c, r - 1, keepdim) for c in components(nt)]
        if isinstance(outs[0], tuple):  # (values, indices)
            return type(outs[0])(*[stack([o[k] for o in outs]) for k in range(len(outs[0]))])
        return stack(outs)
    out = func(nt, d - 1, keepdim)
    new_r = r if keepdim or d > r else r - 1

    def wrap_out(o):
        return like_jagged(o, nt, ragged_idx=new_r)
    if isinstance(out, tuple):  # (values, indices)
        return type(out)(*[wrap_out(o) for o in out])
    return wrap_out(out)


@_register("softmax", "log_softmax")
def _softmax(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    if dim is None:
        raise _refuse(f"torch.{short} without dim")
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    if _layout(nt) is strided:
        if short == "log_softmax":
            raise _no_kernel("_log_softmax")
        if d == 0:
            raise RuntimeError("Cannot apply softmax across nested dimension 0")
        return from_components([func(c, d - 1, **_dtype_kw(args, kwargs)) for c in components(nt)], strided)
    r = nt.__dict__["_ragged_idx"]
    if d == 0:
        raise RuntimeError(f"{short}(): not supported when reducing across the batch dimension for NestedTensor")
    if d == r:
        if nt.__dict__["_lengths"] is not None:
            raise RuntimeError(f"{short}(): not supported where lengths is not None if reducing across the ragged "
                               "dimension for NestedTensor")
        if r > 1:
            raise RuntimeError(f"{short}(): not supported when reducing along the ragged dimension for ragged_idx > 1 "
                               "for NestedTensor")
        return from_components([func(c, 0, **_dtype_kw(args, kwargs)) for c in components(nt)], jagged, nt)
    args, kwargs = _replace_arg(args, kwargs, 1, "dim", d - 1)
    return like(func(*args, **kwargs), nt)


def _dtype_kw(args, kwargs):
    dtype = kwargs.get("dtype")
    return {"dtype": dtype} if dtype is not None else {}


@_register("layer_norm")
def _layer_norm(func, short, args, kwargs):
    nt = args[0]
    shape = _arg(args, kwargs, 1, "normalized_shape")
    weight, bias = _arg(args, kwargs, 2, "weight"), _arg(args, kwargs, 3, "bias")
    eps = _arg(args, kwargs, 4, "eps", 1e-5)
    n = len(shape) if isinstance(shape, (list, tuple)) else 1
    if _layout(nt) is strided:
        if weight is None or bias is None:
            raise ValueError("NestedTensor layer_norm requires weight and bias")
        full = nested_shape(nt)
        if any(x is None for x in full[len(full) - n:]):
            raise RuntimeError("normalized_shape extends into irregular dimensions for the nested tensor")
        wanted = list(shape) if isinstance(shape, (list, tuple)) else [shape]
        for k, (want, have) in enumerate(zip(wanted, full[len(full) - n:])):
            if want != have:
                raise RuntimeError(f"The shape at dimension {k}of normalized_shape doesn't match the input")
        return from_components([func(c, shape, weight, bias, eps) for c in components(nt)], strided)
    if nested_dim(nt) <= 2:
        raise RuntimeError("layer_norm(): not supported for NestedTensor objects with 2 or fewer dimensions")
    out = func(*args, **kwargs)  # on the values, as PyTorch (whose shape errors are the values')
    if nt.__dict__["_ragged_idx"] - 1 >= nt._data.ndim - n:
        raise _refuse("torch.nn.functional.layer_norm over the ragged dim")
    return like(out, nt)


# --------------------------------------------------------------------------- products
def _per_component_pairs(func, a, b, layout, like_nt=None):
    ca, cb = components(a), components(b)
    if len(ca) != len(cb):
        raise RuntimeError(f"The nested tensors have different numbers of components: {len(ca)} and {len(cb)}")
    return from_components([func(x, y) for x, y in zip(ca, cb)], layout, like_nt)


@_register("matmul", "bmm", "__matmul__")
def _matmul(func, short, args, kwargs):
    a, b = args[0], _arg(args, kwargs, 1, "other" if short != "bmm" else "mat2")
    na, nb = isinstance(a, NestedTensor), isinstance(b, NestedTensor)
    layout = _layout(a) if na else _layout(b)
    op = Tensor.matmul
    if layout is strided:
        if short == "bmm" and na and not nb and isinstance(b, Tensor) and b._data.ndim == 3 \
                and b._data.shape[0] == len(a.__dict__["_sizes"]):
            return from_components([op(c, b[i]) for i, c in enumerate(components(a))], strided)
        if not (na and nb):
            raise RuntimeError("Expected both to be nested, but got a nested self and non-nested other" if na else
                               "Expected both to be nested, but got a non-nested self and nested other")
        if short == "bmm" and (nested_dim(a) != 3 or nested_dim(b) != 3):
            raise RuntimeError("batch1 must be a 3D tensor")
        sa, sb = a.__dict__["_sizes"], b.__dict__["_sizes"]
        if len(sa) == len(sb) and any(x[-1] != y[-2] for x, y in zip(sa, sb)):
            if short == "bmm":
                i = next(k for k, (x, y) in enumerate(zip(sa, sb)) if x[-1] != y[-2])
                raise RuntimeError(f"{i}-th nested matrices in batch cannot be multiplied ({sa[i][-2]}x{sa[i][-1]} "
                                   f"and {sb[i][-2]}x{sb[i][-1]})")
            raise RuntimeError("matmul: Nested tensors cannot be matrix multiplied, last dimension of self has sizes"
                               + _long_tensor_text([x[-1] for x in sa]) + "second last dimension of mat2 has sizes"
                               + _long_tensor_text([y[-2] for y in sb]))
        return _per_component_pairs(op, a, b, strided)
    if not na:
        raise _refuse(f"torch.{short} of a dense tensor by a nested one")
    r = a.__dict__["_ragged_idx"]
    ndim = nested_dim(a)
    msg = f"matmul(): not supported between inputs of shapes {_size_text(a)} and {_shape_text(b)}"
    if nb:
        if _layout(b) is jagged and _raggedness_matches(a, b) and r < ndim - 2:
            return _per_component_pairs(op, a, b, jagged, a)
        raise RuntimeError(msg)
    if r == ndim - 1:
        raise RuntimeError(msg)
    if b._data.ndim == 2 or (b._data.ndim < ndim and short != "bmm"):
        return like(op(a, b), a)
    if b._data.ndim == ndim and b._data.shape[0] == len(a.__dict__["_sizes"]):
        comps = components(a)
        return from_components([op(c, b[i]) for i, c in enumerate(comps)], jagged, a)
    raise RuntimeError(msg)


@_register("linear")
def _linear(func, short, args, kwargs):
    nt = args[0]
    weight = _arg(args, kwargs, 1, "weight")
    bias = _arg(args, kwargs, 2, "bias")
    if not isinstance(nt, NestedTensor) or isinstance(weight, NestedTensor) or isinstance(bias, NestedTensor):
        raise _refuse("torch.nn.functional.linear with a nested weight or bias")
    if _layout(nt) is strided:
        if not is_contiguous_nested(nt):
            raise RuntimeError("for now linear only supports contiguous nested tensor")
        lasts = [sz[-1] for sz in nt.__dict__["_sizes"] if sz]
        if len(set(lasts)) > 1:
            raise RuntimeError("Expected all tensors in nested tensor to have the same trailing dimension, instead "
                               "last dimension equals: " + _long_tensor_text(lasts))
        last = lasts[0] if lasts else None
        if weight._data.ndim == 2 and last is not None and last != weight._data.shape[1]:
            raise RuntimeError(f"Shape mismatch for NestedTensor Linear: Expected input's (a nested tensor) 'last_dim' "
                               f"to equal 'weight.size(1), but got: last_dim = {last}, and weight.size(1) = "
                               f"{weight._data.shape[1]}")
        return from_components([func(c, weight, bias) for c in components(nt)], strided)
    _require_contiguous_jagged(nt, "linear_default(input: jt, weight: t, bias: t?)", "input")
    return like(func(nt, weight, bias), nt)


# ops PyTorch has no rule for on either layout, refused with its words
_MISSING_BOTH = {"pad": ("constant_pad_nd", "constant_pad_nd.default"),
                 "normalize": ("linalg_vector_norm", "norm.ScalarOpt_dim")}


@_register(*_MISSING_BOTH)
def _missing(func, short, args, kwargs):
    strided_name, jagged_name = _MISSING_BOTH[short]
    if _layout(args[0]) is strided:
        raise _no_kernel(strided_name)
    raise NotImplementedError(f"aten.{jagged_name}")


@_register("view_as", "reshape_as")
def _view_as(func, short, args, kwargs):
    nt, other = args[0], _arg(args, kwargs, 1, "other")
    if _layout(nt) is strided:
        if short == "view_as":
            raise RuntimeError(NO_SIZES)
        if isinstance(other, NestedTensor) and _layout(other) is strided \
                and len(other.__dict__["_sizes"]) == len(nt.__dict__["_sizes"]):
            return from_components([c.reshape(sz) for c, sz in zip(components(nt), other.__dict__["_sizes"])],
                                   strided)
        raise _refuse(f"torch.Tensor.{short} of a dense tensor's shape")
    shape = list(nested_shape(other)) if isinstance(other, NestedTensor) else list(other._data.shape)
    return _view(func, short[:-3], (nt, shape), {})


@_register("embedding")
def _embedding(func, short, args, kwargs):
    """``F.embedding`` of nested indices (``nn.Embedding`` on token ids of different lengths): the
    values looked up at once, the result nested like the indices with one more dim."""
    indices, weight = args[0], _arg(args, kwargs, 1, "weight")
    if not isinstance(indices, NestedTensor) or isinstance(weight, NestedTensor):
        raise _refuse("torch.nn.functional.embedding with a nested weight")
    if _layout(indices) is strided:
        return from_components([func(c, *args[1:], **kwargs) for c in components(indices)], strided)
    _require_contiguous_jagged(indices, "embedding_default(weight: t, indices: jt, padding_idx: any?, "
                                        "scale_grad_by_freq: any?, sparse: any?)", "indices")
    return like_jagged(func(*args, **kwargs), indices)


@_register("scaled_dot_product_attention")
def _sdpa(func, short, args, kwargs):
    q, k, v = args[0], _arg(args, kwargs, 1, "key"), _arg(args, kwargs, 2, "value")
    attn_mask = _arg(args, kwargs, 3, "attn_mask")
    dropout_p = _arg(args, kwargs, 4, "dropout_p", 0.0)
    is_causal = _arg(args, kwargs, 5, "is_causal", False)
    scale = _arg(args, kwargs, 6, "scale")
    first = next(x for x in (q, k, v) if isinstance(x, NestedTensor))
    if _layout(first) is jagged:
        # PyTorch's checks (torch/nested/_internal/sdpa.py), in its order
        if not all(isinstance(x, NestedTensor) for x in (q, k, v)):
            raise ValueError(f"Expected query, key, and value to be nested tensors, but got query.is_nested: "
                             f"{isinstance(q, NestedTensor)}, key.is_nested: {isinstance(k, NestedTensor)}, and "
                             f"value.is_nested: {isinstance(v, NestedTensor)} instead.")
        if attn_mask is not None:
            raise ValueError("Masks are not yet supported!")
        # its CPU math kernel takes 4-d (B, H, j, D) inputs and no causal mask
        if is_causal or any(nested_dim(x) != 4 for x in (q, k, v)):
            raise RuntimeError("No viable backend for scaled_dot_product_attention was found.")
    elif not all(isinstance(x, NestedTensor) and _layout(x) is strided for x in (q, k, v)) or attn_mask is not None:
        raise _refuse("torch.nn.functional.scaled_dot_product_attention with dense inputs or a mask")
    outs = [func(qc, kc, vc, dropout_p=dropout_p, is_causal=is_causal, scale=scale)
            for qc, kc, vc in zip(components(q), components(k), components(v))]
    return from_components(outs, _layout(q), q if _layout(q) is jagged else None)


# --------------------------------------------------------------------------- shape ops
@_register("transpose", "swapaxes", "swapdims")
def _transpose(func, short, args, kwargs):
    nt = args[0]
    ndim = nested_dim(nt)
    d0 = _norm_dim(_arg(args, kwargs, 1, "dim0"), ndim)
    d1 = _norm_dim(_arg(args, kwargs, 2, "dim1"), ndim)
    if _layout(nt) is strided:
        if d0 == 0 or d1 == 0:
            raise RuntimeError("Nested tensor dimension 0 cannot be transposed")
        out = from_components([c.transpose(d0 - 1, d1 - 1) for c in components(nt)], strided)
        # PyTorch's result is a non-contiguous view; this one is a copy, flagged so that what
        # refuses a non-contiguous nested tensor there (linear, to_padded_tensor) refuses it here
        out.__dict__["_noncontig"] = d0 != d1
        return out
    if d0 == 0 or d1 == 0:
        raise ValueError("Transpose is not supported on the batch dimension for jagged NT")
    r = nt.__dict__["_ragged_idx"]
    new_r = d1 if r == d0 else d0 if r == d1 else r
    return like_jagged(Tensor.transpose(nt, d0 - 1, d1 - 1), nt, ragged_idx=new_r)


def _shape_args(args, kwargs):
    shape = args[1:] if len(args) > 1 else kwargs.get("shape", kwargs.get("size", ()))
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return list(shape)


@_register("view", "reshape")
def _view(func, short, args, kwargs):
    nt = args[0]
    shape = _shape_args(args, kwargs)
    B = len(nt.__dict__["_sizes"])
    if _layout(nt) is strided:
        if not shape or shape[0] != B:
            raise RuntimeError(f"{short}: For now nested {short} cannot change or infer the implicit batch dimension")
        outs = []
        for c in components(nt):
            target = [c.shape[k] if (s == -1 and k < c.dim()) else s for k, s in enumerate(shape[1:])]
            try:
                outs.append(getattr(c, short)(target))
            except RuntimeError:
                raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {c.numel()}") from None
        return from_components(outs, strided)
    d = nt.__dict__
    r = d["_ragged_idx"]
    from .nested_tensor import NestedInt
    ok = (len(shape) > r and shape[0] == B and (shape[r] == -1 or shape[r] == d["_jint"])
          and all(isinstance(s, int) for i, s in enumerate(shape) if i != r))
    if ok:
        # the values reshaped (their errors are PyTorch's too: it reshapes its values)
        target = list(shape[1:])
        target[r - 1] = nt._data.shape[r - 1]
        return like_jagged(getattr(Tensor, short)(nt, target), nt)
    shown = [repr(s) if isinstance(s, NestedInt) else s for s in shape]
    raise RuntimeError(f"view(): cannot view shape {_size_text(nt)} as [{', '.join(str(s) for s in shown)}]")


_DIM0 = ("{op}(): For nested tensors, {ing} dimension 0 is not supported at the moment if you need this feature, "
         "please open an issue on github describing your use case.")


@_register("unsqueeze", "squeeze")
def _unsqueeze(func, short, args, kwargs):
    nt = args[0]
    dim = _arg(args, kwargs, 1, "dim")
    strided_nt = _layout(nt) is strided
    if dim is None:
        if strided_nt:
            raise RuntimeError("squeeze(): For nested tensors, squeeze without the dim argument is not supported at the "
                               "moment, however you can use squeeze(Tensor self, int dim) instead if you need this "
                               "feature, please open an issue on github describing your use case.")
        raise NotImplementedError("aten.squeeze.default")
    if isinstance(dim, (tuple, list)):
        raise _refuse(f"torch.{short} with several dims")
    ndim = nested_dim(nt) + (1 if short == "unsqueeze" else 0)
    d = _norm_dim(dim, ndim)
    if d == 0:
        if strided_nt:
            raise RuntimeError(_DIM0.format(op=short, ing="unsqueezing" if short == "unsqueeze" else "squeezing"))
        raise RuntimeError(f"{short}(): not supported for NestedTensor on dim=0")
    if strided_nt:
        return from_components([getattr(c, short)(d - 1) for c in components(nt)], strided)
    if short == "squeeze":
        _require_contiguous_jagged(nt, "squeeze_dim(self: jt, dim: any)")
    r = nt.__dict__["_ragged_idx"]
    if short == "squeeze" and d == r:
        raise RuntimeError("squeeze(): not supported for NestedTensor on ragged dim")
    out = getattr(Tensor, short)(nt, d - 1)
    if short == "unsqueeze":
        new_r = r + 1 if d <= r else r
    else:
        new_r = r - 1 if d < r and out._data.ndim < nt._data.ndim else r
    return like_jagged(out, nt, ragged_idx=new_r)


@_register("flatten")
def _flatten(func, short, args, kwargs):
    nt = args[0]
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    ndim = nested_dim(nt)
    start = _norm_dim(_arg(args, kwargs, 1, "start_dim", 0), ndim)
    end = _norm_dim(_arg(args, kwargs, 2, "end_dim", -1), ndim)
    r = nt.__dict__["_ragged_idx"]
    if start == 0:
        raise RuntimeError("flatten(): not supported for NestedTensor on dim=0")
    if start <= r <= end and start != end:
        raise RuntimeError("flatten(): not supported for NestedTensor on ragged dim")
    out = Tensor.flatten(nt, start - 1, end - 1)
    return like_jagged(out, nt, ragged_idx=r if r < start else r - (end - start))


@_register("unflatten")
def _unflatten(func, short, args, kwargs):
    return unflatten(args[0], _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "sizes"))


def unflatten(nt, dim, sizes):
    """``Tensor.unflatten`` (which PyTorch's transformer tutorial uses to split heads): a dim that
    is neither the batch nor the ragged one, unflattened on the values."""
    if _layout(nt) is strided:
        raise RuntimeError(NO_SIZES)
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    r = nt.__dict__["_ragged_idx"]
    shape = list(nested_shape(nt))
    if d == r:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({shape[d]!r}) in the input tensor")
    if d == 0:  # PyTorch's unflatten is a view, refused by the jagged view
        shown = shape[:d] + list(sizes) + shape[d + 1:]
        raise RuntimeError(f"view(): cannot view shape {_size_text(nt)} as [{', '.join(repr(x) for x in shown)}]")
    out = Tensor.unflatten(nt, d - 1, sizes)
    return like_jagged(out, nt, ragged_idx=r if r < d else r + len(sizes) - 1)


@_register("permute")
def _permute(func, short, args, kwargs):
    nt = args[0]
    dims = _shape_args(args, kwargs) if "dims" not in kwargs else list(kwargs["dims"])
    if _layout(nt) is strided:
        raise _no_kernel("permute")
    ndim = nested_dim(nt)
    dims = [_norm_dim(d, ndim) for d in dims]
    if len(dims) != ndim or sorted(dims) != list(range(ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    if dims[0] != 0:
        raise ValueError("Permute is not supported on the batch dimension for jagged NT")
    r = nt.__dict__["_ragged_idx"]
    out = Tensor.permute(nt, [d - 1 for d in dims[1:]])
    return like_jagged(out, nt, ragged_idx=dims.index(r))


@_register("chunk", "split", "split_with_sizes")
def _chunk(func, short, args, kwargs):
    nt = args[0]
    how = _arg(args, kwargs, 1, "chunks" if short == "chunk" else "split_size_or_sections")
    if short == "split_with_sizes":
        how = _arg(args, kwargs, 1, "split_sizes")
    dim = _arg(args, kwargs, 2, "dim", 0)
    ndim = nested_dim(nt)
    d = _norm_dim(dim, ndim)
    op = getattr(Tensor, short)
    if _layout(nt) is strided:
        if short == "split" and isinstance(how, int):
            raise _no_kernel("split.Tensor")
        if short == "chunk" and d != ndim - 1:
            raise RuntimeError("Chunk for nested tensors is currently only supported for the last dimension.")
        lasts = [sz[-1] for sz in nt.__dict__["_sizes"] if sz]
        if short == "chunk" and len(set(lasts)) > 1:
            raise RuntimeError("Expected all tensors in nested tensor to have the same trailing dimension, instead "
                               "last dimension equals: " + _long_tensor_text(lasts))
        if d == 0:
            raise _refuse(f"torch.{short} on dim 0 of a strided nested tensor")
        pieces = [op(c, how, d - 1) for c in components(nt)]
        if len({len(p) for p in pieces}) != 1:
            raise _refuse(f"torch.{short} giving different numbers of pieces per component")
        return tuple(from_components([p[i] for p in pieces], strided) for i in range(len(pieces[0])))
    schema = {"chunk": "chunk_default(self: jt, chunks: any, dim: any?)",
              "split": ("split_with_sizes_default(self: jt, split_sizes: any, dim: any?)"
                        if isinstance(how, (list, tuple)) else "split_tensor(self: jt, split_size: any, dim: any?)"),
              "split_with_sizes": "split_with_sizes_default(self: jt, split_sizes: any, dim: any?)"}[short]
    _require_contiguous_jagged(nt, schema)
    r = nt.__dict__["_ragged_idx"]
    if d == 0:
        if short != "chunk":
            raise RuntimeError(f"{short}(): not supported for NestedTensor on dim=0")
        comps = components(nt)
        size = -(-len(comps) // how)
        return tuple(from_components(comps[i:i + size], jagged) for i in range(0, len(comps), size))
    if d == r:
        raise RuntimeError(f"{short}(): not supported for NestedTensor on ragged dim")
    return tuple(like(p, nt) for p in op(nt, how, d - 1))


@_register("cat", "concat", "concatenate")
def _cat(func, short, args, kwargs):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    dim = _arg(args, kwargs, 1, "dim", 0)
    first = next(t for t in tensors if isinstance(t, NestedTensor))
    if not all(isinstance(t, NestedTensor) and _layout(t) is _layout(first) for t in tensors):
        raise _refuse("torch.cat of nested and dense tensors")
    d = _norm_dim(dim, nested_dim(first))
    from .. import cat
    if _layout(first) is strided:
        if d == 0:
            return from_components([c for t in tensors for c in components(t)], strided)
        groups = [components(t) for t in tensors]
        if len({len(g) for g in groups}) != 1:
            raise _refuse("torch.cat of nested tensors with different numbers of components")
        return from_components([cat(list(cs), d - 1) for cs in zip(*groups)], strided)
    if d == 0:
        raise RuntimeError("cat(): not supported for NestedTensor on dim=0")
    r = first.__dict__["_ragged_idx"]
    if d == r or any(t.__dict__["_off"] != first.__dict__["_off"] or t.__dict__["_ragged_idx"] != r
                     or t.__dict__["_lengths"] is not None for t in tensors):
        raise _refuse("torch.cat of jagged tensors along the ragged dim or with different offsets")
    return like(cat(tensors, d - 1), first)


# --------------------------------------------------------------------------- conversions
def convert(nt, device=None, dtype=None):
    """``nt.to(device=..., dtype=...)`` (``as_nested_tensor`` of a nested tensor)."""
    out = Tensor.to(nt, device=device, dtype=dtype)
    return nt if out is nt else like(out, nt)
