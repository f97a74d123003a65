"""The CPU generator's random stream: PyTorch's CPU numbers for the same seed.

PyTorch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits of the
seed (the classic ``init_genrand``), and each sampler turns the twister's 32-bit words into
values in a fixed way. This stream holds the same twister (NumPy's ``MT19937``) and repeats those
transforms, so after ``manual_seed(s)`` the same calls give PyTorch's values and leave the twister
where PyTorch's would be. The transforms were found by running PyTorch 2.13 as a black box:

- uniforms: float32/float16 take one word, ``(w & (2**24 - 1)) * 2**-24``; float64 take a 64-bit
  draw (two words, the first the high half), ``(d & (2**53 - 1)) * 2**-53``. ``uniform_(a, b)`` is
  ``u * (b - a) + a`` (fused, in double; for float types ``a`` and ``b - a`` are floats) cast to
  the dtype, and a result that rounds to ``b`` becomes ``a``.
- normals of a contiguous tensor of 16 or more elements: all uniforms first (float16: only the
  whole blocks), then per block of 16 ``u1 = 1 - d[j]``, ``u2 = d[j + 8]`` (j < 8) become
  ``r cos(2 pi u2)`` and ``r sin(2 pi u2)`` with ``r = sqrt(-2 log u1)``, scaled by a fused
  ``* std + mean``; a ragged end redoes the last 16 from 16 fresh uniforms. Float32 does this in
  float32 with PyTorch's SIMD kernel's own log/sin/cos (Cephes polynomials with fused
  multiply-adds, repeated in ``simd_math``), so float32 normals, and float16/bfloat16 ones
  computed through them, are bit-identical to PyTorch's AVX2 and AVX512 kernels (checked on
  over 50 million samples); PyTorch's non-SIMD kernel (``ATEN_CPU_CAPABILITY=default``, and by
  its source builds without AVX2 kernels) uses the C library's float functions and an angle
  rounded from double, and ~40% of its float32 normals (~15% with a mean and std) differ by an
  ulp from these. Float64 is computed in double with the C library's functions (exact).
- normals otherwise (fewer than 16, not contiguous, ``log_normal_``): Box-Muller on two float64
  uniforms ``u1, u2``: ``r = sqrt(-2 log1p(-u2))``, values ``r cos(2 pi u1)`` then
  ``r sin(2 pi u1)``; the second is kept in the generator (``normal_cache``, unscaled, part of
  ``get_state()``) and is the next such draw.
- integers in ``[low, high)``: ``low + w % (high - low)``, with a 64-bit draw once the range
  reaches 2**28; ``random_()`` without bounds: a 64-bit draw for int64/float64, else one word.
- ``randperm(n)``: Fisher-Yates from the front, swapping ``i`` with ``i + w % (n - i)``.
- Bernoulli: a scalar ``p`` compares float64 uniforms; a tensor ``p`` uniforms of its own dtype.
- exponential ``-log1p(-u) / lambda``, geometric ``ceil(log u / log1p(-p))``, Cauchy
  ``median + sigma tan(pi (u - 0.5))``, all from float64 uniforms.

Everything else (gamma, Poisson, binomial, ...) is drawn by ``numpy.random.Generator`` on the same
twister: reproducible with the seed, but not PyTorch's values.
"""
from __future__ import annotations

import math
import struct
import sys

import numpy as np

from .exact_float import fma, libm
from .simd_math import log_ps, sincos_ps

__all__ = ["CPURandomStream"]

_WORDS = 624  # MT19937's state
_MASK24 = np.uint64((1 << 24) - 1)
_MASK53_HIGH = np.uint64((1 << 21) - 1)  # the high word's part of a 53-bit mantissa
_MASK53_HIGH32 = np.uint32((1 << 21) - 1)
_LITTLE_ENDIAN = sys.byteorder == "little"  # _mantissas reads the words' bytes in place
_TWO_PI = 2.0 * math.pi
# Box-Muller blocks (the bulk normal path) pair element j with j + 8 of each 16
_BLOCK = 16
# float32 blocks transformed together: the polynomial evaluation's temporaries stay in the cache
_BLOCKS_PER_CHUNK = 4096
# PyTorch's randperm uses one word per swap below this n (above it, another algorithm, not reproduced)
_RANDPERM_WORD_LIMIT = (1 << 32) // 20
# random_() without bounds: (values drawn from, 64-bit draw?) per dtype
_UNBOUNDED = {"int64": (1 << 63, True), "float64": ((1 << 53) + 1, True), "float32": ((1 << 24) + 1, False),
              "float16": ((1 << 11) + 1, False), "bfloat16": ((1 << 8) + 1, False), "bool": (2, False)}
# NumPy's samplers offered as they are, on the same twister (PyTorch's are not reproduced)
_NUMPY_SAMPLERS = frozenset({
    "beta", "binomial", "bytes", "chisquare", "choice", "dirichlet", "f", "gamma", "gumbel",
    "hypergeometric", "laplace", "logistic", "logseries", "multinomial", "multivariate_hypergeometric",
    "multivariate_normal", "negative_binomial", "noncentral_chisquare", "noncentral_f", "pareto", "permuted",
    "poisson", "power", "rayleigh", "shuffle", "standard_exponential", "standard_gamma", "standard_t",
    "triangular", "vonmises", "wald", "weibull", "zipf"})


def _numel(size) -> int:
    if size is None:
        return 1
    if isinstance(size, (int, np.integer)):
        return int(size)
    return math.prod(size)


def _shaped(values, size):
    """``values`` (flat) as ``size`` asks: a NumPy scalar for ``None``, as NumPy's samplers."""
    if size is None:
        return values[0]
    return values.reshape(size)


class CPURandomStream:
    """What ``tensorgraft.Generator('cpu')`` draws from (``CPUBackend.new_random_stream``).

    The methods follow ``numpy.random.Generator``'s names and arguments; ``dtype`` is the
    result's floating dtype (float16/32/64), which decides the transform as in PyTorch."""

    on_device = False
    matches_pytorch = True  # samplers pass the result dtype and draw in PyTorch's order (ops/sampling.py)

    def __init__(self, seed: int):
        import numpy.random  # deferred: importing numpy.random costs ~8 ms, and `import tensorgraft` makes a generator
        self._bits = numpy.random.MT19937(0)  # reseeded at once; MT19937() would first gather OS entropy
        self._numpy = None
        self.reseed(seed)

    # ------------------------------------------------------------------ state
    def reseed(self, seed: int) -> None:
        """Restart from ``seed`` (0 <= seed < 2**64; only its low 32 bits reach the twister)."""
        seed32 = seed & 0xFFFF_FFFF
        legacy = getattr(self._bits, "_legacy_seeding", None)
        if legacy is not None:  # NumPy's classic MT19937 seeding, what RandomState(seed) does
            legacy(seed32)
        else:  # the same, through RandomState's public state
            self._bits.state = np.random.RandomState(seed32).get_state(legacy=False)
        self.seed = seed
        self.normal_cache = None  # the second value of the last scalar Box-Muller pair, unscaled
        self._float_normal_cache = (0.0, False)  # part of PyTorch's state layout; no CPU sampler uses it

    def get_state(self) -> bytes:
        """The state in PyTorch's CPU layout (5056 bytes), as ``torch.get_rng_state()`` gives it."""
        state = self._bits.state["state"]
        key, pos = state["key"], int(state["pos"])
        if pos >= _WORDS:
            # twist pending: PyTorch marks a fresh seeding with next=0, a used-up block with next=624
            left, nxt = 1, 0 if _freshly_seeded(key) else _WORDS
        else:
            left, nxt = _WORDS + 1 - pos, pos
        cache = self.normal_cache
        out = bytearray(_STATE_SIZE)
        struct.pack_into("<QiiQ", out, 0, self.seed, left, 1, nxt)
        out[24:24 + 8 * _WORDS] = np.asarray(key, dtype="<u8").tobytes()
        struct.pack_into("<dddi", out, _NORMAL_AT, 0.0, 0.0 if cache is None else cache, 0.0, cache is not None)
        value, valid = self._float_normal_cache
        struct.pack_into("<f?", out, _FLOAT_NORMAL_AT, value, valid)
        return bytes(out)

    def set_state(self, raw: bytes) -> None:
        """Restore a state ``get_state()`` (here or in PyTorch) gave, checked as PyTorch checks it."""
        if len(raw) != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG "
                               f"state size to be {len(raw)}")
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        if not seeded or not 1 <= left <= _WORDS or nxt > _WORDS:
            raise RuntimeError("Invalid mt19937 state")
        key = (np.frombuffer(raw, dtype="<u8", count=_WORDS, offset=24) & 0xFFFF_FFFF).astype(np.uint32)
        # left == 1: the next draw twists first; otherwise it reads key[next]
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _WORDS if left == 1 else nxt}}
        _, normal, _, valid = struct.unpack_from("<dddi", raw, _NORMAL_AT)
        self.normal_cache = normal if valid else None
        value, fvalid = struct.unpack_from("<f?", raw, _FLOAT_NORMAL_AT)
        self._float_normal_cache = (value, fvalid)
        self.seed = seed

    # ------------------------------------------------------------------ raw draws
    def _words(self, n: int):
        """``n`` 32-bit words (as uint64)."""
        return self._bits.random_raw(n)

    def _wide(self, n: int):
        """``n`` 64-bit draws: two words each, the first the high half."""
        w = self._bits.random_raw(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _unit_floats(self, n: int):
        """``n`` float32 uniforms in [0, 1) with 24 random bits (float32 and float16 samplers)."""
        w = self._bits.random_raw(n)
        w &= _MASK24
        u = w.astype(np.float32)
        u *= np.float32(2.0 ** -24)
        return u

    def _unit_doubles(self, n: int):
        """``n`` float64 uniforms in [0, 1) with 53 random bits."""
        u = _mantissas(self._bits.random_raw(2 * n)).astype(np.float64)
        u *= 2.0 ** -53
        return u

    # ------------------------------------------------------------------ uniform
    def random(self, size=None, dtype=np.float64):
        return self.uniform(0.0, 1.0, size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        dtype = np.dtype(dtype)
        n = _numel(size)
        unit = low == 0.0 and high == 1.0
        if dtype == np.float64:
            u = self._unit_doubles(n)
            x = u if unit else fma(u, float(high) - float(low), float(low))
        else:
            u = self._unit_floats(n)
            if unit:
                x = u.astype(dtype, copy=False)
            else:  # float bounds and width, then u * width + low in double, rounded to float
                lo = float(np.float32(low))
                width = float(np.float32(float(np.float32(high)) - lo))
                x = (u.astype(np.float64) * width + lo).astype(np.float32).astype(dtype, copy=False)
        if not unit or dtype.itemsize == 2:  # float16, bfloat16
            # kept in [low, high): a value rounded up to `high` is `low` instead
            top = x == dtype.type(high)
            if top.any():
                x[top] = dtype.type(low)
        return _shaped(x, size)

    # ------------------------------------------------------------------ normal
    def standard_normal(self, size=None, dtype=np.float64):
        return self.normal(0.0, 1.0, size, dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64, serial=False):
        """Normal samples; ``serial=True`` for a tensor PyTorch fills element by element (one that
        is not contiguous): those take the scalar path whatever their size."""
        dtype = np.dtype(dtype)
        n = _numel(size)
        loc, scale = float(loc), float(scale)
        if serial or n < _BLOCK:
            z = self._scalar_normals(n)
            x = z if (loc == 0.0 and scale == 1.0) else fma(z, scale, loc)
            return _shaped(_cast(x, dtype), size)
        whole = n - n % _BLOCK
        # uniforms for every element (float16: for the whole blocks only), then 16 fresh ones for
        # a ragged end, which redoes the last 16 elements; drawn at once, transformed at once
        first = whole if dtype.itemsize == 2 else n  # float16 and bfloat16 alike
        count = first + (_BLOCK if whole != n else 0)
        if dtype == np.float64:
            u, transform = self._unit_doubles(count), _box_muller64
        else:  # float16 computes in float32 too
            u, transform = self._unit_floats(count), _box_muller32
        if whole == n:
            out = transform(u, loc, scale)
        else:
            z = transform(u if first == whole else np.concatenate((u[:whole], u[first:])), loc, scale)
            out = np.empty(n, dtype=z.dtype)
            out[:whole] = z[:whole]
            out[n - _BLOCK:] = z[whole:]
        return _shaped(out.astype(dtype, copy=False), size)

    def _scalar_normals(self, n: int):
        """``n`` standard normals of the scalar path (a float64 array), through the cache."""
        cached = self.normal_cache
        head = [] if cached is None or n == 0 else [cached]
        if head:
            self.normal_cache = None
        pairs = (n - len(head) + 1) // 2
        if pairs <= 8:  # Python floats: cheaper than arrays at this size
            w = self._bits.random_raw(4 * pairs).tolist()
            for i in range(0, 4 * pairs, 4):
                u1 = (((w[i] & 0x1F_FFFF) << 32) | w[i + 1]) * 2.0 ** -53
                u2 = (((w[i + 2] & 0x1F_FFFF) << 32) | w[i + 3]) * 2.0 ** -53
                r = math.sqrt(-2.0 * math.log1p(-u2))
                theta = _TWO_PI * u1
                head += (r * math.cos(theta), r * math.sin(theta))
            if len(head) > n:
                self.normal_cache = head.pop()
            return np.array(head, dtype=np.float64)
        u = self._unit_doubles(2 * pairs)
        r = np.sqrt(-2.0 * libm(math.log1p, -u[1::2]))
        theta = _TWO_PI * u[0::2]
        both = np.empty(len(head) + 2 * pairs)
        both[:len(head)] = head
        both[len(head)::2] = r * np.cos(theta)
        both[len(head) + 1::2] = r * np.sin(theta)
        if both.size > n:
            self.normal_cache = float(both[-1])
        return both[:n]

    # ------------------------------------------------------------------ integers
    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        """Integers in ``[low, high)`` (``[0, low)`` without ``high``) as ``random_(low, high)``."""
        if high is None:
            low, high = 0, low
        low, high = int(low), int(high) + bool(endpoint)
        span = high - low
        n = _numel(size)
        w = self._wide(n) if span >= 1 << 28 else self._words(n)
        if span < 1 << 64:
            w = w % np.uint64(span)
        v = (w + np.uint64(low & 0xFFFF_FFFF_FFFF_FFFF)).view(np.int64)  # wraps as C's unsigned sum does
        return _shaped(v.astype(dtype, copy=False), size)

    def random_unbounded(self, size=None, dtype=np.int64):
        """``random_()`` without bounds: integers in ``[0, 2**mantissa]`` (floats) or ``[0, max]``."""
        dtype = np.dtype(dtype)
        span, wide = _UNBOUNDED.get(dtype.name) or (int(np.iinfo(dtype).max) + 1, False)
        n = _numel(size)
        w = self._wide(n) if wide else self._words(n)
        return _shaped((w % np.uint64(span)).astype(dtype), size)

    def permutation(self, x):
        """``randperm(n)`` for an int ``n``; an array is returned permuted the same way."""
        if not isinstance(x, (int, np.integer)):
            x = np.asarray(x)
            return x[self.permutation(len(x))]
        n = int(x)
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        steps = np.arange(n - 1, dtype=np.int64)
        w = self._words(n - 1) if n < _RANDPERM_WORD_LIMIT else self._wide(n - 1)
        targets = steps + (w % (np.uint64(n) - steps.astype(np.uint64))).astype(np.int64)
        return _fisher_yates(targets)

    # ------------------------------------------------------------------ other distributions
    def bernoulli(self, p, size=None):
        """Booleans, true with probability ``p``: a number (float64 uniforms) or an array of
        probabilities of the result's shape (uniforms of its own precision)."""
        if isinstance(p, np.ndarray):
            u = self._unit_doubles(p.size) if p.dtype == np.float64 else self._unit_floats(p.size)
            return u.reshape(p.shape) < p
        return _shaped(self._below(_numel(size), float(p)), size)

    def _below(self, n: int, p: float):
        """``n`` booleans ``u < p`` for float64 uniforms ``u`` (53-bit ``v * 2**-53``), compared on the
        integers: ``v * 2**-53 < p`` exactly when ``v < ceil(p * 2**53)`` (both sides scale exactly),
        which skips converting a million words to floats for each dropout mask."""
        w = self._bits.random_raw(2 * n)  # drawn whatever p is: the stream moves on all the same
        if not p > 0.0:
            return np.zeros(n, dtype=bool)
        threshold = math.ceil(p * 2.0 ** 53)
        if threshold > 2 ** 53:
            return np.ones(n, dtype=bool)
        return _mantissas(w) < np.uint64(threshold)

    def exponential(self, scale=1.0, size=None, dtype=np.float64):
        u = self._unit_doubles(_numel(size))
        return _shaped(_cast(-float(scale) * libm(math.log1p, -u), dtype), size)

    def geometric(self, p, size=None, dtype=np.float64):
        u = self._unit_doubles(_numel(size))
        return _shaped(np.ceil(libm(math.log, u) / math.log1p(-float(p))).astype(dtype), size)

    def cauchy(self, median=0.0, sigma=1.0, size=None, dtype=np.float64):
        u = self._unit_doubles(_numel(size))
        return _shaped(_cast(fma(float(sigma), libm(math.tan, math.pi * (u - 0.5)), float(median)), dtype), size)

    def standard_cauchy(self, size=None, dtype=np.float64):
        return self.cauchy(0.0, 1.0, size, dtype)

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=np.float64):
        z = fma(self._scalar_normals(_numel(size)), float(sigma), float(mean))
        return _shaped(_cast(libm(math.exp, z), dtype), size)

    def multinomial_indices(self, rows, num_samples: int, replacement: bool):
        """``torch.multinomial`` of the 2-d array of weights ``rows`` (checked by the caller):
        with replacement (and more than one sample) by the rows' running sums (in their dtype) and
        float64 uniforms, otherwise by the ``num_samples`` largest ``weight / Exponential(1)`` (the
        exponential race)."""
        r, k = rows.shape
        # One draw per row takes the exponential race even with replacement: drawing once cannot
        # repeat an index, and PyTorch's CPU kernel routes num_samples == 1 there too.
        if replacement and num_samples > 1:
            cdf = np.cumsum(rows, axis=1, dtype=rows.dtype)
            cdf = (cdf / cdf[:, -1:]).astype(np.float64)
            u = self._unit_doubles(r * num_samples).reshape(r, num_samples)
            idx = np.stack([np.searchsorted(cdf[i], u[i], side="left") for i in range(r)])
            return np.minimum(idx, k - 1).astype(np.int64)
        race = rows / self.exponential(1.0, rows.shape, dtype=rows.dtype)
        if num_samples == 1:
            return np.argmax(race, axis=1)[:, None].astype(np.int64)
        return np.argsort(-race, axis=1, kind="stable")[:, :num_samples].astype(np.int64)

    def __getattr__(self, name):
        if name in _NUMPY_SAMPLERS:
            if self._numpy is None:
                self._numpy = np.random.Generator(self._bits)
            return getattr(self._numpy, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _mantissas(w):
    """The 53-bit integers ``(high & (2**21 - 1)) << 32 | low`` of the word pairs of ``w`` (fresh
    uint64 words from ``random_raw``, overwritten), as a strided view into ``w``."""
    if not _LITTLE_ENDIAN:
        high = w[0::2]
        high &= _MASK53_HIGH
        high <<= np.uint64(32)
        high |= w[1::2]
        return high
    # Each pair fills 16 bytes, as uint32 [high, 0, low, 0] (every word is below 2**32): writing
    # high's 21 bits into the last (zero) slot turns the pair's second uint64 into the integer
    # itself, in one pass over uint32s instead of three over uint64s (0.9 ms instead of 1.3 ms
    # for 262K draws: a dropout mask).
    w32 = w.view(np.uint32)
    np.bitwise_and(w32[0::4], _MASK53_HIGH32, out=w32[3::4])
    return w[1::2]


# PyTorch's CPU state: seed u64, left i32, seeded i32, next u64, 624 words as u64, the scalar normal
# cache (x, y, rho as doubles, valid as i32), padding, a float normal cache (f32, bool), padding
_STATE_SIZE = 5056
_NORMAL_AT = 24 + 8 * _WORDS
_FLOAT_NORMAL_AT = 5048


def _cast(x, dtype):
    """Float64 results in ``dtype``; float16 and bfloat16 through float32, as C++ converts a double to
    Half or BFloat16."""
    dtype = np.dtype(dtype)
    if dtype.itemsize == 2:
        return x.astype(np.float32).astype(dtype)
    return x.astype(dtype, copy=False)


def _freshly_seeded(key) -> bool:
    """Whether ``key`` is still the seeding (not yet twisted): its words follow init_genrand's
    recurrence (two checked: a twisted state passes by chance once in 2**64)."""
    for i in (1, 2):
        prev = int(key[i - 1])
        if int(key[i]) != (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFF_FFFF:
            return False
    return True


def _box_muller32(u, loc, scale):
    """Normals of whole blocks of 16 float32 uniforms, in float32, as PyTorch's AVX2/AVX512 kernel
    computes them: Cephes' polynomial log/sin/cos (``simd_math``, bit for bit), then
    ``fma(z, std, mean)``. Done a few thousand blocks at a time, so that the many passes of the
    polynomial evaluation stay in the CPU cache."""
    b = u.reshape(-1, _BLOCK)
    out = np.empty_like(b)
    two_pi, std, mean = np.float32(_TWO_PI), np.float32(scale), np.float32(loc)
    for i in range(0, b.shape[0], _BLOCKS_PER_CHUNK):
        chunk = b[i:i + _BLOCKS_PER_CHUNK]
        r = log_ps(np.subtract(np.float32(1.0), chunk[:, :8]))
        r *= np.float32(-2.0)
        np.sqrt(r, out=r)
        sin, cos = sincos_ps(np.multiply(chunk[:, 8:], two_pi))
        cos *= r
        sin *= r
        m = chunk.shape[0]
        dest = out[i:i + m]
        dest[:, :8] = cos.reshape(m, 8)
        dest[:, 8:] = sin.reshape(m, 8)
    return _fma32(out.reshape(-1), std, mean)


def _fma32(x, a, b):
    """``x * a + b`` for a float32 array and float32 numbers, rounded once (in place).

    Computed in float64, where ``x * a`` is exact; the sum's own rounding could only matter when
    it lands exactly halfway between two float32 values (its 29 low bits ``1 << 28``), and those
    rare elements get the sum rounded to odd first, which the float32 rounding then gets right."""
    if a == 1.0 and b == 0.0 and not np.signbit(b):
        x += np.float32(0.0)  # the FMA gives +0 for -0 * 1 + 0
        return x
    t = x.astype(np.float64)
    t *= float(a)
    t += float(b)
    tie = np.flatnonzero((t.view(np.int64) & 0x1FFF_FFFF) == 0x1000_0000)
    if tie.size:
        p, s = x[tie].astype(np.float64) * float(a), t[tie]
        back = s - p
        err = (p - (s - back)) + (float(b) - back)  # TwoSum: the sum's rounding error, exact
        s = np.where(err != 0.0, np.nextafter(s, np.where(err > 0.0, np.inf, -np.inf)), s)
        t[tie] = s
    return t.astype(np.float32)


def _box_muller64(u, loc, scale):
    """Normals of whole blocks of 16 float64 uniforms, with the C library's log."""
    out = _box_muller_blocks(u, lambda x: libm(math.log, x))
    return fma(out, scale, loc) if loc != 0.0 or scale != 1.0 else out


def _box_muller_blocks(u, log):
    """Standard normals from whole blocks of 16 uniforms, in their dtype: per block, radius from the
    first 8 (``sqrt(-2 log(1 - u))``) and angle from the last 8, cos to the first half, sin to the
    second. The halves are computed as contiguous 1-D arrays: NumPy's SIMD loops, not one
    8-element loop per block."""
    b = u.reshape(-1, _BLOCK)
    m, one = b.shape[0], b.dtype.type
    r = log(np.subtract(one(1.0), b[:, :8]).reshape(-1))
    r *= one(-2.0)
    np.sqrt(r, out=r)
    theta = b[:, 8:].reshape(-1) * one(_TWO_PI)
    out = np.empty_like(b)
    c = np.cos(theta)
    c *= r
    s = np.sin(theta, out=theta)
    s *= r
    out[:, :8] = c.reshape(m, 8)
    out[:, 8:] = s.reshape(m, 8)
    return out.reshape(-1)


def _fisher_yates(targets):
    """The array ``arange(n)`` after swapping positions ``i`` and ``targets[i] >= i`` for
    ``i = 0 .. n - 2`` in order, without a loop over the swaps.

    Position ``i`` is final once step ``i`` ran, and receives what position ``targets[i]`` held
    then: what the latest earlier step aimed at that same position put there, or the original
    value. What step ``k`` puts there is what position ``k`` held at step ``k``: in turn what the
    latest earlier step aimed at ``k`` put there, and so on. Both "latest earlier step" links come
    from one sort; following chains of links is pointer doubling."""
    n = targets.size + 1
    if n <= 64:  # a short loop is cheaper than the sort
        out = list(range(n))
        for i, t in enumerate(targets.tolist()):
            out[i], out[t] = out[t], out[i]
        return np.array(out, dtype=np.int64)
    steps = np.arange(n - 1, dtype=np.int64)
    keys = np.sort(targets * n + steps)  # steps grouped by target, in order within a group
    target, step = np.divmod(keys, n)
    # previous step with the same target
    same = np.flatnonzero(target[1:] == target[:-1])
    prev_same = np.full(n - 1, -1, dtype=np.int64)
    prev_same[step[same + 1]] = step[same]
    # link[p]: the latest step k < p aiming at position p (p itself when none)
    link = np.arange(n, dtype=np.int64)
    earlier = step < target
    t, s = target[earlier], step[earlier]
    last = np.ones(t.size, dtype=bool)
    last[:-1] = t[:-1] != t[1:]
    link[t[last]] = s[last]
    while True:  # pointer doubling: each position's chain followed to its end
        nxt = link[link]
        if np.array_equal(nxt, link):
            break
        link = nxt
    out = np.empty(n, dtype=np.int64)
    has_prev = prev_same >= 0
    out[:-1] = np.where(has_prev, link[np.maximum(prev_same, 0)], targets)
    # a step aiming at its own position takes what that position holds (the chain from it)
    own = ~has_prev & (targets == steps)
    out[:-1][own] = link[steps[own]]
    out[-1] = link[n - 1]
    return out
