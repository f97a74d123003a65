"""Gradient regressions from the third differential fuzzing round of ``tensorgraft.distributions``
(expected values are PyTorch 2.13's, hard-coded): a zero logit (``probs=0.5``) got the derivative
of ``softplus`` wrong (1 instead of 1/2), and so every log-mass written with it."""
import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd")

import tensorgraft as tg  # noqa: E402
import tensorgraft.distributions as D  # noqa: E402
from tensorgraft.distributions import transforms as T  # noqa: E402


def _grad(make, values):
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    make(x).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("make, values, expected", [
    (lambda l: D.Bernoulli(logits=l).log_prob(tg.tensor([1.0, 0.0, 1.0], dtype=tg.float64)),
     [0.0, 1.0, -1.0], [0.5, -0.7310585786300049, 0.7310585786300049]),
    (lambda l: D.Bernoulli(logits=l).entropy(), [0.0, 2.0], [0.0, -0.20998717080701323]),
    (lambda p: D.ContinuousBernoulli(probs=p).log_prob(tg.tensor([0.3, 0.9], dtype=tg.float64)),
     [0.5, 0.2], [-0.8, 3.1999113305553224]),
    (lambda p: D.Binomial(4, probs=p).log_prob(tg.tensor([1.0, 3.0], dtype=tg.float64)),
     [0.5, 0.2], [-4.0, 13.75]),
    (lambda l: D.Geometric(logits=l).log_prob(tg.tensor([1.0, 3.0], dtype=tg.float64)),
     [0.0, 2.0], [0.0, -2.5231883119115293]),
    (lambda l: D.NegativeBinomial(3.0, logits=l).log_prob(tg.tensor([1.0, 3.0], dtype=tg.float64)),
     [0.0, 2.0], [-1.0, -2.284782467867295]),
    (lambda p: D.Multinomial(5, probs=p).entropy(),
     [0.2, 0.3, 0.5], [1.2399977720217557, 0.22821384593141758, -0.6329274163675525]),
    (lambda x: T.SoftplusTransform()(x), [0.0, 1.0], [0.5, 0.7310585786300049]),
    (lambda x: T.SigmoidTransform().log_abs_det_jacobian(x, T.SigmoidTransform()(x)),
     [0.0, 1.0], [0.0, -0.4621171572600098]),
], ids=["bernoulli", "bernoulli-entropy", "continuous-bernoulli", "binomial", "geometric",
        "negative-binomial", "multinomial-entropy", "softplus", "sigmoid-ladj"])
def test_gradient_at_zero_logits(make, values, expected):
    np.testing.assert_allclose(_grad(make, values), expected, rtol=1e-9, atol=1e-12)


def test_softplus_of_infinite_logits_keeps_finite_gradients():
    x = tg.tensor([-float("inf"), float("inf")], dtype=tg.float64, requires_grad=True)
    T.SoftplusTransform()(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
