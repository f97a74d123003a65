"""The ``gen_*`` program fixes against PyTorch: Dirichlet / Beta / Gamma reparameterized samples and
their gradients from the same seed, and the grad_fn each leaves."""
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name, to_numpy

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.autograd", reason="sample gradients need the autograd engine")

# PyTorch approximates the Dirichlet gradient in the mid range (to ~5e-4 relative); tensorgraft's
# is exact
RTOL = 1e-3


def _sample_and_grad(lib, make, params, weights, shape=()):
    lib.manual_seed(11)
    leaves = [lib.tensor(p, requires_grad=True) for p in params]
    x = make(lib, *leaves).rsample(shape)
    (x * lib.tensor(weights)).sum().backward()
    return x, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("make, params, weights, shape", [
    (lambda lib, c: lib.distributions.Dirichlet(c), [[0.3, 1.0, 4.0]], [1.0, -2.0, 0.5], (3,)),
    (lambda lib, c: lib.distributions.Dirichlet(c), [[[5.0, 7.0], [0.05, 0.2]]], [[0.0, 1.0], [1.0, 0.0]], ()),
    (lambda lib, c: lib.distributions.Dirichlet(c), [[30.0, 20.0, 0.5, 2.0]], [1.0, 2.0, 3.0, 4.0], (2,)),
    (lambda lib, a, b: lib.distributions.Beta(a, b), [[0.5, 2.0, 5.0], [1.0, 2.0, 3.0]], [1.0, 1.0, 1.0], (2,)),
    (lambda lib, a, b: lib.distributions.Beta(a, b), [[0.02, 80.0], [0.3, 120.0]], [1.0, -1.0], ()),
    (lambda lib, a, r: lib.distributions.Gamma(a, r), [[0.5, 2.0, 5.0], [1.0, 3.0, 0.5]], [1.0, 1.0, 1.0], (2,)),
])
def test_reparameterized_samples_and_gradients_match(make, params, weights, shape):
    x_tg, g_tg = _sample_and_grad(tg, make, params, weights, shape)
    x_pt, g_pt = _sample_and_grad(torch, make, params, weights, shape)
    assert grad_fn_name(x_tg) == grad_fn_name(x_pt)
    assert to_numpy(x_tg) == pytest.approx(to_numpy(x_pt), rel=1e-5, abs=1e-7)
    for a, b in zip(g_tg, g_pt):
        assert to_numpy(a) == pytest.approx(to_numpy(b), rel=RTOL, abs=1e-6)

