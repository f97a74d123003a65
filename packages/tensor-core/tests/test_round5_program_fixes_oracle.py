"""``torch._foreach_*`` held to PyTorch: values and dtypes of every unary, binary, pointwise and
reduction variant, in-place results and return values, and the errors of mismatched lists."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, run_in_both  # noqa: E402

_DATA = ([0.3, -0.7, 1.9], [[0.25, -1.5], [2.0, 0.6]])


def _lists(lib, dtype="float32"):
    return [lib.tensor(d, dtype=getattr(lib, dtype)) for d in _DATA]


def _assert_lists(ours, theirs):
    assert type(ours) is type(theirs) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_values_close(a, b)


UNARY = ["abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
         "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
         "sinh", "sqrt", "tan", "tanh", "trunc"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    _assert_lists(*run_in_both(lambda t: getattr(t, f"_foreach_{name}")(_lists(t))))

    def inplace(t):
        xs = _lists(t)
        assert getattr(t, f"_foreach_{name}_")(xs) is xs
        return xs
    _assert_lists(*run_in_both(inplace))


BINARY_CASES = {
    "add scalar": lambda t, xs: t._foreach_add(xs, 2),
    "add scalars": lambda t, xs: t._foreach_add(xs, [0.5, -1]),
    "add tensors alpha": lambda t, xs: t._foreach_add(xs, _lists(t), alpha=-0.5),
    "add 0-dim tensor alpha": lambda t, xs: t._foreach_add(xs, t.tensor(3.0), alpha=2),
    "sub tensors": lambda t, xs: t._foreach_sub(xs, _lists(t)),
    "mul 0-dim tensor": lambda t, xs: t._foreach_mul(xs, t.tensor(2.5)),
    "mul tensors": lambda t, xs: t._foreach_mul(xs, _lists(t)),
    "div scalars": lambda t, xs: t._foreach_div(xs, [2, 4]),
    "int mul float": lambda t, xs: t._foreach_mul([t.tensor([1, 2])], 0.5),
    "int div int": lambda t, xs: t._foreach_div([t.tensor([1, 3])], 2),
    "maximum scalar": lambda t, xs: t._foreach_maximum(xs, 0.5),
    "minimum tensors": lambda t, xs: t._foreach_minimum(xs, [t.zeros(3), t.ones(2, 2)]),
    "clamp_min scalars": lambda t, xs: t._foreach_clamp_min(xs, [0.0, 1.0]),
    "clamp_max tensors": lambda t, xs: t._foreach_clamp_max(xs, [t.zeros(3), t.ones(2, 2)]),
    "pow scalar": lambda t, xs: t._foreach_pow(xs, 2),
    "pow tensors": lambda t, xs: t._foreach_pow(t._foreach_abs(xs), _lists(t)),
    "scalar pow": lambda t, xs: t._foreach_pow(3.0, xs),
    "lerp scalar": lambda t, xs: t._foreach_lerp(xs, [t.ones(3), t.zeros(2, 2)], 0.3),
    "lerp scalars": lambda t, xs: t._foreach_lerp(xs, [t.zeros(3), t.ones(2, 2)], [0.3, 0.9]),
    "lerp tensors": lambda t, xs: t._foreach_lerp(xs, [t.zeros(3), t.ones(2, 2)], _lists(t)),
    "addcmul value": lambda t, xs: t._foreach_addcmul(xs, xs, _lists(t), 0.5),
    "addcdiv value keyword": lambda t, xs: t._foreach_addcdiv(xs, xs, t._foreach_exp(xs), value=-2),
    "addcmul scalars": lambda t, xs: t._foreach_addcmul(xs, xs, xs, [2, -1]),
    "addcdiv tensor scalars": lambda t, xs: t._foreach_addcdiv(xs, xs, t._foreach_exp(xs), t.tensor([1.0, -2.0])),
    "norm": lambda t, xs: t._foreach_norm(xs),
    "norm inf": lambda t, xs: t._foreach_norm(xs, float("inf")),
    "norm dtype": lambda t, xs: t._foreach_norm(xs, 1, dtype=t.float64),
    "max": lambda t, xs: t._foreach_max(xs),
    "powsum": lambda t, xs: t._foreach_powsum(xs, 3),
    "clone": lambda t, xs: t._foreach_clone(xs),
    "mm": lambda t, xs: t._foreach_mm([xs[1]], [t.ones(2, 3)]),
}


@pytest.mark.parametrize("case", list(BINARY_CASES))
def test_out_of_place(case):
    _assert_lists(*run_in_both(lambda t: BINARY_CASES[case](t, _lists(t))))


INPLACE_CASES = {
    "add_": lambda t, xs: t._foreach_add_(xs, _lists(t), alpha=0.5),
    "sub_": lambda t, xs: t._foreach_sub_(xs, 1),
    "mul_": lambda t, xs: t._foreach_mul_(xs, [2, 3]),
    "div_": lambda t, xs: t._foreach_div_(xs, t.tensor(4.0)),
    "maximum_": lambda t, xs: t._foreach_maximum_(xs, [t.zeros(3), t.ones(2, 2)]),
    "minimum_": lambda t, xs: t._foreach_minimum_(xs, 0.0),
    "clamp_min_": lambda t, xs: t._foreach_clamp_min_(xs, 0.2),
    "pow_": lambda t, xs: t._foreach_pow_(xs, [2, 3]),
    "lerp_": lambda t, xs: t._foreach_lerp_(xs, [t.ones(3), t.zeros(2, 2)], 0.25),
    "addcmul_": lambda t, xs: t._foreach_addcmul_(xs, xs, xs, 3),
    "addcdiv_": lambda t, xs: t._foreach_addcdiv_(xs, xs, t._foreach_exp(xs), [1, 2]),
    "zero_": lambda t, xs: t._foreach_zero_(xs),
    "copy_": lambda t, xs: t._foreach_copy_(xs, [t.arange(3), t.ones(2, 2, dtype=t.float64)]),
}


@pytest.mark.parametrize("case", list(INPLACE_CASES))
def test_in_place_updates_and_returns_the_list(case):
    def run(t):
        xs = tuple(_lists(t)) if case == "mul_" else _lists(t)
        assert INPLACE_CASES[case](t, xs) is xs
        return list(xs)
    _assert_lists(*run_in_both(run))


ERRORS = {
    "lengths": lambda t: t._foreach_add(_lists(t), [t.ones(3)]),
    "empty": lambda t: t._foreach_mul([], 2),
    "scalar list length": lambda t: t._foreach_mul(_lists(t), [1, 2, 3]),
    "1-d tensor operand": lambda t: t._foreach_mul(_lists(t), t.tensor([1.0])),
    "mixed list": lambda t: t._foreach_add(_lists(t), [2, t.ones(2)]),
    "scalars with alpha": lambda t: t._foreach_add(_lists(t), [1, 2], alpha=2),
    "not a list (unary)": lambda t: t._foreach_exp(t.ones(2)),
    "item not a tensor": lambda t: t._foreach_exp([t.ones(2), 3]),
    "int in-place float": lambda t: t._foreach_mul_([t.tensor([1, 2])], 0.5),
    "bool sub": lambda t: t._foreach_sub([t.tensor([True])], 1),
    "shape": lambda t: t._foreach_add(_lists(t), [t.ones(2), t.ones(3)]),
    "int norm": lambda t: t._foreach_norm([t.tensor([1, 2])]),
    "empty max": lambda t: t._foreach_max([t.ones(0)]),
    "addcdiv scalars tensor": lambda t: t._foreach_addcdiv(_lists(t), _lists(t), _lists(t), t.tensor([1.0, 2, 3])),
    "addcmul scalars list": lambda t: t._foreach_addcmul(_lists(t), _lists(t), _lists(t), [1.0]),
    "copy_ lengths": lambda t: t._foreach_copy_(_lists(t), [t.ones(3)]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case):
    assert_same_error(ERRORS[case])


@pytest.mark.parametrize("call", [
    lambda t: t._foreach_add(t.ones(2), 1),
    lambda t: t._foreach_mul(_lists(t), "x"),
    lambda t: t._foreach_lerp(_lists(t), 3, 0.5),
])
def test_invalid_combination_first_lines(call):
    # tensorgraft lists the signatures without PyTorch's "didn't match because" notes under some
    assert_same_error(call, normalize=lambda m: m.split("\n")[0])


def test_foreach_results_carry_gradients():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

    def run(t):
        xs = [t.tensor(d, requires_grad=True) for d in _DATA]
        out = t._foreach_addcmul(t._foreach_mul(xs, 2.0), xs, xs, 0.5)
        sum(o.sum() for o in t._foreach_sqrt(t._foreach_abs(out))).backward()
        return [x.grad for x in xs]
    _assert_lists(*run_in_both(run))
