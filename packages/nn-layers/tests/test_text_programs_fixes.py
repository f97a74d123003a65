"""Fixes found by the text/sequence programs (tests/programs/text_*.py): LSTM state given in the wrong
form, pack_padded_sequence's node name and unsorted batches, MultiheadAttention's causal hint and
inference path, and the flash attention kernel (causal plus mask, exact zero gradients)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.nn.functional_ops.attention import flash_attention
from tensorgraft.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


def rand(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------- LSTM state read as hx[0], hx[1]
def test_lstm_state_as_a_lone_tensor_fails_on_its_second_index():
    lstm = nn.LSTM(4, 8)
    with pytest.raises(IndexError, match="^index 1 is out of bounds for dimension 0 with size 1$"):
        lstm(rand(2, 1, 4), tg.zeros(1, 1, 8))
    with pytest.raises(IndexError, match="^list index out of range$"):
        lstm(rand(2, 1, 4), [tg.zeros(1, 1, 8)])
    with pytest.raises(IndexError, match="^index 0 is out of bounds for dimension 0 with size 0$"):
        lstm(rand(2, 1, 4), tg.zeros(0, 1, 8))
    # unbatched input with a 2-D state: hx[0] is 1-D, but hx[1] fails first
    with pytest.raises(IndexError, match="^index 1 is out of bounds for dimension 0 with size 1$"):
        lstm(rand(2, 4), tg.zeros(1, 8))


def test_lstm_state_stacked_in_one_tensor_is_taken_apart_or_refused():
    lstm = nn.LSTM(4, 8)
    # unbatched: (h, c) stacked on the first dimension is accepted
    out, (h, c) = lstm(rand(2, 4), tg.zeros(2, 1, 8))
    assert tuple(h.shape) == (1, 8) and tuple(out.shape) == (2, 8)
    with pytest.raises(RuntimeError, match=r"should also be 3-D but got \(2-D, 2-D\) tensors"):
        lstm(rand(2, 1, 4), tg.zeros(2, 1, 8))
    # batched: the checks pass, but the kernel takes only a pair
    with pytest.raises(TypeError) as info:
        lstm(rand(2, 1, 4), tg.zeros(2, 1, 1, 8))
    assert str(info.value).startswith("lstm() received an invalid combination of arguments - got (Tensor, Tensor, "
                                      "list, bool, int, float, bool, bool, bool), but expected one of:")
    assert "!list of [Parameter, Parameter, Parameter, Parameter]!" in str(info.value)
    with pytest.raises(RuntimeError, match="^lstm expects two hidden states$"):
        lstm(rand(2, 1, 4), (tg.zeros(1, 1, 8),) * 3)


def test_lstm_wrong_state_raises_before_any_work():
    lstm = nn.LSTM(4, 8)
    x = rand(2, 1, 4).requires_grad_()
    with pytest.raises(RuntimeError):
        lstm(x, (tg.zeros(1, 1, 8),) * 3)
    assert x.grad is None


# ---------------------------------------------------------------- pack_padded_sequence
def test_pack_padded_node_prints_as_a_builtin_node():
    x = rand(3, 2, 4).requires_grad_()
    packed = pack_padded_sequence(x, [3, 2])
    assert type(packed.data.grad_fn).__name__ == "PackPaddedSequenceBackward0"
    assert repr(packed.data.grad_fn).startswith("<PackPaddedSequenceBackward0 object at 0x")


def test_unsorted_pack_with_fewer_lengths_packs_the_first_columns():
    padded = tg.arange(1.0, 17.0).view(4, 4, 1)
    p = pack_padded_sequence(padded, [3, 2], batch_first=True, enforce_sorted=False)
    assert p.batch_sizes.tolist() == [2, 2, 1] and p.sorted_indices.tolist() == [0, 1]
    assert p.data.view(-1).tolist() == [1.0, 5.0, 2.0, 6.0, 3.0]
    out, lengths = pad_packed_sequence(p, batch_first=True)
    assert lengths.tolist() == [3, 2] and tuple(out.shape) == (2, 3, 1)
    p = pack_padded_sequence(padded, [3, 2], enforce_sorted=False)   # time-major: columns 0 and 1
    assert p.data.view(-1).tolist() == [1.0, 2.0, 5.0, 6.0, 9.0]
    with pytest.raises(IndexError, match="index out of range in self"):
        pack_padded_sequence(padded, [3, 2, 1, 1, 1], batch_first=True, enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2"):
        pack_padded_sequence(padded, [3, 2], batch_first=True)


def test_unsorted_pack_with_fewer_lengths_backward():
    x = rand(4, 3, 2).requires_grad_()
    p = pack_padded_sequence(x, [2, 3], batch_first=True, enforce_sorted=False)
    p.data.sum().backward()
    g = x.grad.numpy()
    assert g[0, :2].sum() == 4 and g[0, 2:].sum() == 0 and g[1].sum() == 6 and g[2:].sum() == 0


# ---------------------------------------------------------------- MultiheadAttention
def test_mha_causal_hint_needs_a_mask_outside_the_inference_path():
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    x = rand(2, 3, 8)
    for need_weights in (True, False):
        with pytest.raises(RuntimeError, match="^Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True, need_weights=need_weights)
    m.eval()
    with pytest.raises(RuntimeError, match="^Need attn_mask"):   # autograd still wanted
        m(x, x, x, is_causal=True)
    with tg.no_grad():
        with pytest.raises(RuntimeError, match="^Need attn_mask"):   # not one tensor for q, k, v
            m(x, x.clone(), x.clone(), is_causal=True)
        # the fused inference kernel ignores the hint: the weights are not causal
        _, w = m(x, x, x, is_causal=True)
        _, w_plain = m(x, x, x)
        np.testing.assert_array_equal(w.numpy(), w_plain.numpy())
        assert (w.numpy()[:, 0, 1:] > 0).all()


# (a float64 model takes the fused path too, as in PyTorch: its weights' dtype matches the query's)
@pytest.mark.parametrize("change", ["odd_heads", "seq_first", "no_bias", "float_padding", "bias_kv"])
def test_mha_inference_path_conditions(change):
    kw = dict(batch_first=change != "seq_first", bias=change != "no_bias", add_bias_kv=change == "bias_kv")
    m = nn.MultiheadAttention(8, 1 if change == "odd_heads" else 2, **kw).eval()
    x = rand(3, 2, 8) if change == "seq_first" else rand(2, 3, 8)   # (L, N, E) or (N, L, E), N = 2, L = 3
    padding = tg.tensor([[True, True, True], [False, False, True]])
    if change == "float_padding":
        padding = tg.zeros(2, 3).masked_fill(padding, float("-inf"))
    with tg.no_grad():
        with pytest.raises(RuntimeError, match="^Need attn_mask"):
            m(x, x, x, key_padding_mask=padding, is_causal=True)
        out, _ = m(x, x, x, key_padding_mask=padding, need_weights=False)
    # the ordinary path: a query with every key masked gets zeros, not NaN
    assert not np.isnan(out.numpy()).any()


def test_mha_inference_path_leaves_fully_masked_rows_nan_for_bool_masks():
    m = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    x = rand(2, 3, 8)
    padding = tg.tensor([[True, True, True], [False, False, True]])
    blocked = tg.tensor([[True, True, True], [False, False, True], [False, False, False]])
    with tg.no_grad():
        out, _ = m(x, x, x, key_padding_mask=padding, need_weights=False)
        assert np.isnan(out.numpy()[0]).all() and not np.isnan(out.numpy()[1]).any()
        out, _ = m(x, x, x, attn_mask=blocked, need_weights=False)
        assert np.isnan(out.numpy()[:, 0]).all() and not np.isnan(out.numpy()[:, 1:]).any()
        # a float attention mask keeps the zeros of the fused kernels
        additive = tg.zeros(3, 3).masked_fill(blocked, float("-inf"))
        out, _ = m(x, x, x, attn_mask=additive, need_weights=False)
        assert (out.numpy()[:, 0] == m.out_proj.bias.detach().numpy()).all()
    m.train()   # training: the ordinary path, zeros
    out, _ = m(x, x, x, key_padding_mask=padding, need_weights=False)
    assert not np.isnan(out.detach().numpy()).any()


def test_transformer_encoder_layer_inference_keeps_bool_masked_rows_nan():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    x = rand(2, 3, 8)
    padding = tg.tensor([[True, True, True], [False, False, True]])
    with tg.no_grad():
        y = layer(x, src_key_padding_mask=padding)
    assert np.isnan(y.numpy()[0]).all() and not np.isnan(y.numpy()[1]).any()
    y = layer(x, src_key_padding_mask=padding)   # autograd on: the ordinary path
    assert not np.isnan(y.detach().numpy()).any()


# ---------------------------------------------------------------- flash attention kernel
def test_flash_backward_is_exactly_zero_for_a_query_seeing_one_key():
    q, k, v = rand(1, 2, 4, 8, seed=1), rand(1, 2, 4, 8, seed=2), rand(1, 2, 4, 8, seed=3)
    q.requires_grad_()
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert type(out.grad_fn).__name__ == "ScaledDotProductFlashAttentionForCpuBackward0"
    out.sum().backward()
    assert (q.grad.numpy()[0, :, 0] == 0).all()
    q.grad = None
    F.scaled_dot_product_attention(q, k, v, attn_mask=tg.ones(4, 4, dtype=tg.bool).tril()).sum().backward()
    assert (q.grad.numpy()[0, :, 0] == 0).all()


def test_flash_kernel_applies_a_mask_on_top_of_the_causal_one():
    q, k, v = rand(1, 2, 4, 8, seed=1), rand(1, 2, 4, 8, seed=2), rand(1, 2, 4, 8, seed=3)
    bias = rand(4, 4, seed=4)
    causal = tg.ones(4, 4, dtype=tg.bool).tril()
    both = flash_attention(q, k, v, bias, True, 8 ** -0.5, 1)
    merged = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.masked_fill(~causal, float("-inf")))
    np.testing.assert_allclose(both.numpy(), merged.numpy(), rtol=1e-6, atol=1e-6)
    only_causal = flash_attention(q, k, v, tg.ones(4, 4, dtype=tg.bool), True, 8 ** -0.5, 1)
    np.testing.assert_allclose(only_causal.numpy(), F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy(),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype,name", [(tg.int64, "long int"), (tg.int32, "int"), (tg.int16, "short int"),
                                        (tg.int8, "signed char"), (tg.uint8, "unsigned char"),
                                        (tg.complex64, "c10::complex<float>"), (tg.float16, "c10::Half")])
def test_sdpa_mask_dtype_message_names_the_c_type(dtype, name):
    q = rand(1, 1, 2, 4)
    with pytest.raises(RuntimeError, match=f"but got attn_mask.dtype: {name} and  query.dtype: float instead"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tg.ones(2, 2).to(dtype))


def test_fused_encoder_layer_reads_float_masks_as_bool_and_drops_the_causal_hint():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    x = rand(2, 3, 8)
    with tg.no_grad():
        # a float mask with no zero anywhere masks every key in the fused kernel
        assert np.isnan(layer(x, src_mask=rand(3, 3, seed=5)).numpy()).all()
        blocked = tg.tensor([[True, True, True], [False, False, True], [False, False, False]])
        additive = tg.zeros(3, 3).masked_fill(blocked, float("-inf"))
        a = layer(x, src_mask=additive).numpy()
        b = layer(x, src_mask=additive, is_causal=True).numpy()
        np.testing.assert_array_equal(a, b)
        assert np.isnan(a[:, 0]).all() and not np.isnan(a[:, 1:]).any()
        layer.norm2.eps = 1e-6   # no fused kernel: an additive mask, zeros for the masked query, causal used
        c = layer(x, src_mask=additive).numpy()
        assert not np.isnan(c).any() and np.isfinite(layer(x, src_mask=rand(3, 3, seed=5)).numpy()).all()
        assert not np.allclose(layer(x, src_mask=additive, is_causal=True).numpy(), c)


def test_mha_inference_path_needs_bool_masks():
    m = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    x = rand(2, 3, 8)
    causal = tg.ones(3, 3, dtype=tg.bool).triu(1)
    with tg.no_grad():
        expected, _ = m(x, x, x, attn_mask=causal, need_weights=False)
        # a float mask: the ordinary path, where the causal hint wins over the mask given
        got, _ = m(x, x, x, attn_mask=tg.zeros(3, 3), need_weights=False, is_causal=True)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
        # a bool mask: the inference path, which ignores the hint
        plain, _ = m(x, x, x, attn_mask=tg.zeros(3, 3, dtype=tg.bool), need_weights=False)
        got, _ = m(x, x, x, attn_mask=tg.zeros(3, 3, dtype=tg.bool), need_weights=False, is_causal=True)
        np.testing.assert_array_equal(got.numpy(), plain.numpy())


# ---------------------------------------------------------------- nn.Transformer
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_checks_batch_and_feature_sizes_first(batch_first):
    t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                       dropout=0.0, batch_first=batch_first)
    src = rand(2, 5, 8)
    with pytest.raises(RuntimeError, match="^the batch number of src and tgt must be equal$"):
        t(src, rand(3, 3, 8) if batch_first else rand(4, 3, 8))
    with pytest.raises(RuntimeError, match="^the feature number of src and tgt must be equal to d_model$"):
        t(src, rand(2, 5, 6))
    with pytest.raises(RuntimeError, match="^the feature number of src and tgt must be equal to d_model$"):
        t(rand(5, 6), rand(5, 6))   # unbatched: no batch to compare
    assert tuple(t(rand(5, 8), rand(4, 8)).shape) == (4, 8)


# ---------------------------------------------------------------- cells on the CPU
def test_cpu_cells_are_composed_of_ordinary_ops():
    tg.manual_seed(0)
    x = rand(2, 3)
    h, c = nn.LSTMCell(3, 4)(x, (rand(2, 4, seed=1), rand(2, 4, seed=2)))
    assert h.grad_fn.name() == "MulBackward0" and c.grad_fn.name() == "AddBackward0"
    assert [type(n).__name__ for n, _ in h.grad_fn.next_functions] == ["SigmoidBackward0", "TanhBackward0"]
    assert type(h.grad_fn.next_functions[0][0].next_functions[0][0]).__name__ == "UnsafeSplitBackward0"
    g = nn.GRUCell(3, 4)(x)
    assert g.grad_fn.name() == "AddBackward0"
    assert [type(n).__name__ for n, _ in g.grad_fn.next_functions] == ["MulBackward0", "TanhBackward0"]
    assert nn.GRUCell(3, 4)(x[0]).grad_fn.name() == "SqueezeBackward1"


def test_composed_cells_compute_the_fused_cells_values():
    from tensorgraft.nn.modules.rnn import _cell, _composed_cell
    tg.manual_seed(0)
    for mode, gates in (("LSTM", 4), ("GRU", 3)):
        x, h, c = rand(2, 3, seed=1), rand(2, 4, seed=2), rand(2, 4, seed=3)
        w_ih, w_hh, b_ih, b_hh = rand(gates * 4, 3, seed=4), rand(gates * 4, 4, seed=5), rand(gates * 4, seed=6), \
            rand(gates * 4, seed=7)
        a = _composed_cell(mode, x, h, c if mode == "LSTM" else None, w_ih, w_hh, b_ih, b_hh)
        b = _cell(mode, F.linear(x, w_ih, b_ih), h, c if mode == "LSTM" else None, w_hh, b_hh)
        for u, v in zip(a, b):
            if u is not None:
                np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- pad_sequence and state dtypes
def test_pad_sequence_errors_in_pytorchs_order():
    from tensorgraft.nn.utils.rnn import pad_sequence
    with pytest.raises(RuntimeError, match="^received an empty list of sequences$"):
        pad_sequence([], padding_side="middle")
    with pytest.raises(RuntimeError, match="^Expected padding_side to be one of left or right, but got middle.$"):
        pad_sequence([tg.ones(2)], padding_side="middle")
    with pytest.raises(TypeError, match="^iteration over a 0-d tensor$"):
        pad_sequence(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"^ArrayRef: invalid slice, N = 1; size = 0$"):
        pad_sequence(tg.ones(3))
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        pad_sequence([tg.ones(2), tg.tensor(1.0)])
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 1$"):
        pad_sequence([tg.ones(2, 3), tg.ones(2)])
    with pytest.raises(RuntimeError, match=r"^output with shape \[4, 3\] doesn't match the broadcast shape "
                                           r"\[4, 4, 3\]$"):
        pad_sequence([tg.ones(2, 3), tg.ones(4, 1, 3)])
    assert tuple(pad_sequence([tg.ones(2, 3), tg.ones(3)]).shape) == (3, 2, 3)   # (3,) broadcasts over a slot


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_state_of_another_dtype_fails_where_pytorch_does(cls):
    m = getattr(nn, cls)(4, 8)
    h = tg.zeros(1, 1, 8, dtype=tg.float64)
    state = (h, tg.zeros(1, 1, 8)) if cls == "LSTM" else h
    match = "^get_mkldnn_dtype: unsupported data type$" if cls == "LSTM" else \
        "^mat1 and mat2 must have the same dtype, but got Double and Float$"
    with pytest.raises(RuntimeError, match=match):
        m(tg.zeros(3, 1, 4), state)
    nobias = getattr(nn, cls)(4, 8, bias=False).double()
    state = (tg.zeros(1, 1, 8), tg.zeros(1, 1, 8, dtype=tg.float64)) if cls == "LSTM" else tg.zeros(1, 1, 8)
    with pytest.raises(RuntimeError, match="^expected m1 and m2 to have the same dtype, but got: float != double$"):
        nobias(tg.zeros(3, 1, 4, dtype=tg.float64), state)


def test_mha_separate_projections_are_checked_against_their_inputs():
    m = nn.MultiheadAttention(8, 2, kdim=4, vdim=6)
    with pytest.raises(AssertionError, match=r"^expecting key weights shape of \(8, 5\), but got "):
        m(rand(3, 2, 8), rand(5, 2, 5), rand(5, 2, 6))
    with pytest.raises(AssertionError, match=r"^expecting value weights shape of \(8, 7\), but got "):
        m(rand(3, 2, 8), rand(5, 2, 4), rand(5, 2, 7))
    assert tuple(m(rand(3, 2, 8), rand(5, 2, 4), rand(5, 2, 6))[0].shape) == (3, 2, 8)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_mask_dtypes_are_checked_under_the_callers_names():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2)
    x = rand(2, 4, 8)
    long_mask, long_padding = tg.zeros(4, 4, dtype=tg.int64), tg.zeros(2, 4, dtype=tg.int64)
    with pytest.raises(AssertionError, match="^only bool and floating types of src_mask are supported$"):
        layer(x, src_mask=long_mask)
    with pytest.raises(AssertionError, match="^only bool and floating types of src_key_padding_mask are supported$"):
        layer(x, src_mask=long_mask, src_key_padding_mask=long_padding)
    with pytest.raises(AssertionError, match="^only bool and floating types of mask are supported$"):
        enc(x, mask=long_mask)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int64_t without overflow$"):
        dec(x, x, tgt_mask=long_mask)
    with pytest.raises(AssertionError, match="^only bool and floating types of attn_mask are supported$"):
        dec(x, x, tgt_mask=long_mask, tgt_is_causal=False)
