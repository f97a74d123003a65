"""The dtypes two-operand kernels take, as PyTorch's (its messages written out, so this runs
without PyTorch; ``test_kernel_dtype_refusals_oracle.py`` checks every dtype pair against it).
PyTorch dispatches on the operands' common dtype and refuses one its kernel has no loop for; NumPy
would compute in another dtype or fail in its own words."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg


def _t(dtype, values=(1, 2, 3)):
    t = tg.tensor(np.array(values))
    return t > 0 if dtype == "bool" else t.to(getattr(tg, dtype))


REFUSED = [
    (lambda: tg.hypot(_t("int64"), _t("int64")), NotImplementedError, "\"hypot_cpu\" not implemented for 'Long'"),
    (lambda: tg.hypot(_t("int8"), _t("bool")), NotImplementedError, "\"hypot_cpu\" not implemented for 'Char'"),
    (lambda: tg.hypot(_t("float32"), _t("complex64")), NotImplementedError,
     "\"hypot_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.gcd(_t("float32"), _t("float32")), NotImplementedError, "\"gcd_cpu\" not implemented for 'Float'"),
    (lambda: tg.gcd(_t("bool"), _t("bool")), NotImplementedError, "\"gcd_cpu\" not implemented for 'Bool'"),
    (lambda: tg.lcm(_t("int64"), _t("bfloat16")), NotImplementedError, "\"lcm_cpu\" not implemented for 'BFloat16'"),
    (lambda: tg.nextafter(_t("int32"), _t("int16")), NotImplementedError, "\"nextafter_cpu\" not implemented for 'Int'"),
    (lambda: tg.logaddexp(_t("uint8"), _t("bool")), NotImplementedError, "\"logaddexp_cpu\" not implemented for 'Byte'"),
    (lambda: tg.logaddexp2(_t("float64"), _t("complex64")), NotImplementedError,
     "\"logaddexp2_cpu\" not implemented for 'ComplexDouble'"),
    (lambda: tg.copysign(_t("float16"), 1j), NotImplementedError, "\"copysign_cpu\" not implemented for 'ComplexHalf'"),
    (lambda: tg.copysign(_t("float32"), 1j), NotImplementedError, "\"copysign_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.xlogy(_t("int16"), _t("complex128")), NotImplementedError,
     "\"xlogy_cpu\" not implemented for 'ComplexDouble'"),
    (lambda: tg.special.xlog1py(_t("float32"), _t("complex64")), NotImplementedError,
     "\"xlog1py_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.special.chebyshev_polynomial_t(_t("complex64"), _t("int64")), NotImplementedError,
     "\"chebyshev_polynomial_t_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.fmod(_t("bool"), _t("bool")), NotImplementedError, "\"fmod_cpu\" not implemented for 'Bool'"),
    (lambda: tg.remainder(_t("bool"), True), NotImplementedError, "\"remainder_cpu\" not implemented for 'Bool'"),
    (lambda: _t("bool") // _t("bool"), NotImplementedError, "\"div_floor_cpu\" not implemented for 'Bool'"),
    (lambda: tg.fmod(_t("float32"), _t("complex64")), NotImplementedError, "\"fmod_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: _t("bool") << True, NotImplementedError, "\"lshift_cpu\" not implemented for 'Bool'"),
    (lambda: tg.bitwise_right_shift(_t("bool"), _t("bool")), NotImplementedError,
     "\"rshift_cpu\" not implemented for 'Bool'"),
    (lambda: tg.pow(_t("bool"), _t("bool")), NotImplementedError, "\"pow\" not implemented for 'Bool'"),
    (lambda: True ** _t("bool"), NotImplementedError, "\"pow\" not implemented for 'Bool'"),
    # in place: a result the tensor can't hold is refused before the kernel's dtypes
    (lambda: _t("float32").hypot_(_t("complex64")), RuntimeError,
     "result type ComplexFloat can't be cast to the desired output type Float"),
    (lambda: _t("bool").copysign_(_t("int64")), RuntimeError,
     "result type Float can't be cast to the desired output type Bool"),
    (lambda: _t("int64").hypot_(_t("int64")), NotImplementedError, "\"hypot_cpu\" not implemented for 'Long'"),
    (lambda: _t("bool").fmod_(True), NotImplementedError, "\"fmod_cpu\" not implemented for 'Bool'"),
    # clamp: no complex kernels, and no bool kernel for number bounds or two tensor bounds
    (lambda: tg.clamp(_t("bool"), True, True), NotImplementedError, "\"clamp_scalar_cpu\" not implemented for 'Bool'"),
    (lambda: tg.clamp(_t("bool"), max=True), NotImplementedError, "\"clamp_max_scalar_cpu\" not implemented for 'Bool'"),
    (lambda: tg.clamp_min(_t("bool"), True), NotImplementedError, "\"clamp_min_scalar_cpu\" not implemented for 'Bool'"),
    (lambda: tg.clamp(_t("bool"), _t("bool"), _t("bool")), NotImplementedError, "\"clamp_cpu\" not implemented for 'Bool'"),
    (lambda: tg.clamp(_t("float32"), _t("complex64")), NotImplementedError,
     "\"maximum_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.clamp(_t("float32"), None, _t("complex64")), NotImplementedError,
     "\"minimum_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.clamp(_t("float32"), _t("float32"), _t("complex128")), NotImplementedError,
     "\"clamp_cpu\" not implemented for 'ComplexDouble'"),
    (lambda: tg.clamp_min(_t("complex64"), _t("float32")), NotImplementedError,
     "\"maximum_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.clamp(_t("complex64"), _t("float32")), NotImplementedError, "clamp is not supported for complex types"),
    (lambda: tg.clamp(_t("float32"), 1j), RuntimeError, "value cannot be converted to type double without overflow"),
    (lambda: tg.clamp(_t("int64"), 1j), NotImplementedError, "clamp is not supported for complex types"),
    (lambda: tg.clamp_min(_t("float32"), 1j), NotImplementedError, "clamp is not supported for complex types"),
    (lambda: _t("float32").clamp_min_(1j), NotImplementedError, "clamp is not supported for complex types"),
    (lambda: _t("int32").clamp_(1j), RuntimeError, "result type ComplexFloat can't be cast to the desired output type int"),
    (lambda: _t("float32").clamp_(_t("complex64")), RuntimeError,
     "result type ComplexFloat can't be cast to the desired output type Float"),
    # the rest of the family
    (lambda: tg.dot(_t("bool"), _t("bool")), NotImplementedError, "\"dot\" not implemented for 'Bool'"),
    (lambda: tg.vdot(_t("bool"), _t("bool")), NotImplementedError, "\"dot\" not implemented for 'Bool'"),
    (lambda: tg.vdot(_t("int16"), _t("float64")), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Short and Double"),
    (lambda: tg.vdot(_t("float32"), 2), TypeError, "vdot(): argument 'other' (position 2) must be Tensor, not int"),
    (lambda: tg.dot(_t("float32"), 2), TypeError, "dot(): argument 'tensor' (position 2) must be Tensor, not int"),
    (lambda: tg.dist(_t("bool"), _t("bool")), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
     "operator instead."),
    (lambda: tg.dist(_t("float32"), _t("bool")), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use "
     "the `~` or `logical_not()` operator instead."),
    (lambda: tg.ldexp(_t("float32"), _t("bool")), NotImplementedError, "\"ldexp_cpu_exp\" not implemented for 'Bool'"),
    (lambda: tg.polar(_t("float32"), _t("float16")), RuntimeError,
     "Expected object of scalar type Float but got scalar type Half for second argument"),
    (lambda: tg.complex(_t("float16"), _t("float64")), RuntimeError,
     "Expected object of scalar type Half but got scalar type Double for second argument"),
]


def test_refused_in_place_writes_nothing():
    x = _t("float32")
    with pytest.raises(RuntimeError):
        x.hypot_(_t("complex64"))
    z = _t("float32")
    with pytest.raises(NotImplementedError):
        z.gcd_(_t("float32"))
    y = _t("bool")
    with pytest.raises(NotImplementedError):
        y.fmod_(_t("bool"))
    assert x.tolist() == z.tolist() == [1.0, 2.0, 3.0] and y.tolist() == [True, True, True]


def test_the_dtypes_the_kernels_take_still_compute():
    assert tg.hypot(_t("float32"), _t("float16")).tolist() == pytest.approx([2 ** 0.5, 8 ** 0.5, 18 ** 0.5])
    assert tg.gcd(tg.tensor([12, 18]), tg.tensor([8, 27], dtype=tg.int8)).tolist() == [4, 9]
    assert tg.lcm(tg.tensor([4, 6], dtype=tg.uint8), tg.tensor([6, 4], dtype=tg.uint8)).tolist() == [12, 12]
    r = tg.copysign(tg.tensor([1, 2]), tg.tensor([-1.0, 1.0]))
    assert r.dtype == tg.float32 and r.tolist() == [-1.0, 2.0]
    r = tg.xlogy(tg.tensor([0, 2]), tg.tensor([0, 1]))
    assert r.dtype == tg.float32 and r.tolist() == [0.0, 0.0]
    assert tg.logaddexp(tg.tensor([0.0]), tg.tensor([0])).tolist() == pytest.approx([np.log(2)])
    assert tg.logaddexp(tg.tensor([0j]), tg.tensor([0j])).dtype == tg.complex64
    assert tg.nextafter(tg.tensor([1.0]), tg.tensor([2.0])).item() > 1.0
    assert tg.fmod(tg.tensor([7, -7]), 3).tolist() == [1, -1] and (tg.tensor([7]) // tg.tensor([2])).tolist() == [3]
    assert (tg.tensor([1, 2]) << tg.tensor([1, 1], dtype=tg.uint8)).tolist() == [2, 4]
    x = tg.tensor([1.5, 2.0])
    assert x.hypot_(tg.tensor([2.0, 0.0])) is x and x.tolist() == [2.5, 2.0]
    assert tg.clamp(_t("bool"), _t("bool")).dtype == tg.bool and tg.clamp(_t("bool"), 0).dtype == tg.int64
    assert tg.dot(tg.tensor([1, 2]), tg.tensor([3, 4])).item() == 11
    assert tg.dot(tg.tensor([1.0, 2.0]), tensor=tg.tensor([3.0, 4.0])).item() == 11.0
    assert tg.vdot(tg.tensor([1j]), other=tg.tensor([1j])).item() == 1
    assert tg.ldexp(tg.tensor([1]), tg.tensor([True])).tolist() == [2.0]
    assert tg.dist(tg.tensor([0.0, 3.0]), tg.tensor([4.0, 0.0])).item() == 5.0


def test_pow_of_bools():
    b = _t("bool", (1, 0))
    assert (b ** True).dtype == tg.bool and (b ** True).tolist() == [True, False]
    assert (b ** False).tolist() == [True, True] and (b ** False).dtype == tg.bool
    assert (b ** 2).dtype == tg.int64 and (b ** 2.0).dtype == tg.float32
    c = b.clone()
    assert c.pow_(True) is c and c.tolist() == [True, False]


def test_the_refusal_names_the_device_the_kernel_runs_on(tg_device):
    x = tg.tensor([1, 2], device=tg_device)
    with pytest.raises(NotImplementedError, match=f"^\"hypot_{tg.device(tg_device).type}\" not implemented for 'Long'$"):
        tg.hypot(x, x)
    with pytest.raises(NotImplementedError, match=f"^\"clamp_scalar_{tg.device(tg_device).type}\" not implemented"):
        tg.clamp(x > 0, True, True)
    assert tg.gcd(x, x).tolist() == [1, 2]


ONE_OPERAND_REFUSED = [
    (lambda: tg.bitwise_not(_t("float16")), NotImplementedError, "\"bitwise_not_cpu\" not implemented for 'Half'"),
    (lambda: tg.bitwise_not(_t("bfloat16")), NotImplementedError, "\"bitwise_not_cpu\" not implemented for 'BFloat16'"),
    (lambda: tg.isposinf(_t("complex64")), RuntimeError, "isposinf does not support complex inputs."),
    (lambda: tg.isneginf(_t("complex128")), RuntimeError, "isneginf does not support complex inputs."),
    (lambda: tg.histc(_t("complex64")), NotImplementedError, "\"aminmax_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.histc(_t("complex64"), 4, 0, 3), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: tg.cross(_t("bool"), _t("bool"), dim=0), NotImplementedError, "\"cross\" not implemented for 'Bool'"),
    (lambda: tg.flip(tg.arange(6).reshape(2, 3), 0), TypeError,
     "flip(): argument 'dims' (position 2) must be tuple of ints, not int"),
    (lambda: tg.flip(tg.arange(6).reshape(2, 3), dims=0), TypeError,
     "flip(): argument 'dims' must be tuple of ints, not int"),
    (lambda: tg.flip(tg.arange(6).reshape(2, 3), 0, 1), TypeError, "flip() takes 2 positional arguments but 3 were given"),
    (lambda: tg.arange(6).reshape(2, 3).flip(0.5), TypeError,
     "flip(): argument 'dims' (position 1) must be tuple of ints, not float"),
]


@pytest.mark.parametrize("call, kind, message", REFUSED + ONE_OPERAND_REFUSED,
                         ids=[m[:60] for _, _, m in REFUSED + ONE_OPERAND_REFUSED])
def test_refused_with_pytorch_words(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


def test_one_operand_ops_still_compute():
    assert tg.isposinf(tg.tensor([float("inf"), 1.0], dtype=tg.bfloat16)).tolist() == [True, False]
    assert tg.bitwise_not(tg.tensor([0], dtype=tg.int8)).tolist() == [-1]
    assert tg.histc(tg.tensor([0.0, 1.0, 1.0]), 2).tolist() == [1.0, 2.0]
    x = tg.arange(6).reshape(2, 3)
    assert x.flip(0).tolist() == x.flip((0,)).tolist() == tg.flip(x, [0]).tolist() == [[3, 4, 5], [0, 1, 2]]
    assert x.flip(0, 1).tolist() == tg.flip(x, dims=(0, 1)).tolist() == [[5, 4, 3], [2, 1, 0]]


def _b(*shape):
    return tg.ones(*shape, dtype=tg.bool)


PRODUCTS_REFUSED = [
    (lambda: _b(1, 3) @ _b(3, 1), "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: tg.mm(_b(2, 3), _b(3, 2)), "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: _b(3) @ _b(3), "\"dot\" not implemented for 'Bool'"),
    (lambda: tg.dot(_b(0), _b(0)), "\"dot\" not implemented for 'Bool'"),
    (lambda: _b(2, 3) @ _b(3), "\"addmv_impl_cpu\" not implemented for 'Bool'"),
    (lambda: tg.mv(_b(2, 3), _b(3)), "\"addmv_impl_cpu\" not implemented for 'Bool'"),
    (lambda: _b(3) @ _b(2, 3, 2), "\"bmm\" not implemented for 'Bool'"),
    (lambda: _b(2, 2, 3) @ _b(3, 2), "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: tg.bmm(_b(1, 1, 3), _b(1, 3, 1).float()), "\"bmm\" not implemented for 'Bool'"),
    (lambda: tg.mm(_b(2, 3).to(tg.uint16), _b(3, 2).to(tg.uint16)), "\"addmm_impl_cpu_\" not implemented for 'UInt16'"),
    (lambda: tg.addcmul(_b(3), _b(3), _b(3)), "\"addcmul_cpu_out\" not implemented for 'Bool'"),
    (lambda: _b(3).addcmul_(_b(3), _b(3)), "\"addcmul_cpu_out\" not implemented for 'Bool'"),
    (lambda: tg.cross(_b(3), _b(3).float(), dim=0), "\"cross\" not implemented for 'Bool'"),
    (lambda: tg.cdist(_b(1, 3).bfloat16(), _b(1, 3).float()), "\"cdist\" not implemented for 'BFloat16'"),
]


@pytest.mark.parametrize("call, message", PRODUCTS_REFUSED, ids=[str(k) for k in range(len(PRODUCTS_REFUSED))])
def test_products_without_a_kernel_for_the_dtype(call, message):
    with pytest.raises(NotImplementedError) as info:
        call()
    assert str(info.value) == message


def test_products_with_nothing_to_compute_or_a_kernel():
    assert tg.mm(_b(1, 0), _b(0, 1)).tolist() == [[False]]  # (an empty inner dimension: no kernel)
    assert tg.bmm(_b(0, 2, 3), _b(0, 3, 2)).shape == (0, 2, 2)
    assert tg.mv(_b(2, 0), _b(0)).tolist() == [False, False]
    assert (tg.ones(2, 3, dtype=tg.uint8) @ tg.ones(3, dtype=tg.uint8)).tolist() == [3, 3]
    assert (tg.ones(1, 3, dtype=tg.int64) @ tg.ones(3, 1, dtype=tg.int64)).tolist() == [[3]]
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found BFloat16$"):
        tg.cdist(_b(1, 3).float(), _b(1, 3).bfloat16())  # (x2's dtype is compared, not refused)


def test_masked_fill_keeps_the_input_dtype_with_a_half_value():
    x = tg.tensor([1.0, 2.0, 3.0])
    m = tg.tensor([True, False, True])
    for value in (tg.tensor(2.5, dtype=tg.float16), tg.tensor(2.5, dtype=tg.bfloat16)):
        r = x.masked_fill(m, value)
        assert r.dtype == tg.float32 and r.tolist() == [2.5, 2.0, 2.5]


def test_linear_without_a_kernel_for_the_dtype():
    pytest.importorskip("tensorgraft.nn")  # (nn-layers: not in a core-only install)
    F = tg.nn.functional
    for call in (lambda: F.linear(_b(1, 3), _b(2, 3)), lambda: F.linear(_b(1, 3), _b(2, 3), _b(2)),
                 lambda: F.linear(_b(4, 1, 3), _b(2, 3))):
        with pytest.raises(NotImplementedError, match="^\"addmm_impl_cpu_\" not implemented for 'Bool'$"):
            call()
    assert F.linear(tg.ones(1, 3, dtype=tg.int64), tg.ones(2, 3, dtype=tg.int64)).tolist() == [[3, 3]]
