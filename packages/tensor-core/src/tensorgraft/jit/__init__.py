"""``torch.jit`` for programs ported from PyTorch: scripting and tracing run eagerly.

tensorgraft has no TorchScript compiler or interpreter. Every op already runs a compiled NumPy/CuPy
kernel, and the Python code of a model is what runs, so this package keeps the API and the checks
PyTorch makes, and nothing is compiled. Where each part lives:

* this file: the public names, the markers (``export``, ``ignore``, ``unused`` ...) and the state
  questions (``is_scripting``, ``is_tracing``);
* _modules.py: ``script``, ``freeze``, ``optimize_for_inference``, :class:`ScriptFunction` and the
  ``ScriptModule`` classes (built on first use from ``nn.Module``);
* _trace.py: ``trace``/``trace_module`` and the tracer's checks of inputs and outputs;
* _serialization.py: ``save``/``load`` in tensorgraft's own checkpoint format;
* _future.py: ``fork``, ``wait`` and ``Future``;
* _type_checks.py: ``jit.isinstance``;  _fusion.py: the fusion switches (accepted, no effect).

Importing this package needs only core (``is_scripting()`` guards appear in plain functions too);
what needs ``nn.Module`` imports tensorgraft-nn when it is first used.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import typing
import warnings

from ._fusion import (
    enable_onednn_fusion, fuser, onednn_fusion_enabled, optimized_execution, set_fusion_strategy, strict_fusion,
)
from ._future import Future, fork, wait
from ._modules import ScriptFunction, _classes, freeze, optimize_for_inference, script
from ._serialization import load, save
from ._trace import TracerWarning, TracingCheckError, trace, trace_module
from ._type_checks import jit_isinstance as isinstance  # PyTorch's name: torch.jit.isinstance

# (ScriptModule and its subclasses, built on first use from nn.Module, are left out of ``import *``)
__all__ = ["Attribute", "Error", "Final", "Future", "ScriptFunction", "TracerWarning", "TracingCheckError", "annotate",
           "enable_onednn_fusion", "export", "fork", "freeze", "fuser", "ignore", "interface", "is_scripting",
           "is_tracing", "isinstance", "load", "onednn_fusion_enabled", "optimize_for_inference",
           "optimized_execution", "save", "script", "script_if_tracing", "script_method", "set_fusion_strategy",
           "strict_fusion", "trace", "trace_module", "unused", "wait"]

# this package exports ``isinstance`` (torch.jit.isinstance), which shadows the builtin in this file
_isinstance = builtins.isinstance

Final = typing.Final


class Attribute(typing.NamedTuple):
    """``torch.jit.Attribute(value, type)``: in eager code, just the pair."""
    value: typing.Any
    type: typing.Any


class Error(Exception):
    """TorchScript's runtime error. Eager code never raises it; ``except jit.Error`` clauses keep working."""


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


# The public names defined in the private files are presented as ``tensorgraft.jit.X``: that is how they
# print, and what pickle and jit.save write for a reference to one, so stored references do not depend on
# which file holds the code (``jit.isinstance`` could not be found under its file's name at all).
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith(f"{__name__}."):
        _obj.__module__ = __name__
del _name, _obj

_LAZY_CLASSES = ("ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule")


def __getattr__(name):
    """``ScriptModule`` and its subclasses derive from ``nn.Module``: built on first use."""
    if name in _LAZY_CLASSES:
        return _classes()[name]
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_CLASSES))
