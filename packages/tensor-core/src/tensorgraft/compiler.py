"""``torch.compile`` and ``torch.compiler``: accepted so that PyTorch programs run unchanged.

tensorgraft has no graph compiler: every op already runs a precompiled NumPy/CuPy kernel, and
there is nothing to trace into. ``compile(model)`` checks its arguments as PyTorch does and returns
``model`` itself (a module stays the same module, so its ``state_dict`` keys have no ``_orig_mod.``
prefix); ``compile()`` without a model returns a decorator that does the same.
"""
from __future__ import annotations

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset",
           "allow_in_graph", "assume_constant_result", "list_backends", "set_default_backend", "get_default_backend",
           "set_stance", "cudagraph_mark_step_begin", "nested_compile_region", "wrap_numpy", "substitute_in_graph",
           "set_enable_guard_collectives", "save_cache_artifacts", "load_cache_artifacts",
           "skip_all_guards_unsafe", "skip_guard_on_globals_unsafe", "skip_guard_on_all_nn_modules_unsafe",
           "skip_guard_on_inbuilt_nn_modules_unsafe", "keep_tensor_guards_unsafe", "keep_portable_guards_unsafe"]
# Not here: ``config`` (Dynamo's settings) and ``load_compiled_function`` (loads ahead-of-time compiled
# code): with no compiler there is nothing for them to configure or load.

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


_DEFAULT_BACKEND = "inductor"
_default_backend = _DEFAULT_BACKEND


def set_default_backend(backend) -> None:
    """The backend ``compile`` uses when given none (a name or a callable); ``None``: ``"inductor"`` again."""
    global _default_backend
    if backend is not None and not isinstance(backend, str) and not callable(backend):
        raise TypeError(f"backend must be a string or callable, got {type(backend)}")
    _default_backend = _DEFAULT_BACKEND if backend is None else backend


def get_default_backend():
    """The backend ``compile`` uses when given none (``"inductor"`` until ``set_default_backend``)."""
    return _default_backend


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None,
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """``torch.compile``: validates the arguments and returns ``model`` unchanged (see the module
    docstring); without ``model``, a decorator. ``backend=None`` is ``get_default_backend()``."""
    _check(model, mode, _default_backend if backend is None else backend)
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


class set_stance:  # noqa: N801 - PyTorch's name; a function, a context manager and a decorator
    """``set_stance(stance="default", *, skip_guard_eval_unsafe=False, force_backend=None)``: what the
    compiler should do (``"force_eager"``, ``"fail_on_recompile"`` ...). Nothing is ever compiled or
    recompiled here, so every stance runs the code eagerly; the stance is remembered (and restored
    after a ``with`` block or a decorated call) so that programs that set it run unchanged."""

    _current = ("default", False, None)

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False, force_backend=None):
        if force_backend is not None and stance != "default":
            raise RuntimeError("non-default stance cannot have force_backend set")
        self.stance = (stance, skip_guard_eval_unsafe, force_backend)
        self.prev = set_stance._swap(self.stance)

    @staticmethod
    def _swap(stance):
        previous, set_stance._current = set_stance._current, stance
        return previous

    def __call__(self, fn):
        set_stance._swap(self.prev)  # as a decorator the stance holds only while ``fn`` runs
        stance = self.stance

        def stanced(*args, **kwargs):
            previous = set_stance._swap(stance)
            try:
                return fn(*args, **kwargs)
            finally:
                set_stance._swap(previous)
        return stanced

    def __enter__(self):
        set_stance._swap(self.stance)

    def __exit__(self, *exc):
        set_stance._swap(self.prev)
        return False


def cudagraph_mark_step_begin() -> None:
    """Marks a new iteration for CUDA-graph trees; no graphs are recorded here."""


def nested_compile_region(fn=None, *, options=None, max_reuse_entries: int = 8, reuse_hash_fn=None):
    """Marks ``fn`` as a region the compiler may compile once and reuse; eagerly it is ``fn`` itself."""
    if fn is None:
        return lambda f: f
    return fn


def wrap_numpy(fn):
    """``fn`` taking and returning NumPy arrays, made to take and return tensors: tensor arguments
    are passed as ``numpy()`` arrays and array results come back as tensors (as PyTorch's eager path)."""
    import functools

    import numpy as np

    from .tensor import Tensor

    def convert(value, kind, how):
        if isinstance(value, kind):
            return how(value)
        if isinstance(value, (list, tuple)):
            items = [convert(v, kind, how) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        if isinstance(value, dict):
            return {k: convert(v, kind, how) for k, v in value.items()}
        return value

    @functools.wraps(fn)
    def wrap(*args, **kwargs):
        from . import as_tensor
        args, kwargs = convert((args, kwargs), Tensor, lambda t: t.numpy())
        return convert(fn(*args, **kwargs), np.ndarray, as_tensor)
    return wrap


def substitute_in_graph(original_fn, *, can_constant_fold_through: bool = False, skip_signature_check: bool = False):
    """Registers a Python stand-in for ``original_fn`` that the compiler would trace; eagerly the
    decorated function is returned unchanged (after PyTorch's signature check)."""
    import inspect

    def wrapper(fn):
        if not skip_signature_check:
            try:
                expected = inspect.signature(original_fn)
            except ValueError:  # a builtin without a signature: nothing to compare
                expected = None
            got = inspect.signature(fn)
            if expected is not None and expected.parameters.keys() != got.parameters.keys():
                raise TypeError(f"Signature mismatch between {original_fn} and {fn}: {expected} != {got}")
        return fn
    return wrapper


_guard_collectives = False


def set_enable_guard_collectives(enabled: bool) -> bool:
    """Whether guard evaluation synchronises across ranks; returns the previous setting."""
    global _guard_collectives
    previous, _guard_collectives = _guard_collectives, enabled
    return previous


def save_cache_artifacts():
    """None: no compilation ever produced cache artifacts to serialise."""
    return None


def load_cache_artifacts(serialized_artifacts: bytes):
    """None: there is no compilation cache to load into (the bytes are not read)."""
    return None


# ``guard_filter_fn`` helpers: each takes the compiler's guard entries and says which to keep. They
# read only attributes of the entries, so they work here as in PyTorch for whatever calls them.
def skip_all_guards_unsafe(guard_entries):
    return [False for _ in guard_entries]


def skip_guard_on_globals_unsafe(guard_entries):
    return [not entry.is_global for entry in guard_entries]


def skip_guard_on_all_nn_modules_unsafe(guard_entries):
    return [not entry.orig_guard.source.is_unspecialized_nn_module() for entry in guard_entries]


def skip_guard_on_inbuilt_nn_modules_unsafe(guard_entries):
    return [not entry.orig_guard.source.is_unspecialized_builtin_nn_module() for entry in guard_entries]


def keep_tensor_guards_unsafe(guard_entries, keep_parameters=False):
    def keep(entry):
        if entry.guard_type != "TENSOR_MATCH":
            return False
        if keep_parameters:
            return True
        import sys  # a Parameter exists only where tensorgraft-nn is installed and was imported
        parameter = getattr(sys.modules.get("tensorgraft.nn.parameter"), "Parameter", None)
        return not (parameter is not None and isinstance(entry.value, parameter))
    return [keep(entry) for entry in guard_entries]


def keep_portable_guards_unsafe(guard_entries):
    return [g.guard_type in ("GLOBAL_STATE", "SHAPE_ENV") or (g.guard_type == "TENSOR_MATCH" and not g.is_global)
            for g in guard_entries]
