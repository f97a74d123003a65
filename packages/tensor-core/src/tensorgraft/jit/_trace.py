"""``torch.jit.trace`` and ``trace_module``, run eagerly, with the tracer's checks.

``trace`` runs the function once on the example inputs and checks inputs and outputs with the
tracer's rules and messages. It returns a :class:`ScriptFunction` for a function and a
``TopLevelTracedModule`` copy for a module (see _modules.py), and both run the Python code again on
every call, so a branch that depends on the data is taken anew (PyTorch replays the path recorded on
the example).
"""
from __future__ import annotations

import inspect
import warnings

from ..tensor import Tensor
from ._modules import ScriptFunction, _convert, _deprecated, _is_module, _is_script_module, _warn_optimize


class TracerWarning(Warning):
    """What the tracer warns with (e.g. a list at the output of a traced function)."""


class TracingCheckError(Exception):
    """PyTorch's trace check failure. Nothing is re-checked here (there is no recorded graph to compare)."""


# --------------------------------------------------------------------------- checks of inputs and outputs
_INPUT_RULE = "Only Tensors and (possibly nested) Lists, Dicts, and Tuples of Tensors can be traced"


class _CannotInfer(Exception):
    pass


def _common_kind(items, what: str) -> str:
    """The one type string of every element of ``items``; the tracer's error naming the first two
    that differ otherwise."""
    kinds = [_type_str(x) for x in items]
    for k in kinds[1:]:
        if k != kinds[0]:
            raise _CannotInfer(f"{what}. Found {kinds[0]} and {k}")
    return kinds[0]


def _type_str(v) -> str:
    """The tracer's name for the type of an example input (``Tuple[Tensor, List[int]]``)."""
    if isinstance(v, Tensor):
        return "Tensor"
    if v is None or type(v) in (bool, int, float, complex, str):
        return type(v).__name__
    if isinstance(v, tuple):
        return f"Tuple[{', '.join(_type_str(x) for x in v)}]"
    if isinstance(v, list):
        if not v:
            raise _CannotInfer("List trace inputs must have elements")
        return f"List[{_common_kind(v, 'List inputs to traced functions must have consistent element type')}]"
    if isinstance(v, dict):
        if not v:
            raise _CannotInfer("Dictionary inputs must have entries")
        what = "Dictionary inputs to traced functions must have consistent type"
        key = _common_kind(v, what)
        return f"Dict[{key}, {_common_kind(v.values(), what)}]"
    if _is_module(v):
        raise _CannotInfer("Cannot infer concrete type of torch.nn.Module")
    raise _CannotInfer("Only tensors and (possibly nested) tuples of tensors, lists, or dicts are supported as "
                       f"inputs or outputs of traced functions, but instead got value of type {type(v).__name__}.")


def _traceable(v) -> bool:
    if isinstance(v, Tensor):
        return True
    if isinstance(v, (tuple, list)):
        return all(_traceable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, (str, Tensor)) for k in v) and all(_traceable(x) for x in v.values())
    return False


def _check_inputs(args: tuple) -> None:
    try:
        described = _type_str(args)
    except _CannotInfer as exc:
        raise RuntimeError(f"Tracer cannot infer type of {args!r}\n:{exc}") from None
    if not _traceable(args):
        raise RuntimeError(f"Type '{described}' cannot be traced. {_INPUT_RULE}")


_CONTAINER_ADVICE = ("might cause the trace to be incorrect, this is only valid if the container structure does not "
                     "change based on the module's inputs. Consider using a constant container instead (e.g. for "
                     "`list`, use a `tuple` instead. for `dict`, use a `NamedTuple` instead). If you absolutely need "
                     "this and know the side effects, pass strict=False to trace() to allow this behavior.")


def _check_output(out, strict: bool) -> None:
    if out is None:
        raise RuntimeError("The traced function didn't return any values! Side-effects are not captured in traces, "
                           "so it would be a no-op.")
    warned = []

    def visit(v):
        if isinstance(v, Tensor):
            return
        if isinstance(v, list):
            if strict and not warned:
                warned.append(True)
                warnings.warn(f"Encountering a list at the output of the tracer {_CONTAINER_ADVICE}", TracerWarning,
                              stacklevel=4)
            for x in v:
                visit(x)
        elif isinstance(v, tuple):
            for x in v:
                visit(x)
        elif isinstance(v, dict):
            if strict:
                raise RuntimeError(f"Encountering a dict at the output of the tracer {_CONTAINER_ADVICE}")
            for k, x in v.items():
                value_ok = isinstance(x, Tensor) or (isinstance(x, tuple)
                                                      and all(isinstance(y, Tensor) for y in x))
                if not (isinstance(k, (str, Tensor)) and value_ok):
                    raise RuntimeError(f"output ({v!r}) of traced region cannot be understood by the tracer, only "
                                       "outputs matching dict[Union[str, Tensor], Union[Tensor, Tuple[Tensor, ...]]] "
                                       "can be a dictionary output of a traced function")
        else:
            raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors can be output from "
                               "traced functions")
    visit(out)


def _example_args(example_inputs) -> tuple:
    """Positional example inputs as the tracer takes them: a Tensor or a dict is one argument, any other
    value is iterated (so ``trace(f, 3)`` fails as PyTorch's does)."""
    if isinstance(example_inputs, (Tensor, dict)):
        return (example_inputs,)
    return tuple(example_inputs)


def _run_example(fn, example, is_kwargs: bool, strict: bool) -> None:
    if is_kwargs:
        if not isinstance(example, dict):
            raise TypeError(f"example_kwarg_inputs should be a dict, got {type(example).__name__}")
        args, kwargs = (), example
        _check_inputs(tuple(example.values()))
    else:
        args, kwargs = _example_args(example), {}
        _check_inputs(args)
    _check_output(fn(*args, **kwargs), strict)


# --------------------------------------------------------------------------- trace
def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """``torch.jit.trace``: runs ``func`` once on the example inputs (checked as the tracer checks them)
    and returns a :class:`ScriptFunction` for a function, a ``TopLevelTracedModule`` copy for a module.
    ``check_trace``/``check_inputs`` compare nothing: there is no recorded graph to compare with."""
    _deprecated("trace")
    _warn_optimize(optimize)
    if isinstance(func, ScriptFunction) or _is_script_module(func):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. Returning the object as "
                      "is.", UserWarning, stacklevel=2)
        return func
    if inspect.ismethod(func) and _is_module(func.__self__):  # m.forward traces m; other methods are refused
        if func.__name__ != "forward":
            raise AttributeError("trace doesn't support compiling individual module's functions.\nPlease use "
                                 "trace_module")
        func = func.__self__
    if _is_module(func):
        is_kwargs = example_kwarg_inputs is not None
        # PyTorch's module tracer reads a missing example_inputs as a request for keyword inputs
        if (example_kwarg_inputs if is_kwargs else example_inputs) is None or (
                is_kwargs and not isinstance(example_kwarg_inputs, dict)):
            raise RuntimeError("example_kwarg_inputs should be a dict")
        return _trace_module(func, {"forward": example_kwarg_inputs if is_kwargs else example_inputs}, strict,
                             is_kwargs)
    if not callable(func):
        raise RuntimeError("Could not get name of python class object")
    if example_kwarg_inputs is not None:
        _run_example(func, example_kwarg_inputs, True, strict)
    else:
        _run_example(func, example_inputs, False, strict)
    return ScriptFunction(func)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05, strict=True,
                 _force_outplace=False, _module_class=None, _compilation_unit=None, example_inputs_is_kwarg=False,
                 _store_inputs=True):
    """``torch.jit.trace_module``: runs each named method once on its example inputs."""
    _deprecated("trace_module")
    _warn_optimize(optimize)
    return _trace_module(mod, inputs, strict, example_inputs_is_kwarg)


def _trace_module(mod, inputs, strict, is_kwargs):
    if not _is_module(mod):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        method = mod if method_name == "forward" else getattr(mod, method_name)  # forward through __call__: hooks run
        _run_example(method, example, is_kwargs, strict)
    return _convert(mod, "top_traced", "traced", {})
