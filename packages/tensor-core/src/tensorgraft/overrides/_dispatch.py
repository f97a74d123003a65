"""Finding the arguments that override a call, and calling their ``__torch_function__``.

Two flavours, as in PyTorch: the functions tensorgraft wraps (``tensorgraft.add``, ``Tensor.add``,
``linalg``, ``fft``, ``special``: PyTorch's native functions) never list a plain Tensor among the
overriding arguments and fail with "Multiple dispatch failed ..."; ``handle_torch_function`` (which
``nn.functional`` and user code call, as PyTorch's Python functions do) lists plain Tensors too, so
``Tensor.__torch_function__`` runs for them, and fails with "no implementation found ...".
"""
from __future__ import annotations

import threading
import warnings

from .._C import DisableTorchFunctionSubclass, _count_special, _disabled_torch_function_impl, state
from ..tensor import Size, Tensor

# argument types that can never carry ``__torch_function__``: skipped without a getattr
_PLAIN_TYPES = frozenset({int, float, bool, complex, str, bytes, type(None), slice, type(Ellipsis), Size})


# type -> 0: never overrides (Tensor, numbers, nn.Parameter ...), 1: has a ``__torch_function__`` in
# force, 2: a list or tuple (its items are looked at). Filled as types are met: classes do not change
# their ``__torch_function__`` after they are made. The dispatch wrappers read it on every call.
kind_of_type: dict = {t: 0 for t in _PLAIN_TYPES}
kind_of_type.update({Tensor: 0, list: 2, tuple: 2})


def type_kind(t) -> int:
    kind = kind_of_type.get(t)
    if kind is None:
        tf = getattr(t, "__torch_function__", None)
        # PyTorch's own tensors define __torch_function__ for torch's functions: handed to
        # tensorgraft (``tensorgraft.tensor(torch_tensor)``) they are data to convert, not dispatchers
        overrides = tf is not None and tf is not _disabled_torch_function_impl and not any(
            c.__name__ == "Tensor" and c.__module__ == "torch" for c in getattr(t, "__mro__", ()))
        kind = kind_of_type[t] = 1 if overrides else 0
    return kind


def overloaded_args(values, *, include_plain_tensors: bool = False) -> list:
    """The arguments whose type overrides ``__torch_function__``, one per type, in the order PyTorch
    tries them: left to right, except that a subclass goes before its base. Lists and tuples are
    looked into one level (``torch.cat([a, b])``)."""
    found = []
    for v in values:
        t = type(v)
        if t is list or t is tuple:
            for item in v:
                _consider(item, found, include_plain_tensors)
        elif t not in _PLAIN_TYPES:
            _consider(v, found, include_plain_tensors)
    return found


def _consider(arg, found: list, include_plain_tensors: bool) -> None:
    t = type(arg)
    if t in _PLAIN_TYPES:
        return
    if t is Tensor:
        if not include_plain_tensors:
            return
    elif type_kind(t) != 1:
        return
    index = len(found)
    for i, earlier in enumerate(found):
        et = type(earlier)
        if et is t:
            return
        if index == len(found) and issubclass(t, et):
            index = i
    found.insert(index, arg)


class _OneHop(threading.local):
    """``redispatch_function``'s pending skip, per thread as PyTorch's: the next dispatch check the
    thread makes (a wrapped function's, a property's or ``has_torch_function``) finds no override,
    whatever the arguments, and clears it. While one is pending ``special`` counts it, so that the
    wrappers leave their fast path and look here."""
    pending = False


one_hop = _OneHop()


def skip_one_hop() -> bool:
    """Consume a pending skip: True when there was one (the caller then runs without dispatch)."""
    if one_hop.pending:
        one_hop.pending = False
        _count_special(-1)
        return True
    return False


def redispatch(func, args, kwargs):
    """``func(*args, **kwargs)`` with its own dispatch check skipped (``torch._C._skip_one_hop_torch_function``)."""
    if not one_hop.pending:
        one_hop.pending = True
        _count_special(1)
    try:
        return func(*args, **(kwargs or {}))
    finally:
        skip_one_hop()  # (``func`` made no check at all: the skip must not leak to the caller's next call)


def _call_handlers(public, args, kwargs, overloaded, *, python_flavour: bool, binary_dunder: bool = False):
    """Try the innermost mode, then each overriding argument, until one does not return
    NotImplemented."""
    types = tuple(type(a) for a in overloaded) if overloaded else ()  # (a mode alone: no generator to run)
    mode = None
    if state.modes and not state.all_disabled:
        mode = state.modes.pop()  # the mode is off while its own handler runs (its calls reach the next one)
        try:
            result = mode.__torch_function__(public, types, args, kwargs)
        finally:
            state.modes.append(mode)
        if result is not NotImplemented:
            return result
    for arg in overloaded:
        handler = arg.__torch_function__
        if getattr(handler, "__self__", None) is arg and not isinstance(arg, type):
            # PyTorch's two wordings: its C++ check's (UserWarning) and its Python one's (DeprecationWarning,
            # with an unclosed backtick)
            name = "`__torch_function__" if python_flavour else "`__torch_function__`"
            warnings.warn(f"Defining your {name} as a plain method is deprecated and will be an error in future, "
                          "please define it as a classmethod.",
                          DeprecationWarning if python_flavour else UserWarning, stacklevel=2)
        result = handler(public, types, args, kwargs)
        if result is not NotImplemented:
            return result
    if binary_dunder:
        return NotImplemented  # ``x + 1`` then fails with Python's "unsupported operand type(s)"
    raise TypeError(_no_implementation_message(public, overloaded, mode, python_flavour))


def _no_implementation_message(public, overloaded, mode, python_flavour: bool) -> str:
    name = public_name(public)
    if python_flavour:
        msg = (f"no implementation found for '{name}' on types that implement __torch_function__: "
               f"{[type(a) for a in overloaded]}")
        if mode is not None:
            msg += f" nor in mode {mode}"
        return msg
    lines = [f"  - mode object {mode}"] if mode is not None else []
    lines += [f"  - tensor subclass {type(a)}" for a in overloaded]
    return (f"Multiple dispatch failed for '{name}'; all __torch_function__ handlers returned NotImplemented:\n\n"
            + "\n".join(lines) + "\n\nFor more information, try re-running with TORCH_LOGS=not_implemented")


def public_name(public) -> str:
    """How PyTorch's messages name a function: ``torch.add``, ``torch.Tensor.add``,
    ``torch.Tensor.shape.__get__``, ``torch.nn.functional.relu``, ``torch.linalg.linalg_norm``."""
    name = getattr(public, "_torch_function_name", None)
    if name is not None:
        return name
    owner = getattr(public, "__self__", None)  # a wrapped property's ``__get__``/``__set__``
    if isinstance(owner, property) and id(owner) in property_names:
        return f"{property_names[id(owner)]}.{public.__name__}"
    return f"{getattr(public, '__module__', None)}.{getattr(public, '__name__', public)}".replace("tensorgraft", "torch")


def call_native(public, args, kwargs, binary_dunder: bool = False, plain_tensors_in_types: bool = False):
    """A wrapped function's call once its wrapper saw a mode or an overriding argument.
    ``plain_tensors_in_types``: Tensor properties list plain tensors among the types, as PyTorch's
    (they reach ``__torch_function__`` through Python there)."""
    overloaded = [] if state.subclasses_disabled else overloaded_args((*args, *kwargs.values()),
                                                                      include_plain_tensors=plain_tensors_in_types)
    return _call_handlers(public, args, kwargs, overloaded, python_flavour=False, binary_dunder=binary_dunder)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """PyTorch's ``torch.overrides.handle_torch_function``: call the ``__torch_function__`` of the
    overriding arguments among ``relevant_args`` (and of the current mode) for ``public_api``."""
    overloaded = overloaded_args(relevant_args, include_plain_tensors=True) if not state.subclasses_disabled else []
    return _call_handlers(public_api, args, kwargs, overloaded, python_flavour=True)


def convert(ret, cls):
    """Results of a function a subclass ran through ``Tensor.__torch_function__`` become instances of
    that subclass (tuples, lists and named tuples of them too), as PyTorch's ``_convert``."""
    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        return ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        items = [convert(r, cls) for r in ret]
        if hasattr(ret, "_fields"):  # a named tuple (``return_types.max``)
            return type(ret)(*items)
        return type(ret)(items)
    return ret


# id(wrapped Tensor property) -> "torch.Tensor.shape", for messages
property_names: dict = {}

# Functions whose results ``Tensor.__torch_function__`` hands back unconverted (PyTorch's
# ``get_default_nowrap_functions``): filled in with the wrapped property getters when dispatch turns on.
NOWRAP = []


def _is_pytorch_function(func) -> bool:
    module = getattr(func, "__module__", None) or ""
    return module == "torch" or module.startswith("torch.")


def default_torch_function(cls, func, types, args=(), kwargs=None):
    """``Tensor.__torch_function__``: run ``func`` as on plain tensors and return its results as
    ``cls`` instances; NotImplemented when another argument's type is not a base of ``cls``."""
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    if _is_pytorch_function(func):
        # a tensorgraft tensor handed to PyTorch itself: running ``func`` would ask us again, forever;
        # NotImplemented lets PyTorch say which function got which types
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **kwargs)
        if func in NOWRAP:
            return ret
        return convert(ret, cls)
