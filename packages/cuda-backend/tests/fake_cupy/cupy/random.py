"""``cupy.random`` stand-in, backed by NumPy: ``RandomState`` (the subset of CuPy's methods that
tensorgraft uses, with CuPy's signatures and checks) and the module-level functions that draw from
one ``RandomState`` per device. Draws come back as device arrays on the current fake device.

A ``RandomState`` belongs to the device that was current when it was made (as cuRAND's generator
does); drawing from it while another device is current is an error here, so tests catch code that
forgets to select the device. ``method`` (cuRAND's generator type) is accepted and recorded; the
bits always come from NumPy's Philox keyed by the seed, so a seed gives the same draws every run.
"""
import binascii as _binascii
import os as _os

import numpy as _np

_UINT64_MAX = 0xFFFF_FFFF_FFFF_FFFF
_METHODS = (100, 101, 121, 141, 142, 161)  # cuRAND's pseudo-random generator types


def _cuda():
    from . import cuda
    return cuda


def _device_array(host):
    import cupy
    return cupy.asarray(host)


def _shape(size):
    if size is None:
        return ()
    if isinstance(size, (int, _np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    dtype = _np.dtype(dtype)
    if dtype.char not in ("f", "d"):
        raise TypeError("cupy.random only supports float32 and float64")
    return dtype


class RandomState:
    """``cupy.random.RandomState(seed=None, method=CURAND_RNG_PSEUDO_DEFAULT)``."""

    def __init__(self, seed=None, method=100):
        if method not in _METHODS:
            raise ValueError(f"unknown cuRAND generator type {method!r}")
        self.method = method
        self._device_id = _cuda().runtime.getDevice()
        self.seed(seed)

    def seed(self, seed=None):
        if seed is None:
            seed = int(_binascii.hexlify(_os.urandom(8)), 16)
        else:
            arr = _np.asarray(seed)
            if arr.dtype.kind not in "iub":
                raise TypeError("Seed must be an integer.")
            seed = int(arr)
            if not 0 <= seed <= _UINT64_MAX:
                raise ValueError("Seed must be between 0 and 2**64 - 1")
        self._rng = _np.random.Generator(_np.random.Philox(seed))
        self._rk_seed = seed

    def _bits(self):
        current = _cuda().runtime.getDevice()
        if current != self._device_id:
            raise RuntimeError(f"fake cupy: a RandomState of device {self._device_id} drew while device {current} "
                               "is current (cuRAND's generator lives on the device it was made on)")
        return self._rng

    # -- floats -------------------------------------------------------------------------------
    def random_sample(self, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        return _device_array(self._bits().random(_shape(size), dtype=dtype))

    def rand(self, *size, **kwarg):
        dtype = kwarg.pop("dtype", float)
        if kwarg:
            raise TypeError("rand() got unexpected keyword arguments %s" % ", ".join(kwarg.keys()))
        return self.random_sample(size=size, dtype=dtype)

    def randn(self, *size, **kwarg):
        dtype = kwarg.pop("dtype", float)
        if kwarg:
            raise TypeError("randn() got unexpected keyword arguments %s" % ", ".join(kwarg.keys()))
        return self.normal(size=size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        z = self._bits().standard_normal(_shape(size), dtype=dtype)
        return _device_array((z * dtype.type(scale) + dtype.type(loc)).astype(dtype, copy=False))

    def standard_normal(self, size=None, dtype=float):
        return self.normal(size=size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        u = self._bits().random(_shape(size), dtype=dtype)
        return _device_array((dtype.type(low) + u * dtype.type(high - low)).astype(dtype, copy=False))

    def standard_exponential(self, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        return _device_array(self._bits().standard_exponential(_shape(size), dtype=dtype))

    def exponential(self, scale=1.0, size=None, dtype=float):
        if _np.any(_np.asarray(scale) < 0):
            raise ValueError("scale < 0")
        x = self.standard_exponential(size, dtype)
        x *= scale
        return x

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        z = self._bits().standard_normal(_shape(size), dtype=_np.float64)
        return _device_array(_np.exp(mean + sigma * z).astype(dtype))

    def standard_cauchy(self, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        u = self._bits().random(_shape(size), dtype=dtype)
        return _device_array(_np.tan(_np.pi * (u - 0.5)).astype(dtype))

    # -- integers -----------------------------------------------------------------------------
    def randint(self, low, high=None, size=None, dtype=int):
        if not (_np.isscalar(low) and (high is None or _np.isscalar(high))):
            raise NotImplementedError("fake cupy: randint with array bounds")
        lo, hi1 = (0, int(low) - 1) if high is None else (int(low), int(high) - 1)
        if lo > hi1:
            raise ValueError("low >= high")
        info = _np.iinfo(dtype)
        if lo < info.min:
            raise ValueError(f"low is out of bounds for {_np.dtype(dtype).name}")
        if hi1 > info.max:
            raise ValueError(f"high is out of bounds for {_np.dtype(dtype).name}")
        return _device_array(self._bits().integers(lo, hi1, _shape(size), dtype=dtype, endpoint=True))

    def geometric(self, p, size=None, dtype=int):
        return _device_array(self._bits().geometric(p, _shape(size)).astype(dtype))

    def permutation(self, a):
        if isinstance(a, int):
            return self._permutation(a)
        return a[self._permutation(len(a))]

    def _permutation(self, num):
        # as CuPy: argsort of random 32-bit keys (int64 indices)
        keys = self._bits().integers(0, 1 << 32, num, dtype=_np.uint32).view(_np.int32)
        return _device_array(_np.argsort(keys, kind="stable").astype(_np.int64))

    def shuffle(self, a):
        import cupy
        if not isinstance(a, cupy.ndarray):
            raise TypeError("The array must be cupy.ndarray")
        if a.ndim == 0:
            raise TypeError("An array whose ndim is 0 is not supported")
        a[:] = a[self._permutation(len(a))]


_random_states = {}


def reset_states():
    global _random_states
    _random_states = {}


def get_random_state():
    dev = _cuda().runtime.getDevice()
    rs = _random_states.get(dev)
    if rs is None:
        seed = _os.getenv("CUPY_SEED")
        rs = _random_states.setdefault(dev, RandomState(None if seed is None else _np.uint64(int(seed))))
    return rs


def set_random_state(rs):
    if not isinstance(rs, RandomState):
        raise TypeError(f"Random state must be an instance of RandomState. Actual: {type(rs)}")
    _random_states[_cuda().runtime.getDevice()] = rs


def seed(seed=None):
    get_random_state().seed(seed)


def rand(*size, **kwarg):
    return get_random_state().rand(*size, **kwarg)


def randn(*size, **kwarg):
    return get_random_state().randn(*size, **kwarg)


def random_sample(size=None, dtype=float):
    return get_random_state().random_sample(size=size, dtype=dtype)


random = ranf = sample = random_sample


def normal(loc=0.0, scale=1.0, size=None, dtype=float):
    return get_random_state().normal(loc, scale, size=size, dtype=dtype)


def standard_normal(size=None, dtype=float):
    return get_random_state().standard_normal(size=size, dtype=dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=float):
    return get_random_state().uniform(low, high, size=size, dtype=dtype)


def randint(low, high=None, size=None, dtype=int):
    return get_random_state().randint(low, high, size, dtype)


def permutation(a):
    return get_random_state().permutation(a)


def shuffle(a):
    return get_random_state().shuffle(a)
