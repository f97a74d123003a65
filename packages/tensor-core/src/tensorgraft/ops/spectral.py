"""Spectral kernels: PyTorch's three FFT primitives and the window functions.

Every transform of ``tensorgraft.fft`` is one of ``_fft_c2c`` (complex -> complex), ``_fft_r2c``
(real -> complex, one-sided or full) and ``_fft_c2r`` (one-sided complex -> real), as in PyTorch, so
the graph nodes (``FftC2CBackward0``, ``FftR2CBackward0``, ``FftC2RBackward0``) and gradients are the
same. ``norm`` here is PyTorch's direction-free normalization: 0 = none, 1 = 1/sqrt(n), 2 = 1/n,
n being the product of the signal sizes (for c2r, of the output's).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import wrap
from . import _frontend as F
from ._define import defop

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {v: k for k, v in _COMPLEX_OF.items()}
# NumPy/CuPy's ``norm=`` for a transform computed forward / inverse, by PyTorch's normalization
_NP_NORM_FORWARD = ("backward", "ortho", "forward")
_NP_NORM_INVERSE = ("forward", "ortho", "backward")


def _c2c_kernel(xp, a, dims, norm, forward):
    f = xp.fft.fftn if forward else xp.fft.ifftn
    out = f(a, axes=dims, norm=(_NP_NORM_FORWARD if forward else _NP_NORM_INVERSE)[norm])
    return out.astype(a.dtype, copy=False)


def _r2c_kernel(xp, a, dims, norm, onesided):
    f = xp.fft.rfftn if onesided else xp.fft.fftn
    return f(a, axes=dims, norm=_NP_NORM_FORWARD[norm]).astype(_COMPLEX_OF[a.dtype], copy=False)


def _c2r_kernel(xp, a, dims, norm, last_dim_size):
    s = [a.shape[d] for d in dims[:-1]] + [last_dim_size]
    out = xp.fft.irfftn(a, s=s, axes=dims, norm=_NP_NORM_INVERSE[norm])
    return out.astype(_REAL_OF[a.dtype], copy=False)


def _frontend(kind):
    def make(op):
        table = op.table

        def fft_primitive(input, dims, norm, arg):
            out = wrap(table[input._device.type](input._data, tuple(dims), norm, arg), input._device)
            if input._requires_grad and _gs.enabled:
                F.record(op, out, (input,), {"dims": tuple(dims), "norm": norm, "arg": arg,
                                             "size": input._data.shape[dims[-1]] if dims else 0})
            return out
        fft_primitive.__name__ = fft_primitive.__qualname__ = kind
        return fft_primitive
    return make


def _to_complex(x):
    from .complex import view_as_complex
    return view_as_complex(x)


def _c2c_samples(dtype, device):
    from ..testing import make_tensor
    x = _to_complex(make_tensor((3, 4, 2), dtype=dtype, device=device, seed=31))
    return [((x, (1,), 0, True), {}), ((x, (0, 1), 1, False), {}), ((x, (0,), 2, True), {})]


def _r2c_samples(dtype, device):
    from ..testing import make_tensor
    x = make_tensor((3, 5), dtype=dtype, device=device, seed=32)
    return [((x, (1,), 0, True), {}), ((x, (0, 1), 1, False), {}), ((x, (0, 1), 2, True), {})]


def _c2r_samples(dtype, device):
    from ..testing import make_tensor
    x = _to_complex(make_tensor((3, 4, 2), dtype=dtype, device=device, seed=33))
    return [((x, (1,), 0, 6), {}), ((x, (0, 1), 1, 7), {}), ((x, (1,), 2, 5), {})]


_C2C = defop("_fft_c2c", kernel=_c2c_kernel, frontend=_frontend("_fft_c2c"), method=False, public=False,
             samples=_c2c_samples, reference=lambda a, d, n, f: _c2c_kernel(np, a, d, n, f))
_R2C = defop("_fft_r2c", kernel=_r2c_kernel, frontend=_frontend("_fft_r2c"), method=False, public=False,
             samples=_r2c_samples, reference=lambda a, d, n, o: _r2c_kernel(np, a, d, n, o))
_C2R = defop("_fft_c2r", kernel=_c2r_kernel, frontend=_frontend("_fft_c2r"), method=False, public=False,
             samples=_c2r_samples, reference=lambda a, d, n, s: _c2r_kernel(np, a, d, n, s))


def fft_c2c(x, dims, norm, forward):
    return _C2C.frontend(x, dims, norm, forward)


def fft_r2c(x, dims, norm, onesided):
    return _R2C.frontend(x, dims, norm, onesided)


def fft_c2r(x, dims, norm, last_dim_size):
    return _C2R.frontend(x, dims, norm, last_dim_size)


# --------------------------------------------------------------------------- windows
_CPP_TYPE = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "bool": "bool", "float16": "c10::Half", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    """``values(xp, n, N)``: the window at points ``n`` (float64) of a symmetric window of length N."""
    from .conversion import resolve_device
    from .creation import _check_dtype, _create, _make
    dtype = _check_dtype(dtype, name) or _dt.get_default_dtype()
    if dtype.np.kind != "f":
        if dtype.np.kind == "c":
            raise NotImplementedError(f"\"arange_cpu\" not implemented for '{F._type_name(dtype.np)}'")
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={_CPP_TYPE[dtype.name]}, "
                           "device=cpu, layout=Strided (default), requires_grad=false (default), pinned_memory=false, "
                           "memory_format=(nullopt))")
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dev = resolve_device(device)

    def make(xp):
        if window_length <= 1:
            return xp.ones((window_length,), dtype=dtype.np)
        n_sym = window_length + 1 if periodic else window_length
        n = xp.arange(window_length, dtype=xp.float64)
        return values(xp, n, n_sym).astype(dtype.np)
    return _make(_create(dev, make), dev, requires_grad)


def _cosine_sum(*coeffs):
    def values(xp, n, N):
        w = xp.zeros(n.shape, dtype=xp.float64)
        for k, c in enumerate(coeffs):
            w = w + (-1) ** k * c * xp.cos(2 * math.pi * k * n / (N - 1))
        return w
    return values


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n, N: 1 - xp.abs(2 * n / (N - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  pin_memory=False, requires_grad=False):
    def values(xp, n, N):
        half = (N - 1) / 2
        return xp.i0(beta * xp.sqrt(xp.clip(1 - ((n - half) / half) ** 2, 0, None))) / xp.i0(xp.asarray(float(beta)))
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


WINDOWS = ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window")
