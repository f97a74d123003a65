"""Differences from PyTorch 2.13 fixed in session 24: the reflected operators on the limited dtypes
(``t.__rtruediv__(u)`` is ``t.reciprocal() * u``; ``__radd__``-style operators keep ``self`` first),
8-bit float comparisons with numbers, ``out=`` of the (values, indices) reductions and scans, bfloat16
and float16 ``linspace``/``logspace``, NaN payloads through the half-type conversions. Every expected
value below is what PyTorch 2.13 (CPU) returned for the same call (computed with torch; no torch
import here)."""
import pytest

import tensorgraft as tg

UINT_PROMOTION = "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote {} and {}"


# ------------------------------------------------------------------ reflected operators, limited dtypes
@pytest.mark.parametrize("name, scalar", [("uint16", "UInt16"), ("uint32", "UInt32"), ("uint64", "UInt64")])
def test_rtruediv_of_wide_unsigned_by_int_tensor_is_reciprocal_times_other(name, scalar):
    a = tg.tensor([2, 3], dtype=getattr(tg, name))
    r = a.__rtruediv__(tg.tensor([4, 6]))
    assert r.dtype is tg.float32 and r.tolist() == [2.0, 2.0]
    r = a.__rtruediv__(tg.tensor([True, False]))
    assert r.dtype is tg.float32 and r.tolist() == [0.5, 0.0]
    # a 0-d int64 tensor: reciprocal first, then the product (two roundings in float32)
    assert a.__rtruediv__(tg.tensor(5)).tolist() == [2.5, 1.6666667461395264]
    assert (5 / a).tolist() == [2.5, 1.6666667461395264]


def test_rtruediv_tensor_rounds_twice_and_records_mul():
    assert tg.tensor([3]).__rtruediv__(tg.tensor([5])).tolist() == [1.6666667461395264]
    assert tg.tensor([3.]).__rtruediv__(tg.tensor([5.])).tolist() == [1.6666667461395264]


def test_rtruediv_tensor_grad_fn_is_mul():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([3.], requires_grad=True)
    r = x.__rtruediv__(tg.tensor([5.], requires_grad=True))
    assert type(r.grad_fn).__name__ == "MulBackward0"


def test_rtruediv_wide_unsigned_by_float8_names_float_and_float8():
    a = tg.tensor([2, 3], dtype=tg.uint16)
    with pytest.raises(RuntimeError, match="^Promotion for Float8 Types is not supported, attempted to promote "
                                           "Float and Float8_e4m3fn$"):
        a.__rtruediv__(tg.tensor([1.]).to(tg.float8_e4m3fn))


@pytest.mark.parametrize("op", ["__radd__", "__rmul__", "__rand__", "__ror__", "__rxor__"])
def test_commutative_reflected_operators_name_self_first(op):
    a = tg.tensor([2, 3], dtype=tg.uint16)
    with pytest.raises(RuntimeError) as e:
        getattr(a, op)(tg.tensor([4, 6]))
    assert str(e.value) == UINT_PROMOTION.format("UInt16", "Long")


@pytest.mark.parametrize("op", ["__rsub__", "__rpow__", "__rfloordiv__", "__rmod__", "__rlshift__", "__rrshift__"])
def test_other_reflected_operators_name_other_first(op):
    a = tg.tensor([2, 3], dtype=tg.uint32)
    with pytest.raises(RuntimeError) as e:
        getattr(a, op)(tg.tensor([4, 6]))
    assert str(e.value) == UINT_PROMOTION.format("Long", "UInt32")


# ------------------------------------------------------------- 8-bit floats compared with numbers
def _f8(name):
    return tg.tensor([1., 448., 0.3, 2., -3.]).to(getattr(tg, name))


@pytest.mark.parametrize("name, number, expected", [
    # the number goes into the 8-bit type first, c10's way: 1000 and inf saturate to 448 in e4m3fn
    ("float8_e4m3fn", 1000, [False, True, False, False, False]),
    ("float8_e4m3fn", float("inf"), [False, True, False, False, False]),
    ("float8_e4m3fn", 0.3, [False, False, True, False, False]),
    ("float8_e5m2", 0.3, [False, False, True, False, False]),
    ("float8_e5m2", 1.1, [True, False, False, False, False]),
    ("float8_e8m0fnu", -3, [False, False, False, False, True]),  # (e8m0 drops the sign)
])
def test_float8_equality_with_number_converts_the_number(name, number, expected):
    a = _f8(name)
    assert (a == number).tolist() == expected
    assert (number == a).tolist() == expected
    assert tg.eq(a, number).tolist() == expected
    assert a.eq(number).tolist() == expected
    assert (a != number).tolist() == [not v for v in expected]
    assert tg.ne(a, number).tolist() == [not v for v in expected]


def test_float8_equality_with_0d_tensor_converts_it():
    a = _f8("float8_e4m3fn")
    assert (a == tg.tensor(1000)).tolist() == [False, True, False, False, False]
    assert (a == tg.tensor(float("inf"))).tolist() == [False, True, False, False, False]
    assert (_f8("float8_e8m0fnu") == tg.tensor(-3)).tolist() == [False, False, False, False, True]


def _f8e4(*values, shape=None):
    t = tg.tensor(list(values)).to(tg.float8_e4m3fn)
    return t if shape is None else t.reshape(shape)


@pytest.mark.parametrize("make, exc, message", [
    (lambda: tg.ldexp(_f8e4(1., 2.), tg.tensor(2)), NotImplementedError,
     "\"ldexp_cpu\" not implemented for 'Float8_e4m3fn'"),
    (lambda: _f8e4(1., 2.).ldexp(tg.tensor(2)), NotImplementedError,
     "\"ldexp_cpu\" not implemented for 'Float8_e4m3fn'"),
    (lambda: _f8e4(1., 2.).ldexp_(tg.tensor(2)), NotImplementedError,
     "\"ldexp_cpu\" not implemented for 'Float8_e4m3fn'"),
    (lambda: tg.ldexp(_f8e4(1.).reshape(()), tg.tensor([True, False])), NotImplementedError,
     "\"ldexp_cpu\" not implemented for 'Float8_e4m3fn'"),
    (lambda: tg.ldexp(_f8e4(1., 2.), _f8e4(1., 2.)), NotImplementedError,
     "\"pow\" not implemented for 'Float8_e4m3fn'"),
    (lambda: tg.ldexp(tg.tensor([1., 2.]), _f8e4(1., 2.).to(tg.float8_e5m2)), NotImplementedError,
     "\"pow\" not implemented for 'Float8_e5m2'"),
    (lambda: tg.ldexp(tg.tensor([1., 2.]), _f8e4(1., shape=())), NotImplementedError,
     "\"pow\" not implemented for 'Float8_e4m3fn'"),
    (lambda: tg.ldexp(tg.tensor([1, 2]), _f8e4(1., shape=())), NotImplementedError,
     "\"pow\" not implemented for 'Float8_e4m3fn'"),
    (lambda: tg.ldexp(tg.tensor([1., 2.], dtype=tg.float64), _f8e4(1., shape=())), RuntimeError,
     "Promotion for Float8 Types is not supported, attempted to promote Double and Float8_e4m3fn"),
    (lambda: tg.ldexp(_f8e4(1., 2.).to(tg.float8_e5m2), _f8e4(1., shape=())), RuntimeError,
     "Promotion for Float8 Types is not supported, attempted to promote Float8_e5m2 and Float8_e4m3fn"),
    (lambda: tg.ldexp(tg.tensor([1 + 1j, 2]), _f8e4(1., 2.)), RuntimeError,
     "Unknown Complex ScalarType for Float8_e4m3fn"),
    (lambda: tg.ldexp(_f8e4(1., 2.), tg.tensor(2.)), RuntimeError,
     "Promotion for Float8 Types is not supported, attempted to promote Float8_e4m3fn and Float"),
    (lambda: tg.ldexp(_f8e4(1., shape=()), tg.tensor(2., dtype=tg.float16)), RuntimeError,
     "Promotion for Float8 Types is not supported, attempted to promote Float8_e4m3fn and Half"),
    (lambda: tg.ldexp(_f8e4(1., 2.), tg.tensor([1 + 1j, 2])), RuntimeError,
     "Promotion for Float8 Types is not supported, attempted to promote Float8_e4m3fn and ComplexFloat"),
])
def test_ldexp_with_float8_refuses_as_pytorch(make, exc, message):
    with pytest.raises(exc) as e:
        make()
    assert str(e.value) == message


def test_ldexp_float8_0d_by_wider_float_tensor_computes():
    r = tg.ldexp(_f8e4(1., shape=()), tg.tensor([1., 2.], dtype=tg.float64))
    assert r.dtype is tg.float64 and r.tolist() == [2.0, 4.0]
    r = tg.tensor([1, 2], dtype=tg.uint16).ldexp(tg.tensor([1, 2]))
    assert r.dtype is tg.float32 and r.tolist() == [2.0, 8.0]


# ----------------------------------------------- out= of max/min(dim), msort, median, mode, cummax
ALIAS = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
         "memory location. Please clone() the tensor before performing the operation.")
RESIZED = "An output with one or more elements was resized since it had shape {}, which does not match the required"


def _x():
    return tg.tensor([[3., 1., 2.], [0., 5., 4.]])


def _xi():
    return tg.tensor([[3, 1, 2], [0, 5, 4]])


@pytest.mark.parametrize("which", ["max", "min"])
@pytest.mark.parametrize("make_input, values, indices, message", [
    (_xi, "float32", "int64", "Expected out tensor to have dtype long int, but got float instead"),
    (_x, "float64", "int64", "Expected out tensor to have dtype float, but got double instead"),
    (_x, "float16", "int64", "Expected out tensor to have dtype float, but got c10::Half instead"),
    (_x, "int64", "int64", "Expected out tensor to have dtype float, but got long int instead"),
    (_x, "float32", "int32", "Expected out tensor to have dtype long int, but got int instead"),
    (_x, "float32", "float32", "Expected out tensor to have dtype long int, but got float instead"),
])
def test_max_min_dim_out_dtypes_are_the_results_own(which, make_input, values, indices, message):
    out = (tg.zeros(2, dtype=getattr(tg, values)), tg.zeros(2, dtype=getattr(tg, indices)))
    with pytest.raises(RuntimeError) as e:
        getattr(tg, which)(make_input(), 1, out=out)
    assert str(e.value) == message


def test_max_dim_out_resizes_values_before_checking_indices():
    out = (tg.zeros(2), tg.zeros(2, dtype=tg.int32))
    with pytest.warns(UserWarning, match=r"shape \[2\], which does not match the required output shape \[2, 1\]"):
        with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype long int, but got int instead$"):
            tg.max(_x(), 1, True, out=out)
    assert out[0].shape == (2, 1) and out[1].shape == (2,)


def test_max_min_dim_out_results():
    out = (tg.zeros(5), tg.zeros(5, dtype=tg.int64))
    with pytest.warns(UserWarning, match=r"shape \[5\]"):
        r = tg.max(_x(), 1, out=out)
    assert r.values is out[0] and r.indices is out[1]
    assert type(r).__name__ == "max_out"
    assert r.values.tolist() == [3.0, 5.0] and r.indices.tolist() == [0, 1]
    r = tg.min(_x(), 1, keepdim=True, out=(tg.zeros(0), tg.zeros(0, dtype=tg.int64)))
    assert r.values.tolist() == [[1.0], [0.0]] and r.indices.tolist() == [[1], [0]]
    # a 0-d input: its out tensors resized to 0-d
    with pytest.warns(UserWarning, match=r"shape \[3\], which does not match the required output shape \[\]"):
        r = tg.max(tg.tensor(3.), 0, out=(tg.zeros(3), tg.zeros(3, dtype=tg.int64)))
    assert r.values.tolist() == 3.0 and r.indices.tolist() == 0


def test_max_dim_out_overlapping_the_input_is_refused():
    x = _x()
    with pytest.raises(RuntimeError) as e:
        tg.max(x, 1, out=(x.view(-1)[3:5], tg.zeros(2, dtype=tg.int64)))
    assert str(e.value) == ALIAS
    xi = _xi()
    with pytest.raises(RuntimeError) as e:
        tg.min(xi, 1, out=(tg.zeros(2, dtype=tg.int64), xi.view(-1)[:2]))
    assert str(e.value) == ALIAS
    # the input itself as values: resized first, then its dim is out of range (as PyTorch)
    x = _x()
    with pytest.warns(UserWarning), pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        tg.max(x, 1, out=(x, tg.zeros(2, dtype=tg.int64)))


def test_max_method_takes_no_out():
    with pytest.raises(TypeError, match="^max\\(\\) got an unexpected keyword argument 'out'$"):
        _x().max(1, out=(tg.zeros(2), tg.zeros(2, dtype=tg.int64)))


def test_max_whole_and_elementwise_out_still_written():
    o = tg.zeros(())
    assert tg.max(_x(), out=o) is o and o.tolist() == 5.0
    o = tg.zeros(2, 3)
    assert tg.min(_x(), _x() + 1, out=o) is o and o.tolist() == [[3., 1., 2.], [0., 5., 4.]]


@pytest.mark.parametrize("op", ["median", "nanmedian", "mode"])
def test_median_mode_out_overlapping_the_input_is_refused(op):
    x = _x()
    with pytest.raises(RuntimeError) as e:
        getattr(tg, op)(x, 1, out=(x.view(-1)[:2], tg.zeros(2, dtype=tg.int64)))
    assert str(e.value) == ALIAS
    xi = _xi()
    with pytest.raises(RuntimeError) as e:
        getattr(tg, op)(xi, 1, out=(tg.zeros(2, dtype=tg.int64), xi.view(-1)[:2]))
    assert str(e.value) == ALIAS


def test_msort_out_follows_sort():
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, but got double instead$"):
        tg.msort(_x(), out=tg.zeros(2, 3, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype long int, but got float instead$"):
        tg.msort(_xi(), out=tg.zeros(5))
    o = tg.zeros(4)
    with pytest.warns(UserWarning, match=r"shape \[4\], which does not match the required output shape \[2, 3\]"):
        assert tg.msort(_x(), out=o) is o
    assert o.tolist() == [[0., 1., 2.], [3., 5., 4.]]
    x = _x()
    assert tg.msort(x, out=x).tolist() == [[0., 1., 2.], [3., 5., 4.]]


def test_msort_out_refused_while_recording_names_sort():
    pytest.importorskip("tensorgraft.autograd")
    with pytest.raises(RuntimeError, match="^sort\\(\\): functions with out=... arguments don't support"):
        tg.msort(_x().requires_grad_(), out=tg.zeros(2, 3))


def test_aminmax_out_resizes_min_before_checking_max():
    with pytest.warns(UserWarning, match=r"shape \[5\], which does not match the required output shape \[2\]"):
        with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, but got long int instead$"):
            tg.aminmax(_x(), dim=1, out=(tg.zeros(5), tg.zeros(5, dtype=tg.int64)))


@pytest.mark.parametrize("which", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [1, -2, 2])
def test_cummax_0d_input_with_bad_dim(which, dim):
    with pytest.raises(IndexError) as e:
        getattr(tg, which)(tg.tensor(3.), dim)
    assert str(e.value) == f"{which}(): Expected reduction dim -1 or 0 for scalar but got {dim}"
    with pytest.raises(IndexError):
        getattr(tg, which)(tg.tensor(3.), dim, out=(tg.zeros(()), tg.zeros((), dtype=tg.int64)))
    r = getattr(tg, which)(tg.tensor(3.), -1)
    assert r.values.tolist() == 3.0 and r.indices.tolist() == 0


# ------------------------------------------------ bfloat16/float16 linspace, arange, range
# Long results are compared through two checksums of their bits (the sum of the int16 views, and
# the sum weighted by position), computed from PyTorch 2.13's tensors.
def _bit_sums(t):
    b = [int(v) for v in t.view(tg.int16).tolist()]
    return sum(b), sum(i * v for i, v in enumerate(b))


def test_linspace_bfloat16_bits_short():
    assert tg.linspace(0.1, 0.2, 13, dtype=tg.bfloat16).view(tg.int16).tolist() == [
        15821, 15838, 15855, 15872, 15881, 15889, 15898, 15906, 15915, 15923, 15932, 15940, 15949]
    assert tg.linspace(3.3, -7.1, 21, dtype=tg.bfloat16).view(tg.int16).tolist() == [
        16467, 16434, 16400, 16350, 16284, 16180, 15920, -16720, -16548, -16462, -16396, -16358, -16324, -16291,
        -16258, -16240, -16224, -16207, -16190, -16174, -16157]


@pytest.mark.parametrize("args, dtype, sums", [
    ((-3.7, 2.9, 513), "bfloat16", (-1080409, 782250479)),
    ((-3.7, 2.9, 513), "float16", (-1408474, 678691903)),
    ((0.0, 10.0, 1000), "bfloat16", (16473915, 8282882046)),
    ((0.0, 10.0, 1000), "float16", (17217995, 8976406259)),
    ((23.674, -49.899, 300), "bfloat16", (-1629040, -563340615)),
    ((23.674, -49.899, 300), "float16", (-876950, -431212749)),
    # (steps - 1 beyond float16's exact integers: PyTorch converts it to the half type too)
    ((42.051, 57.01, 5000), "float16", (105205000, 263956131719)),
])
def test_linspace_half_types_bits(args, dtype, sums):
    assert _bit_sums(tg.linspace(*args, dtype=getattr(tg, dtype))) == sums


def test_arange_bfloat16_bits_short():
    assert tg.arange(27.6, 50.6, 0.7, dtype=tg.bfloat16).view(tg.int16).tolist() == [
        16861, 16867, 16872, 16878, 16883, 16889, 16895, 16898, 16901, 16904, 16906, 16909, 16912, 16915, 16918,
        16920, 16923, 16926, 16929, 16931, 16934, 16937, 16940, 16943, 16945, 16948, 16951, 16954, 16957, 16959,
        16962, 16965, 16968]


@pytest.mark.parametrize("args, dtype, n, sums", [
    ((0.3, 40.1, 0.37), "bfloat16", 108, (1808913, 97301012)),
    ((0.3, 40.1, 0.37), "float16", 108, (2085036, 115743367)),
    ((-12.82, 182.18, 1.0), "bfloat16", 195, (2887376, 320936088)),
    ((-12.82, 182.18, 1.0), "float16", 195, (3716934, 416084669)),
    ((1.0, 2.0, 0.001), "bfloat16", 1000, (16319963, 8162499910)),
    ((1.0, 2.0, 0.001), "float16", 1000, (15871324, 8013061956)),
])
def test_arange_half_types_bits(args, dtype, n, sums):
    r = tg.arange(*args, dtype=getattr(tg, dtype))
    assert r.numel() == n and _bit_sums(r) == sums


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("args, dtype, n, sums", [
    ((273.62, 343.18, 0.37), "bfloat16", 188, (3253547, 304308980)),
    ((273.62, 343.18, 0.37), "float16", 188, (4467040, 418487765)),
    ((-87.73, -83.427, 0.013), "bfloat16", 332, (-5212684, -862778116)),
    ((-87.73, -83.427, 0.013), "float16", 332, (-3625024, -600575796)),
])
def test_range_half_types_length_and_bits(args, dtype, n, sums):
    r = tg.range(*args, dtype=getattr(tg, dtype))
    assert r.numel() == n and _bit_sums(r) == sums


def test_histc_bfloat16():
    x = tg.linspace(-3, 3, 200).to(tg.bfloat16)
    assert tg.histc(x, 37, -2.9, 2.95).tolist() == [
        6.0, 5.0, 5.0, 6.0, 5.0, 5.0, 6.0, 5.0, 5.0, 5.0, 5.0, 6.0, 5.0, 6.0, 4.0, 6.0, 5.0, 5.0, 5.0, 6.0, 5.0, 5.0,
        5.0, 6.0, 5.0, 5.0, 6.0, 5.0, 5.0, 5.0, 5.0, 6.0, 5.0, 6.0, 4.0, 6.0, 5.0]


# ------------------------------------------------------- conversions of NaN-free values
def test_nan_free_conversions_unchanged():
    x = tg.tensor([1.5, -2.25, float("inf"), 0.0])
    assert x.to(tg.float16).tolist() == [1.5, -2.25, float("inf"), 0.0]
    assert x.to(tg.float16).to(tg.float32).tolist() == [1.5, -2.25, float("inf"), 0.0]


def test_tanh_and_sigmoid_double_backward_of_0d_float32_stays_float32():
    # NumPy 1.x computes 1 - t of a 0-d float32 array in float64; PyTorch 2.13 records
    # TanhBackwardBackward0 / SigmoidBackwardBackward0 in float32 (no ToCopyBackward0)
    pytest.importorskip("tensorgraft.autograd")
    for fn, node in ((tg.tanh, "TanhBackwardBackward0"), (tg.sigmoid, "SigmoidBackwardBackward0")):
        x = tg.tensor(0.7, requires_grad=True)
        (dy,) = tg.autograd.grad(fn(x).pow(3), x, create_graph=True)
        assert dy.dtype == tg.float32 and type(dy.grad_fn).__name__ == node
