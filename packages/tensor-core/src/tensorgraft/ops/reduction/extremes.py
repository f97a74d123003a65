"""The extremes: ``max``/``min`` (whole tensor, or (values, indices) along a dim, or elementwise
with a second tensor), ``amax``/``amin``, ``aminmax``, and ``argmax``/``argmin``. NaN wins, as in
PyTorch."""
from __future__ import annotations

import numpy as np

from ...grad_mode import state as _gs
from ...dtypes import CPP_TYPE_NAMES
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import (NOT_GIVEN, check_bool, dim_keepdim, invalid_combination, is_int, method_and_function, wrap_dim,
                     wrap_dims, wrong_type)
from .._define import defop
from .._return_types import return_type
from ._shared import _all_dims, _no_grad, _record_values, _refuse_complex, check_keepdim
from .sort_arguments import ALIAS_MESSAGE, _INT64, _out_pair, _reduced_shape, _resize_out, _stored, _structured_out


# =========================================================================== max / min / amax / amin / argmax
def _extreme_kernel(xp, a, which, axis, keepdim):
    """(values, indices) along ``axis`` (NaN wins, as in PyTorch), or the full reduction."""
    if axis is None:
        return (xp.max(a) if which == "max" else xp.min(a)), None
    if a.ndim == 0:
        return a.copy(), xp.zeros((), np.int64)
    idx = (xp.argmax if which == "max" else xp.argmin)(a, axis=axis, keepdims=True)
    vals = xp.take_along_axis(a, idx, axis=axis)
    if not keepdim:
        idx = idx.squeeze(axis)
        vals = vals.squeeze(axis)
    return vals, idx.astype(np.int64, copy=False)


_EXTREME_OVERLOADS = ("", "Tensor other", "int dim, bool keepdim = False")


def _check_dim_or_other(which, input, dim, keepdim):
    """max/min take a dim (an int) or a tensor to compare with, never both a tensor and keepdim:
    PyTorch's parser refuses the call as a whole (a float dim must not be truncated). Shown as
    usually written: ``torch.max(a, b, 1)``, ``x.max(dim=1.5)``."""
    if isinstance(dim, Tensor) and is_int(dim):
        return  # a one-element integer tensor is an int to the parser
    if isinstance(dim, Tensor):
        raise invalid_combination(which, (input, dim, keepdim), overloads=_EXTREME_OVERLOADS)
    if not is_int(dim):
        raise invalid_combination(which, (), {"dim": dim, **({"keepdim": keepdim} if keepdim else {})},
                                  _EXTREME_OVERLOADS)


_NO_DIM = object()  # (``dim`` not given; ``dim=None`` given explicitly is an error)


def _extreme_frontend(op, which):
    """The function (with ``out=``); the method (which PyTorch gives no ``out``) goes to
    ``op.extra["method_frontend"]``."""
    op.extra["method_frontend"] = _extreme_build(op, which, True)
    return _extreme_build(op, which, False)


def _extreme_build(op, which, method):
    table = op.table
    Ret = return_type(which)
    pair = None

    def extreme(input, dim=_NO_DIM, keepdim=False, *, other=None, out=None):
        nonlocal pair
        check_tensor(input, which)
        if out is not None and method:
            raise TypeError(f"{which}() got an unexpected keyword argument 'out'")
        if other is not None:
            dim = other
        if dim is _NO_DIM:
            dim = None
        elif dim is None:  # an explicit dim=None matches none of PyTorch's overloads
            _check_dim_or_other(which, input, dim, keepdim)
        if dim is not None and dim.__class__ is not int and (keepdim is not False or not isinstance(dim, Tensor)):
            _check_dim_or_other(which, input, dim, keepdim)
        if isinstance(dim, Tensor):  # max(a, b) -> maximum
            if pair is None:
                import tensorgraft
                pair = getattr(tensorgraft, "maximum" if which == "max" else "minimum")
            return pair(input, dim) if out is None else pair(input, dim, out=out)
        a = input._data
        if dim is None:
            if out is not None:
                F.check_out_grad(which, out, input)
            if a.size == 0:
                raise RuntimeError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            _refuse_complex(a, f"{which}_all")
            v, _ = table[input._device.type](a, which, None, False)
            res = wrap(v, input._device)
            if out is not None:
                return F.write_out(out, res._data, which)
            _record_values(op, res, input, {"dim": None}, "MaxBackward1" if which == "max" else "MinBackward1")
            return res
        check_keepdim(which, keepdim)  # (the method's wording: x.max(1, keepdim=1))
        if out is not None:
            if not isinstance(out, (tuple, list)):  # (PyTorch: its parser's "invalid combination" message)
                raise TypeError(f"{which}(): argument 'out' must be tuple of 2 Tensors")
            _out_pair(which, method, out, 3, input)
        d = wrap_dim(dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"{which}(): Expected reduction dim {d} to have non-zero size.")
        _refuse_complex(a, message=f"{which}(): does not support complex input")
        if out is not None:
            a, d = _extreme_outs(out, input, dim, keepdim)
        v, i = table[input._device.type](a, which, d, keepdim)
        if out is not None:
            return _stored(which, out, v, i)
        vals, idx = wrap(v, input._device), wrap(i, input._device)
        _record_values(op, vals, input, {"dim": d, "keepdim": keepdim, "indices": idx},
                       "MaxBackward0" if which == "max" else "MinBackward0")
        return Ret(vals, idx)
    extreme.__name__ = extreme.__qualname__ = which
    return extreme


def _extreme_outs(out, input, dim, keepdim):
    """max/min(dim)'s out tensors as PyTorch's structured kernel takes them: each of exactly the
    result's dtype (values the input's, indices int64) and resized in turn (with the warning), then
    none overlapping the input. Returns the input's array and dim read again: an out tensor that is
    the input was resized, and PyTorch goes on with what is left."""
    a = input._data
    shape = _reduced_shape(a.shape, wrap_dim(dim, a.ndim), keepdim)
    _structured_out(out[0], a.dtype, shape)
    _structured_out(out[1], _INT64, shape)
    a = input._data
    d = wrap_dim(dim, a.ndim)
    for t in out:
        if np.may_share_memory(t._data, a):
            raise RuntimeError(ALIAS_MESSAGE)
    return a, d


defop("max", kernel=_extreme_kernel, frontend=lambda op: _extreme_frontend(op, "max"))
defop("min", kernel=_extreme_kernel, frontend=lambda op: _extreme_frontend(op, "min"))


def _amax_kernel(xp, a, which, axes, keepdim):
    return (xp.amax if which == "amax" else xp.amin)(a, axis=axes, keepdims=keepdim)


def _amax_frontend(op, which):
    table = op.table

    def build(method):
        def amax(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN):
            # dim: ints (None: every dim); keepdim: a bool (PyTorch's parser takes no ``keepdim=1``)
            check_tensor(input, which)  # (the tensor is the parser's first argument)
            dim, keepdim = dim_keepdim(which, args, dim, keepdim, method, default=())
            return _amax(input, dim, keepdim)
        amax.__name__ = amax.__qualname__ = which
        return amax

    def _amax(input, dim, keepdim):
        check_tensor(input, which)
        a = input._data
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim, which)
        if a.size == 0:
            if axes is None:
                raise RuntimeError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            # the first empty one named as given (dim=-1 stays -1, as in PyTorch's message)
            given = dim if isinstance(dim, (tuple, list)) else (dim,)
            for g in given:
                if a.shape[g if g >= 0 else g + a.ndim] == 0:
                    raise IndexError(f"{which}(): Expected reduction dim {g} to have non-zero size.")
        else:  # (an empty result never reaches PyTorch's kernel, which refuses complex numbers)
            _refuse_complex(a, "max_values_cpu" if which == "amax" else "min_values_cpu")
        out = wrap(table[input._device.type](a, which, axes, keepdim), input._device)
        _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
        return out
    return method_and_function(op, build)


defop("amax", kernel=_amax_kernel, frontend=lambda op: _amax_frontend(op, "amax"))
defop("amin", kernel=_amax_kernel, frontend=lambda op: _amax_frontend(op, "amin"))


def _cpp_name(npdtype):
    return CPP_TYPE_NAMES.get(npdtype.name, str(npdtype))  # (as PyTorch's out= dtype checks word them)


def _aminmax_frontend(op):
    Ret = return_type("aminmax", ("min", "max"))

    def build(method):
        def aminmax(input, *args, dim=None, keepdim=False, **out):
            if args:  # PyTorch counts the arguments without keywords (and without self, for the method)
                n = len(args) + (not method)
                raise TypeError(f"aminmax() takes {0 if method else 1} positional argument{'s' if method else ''} "
                                f"but {n} {'was' if n == 1 else 'were'} given")
            if out and (method or list(out) != ["out"]):  # (only the function takes out=)
                raise TypeError(f"aminmax() got an unexpected keyword argument '{next(iter(out))}'")
            if not isinstance(input, Tensor):  # (in its own name: it computes through amin/amax)
                raise F.not_a_tensor("aminmax", "input", 1, input)
            if out:
                return _aminmax_out(input, dim, keepdim, out["out"])
            return _aminmax(input, dim, keepdim)
        return aminmax

    def _aminmax_out(input, dim, keepdim, out):
        F.check_out_grad("aminmax", out, input)
        pair = _aminmax(input, dim, keepdim)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("aminmax(): argument 'out' must be tuple of 2 Tensors")
        for t, r in zip(out, pair):
            if isinstance(t, Tensor) and t._data.dtype != r._data.dtype:
                raise RuntimeError(f"Expected out tensor to have dtype {_cpp_name(r._data.dtype)}, but got "
                                   f"{_cpp_name(t._data.dtype)} instead")
            if isinstance(t, Tensor):  # (each out resized, with the warning, before the next one's check)
                _resize_out(t, r.shape)
        # (PyTorch names this result's type aminmax_out; tests/test_core_result_tuples_oracle.py lists
        # every result type, so that name waits for a spelling there)
        return F.write_outs(out, pair, "aminmax", Ret)

    def _aminmax(input, dim, keepdim):
        import tensorgraft
        # PyTorch's parser: dim is one int (not ints, as amin/amax take), keepdim a bool
        if dim is not None and dim.__class__ is not int and not is_int(dim):
            raise wrong_type("aminmax", "dim", "int", dim)
        check_bool("aminmax", "keepdim", keepdim)
        if isinstance(input, Tensor):
            _refuse_complex(input._data, "aminmax_cpu")
            if dim is None and input._data.size == 0:
                raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                                   "no identity.")
            if dim is not None and input._data.ndim:
                d = wrap_dim(dim, input._data.ndim, "aminmax")
                if input._data.shape[d] == 0:  # (PyTorch's own check, worded without amin's "()")
                    raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        reduced = () if dim is None else dim
        # amin and amax run unrecorded: PyTorch keeps both results on one AminmaxBackward0 node
        with _no_grad():
            pair = (tensorgraft.amin(input, reduced, keepdim), tensorgraft.amax(input, reduced, keepdim))
        if input._requires_grad and _gs.enabled:
            dims = None if dim is None else wrap_dims(dim, input._data.ndim)
            Tensor._autograd.record_multi(op, pair, (input,), {"dim": dims, "keepdim": keepdim})
        return Ret(*pair)
    return method_and_function(op, build)


defop("aminmax", frontend=_aminmax_frontend)


def _argext_kernel(xp, a, which, axis, keepdim):
    if axis is None:
        r = (xp.argmax if which == "argmax" else xp.argmin)(a.reshape(-1))
        r = xp.asarray(r, dtype=np.int64)
        return r.reshape((1,) * a.ndim) if keepdim else r
    return (xp.argmax if which == "argmax" else xp.argmin)(a, axis=axis, keepdims=keepdim).astype(np.int64, copy=False)


def _argext_frontend(op, which):
    table = op.table

    def build(method):
        def argmax(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN):
            # dim: an int or None; keepdim: a bool (PyTorch's parser takes no ``keepdim=1``)
            check_tensor(input, which)  # (the tensor is the parser's first argument)
            dim, keepdim = dim_keepdim(which, args, dim, keepdim, method, "int")
            return _argext(input, dim, keepdim)
        argmax.__name__ = argmax.__qualname__ = which
        return argmax

    def _argext(input, dim, keepdim):
        check_tensor(input, which)
        a = input._data
        if a.dtype == np.bool_:  # PyTorch has no bool kernel for these (max/min/sort do take bools)
            raise RuntimeError(f"{which}(): does not support bool input")
        _refuse_complex(a, message=f"{which}(): does not support complex input")
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{which}(): Expected reduction dim to be specified for input.numel() == 0.")
            axis = None
        else:
            axis = wrap_dim(dim, a.ndim, which)
            if a.ndim == 0:
                return wrap(table[input._device.type](a, which, None, False), input._device)
            if a.shape[axis] == 0:
                raise IndexError(f"{which}(): Expected reduction dim {axis} to have non-zero size.")
        return wrap(table[input._device.type](a, which, axis, keepdim), input._device)
    return method_and_function(op, build)


defop("argmax", kernel=_argext_kernel, frontend=lambda op: _argext_frontend(op, "argmax"), differentiable=False)
defop("argmin", kernel=_argext_kernel, frontend=lambda op: _argext_frontend(op, "argmin"), differentiable=False)
