"""The whole-layer LSTM and GRU ops (``fused_lstm_layer``/``fused_gru_layer``: the time loop of one
layer and direction in one graph node) and nn.LSTM/nn.GRU's use of them, against a NumPy reference
and against the per-step cells:
values, gradients of every input (and gradients of gradients), the node names PyTorch prints per
dtype, the graph staying one node per layer whatever the sequence length, argument errors."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.nn.functional_ops.rnn_cell import fused_gru_cell, fused_gru_layer, fused_lstm_cell, fused_lstm_layer
from tensorgraft.testing.oracle import to_numpy


def sig(x):
    return 1 / (1 + np.exp(-x))


def ref_layer(xg, w_hh, h0, c0, reverse):
    """NumPy LSTM recurrence: -> (outputs (T, N, H), c_n)."""
    T = xg.shape[0]
    out = np.empty(xg.shape[:2] + (h0.shape[1],))
    h, c = h0, c0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        i, f, g, o = np.split(xg[t] + h @ w_hh.T, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        out[t] = h
    return out, c


def layer_arrays(seed, T=4, N=3, H=2):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((T, N, 4 * H)), rng.standard_normal((4 * H, H)) * 0.7,
            rng.standard_normal((N, H)), rng.standard_normal((N, H))]


def leaves(arrs, device, dtype=None):
    return [tg.tensor(a if dtype is None else a.astype(dtype), device=device, requires_grad=True) for a in arrs]


def per_step(xg, w_hh, h0, c0, reverse):
    """The same layer from the per-step fused cell (the path packed input and projections take)."""
    T = xg.shape[0]
    outs = [None] * T
    h, c = h0, c0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c = fused_lstm_cell(xg[t], h.mm(w_hh.t()), c)
        outs[t] = h
    return tg.stack(outs, 0), c


@pytest.mark.parametrize("reverse", [False, True])
def test_layer_values_match_numpy(tg_device, reverse):
    arrs = layer_arrays(1)
    out, cn = fused_lstm_layer(*leaves(arrs, tg_device), reverse=reverse)
    ref_out, ref_cn = ref_layer(*arrs, reverse)
    np.testing.assert_allclose(to_numpy(out), ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(cn), ref_cn, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("use", ["both", "output", "cn", "last_h"])
def test_layer_gradients_match_the_per_step_cells(tg_device, reverse, use):
    arrs = layer_arrays(2)
    weights = np.random.default_rng(3).standard_normal((4, 3, 2))
    grads = []
    for fn in (fused_lstm_layer, per_step):
        ins = leaves(arrs, tg_device)
        out, cn = fn(*ins, reverse)
        w = tg.tensor(weights, device=tg_device)
        loss = {"both": (out * w).sum() + cn.pow(2).sum(), "output": (out * w).sum(), "cn": (cn * w[0]).sum(),
                "last_h": out[0 if reverse else -1].sum()}[use]
        loss.backward()
        grads.append([to_numpy(t.grad) for t in ins])
    for mine, ref in zip(*grads):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-12)


def test_only_the_inputs_that_require_grad_get_one(tg_device):
    xg, w, h0, c0 = layer_arrays(4)
    a = tg.tensor(xg, device=tg_device, requires_grad=True)
    rest = [tg.tensor(v, device=tg_device) for v in (w, h0, c0)]
    out, _ = fused_lstm_layer(a, *rest)
    out.sum().backward()
    assert a.grad is not None and a.grad.shape == a.shape
    assert all(t.grad is None for t in rest)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_and_gradgradcheck(reverse):
    arrs = layer_arrays(5, T=3, N=2, H=2)
    assert gradcheck(lambda *t: fused_lstm_layer(*t, reverse), leaves(arrs, "cpu"))
    assert gradgradcheck(lambda *t: fused_lstm_layer(*t, reverse), leaves(arrs, "cpu"))


def test_no_grad_records_nothing():
    with tg.no_grad():
        out, cn = fused_lstm_layer(*leaves(layer_arrays(6), "cpu"))
    assert out.grad_fn is None and cn.grad_fn is None and not out.requires_grad


def test_argument_errors():
    xg, w, h0, c0 = leaves(layer_arrays(7), "cpu")
    with pytest.raises(RuntimeError, match="expected 3-D input_gates"):
        fused_lstm_layer(xg[0], w, h0, c0)
    with pytest.raises(RuntimeError, match=r"expected input_gates \(T>0, 3, 8\)"):
        fused_lstm_layer(xg[:, :, :4], w, h0, c0)
    with pytest.raises(RuntimeError, match="w_hh"):
        fused_lstm_layer(xg, w[:4], h0, c0)
    with pytest.raises(RuntimeError, match="one dtype"):
        fused_lstm_layer(xg, w.float(), h0, c0)
    with pytest.raises(TypeError):
        fused_lstm_layer(xg, w, h0.detach().numpy(), c0)


# ------------------------------------------------------------------ nn.LSTM on the whole-layer op
def _count_nodes(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(m for m, _ in n.next_functions)
    return len(seen)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_graph_does_not_grow_with_the_sequence(bidirectional):
    tg.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=bidirectional)
    counts = [_count_nodes(m(tg.randn(T, 2, 3))[0]) for T in (3, 9)]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("dtype, name", [("float32", "MkldnnRnnLayerBackward0"), ("float64", "StackBackward0")])
def test_output_node_names_follow_pytorch_per_dtype(tg_device, dtype, name):
    # PyTorch's CPU build: oneDNN's whole-layer node for float32, its per-step loop's stack otherwise
    tg.manual_seed(1)
    x = tg.randn(5, 2, 3, device=tg_device, dtype=getattr(tg, dtype))
    m = nn.LSTM(3, 4).to(tg_device, getattr(tg, dtype))
    out, (h, c) = m(x)
    assert out.grad_fn.name() == name
    assert h.grad_fn.name() == "StackBackward0" and c.grad_fn.name() == "StackBackward0"
    out_bf, _ = nn.LSTM(3, 4, batch_first=True).to(tg_device, getattr(tg, dtype))(x)
    assert out_bf.grad_fn.name() == "TransposeBackward0"
    assert [f.name() for f, _ in out_bf.grad_fn.next_functions] == [name]
    out_bi, _ = nn.LSTM(3, 4, bidirectional=True).to(tg_device, getattr(tg, dtype))(x)
    assert out_bi.grad_fn.name() == "CatBackward0"
    assert [f.name() for f, _ in out_bi.grad_fn.next_functions] == [name, name]


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_module_matches_its_cells_step_by_step(tg_device, kind, bias, bidirectional):
    """The module (the time loop in one op; LSTM's two biases folded into the input projection)
    against LSTMCell/GRUCell steps with the same weights: outputs, final states, every gradient."""
    rng = np.random.default_rng(8)
    T, N, I, H = 4, 3, 3, 5
    is_lstm = kind == "LSTM"
    lstm = getattr(nn, kind)(I, H, num_layers=2, bias=bias, bidirectional=bidirectional).double().to(tg_device)
    D = 2 if bidirectional else 1
    xv, h0v, c0v = (rng.standard_normal(s) for s in ((T, N, I), (2 * D, N, H), (2 * D, N, H)))
    x = tg.tensor(xv, device=tg_device, requires_grad=True)
    h0, c0 = (tg.tensor(v, device=tg_device, requires_grad=True) for v in (h0v, c0v))
    if is_lstm:
        out, (hn, cn) = lstm(x, (h0, c0))
    else:
        (out, hn), cn = lstm(x, h0), c0 * 0  # (c0 * 0 keeps the loss and the checks below uniform)
    wv = rng.standard_normal(tuple(out.shape))
    ((out * tg.tensor(wv, device=tg_device)).sum() + hn.sum() + 2 * cn.sum()).backward()

    cells = {}
    for k in range(2 * D):
        cell = getattr(nn, kind + "Cell")(I if k < D else D * H, H, bias=bias).double().to(tg_device)
        sfx = "_reverse" if k % D else ""
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
        cell.load_state_dict({n: getattr(lstm, f"{n}_l{k // D}{sfx}").detach() for n in names})
        cells[k] = cell
    rx = tg.tensor(xv, device=tg_device, requires_grad=True)
    rh0, rc0 = (tg.tensor(v, device=tg_device, requires_grad=True) for v in (h0v, c0v))
    layer_in, hs, cs = rx, [], []
    for layer in range(2):
        dirs = []
        for d in range(D):
            k = layer * D + d
            h, c, outs = rh0[k], rc0[k], [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                if is_lstm:
                    h, c = cells[k](layer_in[t], (h, c))
                else:
                    h, c = cells[k](layer_in[t], h), c * 0
                outs[t] = h
            dirs.append(tg.stack(outs, 0))
            hs.append(h)
            cs.append(c)
        layer_in = dirs[0] if D == 1 else tg.cat(dirs, -1)
    ref_hn, ref_cn = tg.stack(hs, 0), tg.stack(cs, 0)
    ((layer_in * tg.tensor(wv, device=tg_device)).sum() + ref_hn.sum() + 2 * ref_cn.sum()).backward()

    pairs = [(out, layer_in), (hn, ref_hn), (cn, ref_cn), (x.grad, rx.grad), (h0.grad, rh0.grad)]
    for mine, ref in pairs + ([(c0.grad, rc0.grad)] if is_lstm else []):
        np.testing.assert_allclose(to_numpy(mine), to_numpy(ref), rtol=1e-10, atol=1e-12)
    for k in range(2 * D):
        sfx = "_reverse" if k % D else ""
        for n in ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else []):
            np.testing.assert_allclose(to_numpy(getattr(lstm, f"{n}_l{k // D}{sfx}").grad),
                                       to_numpy(getattr(cells[k], n).grad), rtol=1e-10, atol=1e-12)


def test_changing_the_output_in_place_does_not_change_the_gradients():
    """The backward keeps its own copies of the hidden states, not the output the user holds."""
    arrs = layer_arrays(9)
    grads = []
    for change in (False, True):
        ins = leaves(arrs, "cpu")
        out, cn = fused_lstm_layer(*ins)
        loss = cn.sum()
        if change:
            with tg.no_grad():
                out.mul_(0)
        loss.backward()
        grads.append([to_numpy(t.grad) for t in ins])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ the GRU layer
def ref_gru_layer(xg, w_hh, b_hh, h0, reverse):
    T = xg.shape[0]
    out = np.empty(xg.shape[:2] + (h0.shape[1],))
    h = h0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hg = h @ w_hh.T + (0 if b_hh is None else b_hh)
        xr, xz, xn = np.split(xg[t], 3, axis=1)
        hr, hz, hn = np.split(hg, 3, axis=1)
        r, z = sig(xr + hr), sig(xz + hz)
        n = np.tanh(xn + r * hn)
        h = n + z * (h - n)
        out[t] = h
    return out


def gru_arrays(seed, T=4, N=3, H=2):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((T, N, 3 * H)), rng.standard_normal((3 * H, H)) * 0.7,
            rng.standard_normal(3 * H), rng.standard_normal((N, H))]


def gru_per_step(xg, w_hh, b_hh, h0, reverse):
    T = xg.shape[0]
    outs, h = [None] * T, h0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hg = h.mm(w_hh.t())
        h = fused_gru_cell(xg[t], hg if b_hh is None else hg + b_hh, h)
        outs[t] = h
    return tg.stack(outs, 0)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_layer_values_and_gradients(tg_device, reverse, bias):
    arrs = gru_arrays(10)
    if not bias:
        arrs[2] = None
    weights = np.random.default_rng(11).standard_normal((4, 3, 2))
    results = []
    for fn in (fused_gru_layer, gru_per_step):
        ins = [None if a is None else tg.tensor(a, device=tg_device, requires_grad=True) for a in arrs]
        out = fn(*ins, reverse)
        (out * tg.tensor(weights, device=tg_device)).sum().backward()
        results.append([to_numpy(out)] + [to_numpy(t.grad) for t in ins if t is not None])
    np.testing.assert_allclose(results[0][0], ref_gru_layer(*arrs, reverse), rtol=1e-12, atol=1e-14)
    for mine, ref in zip(*results):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_layer_gradcheck_and_gradgradcheck(reverse, bias):
    arrs = gru_arrays(12, T=3, N=2, H=2)
    ins = [tg.tensor(a, requires_grad=True) for a in arrs]
    if bias:
        fn = lambda xg, w, b, h: fused_gru_layer(xg, w, b, h, reverse)  # noqa: E731
    else:
        ins.pop(2)
        fn = lambda xg, w, h: fused_gru_layer(xg, w, None, h, reverse)  # noqa: E731
    assert gradcheck(fn, ins)
    assert gradgradcheck(fn, ins)


def test_gru_layer_argument_errors_and_no_grad():
    xg, w, b, h0 = (tg.tensor(a) for a in gru_arrays(13))
    with pytest.raises(RuntimeError, match=r"expected input_gates \(T>0, N, 3H\)"):
        fused_gru_layer(xg[:, :, :3], w, b, h0)
    with pytest.raises(RuntimeError, match="b_hh"):
        fused_gru_layer(xg, w, b[:2], h0)
    with pytest.raises(RuntimeError, match="one dtype"):
        fused_gru_layer(xg, w, b.float(), h0)
    with pytest.raises(TypeError, match="argument 'w_hh'"):
        fused_gru_layer(xg, None, b, h0)
    with tg.no_grad():
        out = fused_gru_layer(*(t.requires_grad_() for t in (xg, w, b, h0)))
    assert out.grad_fn is None


def test_gru_graph_does_not_grow_with_the_sequence_and_keeps_its_stack_name():
    tg.manual_seed(3)
    m = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    outs = [m(tg.randn(T, 2, 3))[0] for T in (3, 9)]
    assert _count_nodes(outs[0]) == _count_nodes(outs[1])
    out, h = nn.GRU(3, 4)(tg.randn(5, 2, 3))
    assert out.grad_fn.name() == "StackBackward0" and h.grad_fn.name() == "StackBackward0"
