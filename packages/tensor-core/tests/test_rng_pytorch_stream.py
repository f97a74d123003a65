"""The CPU random stream gives PyTorch's numbers: golden values captured from PyTorch 2.13 (CPU)
pin the compatibility without needing torch here; plus the state's layout and round trip, the
scalar normal cache, and determinism. (test_rng_pytorch_stream_oracle.py compares with torch live.)"""
import math
import struct

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.cpu.exact_float import fma
from tensorgraft.cpu.random_stream import CPURandomStream, _fisher_yates

# The calls are made in this order after manual_seed(seed); each entry is what PyTorch returned.
CALLS = {
    "rand(4)": lambda: tg.rand(4),
    "randn(3)": lambda: tg.randn(3),
    "randn(2, dtype=float64)": lambda: tg.randn(2, dtype=tg.float64),
    "randint(0, 100, (5,))": lambda: tg.randint(0, 100, (5,)),
    "randperm(8)": lambda: tg.randperm(8),
    "randn(17, dtype=float64)[:4]": lambda: tg.randn(17, dtype=tg.float64)[:4],
    "rand(3, dtype=float64)": lambda: tg.rand(3, dtype=tg.float64),
    "randint(-2**40, 2**40, (2,))": lambda: tg.randint(-2 ** 40, 2 ** 40, (2,)),
    "bernoulli_(0.5) of 8": lambda: tg.empty(8).bernoulli_(0.5),
    "empty(3).uniform_(-2, 3)": lambda: tg.empty(3).uniform_(-2, 3),
    "int64 random_()": lambda: tg.empty(2, dtype=tg.int64).random_(),
}
GOLDEN = {
    0: {
        "rand(4)": [0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688],
        "randn(3)": [-2.1787893772125244, 0.5684312582015991, -1.0845223665237427],
        "randn(2, dtype=float64)": [-1.3985953953708767, 0.4033468476292993],
        "randint(0, 100, (5,))": [56, 68, 94, 33, 26],
        "randperm(8)": [7, 5, 4, 0, 1, 6, 3, 2],
        "randn(17, dtype=float64)[:4]": [0.8847803031623136, -0.9528856397032842, -0.09174174090816388,
                                         0.5563227724483105],
        "rand(3, dtype=float64)": [0.041059375136441645, 0.9972603835252126, 0.879664099238981],
        "randint(-2**40, 2**40, (2,))": [-579655549014, -736010188597],
        "bernoulli_(0.5) of 8": [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        "empty(3).uniform_(-2, 3)": [1.4810707569122314, 0.6497504115104675, -0.7198218703269958],
        "int64 random_()": [3223611367806547797, 5851339406008382769],
    },
    42: {
        "rand(4)": [0.8822692632675171, 0.9150039553642273, 0.38286375999450684, 0.9593056440353394],
        "randn(3)": [0.23446236550807953, 0.23033303022384644, -1.1228563785552979],
        "randn(2, dtype=float64)": [-0.18632829929177447, 2.2082013355893912],
        "randint(0, 100, (5,))": [15, 95, 67, 6, 49],
        "randperm(8)": [4, 1, 7, 2, 5, 3, 0, 6],
        "randn(17, dtype=float64)[:4]": [-0.3711486566787038, -0.664142915806146, 0.6551143052731048,
                                         0.6284835523998145],
        "rand(3, dtype=float64)": [0.099306682558853, 0.662647994852222, 0.5819344669882258],
        "randint(-2**40, 2**40, (2,))": [-279850255983, -165572045269],
        "bernoulli_(0.5) of 8": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        "empty(3).uniform_(-2, 3)": [0.5069281458854675, -0.43025803565979004, 0.32676059007644653],
        "int64 random_()": [732190557709280308, 1600276602381676441],
    },
}


@pytest.mark.parametrize("seed", sorted(GOLDEN))
def test_pytorch_sequence_for_seed(seed):
    tg.manual_seed(seed)
    for name, call in CALLS.items():
        assert call().tolist() == GOLDEN[seed][name], name


def test_only_the_low_32_bits_of_the_seed_reach_the_twister():
    tg.manual_seed(2 ** 32 + 42)
    assert tg.rand(4).tolist() == GOLDEN[42]["rand(4)"]
    assert tg.initial_seed() == 2 ** 32 + 42


def test_default_generator_starts_at_pytorchs_default_seed():
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721
    assert tg.rand(3, generator=g).tolist() == tg.rand(3, generator=tg.Generator().manual_seed(67280421310721)).tolist()


def test_state_layout_is_pytorchs():
    tg.manual_seed(0)
    raw = bytes(tg.get_rng_state().tolist())
    assert len(raw) == 5056 and tg.get_rng_state().dtype is tg.uint8
    assert struct.unpack_from("<QiiQ", raw, 0) == (0, 1, 1, 0)  # seed, left, seeded, next: fresh
    assert struct.unpack_from("<QQ", raw, 24) == (0, 1)  # init_genrand(0): key[0] = 0, key[1] = 1
    tg.randn(1)  # one scalar Box-Muller pair: 4 words used, the sine half cached
    raw = bytes(tg.get_rng_state().tolist())
    assert struct.unpack_from("<QiiQ", raw, 0) == (0, 621, 1, 4)
    # PyTorch's bytes at this point: the cached normal and its valid flag
    assert list(raw[5024:5032]) == [234, 111, 124, 8, 138, 199, 210, 191]
    assert struct.unpack_from("<d", raw, 5024)[0] == -0.2934289057609464
    assert struct.unpack_from("<i", raw, 5040)[0] == 1


def test_state_round_trip_with_the_normal_cache():
    tg.manual_seed(5)
    tg.randn(3, dtype=tg.float64)  # leaves a cached value
    state = tg.get_rng_state()
    a = [tg.randn(1, dtype=tg.float64).item(), tg.rand(2).tolist(), tg.randn(20).tolist()]
    tg.manual_seed(99)
    tg.set_rng_state(state)
    assert tg.initial_seed() == 5  # the state carries the seed, as PyTorch's does
    assert [tg.randn(1, dtype=tg.float64).item(), tg.rand(2).tolist(), tg.randn(20).tolist()] == a
    assert bytes(tg.get_rng_state().tolist()) != bytes(state.tolist())


def test_used_up_block_is_not_mistaken_for_a_fresh_seed():
    tg.manual_seed(3)
    tg.rand(624)  # exactly one block of words: the next draw twists
    raw = bytes(tg.get_rng_state().tolist())
    assert struct.unpack_from("<iiQ", raw, 8) == (1, 1, 624)
    after = tg.rand(2).tolist()
    tg.set_rng_state(tg.tensor(list(raw), dtype=tg.uint8))
    assert tg.rand(2).tolist() == after


def test_set_state_errors():
    g = tg.Generator()
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found the input RNG "
                                           "state size to be 5048"):
        g.set_state(tg.zeros(5048, dtype=tg.uint8))
    good = bytearray(bytes(g.get_state().tolist()))
    for offset, fmt, value in ((12, "<i", 0), (8, "<i", 0), (8, "<i", 625), (16, "<Q", 625)):
        bad = bytearray(good)
        struct.pack_into(fmt, bad, offset, value)
        with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
            g.set_state(tg.tensor(list(bad), dtype=tg.uint8))


def test_scalar_normal_cache():
    # an odd count of scalar-path normals leaves the second of the last pair for the next one
    tg.manual_seed(1)
    three = tg.randn(3, dtype=tg.float64).tolist()
    fourth = tg.randn(1, dtype=tg.float64).item()
    tg.manual_seed(1)
    assert tg.randn(4, dtype=tg.float64).tolist() == three + [fourth]
    # manual_seed clears it; the bulk path (16 or more) neither uses nor clears it
    tg.manual_seed(1)
    tg.randn(1)
    tg.manual_seed(1)
    first = tg.randn(1, dtype=tg.float64).item()
    assert first == three[0]
    tg.randn(16)
    assert tg.randn(1, dtype=tg.float64).item() == three[1]
    # the cache is unscaled: the next draw applies its own mean and std
    tg.manual_seed(1)
    tg.randn(1, dtype=tg.float64)
    assert tg.empty(1, dtype=tg.float64).normal_(2.0, 3.0).item() == float(fma(three[1], 3.0, 2.0))


def test_bulk_normals_redo_the_ragged_end_from_fresh_uniforms():
    tg.manual_seed(2)
    x17 = tg.randn(17, dtype=tg.float64)
    tg.manual_seed(2)
    x16 = tg.randn(16, dtype=tg.float64)
    assert x17[:1].tolist() == x16[:1].tolist()  # element 0 is outside the redone last 16
    assert x17[1:].tolist() != x16[1:].tolist()
    # 17 uniforms, then 16 fresh ones: 33 float64 draws (66 words) in all
    tg.manual_seed(2)
    tg.rand(33, dtype=tg.float64)
    ref = tg.rand(2).tolist()
    tg.manual_seed(2)
    tg.randn(17, dtype=tg.float64)
    assert tg.rand(2).tolist() == ref


def test_generators_are_independent_and_deterministic():
    g, h = tg.Generator().manual_seed(11), tg.Generator().manual_seed(11)
    tg.manual_seed(0)
    ref = tg.rand(3).tolist()
    tg.manual_seed(0)
    a = [tg.randn(5, generator=g).tolist(), tg.randperm(9, generator=g).tolist(), tg.randint(3, 9, (4,), generator=g).tolist()]
    assert tg.rand(3).tolist() == ref  # the default generator did not move
    assert [tg.randn(5, generator=h).tolist(), tg.randperm(9, generator=h).tolist(),
            tg.randint(3, 9, (4,), generator=h).tolist()] == a
    # reseeding in place restarts the same stream object
    stream = g._rng()
    g.manual_seed(11)
    assert g._rng() is stream and tg.randn(5, generator=g).tolist() == a[0]


def test_fork_rng_restores_stream_and_cache():
    tg.manual_seed(4)
    tg.randn(1, dtype=tg.float64)
    with tg.random.fork_rng():
        tg.randn(7)
        tg.rand(100)
    tg.manual_seed(4)
    tg.randn(1, dtype=tg.float64)
    ref = [tg.randn(1, dtype=tg.float64).item(), tg.rand(3).tolist()]
    tg.manual_seed(4)
    tg.randn(1, dtype=tg.float64)
    with tg.random.fork_rng():
        tg.randn(7)
    assert [tg.randn(1, dtype=tg.float64).item(), tg.rand(3).tolist()] == ref


@pytest.mark.parametrize("n", [2, 3, 10, 64, 65, 200, 5000])
def test_vectorised_fisher_yates_equals_the_swap_loop(n):
    rng = np.random.default_rng(n)
    steps = np.arange(n - 1)
    targets = steps + rng.integers(0, n - steps)
    expected = list(range(n))
    for i, t in enumerate(targets.tolist()):
        expected[i], expected[t] = expected[t], expected[i]
    assert _fisher_yates(targets).tolist() == expected


def test_randperm_is_a_permutation_and_seeded():
    tg.manual_seed(8)
    p = tg.randperm(3000)
    assert sorted(p.tolist()) == list(range(3000))
    tg.manual_seed(8)
    assert tg.randperm(3000).tolist() == p.tolist()


def test_stream_integer_ranges():
    s = CPURandomStream(0)
    v = s.integers(-5, 7, 2000)
    assert v.min() == -5 and v.max() == 6
    big = s.integers(-2 ** 63, 2 ** 63, 1000)  # the whole int64 range: raw 64-bit draws
    assert big.dtype == np.int64 and big.min() < -2 ** 60 and big.max() > 2 ** 60
    assert isinstance(s.integers(10), np.integer)
    for dtype, top in ((np.int8, 127), (np.uint8, 255), (np.float32, 2 ** 24), (np.float16, 2 ** 11)):
        u = s.random_unbounded(4000, dtype)
        assert u.dtype == dtype and 0 <= u.min() and u.max() <= top


def test_uniform_stays_below_the_upper_bound():
    # float16 rounds many draws up to 1.0: PyTorch turns those into the lower bound
    tg.manual_seed(0)
    x = tg.rand(20000, dtype=tg.float16)
    assert float(x.max()) < 1.0
    y = tg.empty(20000).uniform_(1000.0, 1001.0)
    assert float(y.max()) < 1001.0


def test_numpy_samplers_share_the_twister():
    tg.manual_seed(6)
    a = tg.poisson(tg.full((5,), 3.0)).tolist()
    b = tg.rand(2).tolist()
    tg.manual_seed(6)
    assert tg.poisson(tg.full((5,), 3.0)).tolist() == a and tg.rand(2).tolist() == b
    assert not hasattr(tg.default_generator._rng(), "bit_generator")


def test_fma_is_rounded_once():
    a, b = 1.0 + 2.0 ** -30, 1.0 - 2.0 ** -30
    assert float(fma(a, b, -1.0)) == -(2.0 ** -60)  # a * b rounds to 1.0 first: a * b - 1 would be 0
    assert math.isinf(float(fma(1e308, 10.0, 0.0)))


@pytest.mark.parametrize("fn", [math.log, math.log1p, math.exp, math.tan])
def test_libm_gives_the_c_librarys_bits(fn):
    from tensorgraft.cpu.exact_float import libm
    lo, hi = {math.log: (1e-9, 1.0), math.log1p: (-0.999, 0.0), math.exp: (-30.0, 30.0), math.tan: (-1.5, 1.5)}[fn]
    from tensorgraft.cpu.exact_float import EXACT_LIMIT
    x = np.random.default_rng(3).uniform(lo, hi, EXACT_LIMIT)
    assert libm(fn, x).tolist() == [fn(v) for v in x.tolist()]
    # beyond EXACT_LIMIT elements NumPy's vectorised function: within a few ulp of the C library's
    # (one for log/log1p/exp; NumPy 1.26's tan is three away near pi/2)
    big = np.random.default_rng(4).uniform(lo, hi, EXACT_LIMIT + 1)
    want = np.array([fn(v) for v in big.tolist()])
    assert np.all(np.abs(libm(fn, big) - want) <= (4 if fn is math.tan else 1) * np.spacing(np.abs(want)))
    # where math raises, the C library's special values
    assert libm(math.log, np.array([0.0])).tolist() == [-math.inf] and libm(math.exp, np.array([1e4])).tolist() == [math.inf]
