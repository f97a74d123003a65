"""Tensor-core parity leftovers (session 25, b): c10's range check of a number filled into a
float32/half/bfloat16/complex64 tensor, einsum's dtype rules (bmm refuses bools and mixed dtypes,
a sum of bools or integers is an int64), the layout of einsum's products where nothing is summed
by both operands, and linspace's values bit for bit (a correctly rounded fused multiply-add).

Expected values were computed with PyTorch 2.13 (CPU) and are hard-coded: these tests do not
import torch."""
import math

import pytest

import tensorgraft as tg

F32_MSG = "^value cannot be converted to type float without overflow$"
HALF_MSG = "^value cannot be converted to type c10::Half without overflow$"
BF16_MSG = "^value cannot be converted to type c10::BFloat16 without overflow$"
C64_MSG = r"^value cannot be converted to type c10::complex<float> without overflow$"


# --------------------------------------------------------------------------- fill range checks
@pytest.mark.parametrize("n", [0, 1, 2])
def test_full_refuses_a_number_beyond_float32s_range(n):
    with pytest.raises(RuntimeError, match=F32_MSG):
        tg.full((n,), 1e40, dtype=tg.float32)
    with pytest.raises(RuntimeError, match=F32_MSG):
        tg.full((n,), -3.5e38)
    with pytest.raises(RuntimeError, match=F32_MSG):  # (one double ulp past float's max)
        tg.full((n,), 3.4028235e38)
    with pytest.raises(RuntimeError, match=C64_MSG):
        tg.full((n,), 1e40, dtype=tg.complex64)
    with pytest.raises(RuntimeError, match=C64_MSG):  # (the imaginary part is checked too)
        tg.full((n,), complex(1, 1e40), dtype=tg.complex64)


def test_numbers_inside_the_range_and_non_finite_ones_fill():
    assert tg.full((2,), 3.4028234663852886e38).tolist() == [3.4028234663852886e38] * 2
    assert tg.full((2,), math.inf).tolist() == [math.inf] * 2
    assert math.isnan(tg.full((2,), math.nan)[0].item())
    assert tg.full((2,), 1e40, dtype=tg.float64).tolist() == [1e40] * 2


def test_the_half_types_are_unchecked_when_one_element_is_filled():
    # PyTorch's one-element fill converts a half/bfloat16 unchecked; two elements are checked
    assert tg.full((1,), 1e5, dtype=tg.float16).tolist() == [math.inf]
    assert tg.full((), 1e40, dtype=tg.bfloat16).item() == math.inf
    assert tg.zeros(1, dtype=tg.float16).fill_(70000.0).tolist() == [math.inf]
    assert tg.scalar_tensor(1e40, dtype=tg.float16).item() == math.inf
    with pytest.raises(RuntimeError, match=HALF_MSG):
        tg.full((2,), 70000.0, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=HALF_MSG):
        tg.full((0,), 70000.0, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=HALF_MSG):
        tg.full((2,), 65504.5, dtype=tg.float16)
    with pytest.raises(RuntimeError, match=BF16_MSG):
        tg.zeros(2, dtype=tg.bfloat16).fill_(1e40)
    with pytest.raises(RuntimeError, match=HALF_MSG):  # (2**63 as a double, past a half's range)
        tg.zeros(2, dtype=tg.float16).fill_(2 ** 63)
    with pytest.raises(RuntimeError, match=F32_MSG):  # (float32 is checked on every path)
        tg.scalar_tensor(1e40)
    # (masked_fill checks the half types even for one element)
    with pytest.raises(RuntimeError, match=HALF_MSG):
        tg.zeros(1, dtype=tg.float16).masked_fill(tg.tensor([True]), 70000.0)


def test_every_fill_entry_point_refuses_before_writing():
    t = tg.ones(3)
    mask = tg.tensor([True, False, True])
    for write in (lambda: t.fill_(1e40), lambda: t.masked_fill_(mask, 1e40),
                  lambda: t.index_fill_(0, tg.tensor([1]), 1e40), lambda: t.__setitem__(1, 1e40),
                  lambda: t.__setitem__(mask, 1e40), lambda: t.scatter_(0, tg.tensor([0]), 1e40)):
        with pytest.raises(RuntimeError, match=F32_MSG):
            write()
    assert t.tolist() == [1.0, 1.0, 1.0]
    for make in (lambda: t.new_full((2,), 1e40), lambda: tg.full_like(t, 1e40),
                 lambda: t.masked_fill(mask, tg.tensor(1e40, dtype=tg.float64)),
                 lambda: t.index_fill(0, tg.tensor([0]), -1e40)):
        with pytest.raises(RuntimeError, match=F32_MSG):
            make()
    with pytest.raises(RuntimeError, match=C64_MSG):
        tg.zeros(2, dtype=tg.complex64)[0] = 1e40
    # fill_ with a 0-d tensor copies it (an infinity), as PyTorch's
    assert tg.zeros(1).fill_(tg.tensor(1e40, dtype=tg.float64)).tolist() == [math.inf]


def test_setitem_into_a_half_rounds_through_float():
    t = tg.zeros(2, dtype=tg.float16)
    t[0] = 65519.99999999999  # (to float 65520.0 first, then a half's inf; NumPy alone gives 65504)
    t[1] = 1e40
    assert t.tolist() == [math.inf, math.inf]


def test_python_ints_beyond_64_bits_are_refused_by_the_argument_parser():
    for dtype in (tg.float32, tg.float64, tg.int64, tg.uint8, tg.bool, tg.bfloat16):
        with pytest.raises(OverflowError, match="^int too big to convert$"):
            tg.full((1,), 2 ** 64, dtype=dtype)
        with pytest.raises(OverflowError, match="^can't convert negative int to unsigned$"):
            tg.zeros(2, dtype=dtype).fill_(-2 ** 63 - 1)
    with pytest.raises(OverflowError, match="^int too big to convert$"):
        tg.zeros(2).masked_fill(tg.tensor([True, False]), 2 ** 70)
    with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
        tg.zeros(2, dtype=tg.int64)[0] = 2 ** 63
    assert tg.full((1,), 2 ** 63, dtype=tg.bfloat16).tolist() == [9.223372036854776e18]
    assert tg.full((1,), 2 ** 64 - 1, dtype=tg.float32).tolist() == [1.8446744073709552e19]


def test_complex64_linspace_and_logspace_check_their_ends():
    with pytest.raises(RuntimeError, match=C64_MSG):
        tg.linspace(0, 1e40, 3, dtype=tg.complex64)
    with pytest.raises(RuntimeError, match=C64_MSG):
        tg.logspace(1e40, 0, 2, dtype=tg.complex64)
    assert tg.linspace(0, 1e40, 1, dtype=tg.complex64).tolist() == [0j]  # (one point: no check)


# --------------------------------------------------------------------------- einsum dtypes
BMM_BOOL = "^\"bmm\" not implemented for 'Bool'$"


@pytest.mark.parametrize("eq", ["ij,jk->ik", "ij,ij->i", "i,i->", "ij,j->i", "ij,jk,kl->il", "ij,j"])
def test_einsum_of_bools_with_a_label_summed_by_two_operands_reaches_bmm(eq):
    ops = [tg.ones((2,) * len(s), dtype=tg.bool) for s in eq.split("->")[0].split(",")]
    with pytest.raises(NotImplementedError, match=BMM_BOOL):
        tg.einsum(eq, *ops)


def test_einsum_of_bools_without_bmm():
    a = tg.tensor([[True, False], [True, True]])
    b = tg.tensor([[False, True], [True, True]])
    r = tg.einsum("ij,jk->ijk", a, b)  # (products only: bool)
    assert r.dtype is tg.bool and r.tolist() == [[[False, True], [False, False]], [[False, True], [True, True]]]
    r = tg.einsum("ij->i", a)  # (a sum of bools counts them, into an int64)
    assert r.dtype is tg.int64 and r.tolist() == [1, 2]
    assert tg.einsum("ii", a).dtype is tg.int64 and tg.einsum("ii", a).item() == 2
    assert tg.einsum("ii->i", a).dtype is tg.bool
    r = tg.einsum("ij,kl->ik", a, b)  # (each operand sums its own label: int64 products)
    assert r.dtype is tg.int64 and r.tolist() == [[1, 2], [2, 4]]
    r = tg.einsum("ij,kl->ik", a, tg.ones(2, 2))
    assert r.dtype is tg.float32 and r.tolist() == [[2.0, 2.0], [4.0, 4.0]]


def test_einsum_mixed_dtypes_meet_bmm_which_takes_one_dtype():
    f, d, b = tg.ones(2, 2), tg.ones(2, 2, dtype=tg.float64), tg.ones(2, 2, dtype=tg.bool)
    with pytest.raises(NotImplementedError, match=BMM_BOOL):
        tg.einsum("ij,jk->ik", b, f)
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Bool$"):
        tg.einsum("ij,jk->ik", f, b)
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        tg.einsum("ij,jk->ik", f, d)
    with pytest.raises(RuntimeError, match="^expected scalar type Double but found Float$"):
        tg.einsum("ij,jk->ki", f, d)  # (the product's operands swapped: the right one first)
    i32 = tg.ones(2, 2, 2, dtype=tg.int32)
    with pytest.raises(RuntimeError, match="^expected scalar type Long but found Int$"):
        tg.einsum("ijk,jl->il", i32, tg.ones(2, 2, dtype=tg.int32))  # (k summed alone: an int64 first)
    assert tg.einsum("ij,jk->ijk", f, d).dtype is tg.float64  # (products promote)


def test_einsum_integer_steps_widen_as_pytorchs():
    assert tg.einsum("k->", tg.tensor([3], dtype=tg.int32)).dtype is tg.int64  # (size 1 summed too)
    u = tg.tensor([[255, 255]], dtype=tg.uint8)
    # the uint8 product wraps (255 * 255 = 1) before the int64 sum of the last operand widens it
    r = tg.einsum("ji,,jk->ij", u, tg.tensor(255, dtype=tg.uint8), tg.tensor([[1, 1, 255]], dtype=tg.uint8))
    assert r.dtype is tg.int64 and r.tolist() == [[257], [257]]


# --------------------------------------------------------------------------- einsum layout
def test_einsum_products_have_pytorchs_strides():
    a = tg.arange(6.).reshape(2, 3)
    b = tg.arange(12.).reshape(3, 4)
    v, w = tg.arange(3.), tg.arange(4.)
    x = tg.arange(24.).reshape(2, 3, 4)
    y = tg.arange(10.).reshape(2, 5)
    cases = [("ij,jk->kji", (a, b), (1, 8, 4), 394.0), ("i,j->ji", (v, w), (3, 1), 18.0),
             ("bi,bj->bji", (a, y), (15, 3, 1), 450.0), ("bi,bj->jib", (a, y), (3, 1, 15), 450.0),
             ("ij,kl->lkji", (a, b), (6, 24, 1, 3), 990.0), ("i,j,k->kij", (v, w, v), (12, 4, 1), 54.0),
             ("ij,jk->kji", (a.t().contiguous().t(), b), (2, 8, 1), 394.0),
             ("ij,ji->ji", (a, a.t()), (1, 3), 55.0), ("bij,bi->jbi", (x, a), (1, 12, 4), 970.0)]
    for eq, ops, strides, total in cases:
        r = tg.einsum(eq, *ops)
        assert r.stride() == strides, eq
        assert r.sum().item() == total, eq
    assert tg.einsum("ij,jk->kji", a, b)[3].tolist() == [[0.0, 9.0], [7.0, 28.0], [22.0, 55.0]]


# --------------------------------------------------------------------------- linspace
def _hex(t):
    return [v.hex() for v in t.tolist()]


def test_linspace_float64_at_huge_magnitudes_is_a_correctly_rounded_fma():
    r = _hex(tg.linspace(-3, -1e39, 40, dtype=tg.float64))
    assert r[24] == "-0x1.cef6c40c05b38p+128" and r[26] == "-0x1.f58b54625b827p+128"
    assert r[30] == "-0x1.215a3a8783903p+129" and r[36] == "-0x1.5b3913090446ap+129"
    assert r[39] == "-0x1.78287f49c4a1dp+129" and r[1] == "-0x1.34a482b2ae77ap+124"
    r = _hex(tg.linspace(1e39, -3, 41, dtype=tg.float64))
    assert r[27] == "0x1.e90172464c6c0p+127" and r[13] == "0x1.fbd04570630dap+128"
    # (ends near the largest double: the product's split no longer overflows)
    assert _hex(tg.linspace(3, 1e308, 10, dtype=tg.float64)) == [
        "0x1.8000000000000p+1", "0x1.fa53f26f8811cp+1019", "0x1.fa53f26f8811cp+1020", "0x1.7bbef5d3a60d5p+1021",
        "0x1.fa53f26f8811cp+1021", "0x1.3c747785b50b2p+1022", "0x1.7bbef5d3a60d6p+1022", "0x1.bb097421970f9p+1022",
        "0x1.fa53f26f8811cp+1022", "0x1.1ccf385ebc8a0p+1023"]


def test_linspace_float32_rounds_each_value_once():
    r = _hex(tg.linspace(972044.1077640435, -1.3018402205126698e37, 40))
    assert r[9] == "-0x1.214c660000000p+121" and r[13] == "-0x1.a1e0220000000p+121"
    assert r[18] == "-0x1.214c660000000p+122" and r[0] == "0x1.daa1840000000p+19"
    r = _hex(tg.linspace(-0.4241118775096172, 4.2978721274031915e-20, 1000))
    expected = {503: "-0x1.af3f5a0000000p-3", 567: "-0x1.779a460000000p-3", 631: "-0x1.3ff5320000000p-3",
                719: "-0x1.e6e46e0000000p-4", 847: "-0x1.08501e0000000p-4", 859: "-0x1.e6e46e0000000p-5"}
    assert {i: r[i] for i in expected} == expected


def test_linspace_keeps_the_sign_of_a_zero_end():
    first = tg.linspace(-2.2656975298753025e-208, -865.0, 40)[0].item()  # (start is float -0)
    last = tg.linspace(9.449092553302428, -1.7884085875252165e-208, 40)[39].item()  # (end - step*0: +0)
    assert first == 0 and math.copysign(1, first) == -1
    assert last == 0 and math.copysign(1, last) == 1


def test_linspace_common_values_unchanged():
    assert tg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tg.linspace(-1, 1, 3, dtype=tg.float64).tolist() == [-1.0, 0.0, 1.0]
    assert tg.linspace(0, 10, 4, dtype=tg.int64).tolist() == [0, 3, 6, 10]
