"""``ops/elementwise/branch_free``: the fast selections and bounds give the plain NumPy spelling's
values bit for bit (NaN, infinities, -0. included), on every float dtype, and fall back to it
where they do not apply."""
import ml_dtypes
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops.elementwise import branch_free

FLOATS = [np.float16, np.float32, np.float64, ml_dtypes.bfloat16]
# NumPy 2's clip keeps the input where it is not beyond a bound (-0. clamped at 0 stays -0., as in
# PyTorch); NumPy 1's is max-then-min and returns the bound's zero there
NUMPY2 = int(np.__version__.split(".")[0]) >= 2
SPECIALS = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -3.5, 2.25]


def _values(dtype, n=257, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n) * 4
    v[:len(SPECIALS)] = SPECIALS
    return v.astype(dtype)


def _same_bits(a, b):
    """Equal to the bit (-0. is not 0.), NaNs equal by being NaN (their sign and payload are
    nobody's business)."""
    assert a.dtype == b.dtype and a.shape == b.shape
    width = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    nan = np.isnan(b.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(a.astype(np.float64)), nan)
    np.testing.assert_array_equal(np.ascontiguousarray(a[~nan]).view(width), np.ascontiguousarray(b[~nan]).view(width))


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_select_is_where_bit_for_bit(dtype):
    a, b = _values(dtype, seed=1), _values(dtype, seed=2)
    mask = _values(np.float32, seed=3) > 0
    _same_bits(branch_free.select(np, mask, a, b), np.where(mask, a, b))


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_keep_where_zeroes_even_nan_and_inf(dtype):
    a = _values(dtype, seed=4)
    mask = np.arange(a.size) % 3 == 0
    got = branch_free.keep_where(np, mask, a)
    _same_bits(got, np.where(mask, a, np.zeros((), a.dtype)))
    assert not np.isnan(got[~mask].astype(np.float64)).any()  # NaN * 0 would have left NaN


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_drop_where_is_where_with_zero_first(dtype):
    a = _values(dtype, seed=9)
    mask = _values(np.float32, seed=10) <= 0
    got = branch_free.drop_where(np, mask, a)
    _same_bits(got, np.where(mask, np.zeros((), a.dtype), a))
    assert not np.isnan(got[mask].astype(np.float64)).any()
    col = np.array([[True], [False]])  # broadcast: NumPy's where
    np.testing.assert_array_equal(branch_free.drop_where(np, col, np.full((2, 3), 5, np.int64)),
                                  [[0, 0, 0], [5, 5, 5]])


def test_clamp_into_its_input():
    a = np.array([-2.0, -0.0, 0.5, np.nan, 3.0], np.float32)
    expected = branch_free.clamp(np, a, np.float32(0), np.float32(1))
    assert branch_free.clamp(np, a, np.float32(0), np.float32(1), out=a) is a
    _same_bits(a, expected)


def test_select_on_strided_operands_and_mask():
    base = _values(np.float32, n=40).reshape(5, 8)
    a, b = base[:, ::2], base[:, 1::2] * 3
    mask = (base > 0)[:, ::2]
    _same_bits(branch_free.select(np, mask, a, b), np.where(mask, a, b))


def test_select_falls_back_where_it_cannot_blend():
    mask = np.array([True, False, True])
    ints = np.array([1, 2, 3])
    np.testing.assert_array_equal(branch_free.select(np, mask, ints, -ints), [1, -2, 3])
    # a mask of more dims than the operands': NumPy's where broadcasts the operands up
    wide = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(branch_free.select(np, wide, np.float32([1, 2]), np.float32(7)),
                                  [[1, 7], [7, 2]])
    col = np.array([[True], [False]])
    np.testing.assert_array_equal(branch_free.keep_where(np, col, np.full((2, 3), 5, np.int64)),
                                  [[5, 5, 5], [0, 0, 0]])


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("lo,hi", [(0.0, None), (None, 0.5), (-1.0, 1.0), (2.0, -2.0), (np.nan, None), (None, -0.0)])
def test_clamp_is_maximum_then_minimum(dtype, lo, hi):
    a = _values(dtype, seed=5)
    lo_t = None if lo is None else a.dtype.type(lo)
    hi_t = None if hi is None else a.dtype.type(hi)
    expected = a
    if lo_t is not None:
        expected = np.maximum(expected, lo_t)
    if hi_t is not None:
        expected = np.minimum(expected, hi_t)
    got = branch_free.clamp(np, a, lo_t, hi_t)
    # maximum(-0., 0.) may give either zero; NumPy 2's clip keeps the input's, as PyTorch's clamp
    zero = (expected.astype(np.float64) == 0) & (a.astype(np.float64) == 0)
    _same_bits(got[~zero], expected[~zero])
    if NUMPY2:
        _same_bits(got[zero], a[zero])
    else:
        assert (got[zero].astype(np.float64) == 0).all()


def test_clamp_with_array_bounds_and_integers():
    a = np.array([-3.0, 0.5, np.nan, 9.0], np.float32)
    lo = np.array([0.0, 1.0, 0.0, np.nan], np.float32)
    _same_bits(branch_free.clamp(np, a, lo), np.maximum(a, lo))
    np.testing.assert_array_equal(branch_free.clamp(np, np.arange(-3, 4), 0, 2), [0, 0, 0, 0, 1, 2, 2])


@pytest.mark.skipif(not NUMPY2, reason="NumPy 1's clip returns the bound's zero for -0. (documented)")
def test_relu_and_clamp_keep_negative_zero_as_pytorch():
    x = tg.tensor([-0.0, 0.0, -1.0, float("nan")])
    assert repr(tg.relu(x)) == "tensor([-0., 0., 0., nan])"
    assert repr(x.clamp(min=0)) == "tensor([-0., 0., 0., nan])"


@pytest.mark.parametrize("size", [1, 1 << 16, (1 << 16) + 1, 3 * (1 << 16) + 5])
def test_in_blocks_gives_the_whole_array_kernel_result(size):
    from tensorgraft.ops.elementwise.blocked import in_blocks
    rng = np.random.default_rng(size)
    x = rng.standard_normal((size, 2)).astype(np.float32)[:, 0]  # strided: copied into blocks
    g = rng.standard_normal(size).astype(np.float32)

    def kernel(a, b):
        r = np.exp(a) * b
        r += np.float32(1)
        return r
    got = in_blocks(kernel, x, g)
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, kernel(x, g))


def test_in_blocks_keeps_the_shape_of_a_multi_dimensional_input():
    from tensorgraft.ops.elementwise.blocked import in_blocks
    x = np.arange(3 * 300 * 250, dtype=np.float64).reshape(3, 300, 250)
    got = in_blocks(lambda a: a * 2 - 1, x)
    assert got.shape == x.shape
    np.testing.assert_array_equal(got, x * 2 - 1)


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_select_with_scalar_operands_is_where_bit_for_bit(dtype):
    a = _values(dtype, seed=11)
    mask = _values(np.float32, seed=12) > 0
    for scalar in (a.dtype.type(np.nan), a.dtype.type(-0.0), np.asarray(2.5, a.dtype)):
        _same_bits(branch_free.select(np, mask, scalar, a), np.where(mask, scalar, a))
        _same_bits(branch_free.select(np, mask, a, scalar), np.where(mask, a, scalar))
    one, minus_zero = a.dtype.type(1), a.dtype.type(-0.0)
    _same_bits(branch_free.select(np, mask, one, minus_zero), np.where(mask, one, minus_zero))


def test_select_with_scalars_of_other_types_falls_back():
    mask = np.array([True, False])
    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(branch_free.select(np, mask, x, 0.5), [1.0, 0.5])  # a Python float
    np.testing.assert_array_equal(branch_free.select(np, mask, np.float64(3), x), [3.0, 2.0])  # another dtype


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_select_under_a_broadcast_mask_is_where_bit_for_bit(dtype):
    scores = _values(dtype, n=4 * 3 * 5 * 6, seed=13).reshape(4, 3, 5, 6)
    causal = np.tri(5, 6, dtype=bool)  # (L, S) against (N, H, L, S), as attention masks are
    minus_inf = np.asarray(-np.inf, dtype)
    _same_bits(branch_free.select(np, causal, scores, minus_inf), np.where(causal, scores, minus_inf))
    other = _values(dtype, n=scores.size, seed=14).reshape(scores.shape)
    per_row = _values(np.float32, n=4 * 3 * 5, seed=15).reshape(4, 3, 5, 1) > 0
    _same_bits(branch_free.select(np, per_row, scores, other), np.where(per_row, scores, other))
    with pytest.raises(ValueError):  # shapes that do not broadcast: NumPy's own error
        branch_free.select(np, np.ones(4, bool), scores, other)


def test_where_and_masked_fill_blend_as_numpy_where():
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    x[0, 0, 0, :3] = [np.nan, -0.0, np.inf]
    mask = np.triu(np.ones((4, 4), bool), 1)
    got = tg.tensor(x).masked_fill(tg.tensor(mask), float("-inf")).numpy()
    _same_bits(got, np.where(mask, np.float32(-np.inf), x))
    got = tg.where(tg.tensor(x > 0), tg.tensor(x), 0.0).numpy()
    _same_bits(got, np.where(x > 0, x, np.float32(0)))
    y = rng.standard_normal(x.shape)  # float64 against float32: promoted first, then blended
    got = tg.where(tg.tensor(x > 0), tg.tensor(x), tg.tensor(y)).numpy()
    _same_bits(got, np.where(x > 0, x.astype(np.float64), y))


def test_a_mask_in_long_runs_blends_to_the_same_bits():
    causal = np.triu(np.ones((64, 64), bool), 1)
    x = _values(np.float32, n=64 * 64, seed=18).reshape(64, 64)
    zero = np.zeros((), np.float32)
    for mask in (causal, np.zeros((64, 64), bool), np.ones((64, 64), bool)):
        _same_bits(branch_free.select(np, mask, x, zero), np.where(mask, x, zero))
        _same_bits(branch_free.keep_where(np, mask, x), np.where(mask, x, zero))
        _same_bits(branch_free.drop_where(np, mask, x), np.where(mask, zero, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_with_one_array_bound_is_the_two_sided_clip(dtype):
    # (an array bound and no other: clip(a, bound, None), the fast spelling, gives the values of
    # clip with an infinity for the missing side)
    a = _values(dtype, seed=19)
    bound = _values(dtype, seed=20)
    with np.errstate(all="ignore"):
        _same_bits(branch_free.clamp(np, a, lo=bound), np.clip(a, bound, dtype(np.inf)))
        _same_bits(branch_free.clamp(np, a, hi=bound), np.clip(a, dtype(-np.inf), bound))
        _same_bits(branch_free.clamp(np, a, bound, bound + 1), np.clip(a, bound, bound + 1))
    t = tg.tensor(a)
    _same_bits(t.clamp(min=tg.tensor(bound)).numpy(), np.clip(a, bound, dtype(np.inf)))
