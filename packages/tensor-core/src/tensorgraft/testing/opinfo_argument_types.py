"""The most common argument mistake, checked over PyTorch's OpInfo database: a NumPy array passed
where a tensor goes (``torch.add(x, a)``, ``x.view_as(a)``, ``F.layer_norm(x, shape, weight=a)``).

For the first float32 sample of an operator, each tensor argument in turn (the input, each
positional tensor, each keyword tensor) is replaced by a NumPy array of its values, in the function
and, for the arguments after the input, in the Tensor method PyTorch's OpInfo names. PyTorch's
argument parser refuses the array with a TypeError; tensorgraft must refuse it the same way:

* where PyTorch names the argument (``linalg_det(): argument 'A' (position 1) must be Tensor, not
  numpy.ndarray``, ``expected Tensor as element 1 in argument 0, but got numpy.ndarray``),
  tensorgraft's exception has the same type and first line, word for word;
* where PyTorch's own Python code fails on the array before any check (``x.H`` of an array), the
  same failure counts too;
* where PyTorch lists its overloads instead (``add() received an invalid combination of arguments
  - got (Tensor, numpy.ndarray), ...``) or its Python code fails on the array (``'numpy.ndarray'
  object has no attribute 'dim'``), tensorgraft's is a TypeError that names ``numpy.ndarray``;
* a Tensor method may number the argument as its function does (``x.mm(a)``: "argument 'mat2'
  (position 2)", where PyTorch's method says position 1): tensorgraft's methods are its functions
  themselves, kept one call deep (the binary operators' methods do count as PyTorch's);
* never a crash inside tensorgraft (an AttributeError on ``_data``), a misleading message, or a
  result (a call PyTorch refuses that tensorgraft computes).

Calls PyTorch accepts (a few Python-level functions take arrays) are not compared.
"""
from __future__ import annotations

import re

from ._opinfo_runs import _describe, tensorgraft_callable
from .torch_values import Unconvertible, to_tensorgraft

# PyTorch's argument-parser words for a NumPy array in a tensor's place: these are matched exactly
_NAMED = re.compile(r"^(\S+\(\): argument '\w+' (\(position \d+\) )?must be .+, not numpy\.ndarray"
                    r"|expected Tensor as element \d+ in argument \d+, but got numpy\.ndarray)$")
_POSITION = re.compile(r"\(position (\d+)\)")


def _first_line(exc) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def _tensor_positions(sample, torch):
    """("input", None), ("arg", i) and ("kw", name) for each tensor argument of the sample."""
    found = [("input", None)] if isinstance(sample.input, torch.Tensor) else []
    found += [("arg", i) for i, a in enumerate(sample.args) if isinstance(a, torch.Tensor)]
    found += [("kw", k) for k, v in sample.kwargs.items() if isinstance(v, torch.Tensor)]
    return found


def _with_array(sample, kind, where):
    """(input, args, kwargs) of ``sample`` with the tensor at ``kind``/``where`` a NumPy array of its
    values; None where that tensor has no NumPy form (a sparse layout)."""
    inp, args, kwargs = sample.input, list(sample.args), dict(sample.kwargs)
    try:
        if kind == "input":
            inp = inp.detach().numpy().copy()
        elif kind == "arg":
            args[where] = args[where].detach().numpy().copy()
        else:
            kwargs[where] = kwargs[where].detach().numpy().copy()
    except (TypeError, RuntimeError):
        return None
    return inp, args, kwargs


def _for_tensorgraft(inp, args, kwargs, kind, where):
    """The call's arguments for tensorgraft: the tensors converted, the NumPy array kept as it is."""
    (ours_in, *ours_args), ours_kwargs = to_tensorgraft((inp, *args)), to_tensorgraft(kwargs)
    if kind == "input":
        ours_in = inp
    elif kind == "arg":
        ours_args[where] = args[where]
    else:
        ours_kwargs[where] = kwargs[where]
    return ours_in, ours_args, ours_kwargs


def _counted_with_self(message):
    """PyTorch's words for a method's argument numbered as in the function (``self`` counted)."""
    return _POSITION.sub(lambda m: f"(position {int(m.group(1)) + 1})", message, count=1)


def _judged(theirs_exc, ours_exc, label, method=False):
    """None when tensorgraft's exception is PyTorch's (see the module's rules), else what differs."""
    theirs, ours = _first_line(theirs_exc), _first_line(ours_exc) if ours_exc is not None else None
    if ours_exc is None:
        return f"{label}: nothing raised; PyTorch raises {type(theirs_exc).__name__}: {theirs[:160]}"
    if type(ours_exc) is type(theirs_exc) and (ours == theirs or method and ours == _counted_with_self(theirs)):
        return None
    if not _NAMED.match(theirs) and isinstance(ours_exc, TypeError) and "numpy.ndarray" in str(ours_exc):
        return None
    return f"{label}: {type(ours_exc).__name__}: {ours[:200]}; PyTorch raises {type(theirs_exc).__name__}: {theirs[:200]}"


def check_numpy_arguments(opinfo):
    """A NumPy array in each tensor argument's place of ``opinfo``'s first float32 sample (function and
    Tensor method): refused with PyTorch's TypeError, by the module's rules. The verdict."""
    import torch

    import tensorgraft  # noqa: F401  (the callables below are tensorgraft's)
    if torch.float32 not in opinfo.supported_dtypes("cpu"):
        return ("skipped", f"PyTorch's {opinfo.name} does not support float32 on the CPU")
    try:
        ours = tensorgraft_callable(opinfo)
    except AttributeError:
        return ("different", f"tensorgraft has no {opinfo.name}")
    method = getattr(opinfo.method_variant, "__name__", None)
    if method is not None and getattr(torch.Tensor, method, None) is not opinfo.method_variant:
        method = None
    compared = 0
    for sample in list(opinfo.sample_inputs("cpu", torch.float32))[:1]:
        for kind, where in _tensor_positions(sample, torch):
            call = _with_array(sample, kind, where)
            if call is None:
                continue
            inp, args, kwargs = call
            variants = [("function", opinfo.op, ours)]
            if method is not None and kind != "input":
                variants.append(("method", lambda x, *a, **k: getattr(x, method)(*a, **k),
                                 lambda x, *a, **k: getattr(x, method)(*a, **k)))
            for variant, theirs_fn, ours_fn in variants:
                try:
                    theirs_fn(inp, *args, **kwargs)
                    continue  # PyTorch takes the array here: nothing to compare
                except Exception as exc:  # noqa: BLE001 - the exception is what is compared
                    theirs_exc = exc
                try:
                    ours_args = _for_tensorgraft(inp, args, kwargs, kind, where)
                except Unconvertible:
                    continue
                compared += 1
                ours_exc = None
                try:
                    ours_fn(ours_args[0], *ours_args[1], **ours_args[2])
                except Exception as exc:  # noqa: BLE001 - the exception is what is compared
                    ours_exc = exc
                label = f"{variant}, NumPy array as {'the input' if kind == 'input' else f'{kind} {where}'}"
                why = _judged(theirs_exc, ours_exc, label, variant == "method")
                if why:
                    return ("different", f"{why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no tensor argument PyTorch refuses as a NumPy array")
