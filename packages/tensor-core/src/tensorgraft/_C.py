"""The switches of ``__torch_function__`` dispatch, where PyTorch keeps them (``torch._C``).

Subclass authors write ``__torch_function__ = torch._C._disabled_torch_function_impl`` and
``with torch._C.DisableTorchFunctionSubclass():``, so these names live here; the dispatch itself
(``tensorgraft/overrides/``) loads only when a program first needs it. Only this small module is
imported with ``tensorgraft``: the Tensor class reads it when a subclass is defined.
"""
from __future__ import annotations

import threading

__all__ = ["DisableTorchFunction", "DisableTorchFunctionSubclass", "_disabled_torch_function_impl",
           "_is_torch_function_enabled", "_is_torch_function_mode_enabled"]


class _TorchFunctionState(threading.local):
    """Per thread, as PyTorch's: how deep inside the two ``Disable*`` contexts the thread is, and its
    stack of ``TorchFunctionMode`` objects (innermost last)."""

    def __init__(self):
        self.subclasses_disabled = 0
        self.all_disabled = 0
        self.modes = []


state = _TorchFunctionState()

# How many ``Disable*`` contexts and entered modes there are now, over all threads. While it is 0 —
# almost always — a dispatch wrapper need not read the thread-local state above at all.
special = [0]
_special_lock = threading.Lock()


def _count_special(delta: int) -> None:
    with _special_lock:
        special[0] += delta


class _DisabledTorchFunctionImpl:
    """``__torch_function__`` of a subclass that opts out (``nn.Parameter``): the function runs as on
    a plain Tensor and its results are not converted. An object, not a function, so that as a class
    attribute it is not bound to the instance (PyTorch's is a builtin function, which is not bound
    either)."""

    __slots__ = ()
    __name__ = __qualname__ = "_disabled_torch_function_impl"

    def __call__(self, func, types, args=(), kwargs=None):
        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

    def __repr__(self) -> str:
        return "<built-in function _disabled_torch_function_impl>"

    def __reduce__(self):
        return "_disabled_torch_function_impl"  # pickled by reference to this module's name


_disabled_torch_function_impl = _DisabledTorchFunctionImpl()


class _Switch:
    """A ``with`` context that counts itself in the thread's ``state.<_counter>`` (and in ``special``)."""

    __module__ = "tensorgraft._C"
    _counter = ""

    def __enter__(self):
        setattr(state, self._counter, getattr(state, self._counter) + 1)
        _count_special(1)
        return self

    def __exit__(self, *exc):
        setattr(state, self._counter, getattr(state, self._counter) - 1)
        _count_special(-1)
        return False


class DisableTorchFunctionSubclass(_Switch):
    """``with DisableTorchFunctionSubclass():`` ops run on Tensor subclasses (and other objects with
    ``__torch_function__``) as on plain tensors; ``TorchFunctionMode`` objects still see them."""

    _counter = "subclasses_disabled"


class DisableTorchFunction(_Switch):
    """``with DisableTorchFunction():`` no ``__torch_function__`` runs, neither a subclass's nor a
    mode's."""

    _counter = "all_disabled"


def _is_torch_function_enabled() -> bool:
    """False inside ``DisableTorchFunctionSubclass`` or ``DisableTorchFunction``."""
    return not (state.subclasses_disabled or state.all_disabled)


def _is_torch_function_mode_enabled() -> bool:
    """True when a ``TorchFunctionMode`` is entered and ``DisableTorchFunction`` is not in force."""
    return any(not getattr(m, "_internal", False) for m in state.modes) and not state.all_disabled


# ---------------------------------------------------------------------------- turning dispatch on
def activate_dispatch() -> None:
    """Wrap the public functions so that they dispatch (``overrides/_binding.py``); once."""
    from .overrides import _binding
    _binding.activate()


_original_build_class = None


def watch_class_statements() -> None:
    """Until dispatch is on, notice a ``class`` statement that defines ``__torch_function__``.

    A Tensor subclass announces itself through ``Tensor.__init_subclass__``, but a type that is not
    a Tensor (PyTorch's "tensor-like" objects: ``torch.mean(ScalarTensor(5, 2))``) reaches an op only
    as an argument, and unwrapped ops would refuse it before looking. Python runs every class
    statement through ``builtins.__build_class__``, so ``import tensorgraft`` puts a check there; it
    costs about a microsecond per class statement and is removed as soon as dispatch is on.
    ``TENSORGRAFT_WATCH_CLASSES=0`` in the environment leaves ``__build_class__`` alone (such types
    then dispatch once a Tensor subclass or a mode has turned dispatch on)."""
    global _original_build_class
    import builtins
    import os
    if _original_build_class is not None or os.environ.get("TENSORGRAFT_WATCH_CLASSES", "1") == "0":
        return
    original = _original_build_class = builtins.__build_class__

    def __build_class__(func, name, *bases, **kwargs):
        cls = original(func, name, *bases, **kwargs)
        namespace = getattr(cls, "__dict__", None)
        if namespace is not None and "__torch_function__" in namespace \
                and namespace["__torch_function__"] is not _disabled_torch_function_impl \
                and _uses_tensorgraft(getattr(func, "__globals__", None)):
            activate_dispatch()
        return cls

    builtins.__build_class__ = __build_class__


def _uses_tensorgraft(module_globals) -> bool:
    """Whether a class statement's module works with tensorgraft (imports it, or something from it).
    PyTorch's own classes with ``__torch_function__`` (``import torch`` next to tensorgraft: its
    modes and tensor types) are written for torch's functions, and tensorgraft's own are internal:
    neither should turn dispatch on."""
    if not module_globals or str(module_globals.get("__name__", "")).startswith("tensorgraft"):
        return False
    from types import ModuleType
    for value in list(module_globals.values()):
        if isinstance(value, ModuleType):
            if value.__name__ == "tensorgraft" or value.__name__.startswith("tensorgraft."):
                return True
        elif str(getattr(value, "__module__", None) or "").startswith("tensorgraft"):
            return True
    return False


def stop_watching_class_statements() -> None:
    """Put Python's own ``__build_class__`` back (dispatch is on: nothing more to notice)."""
    import builtins
    if _original_build_class is not None and builtins.__build_class__ is not _original_build_class:
        if getattr(builtins.__build_class__, "__module__", None) == __name__:
            builtins.__build_class__ = _original_build_class


# ``torch._C._nn``: where PyTorch keeps the compiled functions that ``torch.nn.functional`` exposes as
# they are (``F.gelu is torch._C._nn.gelu``), so that code naming them there runs and ``torch.fx``
# prints them under that name. Looked up on each access: ``F``'s functions may be rewrapped when
# ``__torch_function__`` dispatch turns on, and the two names must stay the same object.
_NN_NAMES = frozenset({"avg_pool2d", "avg_pool3d", "elu_", "gelu", "hardtanh_", "leaky_relu_", "linear", "one_hot",
                       "scaled_dot_product_attention", "softplus", "softshrink"})


def _nn_namespace():
    from types import ModuleType

    class _NN(ModuleType):
        def __getattr__(self, name):
            if name in _NN_NAMES:
                import tensorgraft.nn.functional as F  # tensorgraft-nn (a ModuleNotFoundError names it)
                return getattr(F, name)
            raise AttributeError(f"module 'torch._C._nn' has no attribute '{name}'")

        def __dir__(self):
            return sorted(_NN_NAMES)
    return _NN("torch._C._nn")


def __getattr__(name):
    if name == "_nn":
        namespace = globals()["_nn"] = _nn_namespace()
        return namespace
    raise AttributeError(f"module 'tensorgraft._C' has no attribute '{name}'")
