"""3-D convolution and pooling (F.conv3d, F.conv_transpose3d, F.max_pool3d, F.avg_pool3d,
F.adaptive_avg_pool3d, F.adaptive_max_pool3d and their modules): against direct NumPy loops, by finite
differences (first and second order), against PyTorch as the oracle (values, gradients, indices,
grad_fn names, errors, reprs, signatures) and on every device (``tg_device``) against CPU."""
import inspect
import itertools

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.global_switches  # noqa: F401 - read as tg.global_switches below
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.nn.functional_ops import conv3d as C3
from tensorgraft.testing import assert_close


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t64(a, grad=True):
    return tg.tensor(a, dtype=tg.float64, requires_grad=grad)


# ------------------------------------------------------------------ direct-loop references (NumPy only)
def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3


def ref_conv3d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _triple(stride), _triple(padding), _triple(dilation)
    N, C = x.shape[:2]
    O, Cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((pp, pp) for pp in p))
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(x.shape[2:], p, d, k, s))
    y = np.zeros((N, O) + out)
    Og = O // groups
    for o in itertools.product(*(range(n) for n in out)):
        box = tuple(slice(oo * ss, oo * ss + dd * (kk - 1) + 1, dd) for oo, ss, dd, kk in zip(o, s, d, k))
        for gi in range(groups):
            patch = xp[(slice(None), slice(gi * Cg, (gi + 1) * Cg)) + box]
            y[(slice(None), slice(gi * Og, (gi + 1) * Og)) + o] = np.einsum("ncdhw,ocdhw->no", patch,
                                                                            w[gi * Og:(gi + 1) * Og])
    return y if b is None else y + b.reshape(1, -1, 1, 1, 1)


def ref_conv_transpose3d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    s, p, op, d = _triple(stride), _triple(padding), _triple(output_padding), _triple(dilation)
    N, Cin = x.shape[:2]
    Cg, Og = Cin // groups, w.shape[1]
    k = w.shape[2:]
    full = tuple((n - 1) * ss + dd * (kk - 1) + 1 + oo for n, ss, dd, kk, oo in zip(x.shape[2:], s, d, k, op))
    y = np.zeros((N, Og * groups) + full)
    for i in itertools.product(*(range(n) for n in x.shape[2:])):
        box = tuple(slice(ii * ss, ii * ss + dd * (kk - 1) + 1, dd) for ii, ss, dd, kk in zip(i, s, d, k))
        for gi in range(groups):
            y[(slice(None), slice(gi * Og, (gi + 1) * Og)) + box] += np.einsum(
                "nc,codhw->nodhw", x[(slice(None), slice(gi * Cg, (gi + 1) * Cg)) + i], w[gi * Cg:(gi + 1) * Cg])
    y = y[(slice(None), slice(None)) + tuple(slice(pp, n - pp) for pp, n in zip(p, full))]
    return y if b is None else y + b.reshape(1, -1, 1, 1, 1)


def _pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def ref_max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Values and flat indices: scanning each window in (d, h, w) order, a value wins when it is
    greater or NaN (PyTorch's rule: the first maximum, the last NaN)."""
    k = _triple(kernel_size)
    s, p, d = _triple(stride if stride is not None else kernel_size), _triple(padding), _triple(dilation)
    sp = x.shape[2:]
    out = tuple(_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sp, k, s, p, d))
    y = np.empty(x.shape[:2] + out, x.dtype)
    idx = np.empty(x.shape[:2] + out, np.int64)
    for nc in itertools.product(*(range(n) for n in x.shape[:2])):
        for o in itertools.product(*(range(n) for n in out)):
            best, arg = -np.inf, -1
            for kk in itertools.product(*(range(n) for n in k)):
                pos = tuple(oo * ss - pp + ii * dd for oo, ss, pp, ii, dd in zip(o, s, p, kk, d))
                if any(q < 0 or q >= n for q, n in zip(pos, sp)):
                    continue
                v = x[nc + pos]
                if v > best or np.isnan(v) or arg < 0:
                    best, arg = v, (pos[0] * sp[1] + pos[1]) * sp[2] + pos[2]
            y[nc + o], idx[nc + o] = best, arg
    return y, idx


def ref_avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    k = _triple(kernel_size)
    s, p = _triple(stride if stride is not None else kernel_size), _triple(padding)
    sp = x.shape[2:]
    out = tuple(_pool_out(n, kk, ss, pp, 1, ceil_mode) for n, kk, ss, pp in zip(sp, k, s, p))
    y = np.empty(x.shape[:2] + out)
    for o in itertools.product(*(range(n) for n in out)):
        start = [oo * ss - pp for oo, ss, pp in zip(o, s, p)]
        end = [min(a + kk, n + pp) for a, kk, n, pp in zip(start, k, sp, p)]
        size = np.prod([e - a for a, e in zip(start, end)])
        lo = [max(a, 0) for a in start]
        hi = [min(e, n) for e, n in zip(end, sp)]
        box = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        div = divisor_override or (size if count_include_pad else np.prod([b - a for a, b in zip(lo, hi)]))
        y[(slice(None), slice(None)) + o] = box.sum(axis=(2, 3, 4)) / div
    return y


def _bins(n, o):
    return [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]


def ref_adaptive3d(x, out, op):
    """Adaptive pooling by loops over bins: ``op`` 'avg' or 'max' (values and flat indices)."""
    sp = x.shape[2:]
    bins = [_bins(n, o) for n, o in zip(sp, out)]
    y = np.empty(x.shape[:2] + tuple(out))
    idx = np.empty(x.shape[:2] + tuple(out), np.int64)
    for o in itertools.product(*(range(n) for n in out)):
        box = [bins[j][o[j]] for j in range(3)]
        if op == "avg":
            y[(slice(None), slice(None)) + o] = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in box)].mean(
                axis=(2, 3, 4))
            continue
        for nc in itertools.product(*(range(n) for n in x.shape[:2])):
            best, arg = None, -1
            for pos in itertools.product(*(range(a, b) for a, b in box)):
                v = x[nc + pos]
                if best is None or v > best or np.isnan(v):
                    best, arg = v, (pos[0] * sp[1] + pos[1]) * sp[2] + pos[2]
            y[nc + o], idx[nc + o] = best, arg
    return y, idx


CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2, 3), padding=(0, 1, 2), dilation=(2, 1, 1)),
    dict(padding=1, dilation=(1, 2, 1)),
    dict(groups=2, padding=(1, 0, 1)),
    dict(groups=2, stride=2, dilation=2, padding=2),
]


@pytest.mark.parametrize("kw", CONV_CASES)
def test_conv3d_matches_direct_loop(kw):
    x, w, b = rand(2, 4, 6, 7, 8), rand(6, 4 // kw.get("groups", 1), 3, 2, 3, seed=1), rand(6, seed=2)
    y = F.conv3d(t64(x, False), t64(w, False), t64(b, False), **kw)
    np.testing.assert_allclose(y.numpy(), ref_conv3d(x, w, b, **kw), rtol=1e-10, atol=1e-10)
    # unbatched (C, D, H, W), no bias
    y1 = F.conv3d(t64(x[1], False), t64(w, False), **kw)
    np.testing.assert_allclose(y1.numpy(), ref_conv3d(x[1:], w, **kw)[0], rtol=1e-10, atol=1e-10)


def test_conv3d_padding_strings(monkeypatch):
    # the uneven-padding warning is once per process (as PyTorch's) unless warn_always is on
    monkeypatch.setattr(tg.global_switches._state, "warn_always", True)
    x, w = rand(1, 2, 5, 6, 4), rand(3, 2, 3, 2, 3, seed=1)
    assert_close(F.conv3d(t64(x), t64(w), padding="valid"), t64(ref_conv3d(x, w)))
    with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
        y = F.conv3d(t64(x), t64(w), padding="same", dilation=(1, 1, 2))
    assert y.shape == (1, 3, 5, 6, 4)
    # 'same' pads the odd remainder on the far side: a reference with the padding written out
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 1), (2, 2)))
    assert_close(y, t64(ref_conv3d(xp, w, dilation=(1, 1, 2))))


CONVT_CASES = [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(1, 2, 3), padding=(0, 1, 1), output_padding=(0, 1, 2)),
    dict(groups=2, dilation=2, output_padding=1),        # output_padding < dilation (>= stride)
    dict(stride=2, groups=2, dilation=(1, 2, 1), padding=(1, 0, 2)),
]


@pytest.mark.parametrize("kw", CONVT_CASES)
def test_conv_transpose3d_matches_direct_loop(kw):
    x, w, b = rand(2, 4, 3, 4, 3), rand(4, 3, 3, 2, 3, seed=1), rand(3 * kw.get("groups", 1), seed=2)
    y = F.conv_transpose3d(t64(x, False), t64(w, False), t64(b, False), **kw)
    np.testing.assert_allclose(y.numpy(), ref_conv_transpose3d(x, w, b, **kw), rtol=1e-10, atol=1e-10)
    y1 = F.conv_transpose3d(t64(x[0], False), t64(w, False), **kw)
    np.testing.assert_allclose(y1.numpy(), ref_conv_transpose3d(x[:1], w, **kw)[0], rtol=1e-10, atol=1e-10)


MAXPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(1, 2, 2), stride=1),
]


@pytest.mark.parametrize("kind", ["random", "ties", "nan", "-inf"])
@pytest.mark.parametrize("kw", MAXPOOL_CASES)
def test_max_pool3d_matches_direct_loop(kw, kind):
    rng = np.random.default_rng(0)
    x = rand(2, 2, 5, 6, 7) if kind == "random" else rng.integers(0, 3, (2, 2, 5, 6, 7)).astype(np.float64)
    if kind == "nan":
        x[rng.random(x.shape) < 0.2] = np.nan
    if kind == "-inf":   # whole windows of -inf, the padding's value: the first position inside wins
        x[rng.random(x.shape) < 0.7] = -np.inf
        x[0, 0] = -np.inf
    ref, ref_idx = ref_max_pool3d(x, **kw)
    y, idx = F.max_pool3d(t64(x), return_indices=True, **kw)
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert idx.dtype == tg.int64
    # the gradient lands on the winners (summed where windows share one)
    g = rand(*ref.shape, seed=3)
    x_t = t64(x)
    F.max_pool3d(x_t, **kw).backward(tg.tensor(g))
    V = x.size // 4
    gx = np.zeros((4, V))
    for r in range(4):
        gx[r] = np.bincount(ref_idx.reshape(4, -1)[r], g.reshape(4, -1)[r], minlength=V)
    np.testing.assert_allclose(x_t.grad.numpy(), gx.reshape(x.shape), rtol=1e-12, atol=1e-12)


AVGPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5),
]


@pytest.mark.parametrize("kw", AVGPOOL_CASES)
def test_avg_pool3d_matches_direct_loop(kw):
    x = rand(2, 3, 5, 6, 7)
    np.testing.assert_allclose(F.avg_pool3d(t64(x), **kw).detach().numpy(), ref_avg_pool3d(x, **kw), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(F.avg_pool3d(t64(x[0]), **kw).detach().numpy(), ref_avg_pool3d(x[:1], **kw)[0],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("out", [(2, 3, 4), (5, 6, 7), (3, 1, 5), 1, (4, None, 2), (6, 7, 9)])
def test_adaptive_pools_match_direct_loop(out):
    rng = np.random.default_rng(0)
    x = rand(2, 3, 5, 6, 7)
    full = tuple(n if o is None else o for o, n in zip(_triple(out), x.shape[2:]))
    ref, _ = ref_adaptive3d(x, full, "avg")
    np.testing.assert_allclose(F.adaptive_avg_pool3d(t64(x), out).detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    for xx in (x, rng.integers(0, 3, x.shape).astype(np.float64)):
        xx = xx.copy()
        xx[rng.random(x.shape) < 0.1] = np.nan
        ref, ref_idx = ref_adaptive3d(xx, full, "max")
        y, idx = F.adaptive_max_pool3d(t64(xx), out, return_indices=True)
        np.testing.assert_array_equal(y.detach().numpy(), ref)
        np.testing.assert_array_equal(idx.numpy(), ref_idx)
        y0 = F.adaptive_max_pool3d(t64(xx[0]), out)
        np.testing.assert_array_equal(y0.detach().numpy(), ref[0])


# ------------------------------------------------------------------ finite differences, first and second order
GRAD_CASES = {
    "conv3d-stride1": (lambda x, w, b: F.conv3d(x, w, b, padding=1),
                       lambda: (t64(rand(1, 2, 3, 3, 4)), t64(rand(2, 2, 2, 2, 3, seed=1)), t64(rand(2, seed=2)))),
    "conv3d-strided-groups": (lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1),
                                                       groups=2),
                              lambda: (t64(rand(1, 4, 4, 5, 4)), t64(rand(4, 2, 2, 2, 3, seed=1)),
                                       t64(rand(4, seed=2)))),
    "conv3d-unbatched": (lambda x, w: F.conv3d(x, w, stride=2), lambda: (t64(rand(2, 4, 3, 5)),
                                                                         t64(rand(3, 2, 2, 2, 2, seed=1)))),
    "conv_transpose3d": (lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1),
                         lambda: (t64(rand(1, 2, 2, 3, 2)), t64(rand(2, 3, 3, 2, 3, seed=1)), t64(rand(3, seed=2)))),
    "conv_transpose3d-stride1": (lambda x, w: F.conv_transpose3d(x, w, padding=1),
                                 lambda: (t64(rand(1, 2, 3, 3, 3)), t64(rand(2, 2, 3, 2, 3, seed=1)))),
    "conv_transpose3d-groups-dilation": (lambda x, w: F.conv_transpose3d(x, w, groups=2, dilation=2, output_padding=1),
                                         lambda: (t64(rand(1, 4, 2, 2, 2)), t64(rand(4, 1, 2, 2, 2, seed=1)))),
    "max_pool3d-overlapping": (lambda x: F.max_pool3d(x, 2, 1, 1, dilation=(1, 2, 1), ceil_mode=True),
                               lambda: (t64(rand(1, 2, 4, 5, 4)),)),
    "max_pool3d-unbatched": (lambda x: F.max_pool3d(x, 2), lambda: (t64(rand(2, 4, 4, 4)),)),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                   lambda: (t64(rand(1, 2, 4, 5, 4)),)),
    "avg_pool3d-divisor": (lambda x: F.avg_pool3d(x, (2, 3, 2), 1, (1, 1, 0), divisor_override=3),
                           lambda: (t64(rand(2, 4, 5, 4)),)),
    "adaptive_avg_pool3d": (lambda x: F.adaptive_avg_pool3d(x, (3, 2, 4)), lambda: (t64(rand(1, 2, 5, 5, 7)),)),
    "adaptive_max_pool3d": (lambda x: F.adaptive_max_pool3d(x, (3, 2, 4)), lambda: (t64(rand(2, 5, 5, 7)),)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck_and_gradgradcheck(name):
    fn, make = GRAD_CASES[name]
    assert gradcheck(fn, make())
    assert gradgradcheck(fn, make())


# ------------------------------------------------------------------ the stride-1 flat path against the general path
STRIDE1 = [dict(padding=1), dict(padding=0), dict(padding=(2, 0, 1)), dict(padding=2, dilation=2),
           dict(padding=(0, 1, 1), dilation=(2, 1, 2))]


def _conv_grads(x, w, b, **kw):
    xs = [t64(a) for a in (x, w, b)]
    y = F.conv3d(*xs, **kw)
    y.backward(t64(rand(*y.shape, seed=7), False))
    return [y.detach().numpy()] + [a.grad.numpy() for a in xs]


@pytest.mark.parametrize("chunk", [1, 20000, 1 << 23])  # one plane per chunk, a few planes, whole samples
@pytest.mark.parametrize("i", range(len(STRIDE1)))
def test_stride1_flat_path_matches_general_path(monkeypatch, chunk, i):
    x, w, b = rand(3, 4, 5, 6, 7), rand(5, 4, 3, 2, 3, seed=1), rand(5, seed=2)
    monkeypatch.setattr(C3, "_CHUNK3D_BYTES", chunk)
    flat = _conv_grads(x, w, b, **STRIDE1[i])
    monkeypatch.setattr(C3, "flat_fits", lambda *a: False)
    general = _conv_grads(x, w, b, **STRIDE1[i])
    for a, g in zip(flat, general):
        np.testing.assert_allclose(a, g, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(flat[0], ref_conv3d(x, w, b, **STRIDE1[i]), rtol=1e-10, atol=1e-10)


def test_empty_batch():
    y = F.conv3d(tg.zeros(0, 2, 4, 4, 4), tg.ones(3, 2, 2, 2, 2), padding=1)
    assert y.shape == (0, 3, 5, 5, 5)
    assert F.conv_transpose3d(tg.zeros(0, 2, 3, 3, 3), tg.ones(2, 3, 2, 2, 2), stride=2).shape == (0, 3, 6, 6, 6)
    assert F.max_pool3d(tg.zeros(0, 2, 4, 4, 4), 2).shape == (0, 2, 2, 2, 2)
    assert F.avg_pool3d(tg.zeros(0, 2, 4, 4, 4), 2).shape == (0, 2, 2, 2, 2)
    assert F.adaptive_max_pool3d(tg.zeros(0, 2, 4, 4, 4), 3).shape == (0, 2, 3, 3, 3)
    assert F.adaptive_avg_pool3d(tg.zeros(0, 2, 4, 4, 4), 3).shape == (0, 2, 3, 3, 3)


# ------------------------------------------------------------------ PyTorch as the oracle
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _sync(m, t, torch):
    t.load_state_dict({k: torch.tensor(np.array(v.detach().numpy())) for k, v in m.state_dict().items()})


def _compare_modules(make, x, torch, kwargs=None, exact=False, double_backward=True):
    """Module built in both libraries with the same parameters: outputs (and indices), every
    gradient, grad_fn names (and the double-backward node's name), repr."""
    tg.manual_seed(0)
    m, t = make(nn), make(torch.nn)
    _sync(m, t, torch)
    assert repr(m) == repr(t)
    a, at = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = m(a, **(kwargs or {})), t(at, **(kwargs or {}))
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        y, yt = y[0], yt[0]
    assert type(y.grad_fn).__name__ == type(yt.grad_fn).__name__
    tol = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), **(dict(rtol=0, atol=0) if exact else tol))
    g = rand(*yt.shape, seed=5, dtype=x.dtype)
    if double_backward:   # the gradient's own node, as create_graph=True records it
        (gx,) = tg.autograd.grad(y, a, tg.tensor(g), create_graph=True)
        (gxt,) = torch.autograd.grad(yt, at, torch.tensor(g), create_graph=True)
        assert type(gx.grad_fn).__name__ == type(gxt.grad_fn).__name__
    y.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), **tol)
    for (name, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)


CONV_MODULES = [
    lambda nn: nn.Conv3d(4, 6, 3),
    lambda nn: nn.Conv3d(4, 6, (3, 2, 1), stride=2, padding=1, dilation=(2, 1, 1), groups=2, bias=False),
    lambda nn: nn.Conv3d(4, 4, 3, padding=1, padding_mode="reflect"),
    lambda nn: nn.Conv3d(4, 2, (2, 3, 2), padding=(1, 1, 0), padding_mode="replicate", stride=(1, 2, 1)),
    lambda nn: nn.Conv3d(4, 4, 3, padding=2, dilation=2, padding_mode="circular", groups=4),
    lambda nn: nn.Conv3d(4, 2, (2, 3, 4), padding="same"),
    lambda nn: nn.Conv3d(4, 2, 3, padding="valid", stride=(2, 1, 3)),
    lambda nn: nn.ConvTranspose3d(4, 6, 3),
    lambda nn: nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    lambda nn: nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=(1, 2, 3), dilation=(2, 1, 1), bias=False),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("i", range(len(CONV_MODULES)))
def test_conv_modules_like_torch(torch, i):
    x = rand(2, 4, 5, 6, 7, dtype=np.float32)
    # (with a padding_mode, or an uneven padding='same', the input gradient's own node is F.pad's,
    # whose names are not checked here)
    m = CONV_MODULES[i](nn)
    zeros = m.padding_mode == "zeros" and not (m.padding == "same" and any(k % 2 == 0 for k in m.kernel_size))
    _compare_modules(CONV_MODULES[i], x, torch, double_backward=zeros)
    _compare_modules(CONV_MODULES[i], x[1], torch, double_backward=zeros)   # unbatched


@pytest.mark.parametrize("output_size", [(11, 13, 9), [2, 3, 12, 14, 10]])
def test_conv_transpose3d_output_size_like_torch(torch, output_size):
    x = rand(2, 4, 5, 6, 4, dtype=np.float32)
    _compare_modules(lambda nn: nn.ConvTranspose3d(4, 3, 3, stride=2), x, torch, {"output_size": output_size})


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_stride1_nonfinite_like_torch(torch, bad):
    """The wide stride-1 layout reads junk across the volume's edges: a non-finite value there must not
    turn into NaN gradients PyTorch does not produce."""
    x = rand(2, 3, 4, 5, 6, dtype=np.float32)
    x[0, 1, :, :, -1] = bad
    x[1, 0, 2, -1, 0] = bad
    for w_bad in (False, True):
        w = rand(4, 3, 3, 3, 3, seed=1, dtype=np.float32)
        if w_bad:
            w[1, 2, 0, 1, 2] = bad
            x = rand(2, 3, 4, 5, 6, dtype=np.float32)
        # (a non-finite weight with padding: im2col's padded zeros times inf are NaN, where PyTorch's
        # direct convolution skips the padding; as the 2-D convolutions, not checked)
        for kw in ((dict(),) if w_bad else (dict(padding=1), dict())):
            outs = []
            for lib, f in ((tg, F), (torch, torch.nn.functional)):
                a, ww = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
                y = f.conv3d(a, ww, **kw)
                y.backward(lib.ones(*y.shape))
                outs.append([y.detach().numpy(), a.grad.numpy(), ww.grad.numpy()])
            for u, v in zip(*outs):
                np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-4)


POOL_MODULES = [
    lambda nn: nn.MaxPool3d(2),
    lambda nn: nn.MaxPool3d(3, stride=2, padding=1, return_indices=True),
    lambda nn: nn.MaxPool3d((2, 3, 2), stride=(1, 2, 3), padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True,
                            return_indices=True),
    lambda nn: nn.AvgPool3d(2),
    lambda nn: nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda nn: nn.AvgPool3d((2, 3, 2), stride=1, padding=(1, 1, 0), divisor_override=4),
    lambda nn: nn.AdaptiveAvgPool3d((2, 3, 4)),
    lambda nn: nn.AdaptiveAvgPool3d((4, None, 9)),
    lambda nn: nn.AdaptiveAvgPool3d(1),
    lambda nn: nn.AdaptiveMaxPool3d((2, 3, 4), return_indices=True),
    lambda nn: nn.AdaptiveMaxPool3d((6, 5, 9)),
    lambda nn: nn.AdaptiveMaxPool3d(1, return_indices=True),
]


@pytest.mark.parametrize("kind", ["random", "ties", "nan"])
@pytest.mark.parametrize("i", range(len(POOL_MODULES)))
def test_pool_modules_like_torch(torch, i, kind):
    rng = np.random.default_rng(0)
    shape = (2, 3, 5, 6, 7)
    x = rand(*shape, dtype=np.float32) if kind == "random" else rng.integers(0, 3, shape).astype(np.float32)
    if kind == "nan":
        if "Avg" in repr(POOL_MODULES[i](nn)):
            return
        x[rng.random(shape) < 0.2] = np.nan
    _compare_modules(POOL_MODULES[i], x, torch, exact=kind != "random" and "Max" in repr(POOL_MODULES[i](nn)))
    _compare_modules(POOL_MODULES[i], x[0], torch)   # unbatched


def test_max_pool3d_integer_input_like_torch(torch):
    x = np.random.default_rng(0).integers(-5, 5, (2, 3, 4, 5, 6))
    x[0, 0] = np.iinfo(np.int64).min   # equal to the padding's value
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=3, stride=2, padding=1, dilation=(2, 1, 1), ceil_mode=True)):
        y, i = F.max_pool3d(tg.tensor(x), return_indices=True, **kw)
        yt, it = torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(y.numpy(), yt.numpy())
        np.testing.assert_array_equal(i.numpy(), it.numpy())
        assert y.dtype == tg.int64


def test_conv_double_backward_like_torch(torch):
    """create_graph=True: the input and weight gradients carry ConvolutionBackwardBackward0 and their
    own gradients (a Hessian-vector product) match PyTorch's."""
    x, w, b = rand(2, 2, 4, 3, 5), rand(3, 2, 2, 2, 3, seed=1), rand(3, seed=2)
    for kw, transposed in ((dict(padding=1), False), (dict(stride=2, groups=1), False),
                           (dict(stride=2, padding=1, output_padding=1), True)):
        res = []
        for lib, f in ((tg, F), (torch, torch.nn.functional)):
            ww = rand(2, 3, 2, 2, 3, seed=1) if transposed else w
            a, wt, bt = (lib.tensor(v, requires_grad=True) for v in (x, ww, b))
            y = (f.conv_transpose3d if transposed else f.conv3d)(a, wt, bt, **kw)
            gx, gw = lib.autograd.grad((y * y).sum(), (a, wt), create_graph=True)
            names = (type(gx.grad_fn).__name__, type(gw.grad_fn).__name__)
            (gx.sum() + (gw * gw).sum()).backward()
            res.append((names, [v.grad.numpy() for v in (a, wt, bt)]))
        assert res[0][0] == res[1][0] == ("ConvolutionBackwardBackward0",) * 2
        for u, v in zip(res[0][1], res[1][1]):
            np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("call", [
    lambda f, lib: f.conv3d(lib.ones(4, 5, 5), lib.ones(3, 4, 2, 2, 2)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 3, 2, 2, 2)),
    lambda f, lib: f.conv3d(lib.ones(4, 5, 5, 5), lib.ones(3, 3, 2, 2, 2)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 2, 2, 2, 2), groups=2),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 7, 2, 2)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), stride=2, padding="same"),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), padding="foo"),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2, dtype=lib.float64)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), lib.ones(4)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), lib.ones(3, dtype=lib.float64)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), stride=0),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), stride=(1, 1)),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), padding=-1),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), dilation=0),
    lambda f, lib: f.conv3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2), groups=0),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(3, 4, 2, 2, 2)),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(4, 4, 2, 2, 2), stride=2, output_padding=2),
    lambda f, lib: f.conv_transpose3d(lib.ones(5, 5), lib.ones(4, 4, 2, 2, 2)),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(4, 3, 2, 2, 2), groups=3),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(4, 3, 2, 2, 2), bias=lib.ones(4)),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(4, 3, 2, 2, 2), padding="same"),
    lambda f, lib: f.conv_transpose3d(lib.ones(2, 4, 5, 5, 5), lib.ones(4, 3, 2, 2, 2), output_padding=-1),
    lambda f, lib: f.conv_transpose3d(lib.ones(1, 3, 2, 2, 2), lib.ones(3, 3, 2, 2, 2), padding=2),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 3, padding=2),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), (3, 4, 2), padding=(1, 3, 2), dilation=(1, 3, 2)),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 6),
    lambda f, lib: f.max_pool3d(lib.ones(5, 5), 2),
    lambda f, lib: f.max_pool3d(lib.ones(2, 0, 3, 3, 3), 2),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 0),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), -1, stride=1),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), (2, 2)),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 2, stride=(1, 1)),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 2, padding=(1, 1)),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 2, dilation=(1, 1)),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 2, dilation=0),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5), 2, padding=-1),
    lambda f, lib: f.max_pool3d(lib.ones(2, 4, 5, 5, 5, dtype=lib.bool), 2),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), 3, padding=2),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), 6),
    lambda f, lib: f.avg_pool3d(lib.ones(1, 1, 2, 2, 2), 3, padding=1),
    lambda f, lib: f.avg_pool3d(lib.ones(5, 5), 2),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 3, 0, 3, 3), 2),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), 2, divisor_override=0),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), 2, divisor_override=2.5),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), (2, 2)),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5), 2, stride=0),
    lambda f, lib: f.avg_pool3d(lib.ones(2, 4, 5, 5, 5, dtype=lib.int32), 2),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(5, 5), 2),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(5, 5), (2, 2, 2)),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(2, 4, 5, 5, 5), (2, 2)),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(2, 3, 0, 3, 3), (2, 2, 2)),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(2, 4, 5, 5, 5), (2, -1, 3)),
    lambda f, lib: f.adaptive_avg_pool3d(lib.ones(2, 4, 5, 5, 5, dtype=lib.int64), 2),
    lambda f, lib: f.adaptive_max_pool3d(lib.ones(5, 5), 2),
    lambda f, lib: f.adaptive_max_pool3d(lib.ones(5, 5, 5), (2, 2, 2)),
    lambda f, lib: f.adaptive_max_pool3d(lib.ones(2, 4, 5, 5, 5), (2, 2)),
    lambda f, lib: f.adaptive_max_pool3d(lib.ones(2, 0, 3, 3, 3), (2, 2, 2)),
    lambda f, lib: f.adaptive_max_pool3d(lib.ones(2, 4, 5, 5, 5, dtype=lib.int32), 2),
    lambda f, lib: (torch_nn(lib)).ConvTranspose3d(4, 4, 3, stride=2)(lib.ones(2, 4, 5, 5, 5),
                                                                      output_size=(20, 20, 20)),
    lambda f, lib: (torch_nn(lib)).ConvTranspose3d(4, 4, 3, padding_mode="reflect"),
    lambda f, lib: (torch_nn(lib)).Conv3d(4, 3, 3, groups=2),
    lambda f, lib: (torch_nn(lib)).Conv3d(4, 4, 3, stride=2, padding="same"),
])
def test_error_messages_like_torch(torch, call):
    errs = []
    for f, lib in ((torch.nn.functional, torch), (F, tg)):
        with pytest.raises(Exception) as ei:
            call(f, lib)
        errs.append((type(ei.value).__name__, str(ei.value)))
    assert errs[0] == errs[1]


def torch_nn(lib):
    return nn if lib is tg else lib.nn


def test_signatures_like_torch(torch):
    # torch's functions are builtins without a signature, or dispatch on return_indices through
    # (*args, **kwargs): theirs, as documented
    documented = {
        "conv3d": "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1",
        "conv_transpose3d": "input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1",
        "max_pool3d": "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False",
        "avg_pool3d": "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                      "divisor_override=None",
        "adaptive_avg_pool3d": "input, output_size",
        "adaptive_max_pool3d": "input, output_size, return_indices=False",
    }
    for name, sig in documented.items():
        assert str(inspect.signature(getattr(F, name))) == f"({sig})"
    for name in ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d"]:
        a = [(p.name, p.default) for p in inspect.signature(getattr(nn, name)).parameters.values()]
        b = [(p.name, p.default) for p in inspect.signature(getattr(torch.nn, name)).parameters.values()]
        assert a == b, name
        fa = list(inspect.signature(getattr(nn, name).forward).parameters)
        fb = list(inspect.signature(getattr(torch.nn, name).forward).parameters)
        assert fa == fb, name


# ------------------------------------------------------------------ every device against CPU
_on_device = assert_on_device  # the result lives on the device, as the device's own array


DEVICE_CASES = {
    "conv3d-stride1": (lambda x, w, b: F.conv3d(x, w, b, padding=1), ((2, 4, 5, 6, 4), (6, 4, 3, 2, 3), (6,))),
    "conv3d-strided-groups": (lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=1, dilation=(1, 2, 1),
                                                       groups=2), ((2, 4, 5, 6, 4), (6, 2, 3, 2, 3), (6,))),
    "conv3d-unbatched": (lambda x, w: F.conv3d(x, w), ((4, 5, 6, 4), (6, 4, 2, 2, 2))),
    "conv_transpose3d": (lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1),
                         ((2, 4, 3, 4, 3), (4, 3, 3, 2, 3), (3,))),
    "conv_transpose3d-stride1-groups": (lambda x, w: F.conv_transpose3d(x, w, groups=2, dilation=2),
                                        ((2, 4, 3, 4, 3), (4, 3, 2, 2, 2))),
    "max_pool3d": (lambda x: F.max_pool3d(x, 3, 2, 1, return_indices=True), ((2, 3, 5, 6, 7),)),
    "max_pool3d-tiled-unbatched": (lambda x: F.max_pool3d(x, 2, return_indices=True), ((3, 4, 6, 6),)),
    "max_pool3d-dilation-ceil": (lambda x: F.max_pool3d(x, 2, 1, 1, dilation=2, ceil_mode=True), ((2, 3, 5, 6, 7),)),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), ((2, 3, 5, 6, 7),)),
    "avg_pool3d-divisor": (lambda x: F.avg_pool3d(x, 2, divisor_override=3), ((3, 4, 6, 6),)),
    "adaptive_avg_pool3d": (lambda x: F.adaptive_avg_pool3d(x, (2, 4, 3)), ((2, 3, 5, 6, 7),)),
    "adaptive_max_pool3d": (lambda x: F.adaptive_max_pool3d(x, (2, 4, 3), return_indices=True), ((2, 3, 5, 6, 7),)),
}


@pytest.mark.parametrize("name", sorted(DEVICE_CASES))
def test_device_matches_cpu(tg_device, name):
    fn, shapes = DEVICE_CASES[name]
    arrays = [rand(*s, seed=i, dtype=np.float32) for i, s in enumerate(shapes)]
    if name.startswith("max_pool3d"):   # ties and a NaN: the winner rule on the device too
        arrays[0] = np.round(arrays[0])
        arrays[0].reshape(-1)[5] = np.nan
    res = {}
    for dev in ("cpu", tg_device):
        xs = [tg.tensor(a, device=dev, requires_grad=True) for a in arrays]
        out = fn(*xs)
        outs = list(out) if isinstance(out, tuple) else [out]
        g = tg.tensor(rand(*outs[0].shape, seed=9, dtype=np.float32), device=dev)
        # second order too: the gradient's own gradient, through the backward ops
        grads = tg.autograd.grad(outs[0], xs, g, create_graph=True)
        sum((gr * gr).sum() for gr in grads).backward()
        res[dev] = outs + list(grads) + [x.grad for x in xs]
    for c, d in zip(res["cpu"], res[tg_device]):
        if c is None:   # (a bias has no second-order gradient here)
            assert d is None
            continue
        _on_device(d, tg_device)
        assert_close(d.detach().cpu(), c.detach(), rtol=1e-4, atol=1e-4, equal_nan=True)


def test_modules_built_on_device(tg_device):
    for m in (nn.Conv3d(3, 4, 3, device=tg_device, dtype=tg.float64),
              nn.ConvTranspose3d(3, 4, 3, device=tg_device, dtype=tg.float64)):
        for p in m.parameters():
            _on_device(p, tg_device)
            assert p.dtype == tg.float64
