"""Gradients of the math-gap ops by finite differences (float64), node names, in-place
variants and devices: cov/corrcoef, the trapezoid family, vander, frexp, i0, mvlgamma, dist,
renorm, block_diag, diagflat, cartesian_prod, combinations."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing.oracle import grad_fn_name

RNG = np.random.default_rng(3)


def _leaf(shape, lo=-2.0, hi=2.0, device="cpu"):
    return tg.tensor(RNG.uniform(lo, hi, shape), dtype=tg.float64, device=device, requires_grad=True)


CASES = [
    ("cov", lambda x: tg.cov(x), (3, 5), None),
    ("cov_weights", lambda x: tg.cov(x, fweights=tg.tensor([1, 2, 1, 3, 1], device=x.device),
                                     aweights=tg.tensor([0.5, 1.0, 2.0, 0.25, 1.5], dtype=tg.float64,
                                                        device=x.device)), (2, 5), None),
    ("corrcoef", lambda x: tg.corrcoef(x), (3, 5), None),
    ("trapezoid", lambda x: tg.trapezoid(x, dx=0.5), (3, 4), None),
    ("trapezoid_x", lambda x: tg.trapezoid(x[:, :3], x[0, 1:] * 3), (2, 4), None),
    ("cumulative_trapezoid", lambda x: tg.cumulative_trapezoid(x, dim=0), (3, 4), None),
    ("cumulative_trapezoid_x", lambda x: tg.cumulative_trapezoid(x[1:], x[0], dim=1), (3, 4), None),
    ("vander", lambda x: tg.vander(x), (4,), None),
    ("vander_increasing", lambda x: tg.vander(x, 5, True), (3,), None),
    ("frexp", lambda x: tg.frexp(x).mantissa, (2, 3), None),
    ("i0", lambda x: tg.i0(x), (2, 3), (-4.0, 4.0)),
    ("mvlgamma", lambda x: tg.mvlgamma(x, 3), (2, 3), (1.5, 4.0)),
    ("dist", lambda x: tg.dist(x[0], x[1]), (2, 4), None),
    ("dist_p1", lambda x: tg.dist(x[0], x[1:], 1), (3, 4), None),
    ("dist_p3", lambda x: tg.dist(x[0], x[1], 3.0), (2, 4), None),
    ("dist_pinf", lambda x: tg.dist(x[0], x[1], math.inf), (2, 4), None),
    ("renorm", lambda x: tg.renorm(x, 2, 0, 1.5), (3, 4), None),
    ("renorm_p3", lambda x: x.renorm(3.0, 1, 1.0), (3, 4), None),
    ("renorm_inf", lambda x: x.renorm(math.inf, 0, 1.0), (3, 4), None),
    ("renorm_", lambda x: (x * 1).renorm_(2, 1, 1.0), (3, 4), None),
    ("block_diag", lambda x: tg.block_diag(x[:2], x[2], x[0, 0]), (3, 3), None),
    ("diagflat", lambda x: tg.diagflat(x, 1), (2, 2), None),
    ("cartesian_prod", lambda x: tg.cartesian_prod(x[0], x[1, :2]), (2, 3), None),
    ("combinations", lambda x: tg.combinations(x, 3, True), (4,), None),
    ("i0_", lambda x: tg.i0_(x * 1), (2, 3), None),
    ("mvlgamma_", lambda x: (x * 1).mvlgamma_(2), (2, 3), (1.5, 4.0)),
    ("polygamma_", lambda x: (x * 1).polygamma_(1), (2, 3), (0.5, 3.0)),
    ("float_power_", lambda x: (x * 1).float_power_(3), (2, 3), (0.5, 2.0)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    if case[0] in ("i0", "mvlgamma", "i0_", "mvlgamma_", "polygamma_"):
        pytest.importorskip("scipy")
    _, fn, shape, rng = case
    x = _leaf(shape, *(rng or (-2.0, 2.0)))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


NODES = [
    (lambda x: tg.cov(x), "SqueezeBackward0"), (lambda x: tg.corrcoef(x), "ClampBackward1"),
    (lambda x: tg.cumulative_trapezoid(x), "CumsumBackward0"), (lambda x: tg.vander(x[0]), "FlipBackward0"),
    (lambda x: tg.frexp(x).mantissa, "FrexpBackward0"), (lambda x: tg.i0(x), "I0Backward0"),
    (lambda x: tg.mvlgamma(x + 3, 2), "MvlgammaBackward0"), (lambda x: tg.dist(x, x[0].detach()), "DistBackward0"),
    (lambda x: x.renorm(2, 0, 1.0), "RenormBackward0"), (lambda x: tg.block_diag(x, x), "BlockDiagBackward0"),
    (lambda x: x.diagflat(), "DiagEmbedBackward0"), (lambda x: tg.combinations(x[0]), "StackBackward0"),
    (lambda x: tg.cartesian_prod(x[0], x[1]), "StackBackward0"),
    (lambda x: (x + 3).polygamma_(1), "PolygammaBackward1"), (lambda x: tg.xlogy(x, 2.0), "XlogyBackward2"),
    (lambda x: tg.xlogy(2.0, x), "XlogyBackward1"), (lambda x: tg.xlogy(x, x), "XlogyBackward0"),
    (lambda x: tg.i0_(x * 1), "I0Backward0"), (lambda x: (x * 1).renorm_(2, 0, 1.0), "RenormBackward0"),
]


@pytest.mark.parametrize("case", NODES, ids=[c[1] + str(i) for i, c in enumerate(NODES)])
def test_node_names(case):
    fn, name = case
    assert grad_fn_name(fn(_leaf((2, 3), 0.5, 2.0))) == name


def test_no_grad_and_non_differentiable():
    x = _leaf((2, 3))
    with tg.no_grad():
        assert not tg.cov(x).requires_grad and not tg.dist(x, x).requires_grad
    m, e = tg.frexp(x)
    assert m.requires_grad and not e.requires_grad and e.dtype == tg.int32
    for out in (tg.histc(x, 3), tg.isin(x, x)):
        assert not out.requires_grad
    # PyTorch records these on nodes without a derivative: they require grad, backward raises
    for out in (tg.histogram(x, 3).hist, tg.unique_consecutive(x)):
        assert out.requires_grad
    g, = tg.autograd.grad(tg.dist(x, x.detach() + 1, 0), x, allow_unused=True)
    assert g is None  # p = 0: no gradient, as PyTorch


def test_inplace_on_leaf_refused():
    x = _leaf((2, 3), 0.5, 2.0)
    for fn in (lambda t: t.renorm_(2, 0, 1.0), lambda t: t.mvlgamma_(1), lambda t: t.polygamma_(1),
               lambda t: t.float_power_(2), lambda t: tg.i0_(t)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn(x)


def test_inplace_matches_out_of_place():
    pytest.importorskip("scipy")
    base = RNG.uniform(1.5, 3.0, (3, 4))
    pairs = [(lambda t: t.renorm_(2, 0, 1.0), lambda t: t.renorm(2, 0, 1.0)),
             (lambda t: t.mvlgamma_(2), lambda t: t.mvlgamma(2)),
             (lambda t: t.polygamma_(2), lambda t: tg.polygamma(2, t)),
             (lambda t: t.float_power_(1.5), lambda t: tg.float_power(t, 1.5)),
             (lambda t: tg.i0_(t), lambda t: tg.i0(t))]
    for inplace, plain in pairs:
        a = tg.tensor(base, dtype=tg.float64, requires_grad=True)
        b = tg.tensor(base, dtype=tg.float64, requires_grad=True)
        h = a * 1
        r = inplace(h)
        assert r is h and h._version == 1
        (h * h).sum().backward()
        (plain(b) ** 2).sum().backward()
        np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-10)


DEVICE_CASES = [c for c in CASES if c[0] not in ("i0", "mvlgamma", "i0_", "mvlgamma_", "polygamma_")]


@pytest.mark.parametrize("case", DEVICE_CASES, ids=[c[0] for c in DEVICE_CASES])
def test_devices_agree_with_cpu(case, tg_device):
    _, fn, shape, rng = case
    lo, hi = rng or (-2.0, 2.0)
    data = RNG.uniform(lo, hi, shape)
    a = tg.tensor(data, dtype=tg.float64, requires_grad=True)
    b = tg.tensor(data, dtype=tg.float64, device=tg_device, requires_grad=True)
    ra, rb = fn(a), fn(b)
    assert rb.device.type == tg_device
    np.testing.assert_allclose(np.asarray(rb.detach().cpu()), np.asarray(ra.detach()), rtol=1e-10, atol=1e-12)
    w = RNG.uniform(0.5, 1.5, tuple(ra.shape))
    (ra * tg.tensor(w)).sum().backward()
    (rb * tg.tensor(w, device=tg_device)).sum().backward()
    np.testing.assert_allclose(np.asarray(b.grad.cpu()), np.asarray(a.grad), rtol=1e-9, atol=1e-12)
