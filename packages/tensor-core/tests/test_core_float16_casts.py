"""ops/float16_casts.py: float32 <-> float16 casts that avoid NumPy's slow path at float16's range
edges must give NumPy's (IEEE round-to-nearest-even) bits for every value and layout."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.float16_casts import from_float16, round_to_float16_, to_float16

RNG = np.random.default_rng(11)
EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 65504.0, 65519.996, 65520.0, -65520.0, 1e30,
                  2.0 ** -14, 2.0 ** -14 * (1 - 2.0 ** -12), 2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 3, -(2.0 ** -26),
                  2.0 ** -24 * 1.5, 2.0 ** -24 * 2.5, 1e-40, -1e-45], dtype=np.float32)


def _numpy_half(a):
    with np.errstate(all="ignore"):
        return a.astype(np.float16)


@pytest.mark.parametrize("scale", [1.0, 1e-5, 1e-7, 1e-40, 3e4, 1e6])
@pytest.mark.parametrize("shape", [(300_000,), (600, 500), (10,)])
def test_to_float16_is_numpys_cast_bit_for_bit(scale, shape):
    a = (RNG.standard_normal(int(np.prod(shape))) * scale).astype(np.float32)
    a[:min(a.size, EDGES.size)] = EDGES[:a.size]
    a = a.reshape(shape)
    mine = to_float16(a)
    assert mine.shape == shape and mine.dtype == np.float16
    assert np.array_equal(mine.view(np.uint16), _numpy_half(a).view(np.uint16))


def test_every_kind_of_float32_bit_pattern():
    bits = RNG.integers(0, 2 ** 32, size=2_000_000, dtype=np.uint64).astype(np.uint32)
    a = bits.view(np.float32)  # (NaN payloads, subnormals, overflows: mostly edge values)
    assert np.array_equal(to_float16(a).view(np.uint16), _numpy_half(a).view(np.uint16))


def test_from_float16_is_numpys_cast_for_every_bit_pattern():
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    h = np.concatenate([h, h[::-1]])  # (large enough for the sampled path, every subnormal in it)
    assert np.array_equal(from_float16(h).view(np.uint32), h.astype(np.float32).view(np.uint32))
    sub = (RNG.integers(1, 1024, size=100_000)).astype(np.uint16).view(np.float16).reshape(200, 500)
    assert np.array_equal(from_float16(sub), sub.astype(np.float32))


def _numpy_round_trip(a):
    with np.errstate(all="ignore"):
        return a.astype(np.float16).astype(np.float32)


@pytest.mark.parametrize("scale", [1.0, 1e-5, 1e-7, 1e-9, 3e4, 1e6])
@pytest.mark.parametrize("size", [300_000, 10])
def test_round_to_float16_in_place_is_the_two_casts_bit_for_bit(scale, size):
    a = (RNG.standard_normal(size) * scale).astype(np.float32)
    a[:min(a.size, EDGES.size)] = EDGES[:a.size]
    want = _numpy_round_trip(a)
    round_to_float16_(a)
    assert a.dtype == np.float32
    assert np.array_equal(a.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("zeros", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("scale", [1.0, 1e-6])
def test_round_to_float16_with_many_zeros(zeros, scale):
    # (a fresh optimizer state, a ReLU layer's gradient: zeros are no edge values for the bit arithmetic)
    a = (RNG.standard_normal(100_000) * scale).astype(np.float32)
    a[RNG.random(a.size) < zeros] = 0.0
    a[::7] = -a[::7]
    want = _numpy_round_trip(a)
    round_to_float16_(a)
    assert np.array_equal(a.view(np.uint32), want.view(np.uint32))


def test_round_to_float16_for_every_kind_of_float32_bit_pattern():
    # (every one of the 2**32 patterns agreed when this was written: a one-off run, too slow here)
    bits = RNG.integers(0, 2 ** 32, size=2_000_000, dtype=np.uint64).astype(np.uint32)
    a = bits.view(np.float32)  # (NaN payloads, subnormals, overflows: mostly edge values)
    want = _numpy_round_trip(a)
    round_to_float16_(a)
    assert np.array_equal(a.view(np.uint32), want.view(np.uint32))
    # ties between two float16 values round to the even one, in the normal and the subnormal range
    ties = np.array([1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 2.0 ** -24 * 2.5, -(2.0 ** -24) * 3.5, 2048 + 1, 2048 + 3],
                    dtype=np.float32)
    many = np.tile(ties, 1000)
    want = _numpy_round_trip(many)
    round_to_float16_(many)
    assert np.array_equal(many.view(np.uint32), want.view(np.uint32))
    assert many[:6].tolist() == [1.0, 1 + 2.0 ** -9, 2.0 ** -23, -(2.0 ** -22), 2048, 2052]


def test_round_to_float16_of_a_view_writes_the_view():
    base = (RNG.standard_normal((300, 400)) * 1e-5).astype(np.float32)
    want = base.copy()
    want[:, ::2] = _numpy_round_trip(want[:, ::2])
    round_to_float16_(base[:, ::2])  # (not contiguous: NumPy's casts, written through the view)
    assert np.array_equal(base, want)


@pytest.mark.parametrize("layout", ["strided", "fortran"])
def test_non_contiguous_arrays_convert_as_numpys_cast(layout):
    a = (RNG.standard_normal((400, 300)) * 1e-6).astype(np.float32)
    a = a[:, ::2] if layout == "strided" else np.asfortranarray(a)
    mine = to_float16(a)
    assert np.array_equal(mine.view(np.uint16), _numpy_half(a).view(np.uint16))
    h = _numpy_half(a)
    assert np.array_equal(from_float16(h), h.astype(np.float32))
    if layout == "fortran":  # (a transposed product keeps its layout, as NumPy's cast keeps it)
        assert mine.flags.f_contiguous and from_float16(h).flags.f_contiguous


def test_tensor_conversions_and_half_kernels_use_them():
    """``.half()``/``.float()`` and a float16 kernel's widened operands and rounded result: NumPy's
    values, also where the values are float16 subnormals (a softmax's gradient is full of them)."""
    a = (RNG.standard_normal((256, 64)) * 1e-6).astype(np.float32)
    t = tg.tensor(a)
    assert np.array_equal(t.half().numpy().view(np.uint16), _numpy_half(a).view(np.uint16))
    assert np.array_equal(t.half().float().numpy(), _numpy_half(a).astype(np.float32))
    h = t.half()
    assert np.array_equal((h * 3).numpy().view(np.uint16), _numpy_half(_numpy_half(a).astype(np.float32) * 3)
                          .view(np.uint16))
    assert np.array_equal(h.exp().numpy(), _numpy_half(np.exp(_numpy_half(a).astype(np.float32))))
