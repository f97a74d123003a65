"""``tensorgraft.signal.windows``: window functions of ``torch.signal.windows`` (SciPy's names).

Every window is evaluated at the sample positions ``0 .. M-1`` of a symmetric window (``sym=True``:
for filter design) or of a periodic one (``sym=False``: for spectral analysis, where it behaves like
the first ``M`` points of a window one sample longer). With ``requires_grad=True`` the positions are
a leaf that requires grad and the window is computed from it with ordinary ops, so the result has
the ``grad_fn`` PyTorch shows (``SumBackward1`` for the cosine sums, ``ExpBackward0``...).

The argument checks and their messages are PyTorch's; the cosine-sum windows (hann, hamming,
nuttall, general_hamming) report errors under ``general_cosine``, which they are built on.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from tensorgraft.argument_errors import c_type_name

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]

# Nuttall's 4-term window with a continuous first derivative (SciPy's and PyTorch's coefficients)
_NUTTALL = (0.3635819, 0.4891775, 0.1365995, 0.0106411)


def _tg():
    import tensorgraft
    return tensorgraft


def _check(name, M, dtype, layout):
    """PyTorch's order: the length, then the dtype, then the layout."""
    if not isinstance(M, int) or isinstance(M, bool):
        raise TypeError(f"{name}(): argument 'M' must be int, not {c_type_name(M)}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    tg = _tg()
    if dtype is not None and dtype not in (tg.float32, tg.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")


def _positions(M, dtype, device, requires_grad):
    """The sample positions 0..M-1 as a float tensor; the window is computed from them."""
    tg = _tg()
    return tg.arange(M, dtype=dtype or tg.get_default_dtype(), device=device, requires_grad=requires_grad)


def _trivial(M, dtype, device, requires_grad):
    """Length 0 or 1: empty, or the single sample 1 (no computation, so no grad_fn)."""
    tg = _tg()
    return tg.ones(M, dtype=dtype or tg.get_default_dtype(), device=device, requires_grad=requires_grad)


def _span(M, sym):
    """The denominator that maps positions to a full period: M - 1 for a symmetric window, M for a
    periodic one (its length-(M+1) symmetric twin). A single sample is always the symmetric
    window's (the value 1), as in PyTorch."""
    return M - 1 if sym or M == 1 else M


def general_cosine(M, *, a: Iterable, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False):
    """``w[n] = sum_k (-1)^k a[k] cos(2 pi k n / span)``."""
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    _check("general_cosine", M, dtype, layout)
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    tg = _tg()
    n = _positions(M, dtype, device, requires_grad)
    phase = n * (2 * math.pi / _span(M, sym))
    terms = [(-1) ** k * float(c) * tg.cos(k * phase) for k, c in enumerate(a)]
    return tg.stack(terms).sum(0)


def general_hamming(M, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    """``alpha - (1 - alpha) cos(2 pi n / span)``: hann is alpha = 0.5, hamming alpha = 0.54."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_cosine(M, a=_NUTTALL, sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    """The 3-term cosine sum 0.42, 0.5, 0.08 (its errors name ``blackman``)."""
    _check("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    """The triangle ``1 - |2n / span - 1|``, zero at both ends of a symmetric window."""
    _check("bartlett", M, dtype, layout)
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    n = _positions(M, dtype, device, requires_grad)
    return 1 - (n * (2.0 / _span(M, sym)) - 1).abs()


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    """The half sine ``sin(pi (n + 1/2) / length)`` (length M, or M + 1 when periodic); it never
    reaches zero, so even M = 1 is computed."""
    _check("cosine", M, dtype, layout)
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    tg = _tg()
    n = _positions(M, dtype, device, requires_grad)
    return tg.sin((n + 0.5) * (math.pi / (_span(M, sym) + 1)))


def exponential(M: int, *, center=None, tau: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,
                requires_grad: bool = False):
    """The Poisson window ``exp(-|n - center| / tau)``; ``center`` defaults to the middle and may
    only be moved on a periodic window."""
    _check("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    tg = _tg()
    if center is None:
        center = _span(M, sym) / 2
    n = _positions(M, dtype, device, requires_grad)
    return tg.exp(-(n - center).abs() / tau)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False):
    """``exp(-((n - mid) / std)^2 / 2)`` around the window's middle."""
    _check("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _trivial(M, dtype, device, requires_grad)
    tg = _tg()
    n = _positions(M, dtype, device, requires_grad)
    z = (n - _span(M, sym) / 2) / std
    return tg.exp(-(z * z) / 2)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False):
    """``I0(beta sqrt(1 - ((n - mid) / mid)^2)) / I0(beta)``: larger beta, narrower main lobe."""
    _check("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    tg = _tg()
    n = _positions(M, dtype, device, requires_grad)
    mid = _span(M, sym) / 2
    r = (n - mid) / mid
    # clamp: rounding can push 1 - r^2 a hair below 0 at the ends
    inside = (1 - r * r).clamp(min=0)
    return tg.i0(beta * inside.sqrt()) / tg.i0(tg.tensor(float(beta), dtype=n.dtype, device=n.device))
