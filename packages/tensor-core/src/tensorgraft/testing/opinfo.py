"""Run PyTorch's OpInfo database on tensorgraft: the same sample inputs through both libraries.

PyTorch describes ~700 of its operators in ``torch.testing._internal.common_methods_invocations``
(``op_db``): for each, the dtypes it supports and a generator of sample inputs that walk its
corners (broadcasting, 0-d and empty tensors, every keyword). :func:`check_forward` runs an
OpInfo's samples in PyTorch and in tensorgraft (inputs converted value for value) and compares the
outputs' dtypes, shapes and values; :func:`check_gradients` does the same for the gradients of a
fixed random projection of the outputs, :func:`check_second_gradients` for second-order gradients,
:func:`check_forward_ad` for forward-mode tangents, :func:`check_vmap` for ``vmap`` over a batch
of each sample and :func:`check_func_transforms` for ``func.vjp``/``jvp``/``jacrev``/``jacfwd``; :func:`check_reference_forward` compares outputs over the larger reference inputs
(extremal values), :func:`check_variants` the Tensor method and in-place method of each operator,
:func:`check_out` results written through ``out=``, :func:`check_autocast` outputs inside
``autocast("cpu")``, :func:`check_numpy_arguments` the TypeError for a NumPy array in a tensor's place, :func:`check_numpy_spellings` NumPy's
``axis=``/``keepdims=`` for ``dim=``/``keepdim=``, and :func:`check_error_inputs` the exceptions of
PyTorch's error samples. The database is read from
the installed PyTorch at test time (it needs PyTorch's test dependency ``expecttest``); nothing of it is copied into tensorgraft.

    from tensorgraft.testing.opinfo import check_forward, op_database
    for opinfo in op_database():
        print(opinfo.name, check_forward(opinfo, "float32"))

A check returns ``("same", "")``, ``("different", what)`` — the first differing sample, named
— or ``("skipped", why)`` (the dtype is not supported, no sample converts, no differentiable
output). Operators that draw random numbers are compared by dtype and shape only.
"""
from __future__ import annotations

import copy
import functools

from ._opinfo_runs import (  # noqa: F401  (re-exported: moduleinfo, nn_test_dicts and the tests use them)
    RANDOM_OPS, _converted, _convertible, _describe, _exact_forward, _prepared, _processed, _raised, judge_verdict, op_database, op_key,
    tensorgraft_callable,
)
from .as_tensorgraft import _counterpart_function, _rebound, _test_code_counterpart  # noqa: F401
from .opinfo_argument_types import check_numpy_arguments  # noqa: F401
from .opinfo_derivatives import (  # noqa: F401
    _differentiable, _projection, _second_order, check_forward_ad, check_func_transforms, check_gradients,
    check_second_gradients, check_vmap,
)
from .torch_values import (  # noqa: F401
    _TOLERANCES, Unconvertible, _as_numpy, _compare, _leaves, to_tensorgraft,
)

__all__ = ["op_database", "op_key", "tensorgraft_callable", "to_tensorgraft", "check_forward", "check_gradients",
           "check_second_gradients", "check_forward_ad", "check_vmap", "check_error_inputs", "check_reference_forward",
           "check_variants", "check_out", "check_numpy_spellings", "check_func_transforms", "check_autocast",
           "check_numpy_arguments", "judge_verdict"]


def check_forward(opinfo, dtype_name: str):
    """Every sample of ``opinfo`` in ``dtype_name`` through both libraries: the verdict."""
    import torch

    import tensorgraft
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, samples = prepared
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        try:
            torch.manual_seed(0)
            expected = _processed(sample, opinfo.op(sample.input, *sample.args, **sample.kwargs), False)
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        compared += 1
        try:
            tensorgraft.manual_seed(0)
            actual = _processed(sample, ours(*args, **kwargs), True)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        why = _compare(expected, actual, opinfo.name not in RANDOM_OPS, _exact_forward(opinfo, sample, dtype_name))
        if why:
            return ("different", f"{why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample ran in PyTorch with convertible inputs")


def check_error_inputs(opinfo):
    """PyTorch's error samples of ``opinfo`` (``error_inputs``: bad shapes, dtypes, devices, an
    ``out=`` that overlaps the input) in tensorgraft: each that PyTorch rejects as its database says
    must raise PyTorch's exception type with a message matching PyTorch's pattern. Inputs keep
    their aliasing (``to_tensorgraft(..., keep_aliasing=True)``). The verdict."""
    import re
    if opinfo.error_inputs_func is None:
        return ("skipped", f"PyTorch lists no error inputs for {opinfo.name}")
    try:
        ours = tensorgraft_callable(opinfo)
    except AttributeError:
        return ("different", f"tensorgraft has no {opinfo.name}")
    compared = 0
    for error in opinfo.error_inputs("cpu"):
        sample = error.sample_input
        try:
            opinfo.op(sample.input, *sample.args, **sample.kwargs)
            continue  # PyTorch itself does not raise as its database says: nothing to compare with
        except Exception as exc:  # noqa: BLE001 - the exception is what is compared
            if not (isinstance(exc, error.error_type) and re.search(error.error_regex, str(exc))):
                continue
        try:
            args, kwargs = to_tensorgraft(((sample.input, *sample.args), dict(sample.kwargs)), keep_aliasing=True)
        except Unconvertible:
            continue
        compared += 1
        want = f"{error.error_type.__name__} matching {error.error_regex!r}"
        try:
            ours(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the exception is what is compared
            text = str(exc)
            if not isinstance(exc, error.error_type) or not re.search(error.error_regex, text):
                return ("different", f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}; "
                                     f"PyTorch raises {want} ({_describe(sample)})")
            continue
        return ("different", f"nothing raised; PyTorch raises {want} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no error sample converts")


def check_reference_forward(opinfo, dtype_name: str):
    """:func:`check_forward` over ``opinfo``'s reference inputs (``reference_inputs``: the samples
    and more — extremal values such as inf, NaN and huge magnitudes, type-promotion pairs, long
    inputs): the verdict. Skipped where the OpInfo has no reference inputs of its own."""
    if opinfo.reference_inputs_func is None:
        return ("skipped", f"PyTorch lists no reference inputs for {opinfo.name} beyond its samples")
    extended = copy.copy(opinfo)
    extended.sample_inputs = opinfo.reference_inputs  # (what _prepared draws from)
    return check_forward(extended, dtype_name)


def _variants(opinfo):
    """``(kind, Tensor method name or None, PyTorch's callable, tensorgraft's callable)`` for the
    method and in-place variants PyTorch's OpInfo names: a Tensor method by its name, or a callable
    of PyTorch's test code (``lambda x, **kw: F.elu(x, inplace=True, **kw)``, a ``partial``, an
    autograd Function's ``apply``) through its tensorgraft counterpart."""
    import torch
    found = []
    for kind, variant in (("method", opinfo.method_variant), ("in-place", opinfo.inplace_variant)):
        if variant is None:
            continue
        name = getattr(variant, "__name__", None)
        if name and not name.startswith("<") and getattr(torch.Tensor, name, None) is variant:
            found.append((kind, name, None, None))
            continue
        try:
            ours = _test_code_counterpart(variant)
        except Unconvertible:
            ours = None
        if ours is not None:
            found.append((kind, None, variant, ours))
    return found


def check_variants(opinfo, dtype_name: str):
    """The Tensor method and the in-place variant of ``opinfo`` (``x.add(y)``, ``x.add_(y)``, or
    the in-place call PyTorch's OpInfo writes: ``F.elu(x, inplace=True)``) over its samples in both
    libraries: the method's output, and the in-place variant's result (the input itself, written), or
    the same exception type where PyTorch refuses the in-place write (an int tensor cannot take a
    float result). The verdict."""
    import torch

    import tensorgraft
    variants = _variants(opinfo)
    if not variants:
        return ("skipped", f"PyTorch's OpInfo names no method or in-place variant of {opinfo.name}")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    _, samples = prepared
    compared = 0
    for sample in samples:
        if not isinstance(sample.input, torch.Tensor):
            continue
        for kind, name, theirs_fn, ours_fn in variants:
            label = f"{kind} {name or getattr(theirs_fn, '__qualname__', 'variant')}"
            theirs_in = sample.input.clone() if kind == "in-place" else sample.input
            converted = _converted(sample)
            if converted is None:
                continue
            (ours_in, *args), kwargs = converted
            theirs_call = getattr(theirs_in, name) if name else functools.partial(theirs_fn, theirs_in)
            try:
                torch.manual_seed(0)
                expected = theirs_call(*sample.args, **sample.kwargs)
                expected = _processed(sample, expected, False) if kind == "method" else expected
                refused = None
            except Exception as exc:  # noqa: BLE001 - compared below
                if kind == "method":
                    continue  # (a sample PyTorch's method refuses tells nothing here)
                expected, refused = None, exc
            if kind == "in-place" and refused is None and expected is not theirs_in:
                continue  # (PyTorch's variant returned a new tensor: nothing in-place to compare)
            compared += 1
            try:
                tensorgraft.manual_seed(0)
                actual = (getattr(ours_in, name) if name else functools.partial(ours_fn, ours_in))(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                if refused is not None and isinstance(exc, type(refused)):
                    continue
                return ("different", f"{label}: {_raised(exc, sample)[1]}")
            if refused is not None:
                return ("different", f"{label}: nothing raised; PyTorch raises {type(refused).__name__}: "
                                     f"{str(refused).splitlines()[0][:120] if str(refused) else ''} "
                                     f"({_describe(sample)})")
            if kind == "in-place" and actual is not ours_in:
                return ("different", f"{label} returned a new tensor, not its input ({_describe(sample)})")
            actual = _processed(sample, actual, True) if kind == "method" else actual
            why = _compare(expected, actual, opinfo.name not in RANDOM_OPS,
                           _exact_forward(opinfo, sample, dtype_name, processed=kind == "method"))
            if why:
                return ("different", f"{label}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample ran in PyTorch with convertible inputs")


_NUMPY_SPELLINGS = {"dim": "axis", "keepdim": "keepdims"}


def check_numpy_spellings(opinfo, dtype_name: str):
    """NumPy's spellings ``axis=``/``keepdims=`` for ``dim=``/``keepdim=``, which PyTorch's argument
    parser takes for every C++-bound function: each sample that passes ``dim``/``keepdim`` by
    keyword, passed with NumPy's names instead to the function and to its Tensor method, must give
    PyTorch's result where PyTorch takes them (its Python-defined functions, ``F.softmax`` say, do
    not; then neither is compared). The verdict."""
    import torch

    import tensorgraft
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, samples = prepared
    method = [name for kind, name, _, _ in _variants(opinfo) if kind == "method" and name]
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        if not _NUMPY_SPELLINGS.keys() & sample.kwargs.keys():
            continue
        theirs_kw = {_NUMPY_SPELLINGS.get(k, k): v for k, v in sample.kwargs.items()}
        ours_kw = {_NUMPY_SPELLINGS.get(k, k): v for k, v in kwargs.items()}
        calls = [("function", opinfo.op, ours)]
        if method and isinstance(sample.input, torch.Tensor):
            calls.append(("method", getattr(torch.Tensor, method[0]), getattr(tensorgraft.Tensor, method[0])))
        for label, theirs_fn, ours_fn in calls:
            try:
                torch.manual_seed(0)
                expected = _processed(sample, theirs_fn(sample.input, *sample.args, **theirs_kw), False)
            except Exception:  # noqa: BLE001 - PyTorch does not take NumPy's names here (or the sample)
                continue
            compared += 1
            try:
                tensorgraft.manual_seed(0)
                actual = _processed(sample, ours_fn(*args, **ours_kw), True)
            except Exception as exc:  # noqa: BLE001 - the failure is the finding
                return ("different", f"{label} with {sorted(ours_kw)}: {_raised(exc, sample)[1]}")
            why = _compare(expected, actual, opinfo.name not in RANDOM_OPS)
            if why:
                return ("different", f"{label} with {sorted(ours_kw)}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample passes dim or keepdim by keyword where PyTorch takes "
                                                    "NumPy's names for them")


def check_autocast(opinfo, dtype_name: str, samples: int = 8):
    """``opinfo``'s first ``samples`` samples in ``dtype_name`` inside ``autocast("cpu")`` (its
    default bfloat16) in both libraries: the outputs' dtypes must be PyTorch's — the lower-precision
    list casts float32 operands down, the float32 list casts bfloat16 ones up, other ops keep their
    promotion — and their values PyTorch's within the output dtype's tolerance. The verdict."""
    import itertools

    import torch

    import tensorgraft
    if opinfo.name in RANDOM_OPS:
        return ("skipped", f"{opinfo.name} draws random numbers")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, all_samples = prepared
    compared = 0
    for sample, args, kwargs in _convertible(itertools.islice(all_samples, samples)):
        try:
            with torch.amp.autocast("cpu"):
                expected = _processed(sample, opinfo.op(sample.input, *sample.args, **sample.kwargs), False)
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        compared += 1
        try:
            with tensorgraft.amp.autocast("cpu"):
                actual = _processed(sample, ours(*args, **kwargs), True)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        why = _compare(expected, actual, True)
        if why:
            return ("different", f"under autocast: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample ran in PyTorch with convertible inputs")


def _empty_like_all(value, lib):
    """Fresh tensors shaped as ``value``'s (a tensor or a tuple of them), for ``out=``."""
    if isinstance(value, (list, tuple)):
        return tuple(_empty_like_all(v, lib) for v in value)
    return lib.empty(tuple(value.shape), dtype=value.dtype) if isinstance(value, lib.Tensor) else None


def check_out(opinfo, dtype_name: str):
    """``out=`` of ``opinfo`` where PyTorch supports it: each sample's result written into fresh
    tensors of PyTorch's result shapes and dtypes must be PyTorch's, and the call must return them
    (the same objects). The verdict."""
    import torch

    import tensorgraft
    if not opinfo.supports_out:
        return ("skipped", f"PyTorch's {opinfo.name} takes no out=")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, samples = prepared
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        try:
            torch.manual_seed(0)
            result = opinfo.op(sample.input, *sample.args, **sample.kwargs)
            if not all(isinstance(r, torch.Tensor) for r in _leaves(result, [])):
                continue
            torch.manual_seed(0)  # (PyTorch takes out= for this sample; its result without out= is compared:
            returned = opinfo.op(sample.input, *sample.args, **sample.kwargs,  # a few of its out= paths leave
                                 out=_empty_like_all(result, torch))  # a conjugate result unwritten: fft.ihfft2's)
            result_here = to_tensorgraft(result)
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses (or whose result has no counterpart
            continue  # here: complex32) tells nothing
        compared += 1
        mine_out = _empty_like_all(result_here, tensorgraft)
        try:
            tensorgraft.manual_seed(0)
            mine = ours(*args, **kwargs, out=mine_out)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return ("different", f"out=: {_raised(exc, sample)[1]}")
        if returned is None:  # (the *_copy ops with a list of out tensors return nothing)
            if mine is not None:
                return ("different", f"out=: returned {type(mine).__name__}, PyTorch None ({_describe(sample)})")
        elif isinstance(mine_out, tuple):
            if not isinstance(mine, tuple) or any(m is not o for m, o in zip(mine, mine_out)):
                return ("different", f"out=: the out tensors are not what it returned ({_describe(sample)})")
        elif mine is not mine_out:
            return ("different", f"out=: the out tensor is not what it returned ({_describe(sample)})")
        why = _compare(_processed(sample, result, False), _processed(sample, mine_out, True),
                       opinfo.name not in RANDOM_OPS, _exact_forward(opinfo, sample, dtype_name))
        if why:
            return ("different", f"out=: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample's out= ran in PyTorch")
