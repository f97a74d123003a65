"""PyTorch API gaps filled in core: in-place shape/comparison methods, arc* aliases, top-level
in-place functions, unfold, fill_diagonal_, the *_scatter family, put, index_reduce and small
tensor queries — checked against independent NumPy references, and on every device."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import to_numpy

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))


def _t(a, device="cpu", dtype=None):
    return tg.tensor(a, dtype=dtype, device=device)


# --------------------------------------------------------------------------- in-place shape methods
@pytest.mark.parametrize("call, ref", [
    (lambda t: t.squeeze_(), lambda a: np.squeeze(a)),
    (lambda t: t.squeeze_(1), lambda a: np.squeeze(a, 1)),
    (lambda t: t.squeeze_(0), lambda a: a),
    (lambda t: t.squeeze_((0, 1)), lambda a: np.squeeze(a, 1)),
    (lambda t: t.unsqueeze_(0), lambda a: a[None]),
    (lambda t: t.unsqueeze_(-1), lambda a: a[..., None]),
    (lambda t: t.transpose_(0, 2), lambda a: np.swapaxes(a, 0, 2)),
    (lambda t: t.swapaxes_(0, -1), lambda a: np.swapaxes(a, 0, -1)),
    (lambda t: t.swapdims_(1, 2), lambda a: np.swapaxes(a, 1, 2)),
])
def test_inplace_shape_methods(call, ref):
    a = RNG.standard_normal((2, 1, 3))
    t = _t(a)
    before = t.data_ptr()
    v0 = t._version
    r = call(t)
    assert r is t
    np.testing.assert_array_equal(to_numpy(t), ref(a))
    assert t.data_ptr() == before  # the same memory, new metadata
    assert t._version == v0 + 1


def test_t_inplace_and_errors():
    t = _t(A)
    t.t_()
    np.testing.assert_array_equal(to_numpy(t), A.T)
    v = _t([1.0, 2.0])
    assert v.t_().shape == (2,)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        tg.zeros(2, 2, 2).t_()
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.zeros(2, 2).transpose_(0, 2)


def test_inplace_shape_keeps_views_of_the_old_shape():
    t = tg.arange(6.0).reshape(2, 3)
    row = t[0]
    t.t_()
    t[1, 0] = 100.0  # memory is shared: the old view sees the write
    assert row.tolist() == [0.0, 100.0, 2.0]


# --------------------------------------------------------------------------- in-place comparisons
@pytest.mark.parametrize("name, ufunc", [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
    ("ge", np.greater_equal), ("greater", np.greater), ("greater_equal", np.greater_equal), ("less", np.less),
    ("less_equal", np.less_equal), ("not_equal", np.not_equal), ("logical_and", np.logical_and),
    ("logical_or", np.logical_or), ("logical_xor", np.logical_xor),
])
def test_inplace_comparisons_cast_into_self(name, ufunc):
    a = np.round(A)
    b = np.round(B)
    t = _t(a)
    r = getattr(t, name + "_")(_t(b))
    assert r is t and t.dtype == tg.float64
    np.testing.assert_array_equal(to_numpy(t), ufunc(a, b).astype(np.float64))
    i = _t([1, 2, 3])
    if name.startswith("logical_"):  # tensors only, as PyTorch declares them
        with pytest.raises(TypeError, match=rf"^{name}_\(\): argument 'other' \(position 1\) must be Tensor, not int$"):
            getattr(i, name + "_")(2)
        getattr(i, name + "_")(_t(2))
    else:
        getattr(i, name + "_")(2)
    assert i.dtype == tg.int64
    np.testing.assert_array_equal(to_numpy(i), ufunc(np.array([1, 2, 3]), 2).astype(np.int64))


def test_inplace_comparison_broadcast_errors():
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape \[2, 2\]"):
        _t([1, 2]).eq_(_t([[1, 2], [3, 4]]))
    b = _t([True, False])
    b.lt_(0.5)
    assert b.tolist() == [False, True]


# --------------------------------------------------------------------------- aliases and top-level in-place
@pytest.mark.parametrize("alias, ref, lo, hi", [
    ("arccos", np.arccos, -0.9, 0.9), ("arcsin", np.arcsin, -0.9, 0.9), ("arctan", np.arctan, -3, 3),
    ("arccosh", np.arccosh, 1.1, 3), ("arcsinh", np.arcsinh, -3, 3), ("arctanh", np.arctanh, -0.9, 0.9),
])
def test_arc_aliases(alias, ref, lo, hi):
    a = RNG.uniform(lo, hi, (2, 3))
    np.testing.assert_allclose(to_numpy(getattr(tg, alias)(_t(a))), ref(a))
    np.testing.assert_allclose(to_numpy(getattr(_t(a), alias)()), ref(a))
    t = _t(a)
    assert getattr(t, alias + "_")() is t
    np.testing.assert_allclose(to_numpy(t), ref(a))
    t = _t(a)
    assert getattr(tg, alias + "_")(t) is t
    assert getattr(tg, alias)(_t([1, 0])).dtype == tg.float32  # integers go to the default float


@pytest.mark.parametrize("name, args, ref", [
    ("abs_", (), np.abs), ("exp_", (), np.exp), ("sqrt_", (), lambda a: np.sqrt(np.abs(a))),
    ("sigmoid_", (), lambda a: 1 / (1 + np.exp(-a))), ("tanh_", (), np.tanh), ("relu_", (), lambda a: np.maximum(a, 0)),
    ("clamp_", (-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)), ("clip_", (None, 0.1), lambda a: np.minimum(a, 0.1)),
    ("neg_", (), np.negative), ("floor_", (), np.floor), ("round_", (), np.round),
])
def test_toplevel_inplace(name, args, ref):
    a = np.abs(A) if name == "sqrt_" else A
    t = _t(a)
    r = getattr(tg, name)(t, *args)
    assert r is t
    np.testing.assert_allclose(to_numpy(t), ref(a), rtol=1e-12)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        getattr(tg, name)([1.0], *args)


def test_toplevel_inplace_names_exist():
    for n in ("acos_", "asin_", "atan_", "ceil_", "clamp_max_", "clamp_min_", "cos_", "deg2rad_", "erf_", "exp2_",
              "fix_", "frac_", "index_put_", "log_", "logit_", "nan_to_num_", "rsqrt_", "sinc_", "square_", "trunc_",
              "xlogy_", "gcd_", "lcm_", "ldexp_", "addmv_", "detach_", "fill_", "zero_"):
        assert callable(getattr(tg, n)), n


# --------------------------------------------------------------------------- unfold
def _np_unfold(a, d, size, step):
    d %= a.ndim
    w = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    return np.take(w, range(0, w.shape[d], step), axis=d)


@pytest.mark.parametrize("d, size, step", [(0, 2, 1), (1, 2, 1), (1, 3, 2), (1, 4, 1), (-1, 1, 3), (1, 0, 1)])
def test_unfold_values(d, size, step):
    t = _t(A)
    u = t.unfold(d, size, step)
    np.testing.assert_array_equal(to_numpy(u), _np_unfold(A, d, size, step))


def test_unfold_is_a_view_and_errors():
    t = tg.arange(6.0)
    u = t.unfold(0, 2, 2)
    t[0] = 10.0
    assert u[0, 0].item() == 10.0 and u._base is t
    assert tg.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size is 5"):
        _t(A).unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        _t(A).unfold(1, 2, 0)


# --------------------------------------------------------------------------- fill_diagonal_
@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((3, 5), False), ((7, 3), False), ((7, 3), True),
                                         ((3, 3, 3), False), ((2, 2, 2, 2), False)])
def test_fill_diagonal(shape, wrap):
    a = RNG.standard_normal(shape)
    want = a.copy()
    np.fill_diagonal(want, 2.5, wrap=wrap)
    t = _t(a)
    assert t.fill_diagonal_(2.5, wrap=wrap) is t
    np.testing.assert_array_equal(to_numpy(t), want)


def test_fill_diagonal_errors():
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        tg.zeros(3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        tg.zeros(3, 3, 4).fill_diagonal_(1)


# --------------------------------------------------------------------------- *_scatter, put, index_reduce
def test_select_slice_diagonal_scatter():
    src = RNG.standard_normal(4)
    want = A.copy()
    want[1] = src
    np.testing.assert_array_equal(to_numpy(tg.select_scatter(_t(A), _t(src), 0, 1)), want)
    np.testing.assert_array_equal(to_numpy(_t(A).select_scatter(_t(src), 0, -2)), want)
    s2 = RNG.standard_normal((3, 2))
    want = A.copy()
    want[:, 1::2] = s2
    np.testing.assert_array_equal(to_numpy(tg.slice_scatter(_t(A), _t(s2), 1, 1, None, 2)), want)
    np.testing.assert_array_equal(to_numpy(_t(A).slice_scatter(_t(s2), dim=1, start=1, step=2)), want)
    d = RNG.standard_normal(3)
    want = A.copy()
    want[np.arange(3), np.arange(3) + 1] = d
    np.testing.assert_array_equal(to_numpy(tg.diagonal_scatter(_t(A), _t(d), 1)), want)
    with pytest.raises(RuntimeError, match=r"expected src to have a size equal to the slice of self. src size = "
                                           r"\[3\], slice size = \[4\]"):
        tg.select_scatter(_t(A), _t(d), 0, 1)


def test_put():
    idx = np.array([0, 5, -1])
    src = np.array([1.0, 2.0, 3.0])
    want = A.copy().reshape(-1)
    want[idx] = src
    np.testing.assert_array_equal(to_numpy(_t(A).put(_t(idx), _t(src))), want.reshape(3, 4))
    want = A.copy().reshape(-1)
    np.add.at(want, [1, 1, 2], [1.0, 2.0, 3.0])
    t = _t(A)
    assert tg.put(t, _t([1, 1, 2]), _t(np.array([1.0, 2.0, 3.0])), accumulate=True) is not t
    t.put_(_t([1, 1, 2]), _t(np.array([1.0, 2.0, 3.0])), accumulate=True)
    np.testing.assert_array_equal(to_numpy(t), want.reshape(3, 4))
    with pytest.raises(IndexError, match="out of range: tried to access index 12 on a tensor of 12 elements."):
        _t(A).put(_t([0, 12]), _t(np.array([1.0, 2.0])))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    src = RNG.standard_normal((3, 4))
    idx = np.array([0, 2, 0])
    want = A.copy()
    fn = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for row in (0, 2):
        parts = [src[k] for k in range(3) if idx[k] == row]
        want[row] = fn(np.stack(([A[row]] if include_self else []) + parts), axis=0)
    got = _t(A).index_reduce(0, _t(idx), _t(src), reduce, include_self=include_self)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)
    t = _t(A)
    t.index_reduce_(0, _t(idx), _t(src), reduce, include_self=include_self)
    np.testing.assert_allclose(to_numpy(t), want, rtol=1e-12)
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin but got sum."):
        _t(A).index_reduce(0, _t(idx), _t(src), "sum")


def test_index_put_accumulate():
    t = _t(A)
    t.index_put_((_t([0, 0]), _t([1, 1])), _t(np.array([1.0, 2.0])), accumulate=True)
    want = A.copy()
    want[0, 1] += 3.0
    np.testing.assert_array_equal(to_numpy(t), want)
    np.testing.assert_array_equal(to_numpy(tg.index_put(_t(A), (_t([2]),), _t(np.float64(0.5)))), np.where(np.arange(3)[:, None] == 2, 0.5, A))


# --------------------------------------------------------------------------- small queries and composites
def test_tensor_queries():
    t = tg.zeros(3, 4)
    assert t.nbytes == 48 and t.itemsize == 4 and tg.zeros(2, dtype=tg.int64).nbytes == 16
    assert t.get_device() == -1 and tg.get_device(t) == -1
    for flag in ("is_sparse", "is_quantized", "is_meta", "is_nested", "is_sparse_csr", "is_mkldnn", "is_xpu",
                 "is_mps", "is_xla", "is_vulkan", "is_ipu", "is_maia", "is_mtia"):
        assert getattr(t, flag) is False, flag
    assert t.is_conj() is False and t.is_neg() is False and t.is_shared() is False
    assert t.is_same_size(tg.ones(3, 4)) and not tg.is_same_size(t, tg.ones(4, 3))
    assert t.is_signed() and tg.is_signed(tg.zeros(1, dtype=tg.int8))
    assert not tg.zeros(1, dtype=tg.uint8).is_signed() and not tg.is_signed(tg.tensor([True]))
    assert tg.tensor([2.0]).is_nonzero() and not tg.is_nonzero(tg.tensor(0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        tg.tensor([1, 2]).is_nonzero()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        tg.is_nonzero(tg.tensor([]))


def test_new_legacy():
    t = tg.zeros(2, dtype=tg.float64)
    assert t.new(2, 3).shape == (2, 3) and t.new(2, 3).dtype == tg.float64
    assert t.new([1, 2]).tolist() == [1.0, 2.0] and t.new([1, 2]).dtype == tg.float64
    assert t.new().shape == (0,)
    assert tg.tensor([1, 2]).new((2, 3)).tolist() == [2, 3]


def test_sum_to_size_msort_unravel_index():
    t = _t(A)
    np.testing.assert_allclose(to_numpy(t.sum_to_size(1, 4)), A.sum(0, keepdims=True))
    np.testing.assert_allclose(to_numpy(t.sum_to_size(4)), A.sum(0))
    np.testing.assert_allclose(to_numpy(t.sum_to_size((3, 1))), A.sum(1, keepdims=True))
    assert t.sum_to_size(3, 4) is t
    with pytest.raises(RuntimeError, match=r"size \{\[2, 4\]\} is not expandable to size \{\[3, 4\]\}."):
        t.sum_to_size(2, 4)
    np.testing.assert_array_equal(to_numpy(tg.msort(t)), np.sort(A, axis=0))
    np.testing.assert_array_equal(to_numpy(t.msort()), np.sort(A, axis=0))
    rows, cols = tg.unravel_index(tg.tensor([4, 7, 0]), (3, 3))
    want = np.unravel_index([4, 7, 0], (3, 3))
    assert rows.tolist() == list(want[0]) and cols.tolist() == list(want[1]) and rows.dtype == tg.int64
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got torch.float32"):
        tg.unravel_index(tg.tensor(1.0), (3, 3))


def test_bernoulli_multinomial_methods():
    tg.manual_seed(0)
    assert tg.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    assert tg.tensor([0.0, 1.0]).multinomial(1).tolist() == [1]
    assert tg.tensor([[0.0, 1.0], [1.0, 0.0]]).multinomial(1).tolist() == [[1], [0]]


# --------------------------------------------------------------------------- devices agree with CPU
DEVICE_CASES = [
    ("squeeze_", lambda m: m(np.ones((2, 1, 3))).squeeze_(1)),
    ("transpose_", lambda m: m(A).transpose_(0, 1)),
    ("t_", lambda m: m(A).t_()),
    ("unsqueeze_", lambda m: m(A).unsqueeze_(1)),
    ("eq_", lambda m: m(np.round(A)).eq_(m(np.round(B)))),
    ("lt_scalar", lambda m: m(A).lt_(0.1)),
    ("logical_xor_", lambda m: m(A).logical_xor_(m(B > 0))),
    ("arccos", lambda m: tg.arccos(m(A / 4))),
    ("arctanh_", lambda m: m(A / 4).arctanh_()),
    ("tg.exp_", lambda m: tg.exp_(m(A))),
    ("tg.clamp_", lambda m: tg.clamp_(m(A), -0.2, 0.3)),
    ("unfold", lambda m: m(A).unfold(1, 2, 1).contiguous()),
    ("fill_diagonal_", lambda m: m(A).fill_diagonal_(3.0)),
    ("fill_diagonal_wrap", lambda m: m(np.zeros((7, 3))).fill_diagonal_(3.0, wrap=True)),
    ("select_scatter", lambda m: tg.select_scatter(m(A), m(B[0]), 0, 2)),
    ("slice_scatter", lambda m: tg.slice_scatter(m(A), m(B[:, :2]), 1, 0, 4, 2)),
    ("diagonal_scatter", lambda m: tg.diagonal_scatter(m(A), m(B[0, :3]), 0)),
    ("put", lambda m: m(A).put(m(np.array([0, 3, 3])), m(B[0, :3]), accumulate=True)),
    ("put_", lambda m: m(A).put_(m(np.array([0, 3])), m(B[0, :2]))),
    ("index_reduce", lambda m: m(A).index_reduce(0, m(np.array([0, 2, 0])), m(B), "amax")),
    ("index_reduce_mean", lambda m: m(A).index_reduce(1, m(np.array([0, 1, 0, 3])), m(B), "mean",
                                                       include_self=False)),
    ("sum_to_size", lambda m: m(A).sum_to_size(1, 4)),
    ("msort", lambda m: tg.msort(m(A))),
    ("unravel_index", lambda m: tg.unravel_index(m(np.array([4, 7])), (3, 3))[1]),
    ("new", lambda m: m(A).new([1.0, 2.0])),
]


@pytest.mark.parametrize("case", DEVICE_CASES, ids=[c[0] for c in DEVICE_CASES])
def test_devices_agree_with_cpu(case, tg_device):
    _, fn = case
    want = fn(lambda a: _t(a))
    got = fn(lambda a: _t(a, tg_device))
    assert got.device.type == tg.device(tg_device).type
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-6)


def test_device_flags(tg_device):
    t = tg.zeros(2, device=tg_device)
    want = -1 if tg.device(tg_device).type == "cpu" else (t.device.index or 0)
    assert t.get_device() == want and tg.get_device(t) == want
    assert t.new(2).device == t.device
