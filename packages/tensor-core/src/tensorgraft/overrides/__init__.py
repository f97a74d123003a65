"""``tensorgraft.overrides`` (PyTorch's ``torch.overrides``): the ``__torch_function__`` protocol.

A Tensor subclass, or any object whose type defines ``__torch_function__``, takes over the
tensorgraft functions, Tensor methods, operators and properties it is passed to; a
``TorchFunctionMode`` takes over every call made while it is entered. ``Tensor.__torch_function__``
(the default a subclass inherits) runs the function as on plain tensors and returns the subclass.

How it is built: ``_dispatch.py`` finds the overriding arguments and calls their handlers;
``_binding.py`` wraps the public functions the first time dispatch can matter (see there why not
always); the switches (``DisableTorchFunctionSubclass`` & co.) live in ``tensorgraft._C``.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import warnings

from .. import _C
from .._C import state as _state
from ..tensor import Tensor
from . import _binding, _dispatch
from ._dispatch import handle_torch_function

__all__ = ["TorchFunctionMode", "enable_reentrant_dispatch", "get_ignored_functions", "get_overridable_functions",
           "get_testing_overrides", "handle_torch_function", "has_torch_function", "has_torch_function_unary",
           "has_torch_function_variadic", "is_tensor_like", "is_tensor_method_or_property", "redispatch_function",
           "resolve_name", "wrap_torch_function"]


def has_torch_function(relevant_args) -> bool:
    """True when ``handle_torch_function`` would call someone: a mode is entered, or one of
    ``relevant_args`` has a type other than Tensor (and ``nn.Parameter``) with ``__torch_function__``."""
    if _C.special[0] and _dispatch.skip_one_hop():  # (a redispatched function's own check)
        return False
    if _state.all_disabled:
        return False
    if _state.modes:
        return True
    return not _state.subclasses_disabled and bool(_dispatch.overloaded_args(relevant_args))


def has_torch_function_unary(arg) -> bool:
    """``has_torch_function((arg,))``."""
    return has_torch_function((arg,))


def has_torch_function_variadic(*args) -> bool:
    """``has_torch_function(args)``."""
    return has_torch_function(args)


def is_tensor_like(inp) -> bool:
    """True for a Tensor (or subclass) and for any object whose type has ``__torch_function__``."""
    return type(inp) is Tensor or hasattr(type(inp), "__torch_function__")


def get_overridable_functions() -> dict:
    """The functions that dispatch, by namespace: ``{tensorgraft: [...], tensorgraft.Tensor: [...],
    tensorgraft.linalg: [...], ...}`` (plugin ops under their ``tensorgraft.ops.<namespace>`` module). Asking turns dispatch on for the process (the functions listed
    are the dispatching ones)."""
    _binding.activate()
    namespaces = {"torch": "tensorgraft", "linalg": "tensorgraft.linalg", "fft": "tensorgraft.fft",
                  "special": "tensorgraft.special", "nn.functional": "tensorgraft.nn.functional"}
    out = {}
    for label, functions in list(_binding.overridable.items()):
        key = Tensor if label == "Tensor" else sys.modules.get(namespaces.get(label, f"tensorgraft.{label}"))
        if key is not None:
            out[key] = list(functions)
    return out


_PUBLIC_NAMESPACES = {"torch": "torch", "Tensor": "torch.Tensor", "linalg": "torch.linalg", "fft": "torch.fft",
                      "special": "torch.special", "nn.functional": "torch.nn.functional"}


def resolve_name(f):
    """PyTorch's spelling of a function that dispatches (``"torch.add"``, ``"torch.Tensor.add"``,
    ``"torch.Tensor.shape.__get__"``, ``"torch.nn.functional.relu"``); None for anything else."""
    _binding.activate()
    f = _binding._wrapper_of.get(id(f), f)  # (a function taken before dispatch turned on: its wrapper)
    owner = getattr(f, "__self__", None)
    if isinstance(owner, property) and id(owner) in _dispatch.property_names:
        return f"{_dispatch.property_names[id(owner)]}.{f.__name__}"
    for label, functions in list(_binding.overridable.items()):
        if any(g is f for g in functions):
            return f"{_PUBLIC_NAMESPACES.get(label, 'torch.' + label)}.{f.__name__}"
    if getattr(f, "__torch_function_wrapped__", None) is not None and getattr(f, "__qualname__", "").startswith("Tensor."):
        return f"torch.{f.__qualname__}"  # an operator (``Tensor.__add__``)
    return None


def get_testing_overrides() -> dict:
    """A dummy for every function that dispatches (the keys of ``get_overridable_functions()``'s
    lists): a function with the same signature that returns -1, as PyTorch's lambdas. Authors of
    ``__torch_function__`` types start their tables from it and check their coverage against it."""
    return {f: _dummy_like(f) for functions in get_overridable_functions().values() for f in functions}


def _dummy_like(func):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # (a builtin without text signature: any arguments)
        sig = None

    def dummy(*args, **kwargs):
        if sig is not None:
            sig.bind(*args, **kwargs)  # arguments the real signature refuses fail here too (TypeError)
        return -1
    dummy.__signature__ = sig
    dummy.__name__ = "<lambda>"
    dummy.__qualname__ = "get_testing_overrides.<locals>.<lambda>"
    return dummy


def redispatch_function(func, types, args, kwargs):
    """Skip one level of ``__torch_function__`` dispatch and call ``func(*args, **kwargs)``: the first
    dispatch check made while it runs (``func``'s own: a tensorgraft function's, or the
    ``has_torch_function`` of a function of yours) finds no override, later ones dispatch as usual.
    A subclass's ``__torch_function__`` gets plain tensors back from it (calls on them are no longer
    intercepted); a mode that wants the inner calls re-enters itself (``with self:``) around it."""
    return _dispatch.redispatch(func, args, kwargs)


@contextlib.contextmanager
def enable_reentrant_dispatch():
    """PyTorch restores, inside a ``__torch_dispatch__`` handler, the dispatch state of the call that
    reached it. tensorgraft has no ``__torch_dispatch__`` level (its ops are Python functions, and
    ``__torch_function__`` is the only interception), so every use is outside such a handler, where
    PyTorch raises this same error."""
    raise RuntimeError("Accessing torch dispatch state outside of '__torch_dispatch__' is not allowed.")
    yield  # (unreachable: makes this a generator for contextmanager)


def get_ignored_functions() -> set:
    """The public functions that never dispatch (``tensorgraft.manual_seed``, ``Tensor.new_zeros``,
    ...): they take no tensor or only set process state."""
    _binding.activate()
    return set(_binding.ignored)


def is_tensor_method_or_property(func) -> bool:
    """True for ``Tensor.add``, ``Tensor.shape.__get__`` and the like (such functions receive the
    tensor as their first argument)."""
    _binding.activate()
    return func in _binding.overridable.get("Tensor", ()) or getattr(func, "__name__", None) in ("__get__", "__set__")


def wrap_torch_function(dispatcher):
    """Decorator for a function of your own: ``dispatcher(*args, **kwargs)`` returns the arguments
    that may override it, and the function then dispatches as tensorgraft's do."""
    def inner(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            relevant_args = dispatcher(*args, **kwargs)
            if has_torch_function(relevant_args):
                return handle_torch_function(wrapped, relevant_args, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return inner


class TorchFunctionMode:
    """Subclass it and define ``__torch_function__(self, func, types, args=(), kwargs=None)``; while
    ``with YourMode():`` is in force, every tensorgraft function, method and property access calls
    it instead (inside, the mode is off: calling ``func(*args, **kwargs)`` runs the function)."""

    def __init__(self):
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _push_mode(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _pop_mode()

    @classmethod
    def push(cls, *args, **kwargs):
        warnings.warn("`Mode.push()` is no longer necessary and can be replaced with just `with Mode()`",
                      stacklevel=2)
        return cls(*args, **kwargs)


def _push_mode(mode) -> None:
    _binding.activate()
    _state.modes.append(mode)
    _C._count_special(1)


def _pop_mode():
    if not _state.modes:
        raise RuntimeError("Trying to pop from an empty mode stack")
    mode = _state.modes.pop()
    _C._count_special(-1)
    return mode


def _push_outermost_mode(mode) -> None:
    """Put ``mode`` under every entered mode: modes a program enters, before or after, see each call
    first, and their own calls then reach ``mode`` (``autograd.forward_ad`` propagates tangents so:
    in PyTorch that is an autograd key below Python modes)."""
    _binding.activate()
    _state.modes.insert(0, mode)
    _C._count_special(1)


def _remove_mode(mode) -> None:
    """Take ``mode`` off the stack wherever it is (a no-op when it is not there)."""
    for i, m in enumerate(_state.modes):
        if m is mode:
            del _state.modes[i]
            _C._count_special(-1)
            return


def _get_current_function_mode():
    """The innermost entered mode, or None (tensorgraft's own internal modes are not listed)."""
    for m in reversed(_state.modes):
        if not getattr(m, "_internal", False):
            return m
    return None


def _get_current_function_mode_stack() -> list:
    return [m for m in _state.modes if not getattr(m, "_internal", False)]


# PyTorch's private names that libraries reach for
_disabled_torch_function_impl = _C._disabled_torch_function_impl
_is_torch_function_mode_enabled = _C._is_torch_function_mode_enabled


def _get_overloaded_args(relevant_args, get_type_fn=None) -> list:
    """The arguments ``handle_torch_function`` would try, in order (plain tensors included)."""
    return _dispatch.overloaded_args(relevant_args, include_plain_tensors=True)
