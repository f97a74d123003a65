"""Tests that need a real CUDA device and CuPy. On machines without them the whole module is
skipped with the reason ("no CUDA device was found: ..."), visibly — never silently passed."""
import math

import numpy as np
import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")

import tensorgraft as tg  # noqa: E402
from tensorgraft.cuda._backend import BACKEND  # noqa: E402

if not BACKEND.is_available():
    pytest.skip(BACKEND.unavailable_reason(), allow_module_level=True)

import cupy  # noqa: E402

from tensorgraft.registry import registry  # noqa: E402
from tensorgraft.testing import assert_close  # noqa: E402
from tensorgraft.testing import conformance as C  # noqa: E402


def test_roundtrip_and_ops():
    x = tg.arange(6.0).reshape(2, 3)
    y = x.to("cuda")
    assert y.device == tg.device("cuda", tg.cuda.current_device()) and y.is_cuda
    assert isinstance(y._data, cupy.ndarray) and y.dtype is tg.float32
    z = (y * 2 + 1).exp().log().sum(0)
    assert isinstance(z._data, cupy.ndarray)
    assert_close(z.cpu(), (x * 2 + 1).exp().log().sum(0))
    assert "device='cuda:" in repr(y)
    with pytest.raises(RuntimeError, match="same device"):
        y + x


def test_every_core_op_agrees_with_cpu():
    names = [n for n in C.core_sample_names() if n in registry.ops]
    assert C.run_conformance(names=names, checks=("devices",), devices=["cuda"]) == len(names)


def test_backward_on_cuda():
    w = tg.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.is_cuda and w.grad.cpu().tolist() == [2.0, 4.0, 6.0]


def test_device_api():
    n = tg.cuda.device_count()
    assert n >= 1
    assert isinstance(tg.cuda.get_device_name(0), str) and tg.cuda.get_device_name(0)
    assert len(tg.cuda.get_device_capability(0)) == 2
    with tg.cuda.device(n - 1):
        assert tg.cuda.current_device() == n - 1
        assert tg.ones(1, device="cuda").device.index == n - 1
    tg.cuda.synchronize()


def test_memory_stats():
    tg.cuda.synchronize()
    before = tg.cuda.memory_allocated()
    x = tg.zeros(1 << 20, dtype=tg.float32, device="cuda")
    assert tg.cuda.memory_allocated() - before >= 4 << 20
    assert tg.cuda.max_memory_allocated() >= tg.cuda.memory_allocated()
    assert tg.cuda.memory_reserved() >= tg.cuda.memory_allocated()
    del x
    tg.cuda.empty_cache()
    assert tg.cuda.memory_allocated() <= before + 512


def test_streams_and_events():
    s = tg.cuda.Stream()
    start, end = tg.cuda.Event(enable_timing=True), tg.cuda.Event(enable_timing=True)
    with tg.cuda.stream(s):
        start.record(s)
        y = tg.ones(256, 256, device="cuda") @ tg.ones(256, 256, device="cuda")
        end.record(s)
    end.synchronize()
    assert end.query() and s.query()
    assert start.elapsed_time(end) >= 0.0
    assert y[0, 0].item() == 256.0


def test_manual_seed():
    tg.cuda.manual_seed(123)
    a = tg.rand(4, device="cuda")
    tg.cuda.manual_seed(123)
    b = tg.rand(4, device="cuda")
    assert isinstance(a._data, cupy.ndarray) and a.tolist() == b.tolist()
    tg.cuda.manual_seed(124)
    assert tg.rand(4, device="cuda").tolist() != a.tolist()
    assert tg.cuda.initial_seed() == 124
    # tensorgraft.manual_seed seeds CUDA too; CUDA draws leave the CPU stream where it was
    tg.manual_seed(7)
    c, cpu = tg.randn(5, device="cuda"), tg.randn(5)
    tg.manual_seed(7)
    assert tg.randn(5).tolist() == cpu.tolist()
    assert tg.randn(5, device="cuda").tolist() == c.tolist()
    state = tg.cuda.get_rng_state()
    d = tg.randint(0, 1000, (8,), device="cuda")
    tg.cuda.set_rng_state(state)
    assert tg.randint(0, 1000, (8,), device="cuda").tolist() == d.tolist()
    g = tg.Generator(device="cuda").manual_seed(3)
    e = tg.rand(3, device="cuda", generator=g)
    g.manual_seed(3)
    assert tg.rand(3, device="cuda", generator=g).tolist() == e.tolist()
    assert len(tg.cuda.default_generators) == tg.cuda.device_count()


def test_random_samplers_on_cuda():
    tg.manual_seed(0)
    r = tg.rand(100_000, device="cuda")
    assert isinstance(r._data, cupy.ndarray) and r.dtype is tg.float32
    assert 0.0 <= float(r.min()) and float(r.max()) < 1.0 and abs(float(r.mean()) - 0.5) < 0.01
    n = tg.randn(100_001, dtype=tg.float64, device="cuda")  # odd sizes too (cuRAND's normals come in pairs)
    assert n.dtype is tg.float64 and abs(float(n.mean())) < 0.02 and abs(float(n.std()) - 1) < 0.02
    c = tg.randn(10_000, dtype=tg.complex64, device="cuda")
    assert c.dtype is tg.complex64 and abs(float((c.abs() ** 2).mean()) - 1) < 0.05
    h = tg.rand(1000, dtype=tg.float16, device="cuda")
    assert h.dtype is tg.float16 and float(h.max()) <= 1.0
    i = tg.randint(-3, 4, (10_000,), device="cuda")
    assert i.dtype is tg.int64 and sorted(set(i.tolist())) == list(range(-3, 4))
    big = tg.randint(-(2 ** 62), 2 ** 62, (1000,), device="cuda")
    assert float(big.abs().max()) > 2.0 ** 58
    assert sorted(tg.randperm(1000, device="cuda").tolist()) == list(range(1000))
    assert tg.rand(0, device="cuda").shape == (0,) and tg.randperm(0, device="cuda").shape == (0,)
    m = tg.normal(tg.full((10_000,), 5.0, device="cuda"), 0.1)
    assert abs(float(m.mean()) - 5.0) < 0.01
    b = tg.bernoulli(tg.full((10_000,), 0.3, device="cuda"))
    assert set(b.tolist()) == {0.0, 1.0} and abs(float(b.mean()) - 0.3) < 0.03
    w = tg.tensor([[0.0, 1.0, 0.0, 3.0], [2.0, 0.0, 2.0, 0.0]], device="cuda")
    s = tg.multinomial(w, 4000, True)
    assert s.shape == (2, 4000) and set(s[0].tolist()) == {1, 3} and set(s[1].tolist()) == {0, 2}
    assert abs(float((s[0] == 3).float().mean()) - 0.75) < 0.05
    assert sorted(tg.multinomial(w[0], 2).tolist()) == [1, 3]
    x = tg.empty(50_000, device="cuda")
    assert abs(float(x.uniform_(-2, 2).mean())) < 0.05 and float(x.min()) >= -2
    assert abs(float(x.normal_(1.0, 0.5).mean()) - 1.0) < 0.02
    assert abs(float(x.exponential_(2.0).mean()) - 0.5) < 0.02
    assert float(x.log_normal_(0.0, 0.25).min()) > 0
    assert float(x.geometric_(0.5).min()) >= 1 and abs(float(x.mean()) - 2.0) < 0.05
    assert set(x.random_(0, 3).tolist()) == {0.0, 1.0, 2.0}
    assert set(x.bernoulli_(0.5).tolist()) == {0.0, 1.0}
    assert bool(x.cauchy_().isfinite().all())


def test_dropout_mask_is_drawn_on_cuda():
    F = pytest.importorskip("tensorgraft.nn.functional", reason="tensorgraft-nn is not installed")
    tg.manual_seed(0)
    ref = tg.rand(3).tolist()
    tg.manual_seed(0)
    x = tg.ones(10_000, device="cuda")
    y = F.dropout(x, 0.25)
    assert isinstance(y._data, cupy.ndarray) and set(y.tolist()) == {0.0, float(np.float32(1.0 / 0.75))}
    assert abs(float((y == 0).float().mean()) - 0.25) < 0.03
    assert tg.rand(3).tolist() == ref  # the mask did not come from the CPU's stream


def _adam_ref(p, g, m, v, lr, b1, b2, eps, wd, step, decoupled):
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    denom = np.sqrt(v) / math.sqrt(1 - b2 ** step) + eps
    return p - lr / (1 - b1 ** step) * m / denom, m, v


def _bucket(params, grads, state, consts, fresh=None):
    from types import SimpleNamespace
    return SimpleNamespace(params=params, grads=grads, state=state, consts=consts, fresh=fresh, dtype=params.dtype)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_fused_adam_bucket(name):
    fn = registry.extensions["fused_optimizer_step"][(name, "cuda")]
    rng = np.random.default_rng(0)
    p, g, m = (rng.standard_normal(100).astype(np.float32) for _ in range(3))
    v = np.abs(rng.standard_normal(100)).astype(np.float32)
    dp, dg, dm, dv = (cupy.asarray(a) for a in (p, g, m, v))
    lr, b1, b2, eps, wd, step = 1e-2, 0.9, 0.999, 1e-8, 0.1, 3
    group = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd, "amsgrad": False, "maximize": False,
             "decoupled_weight_decay": name == "AdamW"}
    consts = {"step_size": lr / (1 - b1 ** step), "bc2_sqrt": (1 - b2 ** step) ** 0.5}
    assert fn(None, group, _bucket(dp, dg, {"exp_avg": dm, "exp_avg_sq": dv}, consts)) is True
    rp, rm, rv = _adam_ref(p, g, m, v, lr, b1, b2, eps, wd, step, name == "AdamW")
    np.testing.assert_allclose(dp.get(), rp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dm.get(), rm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dv.get(), rv, rtol=1e-5, atol=1e-6)


def test_fused_sgd_bucket():
    fn = registry.extensions["fused_optimizer_step"][("SGD", "cuda")]
    p = np.array([1.0, -2.0, 3.0], np.float32)
    g = np.array([0.5, 0.5, -1.0], np.float32)
    buf = np.array([0.1, 0.2, 0.3], np.float32)
    dp, dg, db = cupy.asarray(p), cupy.asarray(g), cupy.asarray(buf)
    group = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True, "maximize": False}
    assert fn(None, group, _bucket(dp, dg, {"momentum_buffer": db}, {}, fresh=[False])) is True
    gg = g + 0.01 * p
    nb = 0.9 * buf + gg
    np.testing.assert_allclose(db.get(), nb, rtol=1e-6)
    np.testing.assert_allclose(dp.get(), p - 0.1 * (gg + 0.9 * nb), rtol=1e-6)
    dp2 = cupy.asarray(p)
    plain = dict(group, momentum=0.0, weight_decay=0.0, nesterov=False)
    assert fn(None, plain, _bucket(dp2, cupy.asarray(g), {}, {})) is True
    np.testing.assert_allclose(dp2.get(), p - 0.1 * g, rtol=1e-6)


@pytest.mark.parametrize("name,kw", [("Adam", {"lr": 1e-2, "weight_decay": 0.1}), ("AdamW", {"lr": 1e-2}),
                                     ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True})])
def test_optimizers_on_cuda_match_cpu(name, kw):
    optim = pytest.importorskip("tensorgraft.optim", reason="tensorgraft-optim is not installed")
    cls = getattr(optim, name)
    w0 = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    results = []
    for dev in ("cpu", "cuda"):
        w = tg.tensor(w0, device=dev, requires_grad=True)
        opt = cls([w], **kw)
        for _ in range(3):
            opt.zero_grad()
            ((w * w).sum() + w.sum()).backward()
            opt.step()
        results.append(w.detach().cpu())
    assert_close(results[1], results[0], rtol=1e-5, atol=1e-6)


def test_nn_kernels():
    k = registry.extensions["cuda_kernels"]
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5))
    da = cupy.asarray(a)
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(k["softmax"](da, 1).get(), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(k["log_softmax"](da, 1).get(), np.log(e / e.sum(1, keepdims=True)), rtol=1e-12)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(k["gelu"](da).get(), 0.5 * a * (1 + erf(a / math.sqrt(2))), rtol=1e-12)
    t = 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
    np.testing.assert_allclose(k["gelu"](da, "tanh").get(), t, rtol=1e-12)
    w, b = rng.standard_normal(5), rng.standard_normal(5)
    out, mean, rstd = k["layer_norm"](da, 1, cupy.asarray(w), cupy.asarray(b), 1e-5)
    ref = (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 1e-5) * w + b
    np.testing.assert_allclose(out.get(), ref, rtol=1e-10)
    assert mean.shape == (3, 1) and rstd.shape == (3, 1)


def test_fused_op_kernels_match_cpu():
    x = tg.tensor(np.random.default_rng(3).standard_normal((3, 5)))
    xc = x.cuda()
    assert_close(tg.softmax(xc, 1).cpu(), tg.softmax(x, 1))
    assert_close(tg.log_softmax(xc, 0).cpu(), tg.log_softmax(x, 0))
    inf = tg.tensor([[float("-inf")] * 3, [0.0, 1.0, 2.0]])
    assert_close(tg.softmax(inf.cuda(), 1).cpu(), tg.softmax(inf, 1), equal_nan=True)
    try:
        import tensorgraft.nn.functional as F
    except ImportError:
        return
    assert_close(F.gelu(xc).cpu(), F.gelu(x))
    assert_close(F.gelu(xc, approximate="tanh").cpu(), F.gelu(x, approximate="tanh"))
    w, b = tg.ones(5, dtype=x.dtype) * 2, tg.zeros(5, dtype=x.dtype) + 0.5  # (the affine parameters take the input's dtype)
    assert_close(F.layer_norm(xc, (5,), w.cuda(), b.cuda()).cpu(), F.layer_norm(x, (5,), w, b))


# --------------------------------------------------------------------------- the rest of torch.cuda's API
def test_memory_stats_and_out_of_memory_on_a_real_pool():
    tg.cuda.empty_cache()
    tg.cuda.reset_peak_memory_stats()
    tg.cuda.reset_accumulated_memory_stats()
    x = tg.zeros(1 << 20, device="cuda")                      # 4 MiB
    s = tg.cuda.memory_stats()
    assert s["allocated_bytes.all.current"] == tg.cuda.memory_allocated() >= 4 << 20
    assert s["allocated_bytes.all.allocated"] >= 4 << 20 and s["num_ooms"] == 0
    assert s["reserved_bytes.all.peak"] >= s["reserved_bytes.all.current"] >= s["allocated_bytes.all.current"]
    del x
    assert tg.cuda.memory_stats()["allocated_bytes.all.freed"] >= 4 << 20
    free, total = tg.cuda.mem_get_info()
    fraction = (tg.cuda.memory_allocated() + (64 << 20)) / total
    tg.cuda.set_per_process_memory_fraction(fraction)
    try:
        assert tg.cuda.get_per_process_memory_fraction() == fraction
        with pytest.raises(tg.OutOfMemoryError, match=r"^CUDA out of memory. Tried to allocate 256.00 MiB. GPU 0 has "
                                                      r"a total capacity of .* allowed; Of the allocated memory"):
            tg.zeros(64 << 20, device="cuda")
        with pytest.raises(tg.cuda.OutOfMemoryError):
            tg.ones(64 << 20).to("cuda")
        assert tg.cuda.memory_stats()["num_ooms"] == 2
    finally:
        tg.cuda.set_per_process_memory_fraction(1.0)
    assert "Allocated memory" in tg.cuda.memory_summary()


def test_caching_allocator_streams_and_capabilities_on_a_real_gpu():
    before = tg.cuda.memory_allocated()
    ptr = tg.cuda.caching_allocator_alloc(1 << 20, stream=tg.cuda.Stream())
    assert isinstance(ptr, int) and tg.cuda.memory_allocated() >= before + (1 << 20)
    tg.cuda.caching_allocator_delete(ptr)
    assert tg.cuda.memory_allocated() == before
    s = tg.cuda.Stream()
    with tg.cuda.stream(s):
        y = tg.ones(8, device="cuda") * 2
    s.synchronize()
    assert y.sum().item() == 16.0
    e = tg.cuda.ExternalStream(s.cuda_stream)
    with tg.cuda.StreamContext(e):
        assert tg.cuda.current_stream().cuda_stream == s.cuda_stream
    major = tg.cuda.get_device_capability()[0]
    assert tg.cuda.is_tf32_supported() == (major >= 8) and tg.cuda.is_bf16_supported() is False
    assert all(a.startswith("sm_") for a in tg.cuda.get_arch_list()) and tg.cuda.get_arch_list()
    assert isinstance(tg.cuda.current_blas_handle(), int) and tg.cuda.current_blas_handle() != 0
    tg.cuda.init()
    tg.cuda.ipc_collect()
    assert isinstance(tg.cuda.FloatTensor([1, 2]), tg.cuda.FloatTensor)
    with tg.cuda.nvtx.range("test {}", 1):
        assert tg.cuda.nvtx.range_push("inner") == 1
        assert tg.cuda.nvtx.range_pop() == 1
    tg.cuda.set_sync_debug_mode("error")
    try:
        with pytest.raises(RuntimeError, match="called a synchronizing CUDA operation"):
            y.sum().item()
    finally:
        tg.cuda.set_sync_debug_mode(0)
