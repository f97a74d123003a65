"""Kernels that write their temporaries in place (SiLU forward and backward, layer norm's input
gradient, scaled dot-product attention's flash kernels) give the values of the out-of-place
formulas they replaced, written out again here: the same operations in the same order, so equal
bit for bit (NaN payload signs aside, which NumPy's strided and contiguous loops already leave
apart). The softmax kernels' twin is in test_nn_nll_gradient_zeros.py."""
import numpy as np
import pytest

from tensorgraft.nn.functional_ops import activation, attention, norm
from tensorgraft.nn.functional_ops.activation_builders import _sig


def _same(a, b):
    """Same dtype, shape, NaN positions, and bits elsewhere (signs of zeros included)."""
    assert a.dtype == b.dtype and a.shape == b.shape
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    nan = np.isnan(a.astype(np.float64))
    assert np.array_equal(nan, np.isnan(b.astype(np.float64)))
    assert a[~nan].tobytes() == b[~nan].tobytes()


def _layouts(x, g):
    yield x, g
    if x.ndim > 1:
        yield x.T, g.T
        yield x[..., ::2], g[..., ::2]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "bfloat16"])
@pytest.mark.parametrize("shape", [(), (7,), (1024, 512), (3, 5, 2)])
def test_silu_kernels_match_the_out_of_place_formulas(dtype, shape):
    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        dt = ml_dtypes.bfloat16
    else:
        dt = np.dtype(dtype)
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 6).astype(dt)
    g = rng.standard_normal(shape).astype(dt)
    if x.size > 4:
        x.flat[:4] = [np.inf, -np.inf, np.nan, -0.0]
    for xx, gg in _layouts(x, g):
        with np.errstate(all="ignore"):
            s = _sig(np, xx)
            _same(activation._silu_f(np, xx), xx * s)
            _same(activation._silu_b(np, xx, gg), gg * (s * (1.0 + xx * (1.0 - s))))


def test_silu_backward_keeps_promotion_and_batched_gradients():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    assert activation._silu_b(np, x, np.ones((3, 4), np.float64)).dtype == np.float64
    assert activation._silu_b(np, x, np.ones((5, 3, 4), np.float32)).shape == (5, 3, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, nd", [((2048, 256), 1), ((4, 3, 5), 2), ((7,), 1), ((3, 0), 1), ((2, 3, 8), 1)])
def test_layer_norm_input_gradient_matches_the_formula(dtype, shape, nd):
    rng = np.random.default_rng(sum(shape))
    x, g = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[len(shape) - nd:]).astype(dtype)
    axes = tuple(range(len(shape) - nd, len(shape)))
    with np.errstate(all="ignore"):
        xc = x - norm._mean_kept(np, x, axes)
        invstd = (1 / np.sqrt(norm._mean_kept(np, xc * xc, axes) + 1e-5)).astype(dtype)
        xhat = xc * invstd
        for gy, ours in ((g, False), (g * w, True)):
            kept = gy.copy()
            expected = (gy - norm._mean_kept(np, gy, axes) - xhat * norm._mean_kept(np, gy * xhat, axes)) * invstd
            _same(norm._ln_input_grad(np, gy, xhat, invstd, axes, gy_is_ours=ours), expected)
            if not ours:  # the incoming gradient is not written over
                assert np.array_equal(gy, kept, equal_nan=True)


def _scores(q, k, mask, causal, scale, groups):
    k = np.repeat(k, groups, axis=1) if groups > 1 else k
    s = (q @ k.swapaxes(-1, -2)) * scale
    L, S = s.shape[-2:]
    if causal:
        s = np.where(np.tri(L, S, dtype=bool), s, np.asarray(-np.inf, s.dtype))
    if mask is not None:
        s = np.where(mask, s, np.asarray(-np.inf, s.dtype)) if mask.dtype == bool else s + mask.astype(s.dtype)
    return s


def _flash_reference(q, k, v, g, mask, causal, scale, groups):
    """The kernels' formulas out of place, float16 computed in float32 as the kernels do."""
    dtype = q.dtype
    work = np.float32 if dtype == np.float16 else dtype
    q, k, v, g = (a.astype(work) for a in (q, k, v, g))
    s = _scores(q, k, mask, causal, scale, groups)
    top = s.max(-1, keepdims=True)
    top = np.where(np.isfinite(top), top, np.zeros((), work))
    e = np.exp(s - top)
    total = e.sum(-1, keepdims=True)
    safe = np.where(total > 0, total, np.ones((), work))
    lse = np.where(total > 0, np.log(safe) + top, np.asarray(-np.inf, work))[..., 0]
    vr = np.repeat(v, groups, axis=1) if groups > 1 else v
    kr = np.repeat(k, groups, axis=1) if groups > 1 else k
    out = (e / safe) @ vr
    live = np.isfinite(lse)[..., None]
    probs = np.where(live, np.exp(_scores(q, k, mask, causal, scale, groups) - np.where(live, lse[..., None], 0)), 0)
    probs = probs.astype(work)
    gv = probs.swapaxes(-1, -2) @ g
    dp = g @ vr.swapaxes(-1, -2)
    gs = probs * (dp - (probs * dp).sum(-1, keepdims=True))
    gq, gk = (gs @ kr) * scale, (gs.swapaxes(-1, -2) @ q) * scale
    if groups > 1:
        B, H, S, E = gk.shape
        gk, gv = (a.reshape(B, H // groups, groups, S, E).sum(2) for a in (gk, gv))
    return out, lse, tuple(a.astype(dtype) for a in (gq, gk, gv))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("sizes", [(2, 4, 16, 16, 8, 1), (1, 4, 7, 9, 4, 2), (2, 2, 64, 64, 32, 1)])
@pytest.mark.parametrize("mask_kind", ["none", "bool", "additive", "one_row_all_masked"])
@pytest.mark.parametrize("causal", [False, True])
def test_flash_attention_kernels_match_the_formulas(dtype, sizes, mask_kind, causal):
    B, H, L, S, E, groups = sizes
    rng = np.random.default_rng(L * S + E)
    q = rng.standard_normal((B, H, L, E)).astype(dtype)
    k, v = (rng.standard_normal((B, H // groups, S, E)).astype(dtype) for _ in range(2))
    g = rng.standard_normal((B, H, L, E)).astype(dtype)
    mask = {"none": None, "bool": rng.random((L, S)) > 0.3,
            "additive": rng.standard_normal((B, 1, L, S)).astype(dtype),
            "one_row_all_masked": np.arange(L)[:, None] != 1 + 0 * np.arange(S)}[mask_kind]
    with np.errstate(all="ignore"):
        out, lse = attention._flash_kernel(np, q, k, v, mask, causal, 0.125, groups)
        grads = attention._flash_backward_kernel(np, g, q, k, v, out, lse, mask, causal, 0.125, groups)
        ref_out, ref_lse, ref_grads = _flash_reference(q, k, v, g, mask, causal, 0.125, groups)
    _same(out, ref_out)
    _same(lse, ref_lse)
    for a, b in zip(grads, ref_grads):
        _same(a, b)
