"""``tensorgraft.autograd.functional`` against PyTorch: values, the nesting of results (Tensor vs
tuple vs tuple of tuples), whether results carry history, and strict-mode/argument errors (type
and text). Each case is written once against a module ``m`` and run with both libraries."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, assert_same_result, run_in_both  # noqa: E402

RNG = np.random.default_rng(0)
A = RNG.standard_normal(3)
B = RNG.standard_normal((2, 2))
C = RNG.standard_normal(2)


def _t(m, a, **kw):
    return m.tensor(a, dtype=m.float64, **kw)


def assert_same(ours, theirs):  # this file's tolerance: float64 values agree to rounding
    assert_same_result(ours, theirs, rtol=1e-10, atol=1e-12, check_dtype=False)


def F(m):
    return m.autograd.functional


def cube_sum(x):
    return (x ** 3).sum()


def two_in_two_out(x, y):
    return x.exp() * y.sum(), (x * y).sum()


CASES = {
    "vjp_single": lambda m: F(m).vjp(lambda x: x.sin() * 2, _t(m, A), _t(m, np.ones(3))),
    "vjp_scalar_default_v": lambda m: F(m).vjp(cube_sum, _t(m, A)),
    "vjp_tuple_in": lambda m: F(m).vjp(lambda x, y: x * y, (_t(m, C), _t(m, C[::-1].copy())), _t(m, np.ones(2))),
    "vjp_create_graph": lambda m: F(m).vjp(lambda x: x.exp(), _t(m, A), _t(m, A), create_graph=True),
    "vjp_create_graph_input_requires_grad":
        lambda m: F(m).vjp(lambda x: x.exp(), _t(m, A, requires_grad=True), _t(m, A), create_graph=True),
    "vjp_unused_input": lambda m: F(m).vjp(lambda x, y: x * 2, (_t(m, C), _t(m, C)), _t(m, C)),
    "jvp_single": lambda m: F(m).jvp(lambda x: x.sin() * x, _t(m, A), _t(m, A[::-1].copy())),
    "jvp_tuple_out": lambda m: F(m).jvp(two_in_two_out, (_t(m, C), _t(m, C + 1)), (_t(m, C), _t(m, np.ones(2)))),
    "jvp_create_graph": lambda m: F(m).jvp(lambda x: x ** 2, _t(m, A), _t(m, A), create_graph=True),
    "jacobian_single": lambda m: F(m).jacobian(lambda x: x.exp().sum(dim=1), _t(m, B)),
    "jacobian_tuple_in": lambda m: F(m).jacobian(lambda x, y: 2 * x.exp() + 3 * y, (_t(m, C), _t(m, C))),
    "jacobian_tuple_out": lambda m: F(m).jacobian(lambda x: (x * 2, x.sum()), _t(m, A)),
    "jacobian_tuple_both": lambda m: F(m).jacobian(two_in_two_out, (_t(m, C), _t(m, C + 1))),
    "jacobian_create_graph": lambda m: F(m).jacobian(lambda x: x ** 3, _t(m, A), create_graph=True),
    "jacobian_vectorize": lambda m: F(m).jacobian(two_in_two_out, (_t(m, C), _t(m, C + 1)), vectorize=True),
    "jacobian_forward_vectorized": lambda m: F(m).jacobian(two_in_two_out, (_t(m, C), _t(m, C + 1)), vectorize=True,
                                                           strategy="forward-mode"),
    "jacobian_unused": lambda m: F(m).jacobian(lambda x, y: x * 2, (_t(m, C), _t(m, A))),
    "jacobian_constant_output": lambda m: F(m).jacobian(lambda x: _t(m, C), _t(m, A)),
    "hessian_single": lambda m: F(m).hessian(cube_sum, _t(m, B)),
    "hessian_tuple": lambda m: F(m).hessian(lambda x, y: (2 * x ** 2 + 3 * y ** 2 * x.sum()).sum(),
                                            (_t(m, C), _t(m, C + 1))),
    "hessian_create_graph": lambda m: F(m).hessian(cube_sum, _t(m, A), create_graph=True),
    "hessian_vectorize": lambda m: F(m).hessian(cube_sum, _t(m, A), vectorize=True),
    "hessian_forward_outer": lambda m: F(m).hessian(cube_sum, _t(m, A), vectorize=True,
                                                    outer_jacobian_strategy="forward-mode"),
    "vhp_single": lambda m: F(m).vhp(cube_sum, _t(m, B), _t(m, np.ones((2, 2)))),
    "vhp_tuple": lambda m: F(m).vhp(lambda x, y: (x ** 2 * y).sum(), (_t(m, C), _t(m, C)), (_t(m, C), _t(m, C))),
    "vhp_create_graph": lambda m: F(m).vhp(cube_sum, _t(m, A), _t(m, A), create_graph=True),
    "hvp_single": lambda m: F(m).hvp(cube_sum, _t(m, B), _t(m, np.ones((2, 2)))),
    "hvp_tuple": lambda m: F(m).hvp(lambda x, y: (x ** 2 * y).sum(), (_t(m, C), _t(m, C)), (_t(m, C), _t(m, C))),
    "hvp_linear_zero": lambda m: F(m).hvp(lambda x: x.sum(), _t(m, A), _t(m, A)),
    "hvp_scalar_default_v": lambda m: F(m).hvp(cube_sum, _t(m, [2.0])),
    "vjp_tuple_out_default_v": lambda m: F(m).vjp(lambda x: (x.sum(),), _t(m, C)),
    "jvp_tuple_of_one_in_default_v": lambda m: F(m).jvp(lambda x: x * 2, (_t(m, [2.0]),)),
    "jvp_single_v_for_tuple_of_one": lambda m: F(m).jvp(lambda x: (x * 2,), (_t(m, C),), _t(m, C)),
    "jacobian_scalar_in": lambda m: F(m).jacobian(lambda x: x * _t(m, C), _t(m, 2.0)),
    "jacobian_tuple_of_one_both": lambda m: F(m).jacobian(lambda x: (x * 2,), (_t(m, C),)),
    "jacobian_forward_tuple_in_single_out": lambda m: F(m).jacobian(lambda x, y: x * y, (_t(m, C), _t(m, C + 1)),
                                                                    vectorize=True, strategy="forward-mode"),
    "jacobian_forward_single_in_tuple_out": lambda m: F(m).jacobian(lambda x: (x * 2, x.sum()), _t(m, C),
                                                                    vectorize=True, strategy="forward-mode"),
    "jacobian_create_graph_tuple": lambda m: F(m).jacobian(lambda x, y: (x * y, x * 2), (_t(m, C), _t(m, C + 1)),
                                                           create_graph=True),
    "hessian_one_element_output": lambda m: F(m).hessian(lambda x: x[:1] ** 3, _t(m, C)),
    "hessian_tuple_create_graph": lambda m: F(m).hessian(lambda x, y: (x ** 2 * y).sum(), (_t(m, C), _t(m, C + 1)),
                                                         create_graph=True),
    "vhp_tuple_create_graph_strict": lambda m: F(m).vhp(lambda x, y: (x ** 2 * y ** 2).sum(),
                                                        (_t(m, C), _t(m, C + 1)), (_t(m, C), _t(m, C)),
                                                        create_graph=True, strict=True),
    "hvp_tuple_create_graph_strict": lambda m: F(m).hvp(lambda x, y: (x ** 2 * y ** 2).sum(),
                                                        (_t(m, C), _t(m, C + 1)), (_t(m, C), _t(m, C)),
                                                        create_graph=True, strict=True),
}


# PyTorch's forward-over-reverse hessian calls requires_grad_() on the caller's inputs, so its result
# carries history; tensorgraft leaves the caller's tensors alone (values and nesting still match)
_VALUES_ONLY = {"hessian_forward_outer"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, ref = run_in_both(CASES[name])
    if name in _VALUES_ONLY:
        ref = ref.detach()
    assert_same(ours, ref)


def test_returned_graph_differentiates_like_pytorch():
    def case(m):
        x = _t(m, A, requires_grad=True)
        h = F(m).hessian(cube_sum, x, create_graph=True)
        return m.autograd.grad(h.sum(), x)
    assert_same(*run_in_both(case))


ERRORS = {
    "inputs_not_tensor": lambda m: F(m).vjp(cube_sum, [1.0]),
    "inputs_tuple_bad_entry": lambda m: F(m).jacobian(cube_sum, (_t(m, A), 3)),
    "output_not_tensor": lambda m: F(m).jacobian(lambda x: 3, _t(m, A)),
    "v_none_nonscalar": lambda m: F(m).vjp(lambda x: x * 2, _t(m, A)),
    "v_none_jvp": lambda m: F(m).jvp(lambda x: x * 2, _t(m, A)),
    "v_wrong_size": lambda m: F(m).vjp(lambda x: x * 2, _t(m, A), _t(m, C)),
    "v_tuple_wrong_len": lambda m: F(m).jvp(lambda x, y: x * y, (_t(m, C), _t(m, C)), (_t(m, C),)),
    "v_tuple_wrong_size": lambda m: F(m).jvp(lambda x, y: x * y, (_t(m, C), _t(m, C)), (_t(m, C), _t(m, A))),
    "v_not_single": lambda m: F(m).vjp(lambda x: x * 2, _t(m, A), (_t(m, A), _t(m, A))),
    "strict_output_no_grad": lambda m: F(m).vjp(lambda x: _t(m, A), _t(m, A), _t(m, A), strict=True),
    "strict_vjp_unused": lambda m: F(m).vjp(lambda x, y: x * 2, (_t(m, C), _t(m, C)), _t(m, C), strict=True),
    "strict_jvp_unused": lambda m: F(m).jvp(lambda x, y: x * 2, (_t(m, C), _t(m, C)), (_t(m, C), _t(m, C)),
                                            strict=True),
    "strict_jacobian_unused": lambda m: F(m).jacobian(lambda x, y: x * 2, (_t(m, C), _t(m, C)), strict=True),
    "strict_jacobian_create_graph": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strict=True,
                                                            create_graph=True),
    "strict_hessian_linear": lambda m: F(m).hessian(lambda x: x.sum(), _t(m, C), strict=True),
    "strict_vhp_linear": lambda m: F(m).vhp(lambda x: x.sum(), _t(m, C), _t(m, C), strict=True),
    "strict_hvp_linear": lambda m: F(m).hvp(lambda x: x.sum(), _t(m, C), _t(m, C), strict=True),
    "strict_vectorize": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strict=True, vectorize=True),
    "bad_strategy": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strategy="sideways"),
    "forward_not_vectorized": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strategy="forward-mode"),
    "forward_create_graph": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strategy="forward-mode",
                                                    create_graph=True),
    "forward_strict": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strategy="forward-mode", strict=True),
    "hessian_bad_strategy": lambda m: F(m).hessian(cube_sum, _t(m, C), outer_jacobian_strategy="x"),
    "hessian_tuple_output": lambda m: F(m).hessian(lambda x: (x.sum(), x.sum()), _t(m, C)),
    "hessian_nonscalar": lambda m: F(m).hessian(lambda x: x * 2, _t(m, C)),
    "vhp_nonscalar": lambda m: F(m).vhp(lambda x: x * 2, _t(m, C), _t(m, C)),
    "hvp_tuple_output": lambda m: F(m).hvp(lambda x: (x.sum(),), _t(m, C), _t(m, C)),
    "hvp_v_none": lambda m: F(m).hvp(cube_sum, _t(m, C)),
    # argument checks: their order, and the wording for each function and position
    "outputs_tuple_bad_entry": lambda m: F(m).vjp(lambda x: (x, 3), _t(m, A)),
    "v_not_tensor": lambda m: F(m).vjp(lambda x: x * 2, _t(m, A), [_t(m, A)]),
    "v_tuple_bad_entry_hvp": lambda m: F(m).hvp(lambda x, y: (x * y).sum(), (_t(m, C), _t(m, C)), (_t(m, C), 3)),
    "outputs_checked_before_v": lambda m: F(m).vjp(lambda x: 3, _t(m, C), 5),
    "jvp_v_checked_before_call": lambda m: F(m).jvp(lambda x: 3, _t(m, C), _t(m, C[:1])),
    "vhp_v_checked_before_call": lambda m: F(m).vhp(lambda x: x * 2, _t(m, C), 3),
    "v_none_tuple_outputs": lambda m: F(m).vjp(lambda x: (x.sum(), x * 2), _t(m, A)),
    "v_tuple_of_one_wrong_size": lambda m: F(m).jvp(lambda x: x * 2, (_t(m, C),), _t(m, A)),
    "v_tuple_too_long": lambda m: F(m).jvp(lambda x: x * 2, (_t(m, C),), (_t(m, C), _t(m, C))),
    "v_2d_wrong_size": lambda m: F(m).vjp(lambda x: x * 2, _t(m, np.ones((2, 3))), _t(m, np.ones((3, 2)))),
    "jacobian_strategy_checked_first": lambda m: F(m).jacobian(lambda x: x * 2, [_t(m, C)], strategy="zzz"),
    "hessian_inputs_checked_first": lambda m: F(m).hessian(lambda x: x * 2, [_t(m, C)],
                                                           outer_jacobian_strategy="zzz"),
    "forward_create_graph_before_strict": lambda m: F(m).jacobian(lambda x: x * 2, _t(m, C), strict=True,
                                                                  create_graph=True, vectorize=True,
                                                                  strategy="forward-mode"),
    "hessian_forward_strict": lambda m: F(m).hessian(cube_sum, _t(m, C), strict=True,
                                                     outer_jacobian_strategy="forward-mode"),
    "hessian_vectorize_strict": lambda m: F(m).hessian(cube_sum, _t(m, C), strict=True, vectorize=True),
    "hessian_output_tuple_of_one": lambda m: F(m).hessian(lambda x: (x.sum(),), _t(m, C)),
    "jacobian_empty_output": lambda m: F(m).jacobian(lambda x: x[:0] * 2, _t(m, C)),
    # strict mode: which stage objects, and the position it names
    "strict_output_no_grad_tuple": lambda m: F(m).vjp(lambda x: (x, _t(m, A)), _t(m, A), (_t(m, A), _t(m, A)),
                                                      strict=True),
    "strict_vjp_create_graph_linear": lambda m: F(m).vjp(lambda x, y: x * x + y * 2, (_t(m, C), _t(m, C)), _t(m, C),
                                                         strict=True, create_graph=True),
    "strict_vjp_create_graph_unused": lambda m: F(m).vjp(lambda x, y: y * y, (_t(m, C), _t(m, C)), _t(m, C),
                                                         strict=True, create_graph=True),
    "strict_jvp_create_graph_linear": lambda m: F(m).jvp(lambda x: (x * x, x * 2), _t(m, C), _t(m, C), strict=True,
                                                         create_graph=True),
    "strict_jacobian_create_graph_names_output": lambda m: F(m).jacobian(
        lambda x, y: (x * y, x * 2), (_t(m, C), _t(m, C)), strict=True, create_graph=True),
    "strict_jacobian_create_graph_unused": lambda m: F(m).jacobian(
        lambda x, y: (y * y, x * 2), (_t(m, C), _t(m, C)), strict=True, create_graph=True),
    "strict_jacobian_second_output": lambda m: F(m).jacobian(lambda x, y: (x * y, x * 2), (_t(m, C), _t(m, C)),
                                                             strict=True),
    "strict_hessian_unused": lambda m: F(m).hessian(lambda x, y: (x ** 2).sum(), (_t(m, C), _t(m, C)), strict=True),
    "strict_hessian_create_graph_quadratic": lambda m: F(m).hessian(lambda x: (x * x).sum(), _t(m, C), strict=True,
                                                                    create_graph=True),
    "strict_hessian_second_block": lambda m: F(m).hessian(lambda x, y: (x ** 2 * y).sum(), (_t(m, C), _t(m, C)),
                                                          strict=True),
    "strict_vhp_unused": lambda m: F(m).vhp(lambda x, y: (x ** 2).sum(), (_t(m, C), _t(m, C)),
                                            (_t(m, C), _t(m, C)), strict=True),
    "strict_hvp_partially_linear": lambda m: F(m).hvp(lambda x, y: (x ** 2).sum() + y.sum(), (_t(m, C), _t(m, C)),
                                                      (_t(m, C), _t(m, C)), strict=True),
    "strict_vhp_create_graph_quadratic": lambda m: F(m).vhp(lambda x: (x * x).sum(), _t(m, C), _t(m, C),
                                                            strict=True, create_graph=True),
    "strict_hvp_create_graph_quadratic": lambda m: F(m).hvp(lambda x: (x * x).sum(), _t(m, C), _t(m, C),
                                                            strict=True, create_graph=True),
}


def _leaf(m):
    return _t(m, np.ones(2), requires_grad=True)


# strict-mode errors raised by a function that also depends on a tensor from outside its inputs
OUTSIDE_LEAF_ERRORS = {
    "jvp_output_unreachable_from_inputs": lambda m, z: F(m).jvp(lambda x: (z * 1, x * 2), _t(m, C), _t(m, C),
                                                                strict=True),
    "vhp_gradient_independent_of_input": lambda m, z: F(m).vhp(lambda x: (x * z).sum(), _t(m, C), _t(m, C),
                                                               strict=True),
    "hvp_gradient_independent_of_input": lambda m, z: F(m).hvp(lambda x: (x * z).sum(), _t(m, C), _t(m, C),
                                                               strict=True),
    "hvp_second_input_unreached": lambda m, z: F(m).hvp(lambda x, y: (x * x).sum() + (y * z).sum(),
                                                        (_t(m, C), _t(m, C)), (_t(m, C), _t(m, C)), strict=True,
                                                        create_graph=True),
    "vhp_second_input_unreached": lambda m, z: F(m).vhp(lambda x, y: (x * x).sum() + (y * z).sum(),
                                                        (_t(m, C), _t(m, C)), (_t(m, C), _t(m, C)), strict=True,
                                                        create_graph=True),
    "hessian_gradient_independent_of_input": lambda m, z: F(m).hessian(lambda x: (x * z).sum(), _t(m, C),
                                                                       strict=True),
    "vjp_linear_then_unused": lambda m, z: F(m).vjp(lambda x, y: x * 2 + z, (_t(m, C), _t(m, C)), _t(m, C),
                                                    strict=True, create_graph=True),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE_LEAF_ERRORS))
def test_strict_errors_with_outside_tensors_match_pytorch(name):
    assert_same_error(lambda m: OUTSIDE_LEAF_ERRORS[name](m, _leaf(m)))


def test_outside_tensor_is_left_alone():
    for m in (tg, torch):
        z = _leaf(m)
        out, jv = F(m).jvp(lambda x: (x * 2, z * 1), _t(m, C), _t(m, C))
        assert z.grad is None and not out[1].requires_grad
        np.testing.assert_allclose(jv[1].numpy(), np.zeros(2))


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name):
    assert_same_error(ERRORS[name])


def test_namespace():
    assert sorted(tg.autograd.functional.__all__) == sorted(torch.autograd.functional.__all__)


def test_variable_matches_pytorch():
    for m in (tg, torch):
        t = m.ones(2)
        v = m.autograd.Variable(t)
        assert type(v) is m.Tensor and v is not t and not v.requires_grad
        assert isinstance(t, m.autograd.Variable)
        v = m.autograd.Variable(t, requires_grad=True)
        assert v.requires_grad and v.is_leaf and not t.requires_grad
        a = m.ones(2, requires_grad=True) * 2
        v = m.autograd.Variable(a)
        assert v.grad_fn is None and not v.requires_grad
        assert tuple(m.autograd.Variable().shape) == (0,)
        assert not isinstance(3, m.autograd.Variable)
    assert_same_error(lambda m: m.autograd.Variable([1.0]))
    # (an integer Variable with requires_grad=True raises core's requires_grad_ error, whose wording
    # is core's: not checked here)
