"""RNN/LSTM/GRU, MultiheadAttention and TransformerEncoderLayer against torch."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn
RTOL, ATOL = 1e-4, 1e-5


def sync(m, t):
    t.load_state_dict({k: torch.tensor(np.array(v.detach().numpy())) for k, v in m.state_dict().items()})


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def flat(out):
    if isinstance(out, (tuple, list)):
        r = []
        for o in out:
            r += flat(o)
        return r
    return [] if out is None else [out]


def compare(m, t, *arrays, kwargs=None, tkwargs=None):
    xs = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    outs, outst = flat(m(*xs, **(kwargs or {}))), flat(t(*ts, **(tkwargs or kwargs or {})))
    assert len(outs) == len(outst)
    total, totalt = 0, 0
    for k, (o, ot) in enumerate(zip(outs, outst)):
        np.testing.assert_allclose(o.detach().numpy(), ot.detach().numpy(), rtol=RTOL, atol=ATOL)
        w = rand(*ot.shape, seed=10 + k)
        total = total + (o * tg.tensor(w)).sum()
        totalt = totalt + (ot * torch.tensor(w)).sum()
    total.backward()
    totalt.backward()
    for x, xt in zip(xs, ts):
        if xt.requires_grad:
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    for (n, p), (nt, pt) in zip(m.named_parameters(), t.named_parameters()):
        assert n == nt
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=n)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", [dict(), dict(num_layers=2, bidirectional=True), dict(batch_first=True, bias=False)])
def test_recurrent(cls, cfg):
    m, t = getattr(nn, cls)(3, 4, **cfg), getattr(tnn, cls)(3, 4, **cfg)
    sync(m, t)
    compare(m, t, rand(5, 2, 3))


def test_recurrent_with_initial_state_and_unbatched():
    m, t = nn.LSTM(3, 4, num_layers=2), tnn.LSTM(3, 4, num_layers=2)
    sync(m, t)
    h0, c0 = rand(2, 2, 4, seed=1), rand(2, 2, 4, seed=2)
    x = tg.tensor(rand(5, 2, 3))
    out, (h, c) = m(x, (tg.tensor(h0), tg.tensor(c0)))
    outt, (ht, ct) = t(torch.tensor(rand(5, 2, 3)), (torch.tensor(h0), torch.tensor(c0)))
    np.testing.assert_allclose(out.detach().numpy(), outt.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c.detach().numpy(), ct.detach().numpy(), rtol=RTOL, atol=ATOL)
    g, gt = nn.GRU(3, 4, nonlinearity="tanh") if False else nn.GRU(3, 4), tnn.GRU(3, 4)
    sync(g, gt)
    compare(g, gt, rand(5, 3))
    r, rt = nn.RNN(3, 4, nonlinearity="relu"), tnn.RNN(3, 4, nonlinearity="relu")
    sync(r, rt)
    compare(r, rt, rand(5, 2, 3), rand(1, 2, 4, seed=3))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        m(tg.randn(5, 2, 7))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(cls):
    m, t = getattr(nn, cls)(3, 4), getattr(tnn, cls)(3, 4)
    sync(m, t)
    compare(m, t, rand(2, 3))


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention(batch_first):
    m, t = nn.MultiheadAttention(8, 2, batch_first=batch_first), tnn.MultiheadAttention(8, 2, batch_first=batch_first)
    m.eval()
    t.eval()
    nn.init.normal_(m.in_proj_bias, std=0.1)
    sync(m, t)
    q, k, v = rand(4, 3, 8), rand(5, 3, 8, seed=1), rand(5, 3, 8, seed=2)
    if batch_first:
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    compare(m, t, q, k, v)
    mask = np.zeros((4, 5), bool)
    mask[:, -1] = True
    kpm = np.zeros((3, 5), bool)
    kpm[1, :2] = True
    compare(m, t, q, k, v, kwargs=dict(attn_mask=tg.tensor(mask), key_padding_mask=tg.tensor(kpm),
                                       average_attn_weights=False),
            tkwargs=dict(attn_mask=torch.tensor(mask), key_padding_mask=torch.tensor(kpm),
                         average_attn_weights=False))
    compare(m, t, q, k, v, kwargs=dict(need_weights=False))
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_layer(norm_first, activation):
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=norm_first, activation=activation, batch_first=True)
    m, t = nn.TransformerEncoderLayer(**kw), tnn.TransformerEncoderLayer(**kw)
    m.eval()
    t.eval()
    sync(m, t)
    compare(m, t, rand(2, 5, 8))
    enc, enct = nn.TransformerEncoder(m, 2), tnn.TransformerEncoder(t, 2, enable_nested_tensor=False)
    enc.eval()
    enct.eval()
    sync(enc, enct)
    compare(enc, enct, rand(2, 5, 8))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_and_full_transformer(norm_first):
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=norm_first, batch_first=True)
    m, t = nn.TransformerDecoderLayer(**kw), tnn.TransformerDecoderLayer(**kw)
    m.eval()
    t.eval()
    sync(m, t)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), tnn.Transformer.generate_square_subsequent_mask(4).numpy())
    compare(m, t, rand(2, 4, 8), rand(2, 5, 8, seed=1), kwargs=dict(tgt_mask=mask),
            tkwargs=dict(tgt_mask=torch.tensor(mask.numpy())))
    full = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16,
                          batch_first=True, norm_first=norm_first)
    fullt = tnn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16,
                            batch_first=True, norm_first=norm_first)
    full.eval()
    fullt.eval()
    sync(full, fullt)
    compare(full, fullt, rand(2, 5, 8), rand(2, 4, 8, seed=1))
