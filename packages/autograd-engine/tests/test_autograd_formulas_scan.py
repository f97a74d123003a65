"""gradcheck / gradgradcheck (float64) of the scan, statistics and distance ops, and the gradients'
behaviour where finite differences cannot look (huge values, zero distances)."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.ops.distance import DISTANCE_OPS
from tensorgraft.ops.scan import SCAN_OPS
from tensorgraft.ops.statistics import STATISTICS_OPS


def _x(*shape, seed=1):
    tg.manual_seed(seed)
    return tg.randn(*shape, dtype=tg.float64, requires_grad=True)


Q = tg.tensor([0.15, 0.55, 0.8], dtype=tg.float64)

CASES = [
    ("cummax", lambda x: x.cummax(1).values),
    ("cummax_dim0", lambda x: tg.cummax(x, 0)[0]),
    ("cummin", lambda x: x.cummin(-1).values),
    ("logcumsumexp", lambda x: x.logcumsumexp(1)),
    ("logcumsumexp_dim0", lambda x: tg.logcumsumexp(x * 3, 0)),
    ("diff", lambda x: x.diff()),
    ("diff_n2_prepend", lambda x: tg.diff(x, 2, 0, prepend=x[:1] * 2)),
    ("quantile", lambda x: x.quantile(0.35)),
    ("quantile_dim", lambda x: tg.quantile(x, Q, 1, keepdim=True)),
    ("quantile_midpoint", lambda x: tg.quantile(x, 0.6, 0, interpolation="midpoint")),
    ("quantile_lower", lambda x: tg.quantile(x, Q, 0, interpolation="lower")),
    ("nanquantile", lambda x: tg.nanquantile(x, Q, -1)),
    ("cdist", lambda x: tg.cdist(x, x[:2] * 0.5 + 0.1)),
    ("cdist_p1", lambda x: tg.cdist(x, x.flip(0) + 0.3, 1)),
    ("cdist_pinf", lambda x: tg.cdist(x[None], x[None, :2] + 0.25, math.inf)),
    ("cdist_p1_5", lambda x: tg.cdist(x, x[1:] ** 2, 1.5)),
    ("cdist_p0_7", lambda x: tg.cdist(x, x[1:] ** 2, 0.7)),
    ("cdist_mm", lambda x: tg.cdist(x, x[:2] - 0.2, compute_mode="use_mm_for_euclid_dist")),
    ("ravel", lambda x: x.t().ravel()),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    _, fn = case
    assert gradcheck(fn, (_x(4, 5),))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradgradcheck(case):
    _, fn = case
    assert gradgradcheck(lambda t: fn(t) ** 2, (_x(4, 5),))


def test_quantile_gradient_reaches_q():
    q = Q.clone().requires_grad_(True)
    x = _x(4, 5).detach()
    assert gradcheck(lambda qq: tg.quantile(x, qq, 1), (q,))
    assert gradcheck(lambda qq: tg.nanquantile(x, qq, 0), (q,))
    assert gradgradcheck(lambda qq: tg.quantile(x, qq) ** 2, (q,))


def test_cdist_gradient_reaches_both_inputs_through_batches():
    a, b = _x(2, 1, 3, 2, seed=4), _x(4, 5, 2, seed=5)
    assert gradcheck(lambda u, v: tg.cdist(u, v), (a, b))
    assert gradcheck(lambda u, v: tg.cdist(u, v, 3.0), (a, b))
    assert gradgradcheck(lambda u, v: tg.cdist(u, v, 1.25) ** 2, (a, b))


def test_cdist_zero_distance_has_zero_gradient():
    x = tg.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=tg.float64, requires_grad=True)
    for p in (0.5, 1.0, 2.0, 3.0, math.inf):
        x.grad = None
        tg.cdist(x, x.detach()[:1], p).sum().backward()
        assert np.isfinite(np.asarray(x.grad)).all()
        assert np.asarray(x.grad)[0].tolist() == [0.0, 0.0], p


def test_logcumsumexp_gradient_is_finite_for_huge_values():
    x = tg.tensor([[-1000.0, 0.0, 1000.0, 999.0]], dtype=tg.float64, requires_grad=True)
    g = tg.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=tg.float64)
    x.logcumsumexp(1).backward(g)
    # grad_j = sum_{i >= j} g_i exp(x_j - out_i), every exponent <= 0
    xs = np.asarray(x.detach())[0]
    out = np.logaddexp.accumulate(xs)
    want = [sum(g.tolist()[0][i] * math.exp(xs[j] - out[i]) for i in range(j, 4)) for j in range(4)]
    np.testing.assert_allclose(np.asarray(x.grad)[0], want, rtol=1e-12, atol=1e-300)


def test_cummax_gradient_goes_to_the_reported_index():
    x = tg.tensor([[1.0, 3.0, 2.0, 3.0, 0.5]], requires_grad=True)
    r = x.cummax(1)
    r.values.backward(tg.tensor([[1.0, 10.0, 100.0, 1000.0, 10000.0]]))
    assert r.indices.tolist() == [[0, 1, 1, 3, 3]]
    assert x.grad.tolist() == [[1.0, 110.0, 0.0, 11000.0, 0.0]]
    assert type(r.values.grad_fn).__name__ == "CummaxBackward0"
    assert r.indices.requires_grad is False


def test_every_differentiable_op_has_a_formula_or_is_composite():
    for op in SCAN_OPS + STATISTICS_OPS + DISTANCE_OPS:
        if op.differentiable and not op.extra.get("composite"):
            assert op.formula is not None, op.name
