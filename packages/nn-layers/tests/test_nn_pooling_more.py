"""LPPool, MaxUnpool and FractionalMaxPool (functions and modules) without PyTorch: values against
NumPy references written here from the definitions (ATen's loops for the fractional pool), gradients
by finite differences in float64, errors, and the random samples drawn on the input's device."""
import math

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing import assert_on_device
from tensorgraft.testing.oracle import seeded_normal


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ------------------------------------------------------------------ NumPy references
def ref_intervals(u, n, o, k, dtype):
    """ATen's generate_intervals, one scalar at a time in ``dtype``."""
    seq = [0] * o
    if o > 1:
        one = np.dtype(dtype).type
        alpha = one(n - k) / one(o - 1)
        for i in range(o - 1):
            seq[i] = int((one(i) + one(u)) * alpha) - int(one(u) * alpha)
    if o > 0:
        seq[o - 1] = n - k
    return seq


def ref_fractional(x, k, out, samples):
    """ATen's loops: per plane, per output window, the scan ``val > max or isnan(val)``."""
    r = len(k)
    batched = x.ndim == r + 2
    xb = x if batched else x[None]
    N, C = xb.shape[:2]
    sp = xb.shape[2:]
    res = np.empty((N, C) + tuple(out), x.dtype)
    idx = np.empty((N, C) + tuple(out), np.int64)
    for n in range(N):
        for c in range(C):
            s = samples[n, c]
            us = (s[1], s[0]) if r == 2 else tuple(s)  # the 2-D pool reads (w, h)
            starts = [ref_intervals(us[j], sp[j], out[j], k[j], x.dtype) for j in range(r)]
            plane = xb[n, c].ravel()
            for o in np.ndindex(*out):
                best, best_i = -np.inf, None
                for off in np.ndindex(*k):
                    pos = [starts[j][o[j]] + off[j] for j in range(r)]
                    flat = int(np.ravel_multi_index(pos, sp))
                    best_i = flat if best_i is None else best_i
                    v = plane[flat]
                    if v > best or np.isnan(v):
                        best, best_i = v, flat
                res[(n, c) + o], idx[(n, c) + o] = best, best_i
    return (res, idx) if batched else (res[0], idx[0])


def ref_lp(x, p, k, s, ceil_mode):
    """sum over each window of x**p, to the power 1/p (the windows of an average pool without
    padding; ceil_mode's last partial window averages what it covers, then PyTorch multiplies by the
    full kernel size)."""
    r = len(k)
    sp = x.shape[-r:]
    outs = []
    for n, kk, ss in zip(sp, k, s):
        o = (-(-(n - kk) // ss) if ceil_mode else (n - kk) // ss) + 1
        if ceil_mode and (o - 1) * ss >= n:
            o -= 1
        outs.append(o)
    res = np.empty(x.shape[:-r] + tuple(outs))
    for o in np.ndindex(*outs):
        sl = tuple(slice(o[j] * s[j], min(o[j] * s[j] + k[j], sp[j])) for j in range(r))
        win = x[(Ellipsis,) + sl] ** p
        cnt = math.prod(b.stop - b.start for b in sl)
        tot = win.reshape(win.shape[:-r] + (-1,)).sum(-1) / cnt * math.prod(k)
        res[(Ellipsis,) + o] = np.sign(tot) * np.abs(tot) ** (1.0 / p)
    return res


def ref_unpool(x, idx, out_sp):
    r = len(out_sp)
    lead = x.shape[:-r]
    res = np.zeros(lead + tuple(out_sp), x.dtype)
    flat_out = res.reshape(lead + (-1,))
    for pos in np.ndindex(*x.shape):
        flat_out[pos[:-r] + (idx[pos],)] = x[pos]
    return res


# ------------------------------------------------------------------ fractional max pool
FRACTIONAL = [((2, 3, 7, 9), 2, (3, 4)), ((3, 8, 8), (2, 3), (5, 4)), ((1, 2, 10, 7), 3, (8, 5)),
              ((2, 2, 5, 6), 2, (1, 1)), ((2, 3, 6, 7, 8), (2, 3, 2), (3, 4, 5)), ((2, 5, 6, 5), 2, (3, 4, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k, out", FRACTIONAL)
def test_fractional_matches_aten_loops(shape, k, out, dtype):
    r = len(out)
    x = seeded_normal(*shape).astype(dtype)
    C = shape[-r - 1]
    N = shape[0] if len(shape) == r + 2 else 1
    samples = np.random.default_rng(1).random((N, C, r)).astype(dtype)
    fn = F.fractional_max_pool2d if r == 2 else F.fractional_max_pool3d
    y, i = fn(tg.tensor(x), k, output_size=out, return_indices=True, _random_samples=tg.tensor(samples))
    ry, ri = ref_fractional(x, (k,) * r if isinstance(k, int) else k, out, samples)
    np.testing.assert_array_equal(y.numpy(), ry)
    np.testing.assert_array_equal(i.numpy(), ri)
    assert i.dtype == tg.int64 and y.dtype == tg.tensor(x).dtype


def test_fractional_ties_nan_and_ratio():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = 3.0          # a tie: the first one wins
    x[0, 0, 3, 3], x[0, 0, 4, 4] = np.nan, np.nan  # NaNs: the last one wins
    s = np.array([[[0.3, 0.6]]])
    y, i = F.fractional_max_pool2d(tg.tensor(x), 2, output_size=(3, 3), return_indices=True,
                                   _random_samples=tg.tensor(s))
    ry, ri = ref_fractional(x, (2, 2), (3, 3), s)
    np.testing.assert_array_equal(i.numpy(), ri)
    np.testing.assert_array_equal(y.numpy(), ry)
    assert np.isnan(y.numpy()[0, 0, 2, 2]) and i.numpy()[0, 0, 2, 2] == 24
    # output_ratio: int(size * ratio) per dim
    assert F.fractional_max_pool2d(tg.randn(2, 3, 9, 11), 2, output_ratio=(0.5, 0.3)).shape == (2, 3, 4, 3)
    assert F.fractional_max_pool3d(tg.randn(3, 9, 11, 7), 2, output_ratio=0.5).shape == (3, 4, 5, 3)
    assert F.fractional_max_pool2d_with_indices(tg.randn(3, 6, 6), 2, output_size=3)[1].dtype == tg.int64


@pytest.mark.parametrize("rank", [2, 3])
def test_fractional_gradients(rank):
    shape = (2, 2, 6, 7) if rank == 2 else (2, 5, 6, 5)
    s = tg.tensor(np.random.default_rng(3).random((2, 2, rank)))
    fn = F.fractional_max_pool2d if rank == 2 else F.fractional_max_pool3d
    out = (4, 3) if rank == 2 else (3, 4, 3)

    def f(x):
        return fn(x, 2, output_size=out, _random_samples=s)
    x = t64(seeded_normal(*shape, seed=rank))
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
    y = f(x)
    assert type(y.grad_fn).__name__ == f"FractionalMaxPool{rank}DBackward0"


def test_fractional_random_samples_follow_the_generator():
    x = tg.randn(2, 3, 12, 12)
    tg.manual_seed(5)
    a = F.fractional_max_pool2d(x, 2, output_size=5, return_indices=True)[1]
    tg.manual_seed(5)
    expect = tg.rand(2, 3, 2)  # as PyTorch: seeded_normal(N, C, 2) in the input's dtype, on its device
    b = F.fractional_max_pool2d(x, 2, output_size=5, return_indices=True, _random_samples=expect)[1]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = F.fractional_max_pool2d(x, 2, output_size=5, return_indices=True)[1]
    assert not np.array_equal(a.numpy(), c.numpy())  # a fresh draw each call


def test_fractional_on_device(tg_device):
    x = seeded_normal(2, 3, 9, 8).astype(np.float32)
    s = np.random.default_rng(2).random((2, 3, 2)).astype(np.float32)
    xd = tg.tensor(x, device=tg_device, requires_grad=True)
    y, i = F.fractional_max_pool2d(xd, 3, output_size=(4, 5), return_indices=True,
                                   _random_samples=tg.tensor(s, device=tg_device))
    assert_on_device(y, tg_device)
    assert_on_device(i, tg_device)
    ry, ri = ref_fractional(x, (3, 3), (4, 5), s)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), ry)
    np.testing.assert_array_equal(i.detach().cpu().numpy(), ri)
    y.sum().backward()
    assert_on_device(xd.grad, tg_device)
    g = np.zeros(x.size)
    np.add.at(g, (ri + np.arange(6).reshape(2, 3, 1, 1) * 72).ravel(), 1.0)
    np.testing.assert_array_equal(xd.grad.detach().cpu().numpy(), g.reshape(x.shape))
    # drawn samples: on the device, by its generator
    y3 = F.fractional_max_pool3d(tg.tensor(seeded_normal(2, 6, 6, 6), device=tg_device), 2, output_ratio=0.5)
    assert_on_device(y3, tg_device)
    assert y3.shape == (2, 3, 3, 3)


def test_fractional_errors():
    x = tg.randn(2, 3, 7, 9)
    s = tg.rand(2, 3, 2)
    with pytest.raises(ValueError, match="requires specifying either an output_size or an output_ratio"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(RuntimeError, match=r"^fractional_max_pool2d\(\): pool height 2 too large relative to input "
                                           r"height 7$"):
        F.fractional_max_pool2d(x, 2, output_size=7)
    with pytest.raises(RuntimeError, match="pool width 3 too large relative to input width 9"):
        F.fractional_max_pool2d(x, (2, 3), output_size=(6, 8))
    F.fractional_max_pool2d(x, (2, 3), output_size=(6, 7), _random_samples=s)  # o + k - 1 == n is allowed in 2-D
    with pytest.raises(RuntimeError, match="pool height 2 too large relative to input height 7"):
        F.fractional_max_pool3d(tg.randn(2, 3, 6, 7, 8), 2, output_size=(4, 6, 5))  # 3-D: strictly smaller
    with pytest.raises(RuntimeError, match="Expect _random_samples.size\\(1\\) equals to input channel size."):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[:, :1])
    with pytest.raises(RuntimeError, match="Expect _random_samples to have 3 dimensions, got 2"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s[0])
    with pytest.raises(RuntimeError, match="same dtype as input"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=s.double())
    with pytest.raises(RuntimeError, match="Expected 3D or 4D tensor, but got: \\[7, 9\\]"):
        F.fractional_max_pool2d(x[0, 0], 2, output_size=3, _random_samples=s)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio may be specified"):
        nn.FractionalMaxPool2d(2, 3, 0.5)
    with pytest.raises(ValueError, match=r"output_ratio must be between 0 and 1 \(got 1.5\)"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="kernel_size must be greater than 0, but got 0"):
        nn.FractionalMaxPool3d(0, output_ratio=0.5)


def test_fractional_module_buffer_and_repr():
    s = tg.rand(1, 2, 2)
    m = nn.FractionalMaxPool2d(2, output_size=3, return_indices=True, _random_samples=s)
    assert repr(m) == "FractionalMaxPool2d()"
    assert list(m.state_dict()) == ["_random_samples"]
    assert list(nn.FractionalMaxPool2d(2, output_ratio=0.5).state_dict()) == []
    x = seeded_normal(1, 2, 7, 7).astype(np.float32)
    y, i = m(tg.tensor(x))
    ry, ri = ref_fractional(x, (2, 2), (3, 3), s.numpy())
    np.testing.assert_array_equal(y.numpy(), ry)
    np.testing.assert_array_equal(i.numpy(), ri)
    assert m.output_size == (3, 3) and m.output_ratio is None and m.kernel_size == (2, 2)
    assert nn.FractionalMaxPool3d(2, output_ratio=0.5).output_ratio == (0.5, 0.5, 0.5)


# ------------------------------------------------------------------ max unpool
def test_max_unpool_inverts_max_pool():
    x = seeded_normal(2, 3, 6, 7)
    y, i = F.max_pool2d(tg.tensor(x), 2, return_indices=True)
    u = F.max_unpool2d(y, i, 2, output_size=(6, 7))
    np.testing.assert_array_equal(u.numpy(), ref_unpool(y.numpy(), i.numpy(), (6, 7)))
    assert u.shape == (2, 3, 6, 7)
    assert F.max_unpool2d(y[..., :2], i[..., :2] % 6, 2).shape == (2, 3, 6, 4)
    m = nn.MaxUnpool2d(2)
    np.testing.assert_array_equal(m(y, i, output_size=[2, 3, 6, 7]).numpy(), u.numpy())
    # 1-D and 3-D, batched and not
    x1 = seeded_normal(3, 9)
    y1, i1 = F.max_pool1d(tg.tensor(x1), 3, 2, 1, return_indices=True)
    u1 = nn.MaxUnpool1d(3, 2, 1)(y1, i1)
    assert u1.shape == (3, 9)
    np.testing.assert_array_equal(u1.numpy(), ref_unpool(y1.numpy(), i1.numpy(), (9,)))
    x3 = seeded_normal(2, 5, 4, 6)
    y3, i3 = F.max_pool3d(tg.tensor(x3), 2, return_indices=True)
    u3 = F.max_unpool3d(y3, i3, 2)
    np.testing.assert_array_equal(u3.numpy(), ref_unpool(y3.numpy(), i3.numpy(), (4, 4, 6)))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_max_unpool_gradients(rank):
    x = seeded_normal(*(2, 3) + (6,) * rank, seed=rank)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[rank - 1]
    unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[rank - 1]
    y, i = pool(tg.tensor(x), 2, return_indices=True)

    def f(v):
        return unpool(v, i, 2, output_size=[7] * rank)
    v = t64(y.numpy())
    assert gradcheck(f, (v,))
    assert gradgradcheck(f, (v,))
    name = "SqueezeBackward1" if rank == 1 else f"MaxUnpool{rank}DBackward0"
    assert type(f(v).grad_fn).__name__ == name


def test_max_unpool_on_device(tg_device):
    y = seeded_normal(2, 3, 3, 3).astype(np.float32)
    i = np.random.default_rng(0).integers(0, 36, (2, 3, 3, 3))
    yd = tg.tensor(y, device=tg_device, requires_grad=True)
    u = F.max_unpool2d(yd, tg.tensor(i, device=tg_device), 2)
    assert_on_device(u, tg_device)
    np.testing.assert_array_equal(u.detach().cpu().numpy(), ref_unpool(y, i, (6, 6)))
    (u * u).sum().backward()
    assert_on_device(yd.grad, tg_device)


def test_max_unpool_errors():
    y, i = F.max_pool2d(tg.randn(1, 2, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match=r'^invalid output_size "\(9, 9\)" \(dim 0 must be between 2 and 6\)$'):
        F.max_unpool2d(y, i, 2, output_size=(9, 9))
    with pytest.raises(ValueError, match="output_size should be a sequence containing 2 or 4 elements, but it has a "
                                         "length of '1'"):
        F.max_unpool2d(y, i, 2, output_size=(4,))
    bad = tg.tensor(np.array([0, 3, 2, 9, 1, 12, 0, 0]).reshape(1, 2, 2, 2))
    # the last invalid index, as PyTorch's CPU kernel run on one thread reports it
    with pytest.raises(RuntimeError, match=r"^Found an invalid max index: 12 \(output volumes are of size 3x3\)$"):
        F.max_unpool2d(y, bad, 2, output_size=(3, 3))
    with pytest.raises(RuntimeError, match=r"^Found an invalid max index: -1 \(output volumes are of size 4x4\)$"):
        F.max_unpool2d(y, bad - 1, 2)
    with pytest.raises(RuntimeError, match="^elements in indices should be type int64 but got: Int$"):
        F.max_unpool2d(y, i.int(), 2)
    with pytest.raises(RuntimeError, match="Expected shape of indices to be same as that of the input tensor"):
        F.max_unpool2d(y, i[..., :1], 2)
    with pytest.raises(RuntimeError, match="Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor "
                                           "with 2 dimensions."):
        F.max_unpool2d(y[0, 0], i[0, 0], 2)
    with pytest.raises(ValueError, match=r"output_size\[0\]=-6"):
        F.max_unpool2d(y, i, 2, padding=5)
    with pytest.raises(RuntimeError, match=r"strides should be greater than zero, but got stride: \[0, 0, 0\]"):
        F.max_unpool3d(tg.randn(1, 1, 2, 2, 2), tg.zeros(1, 1, 2, 2, 2, dtype=tg.int64), 2, stride=0)
    assert repr(nn.MaxUnpool3d((1, 2, 3))) == "MaxUnpool3d(kernel_size=(1, 2, 3), stride=(1, 2, 3), padding=(0, 0, 0))"


# ------------------------------------------------------------------ LP pool
LP = [(1, 2, 3, None, False), (1, 3.0, 2, 1, True), (2, 2, 3, 2, True), (2, 1.5, (2, 3), (1, 2), False),
      (3, 2, 2, None, False), (3, 3, (2, 1, 2), 1, True)]


@pytest.mark.parametrize("rank, p, k, s, ceil_mode", LP)
def test_lp_pool_values(rank, p, k, s, ceil_mode):
    x = np.abs(seeded_normal(*(2, 3) + (7,) * rank, seed=rank)) + 0.1
    fn = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[rank - 1]
    y = fn(tg.tensor(x), p, k, s, ceil_mode)
    kk = (k,) * rank if isinstance(k, int) else k
    ss = kk if s is None else ((s,) * rank if isinstance(s, int) else s)
    np.testing.assert_allclose(y.numpy(), ref_lp(x, p, kk, ss, ceil_mode), rtol=1e-12)
    mod = (nn.LPPool1d, nn.LPPool2d, nn.LPPool3d)[rank - 1](p, k, s, ceil_mode)
    np.testing.assert_allclose(mod(tg.tensor(x)).numpy(), y.numpy(), rtol=1e-15)


def test_lp_pool_negative_sums_inf_and_zero_gradient():
    x = tg.tensor([[[-1.0, -2.0, 3.0, 1.0]]])
    y = F.lp_pool1d(x, 3, 2).numpy()  # a negative sum under 1/3: NaN, as PyTorch
    assert np.isnan(y[0, 0, 0]) and y[0, 0, 1] == pytest.approx(28 ** (1 / 3))
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2).numpy(), [[[5 ** 0.5, 10 ** 0.5]]])
    xi = seeded_normal(2, 3, 4, 4)
    np.testing.assert_array_equal(F.lp_pool2d(tg.tensor(xi), math.inf, 2).numpy(),
                                  np.abs(xi).reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    np.testing.assert_array_equal(F.lp_pool2d(tg.tensor(xi), -math.inf, 2).numpy(),
                                  np.abs(xi).reshape(2, 3, 2, 2, 2, 2).min(axis=(3, 5)))
    # a window whose sum is zero has a zero gradient (not NaN)
    z = tg.zeros(1, 1, 4, requires_grad=True)
    F.lp_pool1d(z, 2, 2).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.zeros((1, 1, 4)))
    assert repr(nn.LPPool1d(1.5, 3, 2, True)) == "LPPool1d(norm_type=1.5, kernel_size=3, stride=2, ceil_mode=True)"


@pytest.mark.parametrize("rank, p, k, s, ceil_mode", LP)
def test_lp_pool_gradients(rank, p, k, s, ceil_mode):
    fn = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[rank - 1]
    x = t64(np.abs(seeded_normal(*(1, 2) + (5,) * rank, seed=rank)) + 0.2)
    assert gradcheck(lambda v: fn(v, p, k, s, ceil_mode), (x,))


def test_lp_pool_on_device(tg_device):
    x = np.abs(seeded_normal(2, 3, 6, 6)).astype(np.float32) + 0.1
    xd = tg.tensor(x, device=tg_device, requires_grad=True)
    y = F.lp_pool2d(xd, 2, 2)
    assert_on_device(y, tg_device)
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref_lp(x.astype(np.float64), 2, (2, 2), (2, 2), False), rtol=1e-5)
    y.sum().backward()
    assert_on_device(xd.grad, tg_device)
