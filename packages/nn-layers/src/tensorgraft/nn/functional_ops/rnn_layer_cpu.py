"""The NumPy time loops of ``fused_lstm_layer`` and ``fused_gru_layer`` (float32 and float64).

They compute exactly what the generic loops in rnn_cell.py compute with the per-step cell kernels
(the same ufuncs on the same values in the same order, so the results are equal bit for bit), with
fewer and cheaper passes over memory per step (about 10% off an LSTM/GRU training step):

- every step writes into arrays allocated once for the whole sequence (``out=``): no per-step
  temporaries, no final ``stack``;
- the activated gates are stored gate-major, (T, gates, N, H), so that every use of one gate (the
  state update here, the gradients in the backward) reads a contiguous block instead of a column
  block of an (N, gates * H) row; elementwise products of contiguous operands are markedly faster
  in NumPy than the same products on strided ones, and one strided copy per step pays for them;
- the per-column gate scale and shift are tiled to whole rows (a product of two contiguous arrays
  is about twice as fast as one broadcasting a row);
- the hidden states live in one (T + 1, N, H) array with the initial state at the end the direction
  starts from, so the states each step started from (the w_hh gradient's right factor) are a view;
- the small parts of the backward that do not depend on the recurrence (LSTM's
  ``o * (1 - tanh(c)^2)``, GRU's ``r (1 - r)``, ``z (1 - z)``, ``1 - z``, ``1 - n^2``, ``h - n``) are
  computed for all steps in one call each, element by element the same arithmetic as before.

What is left per step is mostly the two small matrix products (about 40 us each at batch 32, hidden
128) and a dozen elementwise passes. The device's own cell kernels (a CUDA plugin's fused ones) and
the half types, whose kernels see float32 copies and round per step, keep the generic loops; the
workspaces differ (a dict here), so each backward knows which forward ran.
"""
from __future__ import annotations

import numpy as np

FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _slots(t, reverse):
    """(slot read, slot written) of step ``t`` in the (T + 1, ...) state arrays: the initial state is
    slot 0 going forward and slot T going backward in time."""
    return (t + 1, t) if reverse else (t, t + 1)


def lstm_layer_forward(xg, w_hh, h0, c0, reverse, scale, shift):
    """-> (output (T, N, H), c_n, workspace). ``scale``/``shift`` are rnn_cell's per-column gate
    affine (one tanh activates all four gates). The activated gates are kept gate-major, (T, 4, N, H),
    so that every later use of one gate (here and in the backward) reads a contiguous block."""
    T, N, G = xg.shape
    H = G // 4
    dt = xg.dtype
    w_t = np.ascontiguousarray(w_hh.T)
    act = np.empty((T, 4, N, H), dt)
    tanh_c = np.empty((T, N, H), dt)
    hs = np.empty((T + 1, N, H), dt)
    cs = np.empty((T + 1, N, H), dt)
    pre = np.empty((N, G), dt)
    ig = np.empty((N, H), dt)
    # the per-column scale and shift tiled to whole rows, and gate-major for the gates' second affine
    # (a product of two contiguous arrays is about twice as fast as one broadcasting a row; the same
    # products, so the same bits). The copy into the gate-major layout is the loop's one strided pass.
    scale_rows = np.tile(scale, (N, 1))
    scale, shift = (np.ascontiguousarray(np.tile(v, (N, 1)).reshape(N, 4, H).transpose(1, 0, 2))
                    for v in (scale, shift))
    first = T if reverse else 0
    hs[first] = h0
    cs[first] = c0
    for t in _steps(T, reverse):
        r, w = _slots(t, reverse)
        np.dot(hs[r], w_t, out=pre)
        np.add(xg[t], pre, out=pre)
        pre *= scale_rows
        np.tanh(pre, out=pre)
        a = act[t]
        a[...] = pre.reshape(N, 4, H).transpose(1, 0, 2)
        a *= scale
        a += shift
        c = cs[w]
        np.multiply(a[1], cs[r], out=c)
        np.multiply(a[0], a[2], out=ig)
        c += ig
        np.tanh(c, out=tanh_c[t])
        np.multiply(a[3], tanh_c[t], out=hs[w])
    last = 0 if reverse else T
    # the output and c_n are copies: an in-place change of either must not reach the workspace
    out = hs[:T] if reverse else hs[1:]
    return out.copy(), cs[last].copy(), {"act": act, "tanh_c": tanh_c, "h": hs, "c": cs}


def lstm_layer_backward(g_out, g_cn, w_hh, workspace, reverse):
    """-> (d input_gates, d w_hh, d h0, d c0); either gradient may be None. Each step's gate gradients
    are formed gate-major (contiguous operands throughout) and copied once into the (T, N, 4H) result,
    whose row is what the recurrent product needs."""
    act, tanh_c, hs, cs = workspace["act"], workspace["tanh_c"], workspace["h"], workspace["c"]
    T, _, N, H = act.shape
    G = 4 * H
    dt = act.dtype
    # how hy reaches cy: o * (1 - tanh(cy)^2), for all steps at once
    via_h = tanh_c * tanh_c
    np.subtract(1, via_h, out=via_h)
    via_h *= act[:, 3]
    d_xg = np.empty((T, N, G), dt)
    d4, dact = np.empty((4, N, H), dt), np.empty((4, N, H), dt)
    gh_buf, dh = np.empty((N, H), dt), np.empty((N, H), dt)
    dc, dc_next = np.empty((N, H), dt), np.empty((N, H), dt)
    have_dh, have_dc = False, g_cn is not None
    if have_dc:
        dc_next[...] = g_cn
    for t in _steps(T, not reverse):
        r, _ = _slots(t, reverse)
        a = act[t]
        gh = g_out[t] if g_out is not None else None
        if have_dh:
            gh = dh if gh is None else np.add(gh, dh, out=gh_buf)
        if gh is None and not have_dc:
            d_xg[t] = 0
            continue
        if gh is not None:
            np.multiply(via_h[t], gh, out=dc)
            if have_dc:
                dc += dc_next
            np.multiply(gh, tanh_c[t], out=d4[3])
        else:
            dc[...] = dc_next
            d4[3] = 0
        np.multiply(dc, a[2], out=d4[0])
        np.multiply(dc, cs[r], out=d4[1])
        np.multiply(dc, a[0], out=d4[2])
        # d activation / d pre-activation: s (1 - s) for the sigmoids, 1 - g^2 for the tanh (per step:
        # the step's gates are in cache, where the whole sequence's would not be)
        np.subtract(1, a, out=dact)
        dact *= a
        np.multiply(a[2], a[2], out=dact[2])
        np.subtract(1, dact[2], out=dact[2])
        d4 *= dact
        np.multiply(dc, a[1], out=dc_next)
        d = d_xg[t]
        d.reshape(N, 4, H)[...] = d4.transpose(1, 0, 2)
        np.dot(d, w_hh, out=dh)
        have_dh = have_dc = True
    h_prev = hs[1:] if reverse else hs[:T]
    d_w = d_xg.reshape(-1, G).T.dot(h_prev.reshape(-1, H))
    d_h0 = dh if have_dh else np.zeros((N, H), dt)
    d_c0 = dc_next if have_dc else np.zeros((N, H), dt)
    return d_xg, d_w, d_h0, d_c0


def gru_layer_forward(xg, w_hh, b_hh, h0, reverse):
    """-> (output (T, N, H), workspace); the activated gates r, z, n gate-major, (T, 3, N, H), as LSTM's."""
    T, N, G = xg.shape
    H = G // 3
    dt = xg.dtype
    w_t = np.ascontiguousarray(w_hh.T)
    act = np.empty((T, 3, N, H), dt)
    hgs = np.empty((T, N, G), dt)
    hs = np.empty((T + 1, N, H), dt)
    pre = np.empty((N, G), dt)
    bias = None if b_hh is None else np.tile(b_hh, (N, 1))
    hs[T if reverse else 0] = h0
    for t in _steps(T, reverse):
        r, w = _slots(t, reverse)
        hg = hgs[t]
        np.dot(hs[r], w_t, out=hg)
        if bias is not None:
            hg += bias
        # rnn_cell's _sigmoid_ over the whole row (its n block is not used: n is formed next)
        np.add(xg[t], hg, out=pre)
        pre *= 0.5
        np.tanh(pre, out=pre)
        pre *= 0.5
        a = act[t]
        a[:2] = pre[:, :2 * H].reshape(N, 2, H).transpose(1, 0, 2)
        a[:2] += 0.5
        n = a[2]
        np.multiply(a[0], hg[:, 2 * H:], out=n)
        n += xg[t, :, 2 * H:]
        np.tanh(n, out=n)
        hy = hs[w]
        np.subtract(hs[r], n, out=hy)
        hy *= a[1]
        hy += n
    out = hs[:T] if reverse else hs[1:]
    return out.copy(), {"act": act, "hg": hgs, "h": hs}


def gru_layer_backward(g_out, w_hh, has_bias, workspace, reverse):
    """-> (d input_gates, d w_hh, d b_hh or None, d h0)."""
    act, hgs, hs = workspace["act"], workspace["hg"], workspace["h"]
    T, _, N, H = act.shape
    G = 3 * H
    dt = act.dtype
    h_prev = hs[1:] if reverse else hs[:T]
    r_all, z_all, n_all = act[:, 0], act[:, 1], act[:, 2]
    one_z = 1 - z_all
    one_nn = n_all * n_all
    np.subtract(1, one_nn, out=one_nn)
    rr = 1 - r_all
    np.multiply(r_all, rr, out=rr)
    zz = 1 - z_all
    np.multiply(z_all, zz, out=zz)
    h_n = h_prev - n_all
    d_xg = np.empty((T, N, G), dt)
    d_hg = np.empty_like(d_xg)
    gh_buf, dh, tmp = np.empty((N, H), dt), np.empty((N, H), dt), np.empty((N, H), dt)
    have_dh = False
    for t in _steps(T, not reverse):
        gh = np.add(g_out[t], dh, out=gh_buf) if have_dh else g_out[t]
        dx, dhh = d_xg[t], d_hg[t]
        dn = dx[:, 2 * H:]
        np.multiply(gh, one_z[t], out=dn)
        dn *= one_nn[t]
        np.multiply(dn, hgs[t, :, 2 * H:], out=tmp)
        np.multiply(tmp, rr[t], out=dx[:, :H])
        np.multiply(gh, h_n[t], out=tmp)
        np.multiply(tmp, zz[t], out=dx[:, H:2 * H])
        dhh[:, :2 * H] = dx[:, :2 * H]
        np.multiply(dn, r_all[t], out=dhh[:, 2 * H:])
        np.multiply(gh, z_all[t], out=dh)
        dh += dhh.dot(w_hh)
        have_dh = True
    d_hg2 = d_hg.reshape(-1, G)
    d_w = d_hg2.T.dot(h_prev.reshape(-1, H))
    return d_xg, d_w, (d_hg2.sum(0) if has_bias else None), dh
