"""Regressions from the differential fuzzer of ``tensorgraft.func`` (expected values and messages
are PyTorch 2.13's, measured once and written down here)."""
import math

import pytest

import tensorgraft as torch
from tensorgraft.func import jacfwd, stack_module_state, vmap

_SAME_MSG = ("Vmap does not currently support same randomness with a batched tensor input. Please file an issue with "
             "functorch")
_REQUIRES_GRAD_MSG = (
    "You are attempting to call Tensor.requires_grad_() (or perhaps using torch.autograd.functional.* APIs) inside of a "
    "function being transformed by a functorch transform. This is unsupported, please attempt to use the functorch "
    "transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() outside of a function being "
    "transformed instead.")


def _close(a, b, tol=1e-12):
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


# --------------------------------------------------------------------------- vmap(randomness="different")
_RANDN_3x6 = [
    [-2.310411800234176, -0.3732508612577643, -1.2609246557194385, -0.726951062065411, -0.019964750907762653,
     0.2102998901016947],
    [0.17718935139366584, -0.830510051008449, 0.23871805816817063, 0.7335283685272841, -0.7730112772958181,
     -1.5951814880783068],
    [-0.6870036940435463, 1.4880743158106724, -0.4484158047114511, -0.8910030351707375, 0.6748575435940039,
     1.0468653769814655]]


def test_vmap_different_randn_is_one_batched_draw():
    torch.manual_seed(0)
    r = vmap(lambda a: a + torch.randn(6, dtype=torch.float64), randomness="different")(
        torch.zeros(3, 6, dtype=torch.float64))
    for row, expected in zip(r.tolist(), _RANDN_3x6):
        assert _close(row, expected)
    assert torch.rand(1, dtype=torch.float64).item() == 0.48150650221872526  # the stream moved on as PyTorch's
    from tensorgraft.random import default_generator
    assert "normal" not in vars(default_generator._rng())  # the samplers are put back


def test_vmap_different_normal_inplace_is_one_batched_draw():
    torch.manual_seed(0)
    r = vmap(lambda a: (a * 1).normal_(), randomness="different")(torch.zeros(3, 6, dtype=torch.float64))
    assert _close(r[:, 0].tolist(), [row[0] for row in _RANDN_3x6])


def test_vmap_different_draws_in_batched_order():
    # every slice's rand(2) comes before any slice's randn(3), as PyTorch's batched ops draw
    torch.manual_seed(0)
    r = vmap(lambda a: a + torch.rand(2, dtype=torch.float64).sum() + torch.randn(3, dtype=torch.float64),
             randomness="different")(torch.zeros(2, 3, dtype=torch.float64))
    expected = [[0.5933505237823202, 0.2792774708354644, 2.0812197138356403],
                [2.2181569602470708, 0.6608730487800519, 0.9767871023172365]]
    for row, e in zip(r.tolist(), expected):
        assert _close(row, e)


# --------------------------------------------------------------------------- vmap(randomness="same")
@pytest.mark.parametrize("f", [lambda a: torch.bernoulli(torch.sigmoid(a)), lambda a: torch.normal(a, 1.0),
                               lambda a: torch.poisson(a + 2), lambda a: torch.multinomial(a + 1, 3),
                               lambda a: a.bernoulli()])
def test_vmap_same_randomness_refuses_batched_input(f):
    with pytest.raises(RuntimeError) as e:
        vmap(f, randomness="same")(torch.zeros(3, 4))
    assert str(e.value) == _SAME_MSG
    torch.manual_seed(0)
    r = vmap(lambda a: torch.randn_like(a), randomness="same")(torch.zeros(3, 6))  # no tensor input: allowed
    assert r[0].tolist() == r[1].tolist() == r[2].tolist()
    # batched only by an outer vmap of another mode: PyTorch allows it
    r = vmap(lambda a: vmap(lambda b: torch.bernoulli(a), randomness="same")(torch.zeros(2)),
             randomness="different")(torch.zeros(3, 4))
    assert tuple(r.shape) == (3, 2, 4)


# --------------------------------------------------------------------------- jacfwd
def test_jacfwd_non_finite_entries_where_forward_mode_puts_them():
    j = jacfwd(torch.sqrt)(torch.tensor([0., 1.]))
    (a, b), (c, d) = j.tolist()
    assert a == math.inf and math.isnan(b) and c == 0.0 and d == 0.5


def test_jacfwd_of_integer_output_is_zeros():
    x = torch.tensor([1., 3., 2.])
    j = jacfwd(lambda a: a.argmax())(x)
    assert j.dtype == torch.int64 and j.tolist() == [0, 0, 0]
    j0, j1 = jacfwd(lambda a: (a.argmax(), a * 2))(x)
    assert j0.tolist() == [0, 0, 0] and j1.tolist() == [[2., 0., 0.], [0., 2., 0.], [0., 0., 2.]]
    ja, jb = jacfwd(lambda a, b: a * b, argnums=(0, 1))(x, torch.tensor(2.))
    assert ja.tolist() == [[2., 0., 0.], [0., 2., 0.], [0., 0., 2.]] and jb.tolist() == [1., 3., 2.]


@pytest.mark.parametrize("f, kw, msg", [
    (lambda a: a * 2, {"has_aux": True},
     "jvp(f, primals, tangents): output of function f should be a tuple: (output, aux) if has_aux is True"),
    (lambda a: (), {}, "jvp(f, primals, tangents): Expected f to be a function that has non-empty output (got output "
                       "= [])"),
])
def test_jacfwd_messages_are_jvps(f, kw, msg):
    with pytest.raises(RuntimeError) as e:
        jacfwd(f, **kw)(torch.tensor([1., 3., 2.]))
    assert str(e.value) == msg


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("f", [lambda a: a.requires_grad_(), lambda a: a.requires_grad_(False),
                               lambda a: a.detach().requires_grad_()])
def test_requires_grad_inside_vmap_is_refused(f):
    with pytest.raises(RuntimeError) as e:
        vmap(f)(torch.ones(2, 3))
    assert str(e.value) == _REQUIRES_GRAD_MSG


def test_stack_module_state_refuses_mixed_requires_grad():
    pytest.importorskip("tensorgraft.nn")
    m1, m2 = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    m1.requires_grad_(False)
    with pytest.raises(RuntimeError, match=r"^Expected weight from each model to have the same \.requires_grad$"):
        stack_module_state([m1, m2])
    m2.requires_grad_(False)
    params, _ = stack_module_state([m1, m2])
    assert not params["weight"].requires_grad


def test_jacfwd_over_a_dict_of_parameters_returns_a_dict():
    # (the basis-tangent jacfwd kept only the first block for an int argnums; PyTorch keeps the pytree)
    params = {"w": torch.ones(2, 3), "b": torch.zeros(2)}
    jac = torch.func.jacfwd(lambda p, x: p["w"] @ x + p["b"])(params, torch.tensor([1.0, 2.0, 3.0]))
    assert sorted(jac) == ["b", "w"] and jac["w"].shape == (2, 2, 3) and jac["b"].shape == (2, 2)
    assert jac["b"].tolist() == [[1.0, 0.0], [0.0, 1.0]] and jac["w"][0, 0].tolist() == [1.0, 2.0, 3.0]
