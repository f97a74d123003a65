"""Spectral kernels: PyTorch's three FFT primitives and the window functions.

Every transform of ``tensorgraft.fft`` is one of ``_fft_c2c`` (complex -> complex), ``_fft_r2c``
(real -> complex, one-sided or full) and ``_fft_c2r`` (one-sided complex -> real), as in PyTorch, so
the graph nodes (``FftC2CBackward0``, ``FftR2CBackward0``, ``FftC2RBackward0``) and gradients are the
same. ``norm`` here is PyTorch's direction-free normalization: 0 = none, 1 = 1/sqrt(n), 2 = 1/n,
n being the product of the signal sizes (for c2r, of the output's).
"""
from __future__ import annotations

import math
from tensorgraft.argument_errors import c_type_name

import numpy as np

from .. import dtypes as _dt
from ..grad_mode import state as _gs
from ..tensor import wrap
from . import _frontend as F
from ._define import defop
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.dtypes import CPP_TYPE_NAMES

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
    if not onesided and len(dims) == 1:
        # the two-sided spectrum of a real signal, as PyTorch makes it: the one-sided half, then
        # the rest filled by conjugate symmetry X[n - k] = conj(X[k]); the mirrored zeros carry
        # the opposite sign (fft(ones(4)) ends in 0.-0.j, as PyTorch prints it)
        d, n = dims[0], a.shape[dims[0]]
        half = xp.moveaxis(xp.fft.rfft(a, axis=d, norm=_NP_NORM_FORWARD[norm]), d, -1)
        h = half.shape[-1]
        full = xp.concatenate([half, xp.conj(half[..., 1:n - h + 1][..., ::-1])], axis=-1)
        return xp.moveaxis(full, -1, d).astype(_COMPLEX_OF[a.dtype], copy=False)
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


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    """``values(xp, n, N, dtype)``: the symmetric window of length ``N`` at the points ``n = 0..N-1``
    (float64), computed in the window's (NumPy) ``dtype``."""
    from .conversion import resolve_device
    from .creation import _check_dtype, _create, _make
    dtype = _check_dtype(dtype, name) or _dt.get_default_dtype()
    if _np_kind(dtype.np) != "f":
        if _np_kind(dtype.np) == "c":
            raise NotImplementedError(f"\"arange_cpu\" not implemented for '{F._type_name(dtype.np)}'")
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={CPP_TYPE_NAMES[dtype.name]}, "
                           "device=cpu, layout=Strided (default), requires_grad=false (default), pinned_memory=false, "
                           "memory_format=(nullopt))")
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{c_type_name(window_length)}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dev = resolve_device(device)

    def make(xp):
        if window_length <= 1:
            return xp.ones((window_length,), dtype=dtype.np)
        n_sym = window_length + 1 if periodic else window_length
        # a periodic window is the symmetric one of length + 1 without its last point
        n = xp.arange(n_sym, dtype=xp.float64)
        return values(xp, n, n_sym, xp.dtype(dtype.np))[:window_length].astype(dtype.np)
    return _make(_create(dev, make), dev, requires_grad)


def _cos(xp, w):
    """cos of the angles ``w`` (float32 or float64), rounded from float64: exact for float64, and
    for float32 within PyTorch's vectorized cosine's last bit more often than float32 NumPy's."""
    return xp.cos(w.astype(xp.float64)).astype(w.dtype)


def _angles(xp, N, dtype, step):
    """``arange(N) * step`` in the window's own dtype: PyTorch scales the integer ramp in that
    dtype (not in float64), which decides the last bit (and the value of the entries that cancel
    to about zero, like the ends of a float32 Blackman window: -2.98e-08, not -1.39e-17)."""
    return xp.arange(N, dtype=dtype) * dtype.type(step)


def _hamming_values(alpha, beta):
    def values(xp, n, N, dtype):
        w = _cos(xp, _angles(xp, N, dtype, 2 * math.pi / (N - 1)))
        return w * dtype.type(-beta) + dtype.type(alpha)
    return values


def _blackman_values(xp, n, N, dtype):
    w = _angles(xp, N, dtype, math.pi / (N - 1))
    return dtype.type(0.08) * _cos(xp, w * dtype.type(4)) - dtype.type(0.5) * _cos(xp, w * dtype.type(2)) \
        + dtype.type(0.42)


def _bartlett_values(xp, n, N, dtype):
    w = _angles(xp, N, dtype, 2 / (N - 1))
    first = (N - 1) // 2 + 1  # the rising half, then 2 - w for the falling one
    w[first:] = dtype.type(2) - w[first:]
    return w


_SIGNATURE_TAIL = ("*, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
                   "bool pin_memory = False, bool requires_grad = False")
_OPTIONS = ("dtype", "layout", "device", "pin_memory", "requires_grad")


def _arg_type(v):
    if isinstance(v, _dt.dtype):
        return "torch.dtype"
    kind = type(v)
    return f"torch.{kind.__name__}" if kind.__module__.startswith("tensorgraft") else kind.__name__


def _window_args(name, window_length, args, kwargs, params):
    """The optional arguments of PyTorch's overloaded windows (``params``: (name, default) in
    order), read as its parser reads them: each needs all before it, by position or by name, so
    ``kaiser_window(6, beta=8.0)`` is a TypeError with PyTorch's message (which lists the
    positional types, then the keywords latest first). Returns (values, the creation options)."""
    names = [p for p, _ in params]
    by_name = {k: v for k, v in kwargs.items() if k in names}
    given = names[:len(args)] + list(by_name)
    if (len(args) > len(names) or set(given) != set(names[:len(given)]) or len(set(given)) != len(given)
            or any(k not in names and k not in _OPTIONS for k in kwargs)):
        got = [_arg_type(window_length)] + [_arg_type(v) for v in args]
        got += [f"{k}={_arg_type(v)}" for k, v in reversed(kwargs.items())]
        overloads = [("int window_length",)]
        overloads += [("int window_length",) + tuple(f"{'bool' if p == 'periodic' else 'float'} {p}"
                                                     for p in names[:i + 1]) for i in range(len(names))]
        lines = "".join(f" * ({', '.join(o + (_SIGNATURE_TAIL,))})\n" for o in overloads)
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), "
                        f"but expected one of:\n{lines}")
    values = dict(params)
    values.update(zip(names, args))
    values.update(by_name)
    options = {k: v for k, v in kwargs.items() if k in _OPTIONS}
    return [values[p] for p in names], options


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _hamming_values(0.5, 0.5))


def hamming_window(window_length, *args, **kwargs):
    """hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None,
    device=None, pin_memory=False, requires_grad=False)"""
    (periodic, alpha, beta), options = _window_args("hamming_window", window_length, args, kwargs,
                                                    (("periodic", True), ("alpha", 0.54), ("beta", 0.46)))
    return _window("hamming_window", window_length, periodic, options.get("dtype"), options.get("device"),
                   options.get("requires_grad", False), _hamming_values(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, _blackman_values)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, _bartlett_values)


def kaiser_window(window_length, *args, **kwargs):
    """kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
    pin_memory=False, requires_grad=False)"""
    (periodic, beta), options = _window_args("kaiser_window", window_length, args, kwargs,
                                             (("periodic", True), ("beta", 12.0)))

    def values(xp, n, N, dtype):
        half = (N - 1) / 2
        w = xp.i0(beta * xp.sqrt(xp.clip(1 - ((n - half) / half) ** 2, 0, None))) / xp.i0(xp.asarray(float(beta)))
        return w.astype(dtype)
    return _window("kaiser_window", window_length, periodic, options.get("dtype"), options.get("device"),
                   options.get("requires_grad", False), values)


WINDOWS = ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window")
