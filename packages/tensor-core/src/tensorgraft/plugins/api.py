"""Helpers for plugin authors: build ``OpDef`` objects without writing a frontend by hand.

A plugin's ``tensorgraft_register_ops`` hook typically does::

    from tensorgraft.plugins import api

    @hookimpl
    def tensorgraft_register_ops(registrar):
        registrar.register_op(api.elementwise_op("example.swish", _swish_kernel, params={"beta": 1.0},
                                                 inplace=True, samples=_swish_samples))

- ``elementwise_op(name, kernel, ...)``: tensor inputs broadcast together, dtypes promote as
  PyTorch's elementwise ops do, non-tensor parameters (``beta=1.0``) become ``node.attrs``.
- ``op(name, kernel=..., frontend=...)``: anything else. Without ``frontend`` a generic one is
  used: every positional Tensor argument is unwrapped, the device's kernel runs on the arrays,
  the result is wrapped and (when needed) recorded with the positional arguments as the node's
  inputs and the keyword arguments as ``node.attrs``.
- ``function_op(name, function)``: expose a ``tensorgraft.autograd.Function`` subclass as an op.
- ``formula(saves=..., saves_output=...)``: mark a backward formula with what it reads.

Every helper accepts ``samples=`` (``callable(dtype, device) -> list of (args, kwargs)``) and
``reference=`` (a NumPy implementation) that the conformance kit
(``tensorgraft.testing.conformance``) uses; they are stored in ``OpDef.extra``.
"""
from __future__ import annotations

from typing import Callable
from tensorgraft.argument_errors import c_type_name

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..registry import OpDef
from ..tensor import Tensor, wrap
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["op", "elementwise_op", "function_op", "formula", "generic_frontend", "record_if_needed",
           "check_same_device"]

_SCALARS = (int, float, bool, complex, np.number, np.bool_)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"op name must be a non-empty string, got {name!r}")
    for part in name.split("."):
        if not part.isidentifier():
            raise ValueError(f"op name '{name}': every dotted part must be a Python identifier")


def _inplace_name(name: str, inplace) -> str | None:
    if inplace is True:
        return name.rpartition(".")[2] + "_"
    return inplace or None


def _extra(samples, reference, extra: dict) -> dict:
    if samples is not None:
        extra["samples"] = samples
    if reference is not None:
        extra["reference"] = reference
    return extra


def check_same_device(opname: str, tensors):
    """The common device of ``tensors`` (PyTorch's error when they differ)."""
    from ..ops._frontend import device_mismatch
    first = None
    for t in tensors:
        if isinstance(t, Tensor):
            if first is None:
                first = t
            elif t._device is not first._device:
                raise device_mismatch(opname, first, t)
    return None if first is None else first._device


def record_if_needed(opdef: OpDef, out: Tensor, inputs: tuple, attrs=None, node_name=None) -> Tensor:
    """Record ``out`` on the autograd graph when grad mode is on and an input requires grad."""
    if not opdef.differentiable or not _gs.enabled or _np_kind(out._data.dtype) not in "fc":
        return out
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            Tensor._autograd.record(opdef, out, tuple(inputs), attrs, node_name)
            break
    return out


def _kernel_for(opdef: OpDef, dev):
    k = opdef.table.get(dev.type)
    if k is None:
        raise RuntimeError(f"{opdef.name}: no kernel for device type '{dev.type}' (the op was registered by "
                           f"{opdef.distribution}; its kernel tables are built when plugins load)")
    return k


# --------------------------------------------------------------------------- generic ops
def generic_frontend(opdef: OpDef) -> Callable:
    """``f(*args, **kwargs)``: positional Tensors are unwrapped (all on one device), the device's
    kernel gets the arrays and the other arguments unchanged, one result array is wrapped."""
    name = opdef.name

    def frontend(*args, **kwargs):
        dev = check_same_device(name, args)
        if dev is None:
            raise TypeError(f"{name}(): expected at least one Tensor argument")
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        out = wrap(_kernel_for(opdef, dev)(*arrays, **kwargs), dev)
        return record_if_needed(opdef, out, args, dict(kwargs) if kwargs else None)

    frontend.__name__ = frontend.__qualname__ = name.rpartition(".")[2]
    frontend.__doc__ = opdef.doc or None
    return frontend


def op(name: str, kernel: Callable | None = None, *, frontend: Callable | None = None, inplace=None,
       differentiable: bool = True, kernels: dict | None = None, samples=None, reference=None, doc: str = "",
       node: str | None = None, **extra) -> OpDef:
    """An ``OpDef`` for ``registrar.register_op``.

    ``kernel(xp, *args, **kwargs)`` is the generic kernel (``xp`` is numpy, cupy, ...);
    ``kernels`` maps a device type to a specialised kernel (same arguments, without ``xp``).
    ``frontend(opdef) -> callable`` builds the user-facing function (default: ``generic_frontend``).
    ``inplace=True`` also exposes ``<name>_`` (computed out of place, then stored into the input).
    ``node`` names the backward node class (default ``<Name>Backward0``).
    """
    _check_name(name)
    if kernel is None and not kernels and frontend is None:
        raise ValueError(f"op '{name}' needs a kernel, device kernels or a frontend")
    if node is not None:
        extra["node"] = node
    return OpDef(name=name, kernel=kernel, make_frontend=frontend or generic_frontend, method=None,
                 inplace=_inplace_name(name, inplace), differentiable=differentiable, public=True,
                 kernels=dict(kernels or {}), doc=doc, extra=_extra(samples, reference, extra))


# --------------------------------------------------------------------------- elementwise ops
def _elementwise_frontend(n_inputs: int, params: dict, to_float: bool):
    pnames = tuple(params)
    defaults = tuple(params.values())

    def factory(opdef: OpDef):
        name = opdef.name
        short = name.rpartition(".")[2]

        def frontend(*args, **kwargs):
            if len(args) < n_inputs:
                raise TypeError(f"{short}() missing required argument(s): expected {n_inputs} tensor input(s)")
            inputs, rest = args[:n_inputs], args[n_inputs:]
            if len(rest) > len(pnames):
                raise TypeError(f"{short}() takes {n_inputs + len(pnames)} positional arguments but "
                                f"{len(args)} were given")
            values = list(rest) + list(defaults[len(rest):])
            for k, v in kwargs.items():
                try:
                    i = pnames.index(k)
                except ValueError:
                    raise TypeError(f"{short}() got an unexpected keyword argument '{k}'") from None
                if i < len(rest):
                    raise TypeError(f"{short}() got multiple values for argument '{k}'")
                values[i] = v
            if not isinstance(inputs[0], Tensor):
                raise TypeError(f"{short}(): argument 'input' (position 1) must be Tensor, "
                                f"not {type(inputs[0]).__name__}")
            dev = check_same_device(name, inputs)
            for i, t in enumerate(inputs):
                if not isinstance(t, (Tensor,) + _SCALARS):
                    raise TypeError(f"{short}(): argument {i + 1} must be Tensor or Number, not {c_type_name(t)}")
            # PyTorch's promotion: dimensioned tensors > 0-d tensors > Python scalars
            ranked = []
            for t in inputs:
                if isinstance(t, Tensor):
                    ranked.append((t.dtype, _dt.ZERO_DIM if t._data.ndim == 0 else _dt.DIMENSIONED))
                else:
                    ranked.append((_dt._scalar_dtype(t), _dt.SCALAR))
            common = _dt.result_type_ranked(ranked)
            if to_float:
                common = _dt.to_float(common)
            npd = common.np
            arrays = []
            for t in inputs:
                if isinstance(t, Tensor):
                    a = t._data
                    arrays.append(a if a.dtype == npd else a.astype(npd))
                else:
                    arrays.append(npd.type(t))
            out = wrap(_kernel_for(opdef, dev)(*arrays, *values), dev)
            attrs = dict(zip(pnames, values)) if pnames else None
            return record_if_needed(opdef, out, tuple(inputs), attrs)

        frontend.__name__ = frontend.__qualname__ = short
        frontend.__doc__ = opdef.doc or None
        return frontend
    return factory


def elementwise_op(name: str, kernel: Callable | None, *, n_inputs: int = 1, params: dict | None = None,
                   to_float: bool = True, inplace=False, differentiable: bool = True, kernels: dict | None = None,
                   samples=None, reference=None, doc: str = "", node: str | None = None, **extra) -> OpDef:
    """An elementwise op: ``f(*tensors, *params)``.

    ``kernel(xp, *arrays, *param_values)`` receives the ``n_inputs`` arrays already promoted to the
    result dtype (PyTorch's rules; ``to_float=True`` makes integer inputs compute in the default
    float dtype, like ``exp``) and broadcasts them itself (ufunc-style). ``params`` maps each
    non-tensor parameter to its default (``{"beta": 1.0}``); they can be passed positionally or by
    keyword and reach the backward formula as ``node.attrs["beta"]``.
    """
    _check_name(name)
    if kernel is None and not kernels:
        raise ValueError(f"op '{name}' needs a kernel")
    extra["elementwise"] = True
    extra["n_inputs"] = n_inputs
    extra["to_float"] = to_float
    if node is not None:
        extra["node"] = node
    return OpDef(name=name, kernel=kernel, make_frontend=_elementwise_frontend(n_inputs, dict(params or {}), to_float),
                 method=None, inplace=_inplace_name(name, inplace), differentiable=differentiable,
                 kernels=dict(kernels or {}), doc=doc, extra=_extra(samples, reference, extra))


# --------------------------------------------------------------------------- autograd.Function ops
def function_op(name: str, function, *, samples=None, reference=None, doc: str = "", inplace=None, **extra) -> OpDef:
    """Expose a ``tensorgraft.autograd.Function`` subclass as an op: ``f(*args) = function.apply(*args)``.

    ``function`` is the class or a zero-argument callable returning it (so the class, which needs
    the autograd engine, is only built when the op is first called). The Function's own
    ``backward`` is the op's gradient: no formula is registered for it.
    """
    _check_name(name)

    def factory(opdef):
        cache = []

        def frontend(*args, **kwargs):
            if not cache:
                fn = function
                if not (isinstance(fn, type) and hasattr(fn, "apply")):
                    fn = fn()
                cache.append(fn)
            return cache[0].apply(*args, **kwargs)

        frontend.__name__ = frontend.__qualname__ = name.rpartition(".")[2]
        frontend.__doc__ = opdef.doc or None
        return frontend

    extra["autograd_function"] = True
    return OpDef(name=name, kernel=None, make_frontend=factory, method=None, inplace=_inplace_name(name, inplace),
                 differentiable=True, doc=doc, extra=_extra(samples, reference, extra))


def formula(*, saves=None, saves_output: bool = False):
    """Mark a backward formula: ``saves`` = indices of the inputs it reads (``None``: all),
    ``saves_output`` = whether it reads ``node.output``. Register it with
    ``registrar.register_formula(op_name, fn)`` in ``tensorgraft_register_formulas``."""
    def deco(fn):
        fn.saves = saves
        fn.saves_output = saves_output
        return fn
    return deco
