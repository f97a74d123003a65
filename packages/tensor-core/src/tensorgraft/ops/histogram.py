"""Histograms: ``histc``, ``histogram`` and ``histogramdd``, with PyTorch's binning rules.

Elements outside ``[leftmost, rightmost]`` edge (and NaNs) are not counted; the last bin includes
its right edge. ``histc`` finds the bin by linear interpolation in the input's dtype, as PyTorch's
CPU kernel does (an element next to an interior edge may land on either side of it); the others
search the bin edges (``searchsorted``), which is where PyTorch's local search ends up. Counting
is one ``bincount`` over the flattened bin index of every element, so it stays on the device.
Only the outer edges are read on the host when the range comes from the data (PyTorch does too).
None of these are differentiable: ``histc`` records nothing, while PyTorch gives ``histogram``'s and
``histogramdd``'s results a ``NotImplemented`` node whose backward raises (``_no_derivative``).
"""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ..tensor import Tensor, wrap
from . import _frontend as F
from ._args import arg_position, bind_arguments, invalid_combination, is_int, method_and_function, wrong_type
from ._define import CORE_OPS, defop
from ._return_types import return_type
from tensorgraft.dtypes import BF16, np_kind as _np_kind
from tensorgraft.dtypes import CPP_TYPE_NAMES

_FIRST = len(CORE_OPS)

HistogramResult = return_type("histogram", ("hist", "bin_edges"))
HistogramddResult = return_type("histogramdd", ("hist", "bin_edges"))



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


def _signed_num(v: float) -> str:
    """``_num`` printing a NaN's sign bit as C++'s ostream does (``-nan``)."""
    return "-nan" if math.isnan(v) and math.copysign(1.0, v) < 0 else _num(v)


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
    if weights is not None:  # (where, not a product: a NaN weight of an element not counted adds nothing)
        w = xp.where(valid.reshape(-1), weights.reshape(-1).astype(np.float64), 0.0)
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


# the C++ spellings PyTorch's messages use: its dtype names (TypeMeta) and its scalar types
_SCALAR_T = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
             "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
             "bool": "bool"}


def _linspace_checks(npdtype, *edges):
    """What PyTorch's ``linspace_out`` into a bin-edge tensor of the input's dtype refuses: a bool
    dtype, and an edge (a double) the dtype cannot hold."""
    if _np_kind(npdtype) == "b":
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if _np_kind(npdtype) == "c":
        return  # (a complex dtype holds any double: its refusal is the histogram kernel's)
    if npdtype is BF16:
        top = 3.3895313892515355e38  # (NumPy's finfo knows no bfloat16)
    else:
        top = float((np.finfo if _np_kind(npdtype) == "f" else np.iinfo)(npdtype).max)
    bottom = -top if _np_kind(npdtype) == "f" else float(np.iinfo(npdtype).min)
    for v in edges:
        if math.isfinite(v) and not bottom <= v <= top:
            raise RuntimeError(f"value cannot be converted to type {_SCALAR_T[npdtype.name]} without overflow")


def _histogram_kernel_dtype(npdtype):
    """PyTorch's histogram kernels take the floating dtypes, float16 and bfloat16 included."""
    if _np_kind(npdtype) != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{F._type_name(npdtype)}'")


_HISTC_ARGS = ("bins", "min", "max")


def _histc_frontend(op):
    table = op.table

    def build(method):
        def histc(input, *args, out=None, **kwargs):
            """``histc(input, bins=100, min=0, max=0)``, following PyTorch's ``histogram_histc_out``:
            bins > 0, the range (the data's when min == max), its checks, the bin edges made by
            ``linspace`` in the input's dtype, then the kernel (floating dtypes only)."""
            if not isinstance(input, Tensor):
                raise F.not_a_tensor("histc", "input", 1, input)
            if len(args) > 3:
                raise TypeError(f"histc() takes from {1 - method} to {4 - method} positional arguments but "
                                f"{len(args) + 1 - method} were given")
            given = bind_arguments("histc", _HISTC_ARGS, args, kwargs)
            bins, lo, hi = given.get("bins", 100), given.get("min", 0), given.get("max", 0)
            npos = len(args)
            if bins.__class__ is not int and not is_int(bins):
                raise wrong_type("histc", "bins", "int", bins, arg_position(0, npos, method))
            for i, (name, v) in enumerate((("min", lo), ("max", hi))):
                if not isinstance(v, (numbers.Number, Tensor)) or isinstance(v, Tensor) and v.numel() != 1:
                    raise wrong_type("histc", name, "Number", v, arg_position(i + 1, npos, method))
            a = input._data
            _check_bins(int(bins), 0)
            if out is not None and isinstance(out, Tensor) and out._data.dtype != a.dtype:
                raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same dtype, but got "
                                   f"input {CPP_TYPE_NAMES.get(a.dtype.name, a.dtype.name)} and hist "
                                   f"{CPP_TYPE_NAMES.get(out._data.dtype.name, out._data.dtype.name)}")
            lo, hi = float(lo), float(hi)
            if lo == hi and a.size:
                if _np_kind(a.dtype) == "c":  # (the data's range comes from aminmax, which has no complex kernel)
                    raise NotImplementedError(f"\"aminmax_{input._device.type}\" not implemented for "
                                              f"'{F._type_name(a.dtype)}'")
                xp = _xp(input)
                lo, hi = float(xp.min(a)), float(xp.max(a))
                if a.dtype == BF16 or a.size > 1:
                    # PyTorch's CPU aminmax of several elements holding a NaN gives a negative NaN
                    # (bfloat16's, of any sign and count, a positive one)
                    nan = math.nan if a.dtype == BF16 else -math.nan
                    lo, hi = (nan if math.isnan(v) else v for v in (lo, hi))
            if lo == hi:
                lo, hi = lo - 1, hi + 1
            if not all(math.isfinite(v) for v in (lo, hi)):
                raise RuntimeError(f"torch.histc: range of [{_signed_num(lo)}, {_signed_num(hi)}] is not finite")
            if not lo < hi:
                raise RuntimeError("torch.histc: max must be larger than min")
            _linspace_checks(a.dtype, lo, hi)
            _histogram_kernel_dtype(a.dtype)
            # the kernel sees the edges as PyTorch does: rounded to the input's dtype
            res = wrap(table[input._device.type](a, int(bins), lo, hi), input._device)
            if out is not None:
                F.write_out(out, res._data, "histc")
                return out
            return res
        histc.__name__ = histc.__qualname__ = "histc"
        return histc
    return method_and_function(op, build)


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


# (bf16_native: PyTorch interpolates in the half type itself, rounding after each step, as the kernel does)
defop("histc", kernel=_histc_kernel, frontend=_histc_frontend, differentiable=False, bf16_native=True,
      samples=_histc_samples,
      reference=_histc_reference)


# =========================================================================== histogramdd (and histogram)
def _histdd_kernel(xp, a, edges, weights, density):
    """``a``: (N, D) samples; ``edges``: D arrays of bin edges; returns the D-dimensional histogram.
    Bin positions are found in float64 (exact for every floating dtype); the density's divisions
    run in the input's dtype, one rounding per step as PyTorch's in-place ``div_``s (the op is
    ``bf16_native``: half types are not widened for the whole kernel)."""
    shape = tuple(int(e.shape[0]) - 1 for e in edges)
    n = a.shape[0]
    flat = xp.zeros((n,), dtype=np.int64)
    valid = xp.ones((n,), dtype=bool)
    for d, e in enumerate(edges):
        x = a[:, d].astype(np.float64)
        e = e.astype(np.float64)
        nb = shape[d]
        valid &= (x >= e[0]) & (x <= e[-1])
        pos = xp.searchsorted(e, x, side="right").astype(np.int64) - 1
        pos = xp.minimum(xp.maximum(pos, 0), nb - 1)  # x == last edge -> the last bin
        flat = flat * nb + pos
    total = int(np.prod(shape))
    hist = _count(xp, flat, valid, weights, total, a.dtype).reshape(shape)
    if density:
        # ``hist.div_(hist.sum().item())``: the sum rounded to the dtype, as PyTorch's sum()
        hist = hist / hist.astype(np.float64).sum().astype(a.dtype)
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
    D = a.shape[-1]
    a = a.reshape(int(np.prod(a.shape[:-1])), D)  # (explicit: no -1 to infer beside a 0-sized dim)
    xp = _xp(input2d)
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): argument 'weight' must be Tensor, not {c_type_name(weight)}")
    edges = []
    if isinstance(bins, (list, tuple)) and bins and all(isinstance(b, Tensor) for b in bins):
        if len(bins) != D:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
        for d, b in enumerate(bins):
            e = b._data
            # PyTorch's order (histogramdd_check_inputs): the dtype, the shape, then the bin count
            if e.dtype != a.dtype:
                raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                                   f"got input with dtype {CPP_TYPE_NAMES.get(a.dtype.name, a.dtype.name)} and bins for "
                                   f"dimension {d} with dtype {CPP_TYPE_NAMES.get(e.dtype.name, e.dtype.name)}")
            if e.ndim != 1:
                raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {e.ndim} "
                                   f"dimensions in the bins tensor for dimension {d}")
            _check_bins(e.size - 1 if e.size else 0, d)
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
        if ranges is None and a.shape[0] and D and a.dtype not in (np.float32, np.float64):
            # PyTorch reads the data's range in a kernel for float and double only
            raise NotImplementedError(f"\"histogramdd\" not implemented for '{F._type_name(a.dtype)}'")
        for d, nb in enumerate(counts):
            lo, hi = _outer_edges(input2d, xp, a, ranges, d)
            _linspace_checks(a.dtype, lo, hi)
            edges.append(linspace(lo, hi, int(nb) + 1, dtype=input2d.dtype, device=dev))
    if weight is not None:
        # (PyTorch's histogramdd_check_inputs, after the bin edges are made)
        if weight._data.dtype != a.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                               f"have the same dtype, but got input({CPP_TYPE_NAMES.get(a.dtype.name, a.dtype.name)}), "
                               f"and weight({CPP_TYPE_NAMES.get(weight._data.dtype.name, weight._data.dtype.name)})")
        if tuple(weight._data.shape or (1,)) != tuple(input2d._data.shape[:-1]):
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               "input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(input2d._data.shape)} and weight with shape {list(weight._data.shape)}")
        if weight._device is not dev:
            raise F.device_mismatch(name, input2d, weight)
    _histogram_kernel_dtype(a.dtype)
    w = None if weight is None else weight._data
    if D == 0:  # (no dimensions to bin along: PyTorch's 0-d histogram holds 0)
        return wrap(xp.zeros((), a.dtype), dev), edges
    hist = wrap(table[dev.type](a, [e._data for e in edges], w, bool(density)), dev)
    return hist, edges


def _no_derivative(op, outs, inputs, aten):
    """PyTorch's node for the results of an op without a derivative, where an input requires grad:
    ``NotImplemented``, with edges to those inputs only; its backward raises, naming ``aten``."""
    from ..grad_mode import state as _gs
    needs = tuple(t for t in inputs if isinstance(t, Tensor) and t._requires_grad)
    if needs and _gs.enabled:
        Tensor._autograd.record_multi(op, list(outs), needs, {"aten": aten}, node_name="NotImplemented")


def _histogram_overloads(method):
    first = "" if method else "Tensor input, "
    out = "" if method else ", tuple of Tensors out = None"
    return (f"{first}Tensor bins, *, Tensor weight = None, bool density = False{out}",
            f"{first}int bins = 100, *, tuple of floats range = None, Tensor weight = None, bool density = False{out}")


def _histogram_frontend(op):
    table = op.table

    def build(method):
        def histogram(input, *args, out=None, **kwargs):
            """``histogram(input, bins=100, *, range=None, weight=None, density=False)``: two
            signatures to PyTorch's parser (``Tensor bins`` without a range, ``int bins``), so an
            argument of a wrong type is refused with the "invalid combination" error."""
            if not isinstance(input, Tensor):
                raise F.not_a_tensor("histogram", "input", 1, input)

            def refuse():
                shown = dict(kwargs, **({"out": out} if out is not None else {}))
                return invalid_combination("histogram", args if method else (input,) + args, shown,
                                           _histogram_overloads(method))
            if len(args) > 1 or any(k not in ("bins", "range", "weight", "density") for k in kwargs) \
                    or (args and "bins" in kwargs):
                raise refuse()
            bins = args[0] if args else kwargs.get("bins", 100)
            range, weight = kwargs.get("range"), kwargs.get("weight")
            density = kwargs.get("density", False)
            tensor_bins = isinstance(bins, Tensor)
            if not (tensor_bins or is_int(bins)) or (tensor_bins and range is not None) \
                    or not (range is None or isinstance(range, (tuple, list))) \
                    or not (weight is None or isinstance(weight, Tensor)) or density.__class__ is not bool:
                raise refuse()
            if range is not None:
                for i, v in enumerate(range):
                    if not isinstance(v, numbers.Real):
                        raise TypeError(f"histogram(): argument 'range' must be tuple of floats, but found element "
                                        f"of type {c_type_name(v)} at pos {i + 1}")
                if len(range) != 2:
                    raise RuntimeError(f"torch.histogramdd: for a 1-dimensional histogram range should have 2 "
                                       f"elements, but got {len(range)}")
            if out is not None and isinstance(out, (tuple, list)) and len(out) != 2:
                raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
            w = weight.reshape(-1) if isinstance(weight, Tensor) else weight
            hist, edges = _histdd("histogram", input.reshape(-1, 1), [bins] if tensor_bins else int(bins), range, w,
                                  density, table)
            hist = hist.reshape(-1)
            edge = edges[0]
            if out is not None:
                return F.write_outs(out, (hist, edge), "histogram", HistogramResult)
            _no_derivative(op, (hist, edge), (input, bins if tensor_bins else None, weight), "histogram")
            return HistogramResult(hist, edge)
        histogram.__name__ = histogram.__qualname__ = "histogram"
        return histogram
    return method_and_function(op, build)


def _histogramdd_frontend(op):
    table = op.table

    def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
        if not isinstance(input, Tensor):
            raise F.not_a_tensor("histogramdd", "input", 1, input)
        if input._data.ndim == 0:  # (PyTorch reads input.size(-1) first)
            raise IndexError("Dimension specified as -1 but tensor has no dimensions")
        if input._data.ndim < 2:
            raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
        if isinstance(bins, Tensor):
            raise TypeError("histogramdd(): argument 'bins' must be int, a sequence of ints or a sequence of "
                            "Tensors, not Tensor")
        hist, edges = _histdd("histogramdd", input, bins, range, weight, density, table)
        tensor_bins = isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor)
        if tensor_bins:
            edges = list(bins)  # (histogramdd hands back the given edge tensors themselves)
        _no_derivative(op, (hist,), (input, *(bins if tensor_bins else ()), weight),
                       "_histogramdd_from_bin_tensors" if tensor_bins else "_histogramdd_from_bin_cts")
        if not tensor_bins:  # (the edges come from an op of their own: a node of their own)
            _no_derivative(op, edges, (input, weight), "_histogramdd_bin_edges")
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

# (differentiable: their results get PyTorch's NotImplemented node, whose formula raises)
defop("histogram", kernel=_histdd_kernel, frontend=_histogram_frontend, bf16_native=True,
      samples=_histogram_samples, reference=_histogram_reference)
defop("histogramdd", kernel=_histdd_kernel, frontend=_histogramdd_frontend, method=False,
      bf16_native=True, samples=_histogramdd_samples, reference=_histogramdd_reference)

HISTOGRAM_OPS = CORE_OPS[_FIRST:]
