"""Fused LSTM and GRU cells: one graph node per time step for the pointwise part of a cell.

The recurrent modules compute the gate pre-activations with two linears (the input projection of
the whole sequence, the hidden projection of one step); everything after that (adding them, the
sigmoids and tanhs, the state update) is one op here instead of ~15 small nodes, with a backward
written out by hand. Gate order is PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n``.

- ``fused_lstm_cell(input_gates, hidden_gates, cx) -> (hy, cy)``: gates (N, 4H), cx (N, H).
- ``fused_gru_cell(input_gates, hidden_gates, hx) -> hy``: gates (N, 3H), hx (N, H).
- ``fused_lstm_layer(input_gates, w_hh, h0, c0, reverse) -> (output, c_n)`` and
  ``fused_gru_layer(input_gates, w_hh, b_hh, h0, reverse) -> output``: a whole layer and direction
  over a padded batch (input gates (T, N, gates)), the time loop inside one node that calls the
  device's cell kernels (on the CPU in float32/float64, the same arithmetic inlined in
  rnn_layer_cpu.py's loops); nn.LSTM/nn.GRU use them unless the input is packed or LSTM projects.

The nodes are named as PyTorch names the same fused ops of its CUDA build
(``ThnnFusedLstmCellBackward0``, ``ThnnFusedGruCellBackward0``). What the first-order backward
reads is the workspace the forward already computed (the activated gates, ``tanh(cy)``); the
inputs are kept too, because a backward recorded with ``create_graph=True`` recomputes the cell
from them with tensorgraft ops so that it can be differentiated again.

The backward kernels are ops of their own (not differentiable, no graph) so that a device can
replace them as it replaces a forward kernel (tensorgraft-cuda's fused ElementwiseKernels).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from . import rnn_layer_cpu as _cpu
from ._common import Tensor, check_tensor, formula, gs, needs, nnop, same_device, wrap
from tensorgraft.dtypes import np_kind as _np_kind


# ------------------------------------------------------------------ shared checks
def _check(fname, input_gates, hidden_gates, state, n_gates):
    for pos, (arg, t) in enumerate((("input_gates", input_gates), ("hidden_gates", hidden_gates),
                                    ("cx" if n_gates == 4 else "hx", state)), 1):
        check_tensor(t, fname, arg, pos)
    dev = same_device(fname, input_gates, hidden_gates, state)
    a, b, s = input_gates._data, hidden_gates._data, state._data
    if s.ndim != 2 or a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{fname}: expected 2-D gates and state, got {a.ndim}-D input_gates, {b.ndim}-D "
                           f"hidden_gates and a {s.ndim}-D state")
    want = (s.shape[0], n_gates * s.shape[1])
    if a.shape != want or b.shape != want:
        raise RuntimeError(f"{fname}: input_gates and hidden_gates must both have shape {list(want)} ({n_gates} "
                           f"gates of the state's size {s.shape[1]}), got {list(a.shape)} and {list(b.shape)}")
    if a.dtype != s.dtype or b.dtype != s.dtype:
        raise RuntimeError(f"{fname}: expected all arguments to have the same dtype, got {a.dtype}, {b.dtype} and "
                           f"{s.dtype}")
    if _np_kind(s.dtype) != "f":
        raise RuntimeError(f"{fname}: expected floating point tensors, got {s.dtype}")
    return dev


def _sigmoid_(xp, a):
    """In place; the tanh form neither overflows nor warns for large negative inputs."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


# ------------------------------------------------------------------ LSTM
_GATE_AFFINE: dict = {}  # (H, dtype) -> (scale, shift), NumPy only (a CuPy array belongs to one GPU)


def _gate_affine(xp, H, dtype):
    """Per-column scale and shift that activate all four gates with one tanh over the whole (N, 4H)
    array, ``tanh(x * s) * s + b``: s = b = 1/2 is the sigmoid, s = 1, b = 0 the tanh of g. Whole-array
    ufuncs are much faster than the same work on four strided column blocks."""
    key = (H, dtype)
    hit = _GATE_AFFINE.get(key) if xp is np else None
    if hit is None:
        scale, shift = xp.full(4 * H, 0.5, dtype), xp.full(4 * H, 0.5, dtype)
        scale[2 * H:3 * H] = 1
        shift[2 * H:3 * H] = 0
        hit = scale, shift
        if xp is np:
            _GATE_AFFINE[key] = hit
    return hit


def _lstm_kernel(xp, xg, hg, cx):
    """-> (hy, cy, act, tanh_cy); ``act`` holds the activated gates i, f, g, o side by side."""
    H = cx.shape[1]
    scale, shift = _gate_affine(xp, H, cx.dtype)
    act = xg + hg
    act *= scale
    xp.tanh(act, out=act)
    act *= scale
    act += shift
    cy = act[:, H:2 * H] * cx
    cy += act[:, :H] * act[:, 2 * H:3 * H]
    tanh_cy = xp.tanh(cy)
    hy = act[:, 3 * H:] * tanh_cy
    return hy, cy, act, tanh_cy


def _lstm_backward_kernel(xp, gh, gc, act, tanh_cy, cx):
    """-> (d gates, d cx) from the gradients of hy and cy (either may be None)."""
    H = cx.shape[1]
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    # each gate's derivative of its activation: s * (1 - s) for the sigmoids, 1 - g^2 for the tanh
    dact = 1 - act
    dact *= act
    xp.multiply(g, g, out=dact[:, 2 * H:3 * H])
    xp.subtract(1, dact[:, 2 * H:3 * H], out=dact[:, 2 * H:3 * H])
    d = xp.empty_like(act)
    if gh is not None:
        dc = 1 - tanh_cy * tanh_cy
        dc *= o
        dc *= gh
        if gc is not None:
            dc += gc
        xp.multiply(gh, tanh_cy, out=d[:, 3 * H:])
    else:
        dc = gc.copy()
        d[:, 3 * H:] = 0
    xp.multiply(dc, g, out=d[:, :H])
    xp.multiply(dc, cx, out=d[:, H:2 * H])
    xp.multiply(dc, i, out=d[:, 2 * H:3 * H])
    d *= dact
    dc *= f
    return d, dc


def fused_lstm_cell(input_gates, hidden_gates, cx):
    """New (hy, cy) of an LSTM cell from the gate pre-activations of the input and of the hidden
    state (each (N, 4H), gates i, f, g, o) and the previous cell state cx (N, H)."""
    dev = _check("fused_lstm_cell", input_gates, hidden_gates, cx, 4)
    hy, cy, act, tanh_cy = _LSTM.table[dev.type](input_gates._data, hidden_gates._data, cx._data)
    h, c = wrap(hy, dev), wrap(cy, dev)
    if needs(input_gates, hidden_gates, cx):
        Tensor._autograd.record_multi(_LSTM, (h, c), (input_gates, hidden_gates, cx), {"act": act, "tanh_cy": tanh_cy})
    return h, c


def fused_lstm_cell_backward(grad_hy, grad_cy, act, tanh_cy, cx):
    """Gradients (of the gates, of cx) of ``fused_lstm_cell`` given its workspace (tensors)."""
    dev = cx._device
    d, dcx = _LSTM_BACKWARD.table[dev.type](None if grad_hy is None else grad_hy._data,
                                            None if grad_cy is None else grad_cy._data,
                                            act._data, tanh_cy._data, cx._data)
    return wrap(d, dev), wrap(dcx, dev)


_LSTM = nnop("fused_lstm_cell", _lstm_kernel, fused_lstm_cell, node="ThnnFusedLstmCellBackward0")
_LSTM_BACKWARD = nnop("fused_lstm_cell_backward", _lstm_backward_kernel, fused_lstm_cell_backward,
                      differentiable=False)


def _lstm_grad_graph(node, gh, gc):
    """create_graph=True: the same gradient written with tensorgraft ops from the saved inputs."""
    import tensorgraft as tg
    xg, hg, cx = node.inputs
    i, f, g, o = (xg + hg).chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    tanh_cy = (f * cx + i * g).tanh()
    dc = gc
    if gh is not None:
        via_h = gh * o * (1 - tanh_cy * tanh_cy)
        dc = via_h if dc is None else dc + via_h
        do = gh * tanh_cy * o * (1 - o)
    else:
        do = tg.zeros_like(o)
    d = tg.cat([dc * g * i * (1 - i), dc * cx * f * (1 - f), dc * i * (1 - g * g), do], 1)
    return d, dc * f


@formula("fused_lstm_cell", saves=(0, 1, 2))
def _lstm_grad(node, grads):
    gh, gc = grads
    if gh is None and gc is None:
        return None, None, None
    if gs.enabled:
        d, dcx = _lstm_grad_graph(node, gh, gc)
    else:
        dev = node.inputs[2]._device
        d, dcx = _LSTM_BACKWARD.table[dev.type](None if gh is None else gh._data, None if gc is None else gc._data,
                                                node.attrs["act"], node.attrs["tanh_cy"], node.inputs[2]._data)
        d, dcx = wrap(d, dev), wrap(dcx, dev)
    nx, nh, nc = node.needs_input_grad
    # both gate inputs get the same gradient (they are summed); the engine never writes into it
    return (d if nx else None), (d if nh else None), (dcx if nc else None)


_lstm_grad.multi_output = True


# ------------------------------------------------------------------ GRU
def _gru_kernel(xp, xg, hg, hx):
    """-> (hy, act); ``act`` holds r, z and n side by side."""
    H = hx.shape[1]
    # the sigmoid runs over the whole contiguous array (faster than on the strided r, z block);
    # the n block it also touches is overwritten right after
    act = _sigmoid_(xp, xg + hg)
    n = act[:, 2 * H:]
    xp.multiply(act[:, :H], hg[:, 2 * H:], out=n)
    n += xg[:, 2 * H:]
    xp.tanh(n, out=n)
    hy = hx - n
    hy *= act[:, H:2 * H]
    hy += n
    return hy, act


def _gru_backward_kernel(xp, gh, act, hg, hx):
    """-> (d input gates, d hidden gates, d hx); they differ only in the n gate, where the hidden
    part was scaled by r."""
    H = hx.shape[1]
    r, z, n = act[:, :H], act[:, H:2 * H], act[:, 2 * H:]
    hn = hg[:, 2 * H:]
    dxg = xp.empty_like(act)
    dn = gh * (1 - z) * (1 - n * n)
    xp.multiply(dn * hn, r * (1 - r), out=dxg[:, :H])
    xp.multiply(gh * (hx - n), z * (1 - z), out=dxg[:, H:2 * H])
    dxg[:, 2 * H:] = dn
    dhg = dxg.copy()
    dhg[:, 2 * H:] *= r
    return dxg, dhg, gh * z


def fused_gru_cell(input_gates, hidden_gates, hx):
    """New hidden state of a GRU cell from the gate pre-activations of the input and of the hidden
    state (each (N, 3H), gates r, z, n; the hidden part of n is scaled by r) and hx (N, H)."""
    dev = _check("fused_gru_cell", input_gates, hidden_gates, hx, 3)
    hy, act = _GRU.table[dev.type](input_gates._data, hidden_gates._data, hx._data)
    h = wrap(hy, dev)
    if needs(input_gates, hidden_gates, hx):
        Tensor._autograd.record(_GRU, h, (input_gates, hidden_gates, hx), {"act": act})
    return h


def fused_gru_cell_backward(grad_hy, act, hidden_gates, hx):
    """Gradients (input gates, hidden gates, hx) of ``fused_gru_cell`` given its workspace (tensors)."""
    dev = hx._device
    return tuple(wrap(a, dev) for a in _GRU_BACKWARD.table[dev.type](grad_hy._data, act._data, hidden_gates._data,
                                                                     hx._data))


_GRU = nnop("fused_gru_cell", _gru_kernel, fused_gru_cell, node="ThnnFusedGruCellBackward0")
_GRU_BACKWARD = nnop("fused_gru_cell_backward", _gru_backward_kernel, fused_gru_cell_backward,
                     differentiable=False)


def _gru_grad_graph(node, gh):
    import tensorgraft as tg
    xg, hg, hx = node.inputs
    xr, xz, xn = xg.chunk(3, 1)
    hr, hz, hn = hg.chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    dn = gh * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = gh * (hx - n) * z * (1 - z)
    return tg.cat([dr, dz, dn], 1), tg.cat([dr, dz, dn * r], 1), gh * z


@formula("fused_gru_cell", saves=(0, 1, 2))
def _gru_grad(node, g):
    if gs.enabled:
        dxg, dhg, dhx = _gru_grad_graph(node, g)
    else:
        xg, hg, hx = node.inputs
        dev = hx._device
        dxg, dhg, dhx = (wrap(a, dev) for a in _GRU_BACKWARD.table[dev.type](g._data, node.attrs["act"], hg._data,
                                                                             hx._data))
    nx, nh, nhx = node.needs_input_grad
    return (dxg if nx else None), (dhg if nh else None), (dhx if nhx else None)


# ------------------------------------------------------------------ a whole LSTM layer (one direction)
# The recurrent modules' common case (LSTM without projections on a padded batch) runs the time loop
# inside one op: the graph gets one node per layer and direction instead of several per time step,
# the forward multiplies by a contiguous copy of w_hh.T (BLAS is markedly faster on it than on the
# transposed view), and the backward finds the gradient of w_hh with one matrix product over all
# steps instead of one small one per step. The bias of the hidden projection is expected to be
# folded into ``input_gates`` by the caller (both are added to the same pre-activations).
def _layer_steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _lstm_layer_kernel(xp, xg, w_hh, h0, c0, reverse, cell=None):
    """-> (output (T, N, H), c_n, workspace). ``cell`` is the device's kernel of ``fused_lstm_cell``
    (a device plugin's fused one; NumPy's by default). The workspace holds, per step in time order, the
    activated gates, tanh(cy), the cell state the step started from and hy (its own arrays, not the
    output's, so that an in-place change of the output cannot corrupt the backward)."""
    if cell is None:
        if xp is np and xg.dtype in _cpu.FAST_DTYPES:  # the same arithmetic with less overhead per step
            return _cpu.lstm_layer_forward(xg, w_hh, h0, c0, reverse, *_gate_affine(np, h0.shape[1], xg.dtype))
        cell = partial(_lstm_kernel, xp)
    T = xg.shape[0]
    w_t = xp.ascontiguousarray(w_hh.T)
    hs, acts, tanh_cs, c_prev = [None] * T, [None] * T, [None] * T, [None] * T
    h, c = h0, c0
    for t in _layer_steps(T, reverse):
        c_prev[t] = c
        h, c, acts[t], tanh_cs[t] = cell(xg[t], h.dot(w_t), c)
        hs[t] = h
    return xp.stack(hs), c, (acts, tanh_cs, c_prev, hs)


def _lstm_layer_backward_kernel(xp, g_out, g_cn, w_hh, h0, workspace, reverse, cell_backward=None):
    """-> (d input_gates, d w_hh, d h0, d c0) from the gradients of the output and of c_n (either
    may be None): backpropagation through time, one fused cell backward per step (``cell_backward``:
    the device's kernel of ``fused_lstm_cell_backward``)."""
    if isinstance(workspace, dict):  # from rnn_layer_cpu's forward
        return _cpu.lstm_layer_backward(g_out, g_cn, w_hh, workspace, reverse)
    if cell_backward is None:
        def cell_backward(*args):
            return _lstm_backward_kernel(xp, *args)
    acts, tanh_cs, c_prev, hs = workspace
    T, (N, H) = len(hs), h0.shape
    d_xg = xp.empty((T, N, 4 * H), h0.dtype)
    dh = dc = None
    if g_cn is not None:
        dc = g_cn
    for t in _layer_steps(T, not reverse):
        gh = g_out[t] if g_out is not None else None
        if dh is not None:
            gh = dh if gh is None else gh + dh
        if gh is None and dc is None:
            d_xg[t] = 0
            continue
        d, dc = cell_backward(gh, dc, acts[t], tanh_cs[t], c_prev[t])
        d_xg[t] = d
        dh = d.dot(w_hh)
    # the hidden state each step started from: h0 then the outputs, in the direction's order
    h_prev = xp.stack(hs[1:] + [h0] if reverse else [h0] + hs[:-1])
    d_w = d_xg.reshape(-1, 4 * H).T.dot(h_prev.reshape(-1, H))
    if dh is None:
        dh = xp.zeros_like(h0)
    if dc is None:
        dc = xp.zeros_like(h0)
    return d_xg, d_w, dh, dc


def fused_lstm_layer(input_gates, w_hh, h0, c0, reverse=False):
    """One direction of one LSTM layer (no projection) over a padded batch: ``input_gates`` (T, N, 4H)
    are the input projections of every step with both biases, ``w_hh`` (4H, H) the recurrent weight,
    ``h0``/``c0`` (N, H) the initial state. Runs the steps backwards in time when ``reverse``.
    -> (output (T, N, H), c_n (N, H)); h_n is the output's last step (its first when ``reverse``)."""
    fname = "fused_lstm_layer"
    for pos, (arg, t) in enumerate((("input_gates", input_gates), ("w_hh", w_hh), ("h0", h0), ("c0", c0)), 1):
        check_tensor(t, fname, arg, pos)
    dev = same_device(fname, input_gates, w_hh, h0, c0)
    xg, w, h, c = input_gates._data, w_hh._data, h0._data, c0._data
    if xg.ndim != 3 or w.ndim != 2 or h.ndim != 2 or c.ndim != 2:
        raise RuntimeError(f"{fname}: expected 3-D input_gates and 2-D w_hh, h0 and c0, got {xg.ndim}-D, {w.ndim}-D, "
                           f"{h.ndim}-D and {c.ndim}-D")
    N, H = c.shape
    if xg.shape[0] == 0 or xg.shape[1:] != (N, 4 * H) or w.shape != (4 * H, H) or h.shape != (N, H):
        raise RuntimeError(f"{fname}: expected input_gates (T>0, {N}, {4 * H}), w_hh ({4 * H}, {H}) and h0 ({N}, "
                           f"{H}) for c0 {list(c.shape)}, got {list(xg.shape)}, {list(w.shape)} and {list(h.shape)}")
    if not (xg.dtype == w.dtype == h.dtype == c.dtype) or _np_kind(c.dtype) != "f":
        raise RuntimeError(f"{fname}: expected floating point arguments of one dtype, got {xg.dtype}, {w.dtype}, "
                           f"{h.dtype} and {c.dtype}")
    # NumPy's float32/float64 loop inlines the cell (rnn_layer_cpu.py; a plugin replacing the CPU cell
    # kernel would set rnn_layer_cpu.FAST_DTYPES = ()); other devices' cell kernels and the half types
    # (whose kernels round per step) keep the loop over the cell kernel
    cell = None if dev.type == "cpu" and c.dtype in _cpu.FAST_DTYPES else _LSTM.table[dev.type]
    out, cn, workspace = _LSTM_LAYER.table[dev.type](xg, w, h, c, bool(reverse), cell)
    o, cn = wrap(out, dev), wrap(cn, dev)
    if needs(input_gates, w_hh, h0, c0):
        Tensor._autograd.record_multi(_LSTM_LAYER, (o, cn), (input_gates, w_hh, h0, c0),
                                      {"workspace": workspace, "reverse": bool(reverse)},
                                      node_name=_LAYER_NODE_NAMES.get(c.dtype.name, "StackBackward0"))
    return o, cn


def fused_lstm_layer_backward(grad_output, grad_cn, w_hh, h0, workspace, reverse=False):
    """Gradients (input gates, w_hh, h0, c0) of ``fused_lstm_layer`` given its workspace (the arrays
    its kernel returned)."""
    dev = h0._device
    res = _LSTM_LAYER_BACKWARD.table[dev.type](None if grad_output is None else grad_output._data,
                                               None if grad_cn is None else grad_cn._data, w_hh._data, h0._data,
                                               workspace, bool(reverse), _LSTM_BACKWARD.table[dev.type])
    return tuple(wrap(a, dev) for a in res)


# What a non-batch_first output prints in PyTorch's CPU build: its oneDNN whole-layer node for the
# dtypes oneDNN runs (float32, bfloat16), else the stack of its per-step loop
_LAYER_NODE_NAMES = {"float32": "MkldnnRnnLayerBackward0", "bfloat16": "MkldnnRnnLayerBackward0"}
_LSTM_LAYER = nnop("fused_lstm_layer", _lstm_layer_kernel, fused_lstm_layer, node="MkldnnRnnLayerBackward0")
_LSTM_LAYER_BACKWARD = nnop("fused_lstm_layer_backward", _lstm_layer_backward_kernel, fused_lstm_layer_backward,
                            differentiable=False)


def _lstm_layer_grad_graph(node, g_out, g_cn):
    """create_graph=True: backpropagation through time written with tensorgraft ops, recomputing
    the states from the saved inputs, so that the gradient can be differentiated again."""
    import tensorgraft as tg
    xg, w_hh, h0, c0 = node.inputs
    reverse = node.attrs["reverse"]
    T = xg.shape[0]
    steps = list(_layer_steps(T, reverse))
    saved = [None] * T
    h, c = h0, c0
    for t in steps:
        i, f, g, o = (xg[t] + h.mm(w_hh.t())).chunk(4, 1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c_new = f * c + i * g
        tanh_c = c_new.tanh()
        saved[t] = (h, c, i, f, g, o, tanh_c)
        h, c = o * tanh_c, c_new
    d_xg, d_w = [None] * T, None
    dh, dc = None, g_cn
    for t in reversed(steps):
        h_prev, c_prev, i, f, g, o, tanh_c = saved[t]
        gh = g_out[t] if g_out is not None else None
        if dh is not None:
            gh = dh if gh is None else gh + dh
        if gh is None:
            gh = tg.zeros_like(h_prev)
        via_h = gh * o * (1 - tanh_c * tanh_c)
        dc = via_h if dc is None else dc + via_h
        d = tg.cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                    gh * tanh_c * o * (1 - o)], 1)
        d_xg[t] = d
        dw = d.t().mm(h_prev)
        d_w = dw if d_w is None else d_w + dw
        dh = d.mm(w_hh)
        dc = dc * f
    return tg.stack(d_xg, 0), d_w, dh, dc


@formula("fused_lstm_layer", saves=(0, 1, 2, 3))
def _lstm_layer_grad(node, grads):
    g_out, g_cn = grads
    if g_out is None and g_cn is None:
        return None, None, None, None
    if gs.enabled:
        res = _lstm_layer_grad_graph(node, g_out, g_cn)
    else:
        _, w_hh, h0, _ = node.inputs
        dev = h0._device
        res = _LSTM_LAYER_BACKWARD.table[dev.type](None if g_out is None else g_out._data,
                                                   None if g_cn is None else g_cn._data, w_hh._data, h0._data,
                                                   node.attrs["workspace"], node.attrs["reverse"],
                                                   _LSTM_BACKWARD.table[dev.type])
        res = tuple(wrap(a, dev) for a in res)
    return tuple(r if need else None for r, need in zip(res, node.needs_input_grad))


_lstm_layer_grad.multi_output = True


# ------------------------------------------------------------------ a whole GRU layer (one direction)
# The same whole-layer op for GRU. The hidden bias cannot be folded into the input projection here
# (its n part is scaled by r), so it is an input of its own, added to each step's hidden projection.
def _gru_layer_kernel(xp, xg, w_hh, b_hh, h0, reverse, cell=None):
    """-> (output (T, N, H), workspace: per step the activated gates, the hidden projection and
    the state the step started from, plus hy on its own arrays)."""
    if cell is None:
        if xp is np and xg.dtype in _cpu.FAST_DTYPES:
            return _cpu.gru_layer_forward(xg, w_hh, b_hh, h0, reverse)
        cell = partial(_gru_kernel, xp)
    T = xg.shape[0]
    w_t = xp.ascontiguousarray(w_hh.T)
    hs, acts, hgs, h_prev = [None] * T, [None] * T, [None] * T, [None] * T
    h = h0
    for t in _layer_steps(T, reverse):
        hg = h.dot(w_t)
        if b_hh is not None:
            hg += b_hh
        h_prev[t], hgs[t] = h, hg
        h, acts[t] = cell(xg[t], hg, h)
        hs[t] = h
    return xp.stack(hs), (acts, hgs, h_prev, hs)


def _gru_layer_backward_kernel(xp, g_out, w_hh, has_bias, workspace, reverse, cell_backward=None):
    """-> (d input_gates, d w_hh, d b_hh or None, d h0): backpropagation through time."""
    if isinstance(workspace, dict):  # from rnn_layer_cpu's forward
        return _cpu.gru_layer_backward(g_out, w_hh, has_bias, workspace, reverse)
    if cell_backward is None:
        def cell_backward(*args):
            return _gru_backward_kernel(xp, *args)
    acts, hgs, h_prev, hs = workspace
    T, (N, H) = len(hs), hs[0].shape
    d_xg = xp.empty((T, N, 3 * H), hs[0].dtype)
    d_hg = xp.empty_like(d_xg)
    dh = None
    for t in _layer_steps(T, not reverse):
        gh = g_out[t] if dh is None else g_out[t] + dh
        d_xg[t], d_hg[t], dh = cell_backward(gh, acts[t], hgs[t], h_prev[t])
        dh += d_hg[t].dot(w_hh)
    d_hg2 = d_hg.reshape(-1, 3 * H)
    d_w = d_hg2.T.dot(xp.stack(h_prev).reshape(-1, H))
    return d_xg, d_w, (d_hg2.sum(0) if has_bias else None), dh


def fused_gru_layer(input_gates, w_hh, b_hh, h0, reverse=False):
    """One direction of one GRU layer over a padded batch: ``input_gates`` (T, N, 3H) are the input
    projections of every step with their bias, ``w_hh`` (3H, H) and ``b_hh`` (3H, or None) the
    recurrent weight and bias, ``h0`` (N, H) the initial state. -> output (T, N, H); h_n is its last
    step (its first when ``reverse``)."""
    fname = "fused_gru_layer"
    named = [("input_gates", input_gates), ("w_hh", w_hh), ("b_hh", b_hh), ("h0", h0)]
    for pos, (arg, t) in enumerate(named, 1):
        if t is not None or arg != "b_hh":
            check_tensor(t, fname, arg, pos)
    dev = same_device(fname, *(t for _, t in named if t is not None))
    xg, w, h = input_gates._data, w_hh._data, h0._data
    b = None if b_hh is None else b_hh._data
    N, H = h.shape if h.ndim == 2 else (None, None)
    if (h.ndim != 2 or xg.ndim != 3 or xg.shape[0] == 0 or xg.shape[1:] != (N, 3 * H) or w.shape != (3 * H, H)
            or (b is not None and b.shape != (3 * H,))):
        raise RuntimeError(f"{fname}: expected input_gates (T>0, N, 3H), w_hh (3H, H), b_hh (3H) and h0 (N, H), got "
                           f"{list(xg.shape)}, {list(w.shape)}, {None if b is None else list(b.shape)} and "
                           f"{list(h.shape)}")
    if any(a.dtype != h.dtype for a in (xg, w) + (() if b is None else (b,))) or _np_kind(h.dtype) != "f":
        raise RuntimeError(f"{fname}: expected floating point arguments of one dtype, got "
                           f"{', '.join(str(a.dtype) for a in (xg, w, b, h) if a is not None)}")
    cell = None if dev.type == "cpu" and h.dtype in _cpu.FAST_DTYPES else _GRU.table[dev.type]
    out, workspace = _GRU_LAYER.table[dev.type](xg, w, b, h, bool(reverse), cell)
    o = wrap(out, dev)
    if needs(input_gates, w_hh, b_hh, h0):
        Tensor._autograd.record(_GRU_LAYER, o, (input_gates, w_hh, b_hh, h0),
                                {"workspace": workspace, "reverse": bool(reverse)})
    return o


def fused_gru_layer_backward(grad_output, w_hh, has_bias, workspace, reverse=False):
    """Gradients (input gates, w_hh, b_hh or None, h0) of ``fused_gru_layer`` given its workspace."""
    dev = grad_output._device
    res = _GRU_LAYER_BACKWARD.table[dev.type](grad_output._data, w_hh._data, bool(has_bias), workspace,
                                              bool(reverse), _GRU_BACKWARD.table[dev.type])
    return tuple(None if a is None else wrap(a, dev) for a in res)


# PyTorch's CPU build runs GRU as a per-step loop whose output is a stack, in every dtype
_GRU_LAYER = nnop("fused_gru_layer", _gru_layer_kernel, fused_gru_layer, node="StackBackward0")
_GRU_LAYER_BACKWARD = nnop("fused_gru_layer_backward", _gru_layer_backward_kernel, fused_gru_layer_backward,
                           differentiable=False)


def _gru_layer_grad_graph(node, g_out):
    """create_graph=True: recompute the steps with tensorgraft ops and backpropagate through them."""
    import tensorgraft as tg
    xg, w_hh, b_hh, h0 = node.inputs
    steps = list(_layer_steps(xg.shape[0], node.attrs["reverse"]))
    saved = {}
    h = h0
    for t in steps:
        hg = h.mm(w_hh.t())
        if b_hh is not None:
            hg = hg + b_hh
        xr, xz, xn = xg[t].chunk(3, 1)
        hr, hz, hn = hg.chunk(3, 1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        saved[t] = (h, r, z, n, hn)
        h = n + z * (h - n)
    d_xg, d_w, d_b, dh = [None] * len(steps), None, None, None
    for t in reversed(steps):
        h_prev, r, z, n, hn = saved[t]
        gh = g_out[t] if dh is None else g_out[t] + dh
        dn = gh * (1 - z) * (1 - n * n)
        dr = dn * hn * r * (1 - r)
        dz = gh * (h_prev - n) * z * (1 - z)
        d_xg[t] = tg.cat([dr, dz, dn], 1)
        dhg = tg.cat([dr, dz, dn * r], 1)
        dw, db = dhg.t().mm(h_prev), dhg.sum(0)
        d_w = dw if d_w is None else d_w + dw
        d_b = db if d_b is None else d_b + db
        dh = gh * z + dhg.mm(w_hh)
    return tg.stack(d_xg, 0), d_w, (d_b if b_hh is not None else None), dh


@formula("fused_gru_layer", saves=(0, 1, 2, 3))
def _gru_layer_grad(node, g):
    if gs.enabled:
        res = _gru_layer_grad_graph(node, g)
    else:
        _, w_hh, b_hh, _ = node.inputs
        dev = g._device
        res = _GRU_LAYER_BACKWARD.table[dev.type](g._data, w_hh._data, b_hh is not None, node.attrs["workspace"],
                                                  node.attrs["reverse"], _GRU_BACKWARD.table[dev.type])
        res = tuple(None if a is None else wrap(a, dev) for a in res)
    return tuple(r if need else None for r, need in zip(res, node.needs_input_grad))
