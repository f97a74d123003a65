"""3-D convolutions (conv3d, conv_transpose3d) by im2col, as the 2-D ones in ``conv.py``: a strided
window view of the padded input and ONE GEMM per conv (a batched one over groups); the input gradient
is a GEMM plus a col2im that accumulates over kernel offsets only (kd*kh*kw slice-adds, never a loop
over voxels). Stride-1, ungrouped convolutions take the flattened-rows variant of ``conv.py``
generalised to volumes: each padded channel is one row, kernel offset (a, i, j) reads one contiguous
run of it.

The helpers are written for any number of spatial dims; ``conv.py`` keeps its own 2-D versions
of the kernels, whose layouts its fast paths and tests pin down, and takes the rank-free pieces
from here (geometry helpers, the weight-gradient kernel, the formulas that differentiate again,
the bias-gradient op). The geometry and the general im2col path live in ``conv_im2col.py``, the
argument checks of the public functions in ``conv3d_checks.py``; both are imported here again, as
the modules that read them from this one expect.

Three ops, each the others' gradient, so every formula is written with ops and differentiates again
(``create_graph=True``): conv3d (input grad = conv_transpose3d of the output grad, weight grad =
conv3d_weight), conv_transpose3d (input grad = conv3d, weight grad = conv3d_weight with the roles
swapped) and conv3d_weight (the bilinear weight gradient; its gradients are conv_transpose3d and
conv3d again). ``conv_grads``, ``conv_transpose_grads`` and ``weight_grads`` write these formulas
once, for any such trio of ops; conv.py's 2-D trio uses them too."""
from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ._common import check_tensor_args, conj_factor, formula, needs, nnop, record, wrap
from .conv_backward_node import as_convolution_backward, declare_conv_saved
from .conv_transpose_phases import conv_transpose_phases, phases_pay
from .half_kernels import conv_transpose_half
# (the names the split moved out stay readable here: conv.py and pooling3d.py read some of them)
from .conv_im2col import (  # noqa: F401
    as_strided, col2im_nd, conv_forward, conv_input_grad, conv_out_sizes, conv_weight_grad, crop, offsets, out_size,
    pad_nd, windows_nd,
)
from .conv3d_checks import (  # noqa: F401  (functional and nn.modules.conv read some)
    _C_TYPE, _check_bias, _check_bias_type, _check_common, _check_types, _conv_param, _legacy_name, _same_pads,
    mkldnn_wording, warn_uneven_same_padding,
)
from tensorgraft.amp._state import state as _autocast


def _finite(xp, a):
    """Whether every element of ``a`` is finite (the flat paths' junk columns/positions then need no
    zeroing: 0 * inf is NaN). A finite sum proves it; an overflow only costs the caller its exact path.
    On a GPU reading the answer would wait for every queued kernel (a sync per call): there the junk
    is always zeroed instead, which costs less."""
    if xp is not np:
        return False
    return bool(xp.isfinite(a.sum()))


# ------------------------------------------------------------------ stride-1 path: flattened padded volumes
# As conv.py's flat path: each padded channel flattened to one row of P0*P1*P2 values (plus one
# spare plane for the last offset's overhang); the window of kernel offset (a, i, j) over output
# planes [p0, p1) is the run of (p1 - p0)*P1*P2 values starting at (p0 + a*d0)*P1*P2 + i*d1*P2 + j*d2.
# Outputs are computed "wide" (P1 x P2 per output plane instead of O1 x O2); the extra positions read
# across the volume's edges and are cropped off. The work goes in chunks of about _CHUNK3D_BYTES of
# columns: several samples, or some output planes of one, so that no batch-sized im2col matrix is
# ever built. The chunks' big temporaries (columns, GEMM outputs) are views of scratch buffers made
# once per call: a fresh multi-MiB array per chunk pays its page faults again every time, which cost
# as much as the GEMMs. (Measured on a 16^3, 8->16 channel conv: chunks of 4-8 MiB are fastest;
# under 1 MiB the GEMMs get too small.)
_CHUNK3D_BYTES = 1 << 23


class _Scratch:
    """One reusable buffer per name, sized for the largest chunk (the first); each chunk gets a
    contiguous view of it."""

    def __init__(self, xp, dtype):
        self.xp, self.dtype, self.bufs = xp, dtype, {}

    def __call__(self, name, shape):
        size = math.prod(shape)
        b = self.bufs.get(name)
        if b is None or b.size < size:
            b = self.bufs[name] = self.xp.empty(size, self.dtype)
        return b[:size].reshape(shape)


def flat_fits(in_sp, k, s, pads, d, G, out_sp):
    """Stride 1, one group, and the padded input exactly covered by the windows (a transposed conv's
    output_padding can leave extra planes; the general path takes those)."""
    if G != 1 or any(ss != 1 for ss in s):
        return False
    return all(n + pads[2 * i] + pads[2 * i + 1] == o + dd * (kk - 1)
               for i, (n, o, dd, kk) in enumerate(zip(in_sp, out_sp, d, k)))


class _Flat:
    """Geometry of the flat layout of a stride-1 conv: padded sizes, row strides, each kernel
    offset's start, and the chunks the work goes in."""

    def __init__(self, in_sp, k, pads, d):
        self.in_sp = tuple(in_sp)
        self.pads = pads
        self.P = tuple(n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(in_sp))
        self.out = tuple(p - dd * (kk - 1) for p, dd, kk in zip(self.P, d, k))
        self.S = tuple(math.prod(self.P[i + 1:]) for i in range(len(self.P)))
        self.k, self.d, self.K = tuple(k), tuple(d), math.prod(k)
        self.starts = [sum(i * dd * st for i, dd, st in zip(idx, d, self.S))
                       for idx in itertools.product(*(range(n) for n in k))]

    def chunks(self, n, C, itemsize):
        """[(n0, n1, [(p0, p1), ...])]: sample ranges, each with its ranges of output planes."""
        plane = C * self.K * self.S[0] * itemsize
        O0 = self.out[0]
        if plane * O0 <= _CHUNK3D_BYTES:
            step = max(1, _CHUNK3D_BYTES // max(1, plane * O0))
            return [(i, min(n, i + step), [(0, O0)]) for i in range(0, n, step)]
        pc = max(1, _CHUNK3D_BYTES // plane)
        planes = [(p, min(O0, p + pc)) for p in range(0, O0, pc)]
        return [(i, i + 1, planes) for i in range(n)]

    def padded(self, xp, x):
        """(n, C, *in) -> zero-padded rows (n, C, (P0 + 1) * S0)."""
        n, C = x.shape[:2]
        buf = xp.zeros((n, C, self.P[0] + 1) + self.P[1:], dtype=x.dtype)
        buf[crop(self.pads, self.in_sp)] = x
        return buf.reshape(n, C, (self.P[0] + 1) * self.S[0])

    def cols(self, xp, rows, p0, p1, scratch):
        """Padded rows (n, C, R) -> wide im2col of output planes [p0, p1): (n, C*K, L), in scratch."""
        n, C = rows.shape[:2]
        s0, s1, se = rows.strides
        L = (p1 - p0) * self.S[0]
        win = as_strided(xp, rows[:, :, p0 * self.S[0]:], (n, C) + self.k + (L,),
                         (s0, s1) + tuple(dd * st * se for dd, st in zip(self.d, self.S)) + (se,))
        out = scratch("cols", win.shape)
        xp.copyto(out, win)
        return out.reshape(n, C * self.K, L)

    def out_view(self, wide, planes):
        """Wide (..., planes * S0) -> view (..., planes, *out[1:]) without the junk positions."""
        v = wide.reshape(wide.shape[:-1] + (planes,) + self.P[1:])
        return v[(Ellipsis,) + tuple(slice(0, o) for o in self.out[1:])]

    def zero_junk(self, a, planes):
        """Zero the junk positions of a wide array: needed only when a non-finite value may sit there
        (0 * inf is NaN), so callers check first."""
        v = a.reshape(a.shape[:-1] + (planes,) + self.P[1:])
        r = len(self.P)
        for j in range(1, r):
            v[(Ellipsis, slice(self.out[j], None)) + (slice(None),) * (r - 1 - j)] = 0

    def gwide(self, xp, g, scratch):
        """Output gradient chunk (n, O, planes, *out[1:]) -> wide (n, O, planes * S0), junk zeroed."""
        n, O, planes = g.shape[:3]
        gw = scratch("gwide", (n, O, planes * self.S[0]))
        gw.fill(0)
        self.out_view(gw, planes)[...] = g
        return gw


def flat_forward(xp, x, w, b, pads, d, out=None):
    """``out``: where to write the result (a strided view, say: a transposed conv's phase)."""
    N = x.shape[0]
    O = w.shape[0]
    f = _Flat(x.shape[2:], w.shape[2:], pads, d)
    rows = f.padded(xp, x)
    w2 = w.reshape(O, -1)
    y = xp.empty((N, O) + f.out, dtype=x.dtype) if out is None else out
    scratch = _Scratch(xp, x.dtype)
    for n0, n1, planes in f.chunks(N, x.shape[1], x.itemsize):
        for p0, p1 in planes:
            cols = f.cols(xp, rows[n0:n1], p0, p1, scratch)
            wide = xp.matmul(w2, cols, out=scratch("wide", (n1 - n0, O, cols.shape[2])))
            wide = f.out_view(wide, p1 - p0)
            if b is None:
                y[n0:n1, :, p0:p1] = wide
            else:  # crop and bias in one pass
                xp.add(wide, b.reshape((1, O) + (1,) * len(f.out)), out=y[n0:n1, :, p0:p1])
    return y


def flat_input_grad(xp, g, w, in_shape, pads, d):
    N, C = in_shape[:2]
    f = _Flat(in_shape[2:], w.shape[2:], pads, d)
    w2t = w.reshape(w.shape[0], -1).T
    w_finite = _finite(xp, w)
    gx = xp.empty(in_shape, dtype=g.dtype)
    scratch = _Scratch(xp, g.dtype)
    for n0, n1, planes in f.chunks(N, C, g.itemsize):
        buf = scratch("buf", (n1 - n0, C, (f.P[0] + 1) * f.S[0]))
        buf.fill(0)
        for p0, p1 in planes:
            L = (p1 - p0) * f.S[0]
            dcols = xp.matmul(w2t, f.gwide(xp, g[n0:n1, :, p0:p1], scratch),
                              out=scratch("dcols", (n1 - n0, C * f.K, L))).reshape(n1 - n0, C, f.K, L)
            if not w_finite:  # junk positions then hold NaN, and they land on real voxels
                f.zero_junk(dcols, p1 - p0)
            for kk, off in enumerate(f.starts):
                off += p0 * f.S[0]
                buf[:, :, off:off + L] += dcols[:, :, kk]
        gx[n0:n1] = buf.reshape((n1 - n0, C, f.P[0] + 1) + f.P[1:])[crop(pads, f.in_sp)]
    return gx


def flat_weight_grad(xp, x, g, wshape, pads, d):
    N, C = x.shape[:2]
    f = _Flat(x.shape[2:], wshape[2:], pads, d)
    rows = f.padded(xp, x)
    x_finite = _finite(xp, x)
    gw = xp.zeros((wshape[0], C * f.K), dtype=g.dtype)
    scratch = _Scratch(xp, g.dtype)
    for n0, n1, planes in f.chunks(N, C, g.itemsize):
        for p0, p1 in planes:
            cols = f.cols(xp, rows[n0:n1], p0, p1, scratch)
            if not x_finite:
                f.zero_junk(cols, p1 - p0)
            gw += xp.matmul(f.gwide(xp, g[n0:n1, :, p0:p1], scratch), cols.transpose(0, 2, 1)).sum(axis=0)
    return gw.reshape(wshape)


# ------------------------------------------------------------------ kernels
def _conv_kernel(xp, x, w, b, s, pads, d, G):
    """The output and the im2col matrix kept for the weight gradient (None: rebuilt there)."""
    k = w.shape[2:]
    if flat_fits(x.shape[2:], k, s, pads, d, G, conv_out_sizes(x.shape[2:], k, s, pads, d)):
        return flat_forward(xp, x, w, b, pads, d), None
    return conv_forward(xp, x, w, b, s, pads, d, G)


def _convT_kernel(xp, x, w, b, s, pads, d, G, out_sp):
    if x.dtype.itemsize == 2 and xp is np:  # float16/bfloat16 in ATen's float32 order (half_kernels.py)
        return conv_transpose_half(x, w, b, s, pads, d, G, tuple(out_sp))
    out_shape = (x.shape[0], w.shape[1] * G) + tuple(out_sp)
    if flat_fits(out_sp, w.shape[2:], s, pads, d, G, x.shape[2:]):
        y = flat_input_grad(xp, x, w, out_shape, pads, d)
    elif phases_pay(xp, x, w, s, G):  # (adds the bias itself)
        return conv_transpose_phases(xp, x, w, b, s, pads, d, G, out_sp)
    else:
        y = xp.ascontiguousarray(conv_input_grad(xp, x, w, out_shape, s, pads, d, G))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * len(out_sp))
    return y


def _weight_kernel(xp, x, g, wshape, s, pads, d, G, cols=None):
    if cols is None and flat_fits(x.shape[2:], wshape[2:], s, pads, d, G, g.shape[2:]):
        return flat_weight_grad(xp, x, g, wshape, pads, d)
    return conv_weight_grad(xp, x, g, wshape, s, pads, d, G, cols)


# ------------------------------------------------------------------ ops
# The ops the formulas call take ``also``: tensors the result does not depend on but PyTorch's
# backward node has as inputs (ConvolutionBackwardBackward0 has the output gradient, the input and
# the weight): recorded as inputs with no gradient, so that a gradient taken with create_graph=True
# requires grad exactly when PyTorch's does.
BB = "ConvolutionBackwardBackward0"   # the node of every gradient of a conv, with create_graph=True


def conv3d_op(input, weight, bias, stride, pads, dil, groups, node_name="ConvolutionBackward0", also=()):
    """Arguments already checked and normalized: stride/dil triples, pads (lo, hi) per spatial dim."""
    b = None if bias is None else bias._data
    out, cols = _CONV3D.table[input._device.type](input._data, weight._data, b, stride, pads, dil, groups)
    res = wrap(out, input._device)
    inputs = (input, weight, bias) + tuple(also)
    if needs(*inputs):
        record(_CONV3D, res, inputs, {"stride": stride, "pads": pads, "dil": dil, "groups": groups,
                                      "cols": cols if weight._requires_grad else None}, node_name=node_name)
    return res


def conv_transpose3d_op(input, weight, bias, stride, pads, dil, groups, out_sp, node_name="ConvolutionBackward0",
                        also=()):
    """``out_sp``: the output's spatial sizes (output_padding already applied)."""
    b = None if bias is None else bias._data
    res = wrap(_CONVT3D.table[input._device.type](input._data, weight._data, b, stride, pads, dil, groups,
                                                  tuple(out_sp)), input._device)
    inputs = (input, weight, bias) + tuple(also)
    if needs(*inputs):
        record(_CONVT3D, res, inputs, {"stride": stride, "pads": pads, "dil": dil, "groups": groups,
                                       "transposed_out": tuple(out_sp)}, node_name=node_name)
    return res


def conv3d_weight_op(input, grad_output, wshape, stride, pads, dil, groups, cols=None, node_name=BB, also=()):
    """The weight gradient of conv3d(input, w) given its output gradient (bilinear in both)."""
    res = wrap(_WEIGHT3D.table[input._device.type](input._data, grad_output._data, tuple(wshape), stride, pads, dil,
                                                   groups, cols), input._device)
    inputs = (input, grad_output) + tuple(also)
    if needs(*inputs):
        record(_WEIGHT3D, res, inputs, {"stride": stride, "pads": pads, "dil": dil, "groups": groups},
               node_name=node_name)
    return res


_CONV3D = nnop("conv3d", _conv_kernel, conv3d_op, node="ConvolutionBackward0")
_CONVT3D = nnop("conv_transpose3d", _convT_kernel, conv_transpose3d_op, node="ConvolutionBackward0", bf16_native=True)
_WEIGHT3D = nnop("conv3d_weight", _weight_kernel, conv3d_weight_op, node=BB)


def _conv_to(conv, x, w, args, out_sp, also=()):
    """conv(x, w) (no bias) with exactly ``out_sp`` outputs. A transposed conv's output_padding can
    make the conv that computes its gradient longer (when it is at least the stride); the windows
    past the end are dropped by padding less at the end (or, past that, reading less of ``x``) rather
    than by cropping the result, so the result is the conv's own (PyTorch's node). The parameters
    may have more dims than the tensors (a 1-D conv run as 2-D): they are matched from the end."""
    stride, pads, dil, groups = args
    pads, keep = _conv_to_geometry(x, w, args, out_sp)
    if keep is not None:
        x = x[keep]
    return conv(x, w, None, stride, pads, dil, groups, node_name=BB, also=also)


def _conv_to_geometry(x, w, args, out_sp):
    """``_conv_to``'s pads, and the part of ``x`` it reads (None: all of it)."""
    stride, pads, dil, groups = args
    pads = list(pads)
    keep = [slice(None)] * x.ndim
    for i in range(1, len(out_sp) + 1):
        j = len(stride) - i
        n = x.shape[-i]
        extra = out_size(n, w.shape[-i], stride[j], pads[2 * j], pads[2 * j + 1], dil[j]) - out_sp[-i]
        if extra > 0:
            hi = pads[2 * j + 1] - extra * stride[j]
            if hi < 0:
                keep[-i] = slice(0, n + hi)
                hi = 0
            pads[2 * j + 1] = hi
    return tuple(pads), (tuple(keep) if any(k.stop is not None for k in keep) else None)


def none_for_also(node, grads):
    """``grads`` followed by None for the ``also`` inputs (they get no gradient)."""
    return grads + (None,) * (len(node.needs_input_grad) - len(grads))


def _bias_grad_kernel(xp, g):
    return g.sum(axis=(0,) + tuple(range(2, g.ndim)))


def conv_bias_grad_op(grad, also=()):
    """A conv's bias gradient: the output gradient summed over all but the channel dim. An op of its
    own for PyTorch's node name (and for ``also``: the gradient requires grad when the conv's input or
    weight does)."""
    res = wrap(_BIAS_GRAD.table[grad._device.type](grad._data), grad._device)
    inputs = (grad,) + tuple(also)
    if needs(*inputs):
        record(_BIAS_GRAD, res, inputs, {"shape": tuple(grad.shape)}, node_name=BB)
    return res


_BIAS_GRAD = nnop("conv_bias_grad", _bias_grad_kernel, conv_bias_grad_op, node=BB)


@formula("conv_bias_grad", saves=())
def _bias_grad_grad(node, gg):
    shape = node.attrs["shape"]
    gg = gg.reshape((1, shape[1]) + (1,) * (len(shape) - 2)).expand(shape)
    return none_for_also(node, (gg,))


# The formulas of a trio of ops (conv, transposed conv, weight gradient) of one rank, written with
# those ops: with create_graph=True the gradients they return carry history and differentiate again.
def _node_parts(node, count):
    """What each formula below starts from: the node's two tensor inputs, its (stride, pads, dil,
    groups) and whether each of its first ``count`` inputs needs a gradient."""
    a = node.attrs
    return node.inputs[:2], (a["stride"], a["pads"], a["dil"], a["groups"]), node.needs_input_grad[:count]


def _op_attrs(args, **more):
    stride, pads, dil, groups = args
    return {"stride": stride, "pads": tuple(pads), "dil": dil, "groups": groups, **more}


# Each gradient below is recorded on a node over (grad_output, input, weight), PyTorch's
# ConvolutionBackwardBackward0 edges (conv_backward_node.py); complex tensors (whose formulas take
# conjugates first) keep the ops' own nodes, with ``also`` for the edges PyTorch's node adds.
def conv_grads(node, g, ops):
    conv, conv_t, weight = ops
    (x, w), args, (nx, nw, nb) = _node_parts(node, 3)
    cplx = x.is_complex() or w.is_complex() or g.is_complex()
    gx = gw = None
    if nx and cplx:
        gx = conv_t(g, conj_factor(w), None, *args, x.shape[2:], node_name=BB, also=(x,))
    elif nx:
        gx = as_convolution_backward(lambda: conv_t(g, w, None, *args, x.shape[2:]),
                                     functools.partial(conv_transpose_grads, ops=ops), _op_attrs(args), (0, 2, None),
                                     g, x, w)
    cols = None if x.is_complex() else node.attrs["cols"]
    if nw and cplx:
        gw = weight(conj_factor(x), g, w.shape, *args, cols=cols, also=(w,))
    elif nw:
        gw = as_convolution_backward(lambda: weight(x, g, w.shape, *args, cols=cols),
                                     functools.partial(weight_grads, ops=ops), _op_attrs(args), (1, 0), g, x, w)
    gb = conv_bias_grad_op(g, also=(x, w)) if nb else None
    return none_for_also(node, (gx, gw, gb))


def conv_transpose_grads(node, g, ops):
    conv, conv_t, weight = ops
    (x, w), args, (nx, nw, nb) = _node_parts(node, 3)
    gx = None
    if nx:
        pads, keep = _conv_to_geometry(g, w, args, x.shape[2:])
        if keep is not None or x.is_complex() or w.is_complex() or g.is_complex():
            gx = _conv_to(conv, g, conj_factor(w), args, x.shape[2:], also=(x,))
        else:
            stride, _, dil, groups = args
            gx = as_convolution_backward(lambda: conv(g, w, None, stride, pads, dil, groups),
                                         functools.partial(conv_grads, ops=ops),
                                         _op_attrs((stride, pads, dil, groups), cols=None), (0, 2, None), g, x, w)
    # a transposed conv is a conv's input gradient: its weight gradient is that conv's, roles swapped
    gw = weight(g, conj_factor(x), w.shape, *args, also=(w,)) if nw else None
    gb = conv_bias_grad_op(g, also=(x, w)) if nb else None
    return none_for_also(node, (gx, gw, gb))


def weight_grads(node, gw, ops):
    conv, conv_t, weight = ops
    (x, g), args, (nx, ng) = _node_parts(node, 2)
    # (the weight op is bilinear in (input, grad_output): each gradient takes the other's conjugate)
    gx = conv_t(conj_factor(g), gw, None, *args, x.shape[2:], node_name=BB) if nx else None
    gg = _conv_to(conv, conj_factor(x), gw, args, g.shape[2:]) if ng else None
    return none_for_also(node, (gx, gg))


_OPS = (conv3d_op, conv_transpose3d_op, conv3d_weight_op)


@formula("conv3d", saves=(0, 1))
def _conv3d_grad(node, g):
    return conv_grads(node, g, _OPS)


@formula("conv_transpose3d", saves=(0, 1))
def _convT3d_grad(node, g):
    return conv_transpose_grads(node, g, _OPS)


declare_conv_saved(_conv3d_grad, False)
declare_conv_saved(_convT3d_grad, True)


@formula("conv3d_weight")
def _weight3d_grad(node, gw):
    return weight_grads(node, gw, _OPS)


# ------------------------------------------------------------------ public functions (F.conv3d, F.conv_transpose3d)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    from .conv_api import check_operand_types, check_setting_types  # (conv_api imports this module)
    settings = (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1))
    check_operand_types("conv3d", 3, input, weight, bias, settings, groups)
    if (stride.__class__ is not int or padding.__class__ is not int or dilation.__class__ is not int
            or groups.__class__ is not int):
        check_setting_types("conv3d", 3, input, weight, bias, settings, groups)
    _check_bias_type(input, bias)  # ATen's first check, before any shape or argument is looked at
    stride, dil = _conv_param(stride, "stride"), _conv_param(dilation, "dilation")
    _check_common("conv3d", input, weight, bias, stride, dil, groups,
                  padding if isinstance(padding, str) else _conv_param(padding, "padding"))
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0,) * 6
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = _same_pads(k, dil)
            # a negative dilation: negative amounts are reported, else (a kernel of one) the dilation
            if min(pads) < 0:
                raise RuntimeError("negative padding is not supported")
            if min(dil) < 0:
                raise RuntimeError("dilation should be greater than zero")
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _conv_param(padding, "padding")
        if any(pp < 0 for pp in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple(pp for pp in p for _ in range(2))
    unbatched = input.ndim == 4
    shape = (1,) + tuple(input.shape) if unbatched else tuple(input.shape)
    C = shape[1]
    if C != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(shape)} "
                           f"to have {weight.shape[1] * groups} channels, but got {C} channels instead")
    _check_bias(bias, weight.shape[0], "", weight)
    _check_types(input, weight, bias, False, shape[0])
    padded = [n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(shape[2:])]
    eff = [d * (kk - 1) + 1 for kk, d in zip(k, dil)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    if unbatched:
        input = input.unsqueeze(0)
    out = conv3d_op(input, weight, bias, stride, pads, dil, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if _autocast.on:
        input, weight, bias = _autocast.lower(input, weight, bias)
    from .conv_api import CONV_TRANSPOSE_ARGS, check_setting_types  # (conv_api imports this module)
    check_tensor_args("conv_transpose3d", CONV_TRANSPOSE_ARGS, input, weight, bias)
    check_setting_types("conv_transpose3d", 3, input, weight, bias,
                        (("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
                         ("dilation", dilation, 1)), groups, transposed=True)
    stride, dil = _conv_param(stride, "stride"), _conv_param(dilation, "dilation")
    pad, opad = _conv_param(padding, "padding"), _conv_param(output_padding, "output_padding")
    _check_common("conv_transpose3d", input, weight, bias, stride, dil, groups, pad, opad)
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in opad):
        raise RuntimeError("negative output_padding is not supported")
    unbatched = input.ndim == 4
    shape = (1,) + tuple(input.shape) if unbatched else tuple(input.shape)
    if shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(shape)} to "
                           f"have {weight.shape[0]} channels, but got {shape[1]} channels instead")
    _check_bias(bias, weight.shape[1] * groups, "transposed=1, ", weight)
    _check_types(input, weight, bias, True, shape[0])
    if any(o >= s and o >= d for o, s, d in zip(opad, stride, dil)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           "output_padding_depth: {} output_padding_height: {} output_padding_width: {} "
                           "stride_depth: {} stride_height: {} stride_width: {} dilation_depth: {} dilation_height: {} "
                           "dilation_width: {}".format(*opad, *stride, *dil))
    k = weight.shape[2:]
    out_sp = tuple((n - 1) * s - 2 * p + d * (kk - 1) + o + 1
                   for n, s, p, d, kk, o in zip(shape[2:], stride, pad, dil, k, opad))
    if any(n < 1 for n in out_sp):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, shape[2:]))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out_sp))}). Output size is too small")
    if unbatched:
        input = input.unsqueeze(0)
    pads = tuple(p for p in pad for _ in range(2))
    out = conv_transpose3d_op(input, weight, bias, stride, pads, dil, groups, out_sp)
    return out.squeeze(0) if unbatched else out
