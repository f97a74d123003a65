"""Histograms: ``histc``, ``histogram`` and ``histogramdd``, with PyTorch's binning rules.

Elements outside ``[leftmost, rightmost]`` edge (and NaNs) are not counted; the last bin includes
its right edge. ``histc`` finds the bin by linear interpolation in the input's dtype, as PyTorch's
CPU kernel does (an element next to an interior edge may land on either side of it); the others
search the bin edges (``searchsorted``), which is where PyTorch's local search ends up. Counting
is one ``bincount`` over the flattened bin index of every element, so it stays on the device.
Only the outer edges are read on the host when the range comes from the data (PyTorch does too).
None of these are differentiable.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..tensor import Tensor, wrap
from . import _frontend as F
from ._define import CORE_OPS, defop
from ._return_types import return_type
from tensorgraft.dtypes import BF16, np_kind as _np_kind

_FIRST = len(CORE_OPS)

HistogramResult = return_type("histogram", ("hist", "bin_edges"))
HistogramddResult = return_type("histogramdd", ("hist", "bin_edges"))

_C_FLOAT = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def _mk(shape, dtype, device, seed, lo=-2.0, hi=2.0):
    from ..testing import make_tensor
    return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)


def _num(v: float) -> str:
    """A double as C++'s ostream prints it (``1``, ``2.5``, ``inf``)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def _xp(t):
    from ..device import get_backend
    return get_backend(t._device).xp


def _check_bins(bins, dim):
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension {dim}")


def _count(xp, positions, valid, weights, nbins, dtype):
    """Counts (or summed weights) per flattened bin index, in ``dtype``."""
    idx = xp.where(valid, positions, 0).reshape(-1)
    w = valid.reshape(-1).astype(np.float64)
    if weights is not None:
        w = w * weights.reshape(-1).astype(np.float64)
    return xp.bincount(idx, weights=w, minlength=nbins)[:nbins].astype(dtype)


# =========================================================================== histc
def _histc_kernel(xp, a, bins, lo, hi):
    t = a.dtype.type
    lo, hi = t(lo), t(hi)
    valid = (a >= lo) & (a <= hi)
    # PyTorch's linear interpolation, in the input dtype: (x - lo) * bins / (hi - lo)
    pos = xp.where(valid, (a - lo) * t(bins) / (hi - lo), t(0)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)  # the last bin holds its right edge
    return _count(xp, pos, valid, None, bins, a.dtype)


def _histc_frontend(op):
    table = op.table

    def histc(input, bins=100, min=0, max=0, *, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("histc", "input", 1, input)
        a = input._data
        if _np_kind(a.dtype) != "f":
            raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{F._type_name(a.dtype)}'")
        _check_bins(bins, 0)
        lo, hi = float(min), float(max)
        if lo == hi and a.size:
            xp = _xp(input)
            lo, hi = float(xp.min(a)), float(xp.max(a))
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not all(math.isfinite(v) for v in (lo, hi)):
            # PyTorch's CPU min/max give a negative NaN, printed "-nan"
            raise RuntimeError(f"torch.histc: range of [{'-nan' if math.isnan(lo) else _num(lo)}, "
                               f"{'-nan' if math.isnan(hi) else _num(hi)}] is not finite")
        if not lo < hi:
            raise RuntimeError("torch.histc: max must be larger than min")
        # the kernel sees the edges as PyTorch does: rounded to the input's dtype
        res = wrap(table[input._device.type](a, int(bins), lo, hi), input._device)
        if out is not None:
            F.write_out(out, res._data, "histc")
            return out
        return res
    return histc


def _histc_samples(dtype, device):
    from .creation import tensor
    x = _mk((4, 5), dtype, device, 170, -3.0, 3.0)
    edges = tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], dtype=dtype, device=device)
    return [((x,), {}), ((x, 7), {}), ((x, 4, -1.0, 1.0), {}), ((edges, 3), {}), ((edges, 5, 2, 2), {})]


def _histc_reference(a, bins=100, min=0, max=0):
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(a, bins, range=(lo, hi))[0]


defop("histc", kernel=_histc_kernel, frontend=_histc_frontend, differentiable=False, samples=_histc_samples,
      reference=_histc_reference)


# =========================================================================== histogramdd (and histogram)
def _histdd_kernel(xp, a, edges, weights, density):
    """``a``: (N, D) samples; ``edges``: D arrays of bin edges; returns the D-dimensional histogram."""
    shape = tuple(int(e.shape[0]) - 1 for e in edges)
    n = a.shape[0]
    flat = xp.zeros((n,), dtype=np.int64)
    valid = xp.ones((n,), dtype=bool)
    for d, e in enumerate(edges):
        x = a[:, d]
        nb = shape[d]
        valid &= (x >= e[0]) & (x <= e[-1])
        pos = xp.searchsorted(e, x, side="right").astype(np.int64) - 1
        pos = xp.minimum(xp.maximum(pos, 0), nb - 1)  # x == last edge -> the last bin
        flat = flat * nb + pos
    total = int(np.prod(shape))
    hist = _count(xp, flat, valid, weights, total, a.dtype).reshape(shape)
    if density:
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            view = [1] * len(shape)
            view[d] = shape[d]
            hist = hist / (e[1:] - e[:-1]).reshape(view)
    return hist


def _outer_edges(input2d, xp, a, ranges, dim):
    """(leftmost, rightmost) of dimension ``dim``: the range given, else the data's, else [0, 1]."""
    if ranges is not None:
        lo, hi = float(ranges[2 * dim]), float(ranges[2 * dim + 1])
    elif a.shape[0]:
        col = a[:, dim]
        lo, hi = float(xp.min(col)), float(xp.max(col))
    else:
        lo, hi = 0.0, 1.0
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{_num(lo)}, {_num(hi)}] is not finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_num(lo)} max {_num(hi)} "
                           f"for dimension {dim}")
    return lo, hi


def _histdd(name, input2d, bins, ranges, weight, density, table):
    """Shared by histogram (input viewed as (N, 1)) and histogramdd: checks, edges, counts."""
    from .creation import linspace
    a = input2d._data
    dev = input2d._device
    if _np_kind(a.dtype) != "f" or a.dtype is BF16:  # (PyTorch's kernel has no bfloat16)
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{F._type_name(a.dtype)}'")
    D = a.shape[-1]
    a = a.reshape(-1, D)
    xp = _xp(input2d)
    if weight is not None:
        if not isinstance(weight, Tensor):
            raise TypeError(f"{name}(): argument 'weight' must be Tensor, not {type(weight).__name__}")
        if tuple(weight._data.shape) != tuple(input2d._data.shape[:-1]):
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               "input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(input2d._data.shape)} and weight with shape {list(weight._data.shape)}")
        if weight._data.dtype != a.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                               f"have the same dtype, but got input({_C_FLOAT.get(a.dtype.name, a.dtype.name)}), "
                               f"and weight({_C_FLOAT.get(weight._data.dtype.name, weight._data.dtype.name)})")
        if weight._device is not dev:
            raise F.device_mismatch(name, input2d, weight)
    edges = []
    if isinstance(bins, (list, tuple)) and bins and all(isinstance(b, Tensor) for b in bins):
        if len(bins) != D:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
        for d, b in enumerate(bins):
            e = b._data
            if e.ndim != 1:
                raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {e.ndim} "
                                   f"dimensions in the bins tensor for dimension {d}")
            _check_bins(e.shape[0] - 1 if e.shape[0] else 0, d)
            if e.dtype != a.dtype:
                raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                                   f"got input with dtype {_C_FLOAT.get(a.dtype.name, a.dtype.name)} and bins for "
                                   f"dimension {d} with dtype {_C_FLOAT.get(e.dtype.name, e.dtype.name)}")
            if b._device is not dev:
                raise F.device_mismatch(name, input2d, b)
            edges.append(wrap(e.copy(), dev))  # returned as a copy of the given edges, as PyTorch's
    else:
        counts = [bins] * D if isinstance(bins, numbers.Integral) else list(bins)
        if len(counts) != D:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
        for d, nb in enumerate(counts):
            _check_bins(nb, d)
        if ranges is not None and len(ranges) != 2 * D:
            raise RuntimeError(f"torch.histogramdd: for a {D}-dimensional histogram range should have {2 * D} "
                               f"elements, but got {len(ranges)}")
        for d, nb in enumerate(counts):
            lo, hi = _outer_edges(input2d, xp, a, ranges, d)
            edges.append(linspace(lo, hi, int(nb) + 1, dtype=input2d.dtype, device=dev))
    w = None if weight is None else weight._data
    hist = wrap(table[dev.type](a, [e._data for e in edges], w, bool(density)), dev)
    return hist, edges


def _histogram_frontend(op):
    table = op.table

    def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("histogram", "input", 1, input)
        if range is not None and len(range) != 2:
            raise RuntimeError(f"torch.histogramdd: for a 1-dimensional histogram range should have 2 elements, but "
                               f"got {len(range)}")
        if isinstance(bins, Tensor):
            bins = [bins]
        elif not isinstance(bins, numbers.Integral) or isinstance(bins, bool):
            raise TypeError(f"histogram(): argument 'bins' must be int or Tensor, not {type(bins).__name__}")
        w = weight.reshape(-1) if isinstance(weight, Tensor) else weight
        hist, edges = _histdd("histogram", input.reshape(-1, 1), bins, range, w, density, table)
        hist = hist.reshape(-1)
        edge = edges[0]
        if out is not None:
            return F.write_outs(out, (hist, edge), "histogram", HistogramResult)
        return HistogramResult(hist, edge)
    return histogram


def _histogramdd_frontend(op):
    table = op.table

    def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("histogramdd", "input", 1, input)
        if input._data.ndim < 2:
            raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
        if isinstance(bins, Tensor):
            raise TypeError("histogramdd(): argument 'bins' must be int, a sequence of ints or a sequence of "
                            "Tensors, not Tensor")
        hist, edges = _histdd("histogramdd", input, bins, range, weight, density, table)
        return HistogramddResult(hist, tuple(edges))
    return histogramdd


def _histogram_samples(dtype, device):
    from .creation import tensor
    x = _mk((3, 5), dtype, device, 171, -3.0, 3.0)
    w = _mk((3, 5), dtype, device, 172, 0.5, 2.0)
    e = tensor([-2.0, -0.5, 0.0, 1.0, 2.5], dtype=dtype, device=device)
    return [((x,), {}), ((x, 6), {"weight": w}), ((x, 4), {"range": (-1.0, 1.0), "density": True}),
            ((x, e), {}), ((x, e), {"weight": w, "density": True})]


def _histogram_reference(a, bins=100, range=None, weight=None, density=False):
    h, e = np.histogram(a.reshape(-1), bins, range=range, weights=None if weight is None else weight.reshape(-1),
                        density=density)
    return h, e


def _histogramdd_samples(dtype, device):
    from .creation import tensor
    x = _mk((7, 2), dtype, device, 173, -3.0, 3.0)
    w = _mk((7,), dtype, device, 174, 0.5, 2.0)
    e0 = tensor([-3.0, 0.0, 1.5, 3.0], dtype=dtype, device=device)
    e1 = tensor([-2.0, 2.0], dtype=dtype, device=device)
    return [((x,), {}), ((x, [3, 2]), {"weight": w}), ((x, 2), {"range": [-1.0, 1.0, -2.0, 2.0], "density": True}),
            ((x, [e0, e1]), {"weight": w})]


def _histogramdd_reference(a, bins=10, range=None, weight=None, density=False):
    rng = None if range is None else [(range[2 * i], range[2 * i + 1]) for i in builtins_range(a.shape[-1])]
    return np.histogramdd(a, bins, range=rng, weights=weight, density=density)[0]


builtins_range = range

defop("histogram", kernel=_histdd_kernel, frontend=_histogram_frontend, differentiable=False,
      samples=_histogram_samples, reference=_histogram_reference)
defop("histogramdd", kernel=_histdd_kernel, frontend=_histogramdd_frontend, method=False, differentiable=False,
      samples=_histogramdd_samples, reference=_histogramdd_reference)

HISTOGRAM_OPS = CORE_OPS[_FIRST:]
