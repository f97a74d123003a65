"""A stand-in for CuPy built on NumPy, for testing tensorgraft-cuda's plumbing (lazy import,
kernel rebinding, device moves, the tensorgraft.cuda API) on machines without a GPU. It is put on
PYTHONPATH of a subprocess only; its ElementwiseKernel/ReductionKernel run
the CUDA C snippet translated into NumPy (a subset of C: see _kernel.py).

It is kept as strict as real CuPy where tensorgraft could go wrong without a GPU to tell it:
- only the names real CuPy 14 has are offered (../cupy_api.json, written by
  tools/cupy_api_snapshot.py from the real package), and a keyword CuPy's function does not take
  is a TypeError, as there;
- a device array offers only the attributes and methods of ``cupy.ndarray`` to tensorgraft's code;
- tensorgraft code that mixes a host ``numpy.ndarray`` into a ufunc or NumPy function with device
  arrays gets CuPy's ``TypeError: Unsupported type <class 'numpy.ndarray'>``, and a NumPy function
  CuPy has no counterpart for is refused, as CuPy's ``__array_function__`` refuses it.
(Calls made by NumPy's own Python code, or by this package, are not policed: on a real GPU those
happen inside CuPy.)"""
import builtins as _builtins
import json as _json
import os as _os
import sys as _sys
import types as _types
import weakref as _weakref

import numpy as _np

import importlib as _il

cuda = _il.import_module(__name__ + ".cuda")      # (a plain "from . import random" would find numpy's)
random = _il.import_module(__name__ + ".random")
lib = _il.import_module(__name__ + ".lib")

__version__ = "0.0-fake"
IMPORTED = True

with open(_os.path.join(_os.path.dirname(__file__), "..", "cupy_api.json"), encoding="utf-8") as _f:
    API = _json.load(_f)
_NAMES = API["modules"]["cupy"]                 # name -> parameter names (None: not readable)
_NDARRAY_ATTRS = frozenset(API["ndarray"])


def _policed() -> bool:
    """Is the NumPy call being answered made directly by tensorgraft's code (two frames up: the
    hook's caller)? Only those are held to CuPy's rules."""
    return _sys._getframe(2).f_globals.get("__name__", "").startswith("tensorgraft")


def _count_host_read():
    if _sys._getframe(2).f_globals.get("__name__", "").startswith("tensorgraft"):
        cuda.HOST_READS += 1


def _refuse_host_arrays(values):
    """CuPy's two rules for a kernel's operands: no host arrays, and every device array on the
    current device (CuPy launches on the current device; without peer access it refuses an array
    that lives on another GPU, with it the result lands on the current GPU, either way not where
    tensorgraft's tensor says it is)."""
    for v in values:
        if type(v) is _np.ndarray:
            raise TypeError(f"Unsupported type {type(v)}")
        if isinstance(v, ndarray):
            here = getattr(v, "_dev", 0)
            if here != cuda.runtime.current:
                raise ValueError(f"The device where the array resides ({here}) is different from the current "
                                 f"device ({cuda.runtime.current}). Peer access is unavailable between these devices.")
        elif isinstance(v, (list, tuple)):
            _refuse_host_arrays(v)


class ndarray(_np.ndarray):
    """Device arrays: a NumPy subclass, so results of NumPy functions stay 'on the device'."""

    @property
    def device(self):
        return cuda.Device(getattr(self, "_dev", 0))

    # Reads of device values by the host. On a GPU each one waits for every queued kernel (a
    # synchronisation), so a training step should make none; tensorgraft's reads are counted in
    # cuda.HOST_READS for the tests to see.
    def get(self, stream=None, order="C", out=None):
        _count_host_read()
        return _np.array(self.view(_np.ndarray), copy=True)

    def item(self, *args):
        _count_host_read()
        return self.view(_np.ndarray).item(*args)

    def tolist(self):
        _count_host_read()
        return self.view(_np.ndarray).tolist()

    def __bool__(self):
        _count_host_read()
        return _builtins.bool(self.view(_np.ndarray))  # (the module's own `bool` is CuPy's dtype)

    def __float__(self):
        _count_host_read()
        return _builtins.float(self.view(_np.ndarray))

    def __int__(self):
        _count_host_read()
        return _builtins.int(self.view(_np.ndarray))

    def __index__(self):
        _count_host_read()
        return self.view(_np.ndarray).__index__()

    def __array_finalize__(self, obj):
        self._dev = getattr(obj, "_dev", cuda.runtime.getDevice())

    def __getattribute__(self, name):
        if name in _NDARRAY_ATTRS or name[:1] == "_" or not _sys._getframe(1).f_globals.get(
                "__name__", "").startswith("tensorgraft"):
            return _np.ndarray.__getattribute__(self, name)
        raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _policed():
            _refuse_host_arrays(inputs + tuple(kwargs.get("out", ())))
        # answer on plain arrays (ndarray's own hook would defer to this override and fail)
        plain = tuple(x.view(_np.ndarray) if isinstance(x, ndarray) else x for x in inputs)
        out = kwargs.get("out")
        if out:
            kwargs["out"] = tuple(o.view(_np.ndarray) if isinstance(o, ndarray) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        if method == "at":
            return None
        if out:
            return out[0] if len(out) == 1 else out
        return _on_device(result)

    def __array_function__(self, func, types, args, kwargs):
        if _policed():
            module = func.__module__ if func.__module__ != "numpy" else "cupy"
            module = module.replace("numpy", "cupy", 1)
            if func.__name__ not in API["modules"].get(module, ()):
                raise TypeError(f"no implementation found for '{func.__module__}.{func.__name__}' on types "
                                f"that implement __array_function__: [<class 'cupy.ndarray'>] (CuPy has no "
                                f"{module}.{func.__name__})")
            _refuse_host_arrays(args)
            _refuse_host_arrays(kwargs.values())
            # CuPy answers with its own function: device arrays out (NumPy's C functions, np.where
            # and np.stack among them, would hand back host arrays)
            return _on_device(super().__array_function__(func, types, args, kwargs))
        return super().__array_function__(func, types, args, kwargs)

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # CuPy never hands back NumPy scalars: a reduction to 0-d is still a device array
        return arr.view(type(self)) if isinstance(arr, _np.ndarray) else _np.asarray(arr).view(type(self))


def _allocated(out):
    """Take a fresh device array's bytes from the memory pool, through the allocator tensorgraft
    installed (as CuPy routes every allocation), for as long as the array lives."""
    allocate = cuda.ALLOCATOR[-1] if cuda.ALLOCATOR and cuda.ALLOCATOR[-1] else cuda._POOL.malloc
    block = allocate(out.nbytes)
    _weakref.finalize(out, block.free)
    return out


def _on_device(result):
    if type(result) is _np.ndarray or isinstance(result, _np.generic):
        fresh = isinstance(result, _np.generic) or result.base is None
        out = _np.asarray(result).view(ndarray)
        return _allocated(out) if fresh else out
    if isinstance(result, tuple):
        return tuple(_on_device(r) for r in result)
    if isinstance(result, list):
        return [_on_device(r) for r in result]
    return result


def _returns_device_arrays(fn, name, names):
    """CuPy's functions return CuPy arrays, also when no argument was one (zeros, arange, ...), and
    take only the keywords CuPy's own function takes."""
    params = names.get(name)

    def wrapper(*args, **kwargs):
        if params is not None:
            for k in kwargs:
                if k not in params:
                    raise TypeError(f"cupy.{name}() got an unexpected keyword argument '{k}' "
                                    f"(CuPy's takes {', '.join(params)})")
        return _on_device(fn(*args, **kwargs))
    wrapper.__name__ = getattr(fn, "__name__", "function")
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def _mirror(namespace, np_module, names):
    """Fill ``namespace`` with NumPy's version of each name real CuPy has there (and NumPy too)."""
    for name in names:
        obj = getattr(np_module, name, None)
        if obj is None or name in namespace or isinstance(obj, _types.ModuleType):
            continue                             # submodules are the fake's own (cuda, random, lib, ...)
        if callable(obj) and not isinstance(obj, (type, _np.ufunc)):
            namespace[name] = _returns_device_arrays(obj, name, names)
        else:                                    # ufuncs, dtypes, constants
            namespace[name] = obj


_mirror(globals(), _np, _NAMES)
for _sub in ("linalg", "fft"):                   # cupy.linalg, cupy.fft: NumPy's, returning device arrays
    _mod = _types.ModuleType(f"{__name__}.{_sub}")
    _mirror(vars(_mod), getattr(_np, _sub), API["modules"][f"cupy.{_sub}"])
    _sys.modules[_mod.__name__] = globals()[_sub] = _mod
del _sub, _mod


def asarray(a, dtype=None):
    out = _np.array(a, dtype=dtype, copy=True).view(ndarray)
    out._dev = cuda.runtime.getDevice()
    return _allocated(out)


def asnumpy(a):
    return _np.array(_np.asarray(a).view(_np.ndarray), copy=True)


def get_default_memory_pool():
    return cuda._POOL


def get_default_pinned_memory_pool():
    return cuda._PINNED


# not compiled: the CUDA C snippet is translated into vectorised NumPy code (see _kernel.py)
from ._kernel import ElementwiseKernel, ReductionKernel  # noqa: E402
