"""Regressions from differential fuzzing of the random samplers against PyTorch 2.13 (CPU).

Values, errors and warnings are PyTorch's, hard-coded (this file does not import torch). Each
sampling test also checks the generator's next draw, so a sampler that consumes PyTorch's number
of words is checked too."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg

FLOAT_WARNING = ("{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations {name} can support discrete "
                 "uniform distribution only within this range. This warning will become an error in version 1.7 "
                 "release, please fix the code in advance")


def _seeded(fn):
    """``fn()`` after ``manual_seed(0)``: (its result or its error, the warnings, the next two uniforms)."""
    tg.manual_seed(0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            result = (type(e).__name__, str(e))
    return result, [str(w.message) for w in seen], tg.rand(2).tolist()


NEXT_AFTER_0 = [0.49625658988952637, 0.7682217955589294]  # rand(2) right after manual_seed(0)


# --------------------------------------------------------------------------- random_ / randint bounds
def test_bfloat16_random_moves_to_inwards_and_warns():
    res, warned, nxt = _seeded(lambda: tg.zeros(6, dtype=tg.bfloat16).random_(0, 300).tolist())
    assert res == [148.0, 53.0, 69.0, 258.0, 187.0, 5.0]  # range 298: update_to's, not 300
    assert warned == [FLOAT_WARNING.format(what="to - 1", d=8, name="c10::BFloat16")]
    assert nxt == pytest.approx([0.4900934100151062, 0.8964447379112244], abs=0)


@pytest.mark.parametrize("high,expected,nxt", [
    (2 ** 31, [382722848.0, 1858664704.0, 710291712.0, 1448922240.0], [0.455627977848053, 0.6323062777519226]),
    # 2**28 becomes 2**28 - 16: a 32-bit draw, not a 64-bit one
    (2 ** 28, [209652528.0, 130329280.0, 118925096.0, 136433040.0], [0.30742281675338745, 0.6340786814689636]),
])
def test_float_randint_beyond_2_24(high, expected, nxt):
    res, warned, after = _seeded(lambda: tg.randint(0, high, (4,), dtype=tg.float32).tolist())
    assert res == expected
    assert warned == [FLOAT_WARNING.format(what="to - 1", d=24, name="float")]
    assert after == pytest.approx(nxt, abs=0)


def test_full_64_bit_range():
    res, _, nxt = _seeded(lambda: tg.zeros(3, dtype=tg.int64).random_(-2 ** 63, None).tolist())
    assert res == [-8322921849960486353, -5253828890213626688, -7327722439656189189]
    assert nxt == pytest.approx([0.4900934100151062, 0.8964447379112244], abs=0)
    res, _, _ = _seeded(lambda: tg.zeros(3, dtype=tg.float64).random_(-2 ** 63, None).tolist())
    assert res == [-8.322921849960486e+18, -5.253828890213627e+18, -7.327722439656189e+18]


def test_random_from_up_to_the_dtype_max():
    res, _, nxt = _seeded(lambda: tg.zeros(3, dtype=tg.int8).random_(-1, None).tolist())
    assert res == [55, 56, 85]
    assert nxt == pytest.approx([0.13203048706054688, 0.30742281675338745], abs=0)


@pytest.mark.parametrize("call,error", [
    (lambda: tg.zeros(3, dtype=tg.float16).random_(0, 2 ** 24), ("RuntimeError", "to - 1 is out of bounds for c10::Half")),
    (lambda: tg.randint(-2 ** 31, 0, (3,), dtype=tg.float16), ("RuntimeError", "from is out of bounds for c10::Half")),
    (lambda: tg.zeros(3, dtype=tg.bool).random_(-5, 7), ("RuntimeError", "from is out of bounds for bool")),
    (lambda: tg.zeros(0, dtype=tg.bool).random_(5, None), ("RuntimeError", "from is out of bounds for bool")),
    (lambda: tg.randint(-1, 300, (3,), dtype=tg.uint8), ("RuntimeError", "from is out of bounds for unsigned char")),
    (lambda: tg.zeros(3).random_(2 ** 24, None),
     ("RuntimeError", "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, "
                      "but got from=16777216 > to_inc=16777216")),
    (lambda: tg.zeros(3, dtype=tg.complex64).random_(5, None),
     ("RuntimeError", "random_from_to_impl handles only integral, floating-point and boolean types")),
    (lambda: tg.zeros(3, dtype=tg.complex64).random_(3, 3),
     ("RuntimeError", "random_ expects 'from' to be less than 'to', but got from=3 >= to=3")),
    (lambda: tg.zeros(3, dtype=tg.int8).random_(-2 ** 63, None),
     ("RuntimeError", "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")),
    (lambda: tg.zeros(3, dtype=tg.float16).random_(-2 ** 63, None),
     ("NotImplementedError", "\"random_full_64_bits_range_kernel_cpu\" not implemented for 'Half'")),
])
def test_random_bound_errors(call, error):
    res, _, nxt = _seeded(call)
    assert res == error
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)  # nothing drawn


def test_random_refuses_float_bounds():
    with pytest.raises(TypeError) as e:
        tg.zeros(3).random_(2.5, 7)
    assert str(e.value) == (
        "random_() received an invalid combination of arguments - got (float, int), but expected one of:\n"
        " * (*, torch.Generator generator = None)\n"
        "      didn't match because some of the arguments have invalid types: (!float!, !int!)\n"
        " * (int from, int to, *, torch.Generator generator = None)\n"
        " * (int to, *, torch.Generator generator = None)\n")


def test_randperm_without_n():
    with pytest.raises(TypeError, match=r"^randperm\(\) received an invalid combination of arguments - got \(\), "):
        tg.randperm()


# --------------------------------------------------------------------------- uniform_ bounds
@pytest.mark.parametrize("dtype,bounds,message", [
    ("float16", (-7e4, 0), "from is out of bounds for c10::Half"),
    ("float32", (0, 1e39), "to is out of bounds for float"),
    ("float64", (float("nan"), 1), "from is out of bounds for double"),
    ("complex64", (-1e39, 0), "from is out of bounds for float"),
    ("float32", (-3e38, 3e38), "uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found to=3e+38 and "
                               "from=-3e+38 which result in to-from to exceed the limit"),
    ("float16", (-6e4, 6e4), "uniform_ expects to-from <= std::numeric_limits<Half>::max(), but found to=60000 and "
                             "from=-60000 which result in to-from to exceed the limit"),
])
def test_uniform_bounds(dtype, bounds, message):
    res, _, nxt = _seeded(lambda: tg.zeros(3, dtype=getattr(tg, dtype)).uniform_(*bounds))
    assert res == ("RuntimeError", message)
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)


# --------------------------------------------------------------------------- empty tensors, NaN parameters
@pytest.mark.parametrize("call", [
    lambda: tg.zeros(0, dtype=tg.int64).normal_(),
    lambda: tg.zeros(0, dtype=tg.bool).exponential_(),
    lambda: tg.zeros(0, dtype=tg.int32).log_normal_(),
    lambda: tg.zeros(0, dtype=tg.complex64).geometric_(0.3),
    lambda: tg.zeros(0, dtype=tg.complex64).random_(),
    lambda: tg.zeros(0, dtype=tg.complex64).bernoulli_(0.5),
    lambda: tg.zeros(0, dtype=tg.complex64).bernoulli_(tg.full((0,), 1.5)),
    lambda: tg.zeros(0, dtype=tg.complex64).uniform_(5, 4),
    lambda: tg.randn(0, dtype=tg.int64),
    lambda: tg.randn_like(tg.zeros(2, 0, dtype=tg.bool)),
    lambda: tg.normal(0.0, 1.0, (0,), dtype=tg.int64),
    lambda: tg.normal(tg.zeros(0, dtype=tg.int64), 1.0),
    lambda: tg.bernoulli(tg.zeros(0, dtype=tg.int64)),
])
def test_empty_tensors_reach_no_dtype_check(call):
    res, _, nxt = _seeded(call)
    assert isinstance(res, tg.Tensor) and res.numel() == 0
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)


@pytest.mark.parametrize("call,error", [
    (lambda: tg.zeros(0, dtype=tg.int64).normal_(0, -1), "normal expects std >= 0.0, but found std -1"),
    (lambda: tg.zeros(3).normal_(0, float("nan")), "normal expects std >= 0.0, but found std nan"),
    (lambda: tg.zeros(3, dtype=tg.int64).exponential_(float("nan")),
     "exponential_ expects lambda > 0.0, but found lambda=nan"),
    (lambda: tg.normal(tg.zeros(3), float("nan")), "normal expects std >= 0.0, but found std nan"),
    (lambda: tg.normal(tg.zeros(3), tg.tensor([1.0, float("nan"), 1.0])), "normal expects all elements of std >= 0.0"),
    (lambda: tg.normal(tg.zeros(3), tg.ones(3, dtype=tg.complex64)), "normal expects standard deviation to be non-complex"),
    (lambda: tg.normal(1.0, tg.ones(3, dtype=tg.complex64)), "normal expects standard deviation to be non-complex"),
    (lambda: tg.bernoulli(tg.zeros(0, dtype=tg.complex64), 1.3), "bernoulli_ expects p to be in [0, 1], but got p=1.3"),
])
def test_parameter_checks(call, error):
    res, _, nxt = _seeded(call)
    assert res == ("RuntimeError", error)
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)


# --------------------------------------------------------------------------- normal
def test_normal_tensor_mean_number_std_scales_in_the_kernel():
    # PyTorch: normal_(0, std) (the double product rounded once), then + mean
    res, _, nxt = _seeded(lambda: tg.normal(tg.arange(4.0), 0.3).tolist())
    assert res == [0.46229884028434753, 0.9119713306427002, 1.3463631868362427, 3.170529365539551]
    assert nxt == pytest.approx([0.455627977848053, 0.6323062777519226], abs=0)


def test_normal_draws_in_outs_dtype():
    res, _, nxt = _seeded(lambda: tg.normal(1.5, 2.0, (3,), out=tg.empty(3, dtype=tg.float64)).tolist())
    assert res == [4.581992216488087, 0.9131421884781072, -2.857578764149115]
    assert nxt == pytest.approx([0.455627977848053, 0.6323062777519226], abs=0)
    res, _, _ = _seeded(lambda: tg.normal(0.7, tg.arange(4.0) * 0.3 + 0.1, out=tg.empty(4, dtype=tg.float16)).tolist())
    assert res == [0.8544921875, 0.5830078125, -0.8251953125, 1.2685546875]
    res, _, _ = _seeded(lambda: tg.normal(0.0, 1.0, (2,), out=tg.empty(0, dtype=tg.int64)))
    assert res == ("NotImplementedError", "\"normal_kernel_cpu\" not implemented for 'Long'")


def test_normal_signature_errors():
    with pytest.raises(TypeError) as e:
        tg.normal(0.0, 1.0)
    assert str(e.value).startswith("normal() received an invalid combination of arguments - got (float, float), but "
                                   "expected one of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = "
                                   "None, Tensor out = None)\n")
    with pytest.raises(TypeError, match=r"^normal\(\) received an invalid combination of arguments - got \(float, "
                                        r"float, int\)"):
        tg.normal(0.0, 1.0, 5)
    with pytest.raises(TypeError, match='^normal\\(\\) missing 1 required positional arguments: "mean"$'):
        tg.normal(std=tg.ones(3))
    with pytest.raises(TypeError, match=r"^normal\(\): argument 'mean' \(position 1\) must be Tensor, not float$"):
        tg.normal(1.0)


# --------------------------------------------------------------------------- bernoulli
def test_bernoulli_out_of_another_dtype():
    res, _, nxt = _seeded(lambda: tg.bernoulli(tg.tensor([0.2, 0.9, 0.5, 0.7]), out=tg.empty(4, dtype=tg.int64)))
    assert res.dtype is tg.int64 and res.tolist() == [0, 1, 1, 1]
    assert nxt == pytest.approx([0.30742281675338745, 0.6340786814689636], abs=0)


def test_bernoulli_bad_probability_raises_after_drawing_for_those_before():
    res, _, nxt = _seeded(lambda: tg.bernoulli(tg.tensor([0.5, 0.5, float("nan")])))
    assert res[0] == "RuntimeError" and res[1].startswith("Expected p_in >= 0 && p_in <= 1 to be true")
    assert nxt == pytest.approx([0.08847743272781372, 0.13203048706054688], abs=0)  # two words used


def test_bernoulli_tensor_p_checks():
    res, _, _ = _seeded(lambda: tg.zeros(5).bernoulli_(tg.ones(5, dtype=tg.int64)))
    assert res == ("NotImplementedError", "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'")
    res, _, _ = _seeded(lambda: tg.zeros(5).bernoulli_(tg.rand(3)))
    assert res == ("RuntimeError", "The expanded size of the tensor (5) must match the existing size (3) at "
                                   "non-singleton dimension 0.  Target sizes: [5].  Tensor sizes: [3]")
    res, _, _ = _seeded(lambda: tg.zeros(3, dtype=tg.complex64).bernoulli_(tg.full((3,), 1.5)))
    assert res == ("NotImplementedError", "\"bernoulli_tensor_cpu_self_\" not implemented for 'ComplexFloat'")
    res, _, nxt = _seeded(lambda: tg.zeros(3, dtype=tg.float16).bernoulli_(tg.tensor([0.25, 0.5, 0.75])).tolist())
    assert res == [0.0, 0.0, 1.0]
    assert nxt == pytest.approx([0.13203048706054688, 0.30742281675338745], abs=0)


# --------------------------------------------------------------------------- multinomial
def test_multinomial_bfloat16_with_replacement_sums_in_float():
    # (a running sum in bfloat16 would lose most of 40 * 0.1)
    res, _, nxt = _seeded(lambda: tg.multinomial(tg.full((40,), 0.1, dtype=tg.bfloat16), 8, True).tolist())
    assert res == [38, 28, 18, 36, 25, 31, 7, 14]
    assert nxt == pytest.approx([0.6976675987243652, 0.800011396408081], abs=0)


@pytest.mark.parametrize("k,expected", [(2, [[2, 4], [2, 3], [3, 4]]), (1, [[2], [2], [3]])])
def test_multinomial_race_draws_in_the_inputs_memory_order(k, expected):
    res, _, nxt = _seeded(lambda: tg.multinomial(tg.arange(1.0, 16.0).reshape(5, 3).t(), k).tolist())
    assert res == expected
    assert nxt == pytest.approx([0.3051000237464905, 0.9320003986358643], abs=0)


def test_multinomial_no_rows_and_out_dtype():
    res, _, nxt = _seeded(lambda: tg.multinomial(tg.ones(0, 4), 3, True))
    assert tuple(res.shape) == (0, 3) and res.dtype is tg.int64
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)
    with pytest.raises(RuntimeError, match="^multinomial expects Long tensor out, got: Int$"):
        tg.multinomial(tg.ones(4), 2, out=tg.empty(2, dtype=tg.int32))


def test_factory_outs_are_resized_without_warning():
    for call in (lambda: tg.rand(7, out=tg.empty(3)), lambda: tg.randint(5, (7,), out=tg.empty(3, dtype=tg.int64)),
                 lambda: tg.randperm(7, out=tg.empty(3, dtype=tg.int64)),
                 lambda: tg.normal(0.0, 1.0, (7,), out=tg.empty(3)),
                 lambda: tg.multinomial(tg.ones(7), 7, out=tg.empty(3, dtype=tg.int64))):
        res, warned, _ = _seeded(call)
        assert tuple(res.shape) == (7,) and warned == []


# --------------------------------------------------------------------------- Generator
def test_generator_clone_state_and_cpu_only_methods():
    g = tg.Generator().manual_seed(5)
    tg.rand(3, generator=g)
    c = g.clone_state()
    assert c is not g and c.initial_seed() == 5
    assert tg.rand(2, generator=g).tolist() == tg.rand(2, generator=c).tolist() == \
        pytest.approx([0.8199270367622375, 0.9201034307479858], abs=0)
    with pytest.raises(NotImplementedError, match="^graphsafe_get_state is not supported in this Generator$"):
        g.graphsafe_get_state()
    with pytest.raises(NotImplementedError, match="^graphsafe_set_state is not supported in this Generator$"):
        g.graphsafe_set_state(c)
    with pytest.raises(RuntimeError, match="^CPU Generator does not use offset$"):
        g.get_offset()
    with pytest.raises(RuntimeError, match="^CPU Generator does not use offset$"):
        g.set_offset(3)
    with pytest.raises(TypeError, match=r"^Generator\(\) takes from 0 to 1 positional arguments but 2 were given$"):
        tg.Generator("cpu", 1)


# --------------------------------------------------------------------------- autograd of in-place samplers
def test_in_place_sampler_on_a_leaf_refuses_before_drawing():
    pytest.importorskip("tensorgraft.autograd")
    res, _, nxt = _seeded(lambda: tg.zeros(5, requires_grad=True).normal_(0, -1))
    assert res == ("RuntimeError", "a leaf Variable that requires grad is being used in an in-place operation.")
    assert nxt == pytest.approx(NEXT_AFTER_0, abs=0)


@pytest.mark.parametrize("call,node", [
    (lambda t: t.uniform_(), "UniformBackward0"), (lambda t: t.normal_(), "NormalBackward0"),
    (lambda t: t.exponential_(), "ExponentialBackward0"), (lambda t: t.log_normal_(), "LogNormalBackward0"),
    (lambda t: t.cauchy_(), "CauchyBackward0"), (lambda t: t.geometric_(0.2), "GeometricBackward0"),
    (lambda t: t.random_(), "RandomBackward2"), (lambda t: t.random_(5), "RandomBackward1"),
    (lambda t: t.random_(2, 5), "RandomBackward0"), (lambda t: t.bernoulli_(0.2), "BernoulliBackward2"),
    (lambda t: t.bernoulli_(tg.rand(3)), "BernoulliBackward1"),
])
def test_in_place_sampler_records_a_zero_gradient(call, node):
    pytest.importorskip("tensorgraft.autograd")
    y = tg.ones(3, requires_grad=True)
    z = y * 2
    call(z)
    assert type(z.grad_fn).__name__ == node
    (z * y).sum().backward()
    assert y.grad.tolist() == z.detach().tolist()  # no gradient through the overwritten values


def test_in_place_sampler_on_a_view_records_copy_slices():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.ones(4, requires_grad=True)
    z = y * 2
    z[:2].uniform_()
    assert type(z.grad_fn).__name__ == "CopySlices"
    (z * y).sum().backward()
    assert y.grad.tolist()[2:] == [4.0, 4.0] and y.grad.tolist()[:2] == z.detach().tolist()[:2]


# --------------------------------------------------------------------------- dropout mask
def test_half_dropout_mask_divides_in_float():
    from tensorgraft.ops.sampling import dropout_mask
    tg.manual_seed(0)
    mask = dropout_mask((5,), 0.3, tg.ones(5, dtype=tg.float16))
    # PyTorch: 1 / 0.7 in float, rounded once to half (1.4287), not 1 / half(0.7) (1.4277)
    assert mask.tolist() == [0.0, 0.0, float(np.float16(np.float32(1) / np.float32(0.7))), 0.0,
                             float(np.float16(np.float32(1) / np.float32(0.7)))]
    assert float(np.float16(np.float32(1) / np.float32(0.7))) == pytest.approx(1.4287109375, abs=0)


def test_bernoulli_of_probabilities_that_require_grad():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.full((3,), 0.5, requires_grad=True)
    y = tg.bernoulli(x)
    assert y.requires_grad and type(y.grad_fn).__name__ == "BernoulliBackward0"
    (y * 2).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
