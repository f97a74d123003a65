"""Fixes found by differential fuzzing of the limited dtypes (uint16/32/64, the 8-bit floats) against
PyTorch 2.13: c10's NaN bits through conversions, the unchecked conversion of ``t[i] = v`` and
``scalar_tensor`` next to the checked one of ``full``/``fill_``, uint64 tensors from Python data,
``where`` on the 8-bit floats, and the printing of e8m0. Every expected value below is what PyTorch
2.13 returned or printed for the same call (computed with torch; no torch import here)."""
import numpy as np
import pytest

import tensorgraft as tg

FLOAT8 = ["float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"]


def _bits(t):
    return t.contiguous().reshape(-1).view(tg.uint8).tolist()


def _from_bits(bits, name):
    return tg.tensor(bits, dtype=tg.uint8).view(getattr(tg, name))


def _uint(t, view):
    return [int(v) for v in t.contiguous().view(view).numpy().ravel().view(
        {tg.int16: np.uint16, tg.int32: np.uint32, tg.int64: np.uint64}[view])]


# ---------------------------------------------------------------------------- NaN bits through casts
# each 8-bit float's NaN patterns, read as float32 / half / bfloat16 / double by PyTorch 2.13
_NANS = {
    "float8_e4m3fn": ([0x7F, 0xFF], [0x7FF00000, 0xFFF00000], [0x7F80, 0xFF80], [0x7FFE000000000000, 0xFFFE000000000000]),
    "float8_e4m3fnuz": ([0x80], [0x7F800001], [0x7E00], [0x7FF8000020000000]),
    "float8_e5m2": ([0x7D, 0x7E, 0x7F, 0xFD], [0x7FE00000, 0x7FC00000, 0x7FE00000, 0xFFE00000],
                    [0x7F00, 0x7E00, 0x7F00, 0xFF00],
                    [0x7FFC000000000000, 0x7FF8000000000000, 0x7FFC000000000000, 0xFFFC000000000000]),
    "float8_e5m2fnuz": ([0x80], [0x7F800001], [0x7E00], [0x7FF8000020000000]),
    "float8_e8m0fnu": ([0xFF], [0x7F800001], [0x7E00], [0x7FF8000020000000]),
}


@pytest.mark.parametrize("name", FLOAT8)
def test_float8_nan_bits_into_wider_floats(name):
    bits, f32, f16, f64 = _NANS[name]
    x = _from_bits(bits, name)
    assert _uint(x.float(), tg.int32) == f32
    assert _uint(x.half(), tg.int16) == f16
    assert _uint(x.double(), tg.int64) == f64
    assert _uint(x.bfloat16(), tg.int16) == [0x7FC0] * len(bits)  # (c10's bfloat16 NaN, whatever the sign)
    assert _uint(x.to(tg.complex64).real, tg.int32) == f32


@pytest.mark.parametrize("name", FLOAT8)
def test_float8_nan_into_other_float8_and_integers(name):
    bits = _NANS[name][0]
    x = _from_bits(bits, name)
    signs = [b >> 7 for b in bits] if name in ("float8_e4m3fn", "float8_e5m2") else [0] * len(bits)
    assert _bits(x.to(tg.float8_e4m3fn if name != "float8_e4m3fn" else tg.float8_e5m2)) == [
        0xFF if s else 0x7F for s in signs]
    if name != "float8_e8m0fnu":
        assert _bits(x.to(tg.float8_e8m0fnu)) == [0xFF] * len(bits)
    # the fnuz types' and e8m0's NaN reads as 0 into every integer type; the others' as the CPU's
    # "indefinite" integer, whose low 32 bits are 0 in uint32 (through int64)
    one_nan = name not in ("float8_e4m3fn", "float8_e5m2")
    assert x.to(tg.int64).tolist() == [0 if one_nan else -(1 << 63)] * len(bits)
    assert x.to(tg.int32).tolist() == [0 if one_nan else -(1 << 31)] * len(bits)
    assert x.to(tg.uint32).tolist() == [0] * len(bits)
    assert x.to(tg.uint64).tolist() == [0 if one_nan else 1 << 63] * len(bits)
    assert x.to(tg.bool).tolist() == [True] * len(bits)


def test_nan_into_e5m2_is_0x7f_with_its_sign():
    x = tg.tensor([float("nan"), -float("nan"), float("inf"), 1e10])
    assert _bits(x.to(tg.float8_e5m2)) == [0x7F, 0xFF, 0x7C, 0x7C]
    assert _bits(x.double().to(tg.float8_e5m2)) == [0x7F, 0xFF, 0x7C, 0x7C]
    assert _bits(x.to(tg.float8_e4m3fn)) == [0x7F, 0xFF, 0x7E, 0x7E]  # (saturating, NaN kept)


def test_float_into_uint16_goes_through_int32():
    x = [5e9, -5e9, -1.0, 70000.0]
    assert tg.tensor(x).to(tg.uint16).tolist() == [0, 0, 65535, 4464]
    assert tg.tensor(x, dtype=tg.float64).to(tg.uint16).tolist() == [0, 0, 65535, 4464]


# ---------------------------------------------------------------------------- numbers into the 8-bit floats
@pytest.mark.parametrize("name,value,bits", [
    ("float8_e4m3fn", 1e10, 0x7E), ("float8_e4m3fn", -float("inf"), 0xFE), ("float8_e4m3fnuz", 1e10, 0x80),
    ("float8_e5m2", float("nan"), 0x7F), ("float8_e5m2", 1e10, 0x7C), ("float8_e8m0fnu", -2.5, 0x80),
    ("float8_e8m0fnu", False, 0x00), ("float8_e8m0fnu", 1e-50, 0x00),
])
def test_setitem_and_scalar_tensor_convert_numbers_unchecked(name, value, bits):
    t = tg.ones(3, dtype=getattr(tg, name))
    one = _bits(t)[2]
    t[0] = value
    t[1:2] = value
    assert _bits(t) == [bits, bits, one]
    assert _bits(tg.scalar_tensor(value, dtype=getattr(tg, name))) == [bits]


@pytest.mark.parametrize("name,value", [
    ("float8_e4m3fn", float("inf")), ("float8_e8m0fnu", float("inf")), ("float8_e5m2fnuz", -float("inf")),
    ("float8_e4m3fn", 449.0),
])
def test_full_and_fill_check_the_range_infinity_included(name, value):
    dtype = getattr(tg, name)
    msg = f"^value cannot be converted to type c10::{name[0].upper()}{name[1:]} without overflow$"
    with pytest.raises(RuntimeError, match=msg):
        tg.full((2,), value, dtype=dtype)
    with pytest.raises(RuntimeError, match=msg):
        tg.ones(2, dtype=dtype).fill_(value)


def test_full_and_fill_values_with_c10_bits():
    assert _bits(tg.full((2,), float("inf"), dtype=tg.float8_e5m2)) == [0x7C, 0x7C]  # (e5m2 has infinities)
    assert _bits(tg.full((2,), float("nan"), dtype=tg.float8_e5m2)) == [0x7F, 0x7F]
    assert _bits(tg.full((2,), False, dtype=tg.float8_e8m0fnu)) == [0, 0]
    assert _bits(tg.ones(2, dtype=tg.float8_e8m0fnu).fill_(False)) == [0, 0]


def test_setitem_of_tensors_casts_as_copy_does():
    t = tg.zeros(4, dtype=tg.float8_e4m3fn)
    t[0] = tg.tensor(2.0).to(tg.float8_e8m0fnu)  # (ml_dtypes casts no 8-bit float scalar into another)
    t[1] = tg.tensor(1000.0)
    t[2:] = tg.tensor([float("nan"), -1e9], dtype=tg.float64)
    assert _bits(t) == [64, 126, 127, 254]
    u = tg.zeros(3, dtype=tg.uint32)
    u[0] = tg.tensor(-1.0)
    u[1:] = tg.tensor(-2)
    assert u.tolist() == [4294967295, 4294967294, 4294967294]
    w = tg.ones(2, dtype=tg.float8_e8m0fnu)
    w[0] = tg.tensor(0)
    w[1] = tg.tensor(False)
    assert _bits(w) == [0, 0]


# ---------------------------------------------------------------------------- uint64 from Python data
@pytest.mark.parametrize("data,error,msg", [
    (2.5, TypeError, "an integer is required"), ([1, 2.5], TypeError, "an integer is required"),
    (np.float64(2.0), TypeError, "an integer is required"), ([np.int64(3)], TypeError, "an integer is required"),
    ([1, None], TypeError, "an integer is required"), (-1, OverflowError, "can't convert negative int to unsigned"),
    ([1, -1], OverflowError, "can't convert negative int to unsigned"), (2 ** 64, OverflowError, "int too big to convert"),
])
def test_uint64_tensor_takes_python_ints_only(data, error, msg):
    with pytest.raises(error, match=f"^{msg}$"):
        tg.tensor(data, dtype=tg.uint64)


def test_uint64_tensor_from_python_ints():
    assert tg.tensor([True, 3, 2 ** 64 - 1], dtype=tg.uint64).tolist() == [1, 3, 2 ** 64 - 1]
    assert tg.tensor(np.array([-1, 2]), dtype=tg.uint64).tolist() == [2 ** 64 - 1, 2]  # (an array wraps)
    assert tg.tensor([[], []], dtype=tg.uint64).shape == (2, 0)


# ---------------------------------------------------------------------------- where
def test_where_on_the_8bit_floats():
    c = tg.tensor([True, False, True])
    y = tg.tensor([0.5, 2, 3]).to(tg.float8_e4m3fn)
    assert _bits(tg.where(c, y, tg.tensor([-1.0, 5, 6]).to(tg.float8_e4m3fn))) == [48, 74, 68]
    x = tg.tensor([1.0, 2.0, 4.0]).to(tg.float8_e8m0fnu)
    assert _bits(tg.where(c, x, 0)) == [127, 0, 129]
    assert _bits(tg.where(c, 0, x)) == [0, 128, 0]
    assert _bits(tg.where(c, tg.ones(3).to(tg.float8_e4m3fn), 1e10)) == [56, 126, 56]
    assert _bits(tg.where(c, tg.ones(3).to(tg.float8_e5m2), float("nan"))) == [60, 127, 60]


# ---------------------------------------------------------------------------- printing e8m0
def test_e8m0_prints_its_smallest_value_as_zero_and_nan_turns_fixed_notation_on():
    e = tg.float8_e8m0fnu
    assert repr(tg.zeros(2, dtype=e)) == "tensor([0., 0.], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.eye(2, dtype=e)) == "tensor([[1., 0.],\n        [0., 1.]], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.tensor([float("nan"), 0.5, 4.0]).to(e)) == \
        "tensor([   nan, 0.5000, 4.0000], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.tensor([1e-30, 0.0, 4.0]).to(e)) == \
        "tensor([7.8886e-31, 5.8775e-39, 4.0000e+00], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.tensor([0.0, 0.25]).to(e)) == "tensor([0.0000, 0.2500], dtype=torch.float8_e8m0fnu)"


def test_copy_between_tensors_of_one_8bit_float_keeps_nan_payloads():
    src = _from_bits([0x7D, 0x7E, 0x7F, 0xFD], "float8_e5m2")
    dst = tg.zeros(8, dtype=tg.float8_e5m2)[::2]
    dst.copy_(src)
    assert _bits(dst) == [0x7D, 0x7E, 0x7F, 0xFD]
    assert _bits(src.to(tg.float8_e5m2, copy=True)) == [0x7D, 0x7E, 0x7F, 0xFD]
    # into another 8-bit float through c10's float: e5m2's NaNs become e4m3fn's 0x7f with their sign
    assert _bits(tg.zeros(4, dtype=tg.float8_e4m3fn).copy_(src)) == [0x7F, 0x7F, 0x7F, 0xFF]
