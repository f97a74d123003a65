"""Float32 normals bit for bit as PyTorch's AVX2/AVX512 CPU kernel draws them (Cephes polynomial
log/sin/cos with fused multiply-adds, ``cpu/simd_math.py``), and float16/bfloat16 through them.

Every expected bit pattern here was computed with PyTorch 2.13 (CPU capability AVX512; AVX2 gives
the same bits), or, for the ``simd_math`` inputs, with a separate step-by-step emulation whose
results matched PyTorch on over 14 million samples. No torch import: these tests run without it."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.cpu import random_stream, simd_math


def _bits32(t):
    return [int(v) & 0xFFFF_FFFF for v in np.asarray(t.numpy()).reshape(-1).view(np.int32)]


def _bits16(t):
    return [int(v) & 0xFFFF for v in np.asarray(t.view(tg.int16).numpy()).reshape(-1)]


def _hex(*words):
    return [int(w, 16) for w in words]


# torch.manual_seed(0); torch.randn(16) -- one block: 5 of these 16 differ by an ulp from NumPy's log/sin/cos
SEED0_RANDN16 = _hex("bf901b85", "bf93808a", "be804bd6", "bede255d", "3f594515", "3f312783", "bea1cc6d",
                     "c0075fc1", "3ea50138", "bfa1b4f4", "3eb330ff", "3e9dc3bb", "3df56f77", "3f9e6b93",
                     "3f8ef28e", "be7d367c")
# torch.manual_seed(7); torch.randn(31) -- a ragged end: the last 16 are redone from fresh uniforms
SEED7_RANDN31 = _hex("bf51f456", "3eca902b", "3f661ede", "bfb1b738", "be2b0101", "3e91ff2d", "bf241e93",
                     "bf64c69a", "3f6d31ec", "bf091754", "bf9471b7", "beeb99b8", "3f3562d1", "3f81a1f8",
                     "3e6bed28", "3f00e990", "bdab10d9", "bcc054cb", "3e328f74", "4013180c", "3f7504a6",
                     "bf297027", "bf54156f", "3fb3f2fd", "bfb35c30", "3fa60f1a", "3fd20a1a", "bf87416d",
                     "be85eeb2", "be801162", "3f00497f")
# torch.manual_seed(3); torch.empty(17).normal_(1.5, 0.3)
SEED3_NORMAL17 = _hex("3fbd0e8e", "3fe3c153", "3fac3ea2", "3f809378", "3fe82ad3", "3fd40d4f", "3fb99833",
                      "3fc20957", "3fcf8973", "400b536e", "4003e3ca", "3f921a5e", "3fe651fa", "3fd1a1ed",
                      "400ec761", "3fba5cd1", "3fd2a0dd")
# torch.manual_seed(11); torch.normal(-2.0, 7.0, (40,))
SEED11_NORMAL40 = _hex("c0b26b2d", "40a65538", "c08f1b20", "bf91ccbe", "c051561e", "c147b086", "bf80aca1",
                       "c0b57074", "c06f6f29", "c0b5a73a", "4191f6c6", "c0c5373f", "40e5d9c2", "3eee35fd",
                       "c1334b3e", "c003949c", "be879916", "4110248e", "c1579eba", "c1525d16", "c04545a5",
                       "c11acd18", "40f21e2d", "4034cc5e", "c0e24752", "40588bdb", "c11fa3b4", "c03c548a",
                       "c0d9e9f6", "c0f3357c", "c1395a51", "c088b051", "c0a05968", "4127576d", "bfccab2f",
                       "c0cfcaf3", "bf31f8a3", "40a2313d", "bf7a9d18", "c0cf18f0")
# torch.manual_seed(5); torch.randn(32, dtype=torch.float16) / dtype=torch.bfloat16
SEED5_F16 = _hex("3f5f", "3827", "bed9", "bece", "400a", "b44c", "b02f", "bdc0", "3641", "a4db", "bd69", "b9d9",
                 "3be7", "b6b6", "b8ae", "ba42", "418f", "3ce3", "b562", "bbb8", "b026", "b8d0", "30a4", "b0cb",
                 "b700", "3a3c", "ab78", "c010", "3def", "37e8", "33fa", "3efd")
SEED5_BF16 = _hex("3fec", "3f05", "bfdb", "bfda", "4001", "be8a", "be06", "bfb8", "3ec8", "bc9b", "bfad", "bf3b",
                  "3f7d", "bed7", "bf16", "bf48", "4032", "3f9c", "beac", "bf77", "be05", "bf1a", "3e14", "be19",
                  "bee0", "3f47", "bd6f", "c002", "3fbe", "3efd", "3e7f", "3fe0")


def test_randn_bits_match_pytorch():
    tg.manual_seed(0)
    assert _bits32(tg.randn(16)) == SEED0_RANDN16
    tg.manual_seed(7)
    assert _bits32(tg.randn(31)) == SEED7_RANDN31
    tg.manual_seed(7)
    assert _bits32(tg.randn_like(tg.zeros(31))) == SEED7_RANDN31


def test_normal_with_mean_and_std_bits_match_pytorch():
    tg.manual_seed(3)
    assert _bits32(tg.empty(17).normal_(1.5, 0.3)) == SEED3_NORMAL17
    tg.manual_seed(11)
    assert _bits32(tg.normal(-2.0, 7.0, (40,))) == SEED11_NORMAL40


def test_half_precision_normals_bits_match_pytorch():
    tg.manual_seed(5)
    assert _bits16(tg.randn(32, dtype=tg.float16)) == SEED5_F16
    tg.manual_seed(5)
    assert _bits16(tg.randn(32, dtype=tg.bfloat16)) == SEED5_BF16


def test_extreme_tails_of_a_large_draw_match_pytorch():
    # torch.manual_seed(18); z = torch.randn(2**20): its three largest |z| (u1 near 2**-24, where
    # the log's exponent term dominates), three fixed positions, and the sum of all bit patterns
    tg.manual_seed(18)
    z = tg.randn(1 << 20).numpy()
    bits = z.view(np.int32)
    expected = {707993: "c0a56c95", 622122: "c09aaf67", 690510: "c098d31a", 0: "3f0d9389",
                123457: "bcd2a244", (1 << 20) - 1: "3e0efc0d"}
    assert {k: format(int(bits[k]) & 0xFFFF_FFFF, "08x") for k in expected} == expected
    assert float(np.abs(z).max()) == pytest.approx(5.169504642486572, abs=0)
    assert int(bits.astype(np.int64).sum()) == -15648695153886


def _f32(word):
    return np.array([int(word, 16)], dtype=np.uint32).view(np.float32)


def _word(x):
    return format(int(np.asarray(x, dtype=np.float32).view(np.uint32)[0]), "08x")


@pytest.mark.parametrize("x, expected", [
    ("3f38926b", "bea77ea6"),  # the first Horner step's fusion decides the last bit
    ("3f2b4397", "becdcf27"),
    ("3f3504c5", "beb1729a"),  # y * z + e * q1 fused (just above sqrt(1/2): e = 0 branch edge)
    ("3f34ff5e", "beb181e2"),  # just below sqrt(1/2): the 2m, e - 1 branch
    ("3f800000", "00000000"),  # log(1) = +0
])
def test_log_ps_rounds_as_the_fused_polynomial(x, expected):
    assert _word(simd_math.log_ps(_f32(x))) == expected


@pytest.mark.parametrize("x, sin, cos", [
    ("3cecff39", "3cecf6c3", "3f7fe494"),  # sin's x + x * (...) fused
    ("3e3cc059", "3e3baf2f", "3f7ba9cd"),  # cos's z * (...) - z / 2 fused
    ("4096cbe2", "bf800000", "b57ccc87"),  # near 3 pi / 2: the third pi/4 part's product fused
    ("4096cbe4", "bf800000", "324cde28"),
    ("4096cbe5", "bf800000", "35033379"),
    ("00000000", "00000000", "3f800000"),
])
def test_sincos_ps_rounds_as_the_fused_polynomials(x, sin, cos):
    s, c = simd_math.sincos_ps(_f32(x))
    assert (_word(s), _word(c)) == (sin, cos)


def test_simd_functions_stay_close_to_the_true_values():
    # a coarse check over many inputs and chunk boundaries (the exact bits are the tests above):
    # Cephes' float32 log within one ulp of the true log, sin and cos within 1.5 ulp
    rng = np.random.default_rng(0)
    u = (rng.integers(0, 1 << 24, 70_000) * 2.0 ** -24).astype(np.float32)
    u1 = np.float32(1.0) - u
    log = simd_math.log_ps(u1)
    assert np.all(np.abs(log - np.log(u1.astype(np.float64))) <= np.spacing(np.abs(log)))
    theta = np.float32(2 * np.pi) * u
    s, c = simd_math.sincos_ps(theta)
    assert np.all(np.abs(s - np.sin(theta.astype(np.float64))) <= 1.5 * np.spacing(np.abs(s)))
    assert np.all(np.abs(c - np.cos(theta.astype(np.float64))) <= 1.5 * np.spacing(np.abs(c)))


def test_zero_uniforms_give_positive_zero():
    # u = 0: log(1) = 0, radius sqrt(-0) = -0, and PyTorch's fma(z, std, mean) makes -0 * 1 + 0 = +0
    z = random_stream._box_muller32(np.zeros(16, dtype=np.float32), 0.0, 1.0)
    assert _bits32(tg.from_numpy(z)) == [0] * 16


def test_scale_and_shift_round_once():
    # x * std + mean with x * std = 2**-24 + 2**-56 and mean = 1: the float64 sum rounds to the
    # float32 midpoint 1 + 2**-24, and a second rounding would give 1.0; PyTorch's FMA gives 1 + 2**-23
    x = np.array([641 * 2.0 ** -28], dtype=np.float32)
    std = np.float32(6700417 * 2.0 ** -28)
    assert _word(random_stream._fma32(x, std, np.float32(1.0))) == "3f800001"
