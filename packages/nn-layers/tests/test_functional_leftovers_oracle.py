"""PyTorch as the oracle for the leftovers of the randomized nn.functional sweep (see
test_functional_leftovers.py): the same calls on both, values, dtypes, gradients, node names and
error messages compared."""
import contextlib
import itertools
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402

LIBS = ((torch, torch.nn.functional), (tg, F))


def _name(t):
    fn = t.grad_fn
    if fn is None:
        return None
    return type(fn).__name__ if isinstance(t, torch.Tensor) else fn.name()


def _outcome(call, lib, fn):
    """(exception type name, message) or ("ok", value) of ``call`` on one library."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = call(lib, fn)
    except Exception as e:  # noqa: BLE001 - the type is compared
        return type(e).__name__, str(e)
    r = r[0] if isinstance(r, tuple) else r
    return "ok", (r.detach().numpy().tolist(), str(r.dtype).split(".")[-1])


def _same_outcome(call, rtol=1e-6):
    a, b = (_outcome(call, lib, fn) for lib, fn in LIBS)
    assert a[0] == b[0], (a, b)
    if a[0] != "ok":
        assert a == b
    else:
        assert a[1][1] == b[1][1]
        np.testing.assert_allclose(np.asarray(b[1][0], dtype=complex), np.asarray(a[1][0], dtype=complex), rtol=rtol)


# ------------------------------------------------------------------ 1. embedding scale_grad_by_freq
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_scale_grad_by_freq(padding_idx):
    rng = np.random.default_rng(11)
    wn, g = rng.standard_normal((6, 3)), rng.standard_normal((3, 3, 3))
    idx = np.array([[1, 2, 4], [5, 4, 3], [2, 0, 4]])
    grads = []
    for lib, fn in LIBS:
        w = lib.tensor(wn, requires_grad=True)
        y = fn.embedding(lib.tensor(idx), w, padding_idx=padding_idx, scale_grad_by_freq=True)
        y.backward(lib.tensor(g))
        grads.append((w.grad.numpy(), _name(y)))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-12)
    assert grads[1][1] == grads[0][1]


@pytest.mark.parametrize("padding_idx", [None, 0, 1])
def test_embedding_double_backward(padding_idx):
    """(Without scale_grad_by_freq: PyTorch's second derivative leaves that scaling out.)"""
    rng = np.random.default_rng(20)
    wn, gn, idx = rng.standard_normal((5, 3)), rng.standard_normal((2, 3, 3)), np.array([[1, 1, 2], [4, 0, 1]])
    res = []
    for lib, fn in LIBS:
        w, g = lib.tensor(wn, requires_grad=True), lib.tensor(gn, requires_grad=True)
        gw, = lib.autograd.grad(fn.embedding(lib.tensor(idx), w, padding_idx), w, g, create_graph=True)
        (gw * lib.tensor(np.arange(15.).reshape(5, 3))).sum().backward()
        res.append((gw.detach().numpy(), g.grad.numpy(), _name(gw)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12)
    assert res[1][2] == res[0][2]


def test_embedding_module_scale_grad_by_freq():
    res = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        emb = lib.nn.Embedding(5, 2, scale_grad_by_freq=True)
        emb(lib.tensor([3, 3, 1, 3, 0])).sum().backward()
        res.append((emb.weight.grad.numpy(), repr(emb)))
    np.testing.assert_allclose(res[1][0], res[0][0])
    assert res[1][1] == res[0][1]


# ------------------------------------------------------------------ 2. cross_entropy probabilities, weight grad
@pytest.mark.parametrize("shape, reduction, eps", list(itertools.product(
    [(5, 4), (4,), (2, 4, 3)], ["mean", "sum", "none"], [0.0, 0.2])))
def test_cross_entropy_probability_weight_grad(shape, reduction, eps):
    rng = np.random.default_rng(12)
    xn, tn, wn = rng.standard_normal(shape), rng.random(shape), rng.random(4) + 0.5
    res = []
    for lib, fn in LIBS:
        x, w = lib.tensor(xn, requires_grad=True), lib.tensor(wn, requires_grad=True)
        loss = fn.cross_entropy(x, lib.tensor(tn), weight=w, reduction=reduction, label_smoothing=eps)
        loss.backward(lib.ones_like(loss))
        res.append((loss.detach().numpy(), x.grad.numpy(), w.grad.numpy(), _name(loss)))
    for a, b in zip(res[0][:3], res[1][:3]):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-14)
    assert res[1][3] == res[0][3]


# ------------------------------------------------------------------ 3. weights that must not require grad
WEIGHT_CALLS = {
    "nll": lambda lib, fn: fn.nll_loss(lib.randn(3, 4), lib.tensor([0, 1, 3]), weight=lib.rand(4, requires_grad=True)),
    "nll-1d": lambda lib, fn: fn.nll_loss(lib.randn(4), lib.tensor(1), weight=lib.rand(4, requires_grad=True)),
    "nll-3d": lambda lib, fn: fn.nll_loss(lib.randn(2, 4, 3), lib.zeros(2, 3, dtype=lib.int64),
                                          weight=lib.rand(4, requires_grad=True)),
    "nll-5d": lambda lib, fn: fn.nll_loss(lib.randn(2, 4, 3, 2, 2), lib.zeros(2, 3, 2, 2, dtype=lib.int64),
                                          weight=lib.rand(4, requires_grad=True)),
    "nll-bad-target": lambda lib, fn: fn.nll_loss(lib.randn(2, 4), lib.tensor([0, 9]),
                                                  weight=lib.rand(4, requires_grad=True)),
    "nll-float-target": lambda lib, fn: fn.nll_loss(lib.randn(2, 4), lib.tensor([0., 1.]),
                                                    weight=lib.rand(4, requires_grad=True)),
    "nll-batch": lambda lib, fn: fn.nll_loss(lib.randn(2, 4), lib.tensor([0, 1, 2]),
                                             weight=lib.rand(4, requires_grad=True)),
    "nll-weight-size": lambda lib, fn: fn.nll_loss(lib.randn(2, 4), lib.tensor([0, 1]),
                                                   weight=lib.rand(3, requires_grad=True)),
    "ce": lambda lib, fn: fn.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 3]),
                                           weight=lib.rand(4, requires_grad=True)),
    "ce-smooth": lambda lib, fn: fn.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 3]), label_smoothing=0.1,
                                                  weight=lib.rand(4, requires_grad=True)),
    "ce-smooth-bad": lambda lib, fn: fn.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 3]), label_smoothing=2.0,
                                                      weight=lib.rand(4, requires_grad=True)),
    "bce": lambda lib, fn: fn.binary_cross_entropy(lib.rand(3, 4), lib.rand(3, 4),
                                                   weight=lib.rand(3, 4, requires_grad=True)),
    "bce-range": lambda lib, fn: fn.binary_cross_entropy(lib.rand(3) * 3, lib.rand(3),
                                                         weight=lib.rand(3, requires_grad=True)),
    "bce-size": lambda lib, fn: fn.binary_cross_entropy(lib.rand(3), lib.rand(4), weight=lib.rand(3, requires_grad=True)),
    "bcel": lambda lib, fn: fn.binary_cross_entropy_with_logits(lib.rand(3, 4), lib.rand(3, 4),
                                                                weight=lib.rand(4, requires_grad=True)),
    "bcel-pos": lambda lib, fn: fn.binary_cross_entropy_with_logits(lib.rand(3, 4), lib.rand(3, 4),
                                                                    pos_weight=lib.rand(4, requires_grad=True)),
    "multi-margin": lambda lib, fn: fn.multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 3]),
                                                         weight=lib.rand(4, requires_grad=True)),
}


@pytest.mark.parametrize("name", sorted(WEIGHT_CALLS))
@pytest.mark.parametrize("grad_mode", [True, False])
def test_weight_requiring_grad(name, grad_mode):
    call = WEIGHT_CALLS[name]
    a, b = ((_outcome(lambda lib, fn: _grad_mode(lib, grad_mode, call, fn), lib, fn)) for lib, fn in LIBS)
    assert a[0] == b[0]
    if a[0] != "ok":
        assert a == b


def _grad_mode(lib, on, call, fn):
    with contextlib.nullcontext() if on else lib.no_grad():
        return call(lib, fn)


@pytest.mark.parametrize("shapes", [((3,), (2,)), ((4, 3), (2, 3)), ((2, 3), (4,)), ((2, 3), (2, 1, 3)),
                                    ((2, 3), (5, 2, 3)), ((2, 3), (3, 1)), ((2, 3), (1, 3)), ((2, 3), (3,))])
def test_binary_cross_entropy_weight_shapes(shapes):
    x, w = shapes
    rng = np.random.default_rng(19)
    xn, tn, wn = rng.random(x), rng.random(x), rng.random(w)
    _same_outcome(lambda lib, fn: fn.binary_cross_entropy(lib.tensor(xn), lib.tensor(tn), weight=lib.tensor(wn)))


# ------------------------------------------------------------------ 4. integer regression losses
def _loss_call(name, a, b, dt_a, dt_b, reduction, **kw):
    def call(lib, fn):
        x, y = lib.tensor(a, dtype=getattr(lib, dt_a)), lib.tensor(b, dtype=getattr(lib, dt_b))
        return getattr(fn, name)(x, y, reduction=reduction, **kw)
    return call


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int32"), ("uint8", "uint8"), ("bool", "bool"),
                                    ("int64", "float32"), ("float32", "int64"), ("float64", "int32"),
                                    ("complex64", "complex64")])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_on_other_dtypes(name, dtypes, reduction):
    a, b = [1, 2, 3], [2, 2, 5]
    _same_outcome(_loss_call(name, a, b, *dtypes, reduction))


def test_weighted_regression_losses_on_integers():
    _same_outcome(lambda lib, fn: fn.huber_loss(lib.tensor([1, 2, 3]), lib.tensor([2, 2, 5]),
                                                weight=lib.tensor([1., 1., 1.])))


# ------------------------------------------------------------------ 5. 1-D adaptive pool sizes
@pytest.mark.parametrize("name", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
@pytest.mark.parametrize("size", [(None,), None, [None], (2, 3), 2.5, (2.5,), 3, (3,), [3], (), "a", True, (True,),
                                  (3, None), np.int64(3), "tensor", "tensor1", "ftensor"])
def test_adaptive_pool1d_output_size(name, size):
    def call(lib, fn):
        s = {"tensor": lib.tensor(3), "tensor1": lib.tensor([3]), "ftensor": lib.tensor(3.)}.get(size, size) \
            if isinstance(size, str) else size
        lib.manual_seed(0)
        return getattr(fn, name)(lib.arange(48.).reshape(2, 3, 8), s)
    _same_outcome(call)


@pytest.mark.parametrize("name", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
def test_adaptive_pool1d_input_checks(name):
    _same_outcome(lambda lib, fn: getattr(fn, name)(3, (None,)))
    _same_outcome(lambda lib, fn: getattr(fn, name)(lib.zeros(2, 3, 4, 5), 3))


# ------------------------------------------------------------------ 6. max_unpool's invalid index
@pytest.fixture
def torch_one_thread():
    # with more threads PyTorch's CPU kernel reports whichever invalid index its threads write last
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("idx", [[[0, 1, 9, 3], [-1, 2, 3, 4]], [[0, 1, 2, 30], [-1, 2, 3, 11]],
                                 [[0, -7, 2, 3], [0, 2, 30, -5]], [[9, 10, 2, 3], [8, 2, 30, -5]],
                                 [[0, -1, 9, 3], [2, 2, 3, 4]], [[0, 1, 2, 3], [9, 2, 3, 4], [2, -1, 1, 2]],
                                 [[3, 3], [3, -3], [9, 3], [3, 3]]])
def test_max_unpool1d_invalid_index(idx, torch_one_thread):
    n = len(idx[0])
    _same_outcome(lambda lib, fn: fn.max_unpool1d(lib.arange(1., 1 + len(idx) * n).reshape(1, len(idx), n),
                                                  lib.tensor([idx]), 2))


def test_max_unpool2d_3d_invalid_index(torch_one_thread):
    i2 = [[[[0, 1], [2, 16]]], [[[20, 1], [2, 3]]]]
    _same_outcome(lambda lib, fn: fn.max_unpool2d(lib.arange(1., 9.).reshape(2, 1, 2, 2), lib.tensor(i2), 2))
    i3 = [[[[[0, 1], [-2, 4]]]], [[[[2, 1], [2, 33]]]]]
    _same_outcome(lambda lib, fn: fn.max_unpool3d(lib.arange(1., 9.).reshape(2, 1, 1, 2, 2), lib.tensor(i3), 2))


# ------------------------------------------------------------------ 7. max pool windows of padding only
def test_max_pool1d_every_small_geometry():
    rng = np.random.default_rng(13)
    for L, k, s, p, d, ceil in itertools.product(range(1, 6), range(1, 4), range(1, 4), range(2), range(1, 5),
                                                 [False, True]):
        if p > k // 2:
            continue
        xn = rng.standard_normal((2, 2, L))
        # PyTorch's CPU backward writes the gradient of a window made only of padding at its index,
        # past its plane: into the next plane, and out of bounds for the last one (it can abort
        # the process), so only the forward of such geometries is compared
        n_out = (L + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil else 0)) // s + 1
        if ceil and n_out > 1 and (n_out - 1) * s >= L + p:
            n_out -= 1
        padding_only = any(all(not 0 <= o * s - p + j * d < L for j in range(k)) for o in range(max(n_out, 0)))
        res = []
        for lib, fn in LIBS:
            x = lib.tensor(xn, requires_grad=True)
            try:
                y, i = fn.max_pool1d(x, k, s, p, d, ceil, return_indices=True)
            except RuntimeError as e:
                res.append(str(e))
                continue
            if not padding_only:
                y.backward(lib.tensor(np.arange(1., 1 + y.numel()).reshape(tuple(y.shape))))
            res.append((y.detach().numpy().tolist(), i.numpy().tolist(),
                        None if padding_only else x.grad.numpy().tolist()))
        assert res[0] == res[1], (L, k, s, p, d, ceil)


@pytest.mark.parametrize("shape", [(4, 4), (4,), (2, 4), (1, 2, 3, 4, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["max_pool1d", "max_pool2d"])
@pytest.mark.parametrize("return_indices", [True, False])
def test_max_pool_ranks(shape, name, return_indices):
    data = np.random.default_rng(21).standard_normal(shape)
    _same_outcome(lambda lib, fn: getattr(fn, name)(lib.tensor(data), 2, return_indices=return_indices))


def test_max_pool2d_padding_only_windows_forward():
    for H, W, k, p, d in [(2, 2, 2, 1, (1, 3)), (2, 2, 2, 1, (3, 1)), (3, 2, 2, 1, (1, 3))]:
        res = []
        for lib, fn in LIBS:
            y, i = fn.max_pool2d(lib.tensor(np.ones((2, 2, H, W))), k, 1, p, d, return_indices=True)
            res.append((y.numpy().tolist(), i.numpy().tolist()))
        assert res[0] == res[1]


# ------------------------------------------------------------------ 8. attention mask dtypes
@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64"), ("float32", "float16"),
                                    ("float64", "float64")])
@pytest.mark.parametrize("masks", ["attn", "kpm", "both", "kpm-bool", "attn-bool"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_mask_dtypes(dtypes, masks, need_weights):
    dt, mdt = dtypes

    def call(lib, fn):
        m = lib.nn.MultiheadAttention(4, 2, dtype=getattr(lib, dt))
        rng = np.random.default_rng(18)
        with lib.no_grad():   # the same weights on both
            for p in (m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias):
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5, dtype=p.dtype))
        q = lib.tensor(np.random.default_rng(14).standard_normal((3, 2, 4)), dtype=getattr(lib, dt))
        fm = getattr(lib, mdt)
        kw = {}
        if masks in ("attn", "both", "kpm-bool"):
            kw["attn_mask"] = lib.zeros(3, 3, dtype=fm)
        if masks in ("kpm", "both", "attn-bool"):
            kw["key_padding_mask"] = lib.zeros(2, 3, dtype=fm)
        if masks == "kpm-bool":
            kw["key_padding_mask"] = lib.zeros(2, 3, dtype=lib.bool)
        if masks == "attn-bool":
            kw["attn_mask"] = lib.zeros(3, 3, dtype=lib.bool)
        return m(q, q, q, need_weights=need_weights, **kw)
    a, b = (_outcome(call, lib, fn) for lib, fn in LIBS)
    assert a[0] == b[0]
    if a[0] == "ok":
        assert a[1][1] == b[1][1]
        np.testing.assert_allclose(b[1][0], a[1][0], rtol=1e-5, atol=1e-6)
    else:
        assert a == b


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64"), ("float32", "float16")])
def test_sdpa_mask_dtypes(dtypes):
    dt, mdt = dtypes
    _same_outcome(lambda lib, fn: fn.scaled_dot_product_attention(
        *(lib.tensor(np.random.default_rng(15).standard_normal((1, 2, 3, 4)), dtype=getattr(lib, dt)),) * 3,
        attn_mask=lib.zeros(3, 3, dtype=getattr(lib, mdt))))


# ------------------------------------------------------------------ 9. the fused attention node
SDPA_CASES = {
    "4d": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {}),
    "causal": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"is_causal": True}),
    "causal-long-query": (((1, 2, 6, 4), (1, 2, 3, 4), (1, 2, 3, 4)), {"is_causal": True}),
    "bool-mask": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"attn_mask": "bool"}),
    "masked-row": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"attn_mask": "row"}),
    "float-mask": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"attn_mask": "float"}),
    "float-mask-4d": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"attn_mask": "float4"}),
    "scale": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {"scale": 0.3}),
    "gqa": (((2, 4, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8)), {"enable_gqa": True}),
    "v-dim": (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)), {}),
    "3d": (((3, 4, 8), (3, 5, 8), (3, 5, 8)), {}),
    "5d": (((2, 2, 3, 4, 8), (2, 2, 3, 5, 8), (2, 2, 3, 5, 8)), {}),
    "2d": (((4, 8), (5, 8), (5, 8)), {}),
    "broadcast-batch": (((2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)), {}),
}


def _mask(lib, kind, dtype, rng):
    if kind == "bool":
        return lib.tensor(rng.random((4, 5)) > 0.3)
    if kind == "row":
        m = rng.random((4, 5)) > 0.3
        m[2] = False
        return lib.tensor(m)
    if kind == "float4":
        return lib.tensor(rng.standard_normal((2, 1, 4, 5)), dtype=dtype)
    return lib.tensor(rng.standard_normal((4, 5)), dtype=dtype)


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sdpa_values_gradients_and_node(case, dtype):
    shapes, kw = SDPA_CASES[case]
    res = []
    for lib, fn in LIBS:
        rng = np.random.default_rng(16)
        dt = getattr(lib, dtype)
        args = dict(kw)
        if "attn_mask" in args:
            args["attn_mask"] = _mask(lib, args["attn_mask"], dt, rng)
        q, k, v = (lib.tensor(rng.standard_normal(s), dtype=dt, requires_grad=True) for s in shapes)
        out = fn.scaled_dot_product_attention(q, k, v, **args)
        g = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=dt)
        out.backward(g)
        res.append((out.detach().numpy(), q.grad.numpy(), k.grad.numpy(), v.grad.numpy(), _name(out),
                    len(out.grad_fn.next_functions)))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for a, b in zip(res[0][:4], res[1][:4]):
        np.testing.assert_allclose(b, a, **tol)
    assert res[1][4] == res[0][4]
    if res[0][4] == "ScaledDotProductFlashAttentionForCpuBackward0":
        assert res[1][5] == res[0][5]


def test_sdpa_fused_node_double_backward_message():
    msgs = []
    for lib, fn in LIBS:
        q, k, v = (lib.randn(1, 2, 3, 4, dtype=lib.float64, requires_grad=True) for _ in range(3))
        g, = lib.autograd.grad(fn.scaled_dot_product_attention(q, k, v).sum(), q, create_graph=True)
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_sdpa_half_precision_node():
    res = []
    for lib, fn in LIBS:
        x = lib.tensor(np.random.default_rng(17).standard_normal((1, 2, 3, 4)), dtype=lib.float16, requires_grad=True)
        out = fn.scaled_dot_product_attention(x, x, x)
        out.sum().backward()
        res.append((out.detach().numpy().astype(np.float64), x.grad.numpy().astype(np.float64), _name(out), out.dtype))
    np.testing.assert_allclose(res[1][0], res[0][0], atol=3e-3)
    np.testing.assert_allclose(res[1][1], res[0][1], atol=1e-2)
    assert res[1][2] == res[0][2] and str(res[1][3]) == str(res[0][3])
