"""Higher derivatives that PINN code takes through a network: relu's and square's backward keep
the graph to the input, so a derivative that is zero comes back as zeros (PyTorch's answer) and
not as "appears to not have been used in the graph"."""
import numpy as np
import pytest

import tensorgraft as tg


def _x():
    return tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)


def test_relu_second_derivative_is_zeros_through_the_input():
    x = _x()
    g, = tg.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.grad_fn.name() == "ThresholdBackwardBackward0"
    np.testing.assert_array_equal(g.detach().numpy(), [1.0, 0.0, 1.0])
    h, = tg.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_array_equal(h.detach().numpy(), [0.0, 0.0, 0.0])
    assert h.grad_fn.name() == "ThresholdBackwardBackward0"  # every further order is zeros too
    h3, = tg.autograd.grad(h.sum(), x)
    np.testing.assert_array_equal(h3.numpy(), [0.0, 0.0, 0.0])


def test_relu_mlp_u_xx_like_a_pinn():
    rng = np.random.default_rng(0)
    w1 = tg.tensor(rng.standard_normal((1, 4)), requires_grad=True)
    w2 = tg.tensor(rng.standard_normal((4, 1)), requires_grad=True)
    x = tg.tensor(np.linspace(-1, 1, 5).reshape(-1, 1), requires_grad=True)
    u = (x @ w1).relu() @ w2
    du, = tg.autograd.grad(u, x, tg.ones_like(u), create_graph=True)
    ddu, = tg.autograd.grad(du, x, tg.ones_like(du), create_graph=True)
    np.testing.assert_array_equal(ddu.detach().numpy(), np.zeros((5, 1)))
    assert ddu.requires_grad


def test_relu_first_backward_unchanged_without_create_graph():
    x = _x()
    g, = tg.autograd.grad(x.relu().sum(), x)
    assert g.grad_fn is None and not g.requires_grad
    np.testing.assert_array_equal(g.numpy(), [1.0, 0.0, 1.0])


def test_threshold_backward_input_gets_zeros_not_none():
    x = _x()
    y = x.relu()
    g, = tg.autograd.grad(y.sum(), x, create_graph=True)
    # g depends on x only through the mask: its gradient w.r.t. x is defined and zero
    h, = tg.autograd.grad((g * 3).sum(), x)
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0, 0.0])


def test_square_third_derivative_is_zeros_like_pow_2():
    for f in (tg.square, lambda z: z ** 2):
        x = _x()
        g, = tg.autograd.grad(f(x).sum(), x, create_graph=True)
        np.testing.assert_array_equal(g.detach().numpy(), [1.0, -2.0, 4.0])
        assert g.grad_fn.name() == "MulBackward0"
        h, = tg.autograd.grad(g.sum(), x, create_graph=True)
        np.testing.assert_array_equal(h.detach().numpy(), [2.0, 2.0, 2.0])
        assert h.grad_fn.name() == "MulBackward0"
        h3, = tg.autograd.grad(h.sum(), x, create_graph=True)
        np.testing.assert_array_equal(h3.detach().numpy(), [0.0, 0.0, 0.0])
        assert h3.grad_fn is None
        with pytest.raises(RuntimeError, match="does not require grad"):
            tg.autograd.grad(h3.sum(), x)


def test_square_complex_gradient_is_conjugated():
    z = tg.tensor([1 + 2j, -0.5j], requires_grad=True)
    g, = tg.autograd.grad(z.square().abs().sum(), z)
    # |z^2| = |z|^2, whose PyTorch gradient is 2z
    np.testing.assert_allclose(g.numpy(), 2 * np.array([1 + 2j, -0.5j]), rtol=1e-6)


# ---------------------------------------------------------------- clamp's backward
@pytest.mark.parametrize("f", [lambda x: x.clamp(min=0), lambda x: x.clamp(0, 1), lambda x: tg.clamp_min(x, 0),
                               lambda x: x.clamp(min=tg.tensor(0.0)), lambda x: tg.clip(x, 0, 5)])
def test_clamped_elements_get_zero_not_nan_from_an_infinite_gradient(f):
    # x.clamp(min=0).sqrt(): sqrt's gradient is inf at 0, and the clamped elements must get 0
    x = tg.tensor([-1.0, 0.0, 0.25], requires_grad=True)
    f(x).sqrt().sum().backward()
    got = x.grad.numpy()
    assert got[0] == 0 and np.isinf(got[1]) and got[2] == pytest.approx(1.0)


def test_clamp_max_clamped_elements_get_zero():
    x = tg.tensor([-4.0, 0.0, 1.0], requires_grad=True)
    (-x.clamp(max=0)).sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[[0, 2]], [-0.25, 0.0])


def test_clamp_tensor_bounds_when_min_exceeds_max():
    x = tg.tensor([-3.0, 0.2, 1.0, 0.0], requires_grad=True)
    lo = tg.tensor([0.3, 0.3, 0.3, 0.5], requires_grad=True)
    hi = tg.tensor([0.1, 0.1, 0.1, 0.5], requires_grad=True)
    tg.clamp(x, lo, hi).sum().backward()
    # lo > hi: the result is hi everywhere; lo == hi > x: neither bound gets the gradient
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0, 0, 0, 0])
    np.testing.assert_array_equal(hi.grad.numpy(), [1, 1, 1, 0])


def test_clamp_double_backward_records_where():
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    g, = tg.autograd.grad((x.clamp(-0.5, 1) ** 3).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "WhereBackward0"
    np.testing.assert_allclose(g.detach().numpy(), [0.0, 0.75, 0.0])


# ---------------------------------------------------------------- norms, std, max: double backward
def _first_grad(f, x):
    g, = tg.autograd.grad(f(x), x, create_graph=True)
    return g


X = [[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]


@pytest.mark.parametrize("f,name", [
    (lambda x: x.norm() ** 3, "MulBackward0"), (lambda x: (x.norm(dim=1) ** 3).sum(), "MulBackward0"),
    (lambda x: x.norm(p=3) ** 3, "MulBackward0"),
    (lambda x: tg.linalg.vector_norm(x, ord=float("inf")) ** 3, "MulBackward0"),
    (lambda x: x.std(1).pow(3).sum(), "MulBackward0"), (lambda x: x.std().pow(3), "MulBackward0"),
    (lambda x: (x.amax(1) ** 3).sum(), "MulBackward0"), (lambda x: x.amin() ** 3, "MulBackward0"),
    (lambda x: x.max() ** 3, "MaskedFillBackward1"), (lambda x: x.median() ** 3, "MaskedFillBackward1"),
])
def test_double_backward_node_names(f, name):
    assert _first_grad(f, tg.tensor(X, requires_grad=True)).grad_fn.name() == name


def test_norm_below_one_is_zero_at_zero_elements():
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    g = _first_grad(lambda x: tg.linalg.vector_norm(x, ord=0.5), x).detach().numpy()
    assert g[1, 1] == 0 and np.isfinite(g).all()
    xn = np.array(X)
    norm = (np.abs(xn) ** 0.5).sum() ** 2
    expected = np.where(xn == 0, 0, np.sign(xn) * np.abs(xn, where=xn != 0, out=np.ones_like(xn)) ** -0.5) * norm ** 0.5
    np.testing.assert_allclose(g, expected)


def test_norm_and_std_of_zeros_have_zero_gradient():
    x = tg.zeros(2, 3, requires_grad=True)
    for f in (lambda x: x.norm(), lambda x: x.norm(p=3), lambda x: x.std(), lambda x: x.std(1).sum()):
        g, = tg.autograd.grad(f(x), x)
        np.testing.assert_array_equal(g.numpy(), np.zeros((2, 3)))


# ---------------------------------------------------------------- maximum/minimum/fmax/fmin
NAN = float("nan")


def _pair_grads(fn, g):
    a = tg.tensor([1.0, 2.0, 3.0, NAN, 1.0, NAN], requires_grad=True)
    b = tg.tensor([2.0, 2.0, 1.0, 1.0, NAN, NAN], requires_grad=True)
    fn(a, b).backward(tg.tensor(g))
    return a.grad.numpy(), b.grad.numpy()


def test_maximum_minimum_split_ties_and_pass_nan_to_both():
    g = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    for fn, ga, gb in [(tg.maximum, [0, 1, 3, 4, 5, 6], [1, 1, 0, 4, 5, 6]),
                       (tg.minimum, [1, 1, 0, 4, 5, 6], [0, 1, 3, 4, 5, 6])]:
        a, b = _pair_grads(fn, g)
        np.testing.assert_array_equal(a, ga)
        np.testing.assert_array_equal(b, gb)


def test_fmax_fmin_give_ties_to_the_first_and_skip_the_nan_side():
    g = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    for fn, ga, gb in [(tg.fmax, [0, 2, 3, 0, 5, 6], [1, 0, 0, 4, 0, 0]),
                       (tg.fmin, [1, 2, 0, 0, 5, 6], [0, 0, 3, 4, 0, 0])]:
        a, b = _pair_grads(fn, g)
        np.testing.assert_array_equal(a, ga)
        np.testing.assert_array_equal(b, gb)


def test_maximum_side_not_taken_gets_zero_from_an_infinite_gradient():
    x = tg.tensor([-1.0, 0.0, 0.25], requires_grad=True)
    tg.maximum(x, tg.zeros(3)).sqrt().sum().backward()
    assert x.grad.numpy()[0] == 0 and not np.isnan(x.grad.numpy()).any()
    g, = tg.autograd.grad((tg.maximum(x, tg.tensor(0.1)) ** 2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "MaskedFillBackward0"


@pytest.mark.parametrize("f", ["max", "min", "median"])
def test_full_max_of_nans_sends_the_gradient_to_the_nans(f):
    x = tg.tensor([NAN, 2.0, NAN, 1.0], requires_grad=True)
    getattr(x, f)().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0, 0.5, 0.0])


def test_cumsum_backward_keeps_small_tail_sums_in_float32():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x.cumsum(0).backward(tg.tensor([1e8, 1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), np.float32([1e8 + 3, 3, 2, 1]))
    x.grad = None
    x.cumprod(0).backward(tg.tensor([1e8, 1.0, 1.0, 1.0]))
    # grad_3 = g_3 * 24 / 4: no cancellation against the 1e8 term
    assert x.grad.numpy()[3] == 6.0


def test_cumsum_double_backward_records_flip():
    y = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g, = tg.autograd.grad((y.cumsum(1) ** 2).sum(), y, create_graph=True)
    assert g.grad_fn.name() == "FlipBackward0"
    np.testing.assert_array_equal(g.detach().numpy(), [[8.0, 6.0], [20.0, 14.0]])


# ---------------------------------------------------------------- overwritten entries, xlogy
INF = float("inf")


def _set_row(x):
    y = x.clone()
    y[0] = 5.0
    return y


def _set_col(x):
    y = x.clone()
    y[:, 0] = 5.0
    return y


def _set_mask(x):
    y = x.clone()
    y[y > 0] = 0.0
    return y


def _set_slice(x):
    y = x.clone()
    y[0, 1:] = tg.tensor([7.0, 8.0])
    return y


@pytest.mark.parametrize("f,kept", [
    (lambda x: x.index_put((tg.tensor([0]),), tg.tensor(5.0)), [[0, 0, 0], [1, 1, 1]]),
    (_set_row, [[0, 0, 0], [1, 1, 1]]), (_set_col, [[0, 1, 1], [0, 1, 1]]),
    (_set_mask, [[1, 1, 0], [0, 0, 1]]), (_set_slice, [[1, 0, 0], [1, 1, 1]]),
])
def test_overwritten_entries_get_zero_from_an_infinite_gradient(f, kept):
    x = tg.tensor([[-1.5, 0.0, 2.0], [0.5, 1.0, -3.0]], requires_grad=True)
    y = f(x)
    y.backward(tg.full_like(y, INF))
    kept = np.array(kept, dtype=bool)
    got = x.grad.numpy()
    assert (got[~kept] == 0).all() and np.isinf(got[kept]).all()


def test_xlogy_gradient_is_xlogy_of_the_gradient():
    a = tg.tensor([0.0, 0.0, 0.0, 1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0, 0.0, -1.0, 2.0, 0.5], requires_grad=True)
    y = tg.xlogy(a, b)
    y.backward(tg.full_like(y, INF))
    got = a.grad.numpy()
    # inf * log 1 is NaN (nothing masks it); a == 0 with b <= 0 is masked to 0
    assert np.isnan(got[0]) and got[1] == 0 and got[2] == 0
    assert got[3] == INF and got[4] == -INF
    a.grad = None
    tg.xlogy(a, b).backward(tg.ones(5))
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 0.0, 0.0, np.log(2), np.log(0.5)], rtol=1e-6)


@pytest.mark.parametrize("p", [2.0, 3.0, 0.5])
def test_cdist_zero_distance_pair_contributes_zero_under_an_infinite_gradient(p):
    x = tg.tensor([[-1.5, 0.0, 0.0]], requires_grad=True)
    y = tg.cdist(x, tg.tensor([[-1.5, 0.0, 0.0], [0.5, 2.0, -3.0]]), p=p)
    y.backward(tg.full_like(y, INF))
    got = x.grad.numpy()[0]
    # only the second pair counts: its differences (-2, -2, 3) give -inf, -inf, +inf
    np.testing.assert_array_equal(got, [-INF, -INF, INF])


def test_atan2_gradient_at_the_origin_is_zero():
    a = tg.tensor([0.0, 1.0], requires_grad=True)
    b = tg.tensor([0.0, 1.0], requires_grad=True)
    tg.atan2(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, -0.5])


def test_sinc_and_pow0_give_zero_under_an_infinite_gradient():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    tg.sinc(x).backward(tg.tensor([INF, 1.0]))
    assert x.grad.numpy()[0] == 0
    x.grad = None
    (x ** 0).backward(tg.tensor([INF, NAN]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_pow_exponent_gradient_at_a_zero_base_masks_before_the_gradient():
    a = tg.tensor([0.0, 0.0, 2.0])
    b = tg.tensor([0.0, 2.0, 1.0], requires_grad=True)
    tg.pow(a, b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 2 * np.log(2)], rtol=1e-6)
    b.grad = None
    tg.pow(a, b).backward(tg.full((3,), INF))
    assert np.isnan(b.grad.numpy()[:2]).all()  # inf * 0 where 0 ** b is flat, as PyTorch


def test_xlog1py_gradient_at_zero_self_is_log1p_of_other():
    a = tg.tensor([0.0, 0.0, 1.0], requires_grad=True)
    b = tg.tensor([2.0, -1.0, 1.0], requires_grad=True)
    tg.special.xlog1py(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [np.log(3), 0.0, np.log(2)], rtol=1e-6)


def test_zero_norm_count_has_no_gradient():
    x = tg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    tg.linalg.vector_norm(x, ord=0).backward()
    assert x.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tg.autograd.grad(tg.linalg.vector_norm(x, ord=0), x)
    g, = tg.autograd.grad(tg.linalg.vector_norm(x, ord=0), x, allow_unused=True, materialize_grads=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])
