"""Regressions from fuzzing against PyTorch: the argument and dtype contracts of the random
samplers, and elementwise ops at special values (signed zeros, infinities, complex inputs)."""
import math

import numpy as np
import pytest

import tensorgraft as tg


# ---------------------------------------------------------------- in-place samplers
def test_uniform_on_complex_fills_both_parts(tg_device):
    tg.manual_seed(11)
    z = tg.zeros(4000, dtype=tg.complex64, device=tg_device).uniform_(2, 5)
    assert z.dtype is tg.complex64
    re, im = z.real.cpu().numpy(), z.imag.cpu().numpy()
    for part in (re, im):
        assert part.min() >= 2 and part.max() < 5 and abs(part.mean() - 3.5) < 0.1
    assert not np.allclose(re, im)


def test_normal_on_complex_halves_the_variance_of_each_part(tg_device):
    tg.manual_seed(12)
    z = tg.zeros(40000, dtype=tg.complex128, device=tg_device).normal_(1, 2)
    re, im = z.real.cpu().numpy(), z.imag.cpu().numpy()
    for part in (re, im):
        assert abs(part.mean() - 1) < 0.05 and abs(part.var() - 2) < 0.1
    assert tg.zeros(2, dtype=tg.complex64).normal_(5, 0).tolist() == [5 + 5j, 5 + 5j]


def test_integer_samplers_still_refuse_uniform_and_normal():
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        tg.zeros(2, dtype=tg.int64).uniform_()
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        tg.zeros(2, dtype=tg.int64).normal_()


@pytest.mark.parametrize("dtype, exp_name, cauchy_name", [
    (tg.int64, "Long", "long int"), (tg.uint8, "Byte", "unsigned char"), (tg.bool, "Bool", "bool"),
    (tg.complex64, "ComplexFloat", "c10::complex<float>")])
def test_exponential_and_cauchy_are_continuous_only(dtype, exp_name, cauchy_name):
    t = tg.zeros(3, dtype=dtype)
    with pytest.raises(RuntimeError, match="^Exponential distribution is a continuous probability distribution. "
                                           f"dtype must be a floating point but you specified {exp_name}$"):
        t.exponential_()
    with pytest.raises(RuntimeError, match="^Cauchy distribution is a continuous probability distribution. "
                                           f"dtype must be a floating point but you specified "
                                           f"{cauchy_name.replace('<', '.').replace('>', '.')}$"):
        t.cauchy_()
    assert t.tolist() == tg.zeros(3, dtype=dtype).tolist()


def test_scale_arguments_are_checked_before_the_dtype():
    t = tg.zeros(3, dtype=tg.int64)
    with pytest.raises(RuntimeError, match=r"^log_normal_ expects std > 0.0, but found std=-1$"):
        t.log_normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"^log_normal_ expects std > 0.0, but found std=0$"):
        tg.zeros(3).log_normal_(0, 0)
    with pytest.raises(RuntimeError, match=r"^cauchy_ expects sigma > 0.0, but found sigma=-1.5$"):
        tg.zeros(3).cauchy_(0, -1.5)
    with pytest.raises(RuntimeError, match=r"^exponential_ expects lambda > 0.0, but found lambda=-1$"):
        t.exponential_(-1)
    assert tg.zeros(3).log_normal_(0, 0.5).min().item() > 0


def test_discrete_samplers_refuse_complex():
    z = tg.zeros(3, dtype=tg.complex64)
    with pytest.raises(NotImplementedError, match="\"geometric_cpu\" not implemented for 'ComplexFloat'"):
        z.geometric_(0.5)
    with pytest.raises(NotImplementedError, match="\"geometric_cpu\" not implemented for 'Bool'"):
        tg.zeros(3, dtype=tg.bool).geometric_(0.5)
    with pytest.raises(NotImplementedError, match="\"bernoulli_scalar_cpu_\" not implemented for 'ComplexFloat'"):
        z.bernoulli_(0.5)
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_self_\" not implemented"):
        z.bernoulli_(tg.full((3,), 0.5))
    with pytest.raises(RuntimeError, match="check_random_bounds handles only integral, floating-point and boolean"):
        z.random_(10)
    with pytest.raises(NotImplementedError, match="\"random_kernel_cpu\" not implemented for 'ComplexFloat'"):
        z.random_()
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_self_\" not implemented for 'ComplexFloat'"):
        tg.bernoulli(tg.full((3,), 0.5, dtype=tg.complex64))
    with pytest.raises(NotImplementedError, match="\"bernoulli_scalar_cpu_\" not implemented for 'ComplexFloat'"):
        tg.bernoulli(tg.full((3,), 0.5, dtype=tg.complex64), 0.5)
    with pytest.raises(RuntimeError, match="check_random_bounds handles only"):
        tg.randint_like(z, 10)
    assert z.tolist() == [0j, 0j, 0j]
    assert tg.zeros(3, dtype=tg.int64).geometric_(0.5).min().item() >= 1


@pytest.mark.parametrize("dtype, c_name, to", [(tg.uint8, "unsigned char", 300), (tg.int8, "signed char", 300),
                                               (tg.int16, "short int", 100000), (tg.bool, "bool", 3)])
def test_random_bounds_name_the_c_type(dtype, c_name, to):
    with pytest.raises(RuntimeError, match=f"^to - 1 is out of bounds for {c_name}$"):
        tg.empty(3, dtype=dtype).random_(0, to)
    with pytest.raises(RuntimeError, match=f"^to - 1 is out of bounds for {c_name}$"):
        tg.randint(0, to, (3,), dtype=dtype)
    if dtype is not tg.bool:
        with pytest.raises(RuntimeError, match=f"^from is out of bounds for {c_name}$"):
            tg.randint(-40000, 1, (3,), dtype=dtype)
    assert tg.empty(3, dtype=dtype).random_(0, 2).max().item() <= 1


# ---------------------------------------------------------------- functional samplers
def test_bernoulli_and_poisson_need_float_probabilities():
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"):
        tg.bernoulli(tg.zeros(3, dtype=tg.int64))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        tg.poisson(tg.zeros(3, dtype=tg.int64))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Bool'"):
        tg.poisson(tg.zeros(3, dtype=tg.bool))
    # an explicit p needs no float probabilities: the result keeps the int dtype
    r = tg.bernoulli(tg.zeros(3, dtype=tg.int64), 1.0)
    assert r.dtype is tg.int64 and r.tolist() == [1, 1, 1]


def test_multinomial_needs_floats_and_runs_past_the_positive_weights(tg_device):
    with pytest.raises(RuntimeError, match="^multinomial only supports floating-point dtypes for input, got: Long$"):
        tg.multinomial(tg.ones(3, dtype=tg.int64), 2)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):  # the dims are checked first
        tg.multinomial(tg.ones(2, 2, 2, dtype=tg.int64), 2)
    for seed in range(5):
        tg.manual_seed(seed)
        r = tg.multinomial(tg.tensor([0.0, 1.0, 0.0, 0.0], device=tg_device), 3)
        idx = r.cpu().tolist()
        assert r.dtype is tg.int64 and idx[0] == 1 and sorted(idx) == sorted(set(idx))
    rows = tg.multinomial(tg.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 1.0]], device=tg_device), 3).cpu().tolist()
    assert rows[0][0] == 1 and sorted(rows[0]) == [0, 1, 2] and sorted(rows[1]) == [0, 1, 2] and rows[1][2] == 1


def test_normal_checks_its_tensor_arguments(tg_device):
    z = tg.zeros(2, device=tg_device)
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                           "non-singleton dimension 0$"):
        tg.normal(z, tg.ones(3, device=tg_device))
    with pytest.raises(RuntimeError, match="^normal expects std >= 0.0, but found std -1$"):
        tg.normal(z, -1.0)
    with pytest.raises(RuntimeError, match="^normal expects all elements of std >= 0.0$"):
        tg.normal(0.0, -tg.ones(2, device=tg_device))
    with pytest.raises(TypeError, match=r"^normal\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, Tensor, size=tuple\)"):
        tg.normal(z, tg.ones(2, device=tg_device), size=(2,))
    assert tuple(tg.normal(tg.zeros(2, 1, device=tg_device), tg.ones(3, device=tg_device)).shape) == (2, 3)


def test_randperm_refuses_n_the_dtype_cannot_hold():
    with pytest.raises(RuntimeError, match=r"^n cannot be greater than 2049 for Half type\.$"):
        tg.randperm(3000, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=r"^n cannot be greater than 2\^24\+1 for Float type\.$"):
        tg.randperm(2 ** 24 + 2, dtype=tg.float32)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without overflow$"):
        tg.randperm(257, dtype=tg.uint8)
    assert sorted(tg.randperm(2049, dtype=tg.float16).tolist()) == list(range(2049))
    assert sorted(tg.randperm(256, dtype=tg.uint8).tolist()) == list(range(256))


@pytest.mark.parametrize("factory", [tg.rand, tg.randn])
def test_factory_out_decides_the_dtype(factory):
    out = tg.empty(3, dtype=tg.float64)
    r = factory(3, out=out)
    assert r is out and r.dtype is tg.float64 and len(set(r.tolist())) == 3
    with pytest.raises(RuntimeError, match=r"^dtype Float does not match dtype of out parameter \(Double\)$"):
        factory(3, out=tg.empty(3, dtype=tg.float64), dtype=tg.float32)


def test_randint_reads_a_second_int_as_the_size():
    with pytest.raises(TypeError, match=r"^randint\(\): argument 'size' \(position 2\) must be tuple of ints, not "
                                        "int$"):
        tg.randint(5, 3)
    with pytest.raises(TypeError, match=r"^randint\(\) received an invalid combination of arguments - got \(int\)"):
        tg.randint(5)


# ---------------------------------------------------------------- elementwise edge values
def test_digamma_and_lgamma_at_their_poles(tg_device):
    d = tg.digamma(tg.tensor([-0.0, 0.0, 1.0], device=tg_device)).cpu().tolist()
    assert d[0] == math.inf and d[1] == -math.inf and d[2] == pytest.approx(-0.5772156649)
    lg = tg.lgamma(tg.tensor([-math.inf, math.inf, 0.0, 1.5], device=tg_device)).cpu().tolist()
    assert lg[:3] == [math.inf] * 3 and lg[3] == pytest.approx(math.lgamma(1.5))


def test_logit_with_crossed_bounds_clamps_to_the_lower_one_first(tg_device):
    r = tg.logit(tg.tensor([0.0, 0.5, 1.0], device=tg_device), eps=0.6).cpu().tolist()
    assert r == pytest.approx([math.log(1.5), math.log(1.5), math.log(0.4 / 0.6)], abs=1e-6)
    assert tg.logit(tg.tensor([0.0, 1.0]), eps=0.25).tolist() == pytest.approx([math.log(1 / 3), math.log(3)])


@pytest.mark.parametrize("fn, kernel", [("erf", "erf_vml_cpu"), ("erfc", "erfc_vml_cpu"), ("erfinv", "erfinv_vml_cpu"),
                                        ("lgamma", "lgamma_vml_cpu"), ("digamma", "digamma"), ("logit", "logit_cpu")])
def test_special_functions_have_no_complex_kernel(fn, kernel):
    for dtype, name in ((tg.complex64, "ComplexFloat"), (tg.complex128, "ComplexDouble")):
        z = tg.ones(2, dtype=dtype)
        with pytest.raises(NotImplementedError, match=f"^\"{kernel}\" not implemented for '{name}'$"):
            getattr(tg, fn)(z)
        with pytest.raises(NotImplementedError, match=f"\"{kernel}\""):
            getattr(z, fn + "_")()
        assert z.tolist() == [1 + 0j, 1 + 0j]


def test_softmax_of_integers_names_the_kernel_of_the_dim():
    x = tg.ones(2, 3, dtype=tg.int64)
    for fn in ("softmax", "log_softmax"):
        with pytest.raises(NotImplementedError, match=f"^\"{fn}_lastdim_kernel_impl\" not implemented for 'Long'$"):
            getattr(tg, fn)(x, -1)
        with pytest.raises(NotImplementedError, match=f"^\"{fn}_kernel_impl\" not implemented for 'Long'$"):
            getattr(tg, fn)(x, 0)
    assert tg.softmax(x, -1, dtype=tg.float32).flatten().tolist() == pytest.approx([1 / 3] * 6)


def test_vector_norm_refuses_ord_none():
    with pytest.raises(TypeError, match=r"^linalg_vector_norm\(\): argument 'ord' \(position 2\) must be Number, "
                                        "not NoneType$"):
        tg.linalg.vector_norm(tg.ones(3), None)


def test_real_only_ops_word_their_complex_errors(tg_device):
    c = tg.ones(2, dtype=tg.complex64, device=tg_device)
    r = tg.ones(2, device=tg_device)
    for fn, kernel in (("remainder", "remainder"), ("fmod", "fmod"), ("atan2", "atan2"),
                       ("floor_divide", "div_floor")):
        for a, b in ((c, r), (r, c), (c, c)):
            with pytest.raises(NotImplementedError, match=f"^\"{kernel}_(cpu|cuda)\" not implemented for "
                                                          "'ComplexFloat'$"):
                getattr(tg, fn)(a, b)
    for fn in ("trunc", "floor", "ceil"):
        with pytest.raises(NotImplementedError, match=f"^{fn} is not supported for complex inputs$"):
            getattr(tg, fn)(c)
    with pytest.raises(NotImplementedError, match="^signbit is not implemented for complex tensors.$"):
        tg.signbit(c)
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'ComplexFloat'"):
        tg.frac(c)
    # the real cases are untouched
    assert tg.remainder(tg.tensor([-3.0, 3.0]), 2).tolist() == [1.0, 1.0]
    assert tg.atan2(tg.ones(1), tg.ones(1)).tolist() == pytest.approx([math.pi / 4])
    assert tg.signbit(tg.tensor([-0.0, 1.0])).tolist() == [True, False]
    assert tg.trunc(tg.tensor([-1.5])).tolist() == [-1.0]


def test_round_refuses_bool_and_keeps_integers():
    b = tg.tensor([True, False])
    with pytest.raises(NotImplementedError, match="^\"round_vml_cpu\" not implemented for 'Bool'$"):
        tg.round(b)
    with pytest.raises(NotImplementedError, match="^\"round_cpu\" not implemented for 'Bool'$"):
        tg.round(b, decimals=1)
    assert tg.round(tg.tensor([3, -2])).tolist() == [3, -2]
