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
``autocast("cpu")``, :func:`check_numpy_spellings` NumPy's
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
import dataclasses
import functools
import inspect
import math
import sys
import types

import numpy as np

__all__ = ["op_database", "op_key", "tensorgraft_callable", "to_tensorgraft", "check_forward", "check_gradients",
           "check_second_gradients", "check_forward_ad", "check_vmap", "check_error_inputs", "check_reference_forward",
           "check_variants", "check_out", "check_numpy_spellings", "check_func_transforms", "check_autocast",
           "judge_verdict"]

# ops whose values depend on random draws (or on uninitialised memory): dtype and shape are compared
RANDOM_OPS = frozenset({
    "bernoulli", "normal", "uniform", "cauchy", "exponential", "geometric", "log_normal", "multinomial",
    "rand_like", "randn_like", "randint_like", "randint", "randn", "rand", "randperm", "poisson",
    "empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided", "empty_permuted",
    "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout",
    "nn.functional.feature_alpha_dropout", "nn.functional.rrelu", "nn.functional.gumbel_softmax",
    "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
    "nn.functional.scaled_dot_product_attention", "nn.functional.multi_head_attention_forward",
    "svd_lowrank", "pca_lowrank", "item",
})
_TOLERANCES = {"float16": (1e-2, 1e-3), "bfloat16": (2e-2, 1e-2), "float32": (1e-4, 1e-5),
               "complex64": (1e-4, 1e-5), "float64": (1e-6, 1e-7), "complex128": (1e-6, 1e-7)}


class Unconvertible(Exception):
    """A sample holds something with no tensorgraft counterpart (a generator, a sparse input)."""


def op_database():
    """PyTorch's ``op_db`` (importing it takes a few seconds)."""
    from torch.testing._internal.common_methods_invocations import op_db
    return op_db


def op_key(opinfo) -> str:
    """``name`` or ``name.variant``: unique within the database."""
    return opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")


def _resolve(root, path):
    for part in path.split("."):
        root = getattr(root, part)
    return root


def _rebound(fn):
    """A function of PyTorch's test code (a lambda wrapping an op) with ``torch`` meaning tensorgraft
    (and ``F``, ``nn`` tensorgraft's where they are PyTorch's ``nn.functional`` and ``nn``; the
    ``torch.autograd.Function`` subclasses of its module their tensorgraft twins: :func:`_twin`)."""
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is not None and fn.__code__ is _once_differentiable_code():  # once_differentiable(f)
        import tensorgraft.autograd.function
        return tensorgraft.autograd.function.once_differentiable(_rebound(wrapped))
    closure = fn.__closure__ and tuple(types.CellType(_converted_or_same(c.cell_contents)) for c in fn.__closure__)
    rebound = types.FunctionType(fn.__code__, _rebound_namespace(fn.__globals__), fn.__name__, fn.__defaults__,
                                 closure)
    rebound.__kwdefaults__ = fn.__kwdefaults__
    return rebound


def _once_differentiable_code():
    """The code of the wrapper PyTorch's ``once_differentiable`` puts around a backward (functools.wraps
    gives the wrapper the wrapped function's name and module: its code tells it apart)."""
    import torch.autograd.function
    return torch.autograd.function.once_differentiable(lambda ctx: None).__code__


# id(a module's globals) -> (those globals, the same names for tensorgraft): built once a module (the
# globals are kept so that the id stays theirs)
_NAMESPACES: dict = {}


def _rebound_namespace(names: dict) -> dict:
    """A module's globals with ``torch``, ``F`` and ``nn`` tensorgraft's and its autograd Functions
    twinned; built once per module (a twin's methods look names up here, themselves included)."""
    import tensorgraft
    import tensorgraft.nn.functional
    cached = _NAMESPACES.get(id(names))
    if cached is not None and cached[0] is names:
        return cached[1]
    rebound = dict(names)
    rebound.update(torch=tensorgraft, F=tensorgraft.nn.functional)
    if getattr(names.get("nn"), "__name__", None) == "torch.nn":
        rebound["nn"] = tensorgraft.nn
    _NAMESPACES[id(names)] = (names, rebound)
    for key, value in names.items():
        if _is_test_function_class(value):
            rebound[key] = _twin(value, rebound)
    return rebound


def _is_test_function_class(value) -> bool:
    """A ``torch.autograd.Function`` subclass defined in PyTorch's test code."""
    import torch
    return (isinstance(value, type) and issubclass(value, torch.autograd.Function)
            and value is not torch.autograd.Function and value.__module__.startswith("torch.testing"))


_TWINS: dict = {}  # PyTorch test class -> its tensorgraft twin


def _twin(cls, namespace=None):
    """PyTorch's test ``torch.autograd.Function`` subclass ``cls`` written again on
    ``tensorgraft.autograd.Function``: the same class attributes (``generate_vmap_rule``) and static
    methods (``forward``, ``setup_context``, ``backward``, ``jvp``, ``vmap``), rebound — what a user
    gets who runs that class's source with ``import tensorgraft as torch``."""
    import tensorgraft.autograd
    twin = _TWINS.get(cls)
    if twin is not None:
        return twin
    if namespace is None:
        namespace = _rebound_namespace(sys.modules[cls.__module__].__dict__)
    twin = _TWINS.get(cls)  # (building the namespace twins every class of the module)
    if twin is not None:
        return twin
    bases = tuple(_twin(b) if _is_test_function_class(b) else tensorgraft.autograd.Function for b in cls.__bases__)
    body = {}
    for key, value in vars(cls).items():
        if key in ("__dict__", "__weakref__"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = type(value)(_rebound(value.__func__))
        elif isinstance(value, types.FunctionType):
            value = _rebound(value)
        body[key] = value
    twin = _TWINS[cls] = type(tensorgraft.autograd.Function)(cls.__name__, bases, body)
    return twin


def tensorgraft_callable(opinfo):
    """The tensorgraft function the OpInfo's ``op`` names (by its path in ``torch``), a Tensor
    method for a method descriptor, or PyTorch's wrapper lambda rebound to tensorgraft."""
    import torch

    import tensorgraft
    op = opinfo.op
    ours = _test_code_counterpart(op)
    if ours is not None:
        return ours
    try:
        if _resolve(torch, opinfo.name) is op:
            return _resolve(tensorgraft, opinfo.name)
    except AttributeError:
        pass
    name = getattr(op, "__name__", opinfo.name.split(".")[-1])
    if getattr(tensorgraft.Tensor, name, None) is not None and getattr(torch.Tensor, name, None) is op:
        return lambda self, *args, **kwargs: getattr(self, name)(*args, **kwargs)
    return _resolve(tensorgraft, opinfo.name)  # AttributeError: tensorgraft lacks it


def _test_code_counterpart(fn):
    """tensorgraft's version of a callable PyTorch's test code defines (a lambda, a
    ``functools.partial`` of a PyTorch function, ``SomeFunction.apply`` of an autograd Function
    written there); None for anything else."""
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        return _rebound(fn)
    if isinstance(fn, types.MethodType) and _is_test_function_class(fn.__self__):  # SomeFunction.apply
        return getattr(_twin(fn.__self__), fn.__name__)
    if isinstance(fn, functools.partial):
        return functools.partial(_counterpart_function(fn.func), *to_tensorgraft(fn.args),
                                 **to_tensorgraft(fn.keywords))
    return _test_custom_op(fn)


def _test_custom_op(fn):
    """For ``torch.ops.<namespace>.<name>`` (or one overload of it) of an operator PyTorch's test
    code declares with ``torch.library.custom_op``: the same operator declared by that code run
    with tensorgraft (:func:`~tensorgraft.testing.as_tensorgraft.module_as_tensorgraft`); else None."""
    import torch
    if not isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return None
    qualname = fn._schema.name if isinstance(fn, torch._ops.OpOverload) else fn._qualified_op_name
    from torch._library.custom_ops import OPDEFS
    opdef = OPDEFS.get(qualname)
    if opdef is None or not opdef._init_fn.__module__.startswith("torch.testing"):
        return None
    import tensorgraft

    from .as_tensorgraft import module_as_tensorgraft
    module_as_tensorgraft(opdef._init_fn.__module__)
    namespace, name = qualname.split("::")
    return getattr(getattr(tensorgraft.ops, namespace), name)


def _converted_or_same(value):
    try:
        return to_tensorgraft(value)
    except Unconvertible:
        return value


def _counterpart(module: str, qualname: str):
    """tensorgraft's object at PyTorch's ``module.qualname`` (``torch.nn.functional.relu`` ->
    ``tensorgraft.nn.functional.relu``), or Unconvertible."""
    import importlib
    try:
        return _resolve(importlib.import_module("tensorgraft" + module[len("torch"):]), qualname)
    except (ImportError, AttributeError):
        raise Unconvertible(f"{module}.{qualname} has no tensorgraft counterpart") from None


def _counterpart_function(fn):
    """A function passed as an argument (a distance function, say): PyTorch's test lambdas are
    rebound to tensorgraft, PyTorch's own functions replaced by tensorgraft's of the same path."""
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("torch.testing") and isinstance(fn, types.FunctionType):
        return _rebound(fn)
    if module == "torch" or module.startswith("torch."):
        return _counterpart(module if module != "torch._C._nn" else "torch.nn.functional", fn.__qualname__)
    if isinstance(fn, types.FunctionType) and "torch" in fn.__globals__:  # a lambda of the caller's
        return _rebound(fn)
    return fn


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


def _describe(sample) -> str:
    shape = tuple(sample.input.shape) if hasattr(sample.input, "shape") else type(sample.input).__name__
    return f"input {shape}, args {str(sample.args)[:160]}, kwargs {str(sample.kwargs)[:160]}"


def _processed(sample, out, rebind):
    """The sample's ``output_process_fn_grad`` applied (what PyTorch's own tests compare: it makes
    outputs with free choices unique — the signs of singular vectors, say)."""
    fn = sample.output_process_fn_grad
    if rebind and isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        fn = _rebound(fn)
    return fn(out)


def _prepared(opinfo, dtype_name, requires_grad):
    """(tensorgraft function, samples) or a ("skipped", why) verdict."""
    import torch
    dtype = getattr(torch, dtype_name)
    if dtype not in opinfo.supported_dtypes("cpu"):
        return ("skipped", f"PyTorch's {opinfo.name} does not support {dtype_name} on the CPU")
    if requires_grad and not opinfo.supports_autograd:
        return ("skipped", f"{opinfo.name} is not differentiable")
    try:
        ours = tensorgraft_callable(opinfo)
    except AttributeError:
        return ("different", f"tensorgraft has no {opinfo.name}")
    return ours, list(opinfo.sample_inputs("cpu", dtype, requires_grad=requires_grad))


def _converted(sample):
    """The sample's ``(args, kwargs)`` for tensorgraft, or None where something has no counterpart."""
    try:
        return to_tensorgraft((sample.input, *sample.args)), to_tensorgraft(dict(sample.kwargs))
    except Unconvertible:
        return None


def _convertible(samples):
    """``(sample, args, kwargs)`` for each sample whose arguments convert (``_converted``)."""
    for sample in samples:
        converted = _converted(sample)
        if converted is not None:
            yield sample, *converted


def _raised(exc, sample):
    first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
    return ("different", f"{type(exc).__name__}: {first_line} ({_describe(sample)})")


def judge_verdict(verdict: str, detail: str, known) -> None:
    """A pytest test's outcome for a check's verdict: pass when "same", skip when "skipped", xfail
    when listed as a known difference (``known`` is its reason) — and fail when a listed one is now
    the same, so lists of known differences stay true."""
    import pytest
    if known is not None:
        assert verdict != "same", f"listed as different ({known}) but now the same: remove it from the list"
        pytest.xfail(known)
    if verdict == "skipped":
        pytest.skip(detail)
    assert verdict == "same", detail


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
        why = _compare(expected, actual, opinfo.name not in RANDOM_OPS)
        if why:
            return ("different", f"{why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample ran in PyTorch with convertible inputs")


def _projection(outputs, lib):
    """sum(output * fixed random weights) over the floating outputs: one scalar to differentiate."""
    rng = np.random.default_rng(1)
    total = None
    for out in outputs:
        real = out.real if out.is_complex() else out
        weights = rng.standard_normal(tuple(real.shape))
        term = (real * lib.from_numpy(weights).to(real.dtype)).sum()
        total = term if total is None else total + term
    return total


def _differentiable(outputs, lib):
    return [o for o in _leaves(outputs, []) if isinstance(o, lib.Tensor) and o.requires_grad
            and (o.is_floating_point() or o.is_complex())]


def _compare_derivatives(opinfo, dtype_name, derive, label):
    """The loop of :func:`check_gradients` and :func:`check_second_gradients`: for each sample with
    inputs that require grad, ``derive(lib, outputs, inputs)`` in both libraries (a list: one result
    per input, then any per output), compared; ``label(i, n_inputs)`` names result ``i``."""
    import torch

    import tensorgraft
    prepared = _prepared(opinfo, dtype_name, True)
    if isinstance(prepared[0], str):
        return prepared
    ours, samples = prepared
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        theirs_in = [t for t in _leaves((sample.input, *sample.args, *sample.kwargs.values()), [])
                     if isinstance(t, torch.Tensor) and t.requires_grad]
        ours_in = [t for t in _leaves((args, kwargs), []) if isinstance(t, tensorgraft.Tensor) and t.requires_grad]
        if not theirs_in or len(theirs_in) != len(ours_in):
            continue
        try:
            torch.manual_seed(0)
            outs = _differentiable(_processed(sample, opinfo.op(sample.input, *sample.args, **sample.kwargs), False),
                                   torch)
            if not outs:
                continue
            expected = derive(torch, outs, theirs_in)
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        compared += 1
        try:
            tensorgraft.manual_seed(0)
            mine = _differentiable(_processed(sample, ours(*args, **kwargs), True), tensorgraft)
            if len(mine) != len(outs):
                return ("different", f"{len(mine)} differentiable outputs, PyTorch {len(outs)} ({_describe(sample)})")
            actual = derive(tensorgraft, mine, ours_in)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        shapes = [*theirs_in, *(o.real if o.is_complex() else o for o in outs)]  # (a zero's shape and dtype)
        for i, (e, a) in enumerate(zip(expected, actual)):
            e = torch.zeros_like(shapes[i]) if e is None else e
            a = tensorgraft.zeros(tuple(shapes[i].shape), dtype=to_tensorgraft(e.dtype)) if a is None else a
            why = _compare(e, a, opinfo.name not in RANDOM_OPS)
            if why:
                return ("different", f"{label(i, len(theirs_in))}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample had a differentiable output in PyTorch")


def check_gradients(opinfo, dtype_name: str = "float64"):
    """The gradients, with respect to every input that requires grad, of a fixed random projection
    of ``opinfo``'s outputs, in both libraries: the verdict."""
    return _compare_derivatives(
        opinfo, dtype_name, lambda lib, outs, inputs: lib.autograd.grad(_projection(outs, lib), inputs,
                                                                         allow_unused=True),
        lambda i, n: f"gradient {i}")

def _weights(outputs, lib, seed):
    """Fixed random weights, one tensor per output (real for complex outputs), requiring grad."""
    rng = np.random.default_rng(seed)
    return [lib.from_numpy(rng.standard_normal(tuple(o.shape))).to(o.real.dtype if o.is_complex() else o.dtype)
            .requires_grad_(True) for o in outputs]


def _weighted_sum(tensors, weights):
    """sum over the tensors of (real part * weight) + (imaginary part * weight reversed): one real scalar."""
    total = None
    for t, w in zip(tensors, weights):
        term = (t.real * w).sum() + (t.imag * w.flip(tuple(range(w.dim())))).sum() if t.is_complex() else (t * w).sum()
        total = term if total is None else total + term
    return total


def _second_order(lib, outs, inputs):
    """Gradients of a projection of the first gradients — taken with ``create_graph`` — with respect
    to the inputs and to the first projection's weights (the double backward of every input and of
    the incoming gradient, what PyTorch's gradgradcheck covers)."""
    weights = _weights(outs, lib, 1)
    firsts = lib.autograd.grad(_weighted_sum(outs, weights), inputs, create_graph=True, allow_unused=True)
    firsts = [lib.zeros_like(x) if g is None else g for g, x in zip(firsts, inputs)]
    total = _weighted_sum(firsts, _weights([x.detach() for x in inputs], lib, 2))
    if not total.requires_grad:  # no first gradient has a history: every second gradient is zero
        return [None] * (len(inputs) + len(weights))
    return lib.autograd.grad(total, [*inputs, *weights], allow_unused=True)


def check_second_gradients(opinfo, dtype_name: str = "float64"):
    """The second-order gradients (see :func:`_second_order`) of ``opinfo``'s outputs in both
    libraries, for the operators PyTorch marks ``supports_gradgrad``: the verdict."""
    if not opinfo.supports_gradgrad:
        return ("skipped", f"PyTorch does not support second-order gradients of {opinfo.name}")

    def label(i, n):
        return "second gradient with respect to " + (f"input {i}" if i < n else
                                                       f"the incoming gradient of output {i - n}")
    return _compare_derivatives(opinfo, dtype_name, _second_order, label)

def _dualized(value, lib, tangents):
    """``value`` with each tensor that requires grad replaced by a dual tensor (forward AD) whose
    tangent is the next fixed random tensor of its shape; ``tangents`` collects them."""
    if isinstance(value, lib.Tensor) and value.requires_grad:
        rng = np.random.default_rng(3 + len(tangents))
        real = rng.standard_normal(tuple(value.shape))
        tangent = lib.from_numpy(real + 1j * rng.standard_normal(real.shape) if value.is_complex() else real)
        tangents.append(tangent.to(value.dtype))
        return lib.autograd.forward_ad.make_dual(value.detach(), tangents[-1])
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_dualized(v, lib, tangents) for v in value)
    if isinstance(value, dict):
        return {k: _dualized(v, lib, tangents) for k, v in value.items()}
    return value


def _output_tangents(lib, call, args, kwargs):
    """The tangents of ``call``'s floating outputs with every input that requires grad made dual:
    (tangents, 0 where an output has none) or None when no input requires grad."""
    import tensorgraft.autograd.forward_ad  # noqa: F401  (lib.autograd.forward_ad for tensorgraft)
    fwad = lib.autograd.forward_ad
    with fwad.dual_level():
        tangents = []
        args, kwargs = _dualized((args, kwargs), lib, tangents)
        if not tangents:
            return None
        outs = [o for o in _leaves(call(*args, **kwargs), []) if isinstance(o, lib.Tensor)
                and (o.is_floating_point() or o.is_complex())]
        found = []
        for o in outs:
            primal, tangent = fwad.unpack_dual(o)
            found.append(lib.zeros_like(primal) if tangent is None else tangent.clone())
        return found


def check_forward_ad(opinfo, dtype_name: str = "float64"):
    """Forward-mode AD (``autograd.forward_ad`` dual tensors): the tangents of ``opinfo``'s outputs for
    fixed random tangents of every input that requires grad, in both libraries, for the operators
    PyTorch marks ``supports_forward_ad`` (called through the OpInfo's ``gradcheck_wrapper``, as
    PyTorch's own gradient tests call them): the verdict."""
    import torch

    import tensorgraft
    if not opinfo.supports_forward_ad:
        return ("skipped", f"PyTorch does not support forward-mode AD of {opinfo.name}")
    prepared = _prepared(opinfo, dtype_name, True)
    if isinstance(prepared[0], str):
        return prepared
    _, samples = prepared
    # PyTorch's gradient tests call an op through its gradcheck_wrapper: a function of a Hermitian or
    # triangular matrix gets one (input + input.mH, A.triu()), since its forward formula assumes that
    # structure in the tangent too. (tensorgraft's function is looked up inside the dual level: the
    # first level turns __torch_function__ dispatch on, and a function object fetched before that is
    # the unwrapped one, which no mode — forward AD's included — sees.)
    wrapper = opinfo.gradcheck_wrapper
    if isinstance(wrapper, types.FunctionType) and wrapper.__module__.startswith("torch.testing"):
        wrapper = _rebound(wrapper)
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        try:
            torch.manual_seed(0)
            expected = _output_tangents(
                torch, lambda *a, **k: _processed(sample, opinfo.gradcheck_wrapper(opinfo.op, *a, **k), False),
                (sample.input, *sample.args), dict(sample.kwargs))
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        if not expected:
            continue
        compared += 1
        try:
            tensorgraft.manual_seed(0)
            actual = _output_tangents(
                tensorgraft, lambda *a, **k: _processed(sample, wrapper(tensorgraft_callable(opinfo), *a, **k), True),
                args, kwargs)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        why = _compare(expected, actual or [], opinfo.name not in RANDOM_OPS)
        if why:
            return ("different", f"tangent {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample had an input requiring grad in PyTorch")


_VMAP_SCALES = (1.0, 0.9, 0.8)  # the batch: each sample's floating tensors scaled (structure and domain kept)


def _vmap_in_dims(args):
    """The batchings tried for a sample's positional ``args``: every floating tensor batched along a
    new dim 0; each one alone (when there are several); every one along a new last dim."""
    import torch
    floating = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.layout == torch.strided
                and (a.is_floating_point() or a.is_complex())]
    if not floating:
        return []
    ways = [dict.fromkeys(floating, 0)]
    if len(floating) > 1:
        ways += [{i: 0} for i in floating]
    if all(args[i].dim() for i in floating):
        ways.append(dict.fromkeys(floating, -1))
    return [tuple(way.get(i) for i in range(len(args))) for way in ways]


def check_vmap(opinfo, dtype_name: str = "float64"):
    """``vmap`` over batches made of each sample — its floating positional tensors stacked three
    times, scaled by 1, 0.9 and 0.8, in the ways :func:`_vmap_in_dims` lists (keyword arguments
    unbatched) — through ``torch.vmap`` and ``tensorgraft.vmap``: the verdict. Operators that draw
    random numbers are skipped (vmap's randomness modes have tests of their own)."""
    import torch

    import tensorgraft
    if opinfo.name in RANDOM_OPS:
        return ("skipped", f"{opinfo.name} draws random numbers")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    _, samples = prepared
    compared = 0
    for sample in samples:
        args = (sample.input, *sample.args)
        for in_dims in _vmap_in_dims(args):
            batched = tuple(a if d is None else torch.stack([a * s for s in _VMAP_SCALES], d % (a.dim() + 1))
                            for a, d in zip(args, in_dims))
            try:
                ours_args, ours_kwargs = to_tensorgraft(batched), to_tensorgraft(dict(sample.kwargs))
            except Unconvertible:
                continue
            try:
                expected = _processed(sample, torch.vmap(lambda *a: opinfo.op(*a, **sample.kwargs), in_dims=in_dims)(
                    *batched), False)
            except Exception:  # noqa: BLE001 - a sample PyTorch's vmap refuses tells nothing
                continue
            compared += 1
            try:
                actual = _processed(sample, tensorgraft.vmap(
                    lambda *a: tensorgraft_callable(opinfo)(*a, **ours_kwargs), in_dims=in_dims)(*ours_args), True)
            except Exception as exc:  # noqa: BLE001 - the failure is the finding
                return ("different", f"in_dims {in_dims}: {_raised(exc, sample)[1]}")
            why = _compare(expected, actual, True)
            if why:
                return ("different", f"in_dims {in_dims}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample with a floating positional tensor ran in PyTorch")


def _floating_positions(args, lib):
    return [i for i, a in enumerate(args) if isinstance(a, lib.Tensor) and a.layout == lib.strided
            and (a.is_floating_point() or a.is_complex())]


def _of_floating_args(lib, op, sample, args, kwargs, positions):
    """``op`` as a function of the floating tensors of ``args`` (at ``positions``; the rest fixed)
    returning its floating outputs, after the sample's ``output_process_fn_grad``, as a tuple: what
    ``func`` transforms differentiate."""
    def f(*xs):
        full = list(args)
        for p, x in zip(positions, xs):
            full[p] = x
        outputs = _processed(sample, op(*full, **kwargs), lib is not sys.modules["torch"])
        return tuple(o for o in _leaves(outputs, []) if isinstance(o, lib.Tensor)
                     and (o.is_floating_point() or o.is_complex()))
    return f


def _transform_results(lib, f, primals, forward_ad):
    """``func.vjp`` (fixed cotangents), ``func.jacrev`` and, with ``forward_ad``, ``func.jvp`` (fixed
    tangents) and ``func.jacfwd`` of ``f`` at ``primals``: {transform: results}."""
    outs, vjp_fn = lib.func.vjp(f, *primals)
    argnums = tuple(range(len(primals)))
    found = {"vjp": vjp_fn(tuple(_weights(outs, lib, 3))), "jacrev": lib.func.jacrev(f, argnums=argnums)(*primals)}
    if forward_ad:
        tangents = tuple(w.detach() for w in _weights(primals, lib, 4))
        found["jvp"] = lib.func.jvp(f, primals, tangents)[1]
        found["jacfwd"] = lib.func.jacfwd(f, argnums=argnums)(*primals)
    return found


def check_func_transforms(opinfo, dtype_name: str = "float64", samples: int | None = None,
                          max_numel: int | None = None):
    """``func.vjp`` and ``func.jacrev`` — and, where PyTorch marks forward AD supported, ``func.jvp``
    and ``func.jacfwd`` — of ``opinfo`` as a function of each sample's floating positional tensors
    (its floating outputs differentiated; cotangents and tangents fixed random), through
    ``torch.func`` and ``tensorgraft.func``: the verdict. (jacrev is vmap over vjp, jacfwd vmap over
    jvp: an autograd Function's ``vmap`` rule meets its ``backward`` or ``jvp`` there.) A Jacobian
    has as many entries as the input and output sizes multiplied: ``max_numel`` keeps the samples
    whose positional tensors hold at most that many elements, ``samples`` the first that many."""
    import torch

    import tensorgraft
    import tensorgraft.func  # noqa: F401  (tensorgraft.func for the transforms)
    if opinfo.name in RANDOM_OPS:
        return ("skipped", f"{opinfo.name} draws random numbers")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, kept = prepared
    if max_numel is not None:
        kept = [s for s in kept if sum(t.numel() for t in (s.input, *s.args) if isinstance(t, torch.Tensor))
                <= max_numel]
    theirs = opinfo.op
    # through the OpInfo's gradcheck_wrapper (one taking the op first), as PyTorch's gradient tests
    # call it: a function of a Hermitian or triangular matrix differentiated in that structure
    wrapper = opinfo.gradcheck_wrapper
    if next(iter(inspect.signature(wrapper).parameters), None) == "op":
        ours_wrapper = _rebound(wrapper) if wrapper.__module__.startswith("torch.testing") else wrapper
        theirs, ours = functools.partial(wrapper, theirs), functools.partial(ours_wrapper, ours)
    compared = 0
    for sample, args, kwargs in _convertible(kept[:samples]):
        theirs_args = (sample.input, *sample.args)
        positions = _floating_positions(theirs_args, torch)
        if not positions:
            continue
        try:
            expected = _transform_results(
                torch, _of_floating_args(torch, theirs, sample, theirs_args, dict(sample.kwargs), positions),
                tuple(theirs_args[p].detach() for p in positions), opinfo.supports_forward_ad)
        except Exception:  # noqa: BLE001 - a sample PyTorch's transforms refuse tells nothing
            continue
        compared += 1
        try:
            actual = _transform_results(tensorgraft, _of_floating_args(tensorgraft, ours, sample, args, kwargs, positions),
                                        tuple(args[p].detach() for p in positions), opinfo.supports_forward_ad)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        for transform, result in expected.items():
            why = _compare(result, actual[transform], True)
            if why:
                return ("different", f"{transform}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample with a floating positional tensor ran through "
                                                    "PyTorch's transforms")


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
            why = _compare(expected, actual, opinfo.name not in RANDOM_OPS)
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
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        compared += 1
        mine_out = _empty_like_all(to_tensorgraft(result), tensorgraft)
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
                       opinfo.name not in RANDOM_OPS)
        if why:
            return ("different", f"out=: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample's out= ran in PyTorch")
