"""A stand-in for CuPy built on NumPy, for testing tensorgraft-cuda's plumbing (lazy import,
kernel rebinding, device moves, the tensorgraft.cuda API) on machines without a GPU. It is put on
PYTHONPATH of a subprocess only; it does not run CUDA kernels (ElementwiseKernel is unsupported)."""
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


def ElementwiseKernel(*args, **kwargs):
    raise NotImplementedError("the fake CuPy cannot compile CUDA kernels")


ReductionKernel = ElementwiseKernel
