"""Gaps found by the ``gen_*`` programs' probes (tests/programs): the reparameterized gradient of
Dirichlet and Beta samples (the Dirichlet's implicit gradient, not the one through normalized
Gammas) and the graph Gamma.rsample leaves."""
import math

import pytest

import tensorgraft as tg
import tensorgraft.distributions as D
from tensorgraft.distributions import _sampling

pytest.importorskip("tensorgraft.autograd", reason="sample gradients need the autograd engine")


@pytest.mark.parametrize("alpha, total, x, expected", [
    # values of -(dI_x(a, b)/da) / density / (1 - x), b = total - a, computed to 30 digits
    (0.5, 1.5, 0.2, 0.8047189562170503),
    (0.1, 0.3, 0.9, 31.89168673347003),
    (0.1, 0.3, 0.01, 0.7698368561677527),
    (200.0, 300.0, 0.66, 0.003323058323149696),
    (1.5, 40.0, 0.03, 0.02505698228675313),
    (5.0, 7.0, 0.8, 0.16419140175227967),
    (1.0, 2.0, 0.5, math.log(2)),
])
def test_dirichlet_grad_is_the_implicit_reparameterization(alpha, total, x, expected):
    conc = tg.tensor([[alpha, total - alpha]], dtype=tg.float64)
    g = _sampling._dirichlet_grad(tg.tensor([[x, 1 - x]], dtype=tg.float64), conc)
    assert g[0, 0].item() == pytest.approx(expected, rel=1e-7)


def test_dirichlet_rsample_gradient_closed_form():
    # a Beta(a, 1) marginal has CDF x**a, so holding the quantile: dx/da = -x log(x) / a
    tg.manual_seed(3)
    a = tg.tensor([0.7, 2.5], requires_grad=True)
    conc = tg.stack([a, tg.ones(2)], -1)
    x = D.Dirichlet(conc).rsample()
    assert type(x.grad_fn).__name__ == "_DirichletBackward"
    x[:, 0].sum().backward()
    x0 = x[:, 0].detach()
    expected = -x0 * tg.log(x0) / a.detach()
    assert tg.allclose(a.grad, expected, rtol=1e-4, atol=1e-6)


def test_beta_rsample_gradient_closed_form_in_both_parameters():
    tg.manual_seed(4)
    a = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    b = tg.tensor([0.5, 1.0, 3.0], requires_grad=True)
    x = D.Beta(a, b).rsample()
    x.sum().backward()
    x, bd = x.detach(), b.detach()
    # 1 - x ~ Beta(b, 1): d(1-x)/db = -(1-x) log(1-x) / b
    assert tg.allclose(b.grad, (1 - x) * tg.log(1 - x) / bd, rtol=1e-4, atol=1e-6)
    # with a = b = 1 the marginal is uniform: dx/da = -x log x
    assert a.grad[1].item() == pytest.approx(-(x[1] * tg.log(x[1])).item(), rel=1e-4)


def test_dirichlet_gradient_keeps_the_simplex():
    # the components sum to one for every alpha, so the gradient of their sum is zero
    tg.manual_seed(5)
    alpha = tg.tensor([[0.3, 1.0, 4.0], [2.0, 2.0, 2.0]], requires_grad=True)
    D.Dirichlet(alpha).rsample((4,)).sum().backward()
    assert tg.allclose(alpha.grad, tg.zeros(2, 3), atol=1e-5)


def test_dirichlet_sample_without_grad_has_no_graph():
    alpha = tg.tensor([1.0, 2.0], requires_grad=True)
    assert D.Dirichlet(alpha).sample().grad_fn is None
    with tg.no_grad():
        assert D.Dirichlet(alpha).rsample().grad_fn is None


def test_gamma_rsample_graph_ends_in_the_division():
    a = tg.tensor([0.5, 2.0], requires_grad=True)
    x = D.Gamma(a, tg.tensor([1.0, 2.0])).rsample()
    assert type(x.grad_fn).__name__ == "DivBackward0"
    assert (x > 0).all()

