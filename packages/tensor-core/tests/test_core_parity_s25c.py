"""PyTorch 2.13 parity (session 25, part c): the checked conversion of where's, clamp's and
F.threshold's numbers, inner/tensordot's dtype checks, arange's and range's range checks.

Every expected value and message below is what PyTorch 2.13 (CPU) gives, computed with it and
hard-coded here (these tests run without torch).
"""
import pytest

import tensorgraft as tg

OVERFLOW = "value cannot be converted to type {} without overflow"


def _raises(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


# --------------------------------------------------------------------------- where
@pytest.mark.parametrize("dtype, value, ctype", [
    ("float32", 1e40, "float"), ("int32", 1e40, "float"), ("bool", 1e40, "float"),  # (float32 results)
    ("int8", 300, "int8_t"), ("uint8", 300, "uint8_t"), ("int32", 2 ** 63, "int"), ("int64", 2 ** 63, "int64_t"),
    ("float32", 3.4028235e38, "float"),  # (one double ulp past float's max does not fit)
    ("complex64", 1e40, "c10::complex<float>"),
])
def test_where_number_checked_into_result_dtype(dtype, value, ctype):
    c = tg.tensor([True, False])
    x = tg.ones(2, dtype=getattr(tg, dtype))
    msg = OVERFLOW.format(ctype)
    _raises(lambda: tg.where(c, x, value), RuntimeError, msg)
    _raises(lambda: tg.where(c, value, x), RuntimeError, msg)
    _raises(lambda: x.where(c, value), RuntimeError, msg)


def test_where_two_numbers_checked_into_default_dtype():
    _raises(lambda: tg.where(tg.tensor([True]), 1e40, 1), RuntimeError, OVERFLOW.format("float"))


def test_where_half_types_convert_unchecked():
    c = tg.tensor([True, False])
    assert tg.where(c, tg.ones(2, dtype=tg.float16), 1e6).tolist() == [1.0, float("inf")]
    assert tg.where(c, tg.ones(2, dtype=tg.bfloat16), 1e40).tolist() == [1.0, float("inf")]
    assert tg.where(c, tg.ones(2, dtype=tg.bfloat16), 1e6).tolist() == [1.0, 999424.0]


def test_where_in_range_numbers_unchanged():
    c = tg.tensor([True, False])
    assert tg.where(c, tg.ones(2, dtype=tg.uint8), -1).tolist() == [1, 255]  # (a negative int wraps)
    r = tg.where(c, tg.ones(2, dtype=tg.int64), 1e20)
    assert r.dtype == tg.float32 and r.tolist() == [1.0, 1.0000000200408773e20]
    assert tg.where(c, tg.ones(2, dtype=tg.float64), 1e40).tolist() == [1.0, 1e40]
    assert tg.where(c, tg.ones(2), float("inf")).tolist() == [1.0, float("inf")]


# --------------------------------------------------------------------------- clamp / clip
@pytest.mark.parametrize("dtype, value, ctype", [
    ("float32", 1e40, "float"), ("float16", 1e6, "c10::Half"), ("bfloat16", 1e40, "c10::BFloat16"),
    ("bfloat16", 3.395e38, "c10::BFloat16"), ("int8", 300, "int8_t"), ("uint8", 300, "uint8_t"),
    ("int32", 2 ** 63, "int"), ("int64", 2 ** 63, "int64_t"), ("int32", 1e40, "float"),
])
def test_clamp_number_checked_into_result_dtype(dtype, value, ctype):
    x = tg.ones(3, dtype=getattr(tg, dtype))
    msg = OVERFLOW.format(ctype)
    _raises(lambda: tg.clamp(x, min=value), RuntimeError, msg)
    _raises(lambda: tg.clamp(x, max=value), RuntimeError, msg)
    _raises(lambda: tg.clip(x, None, value), RuntimeError, msg)
    _raises(lambda: tg.clamp_min(x, value), RuntimeError, msg)
    _raises(lambda: tg.clamp_max(x, value), RuntimeError, msg)
    _raises(lambda: x.clamp(value, None), RuntimeError, msg)


@pytest.mark.parametrize("dtype, value, ctype", [
    ("float32", 1e40, "float"), ("float16", 1e6, "c10::Half"), ("int8", 300, "int8_t"), ("int32", 2 ** 63, "int"),
])
def test_clamp_inplace_refuses_before_writing(dtype, value, ctype):
    for name, call in (("clamp_", lambda y: y.clamp_(value, None)), ("clamp_max_", lambda y: y.clamp_max_(value)),
                       ("clip_", lambda y: y.clip_(None, value)), ("clamp_min_", lambda y: y.clamp_min_(value))):
        y = tg.ones(3, dtype=getattr(tg, dtype))
        _raises(lambda: call(y), RuntimeError, OVERFLOW.format(ctype))
        assert y.tolist() == [1, 1, 1], name


def test_clamp_inplace_refuses_before_writing_with_grad():
    ag = pytest.importorskip("tensorgraft.autograd")  # noqa: F841 - recording needs the engine
    x = tg.ones(2, requires_grad=True)
    _raises(lambda: tg.clamp(x, 1e40), RuntimeError, OVERFLOW.format("float"))
    y = x * 1
    _raises(lambda: y.clamp_(1e40), RuntimeError, OVERFLOW.format("float"))
    assert y.tolist() == [1.0, 1.0]


def test_clamp_bool_inplace_names_c_type():
    y = tg.ones(2, dtype=tg.bool)
    _raises(lambda: y.clamp_(-1), RuntimeError, "result type Long can't be cast to the desired output type bool")
    _raises(lambda: y.clamp_max_(300), RuntimeError, "result type Long can't be cast to the desired output type bool")


def test_clamp_in_range_numbers_unchanged():
    assert tg.clamp(tg.ones(3, dtype=tg.uint8), min=-1).tolist() == [255, 255, 255]
    assert tg.clamp(tg.ones(2, dtype=tg.float16), float("inf")).tolist() == [float("inf")] * 2
    assert tg.clamp(tg.ones(2, dtype=tg.bfloat16), 1e6).tolist() == [999424.0] * 2
    assert tg.clamp(tg.ones(2, dtype=tg.float64), 1e40).tolist() == [1e40] * 2
    r = tg.clamp(tg.ones(2, dtype=tg.int64), 1e20)
    assert r.dtype == tg.float32 and r.tolist() == [1.0000000200408773e20] * 2
    y = tg.ones(2, dtype=tg.int64)
    y.clamp_(-(2 ** 63))
    assert y.tolist() == [1, 1]
    _raises(lambda: tg.ones(2).clamp_(-(2 ** 63) - 1), OverflowError, "can't convert negative int to unsigned")


# --------------------------------------------------------------------------- F.threshold
def _F():
    pytest.importorskip("tensorgraft.nn")
    import tensorgraft.nn.functional as F
    return F


@pytest.mark.parametrize("dtype, threshold, value, ctype", [
    ("float32", 1e40, 0.0, "float"), ("float32", 0.5, 1e39, "float"),
    ("float16", 1e40, 0.0, "float"),  # (the threshold is converted to float, the type it compares in)
    ("float16", 0.5, 1e5, "c10::Half"), ("bfloat16", 1e40, 0.0, "float"), ("bfloat16", 0.5, 3.395e38, "c10::BFloat16"),
    ("float16", 1e40, 1e6, "float"),  # (the threshold first)
    ("int32", 1e20, 0, "int"), ("int32", 0, 2 ** 63, "int"), ("int64", float("inf"), 0, "int64_t"),
    ("uint8", 300, 0, "uint8_t"), ("int8", 0, float("nan"), "int8_t"),
    ("float64", 1 + 1j, 0, "double"), ("float32", 0.5, 1 + 1j, "float"), ("int32", 1 + 1j, 0, "int"),
])
def test_threshold_numbers_checked(dtype, threshold, value, ctype):
    F = _F()
    x = tg.ones(2, dtype=getattr(tg, dtype))
    msg = OVERFLOW.format(ctype)
    _raises(lambda: F.threshold(x, threshold, value), RuntimeError, msg)
    _raises(lambda: F.threshold(x, threshold, value, inplace=True), RuntimeError, msg)
    _raises(lambda: F.threshold_(x, threshold, value), RuntimeError, msg)
    assert x.tolist() == [1, 1]


def test_threshold_numbers_in_range():
    F = _F()
    assert F.threshold(tg.tensor([1, 200], dtype=tg.uint8), -1, 7).tolist() == [7, 7]  # (-1 wraps to 255)
    assert F.threshold(tg.tensor([1, 200], dtype=tg.uint8), 100, -1).tolist() == [255, 200]
    assert F.threshold(tg.tensor([1, 100], dtype=tg.int8), 1.7, -3.9).tolist() == [-3, 100]  # (truncated)
    assert F.threshold(tg.ones(2, dtype=tg.float16), 1e5, 0.0).tolist() == [0.0, 0.0]
    assert F.threshold(tg.ones(2), 0.5, 2 + 0j).tolist() == [1.0, 1.0]
    assert F.threshold(tg.ones(2), float("inf"), float("-inf")).tolist() == [float("-inf")] * 2
    assert F.threshold(tg.ones(2, dtype=tg.float64), 2 ** 64 - 1, 0).tolist() == [0.0, 0.0]
    _raises(lambda: F.threshold(tg.ones(2), tg.tensor(1e39, dtype=tg.float64), 0), RuntimeError,
            OVERFLOW.format("float"))


def test_threshold_parser_overflow_before_bool_check():
    F = _F()
    _raises(lambda: F.threshold(tg.ones(2, dtype=tg.bool), 2 ** 64, 0), OverflowError, "int too big to convert")
    _raises(lambda: F.threshold(tg.ones(2), 0, -(2 ** 63) - 1), OverflowError, "can't convert negative int to unsigned")
    _raises(lambda: F.threshold(tg.ones(2, dtype=tg.bool), 0, 0), NotImplementedError,
            "\"threshold_cpu\" not implemented for 'Bool'")


def test_threshold_module():
    nn = pytest.importorskip("tensorgraft.nn")
    _raises(lambda: nn.Threshold(1e40, 0.0)(tg.ones(2)), RuntimeError, OVERFLOW.format("float"))


# --------------------------------------------------------------------------- inner / tensordot
SAME = "both inputs should have same dtype"


@pytest.mark.parametrize("da, db", [("float32", "float64"), ("int64", "float32"), ("bool", "float32"),
                                    ("int64", "int32"), ("complex64", "float32")])
@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3))])
def test_inner_mixed_dtypes(da, db, sa, sb):
    a, b = tg.ones(*sa, dtype=getattr(tg, da)), tg.ones(*sb, dtype=getattr(tg, db))
    _raises(lambda: tg.inner(a, b), RuntimeError, SAME)


@pytest.mark.parametrize("dims", [0, 1, ([0], [0]), ([-1], [0])])
def test_tensordot_mixed_dtypes(dims):
    _raises(lambda: tg.tensordot(tg.ones(3), tg.ones(3, dtype=tg.float64), dims=dims), RuntimeError, SAME)


def test_tensordot_mixed_dtype_check_order():
    a, b = tg.ones(3), tg.ones(3, dtype=tg.float64)
    # after the dims-list length and the dims-count checks, before the dims are wrapped or sizes compared
    _raises(lambda: tg.tensordot(a, b, dims=([0], [0, 1])), RuntimeError, "both dimension lists should have same length")
    _raises(lambda: tg.tensordot(a, b, dims=3), RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=3")
    _raises(lambda: tg.tensordot(a, b, dims=-1), RuntimeError, "tensordot expects dims >= 0, but got dims=-1")
    _raises(lambda: tg.tensordot(a, b, dims=([5], [0])), RuntimeError, SAME)
    _raises(lambda: tg.tensordot(tg.ones(2), b, dims=1), RuntimeError, SAME)
    _raises(lambda: tg.tensordot(a, b, dims=tg.tensor(1)), RuntimeError, SAME)
    _raises(lambda: tg.tensordot(tg.ones(()), b, dims=0), RuntimeError, SAME)
    # inner: a 0-d operand multiplies (promoting); the last-dim check comes first
    assert tg.inner(tg.ones(()), b).dtype == tg.float64
    _raises(lambda: tg.inner(tg.ones(2), b), RuntimeError,
            "inner() the last dimension must match on both input tensors but got shapes [2] and [3]")


def _b(*shape):
    return tg.ones(*shape, dtype=tg.bool)


DOT = "\"dot\" not implemented for 'Bool'"
ADDMM = "\"addmm_impl_cpu_\" not implemented for 'Bool'"


@pytest.mark.parametrize("fn, msg", [
    (lambda: tg.inner(_b(3), _b(3)), DOT), (lambda: tg.inner(_b(1, 3), _b(3)), DOT),
    (lambda: tg.inner(_b(2, 3), _b(3)), ADDMM), (lambda: tg.inner(_b(3), _b(2, 3)), ADDMM),
    (lambda: tg.inner(_b(2, 3), _b(4, 3)), ADDMM),
    (lambda: tg.tensordot(_b(3), _b(3), dims=1), DOT), (lambda: tg.tensordot(_b(3), _b(3), dims=0), ADDMM),
    (lambda: tg.tensordot(_b(1), _b(1), dims=0), DOT), (lambda: tg.tensordot(_b(3), _b(3, 4), dims=1), ADDMM),
    (lambda: tg.tensordot(_b(3, 2), _b(3, 2), dims=([0, 1], [0, 1])), DOT),
    (lambda: tg.tensordot(_b(0), _b(0), dims=1), DOT), (lambda: tg.tensordot(_b(()), _b(3), dims=0), ADDMM),
    (lambda: tg.tensordot(_b(()), _b(()), dims=0), DOT),
    (lambda: tg.tensordot(tg.ones(3, dtype=tg.uint16), tg.ones(3, dtype=tg.uint16), dims=1),
     "\"dot\" not implemented for 'UInt16'"),
])
def test_inner_tensordot_bool(fn, msg):
    _raises(fn, NotImplementedError, msg)


def test_inner_tensordot_bool_empty_result_and_shape_checks_first():
    r = tg.inner(_b(0, 3), _b(3))
    assert r.dtype == tg.bool and r.shape == (0,)
    r = tg.tensordot(_b(2, 3), _b(3, 0), dims=1)
    assert r.dtype == tg.bool and r.shape == (2, 0)
    _raises(lambda: tg.tensordot(_b(2), _b(3), dims=1), RuntimeError,
            "contracted dimensions need to match, but first has size 2 in dim -1 and second has size 3 in dim 0")


def test_inner_tensordot_same_dtype_still_computes():
    assert tg.tensordot(tg.ones(3, dtype=tg.int8), tg.ones(3, 2, dtype=tg.int8), dims=1).tolist() == [3, 3]
    assert tg.inner(tg.ones(2, 3, dtype=tg.float16), tg.ones(3, dtype=tg.float16)).tolist() == [3.0, 3.0]
    assert tg.tensordot(tg.ones(2, dtype=tg.uint8), tg.ones(2, dtype=tg.uint8), dims=0).tolist() == [[1, 1], [1, 1]]


# --------------------------------------------------------------------------- arange / range
I64 = OVERFLOW.format("int64_t")
FLOAT = OVERFLOW.format("float")


@pytest.mark.parametrize("args, dtype, exc, msg", [
    ((0, 1e20, 1e19), "int64", RuntimeError, I64), ((9.2e18, 9.3e18, 1e17), "int64", RuntimeError, I64),
    ((-1e19, 0, 1e18), "int64", RuntimeError, I64), ((0, 5, 1e19), "int64", RuntimeError, I64),
    ((1e20, 0, -1e19), "int64", RuntimeError, I64), ((0, -5, -1e19), "int64", RuntimeError, I64),
    ((0, 1e20, 1e19), "int32", RuntimeError, I64), ((0, 1e20, 1e19), "uint8", RuntimeError, I64),
    ((0, 2 ** 63, 2 ** 62), None, RuntimeError, I64), ((0, 2 ** 64 - 1, 2 ** 63), None, RuntimeError, I64),
    ((1e20,), "int64", RuntimeError, I64), ((2 ** 63,), None, RuntimeError, I64),
    ((2 ** 64,), None, OverflowError, "int too big to convert"),
    ((0, 2 ** 64, 0), "float32", OverflowError, "int too big to convert"),
    ((0, 1e39, 5e38), "float16", RuntimeError, FLOAT), ((0, 1e39, 5e38), "bfloat16", RuntimeError, FLOAT),
    ((0, 1, 3.5e38), "float16", RuntimeError, FLOAT), ((-1e39, 0, 5e38), "float16", RuntimeError, FLOAT),
    # the range checks come first
    ((0, 1e20, 0), "int64", RuntimeError, "step must be nonzero"),
    ((1e20, 0, 1), "int64", RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, float("inf"), 1e39), "float16", RuntimeError, "unsupported range: 0 -> inf"),
    ((0, float("nan")), "int64", RuntimeError, "unsupported range: 0 -> nan"),
    # int64 wrap-around of the length
    ((0, 2 ** 63 - 1, 2 ** 62), "int64", RuntimeError, "invalid size, possible overflow?"),
    ((-(2 ** 63), 0, 2 ** 62), "int64", RuntimeError, "invalid size, possible overflow?"),
    ((0, 2.0 ** 63, 2 ** 62), "int64", RuntimeError, "invalid size, possible overflow?"),
])
def test_arange_range_checks(args, dtype, exc, msg):
    kw = {} if dtype is None else {"dtype": getattr(tg, dtype)}
    _raises(lambda: tg.arange(*args, **kw), exc, msg)


@pytest.mark.parametrize("args, dtype, expected", [
    ((0, 1e39, 5e38), "float32", [0.0, float("inf")]), ((0, 1e39, 5e38), "float64", [0.0, 5e38]),
    ((0, 1e20, 1e19), None, None),  # (float32: no int64 conversion)
    ((0, 3.5e38, 1e38), "float16", [0.0, float("inf"), float("inf"), float("inf")]),  # (a half's end unchecked)
    ((0, 3e9, 1e9), "int32", [0, 1000000000, 2000000000]), ((0, 300, 100), "int8", [0, 100, -56]),
    ((-5, -2, 1), "uint8", [251, 252, 253]), ((0, 1e5, 5e4), "float16", [0.0, 49984.0]),
    ((2.0 ** 63, 2.0 ** 63, 1), "int64", []),  # (2.0**63 itself passes the double comparison)
    ((2.0 ** 63 - 2 ** 11, 2.0 ** 63, 2 ** 10), "int64", [9223372036854773760, 9223372036854774784]),
    ((-(2 ** 63), 2 ** 63 - 1, 2 ** 62), "int64", []),  # (the length wraps to 0)
    ((-(2 ** 63), -(2 ** 63) + 3), None, [-(2 ** 63), -(2 ** 63) + 1, -(2 ** 63) + 2]),
])
def test_arange_in_range(args, dtype, expected):
    kw = {} if dtype is None else {"dtype": getattr(tg, dtype)}
    r = tg.arange(*args, **kw)
    if expected is None:
        assert r.dtype == tg.float32 and len(r) == 10
    else:
        assert r.tolist() == expected


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("args, dtype, exc, msg", [
    ((0, 1e20, 1e19), "int64", RuntimeError, I64), ((0, 1e20, 0), "int64", RuntimeError, I64),  # (before step)
    ((1e20, 0, 1), "int64", RuntimeError, I64), ((0, float("nan"), 1), "int64", RuntimeError, I64),
    ((0, float("inf"), 1), "int32", RuntimeError, I64), ((0, 1e20, 1e19), "int8", RuntimeError, I64),
    ((0, 1e39, 5e38), "float16", RuntimeError, FLOAT), ((1e39, 0, 1), "float16", RuntimeError, FLOAT),
    ((0, 1e39, -1), "float16", RuntimeError, FLOAT), ((0, float("inf"), 1e39), "float16", RuntimeError, FLOAT),
    ((0, 2 ** 64, 1), "float32", OverflowError, "int too big to convert"),
])
def test_range_checks(args, dtype, exc, msg):
    _raises(lambda: tg.range(*args, dtype=getattr(tg, dtype)), exc, msg)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_range_in_range():
    assert tg.range(0, 5, 1.5, dtype=tg.int64).tolist()[:3] == [0, 1, 2]
    assert tg.range(0, 1e39, 5e38, dtype=tg.float32).tolist() == [0.0, float("inf"), float("inf")]
    assert tg.range(0, 1e5, 5e4, dtype=tg.float16).tolist() == [0.0, 49984.0, float("inf")]
