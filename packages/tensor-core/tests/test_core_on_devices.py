"""Core ops on every available device (the ``tg_device`` fixture of tensorgraft's pytest plugin).

Each test computes on ``tg_device`` and compares with the same computation on CPU, at float32
tolerances. On the ``cpu`` parametrization that comparison would be trivial, so every test also
checks the CPU result against an expectation computed independently with NumPy. Devices that are
not available (``cuda`` without a GPU) are skipped with the backend's reason, never passed.
"""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
from tensorgraft.testing import assert_close


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def both(arr, dev):
    """The same data as a CPU tensor and as a tensor on ``dev``."""
    return tg.tensor(arr), tg.tensor(arr, device=dev)


def check(dev_result, cpu_result, expected=None, dev=None):
    """The device result lives on ``dev`` and agrees with CPU; CPU agrees with NumPy's ``expected``."""
    if dev is not None:
        assert_on_device(dev_result, dev)
    assert_close(dev_result.cpu(), cpu_result)
    if expected is not None:
        assert_close(cpu_result, tg.tensor(np.asarray(expected, dtype=cpu_result.dtype.np)), rtol=1e-5, atol=1e-5)


def test_elementwise_broadcasting_and_scalars(tg_device):
    a, b = rand(3, 1, 4), rand(5, 1, seed=1)
    (ca, da), (cb, db) = both(a, tg_device), both(b, tg_device)

    def f(x, y):  # binary ops broadcasting (3,1,4) with (5,1), Python scalars on both sides
        return ((x + y) * 2.0 - 1 / (y.abs() + 1)) ** 2 + (3 - x).exp().sqrt().log() + x.clamp(-0.5, 0.5)

    check(f(da, db), f(ca, cb), ((a + b) * 2 - 1 / (np.abs(b) + 1)) ** 2 + (3 - a) / 2 + np.clip(a, -0.5, 0.5),
          tg_device)
    check(da.sigmoid().tanh(), ca.sigmoid().tanh(), np.tanh(1 / (1 + np.exp(-a))), tg_device)
    # comparisons and where keep the device and give bool / float results
    check(tg.where(da > 0, da, db.sum()), tg.where(ca > 0, ca, cb.sum()), np.where(a > 0, a, b.sum()), tg_device)
    check((da > 0), (ca > 0), a > 0, tg_device)
    # an int tensor with a float scalar promotes to the default float dtype, as on CPU
    i = np.arange(6, dtype=np.int64).reshape(2, 3)
    ci, di = both(i, tg_device)
    assert (di * 1.5).dtype is tg.float32
    check(di * 1.5, ci * 1.5, i * 1.5, tg_device)
    check(di // 2 + di % 4, ci // 2 + ci % 4, i // 2 + i % 4, tg_device)


def test_reductions_with_dims_and_keepdim(tg_device):
    a = rand(2, 3, 4)
    ca, da = both(a, tg_device)
    check(da.sum(), ca.sum(), a.sum(), tg_device)
    check(da.sum(dim=(0, 2), keepdim=True), ca.sum(dim=(0, 2), keepdim=True), a.sum((0, 2), keepdims=True), tg_device)
    check(da.mean(1), ca.mean(1), a.mean(1), tg_device)
    check(da.var(-1, keepdim=True), ca.var(-1, keepdim=True), a.var(-1, ddof=1, keepdims=True), tg_device)
    check(da.std(0), ca.std(0), a.std(0, ddof=1), tg_device)
    check(da.prod(2), ca.prod(2), a.prod(2), tg_device)
    check(da.logsumexp(1), ca.logsumexp(1), np.log(np.exp(a).sum(1)), tg_device)
    check(da.norm(), ca.norm(), np.sqrt((a ** 2).sum()), tg_device)
    # max/min with a dim return (values, indices); indices are int64 on the device
    vals, idx = da.max(1, keepdim=True)
    cvals, cidx = ca.max(1, keepdim=True)
    check(vals, cvals, a.max(1, keepdims=True), tg_device)
    assert idx.dtype is tg.int64
    check(idx, cidx, a.argmax(1)[:, None, :], tg_device)
    check(da.argmin(), ca.argmin(), a.argmin(), tg_device)
    check(da.amax((0, 1)), ca.amax((0, 1)), a.max((0, 1)), tg_device)
    check((da > 0).any(1), (ca > 0).any(1), (a > 0).any(1), tg_device)
    check(da.cumsum(2), ca.cumsum(2), a.cumsum(2), tg_device)
    check(da.softmax(-1), ca.softmax(-1), np.exp(a) / np.exp(a).sum(-1, keepdims=True), tg_device)
    check(da.log_softmax(1), ca.log_softmax(1), a - np.log(np.exp(a).sum(1, keepdims=True)), tg_device)


def test_matmul_bmm_einsum(tg_device):
    a, b, v = rand(4, 3), rand(3, 5, seed=1), rand(3, seed=2)
    p, q = rand(2, 4, 3, seed=3), rand(2, 3, 5, seed=4)
    (ca, da), (cb, db), (cv, dv) = both(a, tg_device), both(b, tg_device), both(v, tg_device)
    (cp_, dp), (cq, dq) = both(p, tg_device), both(q, tg_device)
    check(da @ db, ca @ cb, a @ b, tg_device)
    check(da.matmul(dv), ca.matmul(cv), a @ v, tg_device)        # matrix @ vector
    check(dp @ db, cp_ @ cb, p @ b, tg_device)                    # batched @ broadcast matrix
    check(tg.bmm(dp, dq), tg.bmm(cp_, cq), p @ q, tg_device)
    check(tg.einsum("bij,bjk->bik", dp, dq), tg.einsum("bij,bjk->bik", cp_, cq), p @ q, tg_device)
    check(tg.einsum("ij->j", da), tg.einsum("ij->j", ca), a.sum(0), tg_device)
    check(tg.einsum("i,i->", dv, dv), tg.einsum("i,i->", cv, cv), v @ v, tg_device)
    check(da.t() @ da, ca.t() @ ca, a.T @ a, tg_device)


def test_shape_ops(tg_device):
    a = rand(2, 3, 4)
    ca, da = both(a, tg_device)
    check(da.reshape(6, 4), ca.reshape(6, 4), a.reshape(6, 4), tg_device)
    check(da.permute(2, 0, 1), ca.permute(2, 0, 1), a.transpose(2, 0, 1), tg_device)
    check(da.transpose(0, 2).contiguous().view(-1), ca.transpose(0, 2).contiguous().view(-1),
          a.transpose(2, 1, 0).reshape(-1), tg_device)
    check(da.unsqueeze(1).expand(2, 5, 3, 4), ca.unsqueeze(1).expand(2, 5, 3, 4),
          np.broadcast_to(a[:, None], (2, 5, 3, 4)), tg_device)
    check(tg.cat([da, da * 2], 1), tg.cat([ca, ca * 2], 1), np.concatenate([a, a * 2], 1), tg_device)
    check(tg.stack([da, da], 0), tg.stack([ca, ca], 0), np.stack([a, a]), tg_device)
    check(da.flatten(1), ca.flatten(1), a.reshape(2, 12), tg_device)
    for d_part, c_part, n_part in zip(da.split(2, dim=2), ca.split(2, dim=2), np.split(a, 2, axis=2)):
        check(d_part, c_part, n_part, tg_device)
    check(da.flip(0), ca.flip(0), a[::-1], tg_device)
    check(da.squeeze(), ca.squeeze(), a, tg_device)


def test_indexing_and_setitem(tg_device):
    a = rand(4, 5)
    ca, da = both(a, tg_device)
    check(da[1], ca[1], a[1], tg_device)
    check(da[:, 1:4:2], ca[:, 1:4:2], a[:, 1:4:2], tg_device)
    check(da[..., None, -1], ca[..., None, -1], a[..., None, -1], tg_device)
    # advanced indexing with an index tensor that lives on the same device, and with a Python list
    idx = np.array([3, 0, 3])
    check(da[tg.tensor(idx, device=tg_device)], ca[tg.tensor(idx)], a[idx], tg_device)
    check(da[[0, 2], [1, 4]], ca[[0, 2], [1, 4]], a[[0, 2], [1, 4]], tg_device)
    check(da[da > 0], ca[ca > 0], a[a > 0], tg_device)                  # boolean mask
    check(da.gather(1, tg.tensor([[0], [2], [4], [1]], device=tg_device)),
          ca.gather(1, tg.tensor([[0], [2], [4], [1]])), a[np.arange(4), [0, 2, 4, 1]][:, None], tg_device)
    check(da.index_select(0, tg.tensor([2, 1], device=tg_device)), ca.index_select(0, tg.tensor([2, 1])), a[[2, 1]],
          tg_device)

    def mutate(t, dev):  # setitem with scalars, tensors on the same device, masks and index tensors
        t = t.clone()
        t[0] = 1.0
        t[1, 2:] = tg.tensor([7.0, 8.0, 9.0], device=dev)
        t[t < -1] = 0.0
        t[tg.tensor([2, 3], device=dev), tg.tensor([0, 0], device=dev)] = -5.0
        t.masked_fill_(t > 2, 2.5)
        return t

    expected = a.copy()
    expected[0] = 1.0
    expected[1, 2:] = [7, 8, 9]
    expected[expected < -1] = 0
    expected[[2, 3], [0, 0]] = -5
    expected[expected > 2] = 2.5
    check(mutate(da, tg_device), mutate(ca, "cpu"), expected, tg_device)


def test_creation_with_device(tg_device):
    dev = tg.device(tg_device)
    for t in (tg.zeros(2, 3, device=tg_device), tg.ones((2, 3), device=dev), tg.full((2, 3), 1.5, device=tg_device),
              tg.empty(2, 3, device=tg_device), tg.eye(2, 3, device=tg_device), tg.arange(6, device=tg_device),
              tg.linspace(0, 1, 5, device=tg_device), tg.tensor([[1, 2]], device=tg_device)):
        assert t.device.type == dev.type
    check(tg.full((2, 3), 1.5, device=tg_device), tg.full((2, 3), 1.5), np.full((2, 3), 1.5))
    check(tg.arange(1, 7, 2, device=tg_device), tg.arange(1, 7, 2), np.arange(1, 7, 2))
    check(tg.linspace(0, 1, 5, device=tg_device), tg.linspace(0, 1, 5), np.linspace(0, 1, 5))
    check(tg.eye(3, device=tg_device), tg.eye(3), np.eye(3))
    d = tg.tensor([[1.0, 2.0]], device=tg_device)
    check(tg.zeros_like(d), tg.zeros(1, 2), np.zeros((1, 2)), tg_device)
    check(tg.ones_like(d), tg.ones(1, 2), np.ones((1, 2)), tg_device)
    check(d.new_zeros(3), tg.zeros(3), np.zeros(3), tg_device)
    check(tg.full_like(d, 4.0), tg.full((1, 2), 4.0), np.full((1, 2), 4.0), tg_device)
    assert tg.tensor([1, 2], device=tg_device).dtype is tg.int64


def test_random_ops_shapes_and_dtypes(tg_device):
    # values differ between generators (CPU NumPy vs cuRAND), so only shapes, dtypes, device and ranges
    tg.manual_seed(0)
    cases = [(tg.randn(3, 4, device=tg_device), (3, 4), tg.float32),
             (tg.rand(2, 5, device=tg_device, dtype=tg.float64), (2, 5), tg.float64),
             (tg.randint(0, 10, (7,), device=tg_device), (7,), tg.int64),
             (tg.randperm(6, device=tg_device), (6,), tg.int64),
             (tg.randn_like(tg.zeros(2, 2, device=tg_device)), (2, 2), tg.float32),
             (tg.rand_like(tg.zeros(3, device=tg_device)), (3,), tg.float32)]
    for t, shape, dtype in cases:
        assert t.device.type == tg.device(tg_device).type
        assert tuple(t.shape) == shape and t.dtype is dtype
    u = cases[1][0].cpu().numpy()
    assert ((u >= 0) & (u < 1)).all()
    r = cases[2][0].cpu().numpy()
    assert ((r >= 0) & (r < 10)).all()
    assert sorted(cases[3][0].tolist()) == list(range(6))
    d = tg.zeros(1000, device=tg_device)
    assert d.normal_(0.0, 1.0).device.type == d.device.type and abs(float(d.mean())) < 0.2
    assert 0.0 <= float(tg.zeros(50, device=tg_device).uniform_(0, 1).min())
    b = tg.bernoulli(tg.full((100,), 0.5, device=tg_device))
    assert b.device.type == d.device.type and set(b.cpu().tolist()) <= {0.0, 1.0}


def test_mixed_device_error_names_both_devices(tg_device):
    a = tg.ones(2, device=tg_device)
    if tg.device(tg_device).type == "cpu":
        # only one device: CPU + CPU is simply fine
        check(a + tg.ones(2), tg.full((2,), 2.0), [2.0, 2.0])
        return
    with pytest.raises(RuntimeError) as err:
        a + tg.ones(2)
    msg = str(err.value)
    assert "Expected all tensors to be on the same device" in msg and f"{tg_device}:0" in msg and "cpu" in msg
    with pytest.raises(RuntimeError, match="same device"):
        tg.matmul(tg.ones(2, 2), tg.ones(2, 2, device=tg_device))
    # Python scalars are not tensors and never cause a mismatch
    check(a * 3.0, tg.full((2,), 3.0), [3.0, 3.0], tg_device)


def test_to_and_cpu_round_trips(tg_device):
    a = rand(3, 2)
    c = tg.tensor(a)
    d = c.to(tg_device)
    assert d.device.type == tg.device(tg_device).type
    assert d.device.index == (None if tg_device == "cpu" else 0)
    back = d.cpu()
    assert back.device == tg.device("cpu")
    np.testing.assert_array_equal(back.numpy(), a)                      # a move is exact
    assert d.to(tg_device) is d and c.cpu() is c                         # no-op moves return self
    # dtype and device together; .tolist()/.item() read back through the host
    e = c.to(tg_device, tg.float64)
    assert e.dtype is tg.float64 and e.device == d.device
    assert e.tolist() == a.astype(np.float64).tolist()
    assert d[0, 0].item() == float(a[0, 0])
    check(d.to(dtype=tg.int32), c.to(dtype=tg.int32), a.astype(np.int32), tg_device)
    # the moved copy is independent of the source
    d2 = c.to(tg_device, copy=True)
    d2.add_(1)
    np.testing.assert_array_equal(c.numpy(), a)


def test_repr_device_suffix(tg_device):
    t = tg.tensor([1.0, 2.0], device=tg_device)
    if tg_device == "cpu":
        assert repr(t) == "tensor([1., 2.])"
    else:
        assert repr(t) == f"tensor([1., 2.], device='{tg_device}:0')"
        assert repr(tg.tensor([1, 2], device=tg_device)) == f"tensor([1, 2], device='{tg_device}:0')"


def test_zero_dim_cpu_tensor_joins_multi_tensor_ops(tg_device):
    # a 0-d CPU tensor acts as a scalar on any device (PyTorch); on "cpu" this is the plain case
    a, b = rand(2, 3), np.abs(rand(2, 3, seed=1)) + 0.5
    (ca, da), (cb, db) = both(a, tg_device), both(b, tg_device)
    lo, hi, w = tg.tensor(-0.25), tg.tensor(0.5), tg.tensor(0.25)
    check(tg.where(da > 0, da, lo), tg.where(ca > 0, ca, lo), np.where(a > 0, a, -0.25), tg_device)
    check(da.clamp(min=lo, max=hi), ca.clamp(min=lo, max=hi), np.clip(a, -0.25, 0.5), tg_device)
    check(tg.clamp_min(da, lo), tg.clamp_min(ca, lo), np.maximum(a, -0.25), tg_device)
    check(tg.lerp(da, db, w), tg.lerp(ca, cb, w), a + 0.25 * (b - a), tg_device)
    check(tg.addcmul(da, db, hi, value=2), tg.addcmul(ca, cb, hi, value=2), a + 2 * b * 0.5, tg_device)
    check(tg.addcdiv(da, hi, db), tg.addcdiv(ca, hi, cb), a + 0.5 / b, tg_device)
    check(da.masked_fill(da > 0, hi), ca.masked_fill(ca > 0, hi), np.where(a > 0, 0.5, a), tg_device)
    d2 = db.clone()
    d2.clamp_(max=hi)
    check(d2, cb.clamp(max=hi), np.minimum(b, 0.5), tg_device)
    if tg.Tensor._autograd is None:
        return
    s = tg.tensor(0.5, requires_grad=True)
    x = tg.tensor(a, device=tg_device, requires_grad=True)
    (tg.lerp(x, tg.where(x > 0, x, s), s) * s).sum().backward()
    assert s.grad.device == tg.device("cpu") and x.grad.device.type == tg.device(tg_device).type
    # d/ds of sum(lerp(x, where(x > 0, x, s), s) * s), by hand: with x <= 0 the term is (x + s (s - x)) s
    neg = a <= 0
    expected = (a[~neg]).sum() + (a[neg] + 3 * 0.25 - 2 * 0.5 * a[neg]).sum()
    assert abs(s.grad.item() - expected) < 1e-4


def test_memory_overlap_is_refused_on_every_device(tg_device):
    """PyTorch's overlap rules read memory addresses: a device array's too (CuPy's data pointer)."""
    partial = "some elements of the input tensor and the written-to tensor refer to a single memory location"
    x = tg.arange(6.0, device=tg_device)
    with pytest.raises(RuntimeError, match=partial):
        x[1:].add_(x[:-1])
    with pytest.raises(RuntimeError, match=partial):
        tg.add(x[1:], 1, out=x[:-1])
    with pytest.raises(RuntimeError, match=partial):
        tg.index_select(x[:3], 0, tg.tensor([2, 1, 0], device=tg_device), out=x[:3])
    assert tg.add(x, 1, out=x) is x
    assert x.cpu().tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
