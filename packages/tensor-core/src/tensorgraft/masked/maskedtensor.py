"""``MaskedTensor`` (``torch.masked.MaskedTensor``): a tensor whose elements each carry a validity bit.

How it is stored, and why: a ``MaskedTensor`` is a ``Tensor`` subclass whose own buffer *is* its
data (as ``tensorgraft.nested`` keeps its packed buffer), with the bool mask beside it in the
instance ``__dict__``. So autograd needs nothing new: the engine sees the data as an ordinary
tensor, gradients reach it through the ordinary nodes, and ``.grad`` is shown re-wrapped with the
mask (PyTorch's gradient of a MaskedTensor is a MaskedTensor).

Ops reach ``__torch_function__`` and go to one of a few kinds of handler, mirroring PyTorch's
``torch/masked/maskedtensor`` tables: unary and binary elementwise ops (run on the data, the mask
kept; binary operands must have equal masks), reductions (the masked reductions of reductions.py,
the result masked-in where any input was), ops applied to data and mask alike (indexing, views,
cat/stack), conversions, and queries that return no tensor. Any other op is refused naming it,
never run on the data by accident. Handlers run under ``DisableTorchFunctionSubclass``, where a
MaskedTensor behaves as its data, which is what the kernels want.

Defining this class turns on ``__torch_function__`` dispatch for the process (see
docs/user-guide/tensor-subclasses.md); that is why ``tensorgraft.masked`` loads this module only
when ``MaskedTensor``, ``masked_tensor`` or ``as_masked_tensor`` is first used.
"""
from __future__ import annotations

import warnings

import tensorgraft as tg

from .._C import DisableTorchFunctionSubclass
from ..overrides._dispatch import public_name
from ..tensor import Tensor, wrap
from .masking import is_masked_tensor

__all__ = ["MaskedTensor", "masked_tensor", "as_masked_tensor", "is_masked_tensor"]

_PROTOTYPE_WARNING = ("The PyTorch API of MaskedTensors is in prototype stage and will change in the near future. "
                      "Please open a Github issue for features requests and see our documentation on the "
                      "torch.masked module for further information about the project.")
_DATA_DTYPES = frozenset({tg.float16, tg.float32, tg.float64, tg.bool, tg.int8, tg.int16, tg.int32, tg.int64})

# PyTorch's lists (torch/masked/maskedtensor/unary.py, binary.py, reductions.py, passthrough.py)
UNARY_NAMES = frozenset("""abs absolute acos arccos acosh arccosh angle asin arcsin asinh arcsinh atan arctan atanh
    arctanh bitwise_not ceil clamp clip conj_physical cos cosh deg2rad digamma erf erfc erfinv exp exp2 expm1 fix floor
    frac lgamma log log10 log1p log2 logit i0 isnan nan_to_num neg negative positive pow rad2deg reciprocal round
    rsqrt sigmoid sign sgn signbit sin sinc sinh sqrt square tan tanh trunc""".split())
INPLACE_UNARY_NAMES = frozenset(n + "_" for n in UNARY_NAMES - {"angle", "positive", "signbit", "isnan"})
BINARY_NAMES = frozenset("""add atan2 arctan2 bitwise_and bitwise_or bitwise_xor bitwise_left_shift
    bitwise_right_shift div divide floor_divide fmod logaddexp logaddexp2 mul multiply nextafter remainder sub
    subtract true_divide eq ne le ge greater greater_equal gt less_equal lt less maximum minimum fmax fmin
    not_equal""".split())
INPLACE_BINARY_NAMES = frozenset(n + "_" for n in BINARY_NAMES - {"logaddexp", "logaddexp2", "fmin", "minimum",
                                                                  "maximum", "fmax"})
REDUCE_NAMES = frozenset({"sum", "mean", "amin", "amax", "argmin", "argmax", "prod", "all", "norm", "var", "std"})
# applied to data and mask alike
PASSTHROUGH_NAMES = frozenset({"__getitem__", "select", "transpose", "t", "split", "view", "reshape", "expand",
                               "cat", "concat", "concatenate", "stack", "unsqueeze", "unfold", "flatten"})
# Python operators reach ``__torch_function__`` under their dunder names
_DUNDERS = {"__rtruediv__": "div", "__rdiv__": "div", "__floordiv__": "floor_divide",
            "__rfloordiv__": "floor_divide", "__mod__": "remainder", "__rmod__": "remainder", "__eq__": "eq",
            "__ne__": "ne", "__and__": "bitwise_and", "__rand__": "bitwise_and", "__or__": "bitwise_or",
            "__ror__": "bitwise_or", "__xor__": "bitwise_xor", "__rxor__": "bitwise_xor", "__invert__": "bitwise_not",
            "__lshift__": "bitwise_left_shift", "__rshift__": "bitwise_right_shift", "__iadd__": "add_",
            "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_", "__abs__": "abs", "__neg__": "neg",
            "__pow__": "pow", "__ipow__": "pow_"}
_REFLECTED_REFUSED = {"__rsub__": "-", "__rpow__": "** or pow()"}
# Tensor methods and properties that return no tensor (or the tensor itself): run on the data
_QUERIES = frozenset({"size", "dim", "ndimension", "numel", "nelement", "__len__", "stride", "is_contiguous",
                      "element_size", "is_floating_point", "is_complex", "requires_grad_", "backward", "retain_grad",
                      "register_hook", "data_ptr", "get_device", "is_same_size", "contiguous"})
_PLAIN_PROPERTIES = frozenset({"shape", "dtype", "device", "requires_grad", "is_leaf", "grad_fn", "ndim", "layout",
                               "is_cuda", "is_cpu", "is_meta", "is_quantized", "is_nested", "names", "_version",
                               "retains_grad", "output_nr", "_base", "itemsize", "nbytes", "is_mkldnn",
                               "is_sparse_csr"})
_SETTABLE_PROPERTIES = frozenset({"requires_grad", "grad", "retains_grad"})


def _adopt(plain: Tensor, mask: Tensor) -> MaskedTensor:
    """A MaskedTensor whose data is ``plain`` itself (same memory, version counter and graph node,
    so ``torch.exp(mt).grad_fn`` is ``ExpBackward0``). A leaf that requires grad is aliased first,
    so that gradients reach it and not a second leaf."""
    if plain.grad_fn is None and plain._requires_grad:
        from ..ops.tensor_extras import _alias
        plain = _alias.frontend(plain)
    mt = wrap(plain._data, plain._device, MaskedTensor)
    mt._vc = plain._vc
    mt._base = plain._base
    mt.grad_fn = plain.grad_fn
    mt._requires_grad = plain._requires_grad
    mt._output_nr = plain._output_nr
    mt.__dict__["_masked_mask"] = mask
    return mt


def _validate(data, mask):
    """PyTorch's ``MaskedTensor._validate_members`` checks, in its order and words."""
    if data.layout != mask.layout:
        raise TypeError("data and mask must have the same layout.")
    if data.layout != tg.strided:
        raise TypeError(f"tensorgraft's MaskedTensor holds strided tensors only (got {data.layout} data); pass "
                        f"data.to_dense() and mask.to_dense()")
    if mask.dtype != tg.bool:
        raise TypeError("mask must have dtype bool.")
    if data.dtype not in _DATA_DTYPES:
        raise TypeError(f"{data.dtype} is not supported in MaskedTensor.")
    if data.dim() != mask.dim():
        raise ValueError("data.dim() must equal mask.dim()")
    if data.size() != mask.size():
        raise ValueError("data.size() must equal mask.size()")


def _check_constructor_args(data, mask):
    if is_masked_tensor(data) or not isinstance(data, Tensor):
        raise TypeError("data must be a Tensor")
    if is_masked_tensor(mask) or not isinstance(mask, Tensor):
        raise TypeError("mask must be a Tensor")
    warnings.warn(_PROTOTYPE_WARNING, UserWarning, stacklevel=3)
    _validate(data, mask)


class MaskedTensor(Tensor):
    """A tensor with a validity mask: ``MaskedTensor(data, mask, requires_grad=False)`` (a leaf
    holding copies of both); see the module docstring for how it is stored."""

    def __new__(cls, data, mask, requires_grad=False):
        _check_constructor_args(data, mask)
        if data.requires_grad:
            warnings.warn("It is not recommended to create a MaskedTensor with a tensor that requires_grad. To avoid "
                          "this, you can use data.detach().clone()", UserWarning, stacklevel=2)
        with DisableTorchFunctionSubclass():
            mt = _adopt(data.detach().clone(), mask.clone())
            if requires_grad:
                Tensor.requires_grad_(mt, True)
        return mt

    def __init__(self, data=None, mask=None, requires_grad=False):
        pass  # all done in __new__ (Tensor.__init__ is the legacy constructor)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = public_name(func)
        with DisableTorchFunctionSubclass():
            return _dispatch(func, name, args, kwargs or {})

    # Python's protocols reach these directly (not through ``__torch_function__``)
    def __repr__(self, *, tensor_contents=None) -> str:
        with DisableTorchFunctionSubclass():
            return _masked_repr(self)

    __str__ = __repr__

    def get_data(self) -> Tensor:
        """The data as a plain tensor (masked-out elements hold whatever they held); gradients
        flow through it back to this MaskedTensor."""
        with DisableTorchFunctionSubclass():
            from ..ops.tensor_extras import _alias
            return _alias.frontend(self)

    def get_mask(self) -> Tensor:
        return self.__dict__["_masked_mask"]

    def to_tensor(self, value) -> Tensor:
        """A plain tensor with the masked-out elements set to ``value``."""
        with DisableTorchFunctionSubclass():
            return self.get_data().masked_fill(~self.get_mask(), value)

    def is_sparse_coo(self) -> bool:
        return False

    def is_sparse_csr(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    def _wrap_grad(self, g):
        """A gradient the engine computed for the data, shown with this tensor's mask."""
        if g is None or is_masked_tensor(g):
            return g
        return _adopt(g, self.get_mask())


def masked_tensor(data, mask, requires_grad=False) -> MaskedTensor:
    """``torch.masked.masked_tensor``: a leaf MaskedTensor (as ``torch.tensor`` is a leaf)."""
    return MaskedTensor(data, mask, requires_grad)


def as_masked_tensor(data, mask) -> MaskedTensor:
    """``torch.masked.as_masked_tensor``: a MaskedTensor that keeps ``data``'s autograd history,
    so gradients flow back to ``data`` (as ``torch.as_tensor``)."""
    _check_constructor_args(data, mask)
    with DisableTorchFunctionSubclass():
        return _adopt(data.clone(), mask.clone())


# --------------------------------------------------------------------------- printing
def _masked_str(data, mask, formatter):
    if data.dim() == 1:
        values = data.detach().tolist()
        formatted = [formatter.format(v) if isinstance(v, float) else str(v) for v in values]
        masked_out = [not m for m in mask.tolist()]
        max_len = max(8 if out else len(e) for e, out in zip(formatted, masked_out))
        return "[" + ", ".join("--".rjust(max_len) if out else e for e, out in zip(formatted, masked_out)) + "]"
    subs = [_masked_str(d, m, formatter) for d, m in zip(data.unbind(0), mask.unbind(0))]
    subs = ["\n".join("  " + line for line in s.split("\n")) for s in subs]
    return "[\n" + ",\n".join(subs) + "\n]"


def _masked_repr(mt) -> str:
    """PyTorch's ``MaskedTensor.__repr__``: each element as ``{:8.4f}`` (floats) or ``str``, the
    masked-out ones as ``--``."""
    formatter = "{0:8.4f}"
    data = Tensor.detach(mt)
    mask = mt.get_mask()
    if data.dim() == 0:
        value = data.item()
        text = formatter.format(value) if isinstance(value, float) else str(value)
        if not mask.item():
            text = "--"
        return "MaskedTensor(" + text + ", " + str(mask.item()) + ")"
    s = _masked_str(data, mask, formatter)
    return "MaskedTensor(\n" + "\n".join("  " + line for line in s.split("\n")) + "\n)"


# --------------------------------------------------------------------------- dispatch
def _refuse(name):
    # TypeError, as PyTorch's "Multiple dispatch failed ..." for an op MaskedTensor has no handler for
    return TypeError(f"{name} is not supported on MaskedTensor in tensorgraft (supported: elementwise "
                               f"unary and binary ops, the reductions {', '.join(sorted(REDUCE_NAMES))}, softmax, "
                               f"indexing and views, to/clone/detach); use mt.get_data() and mt.get_mask() for "
                               f"anything else")


def _short_name(name):
    for prefix in ("torch.Tensor.", "torch.nn.functional.", "torch."):
        if name.startswith(prefix) and "." not in name[len(prefix):]:
            short = name[len(prefix):]
            return _DUNDERS.get(short, short)
    return None


def _mask_of(x):
    return x.get_mask() if is_masked_tensor(x) else None


def _dispatch(func, name, args, kwargs):
    if name.endswith(".__get__") or name.endswith(".__set__"):
        return _property(func, name, args)
    short = _short_name(name)
    if short is None:
        raise _refuse(name)
    if short in _QUERIES:
        return func(*args, **kwargs)
    if short in UNARY_NAMES or short in INPLACE_UNARY_NAMES:
        return _unary(func, short, args, kwargs)
    if short in _REFLECTED_REFUSED:
        # PyTorch's MaskedTensor has no handler for these, so Python reports the operator unsupported
        raise TypeError(f"unsupported operand type(s) for {_REFLECTED_REFUSED[short]}: "
                        f"'{type(args[1]).__name__}' and 'MaskedTensor'")
    if short in BINARY_NAMES or short in INPLACE_BINARY_NAMES:
        return _binary(func, short, args, kwargs)
    if short in REDUCE_NAMES:
        return _reduce(short, args, kwargs)
    if short in PASSTHROUGH_NAMES:
        return _passthrough(func, args, kwargs)
    handler = _OTHER_HANDLERS.get(short)
    if handler is None:
        raise _refuse(name)
    return handler(func, args, kwargs)


def _property(func, name, args):
    prop = name[len("torch.Tensor."):].rsplit(".", 1)[0]
    self = args[0]
    if name.endswith(".__set__"):
        if prop not in _SETTABLE_PROPERTIES:
            raise _refuse(name)
        value = args[1]
        if prop == "grad" and is_masked_tensor(value):
            value = Tensor.detach(value)  # the engine keeps the data's gradient as a plain tensor
        return func(self, value)
    if prop == "grad":
        return self._wrap_grad(func(self)) if is_masked_tensor(self) else func(self)
    if prop == "data":
        return _adopt(Tensor.detach(self), self.get_mask())
    if prop in _PLAIN_PROPERTIES:
        return func(*args)
    raise _refuse(name)


def _unary(func, short, args, kwargs):
    for a in list(args[1:]) + list(kwargs.values()):
        if isinstance(a, Tensor):
            raise TypeError("MaskedTensor unary ops do not support additional Tensor arguments")
    result = func(*args, **kwargs)
    if short.endswith("_"):
        return args[0]  # the data changed in place; the mask stays
    return _adopt(result, args[0].get_mask())


def _masks_match(a, b):
    if is_masked_tensor(a) and is_masked_tensor(b):
        mask_a, mask_b = a.get_mask(), b.get_mask()
        return mask_a.dim() == mask_b.dim() and bool(tg.eq(mask_a, mask_b).all())
    return True


def _binary(func, short, args, kwargs):
    if kwargs:
        raise ValueError("len(kwargs) must equal 0")
    for a in args[2:]:
        if isinstance(a, Tensor):
            raise TypeError("MaskedTensor binary ops do not support Tensor arguments aside from the lhs and rhs")
    if not _masks_match(*args[:2]):
        raise ValueError("Input masks must match. If you need support for this, please open an issue on Github.")
    result = func(*args)
    if short.endswith("_"):
        if not is_masked_tensor(args[0]):
            raise TypeError(f"{short}: an in-place op on a plain tensor cannot take a MaskedTensor operand; use "
                            f"mt.to_tensor(value) to make it a plain tensor first")
        return args[0]
    mask = _mask_of(args[0])
    if mask is None:
        mask = _mask_of(args[1])
    return _adopt(result, mask.expand_as(result))


def _multidim_any(mask, dim, keepdim):
    if isinstance(dim, int):
        dim = [dim]
    for d in sorted(dim, reverse=True):
        mask = tg.any(mask, dim=d, keepdim=keepdim)
    return mask


def _masked_all(data, dim=None, keepdim=False, mask=None):
    filled = data.masked_fill(~mask, True)
    return filled.all() if dim is None else tg.all(filled, dim=dim, keepdim=keepdim)


def _reduce(short, args, kwargs):
    """PyTorch's ``_torch_reduce``: over everything when only the tensor is given, else over ``dim``
    (``input, dim, keepdim=False, dtype=None``); the result is masked in where any element was."""
    from . import reductions
    self = args[0]
    mask = self.get_mask()
    if len(args) == 1 and not kwargs:
        if short == "all":
            data = _masked_all(self.get_data(), mask=mask)
        else:
            data = getattr(reductions, short)(self, mask=mask)
        return _adopt(data, tg.any(mask))
    input, dim, keepdim, dtype = _reduce_dim_args(*args, **kwargs)
    if not is_masked_tensor(input):
        raise TypeError("Input to reduce_dim must be a MaskedTensor")
    if short == "all":
        data = _masked_all(input.get_data(), dim=dim, keepdim=keepdim, mask=mask)
    else:
        data = getattr(reductions, short)(input, dim=dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return _adopt(data, _multidim_any(mask, dim, keepdim))


def _reduce_dim_args(input, dim, keepdim=False, dtype=None):
    return input, dim, keepdim, dtype


def _data_and_mask_args(args, kwargs, pick):
    def one(a):
        if is_masked_tensor(a):
            return pick(a)
        if isinstance(a, (list, tuple)):
            return type(a)(one(x) for x in a)
        return a
    return tuple(one(a) for a in args), {k: one(v) for k, v in kwargs.items()}


def _wrap_results(data, mask):
    if isinstance(data, (list, tuple)):
        return type(data)(_wrap_results(d, m) for d, m in zip(data, mask))
    return _adopt(data, mask)


def _passthrough(func, args, kwargs):
    data_args, data_kwargs = _data_and_mask_args(args, kwargs, lambda a: a.get_data())
    mask_args, mask_kwargs = _data_and_mask_args(args, kwargs, lambda a: a.get_mask())
    return _wrap_results(func(*data_args, **data_kwargs), func(*mask_args, **mask_kwargs))


def _on_data(func, args, kwargs):
    """clone, detach, ones_like ...: the op on the data, the mask kept."""
    return _adopt(func(*args, **kwargs), args[0].get_mask())


def _to_copy(func, args, kwargs):
    """to/float/double/...: the data converted, the mask moved along (still bool)."""
    data = func(*args, **kwargs)
    if data is args[0]:
        return data
    return _adopt(data, args[0].get_mask().to(device=data.device))


def _softmax(func, args, kwargs):
    """PyTorch's masked softmax kernel: masked-out elements (and fully masked-out rows) give 0."""
    from .normalizations import softmax
    self = args[0]
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    mask = self.get_mask()
    data = softmax(self, dim, dtype=kwargs.get("dtype"), mask=mask)
    return _adopt(tg.where(mask, data, 0), mask)


def _where(func, args, kwargs):
    if len(args) != 3 or kwargs:
        raise ValueError(f"__torch_function__, torch.where: expected len(args) == 3 and len(kwargs) == 0 (got "
                         f"{len(args)} args, {len(kwargs)} kwargs)")
    condition, x, y = args
    mx = x if is_masked_tensor(x) else _adopt(x, tg.ones_like(x, dtype=tg.bool))
    my = y if is_masked_tensor(y) else _adopt(y, tg.ones_like(y, dtype=tg.bool))
    return _adopt(tg.where(condition, mx.get_data(), my.get_data()), tg.where(condition, mx.get_mask(),
                                                                             my.get_mask()))


def _item(func, args, kwargs):
    mask = args[0].get_mask()
    if mask.numel() == 1 and not mask.item():
        raise ValueError("__torch_dispatch__, aten._local_scalar_dense: expected a mask tensor")
    return func(*args, **kwargs)


def _conj(func, args, kwargs):
    # a MaskedTensor holds real or bool data only, whose conj is itself (as in PyTorch, where it never
    # reaches the MaskedTensor's handlers); masked var/std call it
    return args[0]


_OTHER_HANDLERS = {"conj": _conj, "item": _item, "zeros_like": _on_data, "empty_like": _on_data, "full_like": _on_data,
                   "clone": _on_data, "detach": _on_data, "ones_like": _on_data, "to": _to_copy,
                   "float": _to_copy, "double": _to_copy, "half": _to_copy, "int": _to_copy, "long": _to_copy,
                   "bool": _to_copy, "short": _to_copy, "char": _to_copy, "type": _to_copy, "cpu": _to_copy,
                   "softmax": _softmax, "where": _where}
