"""Gradients of ``tensorgraft/ops/spectral.py``: PyTorch's ``fft_r2c_backward``/``fft_c2r_backward``.

The one-sided transforms' gradients are not the naive adjoints: r2c's pads the half spectrum back
to full length with zeros before the inverse c2c, and c2r's doubles the bins that stand for two
(conjugate) bins of the full spectrum. Both are what PyTorch computes."""
from __future__ import annotations

import tensorgraft as tg
from tensorgraft.ops.spectral import fft_c2c, fft_r2c

from . import formula


@formula("_fft_c2c", saves=(), node="FftC2CBackward0")
def fft_c2c_backward(node, g):
    a = node.attrs
    return (fft_c2c(g, a["dims"], a["norm"], not a["arg"]),)


@formula("_fft_r2c", saves=(), node="FftR2CBackward0")
def fft_r2c_backward(node, g):
    a = node.attrs
    dims, last = a["dims"], a["dims"][-1]
    if a["arg"]:  # onesided: the missing half of the spectrum got no gradient
        missing = a["size"] - g.shape[last]
        if missing > 0:
            shape = list(g.shape)
            shape[last] = missing
            g = tg.cat([g, g.new_zeros(shape)], last)
    return (fft_c2c(g, dims, a["norm"], False).real,)


@formula("_fft_c2r", saves=(), node="FftC2RBackward0")
def fft_c2r_backward(node, g):
    a = node.attrs
    dims, last = a["dims"], a["dims"][-1]
    gi = fft_r2c(g, dims, a["norm"], True)
    double = g.shape[last] - gi.shape[last]
    if double > 0:
        scale = [1.0] + [2.0] * double + [1.0] * (gi.shape[last] - 1 - double)
        shape = [1] * gi.ndim
        shape[last] = gi.shape[last]
        gi = gi * tg.tensor(scale, dtype=g.dtype, device=g.device).reshape(shape)
    return (gi,)
