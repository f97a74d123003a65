"""How a result is written into a tensor that already exists: the in-place store (PyTorch's
casting rule: no lowering of the dtype category; writes through ``expand``ed views) and ``out=``
arguments (dtype check, resize with PyTorch's deprecation warning, refused under autograd).

Part of the op frontends (the package ``__init__`` re-exports these names, which op modules
import from there); kept apart because none of it runs on the plain out-of-place path.
"""
from __future__ import annotations

import functools
import types
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from .._return_types import out_variant
from ...grad_mode import state as _gs
from ...tensor import Tensor, check_not_inference
from .memory_overlap import INTERNAL_OVERLAP, check_out_overlap


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3, "V": 2}  # 'V': bfloat16 (ml_dtypes)


def check_cast(value, dest) -> None:
    """PyTorch's rule for in-place results: no lowering of the category (float into an int tensor)."""
    check_cast_dtype(value.dtype, dest.dtype)


def check_cast_dtype(value_dtype, dest_dtype) -> None:
    """``check_cast`` on NumPy dtypes, for a check made before the result exists."""
    if value_dtype is not dest_dtype and _CATEGORY[value_dtype.kind] > _CATEGORY[dest_dtype.kind]:
        raise RuntimeError(f"result type {_type_name(value_dtype)} "
                           f"can't be cast to the desired output type {_type_name(dest_dtype)}")


_OVERLAP = INTERNAL_OVERLAP  # (the name op modules import)


def writable_alias(t: Tensor, region=None, fill=False):
    """``t``'s array made writeable, for a write into what ``expand`` returned (NumPy marks
    broadcast views read-only; PyTorch writes through them). ``region``: the part of the array
    the write reaches; when two of its elements share memory PyTorch refuses the write, and so
    does this, except for a fill (``fill_``/``zero_``: every element gets the same value).
    Returns None when ``t`` is read-only for another reason (a read-only buffer)."""
    a = t._data
    root = t._base._data if t._base is not None else None
    if not isinstance(a, np.ndarray) or root is None or not root.flags.writeable or not root.flags.c_contiguous:
        return None
    reach = a if region is None else region
    if not fill and any(st == 0 and n > 1 for st, n in zip(reach.strides, reach.shape)):
        raise RuntimeError(_OVERLAP)
    offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(a.shape, a.dtype, buffer=root, offset=offset, strides=a.strides)


def store_into(t: Tensor, value, opname: str) -> None:
    """Write ``value`` into ``t``'s memory with PyTorch's casting rule for in-place results."""
    check_not_inference(t)
    d = t._data
    check_cast(value, d)
    if value.shape != d.shape:
        try:
            value = np.broadcast_to(value, d.shape) if isinstance(d, np.ndarray) else value
        except ValueError:
            pass
        if value.shape != d.shape and np.broadcast_shapes(value.shape, d.shape) != d.shape:
            raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(value.shape, d.shape))}")
    if isinstance(d, np.ndarray) and not d.flags.writeable:
        alias = writable_alias(t)
        if alias is not None:
            d = alias
    if d.ndim == 0 and isinstance(d, np.ndarray):
        d[()] = value
    else:
        d[...] = value
    t._vc[0] += 1


_RESIZED = ("An output with one or more elements was resized since it had shape {old}, which does not match the "
            "required output shape {new}. This behavior is deprecated, and in a future PyTorch release outputs will "
            "not be resized unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
            "inplace, to zero elements with t.resize_(0).")


# The C type PyTorch's "value cannot be converted" message names for each dtype.
_CONVERT_NAMES = {"int32": "int", "int64": "int64_t", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
                  "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                  "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t",
                  **{d.name: f"c10::{d.scalar_type}" for d in _dt.FLOAT8_DTYPES}}


def complex_into_real(npdtype, via_double: bool = False) -> RuntimeError:
    """PyTorch's error for a Python complex number written into a real tensor. ``t[i] = z`` goes
    through a double for float16 (``via_double``); ``fill_`` names the half type itself."""
    name = "double" if via_double and str(npdtype) == "float16" else _CONVERT_NAMES[str(npdtype)]
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def _logical_out(value, dest, opname):
    # any/all write into a bool (or, as the input, uint8) tensor only
    if dest.dtype.kind != "b" and dest.dtype != np.uint8:
        raise RuntimeError(f"{opname} only supports bool tensor for result, got: {_type_name(dest.dtype)}")
    return value.astype(dest.dtype, copy=False)  # (any of a uint8 input is uint8: a bool out takes it too)


def _same_dtype_out(value, dest, opname):
    if value.dtype != dest.dtype:  # amax/amin: the out tensor of the input's own dtype
        raise RuntimeError(f"Expected the dtype for input and out to match, but got {_type_name(value.dtype)} for "
                           f"input's dtype and {_type_name(dest.dtype)} for out's dtype.")
    return value


# reductions whose out= rule is not the in-place category rule (check_cast)
_REDUCTION_OUT_RULES = {"any": _logical_out, "all": _logical_out, "amax": _same_dtype_out, "amin": _same_dtype_out}


def write_out(out, value, opname: str, stacklevel: int = 3):
    """``f(..., out=out)``: PyTorch's rules for the result array ``value``. The dtype may only go
    up a category (float into a double out, not into an int one); an ``out`` of another shape is
    resized (with PyTorch's deprecation warning unless it was empty; ``stacklevel`` points it at
    the user's call). Returns ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{opname}(): argument 'out' must be Tensor, not {c_type_name(out)}")
    check_not_inference(out)
    if opname in _REDUCTION_OUT_RULES:
        value = _REDUCTION_OUT_RULES[opname](value, out._data, opname)
    else:
        check_cast(value, out._data)
    if tuple(value.shape) != out._data.shape:
        if out._data.size:
            # named at the user's line however deep the op's frontend called this (``stacklevel``
            # is kept for callers that pass it; the frame walk decides)
            from ...caller_warnings import warn_at_caller
            warn_at_caller(_RESIZED.format(old=list(out._data.shape), new=list(value.shape)), UserWarning)
        out.resize_(tuple(value.shape))
    store_into(out, value, opname)
    return out


def write_outs(out, results, opname: str, result_type):
    """``f(..., out=(a, b))`` for an op returning a named tuple: each of ``results`` written into
    the ``out`` tensor at its position (``write_out``'s rules); returns the named tuple of those."""
    for k, r in enumerate(results):
        write_out(out[k], r._data, opname, stacklevel=4)
    if result_type is tuple:  # (a plain tuple result, torch.lu's: the out tensors as a tuple)
        return tuple(out[k] for k in range(len(results)))
    return out_variant(result_type)(*(out[k] for k in range(len(results))))


def check_out_grad(opname: str, out, *args) -> None:
    """PyTorch refuses ``out=`` while recording gradients for any operand (or ``out`` itself)."""
    if _gs.enabled and (getattr(out, "_requires_grad", False)
                        or any(isinstance(a, Tensor) and a._requires_grad for a in args)):
        raise RuntimeError(f"{opname}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


# ops whose out= must have the input's dtype exactly, checked (as PyTorch's kernels check it) before
# the memory overlap
_OUT_OF_INPUT_DTYPE = frozenset({"gather"})


def _check_input_dtype_out(out, input) -> None:
    if out._data.dtype != input._data.dtype:
        names = _dt.CPP_TYPE_NAMES
        raise RuntimeError(f"Expected out tensor to have dtype {names.get(input._data.dtype.name)}, but got "
                           f"{names.get(out._data.dtype.name)} instead")


def with_out(fn, opname: str, overlap: str | None = "partial"):
    """``fn`` taking PyTorch's keyword ``out=``: computed as usual, then written into ``out``.
    Refused while recording gradients, as PyTorch refuses it (before anything is written), and,
    per ``overlap``, when ``out`` shares memory with an input: "partial" (elementwise ops: ``out``
    may be an input itself, not part of one), "any", or None (the op allows both)."""
    def f(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        check_out_grad(opname, out, *args, *kwargs.values())
        if opname in _OUT_OF_INPUT_DTYPE and isinstance(out, Tensor) and args and isinstance(args[0], Tensor):
            _check_input_dtype_out(out, args[0])
        if overlap is not None and isinstance(out, Tensor):
            check_out_overlap(out, (*args, *kwargs.values()), full_ok=overlap == "partial")
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):  # (values, indices) & co.: one out tensor per field
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{opname}(): argument 'out' must be tuple of {len(result)} Tensors")
            return write_outs(out, result, opname, type(result))
        return write_out(out, result._data, opname)
    f.__name__ = f.__qualname__ = getattr(fn, "__name__", opname)
    f.__doc__ = fn.__doc__
    sig = _out_signature(fn)
    if sig is not None:
        f.__signature__ = sig
    return f


# with_out's signatures by parameter layout. The ~160 frontends bound with ``out=`` are closures of
# a few dozen factory functions (~90 are ``unary(input)`` or ``binary(input, other)``), and asking
# inspect for each one's signature cost ~2 ms of every ``import tensorgraft``.
_OUT_SIGNATURES: dict = {}


def _out_signature(fn):
    """``fn``'s signature with a keyword-only ``out=None`` added (unless it has ``out`` or ``**kwargs``);
    None when inspect cannot tell it."""
    key = _layout(fn)
    sig = _OUT_SIGNATURES.get(key) if key is not None else None
    if sig is None:
        import inspect  # (already loaded by NumPy: the import is a dict lookup)
        try:
            sig = inspect.signature(fn)
            params = list(sig.parameters.values())
            if "out" not in sig.parameters and not any(p.kind is p.VAR_KEYWORD for p in params):
                params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
            sig = sig.replace(parameters=params)
        except (TypeError, ValueError):
            return None
        if key is not None:
            _OUT_SIGNATURES[key] = sig  # Signatures are immutable: wrappers of one layout share one
    return sig


def _layout(fn):
    """What ``inspect.signature(fn)`` is made of, for a plain function whose signature comes from its
    code alone (no defaults, annotations, ``__wrapped__`` or ``__signature__``); else None."""
    if (type(fn) is not types.FunctionType or fn.__defaults__ or fn.__kwdefaults__ or fn.__annotations__
            or not _SIGNATURE_ATTRS.isdisjoint(fn.__dict__)):
        return None
    code = fn.__code__
    n = (code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & _CO_VARARGS)
         + bool(code.co_flags & _CO_VARKEYWORDS))
    return (code.co_varnames[:n], code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS))


_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08
# attributes inspect.signature reads before it turns to the code
_SIGNATURE_ATTRS = frozenset({"__wrapped__", "__signature__", "__text_signature__", "_partialmethod"})


def with_out_decorator(opname: str):
    """``with_out`` as a decorator, for functions defined outside the op registry."""
    return lambda fn: functools.wraps(fn)(with_out(fn, opname))


def factory_with_out(opname: str, resize_silently: bool = False):
    """Decorate a factory (``arange``, ``full``, ``randint`` ...) to honour PyTorch's ``out=``: the
    values are made in ``out``'s dtype and on its device (unless ``dtype=``/``device=`` are given)
    and written into ``out``, which is returned. ``resize_silently``: an ``out`` of another shape
    takes the result's without the deprecation warning (the samplers PyTorch resizes with
    ``resize_``: ``rand``, ``randint``, ``randperm`` ...)."""
    def decorate(fn):
        @functools.wraps(fn)
        def f(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"{opname}(): argument 'out' must be Tensor, not {c_type_name(out)}")
            if kwargs.get("dtype") is None:
                kwargs["dtype"] = out.dtype
            if kwargs.get("device") is None:
                kwargs["device"] = out.device
            result = fn(*args, **kwargs)
            if result.is_sparse != out.is_sparse:  # (zeros(..., layout=torch.sparse_coo, out=dense))
                names = ("Strided", "Sparse")
                raise RuntimeError(f"layout {names[result.is_sparse]} does not match layout of out parameter "
                                   f"({names[out.is_sparse]})")
            if resize_silently and tuple(out.shape) != tuple(result.shape):
                out.resize_(tuple(result.shape))
            return write_out(out, result._data, opname)
        return f
    return decorate


_TYPE_NAMES = {d.name: d.scalar_type for d in _dt.ALL_DTYPES}


def _type_name(npdtype) -> str:
    return _TYPE_NAMES.get(str(npdtype), str(npdtype))
