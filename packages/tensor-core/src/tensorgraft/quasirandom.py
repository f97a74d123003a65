"""``tensorgraft.quasirandom``: PyTorch's ``SobolEngine``, a generator of Sobol' low-discrepancy
sequences (quasi-Monte Carlo integration, Bayesian optimisation's candidate sets).

The points are PyTorch's bit for bit:

- the direction numbers are Joe and Kuo's (the "new-joe-kuo-6.21201" set, 21201 dimensions), the
  same PyTorch uses. Their primitive polynomials and initial numbers are read from the copy SciPy
  (already a dependency of tensor-core) ships for its own ``scipy.stats.qmc.Sobol``; the direction
  numbers are derived from them here by the Bratley-Fox recurrence;
- point ``n`` is ``shift XOR`` the direction numbers selected by the bits of ``n``'s Gray code, drawn
  in order with one XOR per point (the Antonov-Saleev update);
- scrambling draws PyTorch's random bits, in PyTorch's order, from the generator (seeded with ``seed``,
  or the global one when ``seed`` is None): first one bit per (dimension, digit) for the digital shift,
  then a (dimension, digit, digit) block of bits whose lower triangle, with a unit diagonal, scrambles
  each dimension's digits (a linear matrix scramble).
"""
from __future__ import annotations

import importlib.resources
import operator
from tensorgraft.argument_errors import c_type_name

import numpy as np

__all__ = ["SobolEngine"]

# (the file, not scipy.stats: importing that package takes ~0.4 s)
_DIRECTION_DATA = ("scipy", "stats", "_sobol_direction_numbers.npz")


def _initial_numbers(dimension):
    """(primitive polynomials, initial direction numbers) of the first ``dimension`` dimensions."""
    try:
        with importlib.resources.files(_DIRECTION_DATA[0]).joinpath(_DIRECTION_DATA[1]).joinpath(_DIRECTION_DATA[2]).open("rb") as f:
            data = np.load(f)
            return data["poly"][:dimension].astype(np.int64), data["vinit"][:dimension].astype(np.int64)
    except (ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - SciPy is a dependency
        raise RuntimeError("SobolEngine needs the Joe-Kuo direction numbers that SciPy ships "
                           f"({'/'.join(_DIRECTION_DATA)}); reinstall SciPy (pip install 'scipy>=1.11')") from exc


def _direction_numbers(dimension, maxbit):
    """The (dimension, maxbit) direction numbers as integers of ``maxbit`` bits (digit 0 is the
    most significant bit). Every dimension runs the recurrence at once: for digit k past a
    dimension's degree s, m_k = m_{k-s} ^ (m_{k-s} << s) ^ XOR of (a_i * m_{k-i} << i) for 0 < i < s,
    where a_i are the inner coefficients of its primitive polynomial."""
    poly, vinit = _initial_numbers(dimension)
    degree = np.array([int(p).bit_length() - 1 for p in poly], np.int64)
    degree[0] = 0  # the first dimension is van der Corput's: every m_k is 1
    m = np.zeros((dimension, maxbit), np.int64)
    rows = np.arange(dimension)
    for k in range(maxbit):
        initial = k < degree  # (no degree reaches vinit's width, 18)
        if initial.any():
            m[initial, k] = vinit[initial, k]
        rec = ~initial
        if k == 0:
            m[rec, 0] = 1  # only the first dimension (degree 0) gets here
            continue
        s = degree[rec]
        prev = m[rows[rec], np.maximum(k - s, 0)]
        new = np.where(s > 0, prev ^ (prev << s), 1)
        for i in range(1, int(degree.max(initial=0))):
            coeff = ((poly[rec] >> np.maximum(s - i, 0)) & 1).astype(bool) & (i < s)
            term = m[rows[rec], max(k - i, 0)] << i
            new = np.where(coeff, new ^ term, new)
        m[rec, k] = new
    return m << (maxbit - 1 - np.arange(maxbit, dtype=np.int64))


class SobolEngine:
    r"""The engine of scrambled or unscrambled Sobol' sequences in ``dimension`` dimensions (at
    most 21201), with points in :math:`[0, 1)` of 30 bits. ``seed`` seeds the scrambling's own
    generator; without it the global generator is drawn from."""

    MAXBIT = 30
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is [1, {self.MAXDIM}]")
        try:
            if isinstance(dimension, bool):
                raise TypeError
            dimension = operator.index(dimension)
        except TypeError:
            raise TypeError(f"SobolEngine(): dimension must be an int, not {type(dimension).__name__}") from None
        import tensorgraft as tg
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        self.sobolstate = tg.from_numpy(_direction_numbers(dimension, self.MAXBIT))
        if self.scramble:
            self._scramble()
        else:
            self.shift = tg.zeros(self.dimension, dtype=tg.long)
        self.quasi = self.shift.clone()
        self._first_point = (self.quasi / 2 ** self.MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def _scramble(self):
        import tensorgraft as tg
        g = None
        if self.seed is not None:
            g = tg.Generator()
            g.manual_seed(self.seed)
        bits = self.MAXBIT
        shift_bits = tg.randint(2, (self.dimension, bits), generator=g).numpy()
        self.shift = tg.from_numpy((shift_bits << np.arange(bits, dtype=np.int64)).sum(-1))
        # the digit scramble: new digit r = XOR over k <= r of L[r, k] * digit k (L unit lower triangular)
        lower = np.tril(tg.randint(2, (self.dimension, bits, bits), generator=g).numpy())
        lower[:, np.arange(bits), np.arange(bits)] = 1
        weights = np.int64(1) << (bits - 1 - np.arange(bits, dtype=np.int64))  # digit 0 = most significant
        digits = (self.sobolstate.numpy()[:, :, None] & weights) != 0  # (dimension, column, digit)
        scrambled = (np.einsum("drk,dck->dcr", lower, digits.astype(np.int64)) & 1)
        self.sobolstate = tg.from_numpy((scrambled * weights).sum(-1))

    # ------------------------------------------------------------------ drawing
    def _points(self, start, count):
        """The integers of points ``start`` .. ``start + count - 1``, following the last one drawn
        (``self.quasi``, point ``start - 1``), which then becomes the last of these."""
        if count <= 0:
            return np.empty((0, self.dimension), np.int64)
        index = np.arange(start, start + count, dtype=np.int64)
        # point i follows point i-1 by XOR with the direction number of i-1's lowest zero bit
        steps = self.sobolstate.numpy()[:, _lowest_zero_bit(index - 1)].T
        points = np.bitwise_xor.accumulate(steps, axis=0) ^ self.quasi.numpy()
        self.quasi = _as_tensor(points[-1].copy())
        return points

    def draw(self, n=1, out=None, dtype=None):
        """The next ``n`` points, an (n, dimension) tensor of ``dtype`` (default: the default
        float dtype), written to ``out`` when given."""
        import tensorgraft as tg
        n = _check_n(n)
        dtype = tg.get_default_dtype() if dtype is None else dtype
        _check_draw_dtype(dtype)
        # the first point (num_generated == 0) is the initial state itself; the rest follow it
        fresh = self.num_generated == 0
        count = n - 1 if fresh else n
        if count < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}, "
                               f"{self.dimension}]")
        values = self._points(self.num_generated + fresh, count) * 2.0 ** -self.MAXBIT
        if fresh:
            values = np.concatenate([self._first_point.numpy().astype(np.float64), values], axis=0)
        self.num_generated += n
        result = tg.from_numpy(values.astype(dtype.np, copy=False))
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        """The next ``2**m`` points; the total drawn must stay a power of 2 (the balance
        properties of Sobol' points need it)."""
        n = 2 ** m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError("The balance properties of Sobol' points require n to be a power of 2. "
                             f"{self.num_generated} points have been previously generated, then: "
                             f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, please use "
                             "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        """Back to the first point of the sequence (the scrambling is kept)."""
        self.quasi = self.shift.clone()
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        """Skip the next ``n`` points."""
        n = _check_n(n, "_sobol_engine_ff_")
        fresh = self.num_generated == 0  # (skipping the first point moves nothing)
        self._points(self.num_generated + fresh, n - 1 if fresh else n)
        self.num_generated += n
        return self

    def __repr__(self):
        fmt_string = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt_string += ["scramble=True"]
        if self.seed is not None:
            fmt_string += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fmt_string) + ")"


def _lowest_zero_bit(values):
    """The position of each value's lowest 0 bit (values >= 0)."""
    inverted = ~values
    lowest = inverted & -inverted  # the lowest set bit of ~value
    return np.log2(lowest.astype(np.float64)).astype(np.int64)


def _as_tensor(array):
    import tensorgraft as tg
    return tg.from_numpy(array)


def _check_n(n, kernel="_sobol_engine_draw"):
    """``n`` as an int; PyTorch's error names its kernel (``_sobol_engine_draw``/``_sobol_engine_ff_``)."""
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"{kernel}(): argument 'n' (position 2) must be int, not {c_type_name(n)}") from None


_NOT_DRAWN = {"float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_draw_dtype(dtype):
    name = dtype.np.name
    if name in _NOT_DRAWN:
        raise NotImplementedError(f'"_sobol_engine_draw" not implemented for \'{_NOT_DRAWN[name]}\'')
