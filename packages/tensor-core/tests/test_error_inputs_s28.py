"""Errors PyTorch's OpInfo error samples expect (tests/test_pytorch_opinfo_oracle.py runs them against
PyTorch 2.13; the messages below were taken from it): memory overlap of ``out=`` and in-place
operands, and the argument checks of dot, gradient, linspace, narrow, narrow_copy, h/v/dsplit,
multinomial, unbind and complex. Also ``div(..., rounding_mode='floor')`` of floats and mvlgamma
at -inf, found by the reference inputs."""
from __future__ import annotations

import math

import pytest

import tensorgraft as tg

PARTIAL = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single"
INTERNAL = "unsupported operation: more than one element of the written-to tensor refers to a single memory location"


def raises(exc, text, fn):
    with pytest.raises(exc) as info:
        fn()
    assert text in str(info.value), str(info.value)


# ---------------------------------------------------------------------------- out= and memory overlap
def test_elementwise_out_may_be_the_input_but_not_part_of_it():
    x = tg.arange(6.0)
    assert tg.add(x, 1, out=x) is x and x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    raises(RuntimeError, PARTIAL, lambda: tg.add(x[1:], 1, out=x[:-1]))
    raises(RuntimeError, PARTIAL, lambda: tg.sigmoid(x[1:], out=x[:-1]))
    raises(RuntimeError, PARTIAL, lambda: tg.clamp(x[1:], 0, out=x[:-1]))
    raises(RuntimeError, PARTIAL, lambda: tg.cumsum(x[1:], 0, out=x[:-1]))
    raises(RuntimeError, PARTIAL, lambda: tg.where(x[1:] > 2, x[1:], x[1:], out=x[:-1]))
    m = tg.arange(9.0).view(3, 3)
    raises(RuntimeError, PARTIAL, lambda: tg.exp(m, out=m.t()))  # (the same memory in another layout)
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # (nothing written by the refused calls)


def test_ops_writing_through_a_result_of_their_own_allow_overlap():
    m = tg.arange(9.0).view(3, 3)
    tg.sum(m, 0, out=m[0])
    tg.mm(m, tg.eye(3), out=m)
    assert m[1:].tolist() == [[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]


def test_ops_reading_other_elements_refuse_any_overlap():
    x = tg.arange(6.0)
    i = tg.tensor([2, 1, 0])
    raises(RuntimeError, PARTIAL, lambda: tg.gather(x[:3], 0, i, out=x[:3]))
    raises(RuntimeError, PARTIAL, lambda: tg.index_select(x[:3], 0, i, out=x[:3]))
    raises(RuntimeError, PARTIAL, lambda: tg.take(x[:3], i, out=x[:3]))
    raises(RuntimeError, PARTIAL, lambda: tg.masked_select(x, x > 2, out=x))
    raises(RuntimeError, PARTIAL, lambda: tg.cat([x[:3], x[3:]], out=x))
    raises(RuntimeError, PARTIAL, lambda: tg.index_add(x, 0, i, x[:3], out=x))
    raises(RuntimeError, PARTIAL, lambda: tg.kthvalue(x, 2, out=(x[0], tg.zeros((), dtype=tg.int64))))
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_an_expanded_out_is_refused():
    raises(RuntimeError, INTERNAL, lambda: tg.add(tg.zeros(3), 1, out=tg.zeros(1).expand(3)))
    raises(RuntimeError, INTERNAL, lambda: tg.index_select(tg.arange(6.0), 0, tg.tensor([0, 1, 2]),
                                                            out=tg.zeros(1).expand(3)))
    raises(RuntimeError, INTERNAL, lambda: tg.cat([tg.ones(2, 3), tg.ones(2, 3)], out=tg.zeros(1, 3).expand(4, 3)))
    raises(RuntimeError, INTERNAL, lambda: tg.bernoulli(tg.rand(6), out=tg.zeros(1).expand(6)))
    y = tg.rand(6)
    assert tg.bernoulli(y, out=y) is y  # (out may be the probabilities themselves)


def test_in_place_elementwise_op_refuses_a_part_of_itself():
    x = tg.arange(6.0)
    raises(RuntimeError, PARTIAL, lambda: x[1:].add_(x[:-1]))
    with pytest.raises(RuntimeError, match="unsupported operation"):
        x[1:] += x[:-1]
    x[1:] += x[:-1].clone()
    assert x.tolist() == [0.0, 1.0, 3.0, 5.0, 7.0, 9.0]
    x.mul_(x)  # (itself: each element read before it is written)
    assert x.tolist() == [0.0, 1.0, 9.0, 25.0, 49.0, 81.0]
    m = tg.arange(6.0).view(2, 3)
    m[0] += m[1]  # (disjoint rows of one tensor)
    assert m.tolist() == [[3.0, 5.0, 7.0], [3.0, 4.0, 5.0]]


def test_take_and_index_add_take_out():
    x = tg.arange(6.0)
    out = tg.empty(3)
    assert tg.take(x, tg.tensor([5, 0, 2]), out=out) is out and out.tolist() == [5.0, 0.0, 2.0]
    out = tg.empty(6)
    tg.index_add(x, 0, tg.tensor([0, 0]), tg.ones(2), out=out)
    assert out.tolist() == [2.0, 1.0, 2.0, 3.0, 4.0, 5.0] and x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_gather_out_dtype_is_checked_before_the_overlap():
    x = tg.randn(3)
    i = tg.tensor([2, 1, 0])
    raises(RuntimeError, "Expected out tensor to have dtype float, but got long int instead",
           lambda: tg.gather(x, 0, i, out=i))
    raises(RuntimeError, "Expected out tensor to have dtype float, but got double instead",
           lambda: tg.gather(x, 0, i, out=tg.empty(3, dtype=tg.float64)))


# ---------------------------------------------------------------------------- argument checks
def test_dot_checks_dtypes_before_sizes():
    for f in (tg.dot, tg.vdot):
        raises(RuntimeError, "expected both vectors to have same dtype, but found Float and Half",
               lambda: f(tg.ones(1), tg.ones(3, dtype=tg.float16)))


def test_gradient_checks_dims_and_spacing_devices():
    x = tg.randn(3, 3)
    raises(RuntimeError, "dim 1 appears multiple times in the list of dims", lambda: tg.gradient(x, dim=(1, 1)))
    raises(RuntimeError, "torch.gradient expected each tensor to be on the same device, but got devices cpu and "
           "meta!", lambda: tg.gradient(x, spacing=[tg.arange(3.0, device="meta"), tg.arange(3.0)], dim=(0, 1)))


def test_linspace_and_logspace_take_0d_tensor_ends_only():
    for f in (tg.linspace, tg.logspace):
        name = f.__name__
        raises(RuntimeError, f"{name} only supports 0-dimensional start and end tensors, but got start with 1 "
               "dimension(s).", lambda: f(tg.tensor([1.0, 2.0]), 5, 3))
        raises(RuntimeError, "but got start with 1 dimension(s) and end with 0 dimension(s).",
               lambda: f(tg.tensor([1.0, 2.0]), tg.tensor(3.0), -1))  # (before the steps)
        assert f(tg.tensor(1.0), tg.tensor(2.0), 2).shape == (2,)


def test_narrow_takes_a_0d_integer_tensor_start():
    x = tg.randn(20, 10, 5)
    for start in (tg.tensor([5]), tg.tensor(True), tg.tensor(1.0)):
        raises(RuntimeError, "start must be an 0-dim integral Tensor.", lambda: x.narrow(1, start, 2))
    assert x.narrow(1, tg.tensor(2), 3).shape == (20, 3, 5)


def test_narrow_copy_checks_as_pytorch():
    x = tg.randn(10, 5, 20)
    raises(RuntimeError, "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true",
           lambda: tg.narrow_copy(x, 3, 0, 0))
    raises(IndexError, "Dimension out of range", lambda: tg.narrow_copy(x, -4, 0, 0))
    raises(RuntimeError, "start (0) + length (-1) exceeds dimension size (10).", lambda: tg.narrow_copy(x, 0, 0, -1))
    raises(IndexError, "start out of range (expected to be in range of [-10, 10], but got -11)",
           lambda: tg.narrow_copy(x, 0, -11, 1))
    assert tg.narrow_copy(x, 1, tg.tensor([1]), 1).shape == (10, 1, 20)


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
def test_hvdsplit_refuse_what_their_parser_refuses(name):
    f, x = getattr(tg, name), tg.randn(4, 4, 4)
    for bad, shown in (("abc", "str"), (2.5, "float"), (None, "NoneType")):
        raises(TypeError, f"{name}() received an invalid combination of arguments - got (Tensor, {shown})",
               lambda: f(x, bad))
    raises(TypeError, f"{name}(): argument 'indices' failed to unpack the object at pos 2 with error \"type must be "
           "tuple of ints,but got str\"", lambda: f(x, [1, "a"]))
    assert len(f(x, 2)) == 2 and len(f(x, [1, 3])) == 3 and len(f(x, tg.tensor(4))) == 4
    raises(RuntimeError, f"torch.{name} requires a tensor with at least", lambda: f(tg.tensor(1.0), 1))


def test_multinomial_checks_in_pytorchs_order():
    raises(RuntimeError, "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
           lambda: tg.multinomial(tg.tensor([-1.0, 1.0]), 3))
    raises(RuntimeError, "invalid multinomial distribution (encountering probability entry < 0)",
           lambda: tg.multinomial(tg.tensor([-1.0, 1.0]), 3, True))
    raises(RuntimeError, "number of categories cannot exceed 2^24",
           lambda: tg.multinomial(tg.zeros(2 ** 24 + 1, dtype=tg.float64), 3))


def test_unbind_of_a_0d_tensor_is_an_index_error():
    raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", lambda: tg.tensor(1).unbind())
    raises(IndexError, "Dimension specified as 0 but tensor has no dimensions", lambda: tg.unbind(tg.tensor(1), -1))
    raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)",
           lambda: tg.unbind(tg.tensor(1), 1))


@pytest.mark.parametrize("name", ["complex", "polar"])
def test_complex_out_must_have_the_result_dtype(name):
    f, a = getattr(tg, name), tg.randn(3, dtype=tg.float64)
    raises(RuntimeError, "Expected object of scalar type ComplexDouble but got scalar type ComplexFloat for "
           "argument 'out'", lambda: f(a, a, out=tg.empty(3, dtype=tg.complex64)))
    out = tg.empty(3, dtype=tg.complex128)
    assert f(a, a, out=out) is out


# ---------------------------------------------------------------------------- values from the reference inputs
def test_floor_division_of_floats_floors_the_exact_quotient():
    # 0.001 is a little more than a thousandth: 0.25 / 0.001 rounds to 250.0, the exact quotient floors to 249
    x = tg.tensor([0.25, -0.25, 1.0, 7.5, -7.5, 0.0, -0.0], dtype=tg.float64)
    expected = [249.0, -250.0, 999.0, 7499.0, -7500.0, 0.0, -0.0]
    for r in (tg.div(x, 0.001, rounding_mode="floor"), x // 0.001, tg.floor_divide(x, 0.001),
              tg.div(x.float(), 0.001, rounding_mode="floor")):
        assert r.tolist() == expected
        assert math.copysign(1.0, r[-1].item()) == -1.0
    assert tg.div(tg.tensor([1.0, -1.0, 0.0]), 0.0, rounding_mode="floor").tolist()[:2] == [math.inf, -math.inf]


def test_mvlgamma_at_minus_infinity_is_plus_infinity():
    x = tg.tensor([-math.inf, math.inf, 0.2], dtype=tg.float64)
    assert tg.mvlgamma(x, 1).tolist()[:2] == [math.inf, math.inf]
    assert tg.mvlgamma(x.float(), 3).tolist()[:2] == [math.inf, math.inf]


def test_in_place_abs_of_complex_is_refused():
    for name in ("abs_", "absolute_"):
        x = tg.tensor([3 + 4j])
        raises(RuntimeError, "In-place abs is not supported for complex tensors.", lambda: getattr(x, name)())
        assert x.tolist() == [3 + 4j]
    x = tg.tensor([-3.0, 2.0])
    assert x.abs_() is x and x.tolist() == [3.0, 2.0]


def test_an_empty_out_of_several_dims_is_not_an_overlap():
    # NumPy gives an empty array strides of 0: no elements, so nothing shared
    out = tg.empty(1, 0, 3)
    assert tg.acos(tg.empty(1, 0, 3), out=out) is out
    assert tg.add(tg.empty(1, 0, 3), 1, out=out) is out and out.shape == (1, 0, 3)


@pytest.mark.parametrize("call", [
    lambda x: x[:-1].addcmul_(x[1:], x[1:].clone()), lambda x: x[:-1].addcdiv_(x[1:].clone(), x[1:]),
    lambda x: x[:-1].lerp_(x[1:], 0.5), lambda x: x[:-1].clamp_(max=x[1:]), lambda x: x[:-1].eq_(x[1:]),
    lambda x: x[:-1].logical_and_(x[1:]), lambda x: x.index_add_(0, tg.arange(6), x),
])
def test_in_place_ops_check_every_tensor_operand(call):
    x = tg.arange(1.0, 7.0)
    raises(RuntimeError, PARTIAL, lambda: call(x))
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_in_place_ops_take_themselves_whole_as_operands():
    x = tg.arange(1.0, 4.0)
    x.addcmul_(x, x)  # 1 + 1, 2 + 4, 3 + 9
    x.lerp_(x, 0.5)
    x.clamp_(x, x)
    assert x.tolist() == [2.0, 6.0, 12.0]
    assert x.lt_(x).tolist() == [0.0, 0.0, 0.0]
