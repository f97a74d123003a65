"""Process-wide switches PyTorch exposes at top level, and what each one does in tensorgraft.

- ``use_deterministic_algorithms(mode, *, warn_only=False)`` and the debug mode (0 "default",
  1 "warn", 2 "error"): PyTorch then refuses (or warns about) ops whose kernels are
  nondeterministic. tensorgraft's kernels are NumPy's and CuPy's, which give the same result
  on every run, so no op ever needs refusing; the switch is recorded and reported back, so code
  that turns it on for reproducibility runs unchanged.
- ``set_float32_matmul_precision("highest" | "high" | "medium")``: PyTorch lets float32 matrix
  products use TF32/bfloat16 internally below "highest". tensorgraft always multiplies in full
  float32; the precision is recorded and kept in step with ``backends.cuda.matmul.allow_tf32``
  (True exactly when the precision is not "highest"), as in PyTorch.
- ``set_flush_denormal(mode)``: NumPy gives no way to set the CPU's FTZ/DAZ flags, so this returns
  False ("not supported"), as PyTorch does on a CPU without them, and changes nothing.
- ``set_num_interop_threads``/``get_num_interop_threads``: PyTorch's pool for running independent
  ops concurrently. tensorgraft runs ops one after another (its threads are BLAS's, see
  ``set_num_threads``); the number is recorded, and can be set once, as in PyTorch.
- ``set_warn_always(b)``: warnings PyTorch gives once per process (``set_default_tensor_type``'s
  deprecation) are given at every call while it is on.
- ``set_default_tensor_type(t)``: deprecated in PyTorch 2.1; sets the default dtype from a legacy
  tensor class (``tensorgraft.DoubleTensor``) or its name (``"torch.DoubleTensor"``), and for a
  ``torch.cuda.*Tensor`` name also makes CUDA the default device.
- ``typename(obj)``: ``"torch.FloatTensor"`` for tensors, the qualified type name otherwise.
"""
from __future__ import annotations

import os
import warnings
from tensorgraft.argument_errors import c_type_name

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "set_flush_denormal", "set_num_interop_threads", "get_num_interop_threads", "set_warn_always",
           "is_warn_always_enabled", "typename", "set_default_tensor_type", "warn_once"]

_DEBUG_MODE_NAMES = ("default", "warn", "error")
_PRECISIONS = ("highest", "high", "medium")


class _Switches:
    """The switches' values (one object so tests can save and restore them whole)."""

    deterministic = False
    deterministic_warn_only = False
    matmul_precision = "highest"
    num_interop_threads = None  # None: never set, so the default below and one set still allowed
    warn_always = False


_state = _Switches()
_warned_once: set = set()


def _check_bool(value, function: str, argument: str, position=None) -> None:
    """PyTorch's argument-parser message for a non-bool where a bool is required."""
    if not isinstance(value, bool):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{function}(): argument '{argument}'{where} must be bool, not {c_type_name(value)}")


# --------------------------------------------------------------------------- determinism
def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record that only deterministic algorithms may run (see the module docstring)."""
    _check_bool(mode, "_set_deterministic_algorithms", "mode", position=1)
    _check_bool(warn_only, "_set_deterministic_algorithms", "warn_only")
    _state.deterministic = mode
    _state.deterministic_warn_only = mode and warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state.deterministic_warn_only


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/"default": off; 1/"warn": deterministic, warn only; 2/"error": deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODE_NAMES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                               f"but got {debug_mode}")
        debug_mode = _DEBUG_MODE_NAMES.index(debug_mode)
    elif not isinstance(debug_mode, int):  # bool is an int here too, as in PyTorch
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _state.deterministic:
        return 0
    return 1 if _state.deterministic_warn_only else 2


# --------------------------------------------------------------------------- matmul precision
def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium" (see the module docstring); another string warns and is ignored."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state.matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _state.matmul_precision


# --------------------------------------------------------------------------- CPU and threads
def set_flush_denormal(mode: bool) -> bool:
    """Always False: NumPy cannot set the CPU's flush-to-zero flags (see the module docstring)."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    return False


def set_num_interop_threads(num: int) -> None:
    if not isinstance(num, int) or isinstance(num, bool):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _state.num_interop_threads is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _state.num_interop_threads = num


def get_num_interop_threads() -> int:
    if _state.num_interop_threads is not None:
        return _state.num_interop_threads
    return os.cpu_count() or 1  # PyTorch's default: one per core


# --------------------------------------------------------------------------- warnings
def set_warn_always(b: bool, /) -> None:
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _state.warn_always = b


def is_warn_always_enabled() -> bool:
    return _state.warn_always


def warn_once(message: str, category=UserWarning, stacklevel: int = 2) -> None:
    """A warning PyTorch gives once per process, or at every call under ``set_warn_always(True)``."""
    if not _state.warn_always:
        if message in _warned_once:
            return
        _warned_once.add(message)
    warnings.warn(message, category, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------- type names
def typename(obj, /) -> str:
    """``'torch.FloatTensor'`` for a float32 CPU tensor; otherwise the module-qualified name of
    ``obj``'s type (of ``obj`` itself when it is a class), without ``builtins.``."""
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if isinstance(obj, type) else type(obj)
    module = getattr(named, "__module__", "") or ""
    name = getattr(named, "__qualname__", None) or named.__name__
    if module in ("", "builtins"):
        return name
    return f"{_public_module(module, named)}.{name}"


def _public_module(module: str, named) -> str:
    """tensorgraft's classes read as PyTorch's (``torch.dtype``, ``torch.nn.modules.linear.Linear``):
    the user's code says ``import tensorgraft as torch``, and PyTorch's names are the specification.
    A class exported at top level (``Tensor``, ``dtype``, ``Size``) is named there, as PyTorch's are."""
    if module != "tensorgraft" and not module.startswith("tensorgraft."):
        return module
    import tensorgraft
    if tensorgraft.__dict__.get(named.__name__) is named:
        return "torch"
    return "torch" + module[len("tensorgraft"):]


# --------------------------------------------------------------------------- legacy default type
def set_default_tensor_type(t, /) -> None:
    """Deprecated (PyTorch 2.1): prefer ``set_default_dtype`` and ``set_default_device``."""
    warn_once("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
              "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning)
    import tensorgraft
    from .dtypes import set_default_dtype
    on_cuda = False
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module == "torch.cuda":
            from .device import backends
            backend = backends().get("cuda")
            if backend is None or not backend.is_available():
                raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
            on_cuda = True
        elif module != "torch":
            raise ModuleNotFoundError(f"No module named '{module or t}'")
        cls = getattr(tensorgraft, name, None)
        if cls is None or not hasattr(cls, "_dtype"):
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        dtype = cls._dtype
    elif isinstance(t, type) and hasattr(t, "_dtype"):  # tensorgraft.DoubleTensor and friends
        dtype = t._dtype
    else:
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(dtype)
    if on_cuda:
        from .device import set_default_device
        set_default_device("cuda")
