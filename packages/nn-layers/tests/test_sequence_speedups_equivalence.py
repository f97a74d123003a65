"""The NumPy time loops of the whole-layer LSTM and GRU ops (``functional_ops/rnn_layer_cpu.py``) give
exactly what the generic loops over the per-step cell kernels give (which the PyTorch-pinned tests
check against PyTorch's values): outputs, final states and every gradient compared byte for byte
(signed zeros included), through the kernels directly and through nn.LSTM/nn.GRU in many
configurations (layers, directions, batch_first, bias, projections, packed input, given or
non-contiguous states, gradients through the output, the final states or both)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.functional_ops import rnn_cell as rc
from tensorgraft.nn.functional_ops import rnn_layer_cpu as cpu
from tensorgraft.nn.utils.rnn import pack_padded_sequence


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == \
        np.ascontiguousarray(b).tobytes()


def generic_lstm(xp=np):
    from functools import partial
    return partial(rc._lstm_kernel, xp), (lambda *a: rc._lstm_backward_kernel(xp, *a))


def generic_gru(xp=np):
    from functools import partial
    return partial(rc._gru_kernel, xp), (lambda *a: rc._gru_backward_kernel(xp, *a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("grads", ["out", "cn", "both"])
def test_lstm_layer_kernels_match_the_generic_loop(dtype, reverse, grads):
    rng = np.random.default_rng(3)
    T, N, H = 6, 5, 8
    xg = rng.standard_normal((T, N, 4 * H)).astype(dtype)
    w = (rng.standard_normal((4 * H, H)) * 0.5).astype(dtype)
    h0, c0 = rng.standard_normal((N, H)).astype(dtype), rng.standard_normal((N, H)).astype(dtype)
    # a zero column makes signed zeros reach the gates: they must come out the same too
    xg[:, :, 3] = -0.0
    cell, cell_b = generic_lstm()
    out0, cn0, ws0 = rc._lstm_layer_kernel(np, xg, w, h0, c0, reverse, cell)
    out1, cn1, ws1 = rc._lstm_layer_kernel(np, xg, w, h0, c0, reverse)
    assert isinstance(ws1, dict) and not isinstance(ws0, dict)  # the new loop ran, and the generic one
    assert same_bits(out0, out1) and same_bits(cn0, cn1)
    g_out = rng.standard_normal((T, N, H)).astype(dtype) if grads != "cn" else None
    g_cn = rng.standard_normal((N, H)).astype(dtype) if grads != "out" else None
    ref = rc._lstm_layer_backward_kernel(np, g_out, g_cn, w, h0, ws0, reverse, cell_b)
    new = rc._lstm_layer_backward_kernel(np, g_out, g_cn, w, h0, ws1, reverse)
    for a, b in zip(ref, new):
        assert same_bits(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_gru_layer_kernels_match_the_generic_loop(dtype, reverse, bias):
    rng = np.random.default_rng(4)
    T, N, H = 7, 3, 6
    xg = rng.standard_normal((T, N, 3 * H)).astype(dtype)
    w = (rng.standard_normal((3 * H, H)) * 0.5).astype(dtype)
    b = rng.standard_normal(3 * H).astype(dtype) if bias else None
    h0 = rng.standard_normal((N, H)).astype(dtype)
    cell, cell_b = generic_gru()
    out0, ws0 = rc._gru_layer_kernel(np, xg, w, b, h0, reverse, cell)
    out1, ws1 = rc._gru_layer_kernel(np, xg, w, b, h0, reverse)
    assert isinstance(ws1, dict) and not isinstance(ws0, dict)
    assert same_bits(out0, out1)
    g = rng.standard_normal((T, N, H)).astype(dtype)
    ref = rc._gru_layer_backward_kernel(np, g, w, bias, ws0, reverse, cell_b)
    new = rc._gru_layer_backward_kernel(np, g, w, bias, ws1, reverse)
    for a, c in zip(ref, new):
        assert (a is None and c is None) or same_bits(a, c)


def test_the_outputs_do_not_share_memory_with_the_workspace():
    """An in-place change of the output or of c_n must not reach what the backward reads."""
    rng = np.random.default_rng(5)
    xg = rng.standard_normal((4, 2, 12)).astype(np.float32)
    w = rng.standard_normal((12, 3)).astype(np.float32)
    h0 = c0 = np.zeros((2, 3), np.float32)
    out, cn, ws = rc._lstm_layer_kernel(np, xg, w, h0, c0, False)
    assert not any(np.shares_memory(out, a) or np.shares_memory(cn, a) for a in ws.values())
    out, ws = rc._gru_layer_kernel(np, xg[:, :, :9], w[:9], None, h0, False)
    assert not any(np.shares_memory(out, a) for a in ws.values())


def run_module(mode, dtype, layers, bi, bf, packed, state, loss, bias=True, proj=0, seed=0):
    """Output, final states and the gradients of the input, the given states and every parameter."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    T, N, I, H = 6, 4, 5, 7
    kw = dict(num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias)
    if proj:
        kw["proj_size"] = proj
    m = getattr(nn, mode)(I, H, **kw).to(dtype)
    x = tg.tensor(rng.standard_normal((N, T, I) if bf else (T, N, I)), dtype=dtype, requires_grad=True)
    D, Hout = (2 if bi else 1), (proj or H)
    leaves, hx = [], None
    if state != "none":
        def make(shape):
            if state == "transposed":  # a non-contiguous state
                t = tg.tensor(rng.standard_normal((shape[0], shape[2], shape[1])), dtype=dtype, requires_grad=True)
                leaves.append(t)
                return t.transpose(1, 2)
            t = tg.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
            leaves.append(t)
            return t
        h0 = make((layers * D, N, Hout))
        hx = (h0, make((layers * D, N, H))) if mode == "LSTM" else h0
    inp = x
    if packed:
        lengths = [T, T - 2, 3, 1]
        inp = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
    out, st = m(inp, hx)
    o = out.data if packed else out
    hn, cn = st if mode == "LSTM" else (st, None)
    total = 0
    if loss in ("out", "all"):
        total = (o * tg.tensor(rng.standard_normal(tuple(o.shape)), dtype=dtype)).sum()
    if loss in ("states", "all"):
        total = total + (hn * hn).sum() + (cn.sum() * 3 if cn is not None else 0)
    total.backward()
    got = [o, hn] + ([cn] if cn is not None else []) + [x.grad] + [t.grad for t in leaves]
    got += [p.grad for _, p in m.named_parameters()]
    return [t.detach().numpy() for t in got]


CONFIGS = [
    # mode, dtype, layers, bidirectional, batch_first, packed, state, loss, bias, proj_size
    ("LSTM", tg.float32, 2, False, True, False, "none", "out", True, 0),   # the benchmark's shape of call
    ("LSTM", tg.float32, 1, True, False, False, "given", "all", True, 0),
    ("LSTM", tg.float64, 2, True, True, False, "transposed", "states", True, 0),
    ("LSTM", tg.float32, 2, True, False, False, "given", "all", False, 0),
    ("LSTM", tg.float32, 2, True, True, False, "given", "all", True, 3),    # projections: per-step loop
    ("LSTM", tg.float32, 2, True, False, True, "given", "all", True, 0),    # packed: per-step loop
    ("LSTM", tg.float64, 1, False, False, False, "given", "states", True, 0),
    ("GRU", tg.float32, 2, False, True, False, "none", "out", True, 0),
    ("GRU", tg.float32, 1, True, False, False, "given", "all", False, 0),
    ("GRU", tg.float64, 2, True, True, False, "transposed", "states", True, 0),
    ("GRU", tg.float32, 2, False, False, True, "given", "all", True, 0),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(str(v).replace("tensorgraft.", "") for v in c))
def test_modules_match_the_generic_loops_bit_for_bit(config, monkeypatch):
    mode, dtype, layers, bi, bf, packed, state, loss, bias, proj = config
    new = run_module(mode, dtype, layers, bi, bf, packed, state, loss, bias, proj, seed=11)
    monkeypatch.setattr(cpu, "FAST_DTYPES", ())  # every layer back on the generic loop
    ref = run_module(mode, dtype, layers, bi, bf, packed, state, loss, bias, proj, seed=11)
    assert len(new) == len(ref)
    for a, b in zip(ref, new):
        assert same_bits(a, b)


def test_half_types_keep_the_generic_loop(monkeypatch):
    """bfloat16 layers round per step in the cell kernels: the new loop must not take them."""
    seen = []
    real = cpu.lstm_layer_forward
    monkeypatch.setattr(cpu, "lstm_layer_forward", lambda *a: seen.append(a[0].dtype) or real(*a))
    m = nn.LSTM(3, 4).to(tg.bfloat16)
    m(tg.randn(5, 2, 3).to(tg.bfloat16))
    assert seen == []
    nn.LSTM(3, 4)(tg.randn(5, 2, 3))
    assert seen == [np.dtype(np.float32)]


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("batch", [1, 3])
def test_backward_twice_and_batch_of_one_match(mode, batch, monkeypatch):
    """The backward only reads the workspace (retain_graph=True runs it again on the same arrays),
    and a batch of one (NumPy's matrix-vector products) gives the generic loop's bits too."""
    def run():
        tg.manual_seed(2)
        m = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True)
        x = tg.randn(5, batch, 3, requires_grad=True)
        o, s = m(x)
        loss = o.pow(2).sum() + (s[0] if mode == "LSTM" else s).sum()
        loss.backward(retain_graph=True)
        first = x.grad.numpy().copy()
        loss.backward()
        assert same_bits(x.grad.numpy(), first * 2)
        return [o.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
    new = run()
    monkeypatch.setattr(cpu, "FAST_DTYPES", ())
    for a, b in zip(run(), new):
        assert same_bits(a, b)
