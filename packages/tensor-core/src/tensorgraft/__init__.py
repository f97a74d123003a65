"""tensorgraft: a PyTorch-style deep-learning framework on NumPy (CPU) and CuPy (CUDA).

This package (tensorgraft-core) owns the ``tensorgraft`` import name and extends its
``__path__`` so the separately installed parts (``tensorgraft.autograd``, ``.nn``, ``.optim``,
``.cuda``) are found whether they come from wheels or editable installs.
"""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

import numpy as _np  # noqa: E402

# PyTorch returns inf/nan silently (log(0), 1/0); NumPy would warn on every such element.
_np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

from ._malloc_tuning import tune_glibc_malloc as _tune_glibc_malloc  # noqa: E402

# freed arrays stay in the process for the next op instead of costing page faults again (see
# _malloc_tuning; TENSORGRAFT_MALLOC_TUNING=0 opts out)
_tune_glibc_malloc()

from . import dtypes as _dtype_mod  # noqa: E402
from .dtypes import (  # noqa: E402,F401
    bool, complex64, complex128, dtype, float16, bfloat16, float32, float64, get_default_dtype, int8, int16, int32,
    int64, promote_types, result_type, can_cast, set_default_dtype, uint8, finfo, iinfo,
    uint16, uint32, uint64, float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu,
)
from .device import device, get_default_device, set_default_device  # noqa: E402,F401
from .grad_mode import (  # noqa: E402,F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .tensor import Size, Tensor  # noqa: E402
from . import ops  # noqa: E402,F401  (declares core ops; registered below through the plugin hooks)
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402,F401
from .printing import get_printoptions, printoptions, set_printoptions  # noqa: E402,F401
from .ops.creation import *  # noqa: E402,F401,F403
from .ops.sampling import *  # noqa: E402,F401,F403
from .ops.conversion import (  # noqa: E402,F401
    as_tensor, from_numpy, from_dlpack, is_tensor, is_floating_point, is_complex, is_inference, numel,
)
from .ops.shape import broadcast_shapes  # noqa: E402,F401
from .ops.sparse_coo import sparse_coo_tensor  # noqa: E402,F401
from .ops.sparse_row_products import dsmm, hsmm, hspmm, saddmm, smm, spmm, sspaddmm  # noqa: E402,F401
from .ops.sparse_compressed import (  # noqa: E402,F401
    sparse_bsc_tensor, sparse_bsr_tensor, sparse_compressed_tensor, sparse_csc_tensor, sparse_csr_tensor,
    ccol_indices_copy, col_indices_copy, crow_indices_copy, row_indices_copy, values_copy,
)
from . import linalg  # noqa: E402,F401
from .ops.removed_functions import eig, lstsq, matrix_rank, solve, symeig  # noqa: E402,F401
from .ops.complex import real, imag, resolve_conj, resolve_neg  # noqa: E402,F401
from .ops.spectral import (  # noqa: E402,F401
    hann_window, hamming_window, blackman_window, bartlett_window, kaiser_window,
)
from .threads import get_num_threads, set_num_threads  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from .errors import AcceleratorError, OutOfMemoryError  # noqa: E402,F401
from .memory_layout import (  # noqa: E402,F401
    channels_last, channels_last_3d, contiguous_format, jagged, layout, memory_format, preserve_format, sparse_bsc,
    sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided,
)
from . import storage as _storage  # noqa: E402
from .storage import TypedStorage, UntypedStorage, is_storage  # noqa: E402,F401

_builtin_float = float  # the PyTorch dtype aliases below shadow float

float = float32  # noqa: A001 - PyTorch's aliases
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128
uint8 = uint8

from .version import __version__  # noqa: E402  (a TorchVersion: compares with "0.1" and (0, 1))

# PyTorch's constants (plain Python values, as there)
pi = 3.141592653589793
e = 2.718281828459045
inf = _builtin_float("inf")
nan = _builtin_float("nan")
newaxis = None

from . import _parts  # noqa: E402

_parts.install_finder()

from . import _builtin_plugin  # noqa: E402
from .plugins import manager as _manager  # noqa: E402

_manager.load_all(_builtin_plugin, __import__(__name__))

# ``__torch_function__``: the switches, and the watch for tensor-like classes (see _C.py)
from . import _C  # noqa: E402
from ._C import DisableTorchFunction, DisableTorchFunctionSubclass  # noqa: E402

_C.watch_class_statements()


# Anomaly mode belongs to the autograd engine; PyTorch also exposes its switches at top level.
_FROM_AUTOGRAD = frozenset({"is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled"})
# autocast's switches live in tensorgraft.amp; PyTorch also exposes them at top level
_FROM_AMP = frozenset({"autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
                       "set_autocast_dtype", "get_autocast_gpu_dtype", "get_autocast_cpu_dtype", "is_autocast_cpu_enabled",
                       "set_autocast_cpu_enabled", "set_autocast_gpu_dtype", "set_autocast_cpu_dtype",
                       "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
                       "autocast_increment_nesting", "autocast_decrement_nesting"})


# Global switches (determinism, matmul precision, warn-always, ...): tensorgraft/global_switches.py
_FROM_SWITCHES = frozenset({"use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
                            "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
                            "get_deterministic_debug_mode", "set_float32_matmul_precision",
                            "get_float32_matmul_precision", "set_flush_denormal", "set_num_interop_threads",
                            "get_num_interop_threads", "set_warn_always", "is_warn_always_enabled", "typename",
                            "set_default_tensor_type"})
_LAZY_MODULES = frozenset({"nn", "optim", "autograd", "func", "cuda", "utils", "testing", "plugins_cli", "backends",
                           "distributions", "fft", "special", "sparse", "amp", "cpu", "signal", "version", "torch_version",
                           "accelerator", "compiler", "jit", "return_types", "quasirandom", "profiler",
                           "multiprocessing", "hub", "library", "distributed", "futures", "overrides", "__future__",
                           "_tensor_str", "nested", "masked", "fx"})

# Top-level functions and flags whose modules load on first use (name -> module under tensorgraft),
# and PyTorch's ``torch.functional``/``torch.types`` modules
_FROM_MODULES = {
    **dict.fromkeys(("sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum", "sym_ite",
                     "SymInt", "SymFloat", "SymBool"), "symbolic_numbers"),
    "cond": "control_flow", "while_loop": "control_flow", "_assert": "control_flow", "to_dlpack": "utils.dlpack",
    "get_device_module": "placement", "is_distributed": "placement", "indices_copy": "sparse_reductions",
    "native_norm": "sparse_reductions", "segment_reduce": "segment_reduction",
    "from_file": "memory_mapped_files", "Stream": "streams", "Event": "streams",
    **dict.fromkeys(("has_lapack", "has_mkl", "has_openmp", "has_spectral", "compiled_with_cxx11_abi",
                     "init_num_threads"), "build_config"),
}
_LAZY_API_MODULES = frozenset({"functional", "types"})


def __getattr__(name):
    """Subpackages (``tensorgraft.nn``, ``.optim``, ``.cuda``, ``.accelerator`` ...), the global
    switches, the legacy storage classes and the top-level spellings of ``nn.functional`` functions
    resolve on first use, so ``import tensorgraft`` stays fast and needs none of the optional parts."""
    import importlib  # (``from . import x`` would call this function again for a submodule not yet loaded)
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_MODULES:
        value = globals()[name] = getattr(importlib.import_module(f"{__name__}.{_FROM_MODULES[name]}"), name)
        return value
    if name in _LAZY_API_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_SWITCHES:
        value = globals()[name] = getattr(importlib.import_module(f"{__name__}.global_switches"), name)
        return value
    if name in _storage.LEGACY_STORAGE_DTYPES:  # FloatStorage & co.: made on first use (see storage.py)
        value = globals()[name] = _storage.legacy_storage_class(_storage.LEGACY_STORAGE_DTYPES[name])
        return value
    if name == "compile":  # torch.compile: accepted, compiles nothing (see compiler.py)
        value = globals()[name] = importlib.import_module(f"{__name__}.compiler").compile
        return value
    if name == "vmap":  # PyTorch's torch.vmap is torch.func.vmap
        try:
            func = importlib.import_module(f"{__name__}.func")
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError("tensorgraft.vmap needs the autograd engine, which is not installed. Install it "
                                      "with: pip install tensorgraft-autograd") from exc
        return func.vmap
    if name.startswith("_foreach_"):  # PyTorch's multi-tensor functions (foreach_ops.py)
        foreach_ops = importlib.import_module(f"{__name__}.foreach_ops")
        if name in foreach_ops.NAMES:
            value = globals()[name] = getattr(foreach_ops, name)
            return value
    for aliases in ("nn_function_aliases", "nn_kernel_aliases"):
        module = importlib.import_module(f"{__name__}.{aliases}")
        if name in module.ALIASES:
            importlib.import_module(f"{__name__}.nn_function_aliases").functional(name)  # without tensorgraft-nn:
            value = globals()[name] = getattr(module, name)  # ModuleNotFoundError naming it; later lookups skip this
            return value
    if name in _FROM_AUTOGRAD:  # without the autograd engine: ModuleNotFoundError naming its distribution
        return getattr(importlib.import_module(f"{__name__}.autograd.anomaly"), name)
    if name in _FROM_AMP:
        return getattr(importlib.import_module(f"{__name__}.amp"), name)
    if name in _DTYPES_NOT_PROVIDED:
        raise AttributeError(f"module 'tensorgraft' has no attribute '{name}': tensorgraft has no {name} dtype "
                             f"({_DTYPES_NOT_PROVIDED[name]}); use {_DTYPE_INSTEAD.get(name, 'float32')} instead "
                             "(docs/user-guide/differences.md)")
    raise AttributeError(f"module 'tensorgraft' has no attribute '{name}'")


# PyTorch dtypes NumPy has no array type for: an AttributeError all the same (``hasattr`` checks keep
# working), but one that says why and what to use, since programs name them in ``autocast`` calls
# and ``.to(...)`` far from any check
_DTYPES_NOT_PROVIDED = {
    "float4_e2m1fn_x2": "NumPy has no packed 4-bit float arrays",
    **dict.fromkeys(("complex32", "chalf"), "NumPy has no half-precision complex arrays"),
    **dict.fromkeys(("qint8", "quint8", "qint32", "quint4x2", "quint2x4"), "there are no quantized tensors"),
}
_DTYPE_INSTEAD = {"complex32": "complex64", "chalf": "complex64"}


def __dir__():
    """``dir(tensorgraft)`` lists the names ``__getattr__`` resolves on first use too, but only those
    whose part is installed, so every listed name can be read (as ``dir(torch)`` lists them)."""
    import importlib
    import importlib.util

    def installed(part):
        try:
            return importlib.util.find_spec(f"{__name__}.{part}") is not None
        except ModuleNotFoundError:
            return False
    names = set(globals()) | _FROM_SWITCHES | set(_FROM_MODULES) | _LAZY_API_MODULES | _FROM_AMP | set(_storage.LEGACY_STORAGE_DTYPES) | {"compile"}
    names |= {m for m in _LAZY_MODULES if installed(m)}
    if installed("autograd"):
        names |= _FROM_AUTOGRAD | {"vmap"}
    if installed("nn"):
        names |= importlib.import_module(f"{__name__}.nn_function_aliases").ALIASES
        names |= importlib.import_module(f"{__name__}.nn_kernel_aliases").ALIASES
    return sorted(names)


# Last: the ~25,000 objects made above live as long as the process; the cyclic garbage collector
# need not walk them again (see _gc_tuning; TENSORGRAFT_GC_FREEZE=0 opts out)
from ._gc_tuning import freeze_import_objects as _freeze_import_objects  # noqa: E402

_freeze_import_objects()
