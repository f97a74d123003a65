"""Fused LSTM and GRU cells: one graph node per time step for the pointwise part of a cell.

The recurrent modules compute the gate pre-activations with two linears (the input projection of
the whole sequence, the hidden projection of one step); everything after that (adding them, the
sigmoids and tanhs, the state update) is one op here instead of ~15 small nodes, with a backward
written out by hand. Gate order is PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n``.

- ``fused_lstm_cell(input_gates, hidden_gates, cx) -> (hy, cy)``: gates (N, 4H), cx (N, H).
- ``fused_gru_cell(input_gates, hidden_gates, hx) -> hy``: gates (N, 3H), hx (N, H).

The nodes are named as PyTorch names the same fused ops of its CUDA build
(``ThnnFusedLstmCellBackward0``, ``ThnnFusedGruCellBackward0``). What the first-order backward
reads is the workspace the forward already computed (the activated gates, ``tanh(cy)``); the
inputs are kept too, because a backward recorded with ``create_graph=True`` recomputes the cell
from them with tensorgraft ops so that it can be differentiated again.

The backward kernels are ops of their own (not differentiable, no graph) so that a device can
replace them as it replaces a forward kernel (tensorgraft-cuda's fused ElementwiseKernels).
"""
from __future__ import annotations

import numpy as np

from ._common import Tensor, check_tensor, formula, gs, needs, nnop, same_device, wrap


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
    if s.dtype.kind != "f":
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
