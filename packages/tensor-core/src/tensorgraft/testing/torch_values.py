"""PyTorch's values as tensorgraft's, and the comparison of results.

:func:`to_tensorgraft` converts a sample's value — tensors (values, ``requires_grad``, and with
``keep_aliasing`` the memory they share), dtypes, devices, sizes, layouts, memory formats, PyTorch's
functions and dataclasses — into tensorgraft's; :func:`_compare` says how a tensorgraft result
differs from PyTorch's (dtype, shape, values within the dtype's tolerance, NaN and inf where
PyTorch has them), or from another tensorgraft result. The OpInfo, ModuleInfo, OptimizerInfo and
``common_nn`` checks all convert and compare through here.
"""
from __future__ import annotations

import dataclasses
import math
import types

import numpy as np

from .as_tensorgraft import _counterpart, _counterpart_function

_TOLERANCES = {"float16": (1e-2, 1e-3), "bfloat16": (2e-2, 1e-2), "float32": (1e-4, 1e-5),
               "complex64": (1e-4, 1e-5), "float64": (1e-6, 1e-7), "complex128": (1e-6, 1e-7)}


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
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy(force=True), name, tuple(t.shape)
    import tensorgraft
    if t.layout is not tensorgraft.strided:
        t = t.to_dense()
    t = t.detach()
    name = str(t.dtype).split(".")[1]
    return (t.float() if t.dtype == tensorgraft.bfloat16 else t).numpy(), name, tuple(t.shape)


def _compare(expected, actual, values: bool):
    """None when the outputs agree (dtype, shape, values to the dtype's tolerance), else what differs."""
    import torch

    import tensorgraft
    theirs, ours = _leaves(expected, []), _leaves(actual, [])
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
                if not np.allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True):
                    worst = np.nanmax(np.abs(av.astype(np.complex128) - ev)) if ev.size else 0.0
                    return f"output {i}: values differ (largest difference {worst:.3g})"
            elif not np.array_equal(av, ev):
                return f"output {i}: values differ"
        elif isinstance(e, float) and isinstance(a, float):
            if not (math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-7) or (math.isnan(a) and math.isnan(e))):
                return f"output {i}: {a!r}, PyTorch {e!r}"
        elif isinstance(e, (bool, int, float, complex, str, type(None))) and e != a:
            return f"output {i}: {a!r}, PyTorch {e!r}"
    return None
