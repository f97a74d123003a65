"""``tensorgraft.fft``: the ``torch.fft`` namespace (discrete Fourier transforms).

Each transform resizes its input (``n``/``s``: zero-pad or trim, recorded as ordinary ops) and calls
one of PyTorch's three primitives from ``ops/spectral.py``, so dtypes (float32 -> complex64, integers
promoted to the default float dtype), ``grad_fn`` names and gradients are PyTorch's. ``norm`` is
``"backward"`` (default: 1/n on the inverse), ``"ortho"`` (1/sqrt(n) both ways) or ``"forward"``.
"""
from __future__ import annotations

import numpy as np
from tensorgraft.argument_errors import c_type_name, not_a_tensor

from . import dtypes as _dt
from .ops import _frontend as F
from .ops.spectral import fft_c2c, fft_c2r, fft_r2c
from .tensor import Tensor
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _norm(norm, forward):
    """PyTorch's ``norm_from_string``: 0 = none, 1 = 1/sqrt(n), 2 = 1/n."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "forward":
        return 2 if forward else 0
    if norm == "ortho":
        return 1
    raise RuntimeError(f"Invalid normalization mode: \"{norm}\"")


def _promote(x, fname, require_complex=False):
    if not isinstance(x, Tensor):
        raise not_a_tensor(f"fft_{fname}", "input", 1, x)
    kind = _np_kind(x._data.dtype)
    if x._data.dtype.name == "float16":
        raise RuntimeError("Unsupported dtype Half")
    if x._data.dtype is _dt.BF16:
        raise RuntimeError("Unsupported dtype BFloat16")  # PyTorch's CPU FFT takes neither half type
    if kind not in "fc":
        x = x.to(_dt.get_default_dtype())
    if require_complex and not x.is_complex():
        x = x.to(_complex_of(x))
    return x


def _require_real(x, fname):
    if x.is_complex():
        raise RuntimeError(f"{fname} expects a real input tensor, but got {F._type_name(x._data.dtype)}")


def _wrap(d, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    n = ndim
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) or type(v).__name__ in ("int64", "int32")


def _check_args(fname, n=None, dim=None, norm=None, *, sized="n"):
    """PyTorch's argument parser: wrong-typed ``n``/``s``, ``dim`` and ``norm`` are TypeErrors."""
    where = f"fft_{fname}(): argument"
    if sized == "n":
        if n is not None and not _is_int(n):
            raise TypeError(f"{where} 'n' must be int, not {c_type_name(n)}")
        if not _is_int(dim):
            raise TypeError(f"{where} 'dim' must be int, not {c_type_name(dim)}")
    else:
        for name, v in (("s", n), ("dim", dim)):
            if v is not None and not _is_int(v) and not all(_is_int(e) for e in v):
                raise TypeError(f"{where} '{name}' must be tuple of ints, not {c_type_name(v)}")
    if norm is not None and not isinstance(norm, str):
        raise TypeError(f"{where} 'norm' must be str, not {c_type_name(norm)}")


def _check_n(n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(fname, impl, forward, input, n, dim, norm, out):
    """fft, ifft, rfft, irfft, hfft, ihfft: ``impl``, the n-dimensional transform, over the one ``dim``."""
    if not isinstance(input, Tensor):  # PyTorch's parser reads the arguments in order: the input first
        raise not_a_tensor(f"fft_{fname}", "input", 1, input)
    _check_args(fname, n, dim, norm)
    _check_out_kind(fname, out)
    _check_n(n)
    return _out(impl(fname, input, None if n is None else [n], [dim], norm, forward), out, fname)


def _n_dims(fname, impl, forward, input, s, dim, norm, out):
    """The 2- and n-dimensional transforms (fft2, fftn, ...): ``impl`` with the arguments checked."""
    if not isinstance(input, Tensor):
        raise not_a_tensor(f"fft_{fname}", "input", 1, input)
    _check_args(fname, s, dim, norm, sized="s")
    _check_out_kind(fname, out)
    return _out(impl(fname, input, s, dim, norm, forward), out, fname)


def _check_out_kind(fname, out):
    """PyTorch refuses an ``out`` of the wrong kind (real for a complex result, or the reverse) before
    looking at the input."""
    if out is None:
        return
    if not isinstance(out, Tensor):
        raise not_a_tensor(f"fft_{fname}", "out", None, out)
    real_result = fname.startswith(("irfft", "hfft"))
    fname = fname[:-1] + "n" if fname.endswith("2") else fname  # (the 2-D ones are fftn's, named so)
    if real_result and _np_kind(out._data.dtype) == "c":
        raise RuntimeError(f"{fname} expects a floating point output tensor, but got {F._type_name(out._data.dtype)}")
    if not real_result and _np_kind(out._data.dtype) != "c":
        raise RuntimeError(f"{fname} expects a complex output tensor, but got {F._type_name(out._data.dtype)}")


def _resize(x, dims, sizes):
    """Zero-pad or trim ``x`` along ``dims`` to ``sizes`` (PyTorch's ``resize_fft_input``)."""
    for d, n in zip(dims, sizes):
        cur = x.shape[d]
        if n < cur:
            x = x.narrow(d, 0, n)
        elif n > cur:
            shape = list(x.shape)
            shape[d] = n - cur
            x = _cat(x, x.new_zeros(shape), d)
    return x


def _cat(a, b, d):
    from .registry import registry
    return registry.ops["cat"].frontend([a, b], d)


def _out(res, out, fname):
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise not_a_tensor(f"fft_{fname}", "out", None, out)
    if fname == "ihfft" and out._data.dtype != res._data.dtype:
        # (PyTorch writes ihfft's conjugate through a copy that wants the exact dtype)
        raise RuntimeError(f"Found dtype {F._type_name(out._data.dtype)} but expected {F._type_name(res._data.dtype)}")
    return F.write_out(out, res._data, fname)


def _canon(x, s, dim, fname):
    """(dims, sizes) of an n-dimensional transform, as PyTorch's ``canonicalize_fft_shape_and_dim_args``."""
    ndim = x.ndim
    if dim is not None:
        dim = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap(d, ndim) for d in dim]
        if s is not None and len(s) != len(dim):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        dims = list(range(ndim - len(s), ndim))
    else:
        dims = list(range(ndim))
    if s is not None:
        sizes = [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]
        for n in sizes:
            if n < 1:
                raise RuntimeError(f"Invalid number of data points ({n}) specified")
    else:
        sizes = [x.shape[d] for d in dims]
    return dims, sizes


# --------------------------------------------------------------------------- complex transforms
def _c2c_or_r2c(x, dims, norm, forward, one_dim):
    if not one_dim and not x.is_complex():
        # PyTorch's n-dimensional transforms copy a real input to complex first, so the node is FftC2C
        x = x.to(_complex_of(x))
    if x.is_complex():
        return fft_c2c(x, dims, _norm(norm, forward), forward)
    # a real input: the full (two-sided) spectrum of the forward transform; the inverse is its conjugate
    out = fft_r2c(x, dims, _norm(norm, forward), False)
    return out if forward else out.conj()


def _check_sizes(sizes):
    """A transformed dim of length 0 taken from the input (no ``n``/``s`` given) is refused as a
    given one is: with PyTorch's RuntimeError, not NumPy's ValueError."""
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _fftn_impl(fname, x, s, dim, norm, forward):
    x = _promote(x, fname)
    dims, sizes = _canon(x, s, dim, fname)
    _check_sizes(sizes)
    if not dims:
        return x.to(_complex_of(x)) if not x.is_complex() else x.clone()
    return _c2c_or_r2c(_resize(x, dims, sizes), dims, norm, forward, fname in ("fft", "ifft"))


def _complex_of(x):
    return _dt.complex128 if x.dtype is _dt.float64 else _dt.complex64


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """One-dimensional discrete Fourier transform."""
    return _one_dim("fft", _fftn_impl, True, input, n, dim, norm, out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    return _one_dim("ifft", _fftn_impl, False, input, n, dim, norm, out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("fft2", _fftn_impl, True, input, s, dim, norm, out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("ifft2", _fftn_impl, False, input, s, dim, norm, out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("fftn", _fftn_impl, True, input, s, dim, norm, out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("ifftn", _fftn_impl, False, input, s, dim, norm, out)


# --------------------------------------------------------------------------- real <-> half spectrum
def _rfftn_impl(fname, x, s, dim, norm, forward):
    """rfft (forward) and ihfft (not forward: conj of the onesided r2c, inverse normalization)."""
    x = _promote(x, fname)
    family = fname.rstrip("2n") + "n"  # PyTorch words rfft2's errors as rfftn's
    if x.is_complex():
        if fname in ("rfft", "ihfft"):
            _require_real(x, fname)
        if forward:
            raise RuntimeError(f"{family} expects a real-valued input tensor, but got {F._type_name(x._data.dtype)}")
    dims, sizes = _canon(x, s, dim, fname)
    if x.is_complex():  # ihfftn checks its arguments before the dtype
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {F._type_name(x._data.dtype)}")
    if not dims:
        raise RuntimeError(f"{family} must transform at least one axis")
    _check_sizes(sizes)
    x = _resize(x, dims, sizes)
    if forward or len(dims) == 1:
        out = fft_r2c(x, dims, _norm(norm, forward), True)
        return out if forward else out.conj()
    # ihfftn over several dims, as PyTorch: one-sided r2c on the last, a physical conj, then inverse c2c
    half = fft_r2c(x, dims[-1:], _norm(norm, False), True).conj_physical()
    return fft_c2c(half, dims[:-1], _norm(norm, False), False)


def _irfftn_impl(fname, x, s, dim, norm, forward):
    """irfft (inverse) and hfft (forward: c2r of the conjugate, forward normalization)."""
    x = _promote(x, fname, require_complex=True)
    dims, sizes = _canon(x, s, dim, fname)
    if not dims:
        raise RuntimeError(f"{fname.rstrip('2n') + 'n'} must transform at least one axis")
    last = sizes[-1] if s is not None and s[-1] != -1 else 2 * (x.shape[dims[-1]] - 1)
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    x = _resize(x, dims, sizes[:-1] + [last // 2 + 1])
    if forward:
        x = x.conj()
    return fft_c2r(x, dims, _norm(norm, forward), last)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-sided spectrum (``n // 2 + 1`` bins) of a real signal."""
    return _one_dim("rfft", _rfftn_impl, True, input, n, dim, norm, out)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of ``rfft``; ``n`` (default ``2 * (m - 1)``) is the output length."""
    return _one_dim("irfft", _irfftn_impl, False, input, n, dim, norm, out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("rfft2", _rfftn_impl, True, input, s, dim, norm, out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("irfft2", _irfftn_impl, False, input, s, dim, norm, out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("rfftn", _rfftn_impl, True, input, s, dim, norm, out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("irfftn", _irfftn_impl, False, input, s, dim, norm, out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The real spectrum of a Hermitian-symmetric signal given by its first half."""
    return _one_dim("hfft", _irfftn_impl, True, input, n, dim, norm, out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    return _one_dim("ihfft", _rfftn_impl, False, input, n, dim, norm, out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("hfft2", _irfftn_impl, True, input, s, dim, norm, out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _n_dims("ihfft2", _rfftn_impl, False, input, s, dim, norm, out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("hfftn", _irfftn_impl, True, input, s, dim, norm, out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _n_dims("ihfftn", _rfftn_impl, False, input, s, dim, norm, out)


# --------------------------------------------------------------------------- helpers
def _freq(n, d, dtype, device, requires_grad, onesided):
    from .ops.conversion import resolve_device
    from .ops.creation import _check_dtype, _create, _make
    fname = "rfftfreq" if onesided else "fftfreq"
    if not _is_int(n):
        raise TypeError(f"fft_{fname}(): argument 'n' (position 1) must be int, not {c_type_name(n)}")
    dtype = _check_dtype(dtype, fname) or _dt.get_default_dtype()
    if _np_kind(dtype.np) not in "fc":
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    if _np_kind(dtype.np) == "c":
        # PyTorch builds the frequencies with arange in the requested dtype, which has no complex kernel
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{F._type_name(dtype.np)}'")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dev = resolve_device(device)

    def make(xp):
        # PyTorch's formula, which also defines n == 0 (empty, or [nan] one-sided) and d == 0 (inf)
        k = xp.arange(n // 2 + 1 if onesided else n, dtype=xp.float64)
        if not onesided:
            k[(n + 1) // 2:] -= n
        with np.errstate(divide="ignore", invalid="ignore"):  # CuPy never warns; NumPy would
            f = k / (n * float(d))
        return f.astype(dtype.np)
    return _make(_create(dev, make), dev, requires_grad)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of a length-``n`` transform with sample spacing ``d``."""
    return _out(_freq(n, d, dtype, device, requires_grad, False), out, "fftfreq")


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _out(_freq(n, d, dtype, device, requires_grad, True), out, "rfftfreq")


def _shift(input, dim, inverse):
    if not isinstance(input, Tensor):
        raise not_a_tensor("fft_ifftshift" if inverse else "fft_fftshift", "input", 1, input)
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [_wrap(d, input.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    if not dims:
        return input.clone()
    shifts = [(input.shape[d] + 1) // 2 if inverse else input.shape[d] // 2 for d in dims]
    return input.roll(shifts, dims)


def fftshift(input, dim=None):
    """Moves the zero-frequency bin to the centre (a ``roll`` by ``n // 2``)."""
    return _shift(input, dim, False)


def ifftshift(input, dim=None):
    return _shift(input, dim, True)


# PyTorch's fft functions are C++-bound: its argument parser takes ``axis=`` for ``dim=``
for _name in __all__:
    globals()[_name] = F.with_axis_alias(globals()[_name], _name)
del _name
