"""Oracle twins of test_nn_grid_and_more.py: the same calls in tensorgraft and PyTorch (values, input
and grid gradients, grad_fn names, repr, warnings, error messages)."""
import itertools
import math
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing.oracle import as_both, assert_same_error, assert_values_close, seeded_normal

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def close(ours, theirs, tol=1e-10):  # this file's tolerance (float64 unless a test passes one)
    assert_values_close(ours, theirs, rtol=tol, atol=tol, check_dtype=False)


def name(t):
    return type(t.grad_fn).__name__ if isinstance(t, torch.Tensor) else t.grad_fn.name()


COMBOS_2D = list(itertools.product(["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"],
                                   [False, True]))
COMBOS_3D = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True]))


# ====================================================================== grid_sample
def _check_grid_sample(xs, gs_, mode, padding, align, dtype, tol):
    x = seeded_normal(*xs).astype(dtype)
    g = np.random.default_rng(1).uniform(-1.3, 1.3, gs_).astype(dtype)
    go = seeded_normal(*(xs[:2] + gs_[1:-1]), seed=2).astype(dtype)
    (xa, xb), (ga, gb) = as_both(x, requires_grad=True), as_both(g, requires_grad=True)
    ya = F.grid_sample(xa, ga, mode, padding, align)
    yb = TF.grid_sample(xb, gb, mode, padding, align)
    close(ya, yb, tol)
    assert name(ya) == name(yb)
    ya.backward(tg.tensor(go))
    yb.backward(torch.tensor(go))
    close(xa.grad, xb.grad, tol)
    close(ga.grad, gb.grad, tol * 10)


@pytest.mark.parametrize("mode,padding,align", COMBOS_2D)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_grid_sample_2d(mode, padding, align, dtype, tol):
    _check_grid_sample((2, 3, 4, 5), (2, 3, 4, 2), mode, padding, align, dtype, tol)


@pytest.mark.parametrize("mode,padding,align", COMBOS_3D)
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_grid_sample_3d(mode, padding, align, dtype, tol):
    _check_grid_sample((2, 2, 3, 4, 5), (2, 2, 3, 2, 3), mode, padding, align, dtype, tol)


@pytest.mark.parametrize("mode,padding,align", COMBOS_2D)
def test_grid_sample_size_one_and_far_outside(mode, padding, align):
    # unit-size spatial dims (degenerate unnormalise/reflect) and points far off the image
    x = seeded_normal(1, 2, 1, 3)
    g = np.array([[[[-5.0, 0.3], [0.25, -7.5], [3.2, 1.0], [0.0, 0.0]]]])
    (xa, xb), (ga, gb) = as_both(x, requires_grad=True), as_both(g, requires_grad=True)
    ya, yb = F.grid_sample(xa, ga, mode, padding, align), TF.grid_sample(xb, gb, mode, padding, align)
    close(ya, yb)
    ya.sum().backward()
    yb.sum().backward()
    close(xa.grad, xb.grad)
    close(ga.grad, gb.grad)


def test_grid_sample_align_corners_warning():
    x, g = seeded_normal(1, 1, 2, 2), np.zeros((1, 1, 1, 2))
    seen = []
    for mod, fn in ((tg, F.grid_sample), (torch, TF.grid_sample)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(mod.tensor(x), mod.tensor(g))
        seen.append([(x.category, str(x.message)) for x in w])
    assert len(seen[0]) == 1 and seen[0] == seen[1]


@pytest.mark.parametrize("make", [
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(1, 1, 1, 2), mode="area"),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(1, 1, 1, 2), padding_mode="circular"),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(1, 1, 1, 3), align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(2, 1, 1, 2), align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(1, 1, 1, 1, 2), align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 2, 3), m.zeros(1, 2, 2), align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2, 2), m.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 1, 0, 2), m.zeros(1, 1, 1, 2), align_corners=False),
    lambda m, f: f.grid_sample(m.randn(1, 1, 2, 2), m.zeros(1, 1, 1, 2, dtype=m.float64), align_corners=False),
    lambda m, f: f.grid_sample(m.zeros(1, 1, 2, 2, dtype=m.int64), m.zeros(1, 1, 1, 2, dtype=m.int64),
                               align_corners=False),
    lambda m, f: f.affine_grid(m.zeros(1, 2, 3, dtype=m.int64), (1, 1, 2, 2), False),
    lambda m, f: f.affine_grid(m.zeros(1, 2, 3), (1, 1, 2, 2, 2), False),
    lambda m, f: f.affine_grid(m.zeros(1, 3, 4), (1, 1, 2, 2), False),
    lambda m, f: f.affine_grid(m.zeros(1, 2, 3), (1, 1, 2), False),
    lambda m, f: f.affine_grid(m.zeros(1, 2, 3), (1, 1, 0, 2), False),
    lambda m, f: f.affine_grid(m.zeros(2, 2, 3), (1, 1, 3, 2), False),
])
def test_grid_errors(make):
    assert_same_error(lambda: make(tg, F), lambda: make(torch, TF))


# ====================================================================== affine_grid
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 2, 3, 4), (2, 1, 1, 1, 2)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(size, align):
    nd = len(size) - 2
    ta, tb = as_both(seeded_normal(2, nd, nd + 1), requires_grad=True)
    with warnings.catch_warnings(record=True) as wa:
        warnings.simplefilter("always")
        ya = F.affine_grid(ta, size, align)
    with warnings.catch_warnings(record=True) as wb:
        warnings.simplefilter("always")
        yb = TF.affine_grid(tb, size, align)
    assert [str(w.message) for w in wa] == [str(w.message) for w in wb]
    close(ya, yb)
    assert name(ya) == name(yb) == "AffineGridGeneratorBackward0"
    go = seeded_normal(*yb.shape, seed=3)
    ya.backward(tg.tensor(go))
    yb.backward(torch.tensor(go))
    close(ta.grad, tb.grad)


def test_spatial_transformer_float32():
    x = seeded_normal(2, 3, 6, 7).astype(np.float32)
    th = (np.eye(2, 3) + 0.1 * seeded_normal(2, 2, 3, seed=4)).astype(np.float32)
    (xa, xb), (ta, tb) = as_both(x, requires_grad=True), as_both(th, requires_grad=True)
    ya = F.grid_sample(xa, F.affine_grid(ta, (2, 3, 5, 4), False), "bilinear", "border", False)
    yb = TF.grid_sample(xb, TF.affine_grid(tb, (2, 3, 5, 4), False), "bilinear", "border", False)
    close(ya, yb, 2e-5)
    ya.square().sum().backward()
    yb.square().sum().backward()
    close(xa.grad, xb.grad, 1e-4)
    close(ta.grad, tb.grad, 1e-3)


# ====================================================================== pdist, channel_shuffle
@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist(p):
    x = seeded_normal(6, 3)
    x[4] = x[1]  # a pair at distance 0
    xa, xb = as_both(x, requires_grad=True)
    ya, yb = F.pdist(xa, p), TF.pdist(xb, p)
    close(ya, yb)
    assert name(ya) == name(yb)
    go = seeded_normal(*yb.shape, seed=5)
    ya.backward(tg.tensor(go))
    yb.backward(torch.tensor(go))
    close(xa.grad, xb.grad)


@pytest.mark.parametrize("make", [
    lambda m, f: f.pdist(m.randn(2, 3, 4)),
    lambda m, f: f.pdist(m.randn(2, 3), p=-1),
    lambda m, f: f.pdist(m.zeros(2, 3, dtype=m.int64)),
    lambda m, f: f.channel_shuffle(m.randn(2, 6, 2, 2), 4),
    lambda m, f: f.channel_shuffle(m.randn(2, 6, 2, 2), 0),
    lambda m, f: f.channel_shuffle(m.randn(2, 6, 2, 2), -1),
    lambda m, f: f.channel_shuffle(m.randn(2, 6), 3),
    lambda m, f: f.channel_shuffle(m.randn(6), 3),
])
def test_pdist_shuffle_errors(make):
    assert_same_error(lambda: make(tg, F), lambda: make(torch, TF))


def test_channel_shuffle():
    xa, xb = as_both(seeded_normal(2, 12, 3, 2), requires_grad=True)
    ya, yb = nn.ChannelShuffle(4)(xa), torch.nn.ChannelShuffle(4)(xb)
    close(ya, yb)
    assert name(ya) == name(yb) and repr(nn.ChannelShuffle(4)) == repr(torch.nn.ChannelShuffle(4))
    go = seeded_normal(2, 12, 3, 2, seed=6)
    ya.backward(tg.tensor(go))
    yb.backward(torch.tensor(go))
    close(xa.grad, xb.grad)


# ====================================================================== the rest
def test_triplet_margin_with_distance_loss_and_module():
    arrs = [seeded_normal(5, 4, seed=s) for s in range(3)]
    ta, tb = zip(*(as_both(a, requires_grad=True) for a in arrs))
    for red in ("mean", "sum", "none"):
        for kw_a, kw_b in [({}, {}), (dict(distance_function=nn.PairwiseDistance(p=1.0), margin=0.5, swap=True),
                                      dict(distance_function=torch.nn.PairwiseDistance(p=1.0), margin=0.5, swap=True))]:
            ya = nn.TripletMarginWithDistanceLoss(reduction=red, **kw_a)(*ta)
            yb = torch.nn.TripletMarginWithDistanceLoss(reduction=red, **kw_b)(*tb)
            close(ya, yb)
            ya.sum().backward()
            yb.sum().backward()
            for a, b in zip(ta, tb):
                close(a.grad, b.grad)
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(torch.nn.TripletMarginWithDistanceLoss())
    assert_same_error(lambda: nn.TripletMarginWithDistanceLoss(margin=0),
                      lambda: torch.nn.TripletMarginWithDistanceLoss(margin=0))
    for make in (lambda m, f: f.triplet_margin_with_distance_loss(m.randn(2, 3), m.randn(2, 3), m.randn(3)),
                 lambda m, f: f.triplet_margin_with_distance_loss(m.randn(2, 3), m.randn(2, 3), m.randn(2, 3),
                                                                  margin=-1.5),
                 lambda m, f: f.triplet_margin_with_distance_loss(m.randn(2, 3), m.randn(2, 3), m.randn(2, 3),
                                                                  reduction="avg")):
        assert_same_error(lambda: make(tg, F), lambda: make(torch, TF))


def test_gumbel_softmax_grad_fns_and_warning():
    la, lb = as_both(seeded_normal(3, 5), requires_grad=True)
    assert name(F.gumbel_softmax(la)) == name(TF.gumbel_softmax(lb))
    assert name(F.gumbel_softmax(la, hard=True)) == name(TF.gumbel_softmax(lb, hard=True))
    for fn, t in ((F.gumbel_softmax, la), (TF.gumbel_softmax, lb)):
        with pytest.warns(UserWarning, match="^`eps` parameter is deprecated and has no effect.$"):
            fn(t, eps=0.1)


@pytest.mark.parametrize("fname,shape,args", [
    ("max_pool1d_with_indices", (2, 3, 7), (3, 2, 1)), ("max_pool2d_with_indices", (2, 3, 6, 5), (2,)),
    ("max_pool3d_with_indices", (1, 2, 4, 5, 4), (2, 1)), ("adaptive_max_pool1d_with_indices", (2, 3, 7), (3,)),
    ("adaptive_max_pool2d_with_indices", (2, 3, 6, 5), ((2, 3),)),
    ("adaptive_max_pool3d_with_indices", (1, 2, 4, 5, 4), (2,)),
])
def test_with_indices(fname, shape, args):
    xa, xb = as_both(seeded_normal(*shape), requires_grad=True)
    (oa, ia), (ob, ib) = getattr(F, fname)(xa, *args), getattr(TF, fname)(xb, *args)
    close(oa, ob)
    np.testing.assert_array_equal(ia.numpy(), ib.numpy())
    assert name(oa) == name(ob)


def test_deprecated_upsample_functions():
    xa, xb = as_both(seeded_normal(1, 2, 3, 2), requires_grad=True)
    for fname, kw in (("upsample_nearest", dict(scale_factor=2)), ("upsample_bilinear", dict(size=(4, 5)))):
        with warnings.catch_warnings(record=True) as wa:
            warnings.simplefilter("always")
            ya = getattr(F, fname)(xa, **kw)
        with warnings.catch_warnings(record=True) as wb:
            warnings.simplefilter("always")
            yb = getattr(TF, fname)(xb, **kw)
        assert [(w.category, str(w.message)) for w in wa] == [(w.category, str(w.message)) for w in wb]
        close(ya, yb)
        assert name(ya) == name(yb)


@pytest.mark.parametrize("alias", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                                   "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_init_deprecated_aliases(alias):
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(alias, ())
    shape = (3, 3, 1) if alias == "dirac" else (3, 3)
    msgs = []
    for mod, init in ((tg, nn.init), (torch, torch.nn.init)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(init, alias)(mod.empty(*shape), *args)
        msgs.append([(x.category, str(x.message)) for x in w])
    assert msgs[0] == msgs[1]


def test_rnn_cell_base():
    assert [c.__name__ for c in nn.RNNCell.__mro__] == [c.__name__ for c in torch.nn.RNNCell.__mro__]
    for args in ((3, 4, True, 2), (3, 4, False, 3)):
        a, b = nn.RNNCellBase(*args), torch.nn.RNNCellBase(*args)
        assert repr(a) == repr(b)
        assert {k: tuple(v.shape) for k, v in a.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in b.state_dict().items()}


# ====================================================================== avg_pool checks
@pytest.mark.parametrize("make", [
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), 5),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 5),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), (4, 1)),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), 2, stride=0),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 2, stride=0),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), 0),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 0, stride=1),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), 2, padding=2),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 2, padding=2),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 2, padding=-1),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), 2, stride=-1),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 2, stride=-1),
    lambda m, f: f.avg_pool1d(m.zeros(1, 2, 3, dtype=m.int32), 2),
    lambda m, f: f.avg_pool2d(m.zeros(1, 2, 3, 3, dtype=m.uint8), 2),
    lambda m, f: f.avg_pool2d(m.zeros(1, 2, 3, 3, dtype=m.bool), 2),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 3), (2, 2, 2)),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), (2, 2, 2)),
    lambda m, f: f.avg_pool1d(m.randn(3), 1),
    lambda m, f: f.avg_pool2d(m.randn(3), 1),
    lambda m, f: f.avg_pool1d(m.randn(1, 2, 0), 1),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 0, 3), 1),
    lambda m, f: f.avg_pool2d(m.randn(1, 2, 3, 3), 2, divisor_override=0),
])
def test_avg_pool_errors(make):
    assert_same_error(lambda: make(tg, F), lambda: make(torch, TF))


@pytest.mark.parametrize("kw", [dict(), dict(padding=1), dict(padding=1, count_include_pad=False),
                                dict(ceil_mode=True), dict(stride=1)])
def test_avg_pool_long_input(kw):
    x = np.array([[[-7, 2, 5, 9, -3]]])
    a = F.avg_pool1d(tg.tensor(x), 2, **kw)
    b = TF.avg_pool1d(torch.tensor(x), 2, **kw)
    assert a.dtype == tg.int64 and a.tolist() == b.tolist()
