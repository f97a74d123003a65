"""A stand-in for CuPy built on NumPy, for testing tensorgraft-cuda's plumbing (lazy import,
kernel rebinding, device moves, the tensorgraft.cuda API) on machines without a GPU. It is put on
PYTHONPATH of a subprocess only; its ElementwiseKernel/ReductionKernel run
the CUDA C snippet translated into NumPy (a subset of C: see _kernel.py)."""
import numpy as _np
from numpy import *  # noqa: F401,F403 - the array API tensorgraft's generic kernels use

import importlib as _il

cuda = _il.import_module(__name__ + ".cuda")      # (a plain "from . import random" would find numpy's)
random = _il.import_module(__name__ + ".random")

__version__ = "0.0-fake"
IMPORTED = True


class ndarray(_np.ndarray):
    """Device arrays: a NumPy subclass, so results of NumPy functions stay 'on the device'."""

    @property
    def device(self):
        return cuda.Device(getattr(self, "_dev", 0))

    def get(self):
        return _np.array(self.view(_np.ndarray), copy=True)

    def __array_finalize__(self, obj):
        self._dev = getattr(obj, "_dev", cuda.runtime.getDevice())

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # CuPy never hands back NumPy scalars: a reduction to 0-d is still a device array
        return arr.view(type(self)) if isinstance(arr, _np.ndarray) else _np.asarray(arr).view(type(self))


def _on_device(result):
    if type(result) is _np.ndarray or isinstance(result, _np.generic):
        return _np.asarray(result).view(ndarray)
    if isinstance(result, tuple):
        return tuple(_on_device(r) for r in result)
    if isinstance(result, list):
        return [_on_device(r) for r in result]
    return result


def _returns_device_arrays(fn):
    """CuPy's functions return CuPy arrays, also when no argument was one (zeros, arange, ...)."""
    def wrapper(*args, **kwargs):
        return _on_device(fn(*args, **kwargs))
    wrapper.__name__ = getattr(fn, "__name__", "function")
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


for _name in _np.__all__:
    _obj = getattr(_np, _name, None)
    if callable(_obj) and not isinstance(_obj, (type, _np.ufunc)) and _name not in ("asnumpy",):
        globals()[_name] = _returns_device_arrays(_obj)
del _name, _obj


def asarray(a, dtype=None):
    out = _np.array(a, dtype=dtype, copy=True).view(ndarray)
    out._dev = cuda.runtime.getDevice()
    cuda._POOL.used += out.nbytes
    return out


def asnumpy(a):
    return _np.array(_np.asarray(a).view(_np.ndarray), copy=True)


def get_default_memory_pool():
    return cuda._POOL


def get_default_pinned_memory_pool():
    return cuda._PINNED


# not compiled: the CUDA C snippet is translated into vectorised NumPy code (see _kernel.py)
from ._kernel import ElementwiseKernel, ReductionKernel  # noqa: E402
