"""Sequence and attention layers against PyTorch 2.13 (values and messages taken from PyTorch):
the MultiheadAttention / encoder fast path (any dtype of the weights, ``torch.backends.mha``),
MHA through scaled_dot_product_attention, SDPA's mask-rank and dropout checks, embedding_bag's
backward (empty max bags, no double backward), packed RNN state checks and F.linear's dtype
messages."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import nn
from tensorgraft.nn import functional as F
from tensorgraft.nn.utils import rnn as U


@pytest.fixture
def fastpath_off():
    tg.backends.mha.set_fastpath_enabled(False)
    yield
    tg.backends.mha.set_fastpath_enabled(True)


def _padding():
    return tg.tensor([[True, True, True], [False, True, False]])   # batch 0: every key masked


# ------------------------------------------------------------------ the inference fast path
def test_mha_fast_path_taken_for_float64():
    tg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, batch_first=True, dtype=tg.float64).eval()
    x = tg.randn(2, 3, 4, dtype=tg.float64)
    with tg.no_grad():
        out = m(x, x, x, key_padding_mask=_padding(), need_weights=False)[0]
        assert np.isnan(out[0].numpy()).all() and not np.isnan(out[1].numpy()).any()
        assert tuple(m(x, x, x, is_causal=True)[0].shape) == (2, 3, 4)   # the hint is ignored there
        m.float()   # the query's dtype must be the weights'
        with pytest.raises(RuntimeError, match="^Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True)


def test_backends_mha_switch_rules_out_mha_fast_path(fastpath_off):
    m = nn.MultiheadAttention(4, 2, batch_first=True).eval()
    x = tg.randn(2, 3, 4)
    with tg.no_grad():
        out = m(x, x, x, key_padding_mask=_padding(), need_weights=False)[0]
        np.testing.assert_array_equal(out[0].numpy(), 0.0)   # the ordinary path: zeros, not NaN
        with pytest.raises(RuntimeError, match="^Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True)


def test_backends_mha_switch_rules_out_encoder_fast_paths(fastpath_off):
    tg.manual_seed(0)
    x = tg.randn(2, 3, 4)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True).eval()
    enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=True)
    with tg.no_grad():
        assert not np.isnan(layer(x, src_key_padding_mask=_padding()).numpy()).any()
        out = enc(x, src_key_padding_mask=tg.tensor([[False, False, True], [False, False, False]]))
        assert (out[0, 2].numpy() != 0).all()   # the padded position is not zeroed
        tg.backends.mha.set_fastpath_enabled(True)
        assert np.isnan(layer(x, src_key_padding_mask=_padding())[0].numpy()).all()


def test_encoder_nested_path_asks_the_first_layer_whether_it_trains():
    tg.manual_seed(0)
    x = tg.randn(2, 3, 4)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True).eval()
    enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=True)   # the encoder itself is training
    assert enc.training
    with tg.no_grad():
        out = enc(x, src_key_padding_mask=tg.tensor([[False, False, True], [False, False, False]]))
    np.testing.assert_array_equal(out[0, 2].numpy(), 0.0)


# ------------------------------------------------------------------ MHA through SDPA
def _chain(t, depth=8):
    names, fn = [], t.grad_fn
    while fn is not None and len(names) < depth:
        names.append(type(fn).__name__)
        nxt = [f for f, _ in fn.next_functions if f is not None and type(f).__name__ != "AccumulateGrad"]
        fn = nxt[0] if nxt else None
    return names


@pytest.mark.parametrize("kw", [{}, {"key_padding_mask": tg.tensor([[False, True, False], [False, False, True]])}])
def test_mha_without_weights_runs_sdpa(kw):
    tg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2)
    x = tg.randn(3, 2, 4, requires_grad=True)
    out = m(x, x, x, need_weights=False, **kw)[0]
    assert _chain(out) == ["ViewBackward0", "AddmmBackward0", "ViewBackward0", "PermuteBackward0",
                           "ScaledDotProductFlashAttentionForCpuBackward0", "ViewBackward0", "TransposeBackward0",
                           "ViewBackward0"]
    g, = tg.autograd.grad(out.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="^derivative for aten::_scaled_dot_product_flash_attention_for_cpu_"
                                           "backward is not implemented"):
        g.pow(2).sum().backward()


def test_mha_without_weights_values_match_pytorch():
    m = nn.MultiheadAttention(2, 2)
    with tg.no_grad():
        m.in_proj_weight.copy_(tg.arange(12.).reshape(6, 2) / 10 - 0.5)
        m.out_proj.weight.copy_(tg.tensor([[1., -1.], [0.5, 2.]]))
    x = (tg.arange(8.).reshape(2, 2, 2) / 4 - 1).requires_grad_()
    out = m(x, x, x, need_weights=False, attn_mask=tg.tensor([[False, True], [False, False]]))[0]
    assert "ScaledDotProductFlashAttentionForCpuBackward0" in _chain(out)
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy().ravel(),
                               [0.35000002, -2.20000005, 0.15000001, -0.92500001, 0.15587489, -0.93237484,
                                -0.01564413, 0.3053447],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy().ravel(),
                               [1.4245, 1.80349982, 1.42386317, 1.82170951, 0.46387607, 0.59050083, 0.4645519,
                                0.57231581], rtol=1e-5, atol=1e-6)


def test_flash_output_keeps_the_query_layout():
    q = tg.randn(3, 2, 2, 4).permute(1, 2, 0, 3)
    assert F.scaled_dot_product_attention(q, q, q).stride() == (8, 4, 16, 1)
    q2 = tg.randn(2, 4, 3, 2).permute(0, 3, 2, 1)
    assert F.scaled_dot_product_attention(q2, q2, q2).stride() == (24, 12, 4, 1)


# ------------------------------------------------------------------ SDPA checks
def test_sdpa_mask_rank():
    q = tg.randn(1, 2, 3, 4, requires_grad=True)
    sdpa = F.scaled_dot_product_attention
    assert type(sdpa(q, q, q, attn_mask=tg.zeros(2, 3, 3)).grad_fn).__name__ == "UnsafeViewBackward0"
    assert type(sdpa(q, q, q, attn_mask=tg.zeros(3, 3)).grad_fn).__name__ == \
        "ScaledDotProductFlashAttentionForCpuBackward0"
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-1, 0\], but got "
                                         r"-2\)$"):
        sdpa(q, q, q, attn_mask=tg.zeros(3))
    with pytest.raises(IndexError, match="^Dimension specified as -2 but tensor has no dimensions$"):
        sdpa(q, q, q, attn_mask=tg.zeros(()))
    q3 = tg.randn(2, 3, 4)
    assert tuple(sdpa(q3, q3, q3, attn_mask=tg.zeros(3)).shape) == (2, 3, 4)   # 3-D: broadcast, no check


def test_sdpa_dropout_checks():
    q = tg.randn(1, 2, 3, 4)
    sdpa = F.scaled_dot_product_attention
    for qq in (q, q[0]):
        with pytest.raises(RuntimeError, match=r"^dropout probability has to be between 0 and 1, but got 1.5$"):
            sdpa(qq, qq, qq, dropout_p=1.5)
    for p in (-0.5, float("nan")):
        with pytest.raises(RuntimeError, match="^scaled_dot_product_attention_flash_attention: Currently do not "
                                               "support dropout > 0$"):
            sdpa(q, q, q, dropout_p=p)
    assert tuple(sdpa(q[0], q[0], q[0], dropout_p=-0.5).shape) == (2, 3, 4)


# ------------------------------------------------------------------ embedding_bag backward
def test_embedding_bag_double_backward_refuses():
    w = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    p = tg.tensor([0.5, -1., 2.], dtype=tg.float64, requires_grad=True)
    out = F.embedding_bag(tg.tensor([0, 2, 1]), w, tg.tensor([0, 2]), mode="sum", per_sample_weights=p)
    gw, gp = tg.autograd.grad(out.pow(2).sum(), [w, p], create_graph=True)
    assert gw.requires_grad and type(gw.grad_fn).__name__ == "EmbeddingBagBackwardBackward0"
    assert gp.requires_grad and type(gp.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(NotImplementedError, match=r"^the derivative for '_embedding_bag_backward' is not "
                                                  r"implemented\.$"):
        (gw.pow(2).sum() + p.sum()).backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="^derivative for aten::_embedding_bag_per_sample_weights_backward is "
                                           "not implemented$"):
        gp.sum().backward()


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_embedding_bag_double_backward_refuses_without_weights(mode):
    w = tg.randn(3, 2, requires_grad=True)
    out = F.embedding_bag(tg.tensor([0, 2, 1]), w, tg.tensor([0, 2]), mode=mode)
    gw, = tg.autograd.grad(out.pow(2).sum(), w, create_graph=True)
    with pytest.raises(NotImplementedError, match="_embedding_bag_backward"):
        gw.sum().backward()


def test_embedding_bag_max_backward_of_empty_input():
    w = tg.randn(5, 3, requires_grad=True)
    out = F.embedding_bag(tg.tensor([], dtype=tg.long), w, tg.tensor([0, 0]), mode="max")
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((5, 3), np.float32))


# ------------------------------------------------------------------ packed RNN state
def _unsorted():
    return U.pack_padded_sequence(tg.randn(4, 2, 2), [4, 2], enforce_sorted=False)


@pytest.mark.parametrize("cls", [nn.GRU, nn.RNN])
def test_packed_state_is_permuted_before_the_check(cls):
    out, h = cls(2, 3)(_unsorted(), tg.zeros(1, 3, 3))   # a state with a column too many
    assert tuple(h.shape) == (1, 2, 3)


def test_packed_lstm_leaves_its_checks_to_the_kernel():
    ps = U.pack_padded_sequence(tg.randn(2, 2, 2, dtype=tg.float64), [2, 1])
    z = lambda *s: tg.zeros(*s, dtype=tg.float64)   # noqa: E731
    lstm = nn.LSTM(2, 4, dtype=tg.float64)
    cases = [
        (nn.LSTM(3, 4, dtype=tg.float64), None, r"mat1 and mat2 shapes cannot be multiplied \(3x2 and 3x16\)"),
        (lstm, (z(1, 3, 4), z(1, 2, 4)), r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                         "non-singleton dimension 0"),
        (lstm, (z(1, 2, 4), z(1, 3, 4)), r"The size of tensor a \(2\) must match the size of tensor b \(3\)"),
        (lstm, (z(1, 2, 5), z(1, 2, 4)), "got an incorrect number of RNN parameters"),
        (lstm, (z(2, 2, 4), z(2, 2, 4)), "Expected more hidden states in stacked_rnn"),
        (lstm, [z(1, 2, 4)], "lstm expects two hidden states"),
        (nn.LSTM(2, 4), None, "mat1 and mat2 must have the same dtype, but got Double and Float"),
        (nn.LSTM(2, 4, bidirectional=True, dtype=tg.float64), (z(1, 2, 4), z(1, 2, 4)),
         "Odd number of params or hiddens given to a bidirectional RNN"),
    ]
    for module, hx, msg in cases:
        with pytest.raises(RuntimeError, match="^" + msg):
            module(ps, hx)
    out, (h, c) = nn.LSTM(2, 4)(_unsorted(), (tg.zeros(1, 3, 4), tg.zeros(1, 3, 4)))
    assert tuple(h.shape) == tuple(c.shape) == (1, 2, 4)
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(6x2 and 3x16\)"):
        nn.LSTM(3, 4)(_unsorted())


def test_unexpected_keyword_names_rnnbase():
    for cls in (nn.GRU, nn.RNN, nn.LSTM):
        with pytest.raises(TypeError, match=r"^RNNBase.__init__\(\) got an unexpected keyword argument 'foo'$"):
            cls(3, 4, foo=1)


# ------------------------------------------------------------------ F.linear dtype messages
def test_linear_dtype_messages():
    with pytest.raises(RuntimeError, match="^expected m1 and m2 to have the same dtype, but got: long int != float$"):
        nn.LSTMCell(2, 3, bias=False)(tg.ones(1, 2, dtype=tg.long))
    x = tg.ones(3, 2, 4).transpose(0, 1)
    w64, b64 = tg.ones(5, 4, dtype=tg.float64), tg.ones(5, dtype=tg.float64)
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        F.linear(x, w64, b64)
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        F.linear(x, w64)
    # the bias is added after matmul, in place: another float dtype is cast, a wrong size refused by add_
    assert F.linear(x, tg.ones(5, 4), b64).dtype == tg.float32
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(5\) must match the size of tensor b \(3\) at "
                                           "non-singleton dimension 2$"):
        F.linear(x, tg.ones(5, 4), tg.ones(3))
    with pytest.raises(RuntimeError, match="^expected m1 and m2 to have the same dtype, but got: float != double$"):
        F.linear(x, w64.requires_grad_())   # matmul folds the input when the weight wants a gradient
    with pytest.raises(RuntimeError, match="^mat1 and mat2 must have the same dtype, but got Float and Double$"):
        F.linear(tg.ones(2, 3, 4), tg.ones(5, 4, dtype=tg.float64), b64)   # contiguous: addmm
    with pytest.raises(RuntimeError, match="^expected m1 and m2 to have the same dtype, but got: int != float$"):
        F.linear(tg.ones(3, 2, dtype=tg.int32), tg.ones(5, 2))


def test_lstm_and_gru_under_cpu_autocast_run_in_pytorchs_dtypes():
    # PyTorch 2.13: a padded LSTM is one oneDNN op on autocast's list (bfloat16 out); GRU and a
    # packed LSTM run float32 kernels. Both raised here before (mixed dtypes in the fused ops).
    tg.manual_seed(0)
    x = tg.randn(5, 2, 4, requires_grad=True)
    lstm, gru = nn.LSTM(4, 3, num_layers=2, bidirectional=True), nn.GRU(4, 3)
    with tg.autocast("cpu"):
        o, (h, c) = lstm(x)
        og, hg = gru(x)
        op, _ = nn.LSTM(4, 3)(U.pack_padded_sequence(x, [5, 3]))
    assert (o.dtype, h.dtype, c.dtype) == (tg.bfloat16,) * 3
    assert og.dtype is tg.float32 and hg.dtype is tg.float32 and op.data.dtype is tg.float32
    (o.float().sum() + og.sum()).backward()
    assert x.grad.dtype is tg.float32 and lstm.weight_ih_l0.grad.dtype is tg.float32
    assert isinstance(lstm.weight_ih_l0, nn.Parameter) and lstm.weight_ih_l0.dtype is tg.float32
