"""PyTorch's values as tensorgraft's, and the comparison of results.

:func:`to_tensorgraft` converts a sample's value — tensors (values, ``requires_grad``, and with
``keep_aliasing`` the memory they share), dtypes, devices, sizes, layouts, memory formats, PyTorch's
functions and dataclasses — into tensorgraft's; :func:`_compare` says how a tensorgraft result
differs from PyTorch's (dtype, shape, values within the dtype's tolerance, NaN and inf where
PyTorch has them), or from another tensorgraft result. In the low-precision dtypes (float32,
complex64, bfloat16, float16) values outside the tolerance are judged against PyTorch's result for
the same inputs in float64 (``exact``, :func:`widened`, :func:`_as_accurate`): a result about as
accurate as PyTorch's passes, since rounding in another order is not a difference a user can rely
on. The OpInfo, ModuleInfo, OptimizerInfo and ``common_nn`` checks all convert and compare through
here.
"""
from __future__ import annotations

import dataclasses
import math
import types

import numpy as np

from .as_tensorgraft import _counterpart, _counterpart_function

_TOLERANCES = {"float16": (1e-2, 1e-3), "bfloat16": (2e-2, 1e-2), "float32": (1e-4, 1e-5),
               "complex64": (1e-4, 1e-5), "float64": (1e-6, 1e-7), "complex128": (1e-6, 1e-7)}
# the low-precision dtypes and the dtype PyTorch computes their exact-enough reference in
WIDER = {"float32": "float64", "complex64": "complex128", "bfloat16": "float64", "float16": "float64"}
# how much larger than PyTorch's own error (from the float64 result) tensorgraft's may be: another
# order of the same roundings, or one rounding where PyTorch rounds after each step, is off by a
# few units in the last place where PyTorch is; a wrong formula is off by far more
_ERROR_FACTOR = 2.0


class Unconvertible(Exception):
    """A sample holds something with no tensorgraft counterpart (a generator, a sparse input)."""


def to_tensorgraft(value, keep_aliasing: bool = False):
    """A sample's value with every PyTorch tensor, dtype, device, Size, layout and memory format
    replaced by tensorgraft's (values and ``requires_grad`` kept; tensors become contiguous). With
    ``keep_aliasing``, tensors that share memory (an ``out=`` that is the input, or part of it) or
    overlap themselves (``expand``) become views of one tensorgraft tensor with PyTorch's strides,
    so a check of memory overlap sees what PyTorch's sees."""
    return _convert(value, _aliased_views(value) if keep_aliasing else {})


def _aliased_views(value):
    """{id(PyTorch tensor): tensorgraft view} for the tensors of ``value`` that share memory with
    another or with themselves: views (``as_strided``) of one copy of their storage."""
    import torch

    import tensorgraft
    leaves = [t for t in _leaves(value, []) if isinstance(t, torch.Tensor) and t.layout == torch.strided
              and t.device.type == "cpu" and t.dtype != torch.bfloat16 and not t.is_conj() and not t.is_neg()]
    tensors = {id(t): t for t in leaves}
    by_storage: dict = {}
    for t in tensors.values():
        if t.untyped_storage().nbytes() == 0:
            continue
        by_storage.setdefault(t.untyped_storage().data_ptr(), []).append(t)
    views = {}
    for group in by_storage.values():
        overlapping = any(st == 0 and n > 1 for t in group for st, n in zip(t.stride(), t.shape))
        if (len(group) < 2 and not overlapping) or len({t.dtype for t in group}) != 1:
            continue
        whole = torch.empty(0, dtype=group[0].dtype).set_(group[0].untyped_storage())
        base = tensorgraft.from_numpy(whole.numpy().copy())
        for t in group:
            view = tensorgraft.as_strided(base, tuple(t.shape), t.stride(), t.storage_offset())
            views[id(t)] = view.requires_grad_(True) if t.requires_grad else view
    for t in leaves:  # a tensor passed twice (an empty input that is also the ``out``) stays one tensor
        if id(t) not in views and sum(x is t for x in leaves) > 1:
            views[id(t)] = _convert(t, {})
    return views


def _convert(value, views):
    import torch

    import tensorgraft
    if isinstance(value, torch.Tensor):
        if id(value) in views:
            return views[id(value)]
        if value.layout != torch.strided:
            raise Unconvertible(f"layout {value.layout}")
        if value.device.type == "meta":  # (shape and dtype only: error samples use them)
            out = tensorgraft.empty(tuple(value.shape), dtype=_convert(value.dtype, views), device="meta")
            return out.requires_grad_(True) if value.requires_grad else out
        if value.device.type != "cpu":
            raise Unconvertible(f"a tensor on {value.device}")
        if value.dtype == torch.complex32:
            raise Unconvertible("a complex32 tensor (tensorgraft has no complex32 dtype)")
        if value.dim() > 64:
            raise Unconvertible(f"a tensor of {value.dim()} dimensions (NumPy holds 64 at most)")
        data = value.detach().resolve_conj().resolve_neg().contiguous()
        if data.dtype == torch.bfloat16:  # NumPy has no bfloat16: through float32, exactly
            out = tensorgraft.from_numpy(data.float().numpy().copy()).to(tensorgraft.bfloat16)
        else:
            out = tensorgraft.from_numpy(data.numpy().copy())
        return out.requires_grad_(True) if value.requires_grad else out
    if isinstance(value, (torch.dtype, torch.memory_format, torch.layout)):
        return getattr(tensorgraft, str(value).split(".")[1])
    if isinstance(value, torch.device):
        return tensorgraft.device(str(value))
    if isinstance(value, torch.Size):
        return tensorgraft.Size(tuple(value))
    if isinstance(value, torch.Generator):
        raise Unconvertible("a torch.Generator")
    if isinstance(value, torch.nn.Module):
        raise Unconvertible(f"a torch.nn.Module ({type(value).__name__})")
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        return _counterpart_function(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value).__module__.startswith("torch."):
        cls = _counterpart(type(value).__module__, type(value).__qualname__)
        return cls(**{f.name: _convert(getattr(value, f.name), views) for f in dataclasses.fields(value)})
    if isinstance(value, list):
        return [_convert(v, views) for v in value]
    if isinstance(value, tuple):
        items = [_convert(v, views) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return {k: _convert(v, views) for k, v in value.items()}
    return value


def widened(value):
    """A PyTorch sample's ``value`` with its low-precision tensors (those of the checked dtype and any
    other of :data:`WIDER`, a float32 weight beside float16 inputs) and such dtypes where an argument
    names one in their wider dtype: the same numbers, for a reference result computed with less
    rounding (``requires_grad`` kept, as a new leaf)."""
    import torch
    if isinstance(value, torch.Tensor):
        name = str(value.dtype).split(".")[1]
        if name not in WIDER or value.layout != torch.strided:
            return value
        out = value.detach().to(getattr(torch, WIDER[name]))
        return out.requires_grad_(True) if value.requires_grad else out
    if isinstance(value, torch.dtype) and str(value).split(".")[1] in WIDER:
        return getattr(torch, WIDER[str(value).split(".")[1]])
    if isinstance(value, list):
        return [widened(v) for v in value]
    if isinstance(value, tuple):
        items = [widened(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return {k: widened(v) for k, v in value.items()}
    return value


def _as_accurate(ours, theirs, exact, rtol, atol):
    """Whether ``ours`` is about as close to ``exact`` as ``theirs`` is: NaN and inf where the exact
    value is not finite as PyTorch has them, and elsewhere either each value within
    :data:`_ERROR_FACTOR` times PyTorch's error there (or within the tolerance of the exact value),
    or the largest error within that factor of PyTorch's largest plus the tolerance of the largest
    exact value (the norm-wise bound of sums and products, whose rounding errors land on different
    elements in another summation order, and are relative to the terms, not to a small sum). Where
    PyTorch's value is NaN or inf and the exact one is finite (an overflow inside PyTorch's kernel),
    tensorgraft's may be PyTorch's or any value within the tolerance of the exact one."""
    if np.shape(exact) not in (ours.shape, ()):
        return False
    exact = np.broadcast_to(exact, ours.shape)
    finite = np.isfinite(exact)
    if not np.array_equal(ours[~finite], theirs[~finite], equal_nan=True):
        return False
    ours, theirs, exact = ours[finite], theirs[finite], exact[finite]
    with np.errstate(invalid="ignore", over="ignore"):
        mine, pytorchs = np.abs(ours - exact), np.abs(theirs - exact)
        pytorchs[np.isnan(pytorchs)] = np.inf  # (PyTorch's NaN, an overflow inside its kernel: no bound)
        ok = (mine <= _ERROR_FACTOR * pytorchs + atol + rtol * np.abs(exact)) | (ours == theirs)
        ok |= np.isnan(ours) & np.isnan(theirs)  # (a NaN of ours passes only where PyTorch's is NaN)
        if ok.all():
            return True
        bounded = np.isfinite(pytorchs)
        if not ok[~bounded].all():
            return False
        # (the dtype's tolerance taken norm-wise too: relative to the result's largest magnitude)
        return bool(np.max(mine[bounded]) <= _ERROR_FACTOR * np.max(pytorchs[bounded]) + atol
                    + rtol * np.max(np.abs(exact)))


def _leaves(value, out):
    if isinstance(value, (list, tuple)):
        for v in value:
            _leaves(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _leaves(v, out)
    else:
        out.append(value)
    return out


def _as_numpy(t):
    """(array, dtype name, shape) of a PyTorch or tensorgraft tensor."""
    import torch
    if isinstance(t, torch.Tensor):
        if t.layout != torch.strided:
            t = t.to_dense()
        t = t.detach().resolve_conj().resolve_neg()
        name = str(t.dtype).split(".")[1]
        if t.dtype in (torch.bfloat16, torch.complex32):  # (NumPy has neither: values through a wider type)
            t = t.to(torch.float32 if t.dtype == torch.bfloat16 else torch.complex64)
        return t.numpy(force=True), name, tuple(t.shape)
    import tensorgraft
    if t.layout is not tensorgraft.strided:
        t = t.to_dense()
    t = t.detach()
    name = str(t.dtype).split(".")[1]
    return (t.float() if t.dtype == tensorgraft.bfloat16 else t).numpy(), name, tuple(t.shape)


def _compare(expected, actual, values: bool, exact=None):
    """None when the outputs agree (dtype, shape, values to the dtype's tolerance), else what differs.
    ``exact``, for a low-precision dtype: a callable giving PyTorch's result for the inputs in
    float64 (called at the first difference in values; an exception there keeps the difference)."""
    import torch

    import tensorgraft
    theirs, ours = _leaves(expected, []), _leaves(actual, [])
    references = []  # (PyTorch's float64 leaves, filled at the first need)
    if len(theirs) != len(ours):
        return f"{len(ours)} outputs, PyTorch gives {len(theirs)}"
    for i, (e, a) in enumerate(zip(theirs, ours)):
        if isinstance(e, (torch.Tensor, tensorgraft.Tensor)):  # (tensorgraft's: a run compared with another)
            if not isinstance(a, tensorgraft.Tensor):
                return f"output {i}: a {type(a).__name__}, PyTorch gives a tensor"
            (ev, ed, es), (av, ad, as_) = _as_numpy(e), _as_numpy(a)
            if ed != ad:
                return f"output {i}: dtype {ad}, PyTorch {ed}"
            if es != as_:
                return f"output {i}: shape {as_}, PyTorch {es}"
            if not values:
                continue
            if ev.dtype.kind in "fc":
                rtol, atol = _TOLERANCES.get(ed, (1e-6, 1e-7))
                if not np.allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True) and not (
                        exact is not None and ed in WIDER
                        and _as_accurate(av, ev, _reference_leaf(exact, references, i), rtol, atol)):
                    worst = np.nanmax(np.abs(av.astype(np.complex128) - ev)) if ev.size else 0.0
                    return f"output {i}: values differ (largest difference {worst:.3g}{_errors(av, ev, references, i)})"
            elif not np.array_equal(av, ev):
                return f"output {i}: values differ"
        elif isinstance(e, float) and isinstance(a, float):
            if not (math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-7) or (math.isnan(a) and math.isnan(e))):
                return f"output {i}: {a!r}, PyTorch {e!r}"
        elif isinstance(e, (bool, int, float, complex, str, type(None))) and e != a:
            return f"output {i}: {a!r}, PyTorch {e!r}"
    return None


def _reference_leaf(exact, references, i):
    """Leaf ``i`` of PyTorch's float64 result as a NumPy array (NaN, which passes nothing, when that
    result could not be computed or has no such leaf)."""
    if not references:
        try:
            references.append(_leaves(exact(), []))
        except Exception:  # noqa: BLE001 - no reference: the difference stands
            references.append([])
    leaves = references[0]
    if i >= len(leaves) or not hasattr(leaves[i], "shape"):
        return np.nan
    value = _as_numpy(leaves[i])[0]
    return value if value.dtype.kind in "fc" else np.nan


def _errors(ours, theirs, references, i):
    """``; from float64: tensorgraft's error E, PyTorch's E`` where a float64 result was computed."""
    if not references or i >= len(references[0]) or not hasattr(references[0][i], "shape"):
        return ""
    exact = _as_numpy(references[0][i])[0]
    if exact.shape != ours.shape:
        return ""
    with np.errstate(invalid="ignore"):
        mine, pytorchs = np.nanmax(np.abs(ours - exact), initial=0), np.nanmax(np.abs(theirs - exact), initial=0)
    return f"; from float64: tensorgraft's error {mine:.3g}, PyTorch's {pytorchs:.3g}"
