"""``torch.jit``'s scripted functions and modules, run eagerly: ``script``, ``freeze``,
``optimize_for_inference`` and the ``ScriptModule`` classes.

* ``script(fn)`` returns a :class:`ScriptFunction` that calls ``fn``.
* ``script(module)`` (and ``trace(module, ...)``, see _trace.py) return a copy of the module whose class
  derives from :class:`ScriptModule` (``RecursiveScriptModule``, ``TopLevelTracedModule``/``TracedModule``)
  and from the module's own class, so its ``forward`` is the Python one. Parameters and buffers are the
  original's objects (an optimizer step on one is seen by the other), as in PyTorch; other attributes
  are copied. ``isinstance(m, jit.ScriptModule)`` is True for these copies, for what ``jit.load``
  returns and for user subclasses of ``ScriptModule``, and False for plain modules.
* ``freeze``/``optimize_for_inference`` return a copy whose parameters and buffers are detached clones
  held as plain attributes: no parameters, an empty ``state_dict``, outputs without grad.

The ``ScriptModule`` classes derive from ``nn.Module`` and so are built on first use: ``tensorgraft.jit``
itself needs only core (``is_scripting()`` guards appear in plain functions too).
"""
from __future__ import annotations

import collections
import copy
import inspect
import warnings

# the classes made here print and pickle as ``tensorgraft.jit.X``, the name users know them by
_PUBLIC_MODULE = __name__.rpartition(".")[0]


def _deprecated(name: str) -> None:
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to `torch.compile` or `torch.export`.",
                  DeprecationWarning, stacklevel=3)


def _warn_optimize(optimize) -> None:
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=3)


# --------------------------------------------------------------------------- scripted functions
class ScriptFunction:
    """What ``script(fn)`` and ``trace(fn, ...)`` return: calling it calls ``fn``."""

    def __init__(self, fn):
        self._fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.qualified_name = "__torch__." + getattr(fn, "__qualname__", self.name)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __repr__(self):
        # PyTorch's own repr of its C++ ScriptFunction class, module path doubled as it prints it
        return f"<torch.jit.torch.jit.ScriptFunction object at {hex(id(self))}>"


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
    return nn is not None and isinstance(obj, nn.Module)


def _is_script_module(obj) -> bool:
    return _is_module(obj) and isinstance(obj, _classes()["ScriptModule"])


# --------------------------------------------------------------------------- the ScriptModule classes
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
            from ._serialization import save  # (_serialization builds on this module: imported on use)
            save(self, f, _extra_files)

    class RecursiveScriptModule(ScriptModule):
        """What ``script(module)`` and ``load`` return; printed as PyTorch prints it."""

        def extra_repr(self):
            return f"original_name={self.original_name}"

        # a scripted container prints every child under the generic layout (ModuleList's own repr,
        # which folds repeated layers into "(0-2): 3 x ...", is not the one PyTorch shows for it)
        __repr__ = nn.Module.__repr__

    class TracedModule(ScriptModule):
        """A submodule of a traced module, printed under its original class name."""

        def _get_name(self):
            return self.original_name

        def extra_repr(self):
            return f"original_name={self.original_name}"

        __repr__ = nn.Module.__repr__

    class TopLevelTracedModule(TracedModule):
        """What ``trace(module, ...)`` returns."""

    class _FrozenModule(RecursiveScriptModule):
        """What ``freeze`` returns: its weights are constants, so ``train()`` changes nothing."""

        def train(self, mode=True):
            return self

        def __repr__(self):
            # PyTorch inlines the submodules into the frozen graph, so none are printed; here they
            # stay (the eager forward calls them) but print as PyTorch's frozen module does
            return f"{self._get_name()}(original_name={self.original_name})"

    for cls in (ScriptModule, RecursiveScriptModule, TracedModule, TopLevelTracedModule, _FrozenModule):
        cls.__module__, cls.__qualname__ = _PUBLIC_MODULE, cls.__name__
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
        derived = type(name, (base, cls), {"__module__": _PUBLIC_MODULE, "__qualname__": name,
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


# --------------------------------------------------------------------------- script
def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script``: a module becomes a ``RecursiveScriptModule`` copy, a function a
    :class:`ScriptFunction`; classes, and what is already scripted, are returned as they are."""
    _deprecated("script")
    _warn_optimize(optimize)
    if isinstance(obj, ScriptFunction) or _is_script_module(obj):
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


# --------------------------------------------------------------------------- freeze
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
