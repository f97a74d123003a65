"""The limited dtypes: uint16/32/64 and the 8-bit floats (float8_e4m3fn, _e4m3fnuz, _e5m2, _e5m2fnuz,
_e8m0fnu). Tensors of them are made, converted, viewed, indexed, printed, saved and loaded as in PyTorch
2.13, which never promotes them with another dtype. Every expected value below is what PyTorch 2.13
printed or returned for the same call (probed with torch; no torch import here)."""
import io
import pathlib

import numpy as np
import pytest

import tensorgraft as tg

FLOAT8 = ["float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"]
UINTS = ["uint16", "uint32", "uint64"]
FIXTURE = pathlib.Path(__file__).parent / "data" / "pytorch_checkpoints" / "limited_dtypes.pt"


def _bits(t):
    return t.contiguous().view(tg.uint8).tolist()


# ---------------------------------------------------------------------------- the dtype objects
def test_dtype_objects_and_their_attributes():
    assert repr(tg.float8_e4m3fn) == "torch.float8_e4m3fn" and str(tg.uint32) == "torch.uint32"
    assert (tg.float8_e4m3fn.is_floating_point, tg.float8_e4m3fn.is_signed, tg.float8_e8m0fnu.is_signed,
            tg.float8_e4m3fn.itemsize) == (True, True, False, 1)
    assert (tg.uint32.is_signed, tg.uint32.is_floating_point, tg.uint64.itemsize) == (False, False, 8)
    assert tg.float8_e4m3fn.to_real() is tg.float8_e4m3fn and tg.uint32.to_real() is tg.uint32
    with pytest.raises(RuntimeError, match="^Unknown Complex ScalarType for Float8_e4m3fn$"):
        tg.float8_e4m3fn.to_complex()
    assert (tg.can_cast(tg.uint32, tg.int64), tg.can_cast(tg.float8_e4m3fn, tg.int64),
            tg.can_cast(tg.float32, tg.float8_e4m3fn), tg.can_cast(tg.int64, tg.uint32)) == (True, False, True, True)
    assert all(hasattr(tg, n) for n in FLOAT8 + UINTS)


@pytest.mark.parametrize("name,text", [
    ("float8_e4m3fn", "finfo(resolution=1, min=-448, max=448, eps=0.125, smallest_normal=0.015625, tiny=0.015625, "
                      "dtype=float8_e4m3fn)"),
    ("float8_e5m2", "finfo(resolution=1, min=-57344, max=57344, eps=0.25, smallest_normal=6.10352e-05, "
                    "tiny=6.10352e-05, dtype=float8_e5m2)"),
    ("float8_e4m3fnuz", "finfo(resolution=1, min=-240, max=240, eps=0.125, smallest_normal=0.0078125, "
                        "tiny=0.0078125, dtype=float8_e4m3fnuz)"),
    ("float8_e5m2fnuz", "finfo(resolution=1, min=-57344, max=57344, eps=0.125, smallest_normal=3.05176e-05, "
                        "tiny=3.05176e-05, dtype=float8_e5m2fnuz)"),
    ("float8_e8m0fnu", "finfo(resolution=1, min=5.87747e-39, max=1.70141e+38, eps=1, smallest_normal=5.87747e-39, "
                       "tiny=5.87747e-39, dtype=float8_e8m0fnu)"),
])
def test_finfo_of_the_8_bit_floats(name, text):
    assert repr(tg.finfo(getattr(tg, name))) == text


def test_iinfo_of_the_wide_unsigned_integers():
    assert repr(tg.iinfo(tg.uint16)) == "iinfo(min=0, max=65535, dtype=uint16)"
    assert repr(tg.iinfo(tg.uint32)) == "iinfo(min=0, max=4.29497e+09, dtype=uint32)"
    assert tg.iinfo(tg.uint64).max == 2 ** 64 - 1


# ---------------------------------------------------------------------------- promotion
@pytest.mark.parametrize("other", ["bool", "uint8", "int8", "int16", "int32", "int64", "complex64", "uint32"])
def test_wide_unsigned_promote_with_nothing_but_floats(other):
    with pytest.raises(RuntimeError, match="^Promotion for uint16, uint32, uint64 types is not supported, attempted "
                                           f"to promote UInt16 and {tg.dtypes._BY_NAME[other].scalar_type}$"):
        tg.promote_types(tg.uint16, getattr(tg, other))


@pytest.mark.parametrize("other", ["float16", "bfloat16", "float32", "float64"])
def test_wide_unsigned_with_a_float_is_the_float(other):
    assert tg.promote_types(tg.uint64, getattr(tg, other)) is getattr(tg, other)
    assert tg.promote_types(getattr(tg, other), tg.uint32) is getattr(tg, other)


def test_float8_promotes_with_nothing():
    assert tg.promote_types(tg.float8_e5m2, tg.float8_e5m2) is tg.float8_e5m2
    with pytest.raises(RuntimeError, match="^Promotion for Float8 Types is not supported, attempted to promote "
                                           "Float8_e4m3fn and Float$"):
        tg.promote_types(tg.float8_e4m3fn, tg.float32)
    with pytest.raises(RuntimeError, match="attempted to promote Long and Float8_e5m2$"):
        tg.promote_types(tg.int64, tg.float8_e5m2)
    with pytest.raises(RuntimeError, match="Float8 Types .* Float8_e4m3fn and UInt16$"):
        tg.promote_types(tg.float8_e4m3fn, tg.uint16)


def test_result_type_with_numbers_and_zero_dim_tensors():
    u = tg.tensor([1, 2, 3], dtype=tg.uint32)
    f = tg.tensor([1.0, 2.5, -3.0], dtype=tg.float8_e4m3fn)
    assert tg.result_type(u, 2) is tg.uint32
    assert tg.result_type(u, tg.tensor(2)) is tg.uint32  # a 0-d int64 does not take part
    assert tg.result_type(u, 1j) is tg.complex64
    assert tg.result_type(f, 2.0) is tg.float8_e4m3fn and tg.result_type(f, tg.tensor(2.0)) is tg.float8_e4m3fn
    with pytest.raises(RuntimeError, match="attempted to promote UInt32 and Long"):
        tg.result_type(u, tg.tensor([2]))
    assert repr(u * 2) == "tensor([2, 4, 6], dtype=torch.uint32)"
    assert repr(u * 2.5) == "tensor([2.5000, 5.0000, 7.5000])"
    assert repr(u * tg.tensor(1.5)) == "tensor([1.5000, 3.0000, 4.5000])"
    assert repr(u * True) == "tensor([1, 2, 3], dtype=torch.uint32)"
    with pytest.raises(RuntimeError, match="attempted to promote UInt32 and Long"):
        u * tg.tensor([1, 1, 1])


# ---------------------------------------------------------------------------- creation
def test_python_ints_into_the_wide_unsigned_types():
    assert repr(tg.tensor([2 ** 64 - 1], dtype=tg.uint64)) == "tensor([18446744073709551615], dtype=torch.uint64)"
    assert tg.tensor([2 ** 63 + 5], dtype=tg.uint64).tolist() == [2 ** 63 + 5]
    assert tg.tensor(2 ** 64 - 1, dtype=tg.uint64).item() == 18446744073709551615
    assert repr(tg.tensor([-1], dtype=tg.uint32)) == "tensor([4294967295], dtype=torch.uint32)"  # C wrap
    assert repr(tg.tensor([1.7], dtype=tg.uint16)) == "tensor([1], dtype=torch.uint16)"
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint16 without overflow$"):
        tg.tensor([70000], dtype=tg.uint16)
    with pytest.raises(OverflowError, match="^int too big to convert$"):
        tg.tensor([2 ** 64], dtype=tg.uint64)
    with pytest.raises(OverflowError, match="^can't convert negative int to unsigned$"):
        tg.tensor([-1, 2 ** 64 - 1], dtype=tg.uint64)
    with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
        tg.tensor([2 ** 63], dtype=tg.uint32)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint32 without overflow$"):
        tg.tensor([-1.0], dtype=tg.uint32)


@pytest.mark.parametrize("name,value,expected", [
    ("uint16", -1, 65535), ("uint32", 65536, 65536), ("uint64", 2 ** 64 - 1, 2 ** 64 - 1), ("uint64", -1, 2 ** 64 - 1),
    ("uint16", 1.5, 1),
])
def test_fill_values_into_the_wide_unsigned_types(name, value, expected):
    assert tg.full((1,), value, dtype=getattr(tg, name)).item() == expected


@pytest.mark.parametrize("name,value,c_type", [
    ("uint16", 65536, "uint16_t"), ("uint32", 2 ** 32, "uint32_t"), ("uint64", -1.0, "uint64_t"),
    ("uint16", float("nan"), "uint16_t"), ("float8_e4m3fn", 449.0, "c10::Float8_e4m3fn"),
    ("float8_e4m3fn", -1e6, "c10::Float8_e4m3fn"), ("float8_e8m0fnu", -3.0, "c10::Float8_e8m0fnu"),
    ("float8_e8m0fnu", 0.0, "c10::Float8_e8m0fnu"), ("float8_e8m0fnu", 1e-40, "c10::Float8_e8m0fnu"),
])
def test_fill_values_that_overflow(name, value, c_type):
    with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {c_type} without overflow$"):
        tg.full((2,), value, dtype=getattr(tg, name))


def test_fill_values_into_the_8_bit_floats():
    assert _bits(tg.full((2,), 448.0, dtype=tg.float8_e4m3fn)) == [126, 126]
    assert _bits(tg.full((2,), float("nan"), dtype=tg.float8_e4m3fn)) == [127, 127]
    assert _bits(tg.full((2,), 5, dtype=tg.float8_e5m2)) == [69, 69]
    assert _bits(tg.full((2,), True, dtype=tg.float8_e8m0fnu)) == [127, 127]
    assert _bits(tg.full((2,), 1e6, dtype=tg.float8_e8m0fnu)) == [147, 147]
    assert _bits(tg.zeros(2, dtype=tg.float8_e4m3fn).fill_(2)) == [64, 64]
    # integers go in unchecked, converted as tensor values are; e8m0's zero is its bits 0
    assert _bits(tg.full((2,), 0, dtype=tg.float8_e8m0fnu)) == [0, 0]
    assert _bits(tg.ones(3, dtype=tg.float8_e8m0fnu).fill_(-1)) == [127, 127, 127]
    assert _bits(tg.ones(3, dtype=tg.float8_e8m0fnu).zero_()) == [0, 0, 0]
    assert _bits(tg.ones(3, dtype=tg.float8_e8m0fnu).new_zeros(2)) == [0, 0]
    assert _bits(tg.zeros(2, 2, dtype=tg.float8_e8m0fnu)) == [[0, 0], [0, 0]]
    with pytest.raises(RuntimeError, match="c10::Float8_e4m3fn without overflow"):
        tg.zeros(2, dtype=tg.float8_e4m3fn).fill_(1000)
    with pytest.raises(RuntimeError, match="c10::Float8_e8m0fnu without overflow"):
        tg.ones(3, dtype=tg.float8_e8m0fnu).fill_(0.0)
    assert _bits(tg.zeros(2, dtype=tg.float8_e4m3fn).fill_(tg.tensor(3.3))) == [69, 69]


def test_python_floats_into_the_8_bit_floats():
    # c10 builds them from a float; e4m3fn saturates at its largest value
    assert repr(tg.tensor([1.5, 3e38], dtype=tg.float8_e4m3fn)) == \
        "tensor([  1.5000, 448.0000], dtype=torch.float8_e4m3fn)"
    assert repr(tg.tensor([1e300], dtype=tg.float8_e5m2)) == "tensor([inf], dtype=torch.float8_e5m2)"
    assert repr(tg.tensor([1e-3, 0.5, 300], dtype=tg.float8_e4m3fn)) == \
        "tensor([1.9531e-03, 5.0000e-01, 2.8800e+02], dtype=torch.float8_e4m3fn)"
    assert repr(tg.tensor([1e-3, 0.5, 300], dtype=tg.float8_e8m0fnu)) == \
        "tensor([9.7656e-04, 5.0000e-01, 2.5600e+02], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.tensor([1e-3, 0.5, 300], dtype=tg.float8_e4m3fnuz)) == \
        "tensor([0.0010, 0.5000,    nan], dtype=torch.float8_e4m3fnuz)"
    assert repr(tg.tensor(3, dtype=tg.float8_e5m2)) == "tensor(3., dtype=torch.float8_e5m2)"


def test_factories_and_printing():
    assert repr(tg.zeros(2, 2, dtype=tg.float8_e4m3fn)) == \
        "tensor([[0., 0.],\n        [0., 0.]], dtype=torch.float8_e4m3fn)"
    assert repr(tg.ones(3, dtype=tg.float8_e8m0fnu)) == "tensor([1., 1., 1.], dtype=torch.float8_e8m0fnu)"
    assert repr(tg.full((2,), 3, dtype=tg.uint32)) == "tensor([3, 3], dtype=torch.uint32)"
    assert repr(tg.empty(0, dtype=tg.uint64)) == "tensor([], dtype=torch.uint64)"
    assert repr(tg.tensor([[1, 2], [3, 4]], dtype=tg.uint32)) == \
        "tensor([[1, 2],\n        [3, 4]], dtype=torch.uint32)"
    f = tg.tensor([1.0, 2.5, -3.0]).to(tg.float8_e4m3fn)
    assert repr(tg.cat([f, f])) == ("tensor([ 1.0000,  2.5000, -3.0000,  1.0000,  2.5000, -3.0000],\n"
                                    "       dtype=torch.float8_e4m3fn)")
    assert repr(f[0]) == "tensor(1., dtype=torch.float8_e4m3fn)"
    assert repr(tg.zeros_like(tg.tensor([1], dtype=tg.uint16))) == "tensor([0], dtype=torch.uint16)"
    assert repr(tg.ones_like(f)) == "tensor([1., 1., 1.], dtype=torch.float8_e4m3fn)"


# ---------------------------------------------------------------------------- conversion
_SPECIAL = [0.1, 1 / 3, 448, 449, 464, 500, 57344, 61440, 1e6, -0.0, float("nan"), float("inf"), -float("inf"), 1e-9,
            2 ** -10, 3.0, 0.0, -1.5]


@pytest.mark.parametrize("name,bits", [
    ("float8_e4m3fn", [29, 43, 126, 126, 126, 126, 126, 126, 126, 128, 127, 126, 254, 0, 0, 68, 0, 188]),
    ("float8_e5m2", [46, 53, 95, 95, 95, 96, 123, 124, 124, 128, None, 124, 252, 0, 20, 66, 0, 190]),
    ("float8_e4m3fnuz", [37, 51, 128, 128, 128, 128, 128, 128, 128, 0, 128, 128, 128, 0, 1, 76, 0, 196]),
    ("float8_e5m2fnuz", [50, 57, 99, 99, 99, 100, 127, 128, 128, 0, 128, 128, 128, 0, 24, 70, 0, 194]),
    ("float8_e8m0fnu", [124, 125, 136, 136, 136, 136, 143, 143, 147, 0, 255, 255, 255, 97, 117, 129, 0, 128]),
])
def test_float32_into_the_8_bit_floats_bit_for_bit(name, bits):
    got = _bits(tg.tensor(_SPECIAL).to(getattr(tg, name)))
    # (None: a NaN, whose payload bits differ - PyTorch writes 0x7F, ml_dtypes 0x7E)
    assert [g if b is not None else None for g, b in zip(got, bits)] == bits
    assert np.isnan(tg.tensor([float("nan")]).to(getattr(tg, name)).float().item())


def test_other_sources_go_through_float32():
    assert repr(tg.tensor([1000.0], dtype=tg.float64).to(tg.float8_e4m3fn)) == \
        "tensor([448.], dtype=torch.float8_e4m3fn)"
    assert repr(tg.tensor([1000]).to(tg.float8_e4m3fn)) == "tensor([448.], dtype=torch.float8_e4m3fn)"
    f = tg.tensor([1.0, 2.5, -3.0], dtype=tg.float8_e4m3fn)
    assert repr(f.to(tg.int32)) == "tensor([ 1,  2, -3], dtype=torch.int32)"
    assert repr(f.to(tg.float8_e5m2)) == "tensor([ 1.0000,  2.5000, -3.0000], dtype=torch.float8_e5m2)"
    assert repr(f.to(tg.bfloat16)) == "tensor([ 1.0000,  2.5000, -3.0000], dtype=torch.bfloat16)"
    assert f.double().tolist() == [1.0, 2.5, -3.0] and f.tolist() == [1.0, 2.5, -3.0] and f[1].item() == 2.5
    z = tg.zeros(2, dtype=tg.float8_e4m3fn)
    assert repr(z.copy_(tg.tensor([1000.0, 2.0]))) == "tensor([448.,   2.], dtype=torch.float8_e4m3fn)"
    assert repr(z.new_tensor([1e4])) == "tensor([448.], dtype=torch.float8_e4m3fn)"


def test_floats_and_signed_ints_into_the_wide_unsigned_types():
    assert tg.tensor([1.0, -1.0, 70000.0]).to(tg.uint16).tolist() == [1, 65535, 4464]
    assert tg.tensor([1.0, -1.0, 70000.0]).to(tg.uint32).tolist() == [1, 4294967295, 70000]
    assert tg.tensor([1.0, -1.0, 70000.0, 1e10]).to(tg.uint64).tolist() == [1, 2 ** 64 - 1, 70000, 10 ** 10]
    assert tg.tensor([-1, -2]).to(tg.uint64).tolist() == [2 ** 64 - 1, 2 ** 64 - 2]
    big = tg.tensor([2 ** 64 - 1], dtype=tg.uint64)
    assert big.to(tg.int64).tolist() == [-1]
    assert repr(big.float()) == "tensor([1.8447e+19])"


def test_views_between_dtypes():
    assert tg.tensor([1.0, 2.0], dtype=tg.bfloat16).view(tg.uint16).tolist() == [16256, 16384]
    assert tg.tensor([1.0, 2.0]).view(tg.uint32).tolist() == [1065353216, 1073741824]
    f = tg.tensor([1.0, 2.5, -3.0], dtype=tg.float8_e4m3fn)
    assert f.view(tg.uint8).tolist() == [56, 66, 196] and f.view(tg.int8).tolist() == [56, 66, -60]
    assert tg.tensor([1, 2], dtype=tg.int16).view(tg.uint16).dtype is tg.uint16
    assert tg.tensor([1, 2, 3], dtype=tg.uint32).view(tg.int32).dtype is tg.int32


def test_numpy_interop():
    for name in UINTS:
        a = np.arange(5, dtype=name)
        t = tg.from_numpy(a)
        assert t.dtype is getattr(tg, name) and np.shares_memory(t.numpy(), a) and repr(t) == \
            f"tensor([0, 1, 2, 3, 4], dtype=torch.{name})"
    with pytest.raises(TypeError, match="^Got unsupported ScalarType Float8_e4m3fn$"):
        tg.tensor([1.0], dtype=tg.float8_e4m3fn).numpy()
    with pytest.raises(TypeError, match="^Got unsupported ScalarType Float8_e5m2$"):
        np.asarray(tg.tensor([1.0], dtype=tg.float8_e5m2))


# ---------------------------------------------------------------------------- ops PyTorch runs on them
def test_ops_pytorch_implements_for_the_wide_unsigned_types():
    u = tg.tensor([1, 2, 3], dtype=tg.uint32)
    assert repr(u.sum()) == "tensor(6)" and u.sum().dtype is tg.int64
    assert repr(u.cumsum(0)) == "tensor([1, 3, 6])" and repr(u.prod()) == "tensor(6)"
    assert repr(u == 2) == "tensor([False,  True, False])"
    assert repr(u.sqrt()) == "tensor([1.0000, 1.4142, 1.7321])" and repr(u / 2) == "tensor([0.5000, 1.0000, 1.5000])"
    assert repr(u & 1) == "tensor([1, 0, 1], dtype=torch.uint32)"
    assert repr(u * u) == "tensor([1, 4, 9], dtype=torch.uint32)"
    assert repr(u.float()) == "tensor([1., 2., 3.])"
    assert repr(tg.sort(tg.tensor([3, 1, 2], dtype=tg.uint16))) == \
        "torch.return_types.sort(\nvalues=tensor([1, 2, 3], dtype=torch.uint16),\nindices=tensor([1, 2, 0]))"
    assert repr(tg.stack([u, u])) == "tensor([[1, 2, 3],\n        [1, 2, 3]], dtype=torch.uint32)"
    assert u[1:].tolist() == [2, 3] and u[[0, 2]].tolist() == [1, 3]
    assert u[tg.tensor([True, False, True])].tolist() == [1, 3]
    assert repr(u.repeat(2)) == "tensor([1, 2, 3, 1, 2, 3], dtype=torch.uint32)"
    assert repr(u.expand(2, 3)) == "tensor([[1, 2, 3],\n        [1, 2, 3]], dtype=torch.uint32)"
    assert repr(tg.where(tg.tensor([True, False, True]), u, u)) == "tensor([1, 2, 3], dtype=torch.uint32)"
    assert repr(u.unique()) == "tensor([1, 2, 3], dtype=torch.uint32)"
    assert (u.any().item(), u.all().item(), u.isnan().tolist()) == (True, True, [False] * 3)
    assert u.roll(1).tolist() == [3, 1, 2] and u.clone().dtype is tg.uint32
    assert repr(u.fill_(7)) == "tensor([7, 7, 7], dtype=torch.uint32)"
    assert repr(tg.tensor([1.0, 2.0, 3.0]).copy_(u)) == "tensor([7., 7., 7.])"
    with pytest.raises(RuntimeError, match="^mean\\(\\): could not infer output dtype. Input dtype must be either a "
                                           "floating point or complex dtype. Got: UInt32$"):
        u.mean()


def test_ops_pytorch_implements_for_the_8_bit_floats():
    f = tg.tensor([9.0, 10.0, 11.0], dtype=tg.float8_e4m3fn)
    assert repr(tg.matmul(f.reshape(1, 3), f.reshape(3, 1))) == "tensor([[288.]], dtype=torch.float8_e4m3fn)"
    assert repr(f.abs()) == "tensor([ 9., 10., 11.], dtype=torch.float8_e4m3fn)"
    assert repr(f == f) == "tensor([True, True, True])" and f.isnan().tolist() == [False] * 3
    assert repr(f.reshape(3, 1)) == "tensor([[ 9.],\n        [10.],\n        [11.]], dtype=torch.float8_e4m3fn)"
    assert repr(f.to(tg.float16)) == "tensor([ 9., 10., 11.], dtype=torch.float16)"
    e5 = tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float8_e5m2)  # (NumPy's views cannot rebuild this type)
    assert e5.t().tolist() == [[1.0, 3.0], [2.0, 4.0]] and e5.expand(2, 2, 2).shape == (2, 2, 2)
    assert e5.unfold(1, 1, 1).shape == (2, 2, 1) and e5.as_strided((2,), (3,)).tolist() == [1.0, 4.0]


# ---------------------------------------------------------------------------- files
def test_loading_pytorchs_file_of_them():
    sd = tg.load(FIXTURE)
    for name in UINTS:
        assert sd[name].dtype is getattr(tg, name) and sd[name].tolist() == [[1, 2, 3], [4, 5, 6]]
    assert sd["uint32_tail"].tolist() == [[2, 3], [5, 6]] and sd["uint32_tail"].storage_offset() == 1
    assert sd["uint64_big"].tolist() == [2 ** 64 - 1, 2 ** 63]
    assert _bits(sd["float8_e4m3fn"]) == [[184, 168, 48], [58, 64, 67]]
    assert _bits(sd["float8_e4m3fnuz"]) == [[192, 176, 56], [66, 72, 75]]
    assert _bits(sd["float8_e5m2"]) == [[188, 180, 56], [61, 64, 66]]
    assert _bits(sd["float8_e5m2fnuz"]) == [[192, 184, 60], [65, 68, 70]]
    assert _bits(sd["float8_e8m0fnu"]) == [[127, 128, 129], [129, 129, 130]]
    # tensorgraft makes the same values from the same float64 data
    a = tg.arange(6, dtype=tg.float64).reshape(2, 3)
    for name in FLOAT8:
        made = (a * 0.75 - 1 if "e8m0" not in name else a + 1).to(getattr(tg, name))
        assert _bits(made) == _bits(sd[name]), name


@pytest.mark.parametrize("save", ["tensorgraft", "pytorch"])
def test_save_and_load_round_trip(save, tmp_path):
    sd = {n: tg.tensor([[1.0, 2.0, 3.5], [0.25, 6.0, 7.0]]).to(getattr(tg, n)) for n in FLOAT8 + UINTS}
    sd["tail"] = sd["uint16"][:, 1:]
    sd["big"] = tg.tensor([2 ** 64 - 1], dtype=tg.uint64)
    buf = io.BytesIO()
    if save == "pytorch":
        tg.serialization.save_for_pytorch(sd, buf)
    else:
        tg.save(sd, buf)
    for loaded in (tg.load(io.BytesIO(buf.getvalue())),):
        for k, v in sd.items():
            assert loaded[k].dtype is v.dtype and _bits(loaded[k]) == _bits(v), k
    path = tmp_path / "limited.pt"
    tg.save(sd, path)
    loaded = tg.load(path)
    assert all(_bits(loaded[k]) == _bits(v) for k, v in sd.items())


# ---------------------------------------------------------------------------- random numbers
@pytest.mark.parametrize("call, kernel, type_name", [
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).random_(), "random_kernel_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).random_(0, 10), "random_update_from_to", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).uniform_(), "check_uniform_bounds", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).normal_(), "normal_kernel_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).cauchy_(), "cauchy_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).exponential_(), "exponential_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).geometric_(0.5), "geometric_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).log_normal_(), "log_normal_cpu", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.float8_e4m3fn).bernoulli_(0.5), "bernoulli_scalar_cpu_", "Float8_e4m3fn"),
    (lambda: tg.bernoulli(tg.zeros(3, dtype=tg.float8_e4m3fn)), "bernoulli_tensor_cpu_self_", "Float8_e4m3fn"),
    (lambda: tg.poisson(tg.zeros(3, dtype=tg.float8_e4m3fn)), "poisson_cpu", "Float8_e4m3fn"),
    (lambda: tg.rand(2, dtype=tg.float8_e4m3fn), "check_uniform_bounds", "Float8_e4m3fn"),
    (lambda: tg.randn(2, dtype=tg.float8_e4m3fn), "normal_kernel_cpu", "Float8_e4m3fn"),
    (lambda: tg.randint(0, 5, (2,), dtype=tg.float8_e4m3fn), "random_update_from_to", "Float8_e4m3fn"),
    (lambda: tg.randperm(3, dtype=tg.float8_e4m3fn), "randperm", "Float8_e4m3fn"),
    (lambda: tg.zeros(3, dtype=tg.uint32).uniform_(), "check_uniform_bounds", "UInt32"),
    (lambda: tg.zeros(3, dtype=tg.uint32).normal_(), "normal_kernel_cpu", "UInt32"),
    (lambda: tg.zeros(3, dtype=tg.uint32).bernoulli_(0.5), "bernoulli_scalar_cpu_", "UInt32"),
    (lambda: tg.zeros(3, dtype=tg.uint32).geometric_(0.5), "geometric_cpu", "UInt32"),
    (lambda: tg.zeros(3, dtype=tg.uint32).log_normal_(), "log_normal_cpu", "UInt32"),
    (lambda: tg.zeros(5, dtype=tg.uint32).random_(), "random_kernel_cpu", "UInt32"),
    (lambda: tg.randperm(3, dtype=tg.uint32), "randperm", "UInt32"),
    (lambda: tg.rand(2, dtype=tg.uint16), "check_uniform_bounds", "UInt16"),
])
def test_samplers_refuse_them_as_pytorch(call, kernel, type_name):
    with pytest.raises(NotImplementedError, match=f'^"{kernel}" not implemented for \'{type_name}\'$'):
        call()


def test_bounded_integer_draws_into_the_wide_unsigned_types():
    def g():
        return tg.Generator().manual_seed(0)
    assert tg.randint(0, 5, (6,), dtype=tg.uint16, generator=g()).tolist() == [4, 4, 3, 0, 3, 4]
    assert tg.randint(3, 70000, (6,), dtype=tg.uint32, generator=g()).tolist() == [
        57069, 37370, 36585, 39172, 9921, 66308]
    assert tg.randint(0, 2 ** 40, (4,), dtype=tg.uint64, generator=g()).tolist() == [
        741280623151, 506137267392, 291447657211, 841157541223]
    assert tg.zeros(5, dtype=tg.uint16).random_(0, 10, generator=g()).tolist() == [4, 9, 3, 0, 3]
    with pytest.raises(RuntimeError, match="^to - 1 is out of bounds for short unsigned int$"):
        tg.randint(0, 70000, (3,), dtype=tg.uint16)
    with pytest.raises(RuntimeError, match="^Exponential distribution is a continuous probability distribution"):
        tg.zeros(3, dtype=tg.uint32).exponential_()


def test_einsum_of_8_bit_floats_sums_from_positive_zero():
    a = tg.tensor([[-0.0, 1.0]]).to(tg.float8_e4m3fn)
    b = tg.tensor([[0.0], [0.0]]).to(tg.float8_e4m3fn)
    assert _bits(tg.einsum("ij,jk->ik", a, b)) == [[0]]  # (+0, as PyTorch's inner product)
