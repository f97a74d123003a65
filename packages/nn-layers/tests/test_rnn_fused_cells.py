"""The fused LSTM/GRU cell ops (``tensorgraft.ops.nn.fused_lstm_cell`` / ``fused_gru_cell``) and the
recurrent modules built on them, against NumPy references: values, hand-written gradients (and
gradients of gradients), which outputs got a gradient, graph shape, argument errors. Runs on every
device (``tg_device``: on CUDA the cells are CuPy ElementwiseKernels)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.nn.functional_ops.rnn_cell import fused_gru_cell, fused_lstm_cell
from tensorgraft.testing.oracle import to_numpy


def sig(x):
    return 1 / (1 + np.exp(-x))


def ref_lstm(xg, hg, cx):
    i, f, g, o = np.split(xg + hg, 4, axis=1)
    c = sig(f) * cx + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def ref_gru(xg, hg, hx):
    xr, xz, xn = np.split(xg, 3, axis=1)
    hr, hz, hn = np.split(hg, 3, axis=1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return n + z * (hx - n)


def unfused_lstm(xg, hg, cx):
    i, f, g, o = (xg + hg).chunk(4, 1)
    c = f.sigmoid() * cx + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def unfused_gru(xg, hg, hx):
    xr, xz, xn = xg.chunk(3, 1)
    hr, hz, hn = hg.chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (hx - n)


def arrays(seed, n, gates, hidden, dtype=np.float64, scale=2.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(dtype) for s in ((n, gates * hidden), (n, gates * hidden),
                                                                     (n, hidden))]


def leaves(arrs, device, requires_grad=True):
    return [tg.tensor(a, device=device, requires_grad=requires_grad) for a in arrs]


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_lstm_cell_values_and_dtype(tg_device, dtype, tol):
    arrs = arrays(1, 4, 4, 5, dtype)
    h, c = fused_lstm_cell(*leaves(arrs, tg_device, False))
    rh, rc = ref_lstm(*[a.astype(np.float64) for a in arrs])
    assert h.dtype == c.dtype == tg.tensor(arrs[0]).dtype and h.device.type == tg_device
    assert h.shape == c.shape == (4, 5)
    np.testing.assert_allclose(to_numpy(h), rh, rtol=tol, atol=tol)
    np.testing.assert_allclose(to_numpy(c), rc, rtol=tol, atol=tol)
    assert h.grad_fn is None and not h.requires_grad


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_gru_cell_values_and_dtype(tg_device, dtype, tol):
    arrs = arrays(2, 3, 3, 6, dtype)
    h = fused_gru_cell(*leaves(arrs, tg_device, False))
    assert h.dtype == tg.tensor(arrs[0]).dtype and h.shape == (3, 6)
    np.testing.assert_allclose(to_numpy(h), ref_gru(*[a.astype(np.float64) for a in arrs]), rtol=tol, atol=tol)


def test_saturated_gates_stay_finite(tg_device):
    # sigmoid of -1000 must be 0, not nan/overflow
    xg = np.full((2, 8), -1000.0)
    xg[:, 4:6] = 1000.0
    h, c = fused_lstm_cell(*leaves([xg, np.zeros_like(xg), np.ones((2, 2))], tg_device))
    assert np.isfinite(to_numpy(h)).all() and np.isfinite(to_numpy(c)).all()
    (h.sum() + c.sum()).backward()
    h2 = fused_gru_cell(*leaves([xg[:, :6], np.zeros((2, 6)), np.ones((2, 2))], tg_device))
    assert np.isfinite(to_numpy(h2)).all()


# ------------------------------------------------------------------ gradients
def _compare_grads(fused, unfused, arrs, device, weights, tol=1e-10):
    a, b = leaves(arrs, device), leaves(arrs, device)
    outs_a, outs_b = fused(*a), unfused(*b)
    outs_a = outs_a if isinstance(outs_a, tuple) else (outs_a,)
    outs_b = outs_b if isinstance(outs_b, tuple) else (outs_b,)
    loss_a = sum((o * tg.tensor(w, device=device)).sum() for o, w in zip(outs_a, weights) if w is not None)
    loss_b = sum((o * tg.tensor(w, device=device)).sum() for o, w in zip(outs_b, weights) if w is not None)
    loss_a.backward()
    loss_b.backward()
    for x, y in zip(a, b):
        np.testing.assert_allclose(to_numpy(x.grad), to_numpy(y.grad), rtol=tol, atol=tol)


@pytest.mark.parametrize("use", ["both", "h_only", "c_only"])
def test_lstm_cell_gradients_match_the_unfused_graph(tg_device, use):
    arrs = arrays(3, 3, 4, 4)
    rng = np.random.default_rng(30)
    wh, wc = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    weights = {"both": (wh, wc), "h_only": (wh, None), "c_only": (None, wc)}[use]
    _compare_grads(fused_lstm_cell, unfused_lstm, arrs, tg_device, weights)


def test_gru_cell_gradients_match_the_unfused_graph(tg_device):
    arrs = arrays(4, 3, 3, 4)
    _compare_grads(fused_gru_cell, unfused_gru, arrs, tg_device, (np.random.default_rng(40).standard_normal((3, 4)),))


def test_only_the_inputs_that_require_grad_get_one(tg_device):
    xg, hg, cx = arrays(5, 2, 4, 3)
    a = tg.tensor(xg, device=tg_device)
    b = tg.tensor(hg, device=tg_device, requires_grad=True)
    c = tg.tensor(cx, device=tg_device)
    h, cy = fused_lstm_cell(a, b, c)
    (h.sum() + cy.sum()).backward()
    assert a.grad is None and c.grad is None and b.grad is not None
    g = tg.tensor(hg[:, :9], device=tg_device, requires_grad=True)
    fused_gru_cell(tg.tensor(xg[:, :9], device=tg_device), g, tg.tensor(cx, device=tg_device)).sum().backward()
    assert g.grad is not None and g.grad.shape == (2, 9)


def test_gradcheck_and_gradgradcheck():
    arrs = arrays(6, 2, 4, 3, scale=1.0)
    assert gradcheck(lambda *t: fused_lstm_cell(*t), leaves(arrs, "cpu"))
    assert gradgradcheck(lambda *t: fused_lstm_cell(*t), leaves(arrs, "cpu"))
    arrs = arrays(7, 2, 3, 3, scale=1.0)
    assert gradcheck(fused_gru_cell, leaves(arrs, "cpu"))
    assert gradgradcheck(fused_gru_cell, leaves(arrs, "cpu"))


def test_double_backward_matches_the_unfused_graph(tg_device):
    """create_graph=True: the recorded backward is differentiated again (a gradient penalty)."""
    for fused, unfused, gates, seed in ((fused_lstm_cell, unfused_lstm, 4, 8), (fused_gru_cell, unfused_gru, 3, 9)):
        arrs = arrays(seed, 3, gates, 2, scale=1.0)
        res = []
        for f in (fused, unfused):
            ts = leaves(arrs, tg_device)
            out = f(*ts)
            out = out if isinstance(out, tuple) else (out,)
            loss = sum((o * o).sum() for o in out)
            grads = tg.autograd.grad(loss, ts, create_graph=True)
            sum((g * g).sum() for g in grads).backward()
            res.append([to_numpy(t.grad) for t in ts])
        for x, y in zip(*res):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10)


# ------------------------------------------------------------------ graph
def test_one_node_per_cell_with_torch_fused_node_names(tg_device):
    xg, hg, cx = leaves(arrays(10, 2, 4, 3), tg_device)
    h, c = fused_lstm_cell(xg, hg, cx)
    assert h.grad_fn is c.grad_fn and h.grad_fn.name() == "ThnnFusedLstmCellBackward0"
    assert (h.output_nr, c.output_nr) == (0, 1)
    assert [type(n).__name__ for n, _ in h.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    g = fused_gru_cell(xg[:, :9], hg[:, :9], cx)
    assert g.grad_fn.name() == "ThnnFusedGruCellBackward0" and len(g.grad_fn.next_functions) == 3


def _count_nodes(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        stack.extend(m for m, _ in n.next_functions)
    return len(seen)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_a_time_step_adds_two_nodes(cls):
    """Packed input keeps the per-step path: each time step adds the recurrent linear and the fused
    cell. (Padded input runs the whole layer as one node: its graph does not grow with time.)"""
    from tensorgraft.nn.utils.rnn import pack_padded_sequence
    tg.manual_seed(0)
    m = cls(3, 4)
    per_step, whole_layer = [], []
    for T in (3, 4):
        packed = pack_padded_sequence(tg.randn(T, 2, 3), tg.tensor([T, T]))
        per_step.append(_count_nodes(m(packed)[0].data))
        whole_layer.append(_count_nodes(m(tg.randn(T, 2, 3))[0]))
    assert per_step[1] - per_step[0] == 2
    assert whole_layer[1] == whole_layer[0]


def test_cpu_cells_show_pytorchs_cpu_graph():
    # PyTorch's CPU cells are composed of ordinary ops (the fused nodes are its CUDA kernels'), so
    # a CPU cell's outputs name the last op of that composition
    tg.manual_seed(0)
    x = tg.randn(2, 3)
    h, c = nn.LSTMCell(3, 4)(x)
    assert h.grad_fn.name() == "MulBackward0" and c.grad_fn.name() == "AddBackward0"
    assert nn.GRUCell(3, 4)(x).grad_fn.name() == "AddBackward0"
    assert nn.RNNCell(3, 4)(x).grad_fn.name() == "TanhBackward0"


def test_no_grad_records_nothing():
    xg, hg, cx = leaves(arrays(11, 2, 4, 3), "cpu")
    with tg.no_grad():
        h, c = fused_lstm_cell(xg, hg, cx)
        g = fused_gru_cell(xg[:, :9], hg[:, :9], cx)
    assert h.grad_fn is None and c.grad_fn is None and g.grad_fn is None and not h.requires_grad


def test_modifying_a_saved_input_in_place_is_caught():
    xg, hg, cx = leaves(arrays(12, 2, 4, 3), "cpu")
    hg2 = hg * 1
    h, c = fused_lstm_cell(xg, hg2, cx)
    with tg.no_grad():
        hg2.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()


# ------------------------------------------------------------------ argument errors
def test_argument_errors():
    xg, hg, cx = leaves(arrays(13, 2, 4, 3), "cpu", False)
    with pytest.raises(RuntimeError, match=r"must both have shape \[2, 12\]"):
        fused_lstm_cell(xg[:, :8], hg, cx)
    with pytest.raises(RuntimeError, match=r"must both have shape \[2, 9\]"):
        fused_gru_cell(xg, hg, cx)
    with pytest.raises(RuntimeError, match="same dtype"):
        fused_lstm_cell(xg, hg.float(), cx)
    with pytest.raises(RuntimeError, match="2-D"):
        fused_lstm_cell(xg, hg, cx[0])
    with pytest.raises(RuntimeError, match="floating point"):
        fused_gru_cell(*(t.long() for t in (xg[:, :9], hg[:, :9], cx)))
    with pytest.raises(TypeError, match=r"argument 'cx' \(position 3\) must be Tensor"):
        fused_lstm_cell(xg, hg, cx.numpy())


# ------------------------------------------------------------------ modules against a NumPy recurrence
def _np_recurrence(mode, m, x):
    """One layer, one direction, zero initial state; x (T, N, I)."""
    W_ih, W_hh = to_numpy(m.weight_ih_l0), to_numpy(m.weight_hh_l0)
    b_ih, b_hh = to_numpy(m.bias_ih_l0), to_numpy(m.bias_hh_l0)
    N, H = x.shape[1], m.hidden_size
    h, c = np.zeros((N, H)), np.zeros((N, H))
    outs = []
    for xt in x:
        xg, hg = xt @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        if mode == "LSTM":
            h, c = ref_lstm(xg, hg, c)
        else:
            h = ref_gru(xg, hg, h)
        outs.append(h)
    return np.stack(outs), h, c


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_modules_match_a_numpy_recurrence(tg_device, mode):
    tg.manual_seed(3)
    m = getattr(nn, mode)(3, 5, dtype=tg.float64).to(tg_device)
    x = np.random.default_rng(14).standard_normal((6, 2, 3))
    out, hidden = m(tg.tensor(x, device=tg_device))
    ro, rh, rc = _np_recurrence(mode, m, x)
    np.testing.assert_allclose(to_numpy(out), ro, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(to_numpy(hidden[0][0]), rh, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(to_numpy(hidden[1][0]), rc, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(to_numpy(hidden[0]), rh, rtol=1e-10, atol=1e-12)
