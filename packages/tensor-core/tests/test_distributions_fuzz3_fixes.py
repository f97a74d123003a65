"""Regressions from the third differential fuzzing round of ``tensorgraft.distributions`` against
PyTorch 2.13 (expected values are PyTorch's, hard-coded). No autograd needed here; the gradient
cases are in ``test_distributions_fuzz3_gradients.py``."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.distributions as D
from tensorgraft.distributions import transforms as T


# ---------------------------------------------------------------- Bernoulli-type log_prob dtypes
def test_bernoulli_log_prob_has_the_values_dtype():
    # PyTorch's binary_cross_entropy_with_logits works in place in 1 - value
    d = D.Bernoulli(probs=tg.tensor([0.3, 0.6]))
    half = d.log_prob(tg.tensor([1.0, 0.0], dtype=tg.float16))
    assert half.dtype == tg.float16
    np.testing.assert_allclose(half.float().numpy(), [-1.2041015625, -0.9165039062], rtol=1e-3)
    double = d.log_prob(tg.tensor([1.0, 0.0], dtype=tg.float64))
    assert double.dtype == tg.float64
    np.testing.assert_allclose(double.numpy(), [-1.2039728165, -0.9162908196], rtol=1e-6)
    # ContinuousBernoulli adds its float32 normalizer: float32
    cb = D.ContinuousBernoulli(probs=tg.tensor([0.3, 0.6])).log_prob(tg.tensor([1.0, 0.0], dtype=tg.float16))
    assert cb.dtype == tg.float32
    np.testing.assert_allclose(cb.numpy(), [-0.4535137415, -0.2097862959], rtol=1e-3)


@pytest.mark.parametrize("validate", [True, False])
def test_bernoulli_log_prob_of_integer_labels_fails_as_in_pytorch(validate):
    d = D.Bernoulli(probs=tg.tensor([0.3, 0.7]), validate_args=validate)
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Long$"):
        d.log_prob(tg.tensor([1, 0]))
    with pytest.raises(RuntimeError, match=r"^Subtraction, the `-` operator, with two bool tensors is not supported\. "
                                           r"Use the `\^` or `logical_xor\(\)` operator instead\.$"):
        d.log_prob(tg.tensor([True, False]))
    cb = D.ContinuousBernoulli(probs=tg.tensor([0.3, 0.7]), validate_args=validate)
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Int$"):
        cb.log_prob(tg.tensor([1, 0], dtype=tg.int32))


# ---------------------------------------------------------------- numbers as values
def test_gamma_log_prob_converts_the_value_to_the_parameters_dtype():
    g = D.Gamma(tg.tensor([0.5, 3.0]), tg.tensor([1.0, 2.0]))
    lp = g.log_prob(tg.tensor([0.5, 1.5], dtype=tg.float64))
    assert lp.dtype == tg.float32
    np.testing.assert_allclose(lp.numpy(), [-0.7257913351, -0.8027753830], rtol=1e-6)
    # a number is accepted even with validation on
    np.testing.assert_allclose(g.log_prob(1.5).numpy(), [-2.2750973701, -0.8027753830], rtol=1e-6)
    np.testing.assert_allclose(D.Chi2(tg.tensor([3.0])).log_prob(2).numpy(), [-1.5723649263], rtol=1e-6)


def test_gamma_cdf_promotes_to_the_values_dtype():
    g = D.Gamma(tg.tensor([0.5, 3.0]), tg.tensor([1.0, 2.0]))
    c = g.cdf(tg.tensor([0.5, 1.5], dtype=tg.float64))
    assert c.dtype == tg.float64
    np.testing.assert_allclose(c.numpy(), [0.6826894921, 0.5768099189], rtol=1e-9)
    ig = D.InverseGamma(tg.tensor([2.5]), tg.tensor([1.0])).cdf(tg.tensor([0.5], dtype=tg.float64))
    assert ig.dtype == tg.float64
    np.testing.assert_allclose(ig.numpy(), [0.5494159514], rtol=1e-6)


def test_half_cauchy_log_prob_converts_the_value():
    d = D.HalfCauchy(tg.tensor([1.0, 2.0]))
    lp = d.log_prob(tg.tensor([0.5, 1.5], dtype=tg.float64))
    assert lp.dtype == tg.float32
    np.testing.assert_allclose(lp.numpy(), [-0.6747262478, -1.5910170078], rtol=1e-6)
    lp = D.HalfCauchy(tg.tensor([1.0, 2.0]), validate_args=False).log_prob(0.5)
    np.testing.assert_allclose(lp.numpy(), [-0.6747262478, -1.2053544521], rtol=1e-6)


def test_number_values_without_validation_are_broadcast_like_parameters():
    np.testing.assert_allclose(D.Poisson(tg.tensor([1.0, 2.0]), validate_args=False).log_prob(1).numpy(),
                               [-1.0, -1.3068528175], rtol=1e-6)
    np.testing.assert_allclose(D.Geometric(tg.tensor([0.3, 0.6]), validate_args=False).log_prob(2).numpy(),
                               [-1.9173227549, -2.3434071541], rtol=1e-6)
    np.testing.assert_allclose(D.Bernoulli(tg.tensor([0.3, 0.6]), validate_args=False).log_prob(1).numpy(),
                               [-1.2039728165, -0.5108255744], rtol=1e-6)
    multinomial = D.Multinomial(3, tg.tensor([0.3, 0.7]), validate_args=False)
    assert multinomial.log_prob(tg.tensor([1.0, 2.0])).item() == pytest.approx(-0.8187104464, rel=1e-6)


def test_one_hot_categorical_log_prob_of_a_bool_one_hot():
    d = D.OneHotCategorical(tg.tensor([0.3, 0.7]))
    lp = d.log_prob(tg.tensor([[True, False], [False, True]]))
    np.testing.assert_allclose(lp.numpy(), [-1.2039728165, -0.3566749692], rtol=1e-6)


def test_normal_cdf_groups_as_pytorch_for_float64_values():
    # float32 parameters, float64 value: scale * sqrt(2) must not be rounded to float32 first
    c = D.Normal(tg.tensor(0.3), tg.tensor(1.5)).cdf(tg.tensor([-0.7, 2.1], dtype=tg.float64))
    assert c.tolist() == pytest.approx([0.25249252866131666, 0.884930335179674], rel=1e-15, abs=0)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("make", [lambda: D.Categorical(probs=tg.tensor([0.3, 0.7])),
                                  lambda: D.Multinomial(3, probs=tg.tensor([0.3, 0.7])),
                                  lambda: D.OneHotCategorical(probs=tg.tensor([0.3, 0.7]))])
def test_empty_sample_shape_of_categoricals(make):
    with pytest.raises(RuntimeError, match=r"^cannot sample n_sample <= 0 samples$"):
        make().sample((0,))


def test_transformed_distribution_refuses_a_list_of_non_transforms():
    with pytest.raises(ValueError, match="^transforms must be a Transform or a list of Transforms$"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [1])
    with pytest.raises(ValueError, match="^transforms must be a Transform or list, but was x$"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "x")


def test_parameter_of_a_wrong_type():
    with pytest.raises(ValueError, match=r"^Input arguments must all be instances of Number, torch\.Tensor or objects "
                                         r"implementing __torch_function__\.$"):
        D.Normal("a", 1.0)


def test_expand_of_a_users_distribution_without_expand_is_not_implemented():
    class MyDist(D.Distribution):
        arg_constraints = {}

        def __init__(self, loc):
            self.loc = loc
            super().__init__(loc.shape)

    with pytest.raises(NotImplementedError):
        MyDist(tg.zeros(2)).expand((3, 2))
    # the built-in distributions still expand
    assert D.Normal(tg.zeros(2), 1.0).expand((3, 2)).sample().shape == (3, 2)


def test_ambiguous_kl_warns_once():
    class A(D.Normal):
        pass

    class B(D.Normal):
        pass

    @D.kl.register_kl(A, D.Normal)
    def _a(p, q):
        return tg.tensor(1.0)

    @D.kl.register_kl(D.Normal, B)
    def _b(p, q):
        return tg.tensor(2.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0)).item() == 1.0
        assert D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0)).item() == 1.0
    assert [(w.category, str(w.message)) for w in caught] == [
        (RuntimeWarning, "Ambiguous kl_divergence(A, B). Please register_kl(A, B)")]


# ---------------------------------------------------------------- transforms
def test_reshape_transform_shapes_are_sizes():
    t = T.ReshapeTransform((2, 3), (6,))
    out = t.forward_shape((4, 2, 3))
    assert type(out) is tg.Size and out == (4, 6)
    back = t.inverse_shape((6,))
    assert type(back) is tg.Size and back == (2, 3)


def test_inverse_transform_with_cache():
    t = T.ExpTransform().inv.with_cache(1)
    assert repr(t) == "_InverseTransform(ExpTransform())"
    assert t._cache_size == 1 and t.inv._cache_size == 1
    x = tg.tensor([0.5])
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    assert T.SigmoidTransform().inv.with_cache(0) == T.SigmoidTransform().inv


# ---------------------------------------------------------------- parameter validation
@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("p", [-1.0, float("nan")])
def test_continuous_bernoulli_checks_probs_before_clamping_them(validate, p):
    # PyTorch checks whenever validate_args is given, even False
    with pytest.raises(ValueError, match="^The parameter probs has invalid values$"):
        D.ContinuousBernoulli(tg.tensor([p, 0.5]), validate_args=validate)
    assert repr(D.ContinuousBernoulli(tg.tensor([0.0, 0.5]), validate_args=validate)) == \
        "ContinuousBernoulli(probs: torch.Size([2]))"


def test_continuous_bernoulli_by_default_validates_the_clamped_probs():
    assert repr(D.ContinuousBernoulli(tg.tensor([-1.0, 0.5]))) == "ContinuousBernoulli(probs: torch.Size([2]))"
    with pytest.raises(ValueError, match="^Expected parameter probs "):
        D.ContinuousBernoulli(tg.tensor([float("nan"), 0.5]))


def test_positive_definite_refuses_infinite_entries():
    C = D.constraints
    assert C.positive_definite.check(tg.tensor([[float("inf"), 0.5], [0.5, 1.0]])).item() is False
    assert C.positive_definite.check(tg.tensor([[2.0, 0.5], [0.5, 1.0]])).item() is True
    with pytest.raises(ValueError, match=r"^Expected parameter covariance_matrix \(Tensor of shape \(2, 2\)\) of "
                                         r"distribution MultivariateNormal\(loc: torch.Size\(\[2\]\), covariance_matrix: "
                                         r"torch.Size\(\[2, 2\]\)\) to satisfy the constraint PositiveDefinite\(\), "):
        D.MultivariateNormal(tg.zeros(2), tg.tensor([[float("inf"), 0.5], [0.5, 1.0]]), validate_args=True)


# ---------------------------------------------------------------- constraints and their registry
def test_biject_to_and_transform_to_are_registries():
    C = D.constraints

    class Above(C.Constraint):
        def __init__(self, bound):
            self.bound = bound

        def check(self, value):
            return value > self.bound

    @D.biject_to.register(Above)
    def _above(constraint):
        return T.AffineTransform(constraint.bound, 1.0)

    t = D.biject_to(Above(3.0))
    assert repr(t) == "AffineTransform()"
    assert t(tg.tensor([0.5])).tolist() == [3.5]
    with pytest.raises(NotImplementedError, match="^Cannot transform Above constraints$"):
        D.transform_to(Above(3.0))
    with pytest.raises(TypeError, match="^Expected constraint to be either a Constraint subclass or instance, but got 5$"):
        D.biject_to.register(5, _above)
    # the built-in maps stay
    assert repr(D.transform_to(C.simplex)) == "SoftmaxTransform()"
    assert repr(D.biject_to(C.simplex)) == "StickBreakingTransform()"
    with pytest.raises(NotImplementedError, match="^Cannot transform _Boolean constraints$"):
        D.biject_to(C.boolean)
    # a new registry starts empty, as PyTorch's
    from tensorgraft.distributions.constraint_registry import ConstraintRegistry
    with pytest.raises(NotImplementedError, match="^Cannot transform _Real constraints$"):
        ConstraintRegistry()(C.real)


def test_constraint_repr_drops_the_first_character_as_pytorch():
    C = D.constraints

    class Even(C.Constraint):
        is_discrete = True

        def check(self, value):
            return value % 2 == 0

    assert repr(Even()) == "ven()"
    assert repr(C.Constraint()) == "onstraint()"
    assert repr(C.greater_than(1.0)) == "GreaterThan(lower_bound=1.0)"


@pytest.mark.parametrize("args, message", [
    ((-1,), "reinterpreted_batch_ndims must be >= 0, got -1"),
    ((1.0,), "reinterpreted_batch_ndims must be an int, got float"),
])
def test_independent_constraint_arguments(args, message):
    with pytest.raises(AssertionError, match=f"^{message}$"):
        D.constraints.independent(D.constraints.real, *args)
    with pytest.raises(AssertionError, match="^base_constraint must be a Constraint, got int$"):
        D.constraints.independent(3, 1)


def test_independent_constraint_check_names_the_value_dims():
    with pytest.raises(ValueError, match=r"^Expected value.dim\(\) >= 2 but got 1$"):
        D.constraints.independent(D.constraints.simplex, 1).check(tg.zeros(3))


# ---------------------------------------------------------------- values off the support, unvalidated
def test_folded_distributions_give_minus_inf_for_nan_values():
    for d in (D.HalfNormal(tg.tensor([1.0, 2.0]), validate_args=False),
              D.HalfCauchy(tg.tensor([1.0, 2.0]), validate_args=False)):
        assert d.log_prob(tg.tensor([float("nan"), -1.0])).tolist() == [float("-inf"), float("-inf")]


def test_relaxed_one_hot_categorical_passes_validate_args_to_its_base():
    d = D.RelaxedOneHotCategorical(tg.tensor(0.5), probs=tg.tensor([0.2, 0.3, 0.5]), validate_args=False)
    assert np.isnan(d.log_prob(tg.tensor([-5.0, 0.5, 0.5])).item())


# ---------------------------------------------------------------- distributions.utils
def test_distributions_utils_module():
    from tensorgraft.distributions.utils import (broadcast_all, clamp_probs, euler_constant, lazy_property,
                                                 logits_to_probs, probs_to_logits, tril_matrix_to_vec,
                                                 vec_to_tril_matrix)
    m = tg.arange(9.0).reshape(3, 3)
    assert tril_matrix_to_vec(m).tolist() == [0.0, 3.0, 4.0, 6.0, 7.0, 8.0]
    assert tril_matrix_to_vec(m, -1).tolist() == [3.0, 6.0, 7.0]
    assert vec_to_tril_matrix(tg.arange(1.0, 4.0)).tolist() == [[1.0, 0.0], [2.0, 3.0]]
    assert vec_to_tril_matrix(tg.arange(1.0, 9.0), 1).tolist() == [[1.0, 2.0, 0.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    with pytest.raises(ValueError, match="^The size of last dimension is 5 which cannot be expressed as the lower "
                                         "triangular part of a square D x D matrix.$"):
        vec_to_tril_matrix(tg.arange(5.0))
    with pytest.raises(ValueError, match=r"^diag \(3\) provided is outside \[-3, 2\].$"):
        tril_matrix_to_vec(tg.zeros(3, 3), 3)
    assert euler_constant == 0.57721566490153286060
    a, b = broadcast_all(tg.zeros(2), 1.0)
    assert b.tolist() == [1.0, 1.0]
    assert clamp_probs(tg.tensor([0.0, 1.0], dtype=tg.float64)).tolist() == [2.220446049250313e-16, 1 - 2.220446049250313e-16]
    assert logits_to_probs(tg.tensor([0.0]), is_binary=True).tolist() == [0.5]
    assert probs_to_logits(tg.tensor([0.5]), is_binary=True).tolist() == [0.0]
    assert callable(lazy_property)


# ---------------------------------------------------------------- stick breaking at the simplex edges
def test_stick_breaking_forward_clamps_as_pytorch():
    t = T.StickBreakingTransform()
    x = tg.tensor([[-200.0, 200.0, 0.0]])
    y = t(x)
    assert y.tolist() == [[1.1754943508222875e-38, 0.9999998807907104, 5.960464477539063e-08, 5.960464477539063e-08]]
    assert t.log_abs_det_jacobian(x, y).tolist() == pytest.approx([-303.9720764160156], rel=1e-6)


def test_stick_breaking_inverse_at_zero_entries():
    out = T.StickBreakingTransform().inv(tg.tensor([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]))
    assert out[0].tolist() == [float("-inf"), float("-inf")]
    np.testing.assert_allclose(out[1].numpy(), [0.6931471824645996, 86.64340209960938], rtol=1e-6)


def test_stick_breaking_float64_round_trip():
    t = T.StickBreakingTransform()
    x = tg.tensor([[0.3, -1.2, 2.0]], dtype=tg.float64)
    y = t(x)
    np.testing.assert_allclose(y.numpy(), [[0.3103224420123704, 0.09026916871088567, 0.527957157790385,
                                            0.07145123148635886]], rtol=1e-14)
    assert t.log_abs_det_jacobian(x, y).item() == pytest.approx(-6.85258297341167, rel=1e-14)
    np.testing.assert_allclose(t.inv(y).numpy(), [[0.3, -1.2, 2.0]], rtol=1e-13)


# ---------------------------------------------------------------- structured transform messages
@pytest.mark.parametrize("make, exc, message", [
    (lambda: T.CatTransform([T.ExpTransform()], 0, [1, 2]), AssertionError, "lengths (2) must match transforms (1)"),
    (lambda: T.CatTransform([1], 0, [1]), AssertionError, "All elements of tseq must be Transform instances"),
    (lambda: T.StackTransform([T.ExpTransform()], 3)(tg.ones(2)), AssertionError,
     "dim 3 out of range for tensor with 1 dimensions"),
    (lambda: T.StackTransform([T.ExpTransform()], 3).log_abs_det_jacobian(tg.ones(2), tg.ones(2)), AssertionError,
     "dim 3 out of range for x with 1 dimensions"),
    (lambda: T.CorrCholeskyTransform()(tg.tensor([0.1, 0.2])), ValueError,
     "The size of last dimension is 2 which cannot be expressed as the lower triangular part of a square D x D matrix."),
    (lambda: D.constraints.MixtureSameFamilyConstraint(3), AssertionError, "base_constraint must be a Constraint, got int"),
])
def test_structured_transform_errors(make, exc, message):
    with pytest.raises(exc) as info:
        make()
    assert str(info.value) == message
