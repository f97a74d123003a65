"""Packed sequences (``nn.utils.rnn``) and the recurrent/attention features built on them or beside
them: RNN/LSTM/GRU on PackedSequence input, LSTM ``proj_size``, MultiheadAttention ``add_bias_kv`` /
``add_zero_attn``.

The first part needs no PyTorch (hand-computed layouts, per-sequence runs, NumPy references); the
oracle part compares with PyTorch when it is installed; the last part runs on every device
(``tg_device``) against CPU."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
from tensorgraft.nn.utils import rnn as U
from tensorgraft.testing import assert_close
from tensorgraft.testing.oracle import assert_same_error
from tensorgraft.testing.oracle import to_numpy

RTOL, ATOL = 1e-4, 1e-5


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# =============================================================================== pack / pad layouts
def test_pack_padded_sequence_layout_docs_example():
    seq = tg.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
    p = U.pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert isinstance(p, U.PackedSequence) and isinstance(p, tuple)
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert p.data.tolist() == [4, 1, 3, 5, 2, 6]
    assert p.batch_sizes.tolist() == [3, 2, 1]
    assert p.batch_sizes.dtype == tg.int64 and p.batch_sizes.device.type == "cpu"
    assert p.sorted_indices.tolist() == [2, 0, 1]
    assert p.unsorted_indices.tolist() == [1, 2, 0]
    padded, lengths = U.pad_packed_sequence(p, batch_first=True)
    assert padded.tolist() == seq.tolist()
    assert lengths.tolist() == [2, 1, 3] and lengths.dtype == tg.int64 and lengths.device.type == "cpu"
    # data, batch_sizes unpack like a tuple
    data, batch_sizes, si, ui = p
    assert data is p.data and batch_sizes is p.batch_sizes and si is p.sorted_indices and ui is p.unsorted_indices


def test_pack_sorted_time_major_and_feature_dims():
    x = rand(4, 3, 2, 5)  # (T, B, *) with two trailing dims
    p = U.pack_padded_sequence(tg.tensor(x), tg.tensor([4, 2, 1]))
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert p.batch_sizes.tolist() == [3, 2, 1, 1]
    rows = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (3, 0)]
    assert_close(p.data, tg.tensor(np.stack([x[t, b] for t, b in rows])))
    padded, lengths = U.pad_packed_sequence(p, padding_value=-1.5, total_length=6)
    assert padded.shape == (6, 3, 2, 5) and lengths.tolist() == [4, 2, 1]
    ref = np.full((6, 3, 2, 5), -1.5, np.float32)
    for b, n in enumerate([4, 2, 1]):
        ref[:n, b] = x[:n, b]
    assert_close(padded, tg.tensor(ref))
    # lengths as floats are truncated to int64, as torch.as_tensor(..., dtype=int64) does
    p2 = U.pack_padded_sequence(tg.tensor(x), [4.0, 2.9, 1.2])
    assert p2.batch_sizes.tolist() == [3, 2, 1, 1]


def test_pack_sequence_unpack_unpad_roundtrip():
    seqs = [tg.tensor(rand(n, 3, seed=n)) for n in (2, 5, 1, 3)]
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        U.pack_sequence(seqs)
    p = U.pack_sequence(seqs, enforce_sorted=False)
    assert p.batch_sizes.tolist() == [4, 3, 2, 1, 1]
    assert p.sorted_indices.tolist() == [1, 3, 0, 2]
    back = U.unpack_sequence(p)
    assert [tuple(s.shape) for s in back] == [(2, 3), (5, 3), (1, 3), (3, 3)]
    for a, b in zip(back, seqs):
        assert_close(a, b)
    padded = U.pad_sequence(seqs)
    assert padded.shape == (5, 4, 3)
    for a, b in zip(U.unpad_sequence(padded, tg.tensor([2, 5, 1, 3])), seqs):
        assert_close(a, b)
    assert padded.shape == (5, 4, 3)
    for a, b in zip(U.unpad_sequence(padded.transpose(0, 1), [2, 5, 1, 3], batch_first=True), seqs):
        assert_close(a, b)


def test_pad_sequence_keeps_non_finite_values_and_gradients():
    a = tg.tensor([1.0, float("inf"), float("nan")], requires_grad=True)
    b = tg.tensor([4.0, 5.0], requires_grad=True)
    out = U.pad_sequence([a, b], batch_first=True, padding_value=-1.0, padding_side="left")
    assert type(out.grad_fn).__name__ == "CopySlices"
    np.testing.assert_array_equal(to_numpy(out), np.array([[1.0, np.inf, np.nan], [-1.0, 4.0, 5.0]], np.float32))
    (out * tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 3.0] and b.grad.tolist() == [5.0, 6.0]
    assert U.pad_sequence([tg.tensor([1, 2]), tg.tensor([3])]).tolist() == [[1, 3], [2, 0]]
    assert U.pad_sequence(tg.ones(2, 3)).shape == (3, 2)
    with pytest.raises(RuntimeError, match="pad_sequence: Expected iterable for input sequences"):
        U.pad_sequence(5)


def test_packed_sequence_class():
    data, bs = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([2, 1])
    p = U.PackedSequence(data, bs)
    assert p.sorted_indices is None and p.unsorted_indices is None
    q = U.PackedSequence((data, bs), sorted_indices=tg.tensor([1, 0]))
    assert q.data is data and q.unsorted_indices.tolist() == [1, 0]
    with pytest.raises(AssertionError, match="Expected data to be a list or tuple of length 2"):
        U.PackedSequence(data)
    assert U.invert_permutation(tg.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert U.invert_permutation(None) is None
    assert p.float() is p and p.to("cpu") is p and p.cpu() is p
    d = q.double()
    assert d.data.dtype == tg.float64 and d.batch_sizes is bs and d.sorted_indices.tolist() == [1, 0]
    assert q.long().data.dtype == tg.int64 and q.int().data.dtype == tg.int32
    assert q.half().data.dtype == tg.float16 and q.byte().data.dtype == tg.uint8
    assert q.bfloat16().data.dtype == tg.bfloat16
    assert q.short().data.dtype == tg.int16 and q.char().data.dtype == tg.int8
    assert not p.is_cuda and not p.is_pinned()
    assert repr(p).startswith("PackedSequence(data=tensor([1., 2., 3.]), batch_sizes=tensor([2, 1]), "
                              "sorted_indices=None, unsorted_indices=None)")


@pytest.mark.parametrize("call, exc, msg", [
    (lambda x: U.pack_padded_sequence(x, [1, 3]), RuntimeError, "must be sorted in decreasing order when"),
    (lambda x: U.pack_padded_sequence(x, [3, 0]), RuntimeError, "Length of all samples has to be greater than 0"),
    (lambda x: U.pack_padded_sequence(x, [0, 0], enforce_sorted=False), RuntimeError,
     "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"),
    (lambda x: U.pack_padded_sequence(x, [3, 2, 1]), RuntimeError,
     r"Expected `len\(lengths\)` to be equal to batch_size, but got 3 \(batch_size=2\)"),
    (lambda x: U.pack_padded_sequence(x, [[3, 2]]), RuntimeError,
     "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor"),
    (lambda x: U.pack_padded_sequence(x, tg.tensor(3)), RuntimeError,
     "'lengths' argument should be a 1D CPU int64 tensor, but got 0D cpu Long tensor"),
    (lambda x: U.pack_padded_sequence(x[:0], [3, 2]), RuntimeError, "Cannot pack empty tensors."),
    (lambda x: U.pack_padded_sequence(x, [4, 1]), RuntimeError, "at most the padded sequence length 3"),
    (lambda x: U.pad_packed_sequence(U.pack_padded_sequence(x, [3, 2]), total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, but got total_length=2 "
     "and max sequence length being 3"),
    (lambda x: U.pack_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda x: U.pack_padded_sequence(x.reshape(-1), [6]), IndexError, "Dimension out of range"),
])
def test_pack_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(tg.tensor(rand(3, 2, 4)))


def test_gradients_flow_through_pack_and_pad():
    x = tg.tensor(rand(4, 3, 2), requires_grad=True)
    p = U.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False)
    assert type(p.data.grad_fn).__name__ == "PackPaddedSequenceBackward0"
    w = rand(*p.data.shape, seed=1)
    (p.data * tg.tensor(w)).sum().backward()
    g = np.zeros((4, 3, 2), np.float32)
    rows = [(0, 1), (0, 2), (0, 0), (1, 1), (1, 2), (1, 0), (2, 1), (2, 2), (3, 1)]
    for r, (t, b) in enumerate(rows):
        g[t, b] = w[r]
    assert_close(x.grad, tg.tensor(g))
    # pad backward: only the packed rows receive gradient
    d = tg.tensor(rand(9, 2, seed=2), requires_grad=True)
    padded, _ = U.pad_packed_sequence(U.PackedSequence(d, tg.tensor([3, 3, 2, 1])), batch_first=True)
    assert type(padded.grad_fn).__name__ == "TransposeBackward0"
    wp = rand(3, 4, 2, seed=3)
    (padded * tg.tensor(wp)).sum().backward()
    rows = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (0, 3)]
    assert_close(d.grad, tg.tensor(np.stack([wp[b, t] for b, t in rows])))


def test_pack_pad_gradcheck_float64():
    from tensorgraft.autograd import gradcheck, gradgradcheck
    x = tg.tensor(rand(4, 3, 2).astype(np.float64), requires_grad=True)

    def f(x):
        p = U.pack_padded_sequence(x, [3, 4, 1], batch_first=False, enforce_sorted=False)
        return U.pad_packed_sequence(U.PackedSequence(p.data * p.data, p.batch_sizes, p.sorted_indices),
                                     batch_first=True, padding_value=2.0)[0]
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# =============================================================================== RNNs on packed input
def _per_sequence(m, x, lengths, h0=None):
    """Run ``m`` on each sequence alone (unbatched): the reference for a packed batch."""
    outs, hs, cs = [], [], []
    for b, n in enumerate(lengths):
        hx = None
        if h0 is not None:
            hx = tuple(h[:, b] for h in h0) if isinstance(h0, tuple) else h0[:, b]
        o, h = m(x[:n, b], hx)
        outs.append(o)
        if isinstance(h, tuple):
            h, c = h
            cs.append(c)
        hs.append(h)
    return outs, tg.stack(hs, 1), (tg.stack(cs, 1) if cs else None)


@pytest.mark.parametrize("cls, kw", [
    ("RNN", dict()), ("GRU", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)), ("RNN", dict(nonlinearity="relu", bias=False)),
])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_rnn_equals_each_sequence_alone(cls, kw, batch_first):
    tg.manual_seed(0)
    m = getattr(nn, cls)(3, 4, batch_first=batch_first, **kw)
    lengths = [2, 5, 1, 4]
    x = rand(5, 4, 3)
    D = 2 if m.bidirectional else 1
    H = m.proj_size or m.hidden_size
    h0 = tg.tensor(rand(m.num_layers * D, 4, H, seed=1))
    hx = (h0, tg.tensor(rand(m.num_layers * D, 4, 4, seed=2))) if cls == "LSTM" else h0
    xin = tg.tensor(x.transpose(1, 0, 2) if batch_first else x)
    p = U.pack_padded_sequence(xin, lengths, batch_first=batch_first, enforce_sorted=False)
    out, h = m(p, hx)
    assert isinstance(out, U.PackedSequence) and out.batch_sizes is p.batch_sizes
    assert out.sorted_indices is p.sorted_indices and out.unsorted_indices is p.unsorted_indices
    assert out.data.shape == (sum(lengths), D * H)
    padded, lens = U.pad_packed_sequence(out, batch_first=batch_first)
    if batch_first:
        padded = padded.transpose(0, 1)
    assert lens.tolist() == lengths
    ref_out, ref_h, ref_c = _per_sequence(m, tg.tensor(x), lengths, hx)
    for b, n in enumerate(lengths):
        assert_close(padded[:n, b], ref_out[b], rtol=RTOL, atol=ATOL)
        assert float(padded[n:, b].abs().sum()) == 0.0
    if cls == "LSTM":
        h, c = h
        assert_close(c, ref_c, rtol=RTOL, atol=ATOL)
    assert_close(h, ref_h, rtol=RTOL, atol=ATOL)


def test_packed_rnn_gradients_match_per_sequence_runs():
    tg.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    x = tg.tensor(rand(4, 3, 3), requires_grad=True)
    lengths = [4, 1, 3]
    out, h = m(U.pack_padded_sequence(x, lengths, enforce_sorted=False))
    padded, _ = U.pad_packed_sequence(out)
    (padded.sum() + (h * h).sum()).backward()
    gx, gw = x.grad, [p.grad for p in m.parameters()]
    x2 = tg.tensor(rand(4, 3, 3), requires_grad=True)
    m.zero_grad()
    total = 0
    for b, n in enumerate(lengths):
        o, hb = m(x2[:n, b])
        total = total + o.sum() + (hb * hb).sum()
    total.backward()
    assert_close(gx, x2.grad, rtol=RTOL, atol=ATOL)
    for a, b in zip(gw, m.parameters()):
        assert_close(a, b.grad, rtol=RTOL, atol=ATOL)


def test_rnn_argument_errors():
    lstm = nn.LSTM(4, 5)
    p = U.pack_padded_sequence(tg.tensor(rand(3, 2, 4)), [3, 2])
    # (PyTorch 2.13's packed LSTM checks no state sizes first: its kernel's broadcasting error)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 0"):
        lstm(p, (tg.zeros(1, 3, 5), tg.zeros(1, 3, 5)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 5\), got \[1, 2, 4\]"):
        lstm(tg.randn(3, 2, 4), (tg.zeros(1, 2, 5), tg.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 5\), got \[1, 3, 5\]"):
        nn.GRU(4, 5)(p, tg.zeros(1, 3, 5))
    with pytest.raises(RuntimeError, match="input must have 2 dimensions, got 3"):
        nn.RNN(4, 5)(U.pack_padded_sequence(tg.randn(3, 2, 2, 4), [3, 2]))
    with pytest.raises(ValueError, match=r"RNN input dtype \(torch.float64\) does not match weight dtype "
                                         r"\(torch.float32\)"):
        lstm(tg.randn(3, 2, 4, dtype=tg.float64))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        nn.RNN(4, 5)(tg.randn(1, 3, 2, 4))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 1D instead"):
        lstm(tg.randn(4))
    with pytest.raises(RuntimeError, match=r"For batched 3-D input, hx and cx should also be 3-D but got "
                                           r"\(2-D, 3-D\) tensors"):
        lstm(tg.randn(3, 2, 4), (tg.zeros(2, 5), tg.zeros(1, 2, 5)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        nn.GRU(4, 5)(tg.randn(3, 4), tg.zeros(1, 1, 5))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        lstm(tg.randn(0, 2, 4))


# =============================================================================== LSTM projections
def test_lstm_proj_size_parameters_and_errors():
    m = nn.LSTM(4, 5, num_layers=2, bidirectional=True, proj_size=3)
    shapes = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
    layer = lambda k, s, i: [(f"weight_ih_l{k}{s}", (20, i)), (f"weight_hh_l{k}{s}", (20, 3)),  # noqa: E731
                             (f"bias_ih_l{k}{s}", (20,)), (f"bias_hh_l{k}{s}", (20,)), (f"weight_hr_l{k}{s}", (3, 5))]
    assert shapes == layer(0, "", 4) + layer(0, "_reverse", 4) + layer(1, "", 6) + layer(1, "_reverse", 6)
    assert repr(m) == "LSTM(4, 5, proj_size=3, num_layers=2, bidirectional=True)"
    out, (h, c) = m(tg.randn(7, 2, 4))
    assert out.shape == (7, 2, 6) and h.shape == (4, 2, 3) and c.shape == (4, 2, 5)
    no_bias = nn.LSTM(4, 5, bias=False, proj_size=2)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0"]
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(4, 5, proj_size=5)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero to disable projections"):
        nn.LSTM(4, 5, proj_size=-1)
    for cls in (nn.RNN, nn.GRU):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            cls(4, 5, proj_size=0)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(4, 2, 3\), got \[4, 2, 5\]"):
        m(tg.randn(3, 2, 4), (tg.zeros(4, 2, 5), tg.zeros(4, 2, 5)))


def test_lstm_proj_size_against_numpy():
    tg.manual_seed(1)
    m = nn.LSTM(3, 4, proj_size=2)
    x, h0, c0 = rand(3, 2, 3), rand(1, 2, 2, seed=1), rand(1, 2, 4, seed=2)
    out, (hn, cn) = m(tg.tensor(x), (tg.tensor(h0), tg.tensor(c0)))
    W = {n: to_numpy(p).astype(np.float64) for n, p in m.named_parameters()}
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c = h0[0].astype(np.float64), c0[0].astype(np.float64)
    ref = []
    for t in range(3):
        g = x[t] @ W["weight_ih_l0"].T + W["bias_ih_l0"] + h @ W["weight_hh_l0"].T + W["bias_hh_l0"]
        i, f, gg, o = np.split(g, 4, 1)
        c = sig(f) * c + sig(i) * np.tanh(gg)
        h = (sig(o) * np.tanh(c)) @ W["weight_hr_l0"].T
        ref.append(h)
    assert_close(out, tg.tensor(np.stack(ref).astype(np.float32)), rtol=RTOL, atol=ATOL)
    assert_close(hn[0], tg.tensor(h.astype(np.float32)), rtol=RTOL, atol=ATOL)
    assert_close(cn[0], tg.tensor(c.astype(np.float32)), rtol=RTOL, atol=ATOL)


# =============================================================================== MultiheadAttention
def _mha_reference(m, q, k, v, attn_mask=None, key_padding_mask=None):
    """NumPy MultiheadAttention (sequence-first, float64): outputs and head-averaged weights."""
    P = {n: to_numpy(p).astype(np.float64) for n, p in m.named_parameters()}
    E, nh = m.embed_dim, m.num_heads
    hd = E // nh
    w, b = P["in_proj_weight"], P.get("in_proj_bias", np.zeros(3 * E))
    qp, kp, vp = (a @ w[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E] for i, a in enumerate((q, k, v)))
    L, N = q.shape[:2]
    mask = np.zeros((N, L, k.shape[0]))
    if attn_mask is not None:
        mask = mask + np.where(attn_mask, -np.inf, 0) if attn_mask.dtype == bool else mask + attn_mask
    if key_padding_mask is not None:
        mask = mask + np.where(key_padding_mask, -np.inf, 0)[:, None, :]
    extra = []
    if m.bias_k is not None:
        kp = np.concatenate([kp, np.broadcast_to(P["bias_k"], (1, N, E))])
        vp = np.concatenate([vp, np.broadcast_to(P["bias_v"], (1, N, E))])
        extra.append(0)
    if m.add_zero_attn:
        kp = np.concatenate([kp, np.zeros((1, N, E))])
        vp = np.concatenate([vp, np.zeros((1, N, E))])
        extra.append(0)
    mask = np.concatenate([mask, np.zeros((N, L, len(extra)))], 2)
    out = np.zeros((L, N, E))
    weights = np.zeros((N, L, kp.shape[0]))
    for n in range(N):
        for h in range(nh):
            sl = slice(h * hd, (h + 1) * hd)
            s = qp[:, n, sl] @ kp[:, n, sl].T / np.sqrt(hd) + mask[n]
            a = np.exp(s - s.max(-1, keepdims=True))
            a = a / a.sum(-1, keepdims=True)
            out[:, n, sl] = a @ vp[:, n, sl]
            weights[n] += a / nh
    out = out @ P["out_proj.weight"].T + P["out_proj.bias"]
    return out.astype(np.float32), weights.astype(np.float32)


@pytest.mark.parametrize("add_bias_kv, add_zero_attn", [(True, False), (False, True), (True, True)])
def test_mha_bias_kv_and_zero_attn_against_numpy(add_bias_kv, add_zero_attn):
    tg.manual_seed(0)
    m = nn.MultiheadAttention(6, 2, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias"] + (["bias_k", "bias_v"] if add_bias_kv else []) + \
        ["out_proj.weight", "out_proj.bias"]
    if add_bias_kv:
        assert m.bias_k.shape == (1, 1, 6) and m.bias_v.shape == (1, 1, 6)
    else:
        assert m.bias_k is None and m.bias_v is None
    with tg.no_grad():
        m.in_proj_bias.copy_(tg.tensor(rand(18, seed=5)))
    q, k, v = rand(3, 2, 6), rand(4, 2, 6, seed=1), rand(4, 2, 6, seed=2)
    am = np.triu(np.ones((3, 4), bool), 2)
    kpm = np.array([[False, False, True, False], [False, True, False, False]])
    for kw in (dict(), dict(attn_mask=am), dict(key_padding_mask=kpm), dict(attn_mask=am, key_padding_mask=kpm)):
        out, w = m(tg.tensor(q), tg.tensor(k), tg.tensor(v), **{n: tg.tensor(a) for n, a in kw.items()})
        ref_out, ref_w = _mha_reference(m, q, k, v, **kw)
        assert w.shape == (2, 3, 4 + add_bias_kv + add_zero_attn)
        assert_close(out, tg.tensor(ref_out), rtol=RTOL, atol=ATOL)
        assert_close(w, tg.tensor(ref_w), rtol=RTOL, atol=ATOL)
        out2, none = m(tg.tensor(q), tg.tensor(k), tg.tensor(v), need_weights=False,
                       **{n: tg.tensor(a) for n, a in kw.items()})
        assert none is None
        assert_close(out2, tg.tensor(ref_out), rtol=RTOL, atol=ATOL)


def test_mha_bias_kv_gradients_and_errors():
    tg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5)
    assert [n for n, _ in m.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                    "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                                    "out_proj.bias"]
    out, _ = m(tg.randn(3, 2, 4), tg.randn(5, 2, 3), tg.randn(5, 2, 5))
    out.sum().backward()
    assert float(m.bias_k.grad.abs().sum()) > 0 and float(m.bias_v.grad.abs().sum()) > 0
    x = tg.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[3, 4\]\), but should be "
                                           r"\(3, 5\)."):
        m(x, tg.randn(5, 2, 3), tg.randn(5, 2, 5), attn_mask=tg.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"Expected key_padded_mask.shape\[1\] to be 5, but got 7"):
        m(x, tg.randn(5, 2, 3), tg.randn(5, 2, 5), key_padding_mask=tg.zeros(2, 7, dtype=tg.bool))


# =============================================================================== PyTorch oracle
def _torch():
    return pytest.importorskip("torch")


def _sync(m, t):
    import torch
    t.load_state_dict({k: torch.tensor(np.array(to_numpy(v))) for k, v in m.state_dict().items()})
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]


def _check(a, b, what=""):
    np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what)


def test_oracle_pack_pad_functions():
    torch = _torch()
    TU = torch.nn.utils.rnn
    x = rand(5, 4, 3)
    for lengths, bf, es in (([5, 3, 3, 1], False, True), ([2, 5, 1, 4], False, False), ([2, 5, 1, 4], True, False)):
        xin = x.transpose(1, 0, 2).copy() if bf else x
        a, at = tg.tensor(xin, requires_grad=True), torch.tensor(xin, requires_grad=True)
        p = U.pack_padded_sequence(a, lengths, batch_first=bf, enforce_sorted=es)
        pt = TU.pack_padded_sequence(at, lengths, batch_first=bf, enforce_sorted=es)
        _check(p.data, pt.data)
        assert p.batch_sizes.tolist() == pt.batch_sizes.tolist()
        for f in ("sorted_indices", "unsorted_indices"):
            got, want = getattr(p, f), getattr(pt, f)
            assert (got is None) == (want is None) and (got is None or got.tolist() == want.tolist())
        assert type(p.data.grad_fn).__name__ == type(pt.data.grad_fn).__name__
        o, lens = U.pad_packed_sequence(p, batch_first=not bf, padding_value=0.5, total_length=7)
        ot, lenst = TU.pad_packed_sequence(pt, batch_first=not bf, padding_value=0.5, total_length=7)
        _check(o, ot)
        assert lens.tolist() == lenst.tolist() and lens.dtype == tg.int64
        assert type(o.grad_fn).__name__ == type(ot.grad_fn).__name__
        w = rand(*o.shape, seed=9)
        (o * tg.tensor(w)).sum().backward()
        (ot * torch.tensor(w)).sum().backward()
        _check(a.grad, at.grad)
    seqs = [rand(n, 2, seed=n) for n in (3, 1, 4)]
    p = U.pack_sequence([tg.tensor(s) for s in seqs], enforce_sorted=False)
    pt = TU.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    _check(p.data, pt.data)
    for u, ut in zip(U.unpack_sequence(p), TU.unpack_sequence(pt)):
        _check(u, ut)
    pad, padt = U.pad_sequence([tg.tensor(s) for s in seqs], True, 1.0, "left"), \
        TU.pad_sequence([torch.tensor(s) for s in seqs], True, 1.0, "left")
    _check(pad, padt)


@pytest.mark.parametrize("lengths", [[1, 3], [3, 0], [3, 2, 1], [[3, 2]], "total"])
def test_oracle_pack_error_messages(lengths):
    torch = _torch()
    TU = torch.nn.utils.rnn
    x = rand(3, 2, 4)

    def run(mod, lib):
        if lengths == "total":
            return mod.pad_packed_sequence(mod.pack_padded_sequence(lib.tensor(x), [3, 2]), total_length=2)
        return mod.pack_padded_sequence(lib.tensor(x), lengths)
    assert_same_error(lambda: run(U, tg), lambda: run(TU, torch))


_RNN_CASES = [
    ("RNN", dict()), ("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)), ("GRU", dict(bias=False)),
    ("LSTM", dict()), ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2)), ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=3)),
]


def _loss(lib, out, hidden, seed):
    outs = [out] + (list(hidden) if isinstance(hidden, tuple) else [hidden])
    return sum((o * lib.tensor(rand(*o.shape, seed=seed + i))).sum() for i, o in enumerate(outs))


@pytest.mark.parametrize("cls, kw", _RNN_CASES)
@pytest.mark.parametrize("batch_first, enforce_sorted, with_hx", [
    (False, True, False), (False, False, True), (True, False, False), (True, True, True)])
def test_oracle_packed_rnn(cls, kw, batch_first, enforce_sorted, with_hx):
    torch = _torch()
    TU = torch.nn.utils.rnn
    tg.manual_seed(0)
    m = getattr(nn, cls)(3, 5, batch_first=batch_first, **kw)
    t = getattr(torch.nn, cls)(3, 5, batch_first=batch_first, **kw)
    _sync(m, t)
    lengths = [5, 4, 2, 2, 1] if enforce_sorted else [2, 5, 1, 4, 3]
    x = rand(5, 5, 3)
    if batch_first:
        x = x.transpose(1, 0, 2).copy()
    D = 2 if m.bidirectional else 1
    shapes = [(m.num_layers * D, 5, m.proj_size or 5)] + ([(m.num_layers * D, 5, 5)] if cls == "LSTM" else [])
    hs = [rand(*s, seed=20 + i) for i, s in enumerate(shapes)] if with_hx else []
    a, at = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ha = [tg.tensor(h, requires_grad=True) for h in hs]
    hat = [torch.tensor(h, requires_grad=True) for h in hs]
    arg = (tuple(ha) if cls == "LSTM" else ha[0]) if with_hx else None
    argt = (tuple(hat) if cls == "LSTM" else hat[0]) if with_hx else None
    out, hid = m(U.pack_padded_sequence(a, lengths, batch_first, enforce_sorted), arg)
    outt, hidt = t(TU.pack_padded_sequence(at, lengths, batch_first, enforce_sorted), argt)
    _check(out.data, outt.data, "packed output")
    for h, ht in zip(hid if cls == "LSTM" else (hid,), hidt if cls == "LSTM" else (hidt,)):
        _check(h, ht, "final state")
    padded, _ = U.pad_packed_sequence(out, batch_first)
    paddedt, _ = TU.pad_packed_sequence(outt, batch_first)
    _check(padded, paddedt)
    _loss(tg, padded, hid, 40).backward()
    _loss(torch, paddedt, hidt, 40).backward()
    _check(a.grad, at.grad, "input grad")
    for h, ht in zip(ha, hat):
        _check(h.grad, ht.grad, "hx grad")
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        _check(p.grad, pt.grad, n)


@pytest.mark.parametrize("kw", [dict(proj_size=2), dict(proj_size=3, num_layers=2, bidirectional=True, bias=False),
                                dict(proj_size=1, batch_first=True)])
def test_oracle_lstm_proj_padded_and_unbatched(kw):
    torch = _torch()
    tg.manual_seed(0)
    m, t = nn.LSTM(3, 5, **kw), torch.nn.LSTM(3, 5, **kw)
    _sync(m, t)
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict())
    for x in (rand(4, 2, 3), rand(4, 3)):
        a, at = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, hid = m(a)
        outt, hidt = t(at)
        _check(out, outt)
        _check(hid[0], hidt[0])
        _check(hid[1], hidt[1])
        _loss(tg, out, hid, 3).backward()
        _loss(torch, outt, hidt, 3).backward()
        _check(a.grad, at.grad)
        for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
            _check(p.grad, pt.grad, n)
        m.zero_grad()
        t.zero_grad()


def test_oracle_rnn_constructor_errors():
    torch = _torch()
    for args, kw in [((4, 5), dict(proj_size=5)), ((4, 5), dict(proj_size=-1)), ((4, 5.0), {}), ((4, 0), {}),
                     ((4, 5, 0), {}), ((4.0, 5), {}), ((0, 5), {}), ((4, 5), dict(bias=1)),
                     ((4, 5), dict(batch_first=1)), ((4, 5), dict(dropout=1.5))]:
        assert_same_error(lambda: nn.LSTM(*args, **kw), lambda: torch.nn.LSTM(*args, **kw))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(4, 5, dropout=0.5)


@pytest.mark.parametrize("cfg", [
    dict(add_bias_kv=True), dict(add_zero_attn=True), dict(add_bias_kv=True, add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, batch_first=True, bias=False),
    dict(add_bias_kv=True, kdim=3, vdim=5)])
@pytest.mark.parametrize("masks", ["none", "bool", "float3d_kpm", "kpm"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_oracle_mha_bias_kv_zero_attn(cfg, masks, need_weights):
    torch = _torch()
    tg.manual_seed(0)
    E, nh, L, S, N = 4, 2, 3, 5, 2
    m, t = nn.MultiheadAttention(E, nh, **cfg), torch.nn.MultiheadAttention(E, nh, **cfg)
    _sync(m, t)
    assert list(m.state_dict()) == list(t.state_dict())
    bf = cfg.get("batch_first", False)
    shp = (lambda s: (N, s) if bf else (s, N))
    q, k, v = rand(*shp(L), E), rand(*shp(S), cfg.get("kdim", E), seed=1), rand(*shp(S), cfg.get("vdim", E), seed=2)
    kw = {}
    if masks == "bool":
        kw["attn_mask"] = np.triu(np.ones((L, S), bool), 3)
    if masks == "float3d_kpm":
        kw["attn_mask"] = rand(N * nh, L, S, seed=3)
    if masks in ("float3d_kpm", "kpm"):
        kw["key_padding_mask"] = np.array([[False] * 4 + [True], [False, True] + [False] * 3])
    xs = [tg.tensor(a, requires_grad=True) for a in (q, k, v)]
    xts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out, w = m(*xs, need_weights=need_weights, **{n: tg.tensor(a) for n, a in kw.items()})
    outt, wt = t(*xts, need_weights=need_weights, **{n: torch.tensor(a) for n, a in kw.items()})
    _check(out, outt)
    assert (w is None) == (wt is None)
    if w is not None:
        _check(w, wt)
    (out * tg.tensor(rand(*out.shape, seed=7))).sum().backward()
    (outt * torch.tensor(rand(*out.shape, seed=7))).sum().backward()
    for a, at in zip(xs, xts):
        _check(a.grad, at.grad)
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        _check(p.grad, pt.grad, n)


def test_oracle_mha_causal_hint_with_appended_keys():
    torch = _torch()
    tg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)
    t = torch.nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)
    _sync(m, t)
    x = rand(3, 2, 4)
    mask = np.triu(np.full((3, 3), -np.inf, np.float32), 1)
    for need_weights in (True, False):
        out, _ = m(*[tg.tensor(x)] * 3, attn_mask=tg.tensor(mask), is_causal=True, need_weights=need_weights)
        outt, _ = t(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask), is_causal=True, need_weights=need_weights)
        _check(out, outt)


# =============================================================================== devices
_on = assert_on_device  # the result lives on the device, as the device's own array


@pytest.mark.parametrize("cls, kw", [("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
                                     ("GRU", dict(bidirectional=True, batch_first=True)), ("RNN", dict())])
def test_packed_rnn_on_device(tg_device, cls, kw):
    tg.manual_seed(0)
    cpu_m = getattr(nn, cls)(3, 4, **kw)
    dev_m = getattr(nn, cls)(3, 4, **kw)
    dev_m.load_state_dict(cpu_m.state_dict())
    dev_m.to(tg_device)
    bf = kw.get("batch_first", False)
    x = rand(4, 5, 3)
    if bf:
        x = x.transpose(1, 0, 2).copy()
    lengths = [2, 4, 1, 3, 3]
    results = []
    for m, d in ((cpu_m, "cpu"), (dev_m, tg_device)):
        a = tg.tensor(x, device=d, requires_grad=True)
        p = U.pack_padded_sequence(a, lengths, batch_first=bf, enforce_sorted=False)
        assert p.batch_sizes.device.type == "cpu" and p.sorted_indices.device.type == tg.device(d).type
        out, hid = m(p)
        padded, lens = U.pad_packed_sequence(out, batch_first=bf, total_length=5)
        assert lens.device.type == "cpu" and lens.tolist() == lengths
        hs = list(hid) if isinstance(hid, tuple) else [hid]
        sum(((o * o).sum() * (i + 1)) for i, o in enumerate([padded] + hs)).backward()
        results.append(([padded, out.data] + hs, a.grad, [q.grad for q in m.parameters()]))
    (co, cg, cp), (do, dg, dp) = results
    for c, d in zip(co + [cg] + cp, do + [dg] + dp):
        _on(d, tg_device)
        assert_close(d.cpu(), c, rtol=RTOL, atol=ATOL)


def test_packed_sequence_moves_between_devices(tg_device):
    p = U.pack_sequence([tg.tensor(rand(n, 2, seed=n)) for n in (1, 3, 2)], enforce_sorted=False)
    q = p.to(tg_device)
    _on(q.data, tg_device)
    _on(q.sorted_indices, tg_device)
    _on(q.unsorted_indices, tg_device)
    assert q.batch_sizes is p.batch_sizes
    assert q.is_cuda == (tg.device(tg_device).type == "cuda")
    back = q.cpu()
    assert back.data.device.type == "cpu" and back.sorted_indices.device.type == "cpu"
    assert_close(back.data, p.data)
    for u, s in zip(U.unpack_sequence(q), U.unpack_sequence(p)):
        _on(u, tg_device)
        assert_close(u.cpu(), s)
    if tg.device(tg_device).type != "cpu":
        assert p.cuda().is_cuda
        dev = str(tg.empty(0, device=tg_device).device)
        with pytest.raises(RuntimeError, match=f"'lengths' argument should be a 1D CPU int64 tensor, but got 1D "
                                               f"{dev} Long tensor"):
            U.pack_padded_sequence(tg.randn(3, 2, 2, device=tg_device), tg.tensor([3, 2], device=tg_device))
        with pytest.raises(RuntimeError, match="1D CPU int64 tensor"):
            U.pack_padded_sequence(tg.randn(3, 2, 2, device=tg_device), tg.tensor([2, 3], device=tg_device),
                                   enforce_sorted=False)
        with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
            U.PackedSequence(q.data, q.batch_sizes.to(tg_device))


def test_mha_bias_kv_zero_attn_on_device(tg_device):
    tg.manual_seed(0)
    make = lambda: nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)  # noqa: E731
    cpu_m, dev_m = make(), make()
    dev_m.load_state_dict(cpu_m.state_dict())
    dev_m.to(tg_device)
    q, k = rand(3, 2, 4), rand(5, 2, 4, seed=1)
    kpm = np.array([[False] * 4 + [True], [False, True] + [False] * 3])
    am = np.triu(np.ones((3, 5), bool), 3)
    results = []
    for m, d in ((cpu_m, "cpu"), (dev_m, tg_device)):
        xs = [tg.tensor(a, device=d, requires_grad=True) for a in (q, k, k)]
        out, w = m(*xs, key_padding_mask=tg.tensor(kpm, device=d), attn_mask=tg.tensor(am, device=d))
        (out.sum() + (w * w).sum()).backward()
        results.append([out, w] + [x.grad for x in xs] + [p.grad for p in m.parameters()])
    for c, d in zip(*results):
        _on(d, tg_device)
        assert_close(d.cpu(), c, rtol=RTOL, atol=ATOL)
