"""Results rounded where PyTorch's CPU kernels round them, to the bit.

- float32 ``addcdiv`` is ``a + (value * t1) / t2`` and ``n / t`` is ``t.reciprocal() * n``
  (PyTorch's ``__rtruediv__``), in PyTorch's order; ``add``/``sub`` with ``alpha=`` and ``lerp``
  with a number weight are one fused multiply-add, as PyTorch's kernel (``ops/fused_multiply_add.py``).
  float32 ``addcmul`` keeps NumPy's two roundings where PyTorch's kernel fuses the multiply-add (a
  deliberate difference, for speed): within one float32 step.
- float16, as bfloat16, computes a multi-step kernel in float32 and rounds once
  (``ops/_bfloat16.py``), multiplies or divides by a number kept in float32, and scales ``alpha``
  as PyTorch does (``ops/_frontend/half_alpha.py``).

The expected bit patterns were printed by PyTorch 2.13 (CPU) for these inputs; the exact cases also
have inputs where the NumPy two-step formula gives another value, checked below, so each test fails
if the rounding goes back to NumPy's order."""
import numpy as np
import pytest

import tensorgraft as tg

A = [0.001230000052601099, 0.29875001311302185, -0.4546700119972229, 0.06013999879360199, 1.3402199745178223,
     0.48984000086784363, 0.3568899929523468, 0.10541000217199326, -0.9304699897766113, -0.029249999672174454,
     -1.3442100286483765, -1.8417400121688843, -1.267449975013733, 0.2031400054693222]
B = [0.1753299981355667, 0.39208999276161194, 0.21039000153541565, -0.9307600259780884, 0.8054699897766113,
     1.3477100133895874, 0.5980299711227417, 1.3433400392532349, -0.38370001316070557, -0.2957099974155426,
     2.5369300842285156, 0.16383999586105347, -0.38286998867988586, 0.6514899730682373]
C = [0.6969199776649475, -0.11142999678850174, 0.6316499710083008, 1.236199975013733, 0.4249800145626068,
     -1.4566400051116943, -0.16463999450206757, -0.2593199908733368, 0.20755000412464142, -1.3586900234222412,
     0.10439000278711319, -0.08968000113964081, 0.09211000055074692, -0.1574299931526184]

PYTORCH_FLOAT32_BITS = {
    "add_alpha": [3121163792, 1050080215, 3202997829, 1032731275, 1068139620, 1056171479, 1051961967, 1035755067,
                  3211605970, 3168232501, 3215937120, 3219911635, 3215048280, 1044994071],
    "sub_alpha": [3176294477, 1043953743, 3204746673, 1051574693, 1066180156, 1034889413, 1043709332, 3197656571,
                  3209739119, 1030983546, 3221667086, 3220310208, 3214116873, 1006376348],
    "addcmul": [1012685211, 1050065178, 3202481320, 3177247841, 1068494337, 1050036529, 1051832257, 1032882526,
                3211803953, 1009978013, 3215502151, 3219910217, 3215109980, 1044742983],
    "addcdiv": [1020799823, 3176764808, 3201809603, 3161997368, 1069797092, 1053519178, 3150965056, 3201516073,
                3213804415, 3153414708, 1066074909, 3221327956, 3218567256, 3193421491],
    "lerp_small": [1016640234, 1050524976, 3200695663, 3172960779, 1067758607, 1058233419, 1052971765, 1047180338,
                   3210753016, 3177509684, 3212100277, 3218215489, 3214338357, 1048440105],
    "lerp_large": [1042396615, 1053030552, 1041454675, 3210012755, 1062986706, 1067550385, 1058204712, 1067194910,
                   3202380532, 3196699329, 1074366003, 3172361642, 3203486184, 1058753981],
    "rdiv": [1159229540, 1092660065, 3235062884, 1111984336, 1074741907, 1086585724, 1090944711, 1105440432,
             3226360044, 3268223186, 3222197687, 3218112413, 3222764603, 1097615949],
}

_F32 = np.float32
_a, _b, _c = (np.array(v, dtype=np.float32) for v in (A, B, C))
# NumPy's two-step spelling of each op: what PyTorch's kernels do not compute
NUMPY_TWO_STEP = {
    "add_alpha": _a + _b * _F32(-0.01), "sub_alpha": _a - _b * _F32(0.3), "addcmul": _a + (_F32(0.1) * _b) * _c,
    "addcdiv": _a + _F32(0.1) * (_b / _c), "lerp_small": _a + _F32(0.1) * (_b - _a),
    "lerp_large": _b - (_b - _a) * (_F32(1) - _F32(0.9)), "rdiv": _F32(3) / _a,
}

FLOAT32_OPS = {
    "add_alpha": lambda a, b, c: tg.add(a, b, alpha=-0.01),
    "sub_alpha": lambda a, b, c: tg.sub(a, b, alpha=0.3),
    "addcmul": lambda a, b, c: tg.addcmul(a, b, c, value=0.1),
    "addcdiv": lambda a, b, c: tg.addcdiv(a, b, c, value=0.1),
    "lerp_small": lambda a, b, c: tg.lerp(a, b, 0.1),
    "lerp_large": lambda a, b, c: tg.lerp(a, b, 0.9),
    "rdiv": lambda a, b, c: 3 / a,
}
# the in-place forms (the direct store into the tensor's array while nothing records)
FLOAT32_INPLACE = {
    "add_alpha": lambda a, b, c: a.add_(b, alpha=-0.01),
    "sub_alpha": lambda a, b, c: a.sub_(b, alpha=0.3),
    "addcmul": lambda a, b, c: a.addcmul_(b, c, value=0.1),
    "addcdiv": lambda a, b, c: a.addcdiv_(b, c, value=0.1),
    "lerp_small": lambda a, b, c: a.lerp_(b, 0.1),
    "lerp_large": lambda a, b, c: a.lerp_(b, 0.9),
}


def _bits(t):
    return t.detach().numpy().view(np.uint32).tolist()


def _operands(requires_grad=False):
    return [tg.tensor(v, dtype=tg.float32, requires_grad=requires_grad) for v in (A, B, C)]


# PyTorch's order of two roundings, or its fused multiply-add (BLAS's axpy: ops/fused_multiply_add.py),
# to the bit
EXACT = ("addcdiv", "rdiv", "add_alpha", "sub_alpha", "lerp_small", "lerp_large")
FUSED_IN_PYTORCH = ("addcmul",)  # rounded twice here (no elementwise fused multiply-add in NumPy or BLAS)


def _within_one_float32_step(got_bits, expected_bits):
    # one float32 step of the operands (the rounded product's error; where the sum cancels, that is
    # several steps of the small result)
    got, expected = (np.array(v, dtype=np.uint32).view(np.float32).astype(np.float64) for v in (got_bits, expected_bits))
    scale = np.maximum.reduce([np.abs(_a), np.abs(_b), np.abs(_c)])
    return bool(np.all(np.abs(got - expected) <= np.spacing(scale).astype(np.float64)))


@pytest.mark.parametrize("name", EXACT)
def test_float32_matches_pytorch_to_the_bit(name):
    expected = PYTORCH_FLOAT32_BITS[name]
    assert NUMPY_TWO_STEP[name].view(np.uint32).tolist() != expected  # (the inputs tell the two apart)
    assert _bits(FLOAT32_OPS[name](*_operands())) == expected


@pytest.mark.parametrize("name", FUSED_IN_PYTORCH)
def test_float32_fused_in_pytorch_is_two_steps_here_within_one_step(name):
    got = _bits(FLOAT32_OPS[name](*_operands()))
    assert got == NUMPY_TWO_STEP[name].view(np.uint32).tolist()
    assert got != PYTORCH_FLOAT32_BITS[name] and _within_one_float32_step(got, PYTORCH_FLOAT32_BITS[name])


@pytest.mark.parametrize("name", sorted(FLOAT32_INPLACE))
def test_float32_inplace_rounds_as_the_out_of_place_op(name):
    a, b, c = _operands()
    before = a.data_ptr()
    FLOAT32_INPLACE[name](a, b, c)
    assert a.data_ptr() == before and _bits(a) == _bits(FLOAT32_OPS[name](*_operands()))
    if name in EXACT:
        assert _bits(a) == PYTORCH_FLOAT32_BITS[name]


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_values_are_the_same_while_recording(name):
    pytest.importorskip("tensorgraft.autograd")
    r = FLOAT32_OPS[name](*_operands(requires_grad=True))
    assert r.requires_grad and _bits(r) == _bits(FLOAT32_OPS[name](*_operands()))


def test_reciprocal_division_keeps_dtypes_and_the_graph():
    assert (3 / tg.tensor([2, 4])).dtype is tg.float32 and (3 / tg.tensor([2, 4])).tolist() == [1.5, 0.75]
    assert (1 / tg.tensor(4.0)).item() == 0.25 and (3 / tg.tensor(2.0, dtype=tg.float64)).dtype is tg.float64
    assert (2j / tg.tensor([2.0])).dtype is tg.complex64
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([2.0, 4.0], requires_grad=True)
    y = 3 / x
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [-0.75, -0.1875]


X16 = [-4.1015625, -3.3359375, -2.572265625, -1.80859375, -1.044921875, -0.281982421875, 0.48193359375, 1.2451171875,
       2.009765625, 2.7734375, 3.53515625, 4.30078125]
# PyTorch's vectorized kernels (what a tensor of 16 float16 values or more goes through; its scalar
# loop for a short tail rounds some steps in float16): 64 values, the first 12 compared
PYTORCH_FLOAT16_BITS = {
    "gelu": [34181, 38351, 41639, 44053, 45299, 44805, 13640, 15475, 16348, 16776, 17170, 17485],
    "silu": [44102, 44886, 45527, 46099, 46170, 44994, 13508, 15292, 16151, 16697, 17119, 17470],
    "softplus": [9268, 10362, 11446, 12507, 13522, 14463, 15284, 15870, 16453, 16811, 17185, 17488],
    "rsqrt": [14197, 14358, 14480, 14660, 14960, 15494, 15369, 14862, 14605, 14444, 14327, 14157],
    "mul": [46736, 46422, 46110, 45514, 44720, 42808, 10795, 12280, 12910, 13424, 13736, 14050],
    "div": [48504, 48243, 47836, 47315, 46483, 44548, 12580, 13988, 14684, 15205, 15543, 15804],
    "lerp": [49876, 49719, 49562, 49406, 14456, 15080, 15533, 15846, 16159, 16428, 16584, 16741],
    "addcmul": [49025, 47640, 6174, 13995, 49353, 47270, 15120, 16380, 16773, 16985, 17017, 16872],
    "sub": [49950, 49441, 48713, 47264, 49324, 48479, 46491, 14627, 16011, 16706, 17213, 17565],
}
PYTORCH_FLOAT16_SOFTMAX_BITS = [2011, 3129, 4232, 5341, 6456, 7577, 8706, 9841, 10987, 12141, 13300, 14406]  # of X16
NN_OPS = ("gelu", "silu", "softplus")  # (tensorgraft-nn's: skipped where only the core is installed)
FLOAT16_OPS = {
    "rsqrt": lambda x: tg.rsqrt(x.abs() + 0.5), "mul": lambda x: x * 0.1, "div": lambda x: x / 3,
    "lerp": lambda x: tg.lerp(x, x.flip(0), 0.3),
    "addcmul": lambda x: tg.addcmul(x, x, x.flip(0), value=0.3), "sub": lambda x: tg.sub(x, x.flip(0), alpha=0.3),
}


@pytest.mark.parametrize("name", sorted(FLOAT16_OPS) + list(NN_OPS))
def test_float16_computes_in_float32_and_rounds_once(name):
    x = tg.tensor(np.tile(np.array(X16, dtype=np.float16), 6)[:64])
    if name in NN_OPS:
        functional = pytest.importorskip("tensorgraft.nn.functional")
        r = getattr(functional, name)(x)
    else:
        r = FLOAT16_OPS[name](x)
    assert r.dtype is tg.float16
    got, expected = r[:12].numpy().view(np.uint16).tolist(), PYTORCH_FLOAT16_BITS[name]
    if name == "gelu":
        # gelu(-4.1) = -8e-5: there PyTorch's float32 erf (Sleef) and the C library's differ in
        # the bits that float16 keeps; the other values agree
        got, expected = got[1:], expected[1:]
    assert got == expected


def test_float16_softmax_sums_in_float32():
    r = tg.softmax(tg.tensor(X16, dtype=tg.float16), 0)
    assert r.dtype is tg.float16 and r.numpy().view(np.uint16).tolist() == PYTORCH_FLOAT16_SOFTMAX_BITS


def test_float16_number_product_is_not_rounded_to_float16_first():
    # 0.1 as float16 is 0.0999755859375: NumPy's weak scalar would multiply by that
    x = tg.tensor([1.5, 3.0], dtype=tg.float16)
    assert (x * 0.1).tolist() == [0.1500244140625, 0.300048828125]
    assert (0.1 * x).tolist() == (x * 0.1).tolist()
    x.mul_(0.1)
    assert x.tolist() == [0.1500244140625, 0.300048828125]
    # comparisons and other ops with a number keep their own dtypes
    h = tg.tensor([1.0, -2.0], dtype=tg.float16)
    assert (h > 0).dtype is tg.bool and (h + 0.1).dtype is tg.float16


def test_float16_views_still_share_memory():
    x = tg.zeros(4, dtype=tg.float16)
    v = x.view(2, 2).t()
    v[0, 1] = 5.0  # x.view(2, 2)[1, 0]
    assert x.tolist() == [0.0, 0.0, 5.0, 0.0]


def test_float16_reduction_with_a_float32_result_dtype_is_not_rounded():
    x = tg.full((3,), 1.0 / 3.0, dtype=tg.float16)
    s = x.sum(dtype=tg.float32)
    assert s.dtype is tg.float32 and s.item() == 3 * float(np.float16(1.0 / 3.0))
