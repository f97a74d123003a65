"""``torch.compile`` and ``torch.compiler``: accepted so that PyTorch programs run unchanged.

tensorgraft has no graph compiler: every op already runs a precompiled NumPy/CuPy kernel, and
there is nothing to trace into. ``compile(model)`` checks its arguments as PyTorch does and returns
``model`` itself (a module stays the same module, so its ``state_dict`` keys have no ``_orig_mod.``
prefix); ``compile()`` without a model returns a decorator that does the same.
"""
from __future__ import annotations

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset",
           "allow_in_graph", "assume_constant_result", "list_backends"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# the backends a CPU build of PyTorch lists; tensorgraft accepts them all and compiles with none
_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")


def _check(model, mode, backend):
    if model is not None and not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS + ("eager", "aot_eager"):
        raise RuntimeError(f"Invalid backend: '{backend}', see `torch._dynamo.list_backends()` for available "
                           "backends.")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """``torch.compile``: validates the arguments and returns ``model`` unchanged (see the module
    docstring); without ``model``, a decorator."""
    _check(model, mode, backend)
    if model is None:
        def decorate(fn):
            _check(fn, None, None)
            return fn
        return decorate
    return model


def disable(fn=None, recursive=True, *, reason=None):
    """Nothing is compiled, so there is nothing to disable: ``fn`` itself (or an identity decorator)."""
    if fn is None:
        return lambda f: f
    return fn


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def reset() -> None:
    """No compilation caches exist; kept so programs that clear them run."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def list_backends(exclude_tags=("debug", "experimental")):
    return sorted(_BACKENDS)
