"""Fixes found by the sci_* programs (tests/programs): distribution parameters kept as given,
MultivariateNormal validating before it factors, and the samplers' PyTorch-order draws."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.distributions import (Beta, Binomial, Categorical, Cauchy, Dirichlet, Exponential, Gamma,
                                       MultivariateNormal, Normal, Poisson, VonMises, Wishart)


def test_parameter_of_the_common_shape_is_kept_as_given():
    rng = np.random.default_rng(0)
    mu = tg.tensor(rng.standard_normal((2, 3)))
    sigma = tg.tensor(rng.uniform(0.5, 1.0, (2, 3)))
    d = Normal(mu, sigma)
    assert d.loc is mu and d.scale is sigma
    d = Normal(mu, tg.ones(3, dtype=tg.float64))  # only the smaller one is expanded
    assert d.loc is mu and d.scale.shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\)"):
        Normal(tg.zeros(3), tg.ones(2))


def test_parameter_keeps_its_grad_fn():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    mu = w * 2
    assert type(Normal(mu, tg.ones(2, 2)).loc.grad_fn).__name__ == "MulBackward0"


def test_multivariate_normal_checks_positive_definite_before_cholesky():
    bad = tg.tensor([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="to satisfy the constraint PositiveDefinite()"):
        MultivariateNormal(tg.zeros(2), covariance_matrix=bad)
    with pytest.raises(ValueError, match="precision_matrix"):
        MultivariateNormal(tg.zeros(2), precision_matrix=bad)
    good = MultivariateNormal(tg.zeros(2), covariance_matrix=tg.tensor([[2.0, 0.6], [0.6, 1.0]]))
    assert tg.allclose(good.scale_tril @ good.scale_tril.T, good.covariance_matrix)


def test_single_categorical_draw_is_the_exponential_race():
    # one draw per row: the no-replacement multinomial (the exponential race) PyTorch uses
    p = tg.tensor([0.2, 0.3, 0.5])
    tg.manual_seed(3)
    draws = [Categorical(p).sample().item() for _ in range(20)]
    tg.manual_seed(3)
    race = [tg.multinomial(p, 1).item() for _ in range(20)]
    assert draws == race


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_seeded_samplers_are_reproducible_and_in_range(dtype):
    def draw():
        tg.manual_seed(11)
        return (Gamma(tg.tensor([0.3, 2.0, 9.0], dtype=dtype), tg.tensor(1.5, dtype=dtype)).sample((50,)),
                Beta(tg.tensor(0.5, dtype=dtype), tg.tensor(2.0, dtype=dtype)).sample((50,)),
                Dirichlet(tg.tensor([1.0, 2.0, 0.5], dtype=dtype)).sample((20,)),
                Poisson(tg.tensor([0.5, 3.0, 40.0], dtype=dtype)).sample((50,)),
                Exponential(tg.tensor(2.0, dtype=dtype)).rsample((50,)),
                Cauchy(tg.tensor(0.0, dtype=dtype), tg.tensor(1.0, dtype=dtype)).rsample((50,)))
    first, second = draw(), draw()
    for a, b in zip(first, second):
        assert a.dtype == dtype and tg.equal(a, b)
    gamma, beta, dirichlet, poisson, expo, _ = first
    assert bool((gamma > 0).all()) and bool(((beta > 0) & (beta < 1)).all()) and bool((expo > 0).all())
    assert tg.allclose(dirichlet.sum(-1), tg.ones(20, dtype=dtype))
    assert tg.equal(poisson, poisson.round()) and bool((poisson >= 0).all())
    # sample means near the law's (loose: 50 draws)
    assert abs(poisson[:, 2].mean().item() - 40.0) < 6.0


def test_gamma_sample_mean_matches_law():
    tg.manual_seed(0)
    x = Gamma(tg.tensor(3.0, dtype=tg.float64), tg.tensor(2.0, dtype=tg.float64)).sample((4000,))
    assert abs(x.mean().item() - 1.5) < 0.06 and abs(x.var().item() - 0.75) < 0.1


def test_exponential_and_cauchy_rsample_carry_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    rate = tg.tensor(2.0, requires_grad=True)
    tg.manual_seed(0)
    x = Exponential(rate).rsample((5,))
    x.sum().backward()
    assert tg.allclose(rate.grad, -(x.detach() / rate.detach()).sum())  # d(e / rate)/d rate = -x / rate
    loc, scale = tg.tensor(1.0, requires_grad=True), tg.tensor(2.0, requires_grad=True)
    y = Cauchy(loc, scale).rsample((4,))
    y.sum().backward()
    assert loc.grad.item() == 4.0
    assert tg.allclose(scale.grad, ((y.detach() - 1.0) / 2.0).sum())


def test_window_ramp_is_scaled_in_the_window_dtype():
    # the float32 Blackman window's ends cancel to float32 rounding error, not to float64's
    w = tg.blackman_window(5)
    assert w[0].item() == pytest.approx(-2.9802322e-08, rel=1e-6)
    assert abs(tg.blackman_window(5, dtype=tg.float64)[0].item()) < 1e-16
    # periodic = the symmetric window one longer, without its last point
    assert tg.equal(tg.hann_window(7), tg.hann_window(8, periodic=False)[:7])
    assert tg.equal(tg.bartlett_window(5, periodic=False), tg.tensor([0.0, 0.5, 1.0, 0.5, 0.0]))


def test_window_options_follow_the_overloads():
    assert tg.allclose(tg.hamming_window(6, True, 0.5, 0.5), tg.hann_window(6))
    assert tg.allclose(tg.hamming_window(6, True, 0.5), tg.hann_window(6) * 0.92 + 0.04)
    assert tg.allclose(tg.hamming_window(6, periodic=False, alpha=0.5, beta=0.5), tg.hann_window(6, False))
    w = tg.kaiser_window(6, False, 8.0, dtype=tg.float64)
    assert w.dtype == tg.float64
    with pytest.raises(TypeError, match=r"kaiser_window\(\) received an invalid combination of arguments - "
                                        r"got \(int, beta=float\), but expected one of:\n \* \(int window_length, \*"):
        tg.kaiser_window(6, beta=8.0)
    with pytest.raises(TypeError, match=r"got \(int, bool, dtype=torch.dtype, beta=float\)"):
        tg.hamming_window(6, True, beta=0.5, dtype=tg.float64)
    with pytest.raises(TypeError, match=r"got \(int, bool, float, float, float\)"):
        tg.hamming_window(6, True, 0.5, 0.3, 0.1)


def test_window_factories_take_requires_grad():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    w = tg.kaiser_window(6, False, 8.0, dtype=tg.float64, requires_grad=True)
    assert w.dtype == tg.float64 and w.requires_grad


def test_binomial_counts_follow_the_law():
    tg.manual_seed(0)
    n = tg.tensor([[0.0, 4.0, 30.0, 400.0]], dtype=tg.float64)
    p = tg.tensor([[0.5, 0.7, 0.2, 0.95]], dtype=tg.float64)
    x = Binomial(n, p).sample((3000,))
    assert tg.equal(x, x.round()) and bool((x >= 0).all()) and bool((x <= n).all())
    assert tg.equal(x[:, 0, 0], tg.zeros(3000, dtype=tg.float64))
    # both methods (inversion below n min(p, q) = 10, BTRS above) and the p > 1/2 reflection
    assert tg.allclose(x.mean(0), n * p, rtol=0.03, atol=0.1)
    assert tg.allclose(x.var(0), n * p * (1 - p), rtol=0.15, atol=0.1)
    assert tg.equal(Binomial(tg.tensor(7.0), tg.tensor(1.0)).sample((2,)), tg.tensor([7.0, 7.0]))


def test_von_mises_and_wishart_samples_follow_their_laws():
    tg.manual_seed(0)
    x = VonMises(tg.tensor(1.0, dtype=tg.float64), tg.tensor(4.0, dtype=tg.float64)).sample((4000,))
    assert bool(((x >= -np.pi) & (x < np.pi)).all())
    mean_cos = tg.cos(x - 1.0).mean().item()
    assert abs(mean_cos - 0.8635) < 0.02  # I1(4) / I0(4)
    S = tg.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=tg.float64)
    W = Wishart(tg.tensor(6.0, dtype=tg.float64), covariance_matrix=S).sample((3000,))
    assert tg.allclose(W.mean(0), 6.0 * S, rtol=0.05, atol=0.1)
    assert tg.equal(W, W.mT)


def test_scalar_bernoulli_sample_is_zero_dimensional():
    from tensorgraft.distributions import Bernoulli
    p = tg.tensor([0.25, 0.55, 0.6])
    assert Bernoulli(p[1]).sample().shape == ()
    assert Bernoulli(tg.tensor(0.3)).sample((2, 3)).shape == (2, 3)
    assert Bernoulli(p).sample().shape == (3,)
    alpha = tg.ones(3)
    alpha[1] += Bernoulli(p[1]).sample()  # the bandit update that needs the 0-d sample
    assert alpha.shape == (3,)


def test_linalg_out_is_written_and_returned():
    A = tg.tensor([[4.0, 1.0], [1.0, 3.0]])
    o = tg.empty(2, 2)
    assert tg.linalg.inv(A, out=o) is o and tg.allclose(o @ A, tg.eye(2))
    o = tg.empty(2, 1)
    r = tg.linalg.solve_triangular(A.triu(), tg.ones(2, 1), upper=True, out=o)
    assert r is o and tg.allclose(A.triu() @ o, tg.ones(2, 1))
    w, v = tg.empty(0), tg.empty(0)  # empty outs take the result's shape without a warning
    res = tg.linalg.eigh(A, out=(w, v))
    assert type(res).__name__ == "linalg_eigh_out" and res.eigenvalues is w and res.eigenvectors is v
    assert tg.allclose(v @ tg.diag(w) @ v.T, A, atol=1e-5)
    sign, logabs = tg.empty(()), tg.empty(())
    tg.linalg.slogdet(A, out=(sign, logabs))
    assert sign.item() == 1.0 and abs(logabs.item() - np.log(11.0)) < 1e-5
    o = tg.empty(3)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        tg.linalg.svdvals(A, out=o)
    assert o.shape == (2,)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double instead"):
        tg.linalg.det(A, out=tg.empty((), dtype=tg.float64))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Long"):
        tg.linalg.solve_triangular(A, tg.ones(2, 1), upper=True, out=tg.empty(2, 1, dtype=tg.int64))
    o = tg.empty(2, 2, dtype=tg.float64)  # pinv's out may be wider
    assert tg.linalg.pinv(A, out=o).dtype == tg.float64
    with pytest.raises(RuntimeError, match="linalg.pinv: Expected result to be safely castable from Float dtype"):
        tg.linalg.pinv(A, out=tg.empty(2, 2, dtype=tg.int64))


def test_linalg_out_with_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    A = tg.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    o = tg.empty(2, 2)
    with pytest.raises(RuntimeError, match=r"^linalg_inv_ex\(\): functions with out=\.\.\. arguments don't support"):
        tg.linalg.inv(A, out=o)
    assert tg.equal(o, o) and o.grad_fn is None
    o = tg.empty(())  # norm computes, then copies into out: the copy is recorded
    tg.linalg.norm(A, out=o).backward()
    assert type(o.grad_fn).__name__ == "CopyBackwards" and tg.allclose(A.grad, A.detach() / o.detach())


def test_special_argument_errors():
    with pytest.raises(TypeError, match=r"special_polygamma\(\): argument 'n' \(position 1\) must be int, not float"):
        tg.special.polygamma(1.5, tg.ones(1))
    with pytest.raises(TypeError, match="must be int, not bool"):
        tg.special.polygamma(True, tg.ones(1))
    with pytest.raises(TypeError, match=r"got \(int, int\), but expected one of:\n \* \(Tensor input, Tensor other, "
                                        r"\*, Tensor out = None\)\n \* \(Number self, Tensor other"):
        tg.special.xlogy(2, 3)
    with pytest.raises(TypeError, match=r" \* \(Number x, Tensor n, \*, Tensor out = None\)"):
        tg.special.hermite_polynomial_h(2, 3)
    with pytest.raises(TypeError, match=r'^linalg_solve_triangular\(\) missing 1 required positional arguments: "upper"$'):
        tg.linalg.solve_triangular(tg.eye(2), tg.ones(2, 1))


def test_fft_of_real_signal_is_conjugate_mirrored():
    # the two-sided spectrum of a real signal repeats the one-sided half conjugated, so exact
    # zeros mirror with the opposite sign, as PyTorch's fft prints them
    X = tg.fft.fft(tg.ones(4))
    assert str(X) == "tensor([4.+0.j, 0.+0.j, 0.+0.j, 0.-0.j])"
    rng = np.random.default_rng(0)
    for shape, dim in (((7,), 0), ((3, 8), 1), ((8, 3), 0), ((2, 5, 4), 1), ((1,), 0)):
        x = rng.standard_normal(shape)
        assert np.allclose(tg.fft.fft(tg.tensor(x), dim=dim).numpy(), np.fft.fft(x, axis=dim))
        assert np.allclose(tg.fft.ifft(tg.tensor(x), dim=dim).numpy(), np.fft.ifft(x, axis=dim))


def test_geometric_rejects_zero_probability():
    from tensorgraft.distributions import Geometric
    with pytest.raises(ValueError, match=r"to be positive but found invalid values:\ntensor\(\[0\., 0\.\]\)$"):
        Geometric(tg.tensor([0.0, 0.5, 0.0]))
    assert Geometric(tg.tensor([0.0]), validate_args=False).probs.item() == 0.0
    assert Geometric(logits=tg.tensor([-float("inf")])).probs.item() == 0.0


def test_bernoulli_certain_outcomes_round_as_cross_entropy():
    from tensorgraft.distributions import Bernoulli
    lp = Bernoulli(probs=tg.tensor([0.0, 1.0])).log_prob(tg.tensor([0.0, 1.0]))
    assert str(lp) == "tensor([-0.0000e+00, -1.1921e-07])"
    x = tg.tensor([-3.0, 0.0, 2.5], dtype=tg.float64)
    d = Bernoulli(logits=x)
    p = tg.sigmoid(x)
    assert tg.allclose(d.entropy(), -(p * p.log() + (1 - p) * (1 - p).log()))
    assert tg.allclose(d.log_prob(tg.ones(3, dtype=tg.float64)), p.log())
