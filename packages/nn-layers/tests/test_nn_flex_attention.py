"""tensorgraft.nn.attention.flex_attention: flex_attention in PyTorch's eager (uncompiled) CPU behaviour, BlockMask
and the mask builders.

Every hard-coded value below was computed with PyTorch 2.13 (CPU, torch.nn.attention.flex_attention called
without torch.compile) on the same inputs; outputs rounded to 6 decimals.
"""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.attention.flex_attention as fa
import tensorgraft.nn.functional as F
from tensorgraft.nn.attention.flex_attention import (
    AuxOutput,
    AuxRequest,
    BlockMask,
    and_masks,
    create_block_mask,
    create_mask,
    flex_attention,
    noop_mask,
    or_masks,
)
from tensorgraft.nn.attention.flex_attention.dense import math_attention
from tensorgraft.nn.attention.flex_attention.mods import _identity

NEG_INF = -math.inf

# inputs (rounded numpy draws) and PyTorch 2.13's outputs for them
Q = [[[[0.0, 0.3, -0.27], [-0.89, -0.45, -0.99], [0.06, 1.34, -0.49], [-0.62, 0.49, 0.36], [0.11, -0.93, -0.03],
   [0.7, -1.34, -0.46]],
  [[-1.9, -1.29, -1.84], [-0.24, -1.27, 0.27], [0.16, -0.19, -2.52], [-0.54, -0.05, 0.11], [-1.53, -0.48, -0.98],
   [-0.81, 1.06, -0.81]]]]

K = [[[[-0.03, 0.88, -0.58], [-0.11, 0.11, 0.06], [-1.23, 0.08, 1.36], [-1.55, 0.86, 0.12], [-0.64, 2.0, 0.76],
   [-1.2, 0.07, 0.58]],
  [[-0.19, 0.68, -0.07], [0.67, 1.44, -0.68], [0.2, -0.46, 0.13], [-1.19, -0.58, -0.2], [0.9, 1.15, -1.32],
   [-0.79, 0.65, -1.99]]]]

V = [[[[-0.46, -0.1, 1.26], [0.69, -0.33, -0.37], [-0.25, 1.52, -0.43], [-0.3, 0.35, -0.12], [-0.2, -1.11, -0.01],
   [-0.44, 1.17, 0.65]],
  [[-0.02, 0.67, -0.34], [1.05, -0.01, 0.58], [-1.29, 0.35, -1.69], [-2.04, -0.3, -0.9], [0.16, 2.24, -0.83],
   [-0.62, 0.21, 0.49]]]]

QG = [[[[-0.18, -0.21, 0.7], [0.52, -1.03, -0.08], [0.04, -1.05, 0.26], [-0.86, 0.97, 0.19], [0.09, -0.59, -0.12],
   [-2.0, -1.13, 0.36]],
  [[-2.13, 0.85, -1.75], [0.76, -0.85, 0.78], [0.13, -1.54, 1.25], [1.44, -0.07, -0.27], [-0.16, -0.98, 1.1],
   [-0.54, -0.05, -0.79]],
  [[-0.63, -1.28, 1.26], [-0.15, 0.97, 0.01], [-0.69, -0.33, -0.56], [0.01, -0.38, -0.3], [-1.38, -0.81, 1.65],
   [-0.67, -1.05, 0.34]],
  [[1.41, -1.45, -0.21], [-0.63, -1.76, 0.73], [-0.02, 0.07, -0.75], [0.45, -0.54, -0.14], [-1.11, -1.22, 1.34],
   [-0.51, 0.29, -0.03]]]]

BIAS = [[[-0.44, -0.51, 0.63, -0.3, -0.15, 0.02], [1.18, 0.68, 0.38, -0.56, -1.38, 0.95],
  [0.97, -0.14, 0.54, 0.78, 0.83, 0.92], [-0.46, 1.51, -1.25, 0.86, 0.49, 0.87],
  [1.88, 1.48, -1.15, -1.69, 0.82, -1.02], [-0.01, 0.84, -1.64, -2.11, 0.26, 0.04]],
 [[-0.25, 0.04, -0.86, -1.51, -0.17, -0.97], [-1.64, 0.51, -0.06, 0.41, -0.99, -0.66],
  [-1.0, -0.89, 0.2, -0.78, 0.36, 0.34], [2.03, -1.39, 0.89, -0.09, -0.01, -1.45],
  [-0.46, 0.74, -0.08, 0.08, -0.29, 1.15], [-0.02, -2.2, -0.69, -1.97, -3.25, -0.53]]]

SLIDING_ALIBI = [[[[-0.46, -0.1, 1.26], [0.221664, -0.236333, 0.293816], [-0.054943, 0.344103, 0.245958],
   [-0.183803, 0.659413, -0.245449], [-0.251108, 0.248498, -0.18385], [-0.391048, 0.778463, 0.459891]],
  [[-0.02, 0.67, -0.34], [0.378573, 0.416701, 0.002699], [0.247421, 0.206259, -0.177328],
   [-1.302489, -0.067559, -0.870393], [-1.576791, 0.20695, -0.990227], [-0.578802, 0.634003, 0.043094]]]]

DOC_BIAS = [[[[0.02851, -0.197702, 0.56759], [-0.058967, -0.180207, 0.691579], [-0.233013, -0.461405, -0.078321],
   [-0.255623, -0.18562, -0.092755], [-0.221732, -0.325521, -0.123656], [-0.44, 1.17, 0.65]],
  [[0.366176, 0.42458, -0.007961], [0.83466, 0.126851, 0.394848], [-0.098963, 1.919831, -0.918095],
   [-1.297566, 0.440681, -1.315493], [-1.716014, 0.041476, -1.012503], [-0.62, 0.21, 0.49]]]]

PREFIX_SOFTCAP = [[[[-0.028031, 0.258994, 0.274605], [-0.014821, 0.287901, 0.229452], [-0.053397, 0.177266, 0.383277],
   [-0.120103, 0.458392, 0.032434], [-0.056588, 0.131065, 0.018207], [-0.112688, 0.219697, 0.148745]],
  [[-0.266374, 0.365868, -0.657309], [-0.415758, 0.350175, -0.811079], [0.147839, 0.277363, -0.26116],
   [-0.786787, 0.147461, -0.668426], [-0.750243, 0.432147, -0.718627], [-0.320755, 0.572181, -0.295101]]]]

GQA = [[[[-0.176174, 0.453952, 0.062538], [-0.075443, 0.355377, 0.157763], [-0.125366, 0.526315, 0.094217],
   [-0.223089, 0.09171, 0.094389], [-0.128585, 0.354718, 0.162901], [-0.254133, 0.854003, 0.025395]],
  [[-0.301082, 0.270621, 0.032036], [-0.031954, 0.607951, -0.043484], [-0.190654, 1.171889, -0.165469],
   [-0.028205, -0.146428, 0.449446], [-0.212843, 1.114215, -0.129965], [-0.211253, 0.262093, 0.264546]],
  [[-1.808955, -0.116533, -1.086064], [0.30218, 0.660002, 0.017382], [-1.022698, 0.127319, -0.111838],
   [-0.772832, 0.424679, -0.494245], [-1.944062, -0.233558, -0.943846], [-1.833532, -0.158943, -0.978505]],
  [[-1.153528, 0.487301, -1.571247], [-1.943722, -0.217873, -0.996824], [-0.367802, 0.614396, 0.140282],
   [-0.760459, 0.611344, -0.953404], [-1.993876, -0.262508, -0.940038], [-0.656618, 0.29038, -0.160427]]]]

MASKED_OUT = [[[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-0.124161, 0.115096, 0.547518], [-0.149397, 0.532751, -0.020164],
   [-0.115238, 0.43214, 0.137065], [-0.035714, 0.287991, 0.194967]],
  [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-0.940606, 0.206722, -0.244318],
   [-0.288631, 0.541217, -0.059979]]]]

MASKED_LSE = [[[NEG_INF, NEG_INF, 1.407473, 1.89024, 1.436561, 1.010464], [NEG_INF, NEG_INF, NEG_INF, NEG_INF, 2.491432, 2.642607]]]

F64 = [[[[-0.2741856164418909, 0.30604088727956685, 0.22313391186917458],
   [-0.2948591631882535, 0.5147374031836519, 0.26363986863618055],
   [-0.26163535959061, 0.047849267692340214, 0.1818505455951591],
   [-0.2845578944735352, 0.32068856083243724, 0.20620150357672373],
   [-0.2836556337998707, 0.5550620806157918, 0.26486908775905676],
   [-0.26840553617534346, 0.5670302761503473, 0.2822342516193097]],
  [[-0.8671200063246692, 0.28872506098391476, -0.14267259045415714],
   [-0.8751814012331249, 0.4106365780606935, -0.5660222844744077],
   [-0.43982864842856817, 0.6838540259630197, -0.09657743615345371],
   [-0.6657481942098661, 0.5074553735609972, -0.39210600061718526],
   [-0.7906362850665758, 0.36896976856520347, -0.22330425036504586],
   [-0.45974463967331913, 0.6064958099515037, -0.15976867136381032]]]]

BIAS_GRAD = [[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.175294, -0.175294, 0.0, 0.0, 0.0, 0.0],
  [1.310058, -0.190327, -0.119731, 0.0, 0.0, 0.0], [0.024629, 0.471413, 0.066256, 0.437703, 0.0, 0.0],
  [0.674368, 0.251545, -0.013391, 0.003424, 0.084054, 0.0],
  [0.147035, 0.691861, 0.011671, 0.00629, 0.045148, 0.097994]],
 [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [-0.17493, 1.17493, 0.0, 0.0, 0.0, 0.0],
  [0.140554, -0.304874, 1.16432, 0.0, 0.0, 0.0], [0.208595, -0.041088, 0.59875, 0.233744, 0.0, 0.0],
  [-0.168543, -0.905643, 0.318026, 1.851539, -0.09538, 0.0],
  [0.234244, -0.023496, 0.085413, 0.058797, 0.028289, 0.616754]]]


@pytest.fixture(autouse=True)
def _quiet():
    # the performance warning is shown once per process; tests that count it reset the record themselves
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def t(a, dtype=tg.float32, **kw):
    return tg.tensor(np.array(a), dtype=dtype, **kw)


def qkv(dtype=tg.float32):
    # (PyTorch's values were computed from float32 tensors of these numbers, cast to the dtype)
    return t(Q).to(dtype), t(K).to(dtype), t(V).to(dtype)


def close(got, want, atol=1e-6):
    np.testing.assert_allclose(got.detach().numpy(), np.array(want), atol=atol, rtol=0)


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding(b, h, q_idx, kv_idx):
    return (q_idx >= kv_idx) & (q_idx - kv_idx <= 2)


SLOPES = t([0.5, 0.25])


def alibi(score, b, h, q_idx, kv_idx):
    return score + SLOPES[h] * (kv_idx - q_idx)


# ---------------------------------------------------------------- values


def test_sliding_window_with_alibi():
    q, k, v = qkv()
    bm = create_block_mask(sliding, None, None, 6, 6, device="cpu", BLOCK_SIZE=2)
    out = flex_attention(q, k, v, score_mod=alibi, block_mask=bm)
    assert out.dtype == tg.float32 and out.shape == (1, 2, 6, 3)
    close(out, SLIDING_ALIBI)


def test_document_mask_with_relative_bias():
    q, k, v = qkv()
    doc, bias = tg.tensor([0, 0, 1, 1, 1, 2]), t(BIAS)
    bm = create_block_mask(lambda b, h, qi, ki: doc[qi] == doc[ki], 1, 2, 6, 6, device="cpu", BLOCK_SIZE=2)
    close(flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: s + bias[h, qi, ki], block_mask=bm), DOC_BIAS)


def test_prefix_lm_with_soft_capping():
    q, k, v = qkv()
    bm = create_block_mask(lambda b, h, qi, ki: (ki <= 2) | (qi >= ki), None, None, 6, 6, device="cpu")
    out = flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: 0.5 * tg.tanh(s / 0.5), block_mask=bm)
    close(out, PREFIX_SOFTCAP)


def test_gqa_score_mod_sees_query_heads():
    _, k, v = qkv()
    out = flex_attention(t(QG), k, v, score_mod=lambda s, b, h, qi, ki: s * (h + 1), enable_gqa=True)
    assert out.shape == (1, 4, 6, 3)
    close(out, GQA)


def test_fully_masked_rows_give_zeros_and_minus_inf_lse():
    q, k, v = qkv()

    def late(b, h, qi, ki):
        return (qi >= ki) & (qi >= 2) & (h == 0) | (qi >= 4)

    out, aux = flex_attention(q, k, v, block_mask=create_block_mask(late, 1, 2, 6, 6, device="cpu"),
                              return_aux=AuxRequest(lse=True))
    assert isinstance(aux, AuxOutput) and aux.max_scores is None and aux.lse.dtype == tg.float32
    close(out, MASKED_OUT)
    close(aux.lse, MASKED_LSE)


def test_float64_and_explicit_scale():
    q, k, v = qkv(tg.float64)
    out = flex_attention(q, k, v, score_mod=alibi, scale=0.3)
    assert out.dtype == tg.float64
    close(out, F64, atol=1e-12)


def test_half_precision_output_keeps_the_query_dtype():
    q, k, v = qkv(tg.float16)
    out = flex_attention(q, k, v, block_mask=create_block_mask(sliding, 1, 1, 6, 6, device="cpu"))
    ref = flex_attention(*qkv(), block_mask=create_block_mask(sliding, 1, 1, 6, 6, device="cpu"))
    assert out.dtype == tg.float16
    np.testing.assert_allclose(out.float().numpy(), ref.numpy(), atol=3e-3)


def test_no_mask_and_causal_agree_with_sdpa():
    # PyTorch gives the same values (up to rounding: flex scales q @ kᵀ after the product, sdpa before) for
    # flex_attention with no mods / a causal mask and scaled_dot_product_attention / is_causal=True
    q, k, v = qkv()
    np.testing.assert_allclose(flex_attention(q, k, v).numpy(), F.scaled_dot_product_attention(q, k, v).numpy(),
                               atol=1e-6)
    bm = create_block_mask(causal, 1, 1, 6, 6, device="cpu", BLOCK_SIZE=4)
    np.testing.assert_allclose(flex_attention(q, k, v, block_mask=bm).numpy(),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy(), atol=1e-6)
    _, k2, v2 = qkv()
    np.testing.assert_allclose(flex_attention(t(QG), k2, v2, enable_gqa=True).numpy(),
                               F.scaled_dot_product_attention(t(QG), k2, v2, enable_gqa=True).numpy(), atol=1e-6)


def test_eager_path_ignores_tiles_and_uses_mask_mod_only():
    # PyTorch's eager path evaluates mask_mod on every element: a tile layout with noop_mask masks nothing
    q, k, v = qkv()
    bm = BlockMask.from_kv_blocks(tg.tensor([[[1, 1, 1]]], dtype=tg.int32),
                                  tg.tensor([[[[0, 1, 2], [1, 0, 2], [2, 0, 1]]]], dtype=tg.int32), BLOCK_SIZE=2)
    np.testing.assert_array_equal(flex_attention(q, k, v, block_mask=bm).numpy(), flex_attention(q, k, v).numpy())


def test_kv_batch_of_one_broadcasts_with_a_block_mask():
    q, k, v = qkv()
    q2 = tg.cat([q, q * 0.5])
    out = flex_attention(q2, k, v, block_mask=create_block_mask(causal, 2, None, 6, 6, device="cpu"))
    np.testing.assert_allclose(out[1].numpy(), flex_attention(q * 0.5, k, v, block_mask=create_block_mask(
        causal, 1, None, 6, 6, device="cpu"))[0].numpy(), atol=1e-7)


def test_chained_indexing_falls_back_to_vmap():
    # table[h][q_idx][kv_idx] cannot be broadcast; the per-element route gives the same as table[h, q_idx, kv_idx]
    q, k, v = qkv()
    bias = t(BIAS)
    a = flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: s + bias[h][qi][ki])
    b = flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: s + bias[h, qi, ki])
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-7)


def test_output_takes_the_query_memory_layout():
    q, k, v = qkv()
    qt = q.transpose(1, 2).contiguous().transpose(1, 2)   # (B, H, L, E) viewed from a (B, L, H, E) buffer
    out = flex_attention(qt, k, v)
    assert out.stride() == (36, 3, 6, 1)  # PyTorch's strides for this case
    assert out.transpose(1, 2).view(1, 6, 6).shape == (1, 6, 6)
    assert flex_attention(q, k, v).stride() == (36, 18, 3, 1)


def test_values_on_every_device(tg_device):
    q, k, v = (x.to(tg_device) for x in qkv())
    bm = create_block_mask(sliding, None, None, 6, 6, device=tg_device, BLOCK_SIZE=2)
    out = flex_attention(q, k, v, score_mod=alibi if tg_device == "cpu" else
                         (lambda s, b, h, qi, ki: s + SLOPES.to(tg_device)[h] * (ki - qi)), block_mask=bm)
    assert out.device.type == tg.device(tg_device).type
    close(out.cpu(), SLIDING_ALIBI)
    assert bm.to_dense().cpu().tolist() == [[[[1, 0, 0], [1, 1, 0], [0, 1, 1]]]]
    if tg_device != "cpu":  # PyTorch differentiates query/key/value everywhere but on the CPU
        q.requires_grad_()
        flex_attention(q, k, v, block_mask=bm).sum().backward()
        assert q.grad is not None and q.grad.shape == q.shape


# ---------------------------------------------------------------- gradients


def test_gradient_of_a_tensor_read_by_score_mod():
    q, k, v = qkv()
    bias = t(BIAS, requires_grad=True)
    out, aux = flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: s + bias[h, qi, ki],
                              block_mask=create_block_mask(causal, None, None, 6, 6, device="cpu"),
                              return_aux=AuxRequest(lse=True))
    ((out * out).sum() + aux.lse.sum()).backward()
    close(bias.grad, BIAS_GRAD, atol=2e-6)


def test_query_key_value_gradients_on_cpu_match_sdpa():
    # PyTorch refuses these on the CPU ("FlexAttention does not support backward on CPU"); tensorgraft
    # computes them (docs/user-guide/differences.md), equal to sdpa's with the same causal mask
    def grads(fn):
        q, k, v = (x.double().requires_grad_() for x in qkv())
        (fn(q, k, v) * tg.arange(3, dtype=tg.float64)).sum().backward()
        return [x.grad.numpy() for x in (q, k, v)]

    mask = create_block_mask(causal, None, None, 6, 6, device="cpu")
    mine = grads(lambda q, k, v: flex_attention(q, k, v, block_mask=mask))
    ref = grads(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_math_gradients_match_sdpa():
    # the arithmetic (used as is where PyTorch allows q/k/v gradients, on CUDA) differentiates like sdpa,
    # fully masked rows included (zero gradients, no NaN)
    def grads(fn):
        q, k, v = (x.double().requires_grad_() for x in qkv())
        out = fn(q, k, v)
        (out * tg.arange(3, dtype=tg.float64)).sum().backward()
        return [x.grad.numpy() for x in (q, k, v)]

    def mask_mod(b, h, qi, ki):
        return (qi >= ki) & (qi >= 1)

    keep = create_mask(mask_mod, 1, 1, 6, 6, device="cpu")
    mine = grads(lambda q, k, v: math_attention(q, k, v, _identity, mask_mod, 1 / math.sqrt(3), True, False)[0])
    ref = grads(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep))
    for a, b in zip(mine, ref):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, atol=1e-12)


# ---------------------------------------------------------------- warnings and checks


def test_performance_and_return_lse_warnings_once_per_process(monkeypatch):
    monkeypatch.setattr(fa, "_WARNINGS_SHOWN", set())
    q, k, v = qkv()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        flex_attention(q, k, v)
        flex_attention(q, k, v)
        out, lse = flex_attention(q, k, v, return_lse=True)
        flex_attention(q, k, v, return_lse=True)
    assert [w.category for w in seen] == [UserWarning, FutureWarning]
    assert str(seen[0].message).startswith(
        "flex_attention called without torch.compile() - this will use an unfused implementation that materializes "
        "the full scores matrix instead of generating a fused kernel.\n\nSOLUTION: Use torch.compile(flex_attention)"
        "(...)\n\nIf you want to debug your score_mod/mask_mod, you can set:\n"
        "torch.nn.attention.flex_attention._FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = True\n\n")
    assert str(seen[1].message) == ("return_lse is deprecated and will be removed in v2.10. Please use "
                                     "return_aux=AuxRequest(lse=True) instead.")
    assert lse.shape == (1, 2, 6)
    monkeypatch.setattr(fa, "_WARNINGS_SHOWN", set())
    monkeypatch.setattr(fa, "_FLEX_ATTENTION_DISABLE_COMPILE_DEBUG", True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        flex_attention(q, k, v)
    assert seen == []


@pytest.mark.parametrize("call, error, message", [
    (lambda q, k, v: flex_attention(q, k, v[0]), NotImplementedError, "NYI: query, key, and value must be 4D tensors"),
    (lambda q, k, v: flex_attention(q[0, 0, 0], k, v), ValueError,
     "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1, key.dim: 4 and "
     "value.dim: 4 instead."),
    (lambda q, k, v: flex_attention(q, k[..., :2], v), ValueError,
     "Expect query and key/value to have the same embedding dimension but got E=3 and E=2."),
    (lambda q, k, v: flex_attention(q, k[:, :1], v[:, :1]), ValueError,
     "Expect query and key/value to have the same number of heads but got Hq=2 and Hkv=1. Try setting "
     "enable_gqa=True for GQA."),
    (lambda q, k, v: flex_attention(tg.cat([q, q[:, :1]], 1), k, v, enable_gqa=True), ValueError,
     "Expect number of query heads to be a multiple of kv heads for GQA but got Hq=3 and Hkv=2."),
    (lambda q, k, v: flex_attention(tg.cat([q, q]), k, v), ValueError,
     "Expect query and key/value to have the same batch size, or non-none block_mask, but got block_mask=None, "
     "Bq=2, and Bkv=1."),
    (lambda q, k, v: flex_attention(tg.cat([q, q]), k, v, block_mask=create_block_mask(causal, 1, 1, 6, 6, "cpu")),
     ValueError, "Expect query and key/value to have the same batch size, or block_mask and query to have the same "
     "batch size, but got Bq=2, Bkv=1, B_block_mask=1."),
    (lambda q, k, v: flex_attention(q, k, v, block_mask=create_block_mask(causal, 1, 1, 4, 6, "cpu")), ValueError,
     "block_mask was created for block_mask.shape=(1, 1, 4, 6) but got q_len=6 and kv_len=6. As the block mask was "
     "created for a smaller length than you're using it for, you likely need to create a new block mask."),
    (lambda q, k, v: flex_attention(q, k, v, block_mask=create_block_mask(causal, 1, 1, 6, 8, "cpu")), ValueError,
     "block_mask was created for block_mask.shape=(1, 1, 6, 8) but got q_len=6 and kv_len=6. As the block mask was "
     "created for a larger length than you're using it for, you can either 1. create a new block mask"),
    (lambda q, k, v: flex_attention(q, k, v, block_mask=create_block_mask(causal, 1, 1, 6, 6, "cpu")[0]),
     RuntimeError, "Cannot use mask_mod from a sliced BlockMask"),
    (lambda q, k, v: flex_attention(q, k, v, return_lse=True, return_aux=AuxRequest()), ValueError,
     "Cannot specify both return_lse and return_aux. return_lse is deprecated, please use "
     "return_aux=AuxRequest(lse=True) instead."),
    (lambda q, k, v: flex_attention(q, k, v, return_aux=AuxRequest(max_scores=True)), NotImplementedError,
     "Returning max scores is not supported on CPU/MPS."),
    (lambda q, k, v: flex_attention(q, k, v, kernel_options={"BACKEND": "X"}), ValueError,
     "Invalid BACKEND value 'X'. Must be one of ('AUTO', 'TRITON', 'FLASH', 'TRITON_DECODE')"),
    (lambda q, k, v: flex_attention(q, k, v, kernel_options={"BACKEND": "AUTO", "FORCE_USE_FLEX_ATTENTION": True}),
     RuntimeError, "BACKEND cannot be combined with legacy FORCE_USE_FLEX_ATTENTION."),
    (lambda q, k, v: flex_attention(q, k, v, kernel_options={"OUTPUT_LOGSUMEXP": True}), AssertionError,
     "OUTPUT_LOGSUMEXP must not be in kernel_options"),
    (lambda q, k, v: create_block_mask(alibi, 1, 1, 6, 6, "cpu"), AssertionError,
     "create-block_mask requires a mask_mod function! Got <function alibi"),
    (lambda q, k, v: create_mask(lambda b: b, 1, 1, 6, 6, "cpu"), AssertionError,
     "Expected 4 or 5 positional args, got 1"),
    (lambda q, k, v: create_block_mask(causal, 1, 1, 6, 6, "cpu", dq_kv_order=None), ValueError,
     "dq_kv_order must be a bool when using create_block_mask"),
    (lambda q, k, v: or_masks(causal, 1), RuntimeError, "All inputs should be callable mask_mods: "),
])
def test_pytorch_errors(call, error, message):
    with pytest.raises(error) as info:
        call(*qkv())
    assert str(info.value).startswith(message)


def test_kernel_options_are_accepted():
    q, k, v = qkv()
    np.testing.assert_array_equal(flex_attention(q, k, v, kernel_options={"BLOCK_M": 16, "BACKEND": "TRITON"}).numpy(),
                                  flex_attention(q, k, v).numpy())


# ---------------------------------------------------------------- BlockMask


SLIDING_STR = ('BlockMask(shape=(1, 2, 6, 6), sparsity=44.44%, \n(0, 0)\n██    \n████  \n  ████\n\n(0, 1)\n██    \n'
               '████  \n  ████\n)')
SLIDING_REPR = ('BlockMask(\n    kv_num_blocks=torch.Size([1, 2, 3]),\n    kv_indices=torch.Size([1, 2, 3, 3]),\n'
                '    full_kv_num_blocks=torch.Size([1, 2, 3]),\n    full_kv_indices=torch.Size([1, 2, 3, 3]),\n'
                '    q_num_blocks=torch.Size([1, 2, 3]),\n    q_indices=torch.Size([1, 2, 3, 3]),\n'
                '    full_q_num_blocks=torch.Size([1, 2, 3]),\n    full_q_indices=torch.Size([1, 2, 3, 3]),\n'
                '    BLOCK_SIZE=(2, 2),\n    shape=(1, 2, 6, 6),\n    sparsity=44.44%,\n    mask_mod=sliding\n)')


def test_block_mask_fields_print_and_dense():
    bm = create_block_mask(sliding, 1, 2, 6, 6, device="cpu", BLOCK_SIZE=2)
    assert str(bm) == SLIDING_STR and repr(bm) == SLIDING_REPR
    expect = {"kv_num_blocks": [[[1, 2, 2], [1, 2, 2]]],
              "kv_indices": [[[[0, 1, 2], [0, 1, 2], [1, 2, 0]], [[0, 1, 2], [0, 1, 2], [1, 2, 0]]]],
              "full_kv_num_blocks": [[[0, 0, 0], [0, 0, 0]]],
              "full_kv_indices": [[[[0, 1, 2], [0, 1, 2], [0, 1, 2]], [[0, 1, 2], [0, 1, 2], [0, 1, 2]]]],
              "q_num_blocks": [[[2, 2, 1], [2, 2, 1]]],
              "q_indices": [[[[0, 1, 2], [1, 2, 0], [2, 0, 1]], [[0, 1, 2], [1, 2, 0], [2, 0, 1]]]],
              "full_q_num_blocks": [[[0, 0, 0], [0, 0, 0]]]}
    for name, want in expect.items():
        got = getattr(bm, name)
        assert got.dtype == tg.int32 and got.tolist() == want, name
    dense = bm.to_dense()
    assert dense.dtype == tg.int32 and dense.tolist() == [[[[1, 0, 0], [1, 1, 0], [0, 1, 1]]] * 2]
    assert bm.shape == (1, 2, 6, 6) and bm.numel() == 72 and bm.sparsity() == pytest.approx(44.44444444444444)
    assert bm.BLOCK_SIZE == (2, 2) and bm.seq_lengths == (6, 6) and bm.mask_mod is sliding


def test_block_mask_uneven_lengths_strings_slicing_and_adjust():
    bm = create_block_mask(causal, 2, 1, 5, 7, device="cpu", BLOCK_SIZE=(2, 3))
    assert str(bm) == ('BlockMask(shape=(2, 1, 5, 7), sparsity=14.29%, \n(0, 0)\n██    \n████  \n████  \n\n(1, 0)\n'
                       '██    \n████  \n████\n)')
    assert bm.kv_indices.tolist() == [[[[0, 1, 2], [1, 0, 2], [0, 1, 2]]]] * 2
    assert bm.q_indices.tolist() == [[[[0, 2, 1], [1, 2, 0], [0, 1, 2]]]] * 2
    assert bm.to_string(grid_size=2) == '(0, 0)\n░░  \n██  \n\n(1, 0)\n░░  \n██  \n'
    one = bm[1]
    assert str(one) == 'BlockMask(shape=(1, 1, 5, 7), sparsity=14.29%, \n(0, 0)\n██    \n████  \n████\n)'
    assert one.kv_num_blocks.tolist() == [[[1, 1, 2]]] and "mask_mod=_sliced_mask_mod_error" in repr(one)
    rows = bm[:, :, tg.tensor([1], dtype=tg.int32)]
    assert rows.kv_num_blocks.shape == (2, 1, 1) and rows.kv_indices.shape == (2, 1, 1, 3)
    with pytest.raises(RuntimeError, match="Cannot use mask_mod from a sliced BlockMask. When you slice"):
        one.mask_mod(*(tg.tensor(0),) * 4)
    small = bm._adjust(3, 4)
    assert small.shape == (2, 1, 3, 4) and "sparsity=-50.00%" in repr(small) and "mask_mod=causal" in repr(small)
    assert small.kv_num_blocks.tolist() == [[[1, 1]], [[1, 1]]]
    assert small.kv_indices.tolist() == [[[[0, 1], [1, 0]]], [[[0, 1], [1, 0]]]]
    assert small.full_kv_num_blocks.tolist() == [[[0, 1]], [[0, 1]]]


def test_to_string_limit_and_large_grid():
    bm = create_block_mask(causal, 2, 3, 64, 64, device="cpu", BLOCK_SIZE=2)
    text = str(bm)
    assert text.startswith('BlockMask(shape=(2, 3, 64, 64), sparsity=48.44%, \n(0, 0)\n░░' + ' ' * 30 + '\n██░░')
    assert text.count("\n(") == 4 and text.endswith(
        "...\nTo print out more, set BlockMask.to_string(limit=N)\n"
        "You can also index (BlockMask[batch, head]) to choose a specific batch or head\n)")
    assert len(bm.to_string(grid_size=-1, limit=1).splitlines()[1]) == 64


def test_from_kv_blocks_and_as_tuple():
    fk = BlockMask.from_kv_blocks(tg.tensor([[2, 1]], dtype=tg.int32), tg.tensor([[[0, 1], [1, 0]]], dtype=tg.int32),
                                  BLOCK_SIZE=(2, 4))
    assert str(fk) == 'BlockMask(shape=(1, 4, 8), sparsity=25.00%, \n(0,)\n████\n  ██\n)'
    assert fk.q_num_blocks.tolist() == [[1, 2]] and fk.q_indices.tolist() == [[[0, 1], [0, 1]]]
    assert fk.full_kv_num_blocks is None and fk.mask_mod is noop_mask
    flat = fk.as_tuple()
    assert len(flat) == 17 and flat[:2] == (4, 8) and flat[-3:-1] == (2, 4) and flat[-1] is noop_mask
    nested = fk.as_tuple(flatten=False)
    assert len(nested) == 15 and nested[0] == (4, 8) and nested[-2] == (2, 4)


def test_dq_write_order():
    # compute_dq_write_order metadata, ascending (dq_kv_order=False) and descending KV order
    up = create_block_mask(causal, 1, 1, 6, 6, device="cpu", BLOCK_SIZE=2, compute_dq_write_order=True,
                           dq_kv_order=False)
    assert up.dq_write_order.tolist() == [[[[0, 0, 0], [1, 1, 1], [2, 1, 2]]]]
    assert up.dq_write_order_full.tolist() == [[[[0, 0, 0], [1, 1, 1], [1, 2, 2]]]] and up.dq_kv_order_spt is False
    down = create_block_mask(causal, 1, 1, 6, 6, device="cpu", BLOCK_SIZE=2, compute_dq_write_order=True)
    assert down.dq_write_order.tolist() == [[[[0, 1, 2], [0, -1, 1], [0, -1, -1]]]]
    assert down.dq_write_order_full.tolist() == [[[[1, 2, 0], [1, -1, 0], [-1, -1, 0]]]]


def test_create_mask_and_mask_combinators():
    assert create_mask(sliding, 1, 1, 4, 5, device="cpu").tolist() == [[[
        [True, False, False, False, False], [True, True, False, False, False], [True, True, True, False, False],
        [False, True, True, True, False]]]]
    as_score = create_mask(lambda s, b, h, qi, ki: tg.where(qi >= ki, s, -float("inf")), 1, 1, 3, 3, device="cpu")
    assert as_score.tolist() == create_mask(causal, None, None, 3, 3, device="cpu").tolist()
    assert create_mask(and_masks(), 1, 1, 2, 2, "cpu").all() and not create_mask(or_masks(), 1, 1, 2, 2, "cpu").any()
    both = create_mask(and_masks(causal, sliding), 1, 1, 6, 6, "cpu")
    either = create_mask(or_masks(causal, lambda b, h, qi, ki: ki == 5), 1, 1, 6, 6, "cpu")
    assert both.tolist() == create_mask(sliding, 1, 1, 6, 6, "cpu").tolist()
    assert either[0, 0, 0].tolist() == [True, False, False, False, False, True]
    assert and_masks().__name__ == "and_mask" and or_masks().__name__ == "or_mask"
    assert noop_mask(*(tg.tensor(0),) * 4).tolist() is True
    # with no device given, PyTorch builds the mask on the current accelerator, else on the CPU
    default = tg.accelerator.current_accelerator() or tg.device("cpu")
    assert create_block_mask(causal, 1, 1, 6, 6).kv_indices.device.type == tg.device(default).type


def test_create_block_mask_without_separate_full_blocks_and_compile_flag():
    bm = create_block_mask(causal, 1, 1, 8, 8, device="cpu", BLOCK_SIZE=2, separate_full_blocks=False)
    assert bm.full_kv_num_blocks is None and bm.kv_num_blocks.tolist() == [[[1, 2, 3, 4]]]
    assert "full_kv_num_blocks=None" in repr(bm) and "full_q_indices=None" in repr(bm)
    with pytest.warns(DeprecationWarning, match="_compile flag on create_block_mask was originally added"):
        create_block_mask(causal, 1, 1, 8, 8, device="cpu", _compile=True)


def test_public_names():
    assert fa.__all__ == ["BlockMask", "flex_attention", "AuxOutput", "AuxRequest", "FlexKernelOptions",
                          "create_block_mask", "create_mask", "or_masks", "and_masks", "noop_mask"]
    assert AuxRequest() == (False, False) and repr(AuxOutput()) == "AuxOutput(lse=None, max_scores=None)"
