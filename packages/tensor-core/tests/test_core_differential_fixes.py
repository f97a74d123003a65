"""Regressions found by differential fuzzing against PyTorch 2.13 (the values below are PyTorch's):
each case here gave another value, dtype or exception in tensorgraft before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg


def test_tile_takes_the_repeats_spread_out():
    assert tg.arange(3).tile(2, 2).shape == (2, 6)
    assert tg.tile(tg.arange(3), (2, 2)).shape == (2, 6)
    assert tg.tile(tg.arange(3), dims=(2,)).tolist() == [0, 1, 2, 0, 1, 2]
    with pytest.raises(TypeError, match="dims"):
        tg.arange(3).tile()


@pytest.mark.parametrize("source,dtype,expected", [
    (tg.uint8, tg.int32, 6), (tg.int64, tg.int8, 6), (tg.int32, None, 6), (tg.bool, tg.bool, True),
])
def test_prod_keeps_the_requested_integer_dtype(source, dtype, expected):
    x = tg.tensor([2, 3]).to(source) if source is not tg.bool else tg.tensor([True, True])
    out = x.prod(dtype=dtype) if dtype is not None else x.prod()
    assert out.dtype is (dtype or tg.int64) and out.item() == expected
    assert x.prod(0, dtype=dtype).dtype is (dtype or tg.int64)


def test_all_and_any_with_an_empty_dim_tuple_reduce_nothing():
    x = tg.tensor([[True, False]])
    assert x.all(dim=()).tolist() == [[True, False]]
    assert x.any(dim=(), keepdim=True).shape == (1, 2)
    assert tg.tensor([[1, 0]], dtype=tg.uint8).all(dim=()).dtype is tg.uint8
    assert x.all().item() is False and x.any(dim=None).item() is True
    assert tg.ones(2, 3).sum(dim=()).item() == 6  # (sum keeps reducing everything, as PyTorch)


@pytest.mark.parametrize("call,message", [
    (lambda: tg.tensor([1]) + 2 ** 64, "int too big to convert"),
    (lambda: tg.tensor([1.0]) + 2 ** 64, "int too big to convert"),
    (lambda: 2 ** 65 * tg.tensor([1.0]), "int too big to convert"),
    (lambda: tg.tensor([1]) == 2 ** 64, "int too big to convert"),
    (lambda: tg.tensor([1]) + (-2 ** 63 - 1), "can't convert negative int to unsigned"),
])
def test_python_ints_beyond_64_bits_are_refused(call, message):
    with pytest.raises(OverflowError, match=message):
        call()


def test_python_ints_within_64_bits_wrap_as_pytorch():
    assert (tg.tensor([1]) + 2 ** 63).item() == -(2 ** 63) + 1
    assert (tg.tensor([1], dtype=tg.uint8) + -1).item() == 0
    assert (tg.tensor([1.0]) + 5).item() == 6.0


def test_half_precision_scans_accumulate_in_float32():
    assert tg.ones(3000, dtype=tg.float16).cumsum(0)[-1].item() == 3000
    assert tg.full((3000,), 1.001, dtype=tg.float16).cumprod(0)[-1].item() == pytest.approx(18.6875)
    assert tg.full((3000,), 1.001, dtype=tg.float16).logcumsumexp(0)[-1].item() == pytest.approx(9.0078, abs=1e-3)
    assert tg.ones(5, dtype=tg.float16).cumsum(0, dtype=tg.float32).dtype is tg.float32


def test_half_precision_norms_and_variances_accumulate_in_float32():
    x = tg.full((1000,), 10.0, dtype=tg.float16)
    y = tg.tensor([3.0, -3.0] * 5000, dtype=tg.float16)
    for value in (x.norm(), tg.linalg.vector_norm(x), tg.dist(x, tg.zeros_like(x)), tg.linalg.norm(x.view(100, 10))):
        assert value.dtype is tg.float16 and value.item() == pytest.approx(316.25)
    assert y.var().item() == 9.0 and tg.var_mean(y)[0].item() == 9.0 and y.std().item() == 3.0
    assert x.norm(p=1).item() == 10000.0


def test_float_power_converts_operands_to_double_first():
    assert tg.float_power(tg.tensor([2], dtype=tg.uint8), -2).item() == 0.25
    assert tg.float_power(-2, tg.tensor([3], dtype=tg.uint8)).item() == -8.0
    out = tg.float_power(tg.tensor([3.0], dtype=tg.float16), tg.tensor(1.1))
    assert out.dtype is tg.float64 and out.item() == pytest.approx(3.0 ** 1.1)
    assert tg.float_power(tg.tensor([1j]), 2).dtype is tg.complex128


def test_pow_takes_pytorchs_keywords():
    x = tg.tensor([2.0, 3.0])
    for out in (tg.pow(x, exponent=2), tg.pow(input=x, exponent=2), x.pow(exponent=2), tg.pow(x, 2, out=tg.empty(2))):
        assert out.tolist() == [4.0, 9.0]
    assert tg.pow(self=2, exponent=x).tolist() == [4.0, 8.0]
    with pytest.raises(TypeError, match="exponent"):
        tg.pow(x)


@pytest.mark.parametrize("call", [
    lambda: tg.tensor([2], dtype=tg.uint8) ** -2,
    lambda: tg.tensor([2], dtype=tg.uint8).pow(-1),
    lambda: tg.tensor([2]) ** -2,
])
def test_integers_to_negative_integer_powers_are_refused(call):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        call()


def test_copy_takes_a_number():
    assert tg.zeros(3).copy_(2).tolist() == [2.0, 2.0, 2.0]
    assert tg.zeros(3, dtype=tg.long).copy_(2.5).tolist() == [2, 2, 2]
    assert tg.zeros(2).copy_(True).tolist() == [1.0, 1.0]


def test_bfloat16_product_with_another_dtype_names_both():
    with pytest.raises(RuntimeError, match="c10::BFloat16 != float"):
        tg.ones(2, 3, dtype=tg.bfloat16) @ tg.ones(3, 2)


def test_size_items_become_ints():
    assert tg.Size(np.array([2, 3])) == (2, 3) and all(type(s) is int for s in tg.Size(np.array([2, 3])))
    assert repr(tg.Size([tg.tensor(2), 3])) == "torch.Size([2, 3])"
    assert repr(tg.zeros(2, 3).shape + (tg.tensor(1),)) == "torch.Size([2, 3, 1])"
    assert repr(tg.Size([True, 3])) == "torch.Size([1, 3])"
    with pytest.raises(TypeError, match=r"torch.Size\(\) takes an iterable of 'int' \(item 0 is 'float'\)"):
        tg.Size([2.0, 3])


def test_format_of_a_zero_dim_subclass_is_its_repr():
    class MyT(tg.Tensor):
        pass

    assert f"{tg.tensor(3.5):.2f}" == "3.50"
    assert f"{tg.tensor(3.5).as_subclass(MyT)}" == "MyT(3.5000)"
    with pytest.raises(TypeError, match="unsupported format string passed to MyT.__format__"):
        f"{tg.tensor(3.5).as_subclass(MyT):.2f}"


def test_double_to_half_rounds_through_float():
    value = 1.033691464927  # rounded once to half: 1.0342; through float: 1.0332 (PyTorch)
    expected = np.float16(np.float32(value))
    assert tg.tensor([value], dtype=tg.float16).item() == expected
    assert tg.tensor([value], dtype=tg.float64).half().item() == expected
    assert tg.full((1,), value, dtype=tg.float16).item() == expected
    assert tg.from_numpy(np.array([value])).to(tg.float16).item() == expected


@pytest.mark.parametrize("call,message", [
    (lambda x: x.__setitem__([0, 1], tg.tensor(2.5)), "got Long for the destination and Float for the source"),
    (lambda x: x.__setitem__(tg.tensor([0, 1]), tg.tensor([2.5, 1.0])), "got Long for the destination and Float"),
    (lambda x: x.index_put_((tg.tensor([0, 1]),), tg.tensor([1.5, 2.0])), "got Long for the destination and Float"),
])
def test_advanced_index_writes_need_one_dtype(call, message):
    x = tg.zeros(5, dtype=tg.long)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match, " + message):
        call(x)
    assert x.tolist() == [0, 0, 0, 0, 0]  # (refused before anything was written)


def test_index_writes_that_convert_as_pytorch():
    x = tg.zeros(5)
    mask = tg.tensor([True, False, True, False, False])
    x[mask] = tg.tensor(2, dtype=tg.long)  # one value through a mask: masked_fill_, which converts
    x[[3]] = 7  # a number is converted
    x[1:2] = tg.tensor([4])  # basic indexing copies
    assert x.tolist() == [2.0, 4.0, 2.0, 7.0, 0.0]
    with pytest.raises(RuntimeError, match="Index put requires"):
        x[mask] = tg.tensor([1, 2])


def test_fill_values_convert_as_pytorch():
    mask = tg.tensor([True, False])
    assert tg.zeros(2, dtype=tg.uint8).masked_fill(mask, -1).tolist() == [255, 0]
    assert tg.zeros(2, dtype=tg.uint8).index_fill(0, tg.tensor([0]), -1).tolist() == [255, 0]
    assert tg.zeros(2, dtype=tg.uint8).scatter(0, tg.tensor([0]), -1).tolist() == [255, 0]
    for value in (200, tg.tensor(-3.5), tg.tensor(2 + 1j), float("nan")):
        target = tg.zeros(2, dtype=tg.uint8 if isinstance(value, tg.Tensor) else tg.int8)
        with pytest.raises(RuntimeError, match="without overflow"):
            target.masked_fill(mask, value)


def test_alpha_scales_in_the_result_dtype():
    assert tg.add(tg.tensor([1, 2], dtype=tg.int8), tg.tensor([True, False]), alpha=2).dtype is tg.int8
    out = tg.add(tg.tensor([True, False]), tg.tensor([True, False]), alpha=2)
    assert out.dtype is tg.bool and out.tolist() == [True, False]
    assert tg.add(tg.tensor([1.5]), tg.tensor([True]), alpha=2).item() == 3.5


def test_softmax_of_a_row_with_inf_or_nan_is_nan():
    for row in ([1.0, float("inf"), 2.0], [1.0, float("nan"), 2.0], [float("-inf")] * 3):
        assert tg.softmax(tg.tensor(row), 0).isnan().all()
        assert tg.log_softmax(tg.tensor(row), 0).isnan().all()
    np.testing.assert_allclose(tg.softmax(tg.tensor([1.0, float("-inf"), 2.0]), 0).numpy(), [0.2689, 0.0, 0.7311],
                               atol=1e-4)


def test_integer_division_converts_operands_to_the_result_dtype():
    assert tg.tensor([7], dtype=tg.uint8).div(-2, rounding_mode="floor").item() == 0
    assert tg.tensor([7], dtype=tg.uint8).div(-2, rounding_mode="trunc").item() == 0
    assert tg.div(tg.tensor(-3, dtype=tg.int8), tg.tensor([3], dtype=tg.uint8), rounding_mode="floor").item() == 84
    assert tg.tensor([7, -7]).div(2, rounding_mode="floor").tolist() == [3, -4]


def test_python_numbers_of_complex_tensors():
    assert int(tg.tensor(2.7 + 0j)) == 2 and float(tg.tensor(2.5 + 0j)) == 2.5
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        int(tg.tensor(1 + 2j))


def test_save_for_pytorch_writes_empty_bytes_as_torch_save_does():
    import io
    buf = io.BytesIO()
    tg.serialization.save_for_pytorch({"blob": b"", "x": b"ab"}, buf)
    buf.seek(0)
    assert tg.load(buf, weights_only=False) == {"blob": b"", "x": b"ab"}


def test_collate_extension_module_is_reachable_as_an_attribute():
    collate_module = tg.utils.data._utils.collate
    assert collate_module.default_collate_fn_map is tg.utils.data._collate.default_collate_fn_map


@pytest.mark.parametrize("call,message", [
    (lambda: tg.linalg.vector_norm(tg.tensor([3 + 4j, 0j]), dtype=tg.float64),
     "dtype should be complex for complex inputs, but got Double"),
    (lambda: tg.linalg.vector_norm(tg.ones(3), dtype=tg.complex64), "dtype should be real for real inputs"),
    (lambda: tg.linalg.vector_norm(tg.ones(3, dtype=tg.float64), dtype=tg.float32),
     r"the dtype of the input \(Double\) should be convertible without narrowing to the specified dtype \(Float\)"),
    (lambda: tg.linalg.vector_norm(tg.zeros(0, 3), ord=float("inf")), "cannot compute the inf norm on an empty"),
])
def test_vector_norm_dtype_and_empty_checks(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_vector_norm_values_the_checks_let_through():
    assert tg.linalg.vector_norm(tg.tensor([3 + 4j, 0j]), dtype=tg.complex128).item() == 5.0
    assert tg.linalg.vector_norm(tg.zeros(0, 3), ord=-1, dim=-1).shape == (0,)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 3), (2, 0, 0)])
def test_matrix_norm_of_an_empty_matrix(shape):
    for ord in (1, float("inf")):
        out = tg.linalg.matrix_norm(tg.zeros(*shape), ord=ord)
        assert out.shape == shape[:-2] and not out.abs().sum().item()


def test_matrix_rank_thresholds_per_matrix_and_the_tol_overload():
    a = tg.eye(3).expand(2, 3, 3).double().clone()
    a[1, 2, 2] = 0.05
    assert tg.linalg.matrix_rank(a, rtol=tg.tensor([0.1, 0.1], dtype=tg.float64)).tolist() == [3, 2]
    assert tg.linalg.matrix_rank(a, atol=tg.tensor([0.0, 0.1], dtype=tg.float64),
                                 rtol=tg.tensor([0.5, 0.5], dtype=tg.float64)).tolist() == [3, 2]
    assert tg.linalg.matrix_rank(tg.eye(3), tol=0.5).item() == 3


def test_sigmoid_transform_clamps_at_the_smallest_normal():
    D = tg.distributions
    assert D.transforms.SigmoidTransform()(tg.tensor([-100.0])).item() == pytest.approx(1.1755e-38, rel=1e-3)
    tg.manual_seed(0)
    d = D.RelaxedBernoulli(tg.tensor(0.1), logits=tg.tensor([0.2]))
    x = d.rsample((5,))
    assert x.ravel()[2].item() == pytest.approx(5.4858e-10, rel=1e-3)
    assert d.log_prob(x).ravel()[2].item() == pytest.approx(16.5035, rel=1e-4)


def test_bernoulli_kl_at_certain_probabilities():
    D = tg.distributions
    assert D.kl_divergence(D.Bernoulli(tg.tensor(0.4)), D.Bernoulli(tg.tensor(1.0))).item() == float("inf")
    assert D.kl_divergence(D.Bernoulli(tg.tensor(0.0)), D.Bernoulli(tg.tensor(0.0))).item() == 0.0
    out = D.kl_divergence(D.Bernoulli(tg.tensor([1.0, 0.3])), D.Bernoulli(tg.tensor([1.0, 0.5])))
    np.testing.assert_allclose(out.numpy(), [0.0, 0.0823], atol=1e-4)


def test_cdf_through_a_transform_without_a_sign_is_refused():
    D = tg.distributions
    d = D.TransformedDistribution(D.Normal(tg.zeros(4), tg.ones(4)), D.transforms.AbsTransform())
    with pytest.raises(NotImplementedError):
        d.icdf(tg.tensor(0.3))
    flipped = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.AffineTransform(0.0, -2.0)])
    assert flipped.cdf(tg.tensor(1.0)).item() == pytest.approx(0.6915, abs=1e-4)


def test_random_from_up_to_the_dtype_maximum():
    tg.manual_seed(0)
    assert tg.empty(3, dtype=tg.int64).random_(-5, None).tolist() == [900450186894289445, 3969543146641149110,
                                                                     1895649597198586609]
    tg.manual_seed(0)
    assert tg.empty(3, dtype=tg.int64).random_(5).tolist() == [4, 4, 3]
    tg.manual_seed(0)
    assert tg.empty(3, dtype=tg.int64).random_(2, 9).tolist() == [6, 5, 2]
