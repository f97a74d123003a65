"""A transposed convolution's forward as a few ordinary stride-1 convolutions, one per output phase
(the "sub-pixel" decomposition), for any number of spatial dims.

The scatter form (a conv's input gradient: one GEMM to columns of Cout*K values per INPUT position,
then a col2im of K slice-adds) materialises a columns array K times the size of the uncropped
output, every value of it written and read again. For a 3-D kernel of 30 taps over a batch of
volumes that is gigabytes, the GEMM runs at memory speed (its inner dimension is only Cin), and the
rows and columns that ``padding`` crops off are computed too. (PyTorch's ConvTranspose3d docstring
example, 20 volumes of 16x10x50x100: 5.1 s against PyTorch's 0.66 s; about 1 s here, 2 threads.)

Here each output position is gathered instead. With u = o + padding the uncropped output index,
input i and kernel tap k meet where u = i * stride + k * dilation. Fix the phase u mod stride: the
taps that reach it are those with k * dilation congruent to it, evenly spaced, and the inputs they
read move one step per output step of that phase. So each phase's outputs are a plain stride-1
correlation of the input with those taps (flipped, in a dilation of dilation / gcd(stride,
dilation)), computed only over the outputs that survive the crop, with the cache-friendly
chunked kernels of conv3d.py, and written straight into the strided slice of the result they fill.
The GEMM's inner dimension becomes Cin * taps (efficient), and nothing batch-sized but the output
is ever allocated. A phase no tap reaches is zero (plus the bias)."""
from __future__ import annotations

import itertools
import math

import numpy as np

# dtypes the GEMM kernels take directly (bfloat16 and float16 keep the scatter path)
_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex64), np.dtype(np.complex128))
# Below this many output positions per phase (and sample) the per-chunk GEMMs of the flat kernel are
# too small to pay: one GEMM over the whole batch (im2col) takes the phase (as conv.py's _FLAT_MIN_AREA).
_FLAT_MIN_POSITIONS = 64
# The scatter form's columns past which it is not even tried (they would take this many bytes)
_SCATTER_MAX_BYTES = 1 << 28
# Below this many input positions per sample the scatter form's columns are small and its one GEMM
# over the whole batch wins (a DCGAN's 1x1, 2x2 and 4x4 inputs: 1.5-6x; 8x8 and up the gather form)
_GATHER_MIN_INPUT = 48


def phases_pay(xp, x, w, s, G):
    """Whether the phase path should take this strided transposed conv (x (N, Cin, *in), w (Cin,
    Og, *k)); stride-1 ones keep the callers' flat paths. The two forms do the same multiplies;
    what differs is the traffic around the GEMM. The scatter form writes and reads columns of
    Og * K values per input position and its GEMM's inner dimension is Cin / G; the gather form
    copies Cin / G * K input values per position and its GEMM has Og rows. So the gather form pays
    when the output channels are not few against the input's. Measured (one thread, float32): 8,
    16, 32 or 64 input channels to 16-64 gather 1.5-4x faster, 3-D kernels more; a DCGAN's 512 -> 256,
    256 -> 128 (4x4 kernels, stride 2, 4x4 and 8x8 inputs, batch 64) and 128 -> 3 the scatter form
    1.4-5x faster, 128 -> 64 even. Tiny inputs scatter (_GATHER_MIN_INPUT). Columns past
    _SCATTER_MAX_BYTES always gather (the scatter form would page). NumPy only: this path has not
    been measured on a GPU, which keeps the scatter form."""
    if xp is not np or x.dtype not in _FAST_DTYPES or w.dtype != x.dtype or all(ss == 1 for ss in s):
        return False
    Cg, Og, positions = x.shape[1] // G, w.shape[1], math.prod(x.shape[2:])
    if positions >= _GATHER_MIN_INPUT and (Cg < 2 * Og or (Cg <= 64 and Og >= 8)):
        return True
    return G * Og * math.prod(w.shape[2:]) * positions * x.shape[0] * x.itemsize > _SCATTER_MAX_BYTES


def _dim_phases(n_in, k, s, p, d, n_out):
    """The phases of one spatial dim: (first output index, output count, taps (kernel indices in
    the order the correlation reads them), first input index read, the taps' input spacing)."""
    g = math.gcd(s, d)
    res = []
    for o0 in range(min(s, n_out)):
        u0 = o0 + p
        taps = [kk for kk in range(k - 1, -1, -1) if (u0 - kk * d) % s == 0]   # input index rising
        count = (n_out - o0 + s - 1) // s
        first = (u0 - taps[0] * d) // s if taps else 0
        res.append((o0, count, taps, first, d // g))
    return res


def _tap_slice(taps):
    step = taps[0] - taps[1] if len(taps) > 1 else 1
    return slice(taps[0], taps[-1] - 1 if taps[-1] > 0 else None, -step)


def _input_window(x_len, first, count, ntaps, dd):
    """The part of the input a phase reads along one dim, as (slice, pad_lo, pad_hi); None when it
    reads nothing but zero padding."""
    lo, hi = first, first + count + (ntaps - 1) * dd
    a, b = min(max(lo, 0), x_len), max(min(hi, x_len), 0)
    if b <= a:
        return None
    return slice(a, b), a - lo, hi - b


def conv_transpose_phases(xp, x, w, b, s, pads, d, G, out_sp):
    """x (N, Cin, *in), w (Cin, Og, *k), pads (lo, hi) per dim (a transposed conv's are equal;
    output_padding is in ``out_sp``) -> y (N, G*Og, *out_sp), C-contiguous."""
    from .conv3d import flat_forward  # (conv3d imports this module)
    from .conv_im2col import conv_forward
    N, Cin = x.shape[:2]
    Og, k = w.shape[1], w.shape[2:]
    Cg = Cin // G
    r = len(k)
    y = xp.empty((N, G * Og) + tuple(out_sp), dtype=x.dtype)
    dims = [_dim_phases(x.shape[2 + i], k[i], s[i], pads[2 * i], d[i], out_sp[i]) for i in range(r)]
    for combo in itertools.product(*dims):
        dest = (slice(None), slice(None)) + tuple(slice(o0, None, ss) for (o0, *_), ss in zip(combo, s))
        wins = [_input_window(x.shape[2 + i], first, count, len(taps), dd)
                for i, (o0, count, taps, first, dd) in enumerate(combo)]
        if any(not taps for _, _, taps, _, _ in combo) or any(wn is None for wn in wins):
            y[dest] = 0 if b is None else b.reshape((1, -1) + (1,) * r)
            continue
        xs = (slice(None), slice(None)) + tuple(wn[0] for wn in wins)
        ph_pads = tuple(pp for wn in wins for pp in wn[1:])
        dil = tuple(c[4] for c in combo)
        # (Cin, Og, *taps) -> a conv's (Og, Cin, *taps); the tap order already flips the kernel
        # (evenly spaced taps, descending: one negative-step slice per dim, a view)
        wk = w[(slice(None), slice(None)) + tuple(_tap_slice(c[2]) for c in combo)]
        positions = math.prod(c[1] for c in combo)
        for gi in range(G):
            xg = x[xs][:, gi * Cg:(gi + 1) * Cg]
            wg = xp.ascontiguousarray(wk[gi * Cg:(gi + 1) * Cg].swapaxes(0, 1))
            bg = None if b is None else b[gi * Og:(gi + 1) * Og]
            yg = y[dest][:, gi * Og:(gi + 1) * Og]
            if positions >= _FLAT_MIN_POSITIONS:
                flat_forward(xp, xg, wg, bg, ph_pads, dil, out=yg)
            else:
                yg[...] = conv_forward(xp, xg, wg, bg, (1,) * r, ph_pads, dil, 1)[0]
    return y
