"""Spatial transformers: ``affine_grid`` (a sampling grid from affine matrices) and ``grid_sample``
(sampling an image at the grid's points: bilinear/trilinear, nearest or bicubic; zeros, border or
reflection padding), 2-D and 3-D.

``grid_sample`` is one op per rank (``GridSampler2DBackward0`` / ``GridSampler3DBackward0``), as
ATen's. The kernel follows ATen's ``GridSampler.h`` helpers step by step - unnormalise, pad the
coordinate (clip / reflect, with the derivative of each step as a multiplier), then gather the
2**d corners (4x4 taps for bicubic) - all at once over every output point with advanced indexing,
never a loop over pixels. The input gradient is one ``bincount`` scatter-add of the weighted output
gradient over the same taps (CuPy has it, no atomics needed), the grid gradient the taps' values
times the weights' derivatives. Under ``create_graph=True`` those gradients carry a
``GridSampler2DBackwardBackward0`` node whose formula differentiates the same backward written with
tensorgraft ops (``_composite_backward``), so every higher derivative exists, as in PyTorch.

``affine_grid`` is ``base_grid @ theta^T`` (``AffineGridGeneratorBackward0``); its formula is written
with tensorgraft ops, so it differentiates again.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from tensorgraft.amp._state import state as _autocast
from tensorgraft.device import get_backend
from tensorgraft.ops.creation import _linspace_values

from ._common import check_tensor, formula, gs, nnop, record, wrap
from tensorgraft.dtypes import np_kind as _np_kind

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_CUBIC_A = -0.75
# bmm of (M, K) by (K, N) per batch with M * K * N below this is an unblocked loop on ATen's CPU
_SMALL_BMM = 400
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


# ------------------------------------------------------------------ coordinates (ATen's GridSampler.h)
def _unnormalize(c, size, align):
    """[-1, 1] -> pixel coordinate, and its derivative."""
    if align:
        return (c + 1) / 2 * (size - 1), (size - 1) / 2
    return ((c + 1) * size - 1) / 2, size / 2


def _clip(xp, c, size):
    # derivative 0 on and beyond the edges, as clip_coordinates_set_grad
    return xp.clip(c, 0, size - 1), ((c > 0) & (c < size - 1)).astype(c.dtype)


def _reflect(xp, c, twice_low, twice_high):
    if twice_low == twice_high:
        z = xp.zeros_like(c)
        return z, z
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    sign = xp.where(c < 0, -1, 1).astype(c.dtype)
    c = xp.abs(c)
    extra = xp.fmod(c, span)
    even = xp.fmod(xp.floor(c / span), 2) == 0
    return xp.where(even, extra + lo, span - extra + lo), xp.where(even, sign, -sign)


def _pad_coord(xp, c, size, padding, align):
    """ATen's compute_coordinates (with its derivative): clip or reflect then clip; a non-finite
    coordinate becomes -100 (``safe_downgrade_to_int_range``), which then lies outside the input."""
    mult = None
    if padding == 1:
        c, mult = _clip(xp, c, size)
    elif padding == 2:
        c, m1 = _reflect(xp, c, 0, 2 * (size - 1)) if align else _reflect(xp, c, -1, 2 * size - 1)
        c, m2 = _clip(xp, c, size)
        mult = m1 * m2
    # (-100 as an array of c's dtype: NumPy 1.x cannot promote bfloat16 with a Python int)
    return xp.where(xp.isfinite(c), c, xp.asarray(-100, dtype=c.dtype)), mult


def _source(xp, c, size, padding, align):
    c, m0 = _unnormalize(c, size, align)
    c, m = _pad_coord(xp, c, size, padding, align)
    return c, (m0 if m is None else m * m0)


# ------------------------------------------------------------------ taps
def _taps(xp, grid, sizes, mode, padding, align):
    """Every tap of every output point: a list of (flat index into the (prod sizes) plane, validity,
    weight, [d weight / d grid component per spatial dim]). ``grid`` is (N, M, d) with x first."""
    nd = len(sizes)
    comps = [grid[..., nd - 1 - k] for k in range(nd)]  # spatial order (D,) H, W
    strides = [math.prod(sizes[k + 1:]) for k in range(nd)]
    taps = []
    if mode == 2:  # bicubic: 4x4 taps around the unpadded coordinate, each tap padded on its own
        cs, ms = zip(*(_unnormalize(c, s, align) for c, s in zip(comps, sizes)))
        fl = [xp.floor(c) for c in cs]
        co, dco = zip(*(_cubic(xp, c - f) for c, f in zip(cs, fl)))
        for ij in itertools.product(range(4), repeat=nd):
            pos = [_pad_coord(xp, f + (i - 1), s, padding, align)[0] for f, i, s in zip(fl, ij, sizes)]
            w = co[0][ij[0]] * co[1][ij[1]]
            dw = [dco[0][ij[0]] * co[1][ij[1]] * ms[0], co[0][ij[0]] * dco[1][ij[1]] * ms[1]]
            taps.append(_flat(xp, pos, sizes, strides) + (w, dw))
        return taps
    cs, ms = zip(*(_source(xp, c, s, padding, align) for c, s in zip(comps, sizes)))
    if mode == 1:  # nearest: round half to even, as nearbyint
        taps.append(_flat(xp, [xp.rint(c) for c in cs], sizes, strides) + (None, None))
        return taps
    fl = [xp.floor(c) for c in cs]
    fr = [c - f for c, f in zip(cs, fl)]
    for corner in itertools.product((0, 1), repeat=nd):
        ws = [fr[k] if b else 1 - fr[k] for k, b in enumerate(corner)]
        w = math.prod(ws[1:], start=ws[0])
        dw = []
        for k, b in enumerate(corner):
            rest = [ws[j] for j in range(nd) if j != k]
            d = math.prod(rest[1:], start=rest[0]) if rest else 1
            dw.append((d if b else -d) * ms[k])
        taps.append(_flat(xp, [f + b for f, b in zip(fl, corner)], sizes, strides) + (w, dw))
    return taps


def _flat(xp, pos, sizes, strides):
    ok = None
    lin = 0
    for p, s, st in zip(pos, sizes, strides):
        inside = (p >= 0) & (p < s)
        ok = inside if ok is None else ok & inside
        lin = lin + xp.clip(p, 0, s - 1).astype(xp.int64) * st
    return lin, ok


def _cubic(xp, t):
    """The four cubic-convolution coefficients at fraction ``t`` and their derivatives in ``t``."""
    A = _CUBIC_A

    def c1(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    def d1(x):
        return (3 * (A + 2) * x - 2 * (A + 3)) * x

    def d2(x):
        return (3 * A * x - 10 * A) * x + 8 * A

    return (c2(t + 1), c1(t), c1(1 - t), c2(2 - t)), (d2(t + 1), d1(t), -d1(1 - t), -d2(2 - t))


def _gather(xp, xf, lin, ok):
    """Values (N, M, C) of the planes ``xf`` (N, P, C) at ``lin`` (N, M); zero where not ``ok``."""
    v = xf[xp.arange(xf.shape[0])[:, None], lin]
    return v * ok[..., None].astype(v.dtype)


# ------------------------------------------------------------------ grid_sample op
def _gs_kernel(xp, x, grid, mode, padding, align):
    if x.dtype.itemsize == 2:
        # float16/bfloat16 (a device's arrays: the CPU registry already hands this kernel float32
        # copies): coordinates in the half type would land on the wrong pixels - a bfloat16 row
        # coordinate near 286 has a spacing of 2 - so compute in float32 and round once
        return _gs_kernel(xp, x.astype(np.float32), grid.astype(np.float32), mode, padding, align).astype(x.dtype)
    N, C = x.shape[:2]
    sizes = x.shape[2:]
    out_sp = grid.shape[1:-1]
    # explicit lengths, not -1: an empty batch or channel dim leaves -1 undetermined
    g = grid.reshape(N, math.prod(out_sp), len(sizes))
    xf = x.reshape(N, C, math.prod(sizes)).transpose(0, 2, 1)
    out = None
    for lin, ok, w, _ in _taps(xp, g, sizes, mode, padding, align):
        v = _gather(xp, xf, lin, ok)
        if w is not None:
            v = v * w[..., None]
        out = v if out is None else out + v
    if mode == 0 and padding == 0 and len(sizes) == 2:
        # ATen's vectorised 2-D kernel weighs the (masked) corners by weights made from the raw
        # coordinate: a NaN or infinite one gives NaN, not the zero of a point outside the input
        bad = ~xp.isfinite(g).all(axis=-1)
        if bad.any():
            out[bad] = np.nan
    return xp.ascontiguousarray(out.transpose(0, 2, 1)).reshape((N, C) + tuple(out_sp)).astype(x.dtype, copy=False)


def _gs_backward_kernel(xp, gout, x, grid, mode, padding, align, need_x, need_grid):
    N, C = x.shape[:2]
    sizes = x.shape[2:]
    nd = len(sizes)
    P = math.prod(sizes)
    M = math.prod(grid.shape[1:-1])
    g = grid.reshape(N, M, nd)
    go = gout.reshape(N, C, M).transpose(0, 2, 1)  # (N, M, C)
    xf = x.reshape(N, C, P).transpose(0, 2, 1)
    gx = xp.zeros(N * C * P, dtype=np.float64) if need_x else None
    gg = [xp.zeros(g.shape[:2], dtype=x.dtype) for _ in range(nd)] if need_grid else None
    base = (xp.arange(N)[:, None, None] * (C * P) + xp.arange(C)[None, None, :] * P)
    for lin, ok, w, dw in _taps(xp, g, sizes, mode, padding, align):
        if need_x:
            wt = go * ok[..., None].astype(go.dtype)
            if w is not None:
                wt = wt * w[..., None]
            gx += xp.bincount((base + lin[..., None]).ravel(), weights=wt.ravel().astype(np.float64),
                              minlength=N * C * P)
        if need_grid and dw is not None:
            vg = (_gather(xp, xf, lin, ok) * go).sum(axis=2)
            for k in range(nd):
                gg[k] += vg * dw[k]
    rx = gx.astype(x.dtype).reshape(x.shape) if need_x else None
    rg = xp.stack(gg[::-1], axis=-1).reshape(grid.shape).astype(x.dtype, copy=False) if need_grid else None
    return rx, rg


def _grid_sampler(input, grid, mode, padding, align):
    out = wrap(_GS.table[input._device.type](input._data, grid._data, mode, padding, align), input._device)
    if gs.enabled and (input._requires_grad or grid._requires_grad):
        record(_GS, out, (input, grid), {"mode": mode, "padding": padding, "align": align},
               node_name=f"GridSampler{input.ndim - 2}DBackward0")
    return out


# (half types are computed in float32 and rounded once. ATen's scalar half kernel rounds after every
# op instead - coordinates included - and on large inputs its bfloat16 result is off by whole pixels,
# even 0 or NaN inside the image: PyTorch's own float64 result is the reference there)
_GS = nnop("grid_sampler", _gs_kernel, _grid_sampler)


def _grid_sampler_backward(grad, input, grid, mode, padding, align, need_x=True, need_grid=True):
    """Both gradients of ``grid_sampler`` as plain tensors (a device may override the kernel)."""
    rx, rg = _GS_BACKWARD.table[grad._device.type](grad._data, input._data, grid._data, mode, padding, align,
                                                   need_x, need_grid)
    return (None if rx is None else wrap(rx, grad._device)), (None if rg is None else wrap(rg, grad._device))


_GS_BACKWARD = nnop("grid_sampler_backward", _gs_backward_kernel, _grid_sampler_backward)


# ------------------------------------------------------------------ second and higher derivatives
def _tensor_taps(xp, grid_t, sizes, mode, padding, align):
    """``_taps`` with each tap's weight and its derivatives in the grid as tensorgraft tensors of
    ``grid_t`` (N, M, d), so autograd differentiates them again, to any order. Tap positions and the
    piecewise-constant slopes of unnormalising/padding come from the arrays; each fraction is
    affine in its grid component there (``value + slope * (grid - grid's value)``)."""
    dev, garr = grid_t._device, grid_t._data
    nd = len(sizes)
    comps_a = [garr[..., nd - 1 - k] for k in range(nd)]
    comps_t = [grid_t[..., nd - 1 - k] for k in range(nd)]
    strides = [math.prod(sizes[k + 1:]) for k in range(nd)]

    def const(v):
        return wrap(xp.asarray(v, dtype=garr.dtype), dev)

    def affine(k, slope, value):
        return comps_t[k] * const(slope) + const(value - slope * comps_a[k])
    if mode == 1:  # nearest: the output is flat in the grid
        cs = [_source(xp, c, s, padding, align)[0] for c, s in zip(comps_a, sizes)]
        yield _flat(xp, [xp.rint(c) for c in cs], sizes, strides) + (None, None)
        return
    if mode == 2:
        cs, ms = zip(*(_unnormalize(c, s, align) for c, s in zip(comps_a, sizes)))
        fl = [xp.floor(c) for c in cs]
        co, dco = zip(*(_cubic(xp, affine(k, ms[k], cs[k] - fl[k])) for k in range(nd)))
        for i, j in itertools.product(range(4), repeat=2):
            pos = [_pad_coord(xp, f + (t - 1), s, padding, align)[0] for f, t, s in zip(fl, (i, j), sizes)]
            dw = [dco[0][i] * co[1][j] * const(ms[0]), co[0][i] * dco[1][j] * const(ms[1])]
            yield _flat(xp, pos, sizes, strides) + (co[0][i] * co[1][j], dw)
        return
    cs, ms = zip(*(_source(xp, c, s, padding, align) for c, s in zip(comps_a, sizes)))
    fl = [xp.floor(c) for c in cs]
    frs = [affine(k, ms[k], cs[k] - fl[k]) for k in range(nd)]
    for corner in itertools.product((0, 1), repeat=nd):
        ws = [frs[k] if b else 1 - frs[k] for k, b in enumerate(corner)]
        dw = [math.prod([ws[j] for j in range(nd) if j != k], start=const(ms[k] if b else -ms[k]))
              for k, b in enumerate(corner)]
        yield _flat(xp, [f + b for f, b in zip(fl, corner)], sizes, strides) + (math.prod(ws[1:], start=ws[0]), dw)


def _composite_backward(go, x, grid, mode, padding, align):
    """grid_sample's two gradients written with tensorgraft ops (index_add / index_select over the
    taps): the same values as ``_gs_backward_kernel``, differentiable in ``go``, ``x`` and ``grid``."""
    import tensorgraft
    xp = get_backend(x._device).xp
    N, C = x.shape[:2]
    sizes = tuple(x.shape[2:])
    nd, P, M = len(sizes), math.prod(sizes), math.prod(grid.shape[1:-1])
    gof = go.reshape(N, C, M).transpose(1, 2)  # (N, M, C)
    x_rows = x.reshape(N, C, P).transpose(1, 2).reshape(N * P, C)
    first = xp.arange(N)[:, None] * P
    gx = x_rows.new_zeros((N * P, C))
    gg = [None] * nd
    for lin, ok, w, dw in _tensor_taps(xp, grid.reshape(N, M, nd), sizes, mode, padding, align):
        index = wrap((first + lin).reshape(-1), x._device)
        weighted = gof * wrap(ok.astype(x._data.dtype)[..., None], x._device)
        gx = gx.index_add(0, index, (weighted if w is None else weighted * w[..., None]).reshape(N * M, C))
        if dw is not None:
            along = (x_rows.index_select(0, index).reshape(N, M, C) * weighted).sum(2)
            gg = [along * d if acc is None else acc + along * d for acc, d in zip(gg, dw)]
    rx = gx.reshape(N, P, C).transpose(1, 2).reshape(x.shape)
    rg = grid.new_zeros(grid.shape) if gg[0] is None else tensorgraft.stack(gg[::-1], -1).reshape(grid.shape)
    return rx, rg


@formula("grid_sampler_backward")
def _gs_backward_grad(node, g):
    """GridSampler{2,3}DBackwardBackward0: the backward differentiated, by autograd over
    ``_composite_backward`` (so a third derivative follows from a second backward with
    ``create_graph=True``, as in PyTorch, whose double backward is composite too)."""
    import tensorgraft
    a = node.attrs
    higher = tensorgraft.is_grad_enabled()  # this backward itself builds a graph
    with tensorgraft.enable_grad():
        # the local derivatives only: fresh nodes in front of the inputs (a view keeps their history for
        # a higher derivative, but autograd.grad stops there instead of following, say, the
        # incoming gradient's own dependence on x a second time)
        ins = [t.view_as(t) if higher and need else t.detach().requires_grad_(need)
               for t, need in zip(node.inputs, node.needs_input_grad)]
        wrt = [t for t, need in zip(ins, node.needs_input_grad) if need]
        out = _composite_backward(*ins, a["mode"], a["padding"], a["align"])[a["output"]]
        if not out.requires_grad:  # nearest's grid gradient: constant zero
            return (None,) * 3
        grads = iter(tensorgraft.autograd.grad(out, wrt, g, create_graph=higher, allow_unused=True))
    return tuple(next(grads) if need else None for need in node.needs_input_grad)


@formula("grid_sampler")
def _gs_grad(node, g):
    x, grid = node.inputs
    a = node.attrs
    need_x, need_grid = node.needs_input_grad
    rx, rg = _grid_sampler_backward(g, x, grid, a["mode"], a["padding"], a["align"], need_x, need_grid)
    if need_grid and rg is None:  # nearest: the output is flat in the grid
        rg = wrap(get_backend(g._device).xp.zeros(grid.shape, dtype=grid._data.dtype), g._device)
    if gs.enabled and (g._requires_grad or x._requires_grad or grid._requires_grad):  # create_graph=True
        for i, r in enumerate((rx, rg)):
            if r is not None:
                record(_GS_BACKWARD, r, (g, x, grid), {**a, "output": i},
                       node_name=f"GridSampler{x.ndim - 2}DBackwardBackward0")
    return rx, rg


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check(input, grid, mode):
    # ATen's order: the checks common to both ranks (device, batch, grid's last dim, empty spatial
    # dims), then the rank's own, then the kernel's dtype dispatch, and the dtype match last
    check_tensor(input, "grid_sampler")
    check_tensor(grid, "grid_sampler", "grid", 2)
    if input._device is not grid._device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    if input.ndim and grid.ndim and input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if grid.ndim and grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {_sizes(grid)}")
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {i} being empty")
    # a 4-D input goes the 2-D way; anything else is held to the 3-D (5-D tensors) requirements
    rank = 4 if input.ndim == 4 else 5
    if input.ndim != rank or grid.ndim != rank:
        raise RuntimeError(f"grid_sampler(): expected {rank}D input and grid with same number of dimensions, but got "
                           f"input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if rank == 5 and mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    from tensorgraft.ops._frontend import _type_name
    if _np_kind(input._data.dtype) != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if rank == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input._data.dtype)}'")
    if input._data.dtype != grid._data.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input._data.dtype)} but found "
                           f"{_type_name(grid._data.dtype)}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check(input, grid, _MODES[mode])
    if _autocast.on:  # (grid_sampler: PyTorch's CPU float32 list)
        input, grid = _autocast.fp32_cpu(input, grid)
    return _grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], bool(align_corners))


# ------------------------------------------------------------------ affine_grid
def _linspace(xp, n, align, dtype):
    """ATen's linspace_from_neg_one: one step is 0; without align_corners the points are pixel centres.
    The points are torch.linspace's, computed in the result precision (NumPy's linspace rounds
    float64 values, which differ in the last bit of a float32)."""
    if n <= 1:
        return xp.zeros(1, dtype=dtype)
    dt = np.dtype(dtype)
    r = _linspace_values(-1.0, 1.0, n, dt).astype(dt)
    if not align:
        r = r * dt.type(n - 1) / dt.type(n)  # times n - 1, then over n: two roundings, as ATen
    return xp.asarray(r)


def _base_grid(xp, spatial, align, dtype):
    """(prod spatial, d + 1): x (W), y (H)[, z (D)], 1 for every output point in row-major order."""
    axes = [_linspace(xp, n, align, dtype) for n in spatial]
    mesh = xp.meshgrid(*axes, indexing="ij")
    cols = [m.reshape(-1) for m in mesh[::-1]] + [xp.ones(math.prod(spatial), dtype=dtype)]
    return xp.stack(cols, axis=1)


def _ag_kernel(xp, theta, spatial, align):
    base = _base_grid(xp, spatial, align, theta.dtype)
    nd = len(spatial)
    out_dtype = theta.dtype
    if out_dtype.itemsize < 4:  # half: the grid's points in half, the products summed in float32
        base, theta = base.astype(np.float32), theta.astype(np.float32)
    if (nd + 1) * nd * base.shape[0] < _SMALL_BMM:
        # ATen's bmm takes a plain loop for small products: each entry summed left to right in the
        # result precision, no fused multiply-add; the last bit decides if a 0 prints as 1.4901e-08
        out = base[None, :, :1] * theta[:, None, :, 0]
        for k in range(1, nd + 1):
            out = out + base[None, :, k:k + 1] * theta[:, None, :, k]
    else:
        out = xp.matmul(base[None], theta.transpose(0, 2, 1))
    return out.astype(out_dtype, copy=False).reshape((theta.shape[0],) + tuple(spatial) + (nd,))


def _affine_grid_generator(theta, spatial, align):
    out = wrap(_AG.table[theta._device.type](theta._data, spatial, align), theta._device)
    if gs.enabled and theta._requires_grad:
        record(_AG, out, (theta,), {"spatial": spatial, "align": align}, node_name="AffineGridGeneratorBackward0")
    return out


_AG = nnop("affine_grid_generator", _ag_kernel, _affine_grid_generator)


@formula("affine_grid_generator")
def _ag_grad(node, g):
    a = node.attrs
    xp = get_backend(g._device).xp
    nd = len(a["spatial"])
    base = wrap(_base_grid(xp, a["spatial"], a["align"], g._data.dtype), g._device)
    # d(base @ theta^T)/d theta: g^T @ base, per batch element (ops: differentiable again)
    return (g.reshape(g.shape[0], -1, nd).transpose(1, 2).matmul(base),)


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    check_tensor(theta, "affine_grid", "theta")
    if _np_kind(theta._data.dtype) != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given = size  # messages quote the size as the caller wrote it: a list, a tuple or x.size()
    size = tuple(size)
    shape_txt = "torch.Size([" + ", ".join(str(s) for s in theta.shape) + "])"
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. Got "
                             f"{shape_txt}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {given}. Got "
                             f"{shape_txt}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {given}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if size[0] != theta.shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{len(spatial) + 1}] but got: [{theta.shape[0]}, {len(spatial) + 1}].")
    if min(spatial) == 1 and theta._data.dtype == np.float16 and theta._device.type == "cpu":
        # ATen's CPU path builds a one-point axis with a constructor it has no half kernel for
        raise NotImplementedError("\"tensor_cpu\" not implemented for 'Half'")
    return _affine_grid_generator(theta, tuple(int(s) for s in spatial), bool(align_corners))
