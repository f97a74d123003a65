"""ops/float16_casts.py: float32 <-> float16 casts that avoid NumPy's slow path at float16's range
edges must give NumPy's (IEEE round-to-nearest-even) bits for every value and layout."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.float16_casts import from_float16, to_float16

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


def test_non_contiguous_arrays_take_numpys_cast():
    a = (RNG.standard_normal((400, 300)) * 1e-6).astype(np.float32)[:, ::2]
    assert np.array_equal(to_float16(a).view(np.uint16), _numpy_half(a).view(np.uint16))
    h = _numpy_half(a)
    assert np.array_equal(from_float16(h), h.astype(np.float32))


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
