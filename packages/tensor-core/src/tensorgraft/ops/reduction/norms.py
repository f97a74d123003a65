"""Magnitude reductions: ``linalg.vector_norm`` (the private op ``linalg_vector_norm``), ``norm``
(which hands matrix norms to ``tensorgraft.linalg``) and ``logsumexp``, the shifted log of a sum
of exponentials. Together because both kernels size their results with ``_reduced_shape``."""
from __future__ import annotations

import numbers

import numpy as np

from ...grad_mode import state as _gs
from ...tensor import Tensor, wrap
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import (NOT_GIVEN, REQUIRED, bad_int_list_item, check_bool, dim_keepdim, is_int, method_and_function,
                     spread, wrap_dims, wrong_type)
from .._define import defop
from ._shared import _all_dims, _float_in, _record_values, _type_name
from tensorgraft.dtypes import np_kind as _np_kind


# =========================================================================== norms
def _vnorm_kernel(xp, a, ord, axes, keepdim):
    if a.dtype == np.float16 and ord not in (float("inf"), float("-inf")):
        # PyTorch accumulates half-precision norms in float32: the squares of a 1000 tens do not
        # overflow float16's 65504 there
        return _vnorm_kernel(xp, a.astype(np.float32), ord, axes, keepdim).astype(np.float16)
    x = xp.abs(a)
    if ord == 2:
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim))
    if ord == 1:
        return xp.sum(x, axis=axes, keepdims=keepdim)
    if ord == float("inf"):
        return xp.amax(x, axis=axes, keepdims=keepdim) if x.size else xp.zeros(
            _reduced_shape(x.shape, axes, keepdim), x.dtype)
    if ord == float("-inf"):
        return xp.amin(x, axis=axes, keepdims=keepdim)
    if ord == 0:
        return xp.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    return xp.power(xp.sum(xp.power(x, ord), axis=axes, keepdims=keepdim), 1.0 / ord).astype(x.dtype, copy=False)


def _reduced_shape(shape, axes, keepdim):
    axes = range(len(shape)) if axes is None else axes
    if keepdim:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _check_norm_dtype(have, dtype) -> None:
    """``vector_norm(..., dtype=)``'s checks: the same kind (complex for complex input), and no
    narrowing (a float64 input into float32), as PyTorch's."""
    from ... import dtypes as _dt
    if _np_kind(have) == "c" and not dtype.is_complex:
        raise RuntimeError(f"linalg.vector_norm: dtype should be complex for complex inputs, but got "
                           f"{_type_name(dtype.np)}")
    if _np_kind(have) != "c" and dtype.is_complex:
        raise RuntimeError(f"linalg.vector_norm: dtype should be real for real inputs, but got {_type_name(dtype.np)}")
    source = _dt._BY_NUMPY[have]
    if _dt.promote_types(source, dtype) is not dtype:
        raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({_type_name(have)}) should be convertible "
                           f"without narrowing to the specified dtype ({_type_name(dtype.np)})")


def _vnorm_frontend(op):
    table = op.table

    def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
        check_tensor(x, "linalg.vector_norm")
        a = x._data
        if _np_kind(a.dtype) not in "fc":  # checked before any dtype= cast, as PyTorch
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{_type_name(a.dtype)}")
        if dtype is not None:
            if _np_kind(dtype.np) not in "fc":
                raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got "
                                   f"{dtype.scalar_type}")
            _check_norm_dtype(a.dtype, dtype)
            a = a.astype(dtype.np)
        if isinstance(ord, Tensor):
            ord = ord.item()
        _check_vnorm_args(ord, dim, keepdim, 3)
        axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
        reduced = a.shape if axes is None else [a.shape[d] for d in axes]
        # (no identity for these: refused when a reduced dim is empty, as PyTorch, whatever the rest)
        if (ord < 0 or ord == float("inf")) and 0 in reduced:
            if axes is None:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                                   "operation does not have an identity")
            given = [dim] if is_int(dim) else list(dim)  # (named as given, -1 stays -1; PyTorch's missing space kept)
            d = next(g for g in given if a.shape[wrap_dims(g, a.ndim)[0]] == 0)
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the dimension {d}because this "
                               "dimension is empty and the operation does not have an identity")
        src = x if dtype is None else x.to(dtype)
        res = wrap(table[x._device.type](a, float(ord), axes, keepdim), x._device)
        if src._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, res, (src,), {"ord": float(ord), "dim": axes, "keepdim": keepdim},
                                    node_name="LinalgVectorNormBackward0")
        if out is not None:
            F.write_out(out, res._data, "linalg.vector_norm")
            return out
        return res
    return vector_norm


_vnorm = defop("linalg_vector_norm", kernel=_vnorm_kernel, frontend=_vnorm_frontend, method=False, public=False)


def _check_vnorm_args(ord, dim, keepdim, npos):
    """linalg_vector_norm's arguments as PyTorch's parser takes them: ``ord`` a number, ``dim``
    ints or None, ``keepdim`` a bool (no ``keepdim=1``); ``npos``: how many of them came
    positionally (their errors then give the position, counting the tensor as 1)."""
    fname = "linalg_vector_norm"
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):  # (NumPy numbers too)
        raise wrong_type(fname, "ord", "Number", ord, 2 if npos > 0 else None)
    if dim is not None and dim.__class__ is not int and not is_int(dim):
        if isinstance(dim, (tuple, list)) and not dim:
            pass  # dim=() / []: every dim, as PyTorch
        elif isinstance(dim, (tuple, list)) and dim and is_int(dim[0]):
            bad = bad_int_list_item(fname, "dim", dim)
            if bad is not None:
                raise bad
        else:
            raise wrong_type(fname, "dim", "tuple of ints", dim, 3 if npos > 1 else None)
    check_bool(fname, "keepdim", keepdim, 4 if npos > 2 else None)


def vector_norm(x, *args, ord=NOT_GIVEN, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None, out=None):
    """``torch.linalg.vector_norm``."""
    ord, dim, keepdim = spread("linalg_vector_norm", args, ("ord", "dim", "keepdim"), [ord, dim, keepdim])
    ord = 2 if ord is NOT_GIVEN else ord
    dim = None if dim is NOT_GIVEN else dim
    keepdim = False if keepdim is NOT_GIVEN else keepdim
    _check_vnorm_args(ord.item() if isinstance(ord, Tensor) else ord, dim, keepdim, len(args))
    return _vnorm.frontend(x, ord, dim, keepdim, dtype=dtype, out=out)


def _norm_frontend(op):
    def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
        check_tensor(input, "norm")
        if isinstance(dim, int) and not isinstance(dim, bool):
            dim = (dim,)
        if isinstance(p, str) and not (p == "fro" and (dim is None or len(dim) <= 2)):
            # as torch.norm: 'nuc' (and any other string) is a matrix norm over ``dim``, every dim
            # when none is given, which must then be exactly two
            from tensorgraft import linalg
            dims = tuple(range(input.ndim)) if dim is None else tuple(dim)
            if p not in ("fro", "nuc"):
                raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
            if input.ndim < 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
            if _np_kind(input._data.dtype) not in "fc":   # even with dtype=, as PyTorch
                raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                                   f"{_type_name(input._data.dtype)}")
            if len(dims) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
            res = linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype)
            if out is not None:
                F.write_out(out, res._data, "norm")
                return out
            return res
        if p == "fro":
            p = 2
        elif p is None:
            p = 2
        if _np_kind(input._data.dtype) not in "fc":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{_type_name(input._data.dtype)}")
        return _vnorm.frontend(input, p, dim, keepdim, dtype=dtype, out=out)
    return norm


defop("norm", frontend=_norm_frontend, composite=True)


# =========================================================================== logsumexp
def _logsumexp_kernel(xp, a, axes, keepdim):
    if a.size == 0:
        return xp.log(xp.sum(xp.exp(a), axis=axes, keepdims=keepdim))
    # complex: shift by the largest real part only, so the imaginary part of the result is the
    # principal angle of the sum (PyTorch's), not shifted by one element's angle
    m = xp.amax(a.real if _np_kind(a.dtype) == "c" else a, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros((), m.dtype))
    s = xp.log(xp.sum(xp.exp(a - m), axis=axes, keepdims=True)) + m
    if not keepdim:
        s = s.reshape(_reduced_shape(a.shape, axes, False))
    return s


def _logsumexp_frontend(op):
    table = op.table

    def build(method):
        def logsumexp(input, *args, dim=NOT_GIVEN, keepdim=NOT_GIVEN):
            # dim: required ints (no None, unlike sum); keepdim: a bool (no ``keepdim=1``)
            check_tensor(input, "logsumexp")  # (the tensor is the parser's first argument)
            dim, keepdim = dim_keepdim("logsumexp", args, dim, keepdim, method, default=REQUIRED, none_ok=False)
            a = _float_in(input._data)
            axes = None if _all_dims(dim) else wrap_dims(dim, a.ndim)
            out = wrap(table[input._device.type](a, axes, keepdim), input._device)
            _record_values(op, out, input, {"dim": axes, "keepdim": keepdim})
            return out
        logsumexp.__name__ = logsumexp.__qualname__ = "logsumexp"
        return logsumexp
    return method_and_function(op, build)


defop("logsumexp", kernel=_logsumexp_kernel, frontend=_logsumexp_frontend)
