"""``torch.jit`` for programs ported from PyTorch: scripting and tracing run eagerly.

tensorgraft has no TorchScript compiler or interpreter. Every op already runs a compiled NumPy/CuPy
kernel, and the Python code of a model is what runs, so this module keeps the API and the checks
PyTorch makes, and nothing is compiled:

* ``script(fn)`` and ``trace(fn, example_inputs)`` return a :class:`ScriptFunction` that calls ``fn``.
* ``script(module)`` and ``trace(module, ...)`` return a copy of the module whose class derives from
  :class:`ScriptModule` (``RecursiveScriptModule``, ``TopLevelTracedModule``/``TracedModule``) and from
  the module's own class, so its ``forward`` is the Python one. Parameters and buffers are the
  original's objects (an optimizer step on one is seen by the other), as in PyTorch; other
  attributes are copied. ``isinstance(m, jit.ScriptModule)`` is True for these copies, for what
  ``jit.load`` returns and for user subclasses of ``ScriptModule``, and False for plain modules.
* ``trace`` runs the function once on the example inputs and checks inputs and outputs with the
  tracer's rules and messages. The result runs the Python code again on every call, so a branch that
  depends on the data is taken anew (PyTorch replays the path recorded on the example).
* ``freeze``/``optimize_for_inference`` return a copy whose parameters and buffers are detached
  clones held as plain attributes: no parameters, an empty ``state_dict``, outputs without grad.
* ``save`` writes a module as a tensorgraft checkpoint (safetensors + JSON, see serialization.py):
  each submodule's class by its import name, its parameters, buffers, training flag and plain
  attributes. ``load`` reads only such files: it imports the classes by name (they must be
  importable where the file is loaded) and never unpickles. A TorchScript archive written by
  PyTorch holds TorchScript code, which tensorgraft cannot run; ``load`` says so.

The ``ScriptModule`` classes derive from ``nn.Module`` and so are built on first use (this module
itself needs only core: ``is_scripting()`` guards appear in plain functions too).
"""
from __future__ import annotations

import builtins
import collections
import contextlib
import copy
import functools
import inspect
import os
import threading
import types
import typing
import warnings

from .tensor import Tensor

# (ScriptModule and its subclasses, built on first use from nn.Module, are left out of ``import *``)
__all__ = ["Attribute", "Error", "Final", "Future", "ScriptFunction", "TracerWarning", "TracingCheckError", "annotate",
           "enable_onednn_fusion", "export", "fork", "freeze", "fuser", "ignore", "interface", "is_scripting",
           "is_tracing", "isinstance", "load", "onednn_fusion_enabled", "optimize_for_inference",
           "optimized_execution", "save", "script", "script_if_tracing", "script_method", "set_fusion_strategy",
           "strict_fusion", "trace", "trace_module", "unused", "wait"]

# this module defines ``isinstance`` (torch.jit.isinstance), which shadows the builtin in its own code
_isinstance = builtins.isinstance

Final = typing.Final


class Attribute(typing.NamedTuple):
    """``torch.jit.Attribute(value, type)``: in eager code, just the pair."""
    value: typing.Any
    type: typing.Any


class Error(Exception):
    """TorchScript's runtime error. Eager code never raises it; ``except jit.Error`` clauses keep working."""


class TracerWarning(Warning):
    """What the tracer warns with (e.g. a list at the output of a traced function)."""


class TracingCheckError(Exception):
    """PyTorch's trace check failure. Nothing is re-checked here (there is no recorded graph to compare)."""


def _deprecated(name: str) -> None:
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to `torch.compile` or `torch.export`.",
                  DeprecationWarning, stacklevel=3)


def _warn_optimize(optimize) -> None:
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=3)


# =========================================================================== state questions and markers
def is_scripting() -> bool:
    """False: code never runs inside TorchScript here."""
    return False


def is_tracing() -> bool:
    """False: ``trace`` runs the Python code eagerly and records nothing."""
    return False


def annotate(the_type, the_value):
    return the_value


def export(fn):
    return fn


def unused(fn):
    return fn


def script_method(fn):
    """Marks a method of a ``ScriptModule`` subclass (PyTorch's older API); the method runs as written."""
    return fn


def ignore(drop=False, **kwargs):
    """``@ignore`` or ``@ignore(drop=...)``: the function is returned as it is (it always runs in Python)."""
    if callable(drop):
        return drop
    if not _isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    if kwargs.pop("drop_on_export", None):
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now.", FutureWarning, stacklevel=2)
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function call on "
                      "compilation. Use torch.jit.unused now.", FutureWarning, stacklevel=2)
    return lambda fn: fn


def interface(obj):
    if not inspect.isclass(obj):
        raise RuntimeError("interface must be applied to a class")
    return obj


def script_if_tracing(fn):
    """A wrapper that calls ``fn`` (nothing is ever traced, so nothing is ever scripted)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


_BARE_GENERICS = {list: ("list", 1), tuple: ("tuple", 1), dict: ("dict", 2), typing.List: ("List", 1),
                  typing.Tuple: ("Tuple", 1), typing.Dict: ("Dict", 2), typing.Optional: ("Optional", 1)}


def _matches(obj, tp) -> bool:
    if tp in _BARE_GENERICS:
        name, n = _BARE_GENERICS[tp]
        if n == 1:
            raise RuntimeError(f"Attempted to use {name} without a contained type. Please add a contained type, "
                               f"e.g. {name}[int]")
        raise RuntimeError(f"Attempted to use {name} without contained types. Please add contained type, e.g. "
                           f"{name}[int, int]")
    if tp is typing.Any:
        return True
    if tp is None or tp is type(None):
        return obj is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None:
        return _isinstance(obj, tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(obj, a) for a in args)
    if origin is list:
        return _isinstance(obj, list) and all(_matches(v, args[0]) for v in obj)
    if origin is dict:
        return _isinstance(obj, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        if not _isinstance(obj, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in obj)
        return len(obj) == len(args) and all(_matches(v, a) for v, a in zip(obj, args))
    return _isinstance(obj, origin)


def isinstance(obj, target_type) -> bool:  # noqa: A001 - PyTorch's name (torch.jit.isinstance)
    """Whether ``obj`` matches a type with its contained types (``List[int]``, ``Dict[str, Tensor]``,
    ``Optional[...]``, ``Tuple[...]``), checked element by element."""
    return _matches(obj, target_type)


# =========================================================================== fusion switches (accepted, no effect)
_onednn_fusion = False
_DEFAULT_FUSION_STRATEGY = [("STATIC", 2), ("DYNAMIC", 10)]
_fusion_strategy = list(_DEFAULT_FUSION_STRATEGY)
_FUSERS = ("fuser0", "fuser1", "fuser2", "fuser3", "none")


def enable_onednn_fusion(enabled: bool) -> None:
    """Remembered for ``onednn_fusion_enabled``; tensorgraft has no oneDNN to fuse with."""
    global _onednn_fusion
    _onednn_fusion = bool(enabled)


def onednn_fusion_enabled() -> bool:
    return _onednn_fusion


def set_fusion_strategy(strategy):
    """Checks and remembers the strategy; returns the previous one, as PyTorch does."""
    global _fusion_strategy
    for kind, _depth in strategy:
        if kind not in ("STATIC", "DYNAMIC"):
            raise ValueError(f"FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: {kind}")
    previous, _fusion_strategy = _fusion_strategy, list(strategy)
    return previous


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def fuser(name):
    if name not in _FUSERS:
        raise Exception(f"unrecognized fuser option (name: {name})")  # noqa: TRY002 - PyTorch raises Exception
    yield


class strict_fusion:  # noqa: N801 - PyTorch's name
    """Asserts fusion inside TorchScript; in eager code PyTorch warns that it has no effect, as here."""

    def __init__(self):
        warnings.warn("Only works in script mode", UserWarning, stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# =========================================================================== futures: fork and wait
class Future:
    """``torch.futures.Future``: a value that is (or will be) set once; ``fork`` returns one already done."""

    def __init__(self, *, devices=None):
        self._cond = threading.Condition()
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []

    def done(self) -> bool:
        return self._done

    def wait(self):
        with self._cond:
            self._cond.wait_for(lambda: self._done)
        return self.value()

    def value(self):
        if not self._done:
            raise RuntimeError("Future.value() was called before the future completed (use wait())")
        if self._error is not None:
            raise self._error
        return self._value

    def _complete(self, value, error) -> None:
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. Note that a Future can "
                                   "only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        for callback in callbacks:
            callback(self)

    def set_result(self, result) -> None:
        self._complete(result, None)

    def set_exception(self, result) -> None:
        if not _isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def add_done_callback(self, callback) -> None:
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def then(self, callback) -> "Future":
        """A future for ``callback(self)``, run once this one completes."""
        result = Future()

        def run(fut):
            try:
                value = callback(fut)
            except Exception as exc:  # PyTorch wraps what the callback raised
                error = RuntimeError(f"Got the following error when running the callback: {type(exc).__name__}: "
                                     f"{exc}")
                error.__cause__ = exc
                result.set_exception(error)
            else:
                result.set_result(value)
        self.add_done_callback(run)
        return result


def fork(func, *args, **kwargs) -> Future:
    """Runs ``func(*args, **kwargs)`` now (PyTorch's eager ``fork`` does too) and returns a done future;
    an exception propagates from ``fork`` itself."""
    future = Future()
    future.set_result(func(*args, **kwargs))
    return future


def wait(future):
    if not _isinstance(future, Future):
        raise TypeError(f"wait(): expected a torch.jit.Future, got {type(future).__name__}")
    return future.wait()


# =========================================================================== scripted and traced functions
class ScriptFunction:
    """What ``script(fn)`` and ``trace(fn, ...)`` return: calling it calls ``fn``."""

    def __init__(self, fn):
        self._fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.qualified_name = "__torch__." + getattr(fn, "__qualname__", self.name)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)


def _nn():
    try:
        import tensorgraft.nn as nn
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError("tensorgraft.jit's modules need tensorgraft-nn, which is not installed. Install it "
                                  "with: pip install tensorgraft-nn") from exc
    return nn


def _is_module(obj) -> bool:
    # without tensorgraft.nn imported, nothing can be a Module: no need to import it to find out
    import sys
    nn = sys.modules.get("tensorgraft.nn")
    return nn is not None and _isinstance(obj, nn.Module)


def _is_script_module(obj) -> bool:
    return _is_module(obj) and _isinstance(obj, _classes()["ScriptModule"])


# =========================================================================== the ScriptModule classes
_CLASSES: dict = {}
_DERIVED: dict = {}   # (user class, kind) -> the class a scripted/traced/frozen copy gets


def _classes() -> dict:
    if _CLASSES:
        return _CLASSES
    nn = _nn()

    class ScriptModule(nn.Module):
        """Base of scripted, traced and loaded modules (and of user classes written against PyTorch's
        older ``ScriptModule`` API); ``forward`` is the module class's own."""

        @property
        def original_name(self):
            return type(self).__name__

        def save(self, f, _extra_files=None):
            save(self, f, _extra_files)

    class RecursiveScriptModule(ScriptModule):
        """What ``script(module)`` and ``load`` return; printed as PyTorch prints it."""

        def extra_repr(self):
            return f"original_name={self.original_name}"

    class TracedModule(ScriptModule):
        """A submodule of a traced module, printed under its original class name."""

        def _get_name(self):
            return self.original_name

        def extra_repr(self):
            return f"original_name={self.original_name}"

    class TopLevelTracedModule(TracedModule):
        """What ``trace(module, ...)`` returns."""

    class _FrozenModule(RecursiveScriptModule):
        """What ``freeze`` returns: its weights are constants, so ``train()`` changes nothing."""

        def train(self, mode=True):
            return self

    for cls in (ScriptModule, RecursiveScriptModule, TracedModule, TopLevelTracedModule, _FrozenModule):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    _CLASSES.update(ScriptModule=ScriptModule, RecursiveScriptModule=RecursiveScriptModule,
                    TracedModule=TracedModule, TopLevelTracedModule=TopLevelTracedModule, frozen=_FrozenModule)
    return _CLASSES


_KIND_BASE = {"script": "RecursiveScriptModule", "traced": "TracedModule", "top_traced": "TopLevelTracedModule",
              "frozen": "frozen"}


def _derived_class(cls, kind):
    """The class of a converted copy of an instance of ``cls``: the kind's ScriptModule class first (its
    repr, ``save``), then ``cls`` (its ``forward`` and everything else)."""
    cls = getattr(cls, "_tg_original_class", cls)
    key = (cls, kind)
    derived = _DERIVED.get(key)
    if derived is None:
        base = _classes()[_KIND_BASE[kind]]
        name = "RecursiveScriptModule" if kind == "frozen" else base.__name__
        derived = type(name, (base, cls), {"__module__": __name__, "__qualname__": name,
                                           "original_name": cls.__name__, "_tg_original_class": cls,
                                           "_tg_kind": kind})
        _DERIVED[key] = derived
    return derived


def _convert(module, kind, child_kind, memo):
    """A copy of ``module`` (and of its submodules, as ``child_kind``) with the derived classes.
    Parameters, buffers and submodule objects already converted are shared; containers are copied so
    that later changes to one module's attributes do not reach the other."""
    if id(module) in memo:
        return memo[id(module)]
    if _is_script_module(module) and kind != "frozen":  # a scripted submodule stays what it is
        memo[id(module)] = module
        return module
    new = object.__new__(_derived_class(type(module), kind))
    memo[id(module)] = new
    state = {k: (copy.copy(v) if type(v) in (dict, collections.OrderedDict, list, set) else v)
             for k, v in module.__dict__.items()}
    state["_modules"] = {k: (None if c is None else _convert(c, child_kind, child_kind, memo))
                         for k, c in module.__dict__["_modules"].items()}
    if kind == "frozen":
        _make_constants(state, memo)
    new.__dict__.update(state)
    return new


def _make_constants(state, memo) -> None:
    """Parameters and buffers become detached clones held as plain attributes (tied weights stay tied)."""
    for store in ("_parameters", "_buffers"):
        for name, t in state[store].items():
            if t is not None and id(t) not in memo:
                memo[id(t)] = t.detach().clone()
            state[name] = None if t is None else memo[id(t)]
        state[store] = {}
    state["_non_persistent_buffers_set"] = set()
    state["training"] = False


# =========================================================================== script
def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script``: a module becomes a ``RecursiveScriptModule`` copy, a function a
    :class:`ScriptFunction`; classes, and what is already scripted, are returned as they are."""
    _deprecated("script")
    _warn_optimize(optimize)
    if _isinstance(obj, ScriptFunction) or _is_script_module(obj):
        return obj
    if _is_module(obj):
        return _convert(obj, "script", "script", {})
    if inspect.isclass(obj):
        if obj.__module__ == "builtins":
            raise TypeError(f"{obj!r} is a built-in class")
        if _is_module_class(obj):
            raise RuntimeError(f"Type '{obj!r}' cannot be compiled since it inherits from nn.Module, pass an "
                               "instance instead")
        return obj
    if type(obj) in (dict, list):  # PyTorch's ScriptDict/ScriptList hold copies of the values
        return type(obj)(obj)
    if inspect.isfunction(obj) and obj.__name__ == "<lambda>":
        code = obj.__code__
        raise RuntimeError(f"Expected a single top-level function: {code.co_filename}:{code.co_firstlineno}")
    if type(obj).__module__ == "builtins" and not (inspect.isfunction(obj) or inspect.ismethod(obj)):
        raise TypeError(f"{type(obj)!r} is a built-in class")
    if not callable(obj):
        raise TypeError(f"torch.jit.script expects a module, a function or a class, got {type(obj).__name__}")
    return ScriptFunction(obj)


def _is_module_class(cls) -> bool:
    import sys
    nn = sys.modules.get("tensorgraft.nn")
    return nn is not None and issubclass(cls, nn.Module)


# =========================================================================== trace
_INPUT_RULE = "Only Tensors and (possibly nested) Lists, Dicts, and Tuples of Tensors can be traced"


class _CannotInfer(Exception):
    pass


def _type_str(v) -> str:
    """The tracer's name for the type of an example input (``Tuple[Tensor, List[int]]``)."""
    if _isinstance(v, Tensor):
        return "Tensor"
    if v is None or type(v) in (bool, int, float, complex, str):
        return type(v).__name__
    if _isinstance(v, tuple):
        return f"Tuple[{', '.join(_type_str(x) for x in v)}]"
    if _isinstance(v, list):
        if not v:
            raise _CannotInfer("List trace inputs must have elements")
        kinds = [_type_str(x) for x in v]
        for k in kinds[1:]:
            if k != kinds[0]:
                raise _CannotInfer(f"List inputs to traced functions must have consistent element type. Found "
                                   f"{kinds[0]} and {k}")
        return f"List[{kinds[0]}]"
    if _isinstance(v, dict):
        if not v:
            raise _CannotInfer("Dictionary inputs must have entries")
        for part in (list(v), list(v.values())):
            kinds = [_type_str(x) for x in part]
            for k in kinds[1:]:
                if k != kinds[0]:
                    raise _CannotInfer(f"Dictionary inputs to traced functions must have consistent type. Found "
                                       f"{kinds[0]} and {k}")
        return f"Dict[{_type_str(next(iter(v)))}, {_type_str(next(iter(v.values())))}]"
    if _is_module(v):
        raise _CannotInfer("Cannot infer concrete type of torch.nn.Module")
    raise _CannotInfer("Only tensors and (possibly nested) tuples of tensors, lists, or dicts are supported as "
                       f"inputs or outputs of traced functions, but instead got value of type {type(v).__name__}.")


def _traceable(v) -> bool:
    if _isinstance(v, Tensor):
        return True
    if _isinstance(v, (tuple, list)):
        return all(_traceable(x) for x in v)
    if _isinstance(v, dict):
        return all(_isinstance(k, (str, Tensor)) for k in v) and all(_traceable(x) for x in v.values())
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
        if _isinstance(v, Tensor):
            return
        if _isinstance(v, list):
            if strict and not warned:
                warned.append(True)
                warnings.warn(f"Encountering a list at the output of the tracer {_CONTAINER_ADVICE}", TracerWarning,
                              stacklevel=4)
            for x in v:
                visit(x)
        elif _isinstance(v, tuple):
            for x in v:
                visit(x)
        elif _isinstance(v, dict):
            if strict:
                raise RuntimeError(f"Encountering a dict at the output of the tracer {_CONTAINER_ADVICE}")
            for k, x in v.items():
                value_ok = _isinstance(x, Tensor) or (_isinstance(x, tuple)
                                                      and all(_isinstance(y, Tensor) for y in x))
                if not (_isinstance(k, (str, Tensor)) and value_ok):
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
    if _isinstance(example_inputs, (Tensor, dict)):
        return (example_inputs,)
    return tuple(example_inputs)


def _run_example(fn, example, is_kwargs: bool, strict: bool) -> None:
    if is_kwargs:
        if not _isinstance(example, dict):
            raise TypeError(f"example_kwarg_inputs should be a dict, got {type(example).__name__}")
        args, kwargs = (), example
        _check_inputs(tuple(example.values()))
    else:
        args, kwargs = _example_args(example), {}
        _check_inputs(args)
    _check_output(fn(*args, **kwargs), strict)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """``torch.jit.trace``: runs ``func`` once on the example inputs (checked as the tracer checks them)
    and returns a :class:`ScriptFunction` for a function, a ``TopLevelTracedModule`` copy for a module.
    ``check_trace``/``check_inputs`` compare nothing: there is no recorded graph to compare with."""
    _deprecated("trace")
    _warn_optimize(optimize)
    if _isinstance(func, ScriptFunction) or _is_script_module(func):
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
    if not _isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        method = mod if method_name == "forward" else getattr(mod, method_name)  # forward through __call__: hooks run
        _run_example(method, example, is_kwargs, strict)
    return _convert(mod, "top_traced", "traced", {})


# =========================================================================== freeze
def _require_script_module(mod, what: str) -> None:
    if not _is_script_module(mod):
        raise RuntimeError(f"{what} expects a ScriptModule as input. Please use torch.jit.script or torch.jit.trace "
                           "to script your 'nn.Module'.")


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """A copy of ``mod`` whose weights are constants (detached clones); attributes and methods stay
    reachable from Python (PyTorch drops those not named in ``preserved_attrs``)."""
    _require_script_module(mod, "Freezing")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return _convert(mod, "frozen", "frozen", {})


def optimize_for_inference(mod, other_methods=None):
    """Puts ``mod`` in eval mode (as PyTorch does, in place) and freezes it, unless it is frozen already."""
    _require_script_module(mod, "optimize_for_inference")
    if getattr(type(mod), "_tg_kind", None) == "frozen":
        return mod
    mod.eval()
    return freeze(mod, other_methods)


# =========================================================================== save and load
_FORMAT_KEY = "tensorgraft.jit"
_FORMAT_VERSION = 1
_CORE_STORES = ("training", "_parameters", "_buffers", "_non_persistent_buffers_set", "_modules")
_LEAVES = (type(None), bool, int, float, complex, str, bytes)


def save(m, f, _extra_files=None) -> None:
    """Writes the scripted or traced module ``m`` to ``f`` (a path or a binary file object) as a
    tensorgraft checkpoint that :func:`load` reads back; ``_extra_files`` maps names to str/bytes."""
    if _isinstance(m, ScriptFunction):
        raise RuntimeError("tensorgraft.jit.save stores modules (their classes by import name, weights and "
                           "attributes); a scripted function is Python code, which tensorgraft does not save: import "
                           "the function where it is needed")
    if not _is_script_module(m):
        raise AttributeError(f"'{type(m).__name__}' object has no attribute 'save'")
    extra = {}
    for name, content in (_extra_files or {}).items():
        if not _isinstance(name, str) or not _isinstance(content, (str, bytes)):
            raise TypeError("save(): _extra_files must map str names to str or bytes contents, got "
                            f"{type(name).__name__} -> {type(content).__name__}")
        extra[name] = content.encode() if _isinstance(content, str) else bytes(content)
    from .serialization import save as save_checkpoint
    writer = _Writer()
    writer.module(m, "")
    save_checkpoint({_FORMAT_KEY: {"version": _FORMAT_VERSION, "modules": writer.records, "extra_files": extra}}, f)


# tensorgraft's ops are made by factories (their __module__ is where the factory lives): found by name here
_OP_NAMESPACES = ("tensorgraft", "tensorgraft.nn.functional", "tensorgraft.special", "tensorgraft.linalg",
                  "tensorgraft.fft")


def _import_name(obj):
    """A ``"module:qualname"`` that imports back to ``obj`` itself, or None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not _isinstance(module, str) or not _isinstance(qualname, str):
        return None
    candidates = [f"{module}:{qualname}"]
    if module.startswith("tensorgraft") and "." not in qualname:
        candidates += [f"{ns}:{qualname}" for ns in _OP_NAMESPACES]
    for name in candidates:
        if "<" in name:
            continue
        try:
            if _resolve(name) is obj:
                return name
        except (ImportError, AttributeError):
            pass
    return None


def _resolve(name: str):
    import importlib
    module, _, qualname = name.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _storable(v) -> bool:
    """What tensorgraft.save holds as it is (no modules, functions or other objects inside)."""
    import numpy as np

    from .device import device
    from .dtypes import dtype
    from .tensor import Size
    if type(v) in _LEAVES or type(v) is Size or _isinstance(v, (Tensor, dtype, device, np.ndarray, np.generic)):
        return True
    if type(v) in (list, tuple, set, frozenset):
        return all(_storable(x) for x in v)
    if type(v) in (dict, collections.OrderedDict):
        return all(_storable(k) and _storable(x) for k, x in v.items())
    return False


class _Writer:
    """One record per module object (shared submodules are written once and referenced by index)."""

    def __init__(self):
        self.records, self.index = [], {}
        self.internals = set(_nn().Module().__dict__)

    def module(self, mod, path: str) -> int:
        if id(mod) in self.index:
            return self.index[id(mod)]
        i = self.index[id(mod)] = len(self.records)
        self.records.append(None)
        cls = getattr(type(mod), "_tg_original_class", type(mod))
        class_name = _import_name(cls)
        where = path or "the module"
        if class_name is None:
            raise RuntimeError(f"tensorgraft.jit.save stores each module's class by its import name, and "
                               f"{cls.__module__}.{cls.__qualname__} ({where}) cannot be imported by that name: "
                               "define the class at the top level of a module")
        d = mod.__dict__
        for store in sorted(self.internals.difference(_CORE_STORES)):
            if d.get(store):
                raise RuntimeError(f"tensorgraft.jit.save cannot store the hooks registered on {where} ({store}): "
                                   "hooks are Python functions; remove them before saving")
        params = d["_parameters"]
        self.records[i] = {
            "class": class_name, "kind": getattr(type(mod), "_tg_kind", None), "training": bool(d["training"]),
            "parameters": dict(params), "buffers": dict(d["_buffers"]),
            "requires_grad": {k: p.requires_grad for k, p in params.items() if p is not None},
            "non_persistent": sorted(d["_non_persistent_buffers_set"]),
            "modules": {k: None if c is None else self.module(c, f"{path}.{k}" if path else k)
                        for k, c in d["_modules"].items()},
            "attributes": {k: self.value(v, f"{path}.{k}" if path else k) for k, v in d.items()
                           if k not in self.internals}}
        return i

    def value(self, v, path: str):
        if _storable(v):
            return ["=", v]
        kind = type(v).__name__
        if type(v) in (list, tuple, set, frozenset):
            return [kind, [self.value(x, f"{path}[{j}]") for j, x in enumerate(v)]]
        if type(v) in (dict, collections.OrderedDict):
            return [kind, [[self.value(k, path), self.value(x, f"{path}[{k!r}]")] for k, x in v.items()]]
        if _is_module(v):
            return ["module", self.module(v, path)]
        name = _import_name(v)
        if name is not None:
            return ["ref", name]
        raise RuntimeError(f"tensorgraft.jit.save cannot store attribute '{path}' of type {type(v).__module__}."
                           f"{type(v).__qualname__}: attributes may hold tensors, numbers, strings, dtypes, devices, "
                           "modules, containers of these, and classes or functions importable by name")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Reads a module written by :func:`save` (as a ``RecursiveScriptModule``); ``map_location`` as in
    ``tensorgraft.load``; the names in ``_extra_files`` that the file has get their bytes."""
    name = _file_name(f)
    if _isinstance(f, (str, bytes, os.PathLike)):
        if not os.path.exists(name):
            raise ValueError(f"The provided filename {name} does not exist")
        if os.path.isdir(name):
            raise ValueError(f"The provided filename {name} is a directory")
    _refuse_pytorch_archive(f, name)
    from .serialization import load as load_checkpoint
    data = load_checkpoint(f, map_location=map_location)
    doc = data.get(_FORMAT_KEY) if _isinstance(data, dict) else None
    if not _isinstance(doc, dict):
        raise RuntimeError(f"tensorgraft.jit.load: '{name}' was not written by tensorgraft.jit.save (it is a "
                           "checkpoint: read it with tensorgraft.load)")
    if doc.get("version") != _FORMAT_VERSION:
        raise RuntimeError(f"tensorgraft.jit.load: '{name}' has format version {doc.get('version')!r}; this "
                           f"tensorgraft reads version {_FORMAT_VERSION}")
    module = _build(doc["modules"], name)
    if _extra_files is not None:
        for key in _extra_files:
            if key in doc["extra_files"]:
                _extra_files[key] = doc["extra_files"][key]
    return module


def _file_name(f) -> str:
    if _isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    return str(getattr(f, "name", f"<{type(f).__name__}>"))


def _refuse_pytorch_archive(f, name: str) -> None:
    """A zip file is PyTorch's (a TorchScript archive or a torch.save checkpoint): say what cannot be done."""
    import zipfile
    stream = not _isinstance(f, (str, bytes, os.PathLike))
    if stream:
        if not (hasattr(f, "seekable") and f.seekable()):
            return
        pos = f.tell()
        is_zip = f.read(4) == b"PK\x03\x04"
        f.seek(pos)
    else:
        with open(name, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
    if not is_zip:
        return
    try:
        entries = zipfile.ZipFile(f if stream else name).namelist()
    except zipfile.BadZipFile:
        entries = []
    finally:
        if stream:
            f.seek(pos)
    script = any(e.endswith("constants.pkl") or "/code/" in e for e in entries)
    what = "a TorchScript archive written by PyTorch" if script else "a zip archive (e.g. a PyTorch torch.save file)"
    raise RuntimeError(f"tensorgraft.jit.load: '{name}' is {what}. tensorgraft runs no TorchScript and never "
                       "unpickles, so jit.load reads only files written by tensorgraft.jit.save. To bring the model "
                       "over, save its weights in PyTorch with safetensors.torch.save_file(model.state_dict(), path), "
                       "build the model from its Python class and call "
                       "model.load_state_dict(tensorgraft.load(path)).")


def _build(records, name: str):
    """The module tree of ``records``: every object is made first (records refer to each other by index),
    then filled. Classes are imported by name and must be nn.Module subclasses."""
    nn = _nn()
    objs = []
    for rec in records:
        try:
            cls = _resolve(rec["class"])
        except (ImportError, AttributeError) as exc:
            raise RuntimeError(f"tensorgraft.jit.load: '{name}' needs the class {rec['class']}, which cannot be "
                               f"imported here ({exc}); the classes of a saved module must be importable where it is "
                               "loaded") from None
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
            raise RuntimeError(f"tensorgraft.jit.load: '{name}' names {rec['class']} as a module class, and it is "
                               "not an nn.Module subclass")
        kind = rec["kind"]
        obj = object.__new__(cls if kind is None else _derived_class(cls, "frozen" if kind == "frozen" else "script"))
        nn.Module.__init__(obj)
        objs.append(obj)
    params = {}
    for obj, rec in zip(objs, records):
        d = obj.__dict__
        d["training"] = rec["training"]
        for k, t in rec["parameters"].items():
            if t is not None and id(t) not in params:  # tied weights: one Parameter
                params[id(t)] = nn.Parameter(t, requires_grad=rec["requires_grad"][k])
            d["_parameters"][k] = None if t is None else params[id(t)]
        d["_buffers"].update(rec["buffers"])
        d["_non_persistent_buffers_set"].update(rec["non_persistent"])
        d["_modules"].update({k: None if i is None else objs[i] for k, i in rec["modules"].items()})
        for k, v in rec["attributes"].items():
            d[k] = _decode_value(v, objs, params)
    return objs[0]


def _decode_value(v, objs, params):
    tag, body = v
    if tag == "=":  # a plain attribute that is one of the parameters stays that very Parameter
        return params.get(id(body), body) if _isinstance(body, Tensor) else body
    if tag == "module":
        return objs[body]
    if tag == "ref":
        return _resolve(body)
    if tag in ("dict", "OrderedDict"):
        pairs = [(_decode_value(k, objs, params), _decode_value(x, objs, params)) for k, x in body]
        return dict(pairs) if tag == "dict" else collections.OrderedDict(pairs)
    items = [_decode_value(x, objs, params) for x in body]
    return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)


def __getattr__(name):
    """``ScriptModule`` and its subclasses derive from ``nn.Module``: built on first use."""
    if name in ("ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule"):
        return _classes()[name]
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | {"ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule"})
