"""Differences left by the limited-dtype fuzzing round (uint16/32/64, the 8-bit floats) against PyTorch
2.13: ``isin`` with a negative number (c10's cast: -1 wraps into the unsigned types, e8m0 drops the
sign), ``fill``/``fill_`` values (wrapping, c10's checks, the unchecked one-element 8-bit float fill,
the e8m0 conversion of a tensor value), ``float_power``/``ldexp`` with operands that promotion refuses,
and hsplit/vsplit/dsplit with a 0-d integer tensor as sections. Every expected value below is what
PyTorch 2.13 returned for the same call (computed with torch; no torch import here)."""
import pytest

import tensorgraft as tg

OVERFLOW = "value cannot be converted to type {} without overflow"


def _bits(t):
    return t.contiguous().reshape(-1).view(tg.uint8).tolist()


# ---------------------------------------------------------------------------- isin with a negative number
@pytest.mark.parametrize("name, values, expected", [
    ("uint16", [0, 1, 65535], [False, False, True]),
    ("uint32", [0, 1, 65535], [False, False, False]),
    ("uint32", [0, 1, 2**32 - 1], [False, False, True]),
    ("uint64", [0, 1, 2**32 - 1], [False, False, False]),
    ("uint64", [0, 1, 2**64 - 1], [False, False, True]),
    ("uint8", [0, 1, 255], [False, False, True]),
])
def test_isin_negative_int_wraps_into_unsigned(name, values, expected):
    t = tg.tensor(values, dtype=getattr(tg, name))
    assert tg.isin(t, -1).tolist() == expected


def test_isin_number_wraps_and_floats_stay_float():
    u16 = tg.tensor([0, 1, 3], dtype=tg.uint16)
    assert tg.isin(u16, 2**32 - 1).tolist() == [False, False, False]   # 65535 in uint16
    assert tg.isin(u16, 2**16 + 3).tolist() == [False, False, True]    # wraps to 3
    assert tg.isin(tg.tensor([0, 1, 65535], dtype=tg.uint16), -1.5).tolist() == [False, False, False]
    assert tg.isin(tg.tensor(255, dtype=tg.uint8).reshape(1), -1).tolist() == [True]
    assert tg.isin(-1, tg.tensor([0, 1, 255], dtype=tg.uint8)).item() is True


def test_isin_e8m0_drops_the_sign():
    e = tg.tensor([1., 2., 0.5], dtype=tg.float8_e8m0fnu)
    assert tg.isin(e, -1).tolist() == [True, False, False]
    assert tg.isin(e, -2).tolist() == [False, True, False]
    assert tg.isin(e, -0.5).tolist() == [False, False, True]
    for name in ("float8_e4m3fn", "float8_e5m2"):
        assert tg.isin(tg.tensor([1., -1.], dtype=getattr(tg, name)), -1).tolist() == [False, True]


# ---------------------------------------------------------------------------- fill
@pytest.mark.parametrize("name, expected", [("uint16", 65535), ("uint32", 2**32 - 1), ("uint64", 2**64 - 1),
                                            ("uint8", 255)])
def test_fill_negative_int_wraps(name, expected):
    t = tg.zeros(3, dtype=getattr(tg, name))
    assert tg.fill(t, -1).tolist() == [expected] * 3
    assert t.clone().fill_(-1).tolist() == [expected] * 3


@pytest.mark.parametrize("name, value, ctype", [("uint16", 70000, "uint16_t"), ("uint16", -1.5, "uint16_t"),
                                                ("uint32", -1.0, "uint32_t"), ("int8", 200, "int8_t"),
                                                ("int8", -129, "int8_t"), ("uint16", 1e10, "uint16_t")])
def test_fill_out_of_range_is_pytorchs_error(name, value, ctype):
    t = tg.zeros(3, dtype=getattr(tg, name))
    with pytest.raises(RuntimeError, match=OVERFLOW.format(ctype)):
        tg.fill(t, value)
    with pytest.raises(RuntimeError, match=OVERFLOW.format(ctype)):
        t.fill_(value)


def test_fill_float_into_integers_truncates():
    assert tg.fill(tg.zeros(3, dtype=tg.uint16), 1.5).tolist() == [1, 1, 1]
    assert tg.zeros(3, dtype=tg.uint16).fill_(1.5).tolist() == [1, 1, 1]
    assert tg.fill(tg.zeros(2, dtype=tg.uint64), 2**64 - 1).tolist() == [2**64 - 1] * 2


# one-element 8-bit float tensors take the number unchecked (fill_ of 1e10, -1e10, nan, 500, -2)
_ONE = {"float8_e4m3fn": [126, 254, 127, 126, 192], "float8_e5m2": [124, 252, 127, 96, 192],
        "float8_e4m3fnuz": [128, 128, 128, 128, 200], "float8_e8m0fnu": [160, 160, 255, 136, 128]}


@pytest.mark.parametrize("name", sorted(_ONE))
def test_fill_one_element_float8_is_unchecked(name):
    dt = getattr(tg, name)
    got = [_bits(tg.zeros(1, dtype=dt).fill_(v))[0] for v in (1e10, -1e10, float("nan"), 500, -2)]
    assert got == _ONE[name]
    assert _bits(tg.zeros((), dtype=dt).fill_(-2)) == [_ONE[name][4]]


def test_fill_float8_checks_beyond_one_element():
    assert _bits(tg.fill(tg.zeros(1, dtype=tg.float8_e4m3fn), 1e10)) == [126]
    for name, value, ctype in (("float8_e4m3fn", 1e10, "Float8_e4m3fn"), ("float8_e5m2", -1e10, "Float8_e5m2"),
                               ("float8_e4m3fnuz", 500, "Float8_e4m3fnuz"), ("float8_e8m0fnu", -1e10, "Float8_e8m0fnu")):
        with pytest.raises(RuntimeError, match=OVERFLOW.format(f"c10::{ctype}")):
            tg.zeros(2, dtype=getattr(tg, name)).fill_(value)
        with pytest.raises(RuntimeError, match=OVERFLOW.format(f"c10::{ctype}")):
            tg.fill(tg.zeros(2, dtype=getattr(tg, name)), value)
    assert _bits(tg.zeros(2, dtype=tg.float8_e8m0fnu).fill_(1e10)) == [160, 160]
    assert _bits(tg.zeros(2, dtype=tg.float8_e5m2).fill_(500)) == [96, 96]


# fill_ with 0-d tensors tensor(0), tensor(-2.), tensor(1e10), tensor(0.3, float64), any size
_TENSOR_VALUES = {"float8_e4m3fn": [0, 192, 126, 42], "float8_e5m2": [0, 192, 124, 53],
                  "float8_e4m3fnuz": [0, 200, 128, 50], "float8_e8m0fnu": [0, 128, 160, 125]}


@pytest.mark.parametrize("name", sorted(_TENSOR_VALUES))
@pytest.mark.parametrize("n", [1, 2])
def test_fill_tensor_value_converts_as_c10(name, n):
    dt = getattr(tg, name)
    values = [tg.tensor(0), tg.tensor(-2.), tg.tensor(1e10), tg.tensor(0.3, dtype=tg.float64)]
    assert [_bits(tg.zeros(n, dtype=dt).fill_(v)) for v in values] == [[b] * n for b in _TENSOR_VALUES[name]]
    assert [_bits(tg.fill(tg.zeros(n, dtype=dt), v)) for v in values] == [[b] * n for b in _TENSOR_VALUES[name]]


def test_fill_tensor_value_into_uint16_wraps():
    assert tg.fill(tg.zeros(3, dtype=tg.uint16), tg.tensor(-1)).tolist() == [65535] * 3


# ---------------------------------------------------------------------------- float_power, ldexp
_LIMITED = ["uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu"]
# float_power(x, other), float_power(other, x) for x = [1, 2, 3] (e8m0: [1, 2, 4]) and other int64 [1, -2, 3],
# bool [True, False, True], float32 [0.5, 1.5, -2.]
_FP = {"int64": ([1.0, 0.25, 27.0], [1.0, 4.0, 27.0]), "bool": ([1.0, 1.0, 3.0], [1.0, 0.0, 1.0]),
       "float32": ([1.0, 2.8284271247461903, 0.1111111111111111], [0.5, 2.25, -8.0])}
_FP_E8M0 = {"int64": ([1.0, 0.25, 64.0], [1.0, 4.0, 81.0]), "bool": ([1.0, 1.0, 4.0], [1.0, 0.0, 1.0]),
            "float32": ([1.0, 2.8284271247461903, 0.0625], [0.5, 2.25, 16.0])}
_OTHERS = {"int64": [1, -2, 3], "bool": [True, False, True], "float32": [0.5, 1.5, -2.]}


@pytest.mark.parametrize("name", _LIMITED)
@pytest.mark.parametrize("other", sorted(_OTHERS))
def test_float_power_converts_to_double(name, other):
    x = tg.tensor([1, 2, 3]).to(getattr(tg, name))
    o = tg.tensor(_OTHERS[other], dtype=getattr(tg, other))
    fwd, rev = (_FP_E8M0 if name == "float8_e8m0fnu" else _FP)[other]
    for got, want in ((tg.float_power(x, o), fwd), (tg.float_power(o, x), rev), (x.float_power(o), fwd)):
        assert got.dtype == tg.float64
        assert got.tolist() == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_ldexp_is_mul_of_pow2(name):
    x = tg.tensor([1, 2, 3], dtype=getattr(tg, name))
    for other, want in (("int64", [2.0, 0.5, 24.0]), ("bool", [2.0, 2.0, 6.0]),
                        ("float32", [1.4142135381698608, 5.656854152679443, 0.75])):
        got = tg.ldexp(x, tg.tensor(_OTHERS[other], dtype=getattr(tg, other)))
        assert got.dtype == tg.float32
        assert got.tolist() == pytest.approx(want, rel=1e-7)


def test_ldexp_float8_errors_as_pytorch():
    x = tg.tensor([1., 2.], dtype=tg.float8_e4m3fn)
    with pytest.raises(NotImplementedError, match="\"ldexp_cpu\" not implemented for 'Float8_e4m3fn'"):
        tg.ldexp(x, tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="Promotion for Float8 Types is not supported, attempted to promote "
                                           "Float8_e4m3fn and Float"):
        tg.ldexp(x, tg.tensor([1., 2.]))
    with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported"):
        tg.add(tg.tensor([1], dtype=tg.uint16), tg.tensor([1]))   # promotion itself still refuses


# ---------------------------------------------------------------------------- hsplit/vsplit/dsplit
@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64", "uint8", "int32", "int64"])
def test_split_sections_from_0d_integer_tensor(name):
    x = tg.zeros(6, 4)
    s = tg.tensor(2, dtype=getattr(tg, name))
    assert [tuple(t.shape) for t in tg.vsplit(x, s)] == [(3, 4), (3, 4)]
    assert [tuple(t.shape) for t in tg.hsplit(x, s)] == [(6, 2), (6, 2)]
    assert [tuple(t.shape) for t in tg.dsplit(tg.zeros(2, 2, 4), s)] == [(2, 2, 2), (2, 2, 2)]
    with pytest.raises(RuntimeError, match="tensor_split expected tensor_indices_or_sections to have dtype of "
                                           "long"):
        tg.tensor_split(x, tg.tensor(2, dtype=tg.uint16))


def test_split_sections_tensor_checks():
    x = tg.zeros(6, 4)
    with pytest.raises(RuntimeError, match="torch.vsplit attempted to split along dimension 0, but the size of "
                                           "the dimension 6 is not divisible by the split_size 4!"):
        tg.vsplit(x, tg.tensor(4, dtype=tg.uint16))
    with pytest.raises(RuntimeError, match="not divisible by the split_size 0!"):
        tg.vsplit(x, tg.tensor(0))
    for bad in (tg.tensor([2]), tg.tensor(True), tg.tensor(2.)):
        with pytest.raises(TypeError, match=r"vsplit\(\) received an invalid combination of arguments - got "
                                            r"\(Tensor, Tensor\), but expected one of:\n \* \(Tensor input, int "
                                            r"sections\)\n      didn't match because some of the arguments have "
                                            r"invalid types: \(Tensor, !Tensor!\)"):
            tg.vsplit(x, bad)
