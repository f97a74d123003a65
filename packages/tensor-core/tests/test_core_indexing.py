"""Indexing ops against PyTorch (oracle): __getitem__/__setitem__ rules, gather/scatter, index_*,
masked ops, take, nonzero, where, searchsorted; views, node names, gradients and error messages."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import grad_fn_name, to_numpy

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.filterwarnings("ignore:Using a non-tuple sequence for multidimensional indexing"),
              pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")]

RNG = np.random.default_rng(1)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)


def _lib_tensor(m, data, **kw):
    return m.tensor(data, **kw)


INDEXES = [
    ("int", lambda m: 1),
    ("neg_int", lambda m: -1),
    ("slice", lambda m: slice(1, None)),
    ("slice_step", lambda m: (slice(None), slice(None, None, 2))),
    ("full_slice", lambda m: slice(None)),
    ("none", lambda m: None),
    ("ellipsis", lambda m: Ellipsis),
    ("ellipsis_int", lambda m: (Ellipsis, 0)),
    ("int_slice", lambda m: (0, slice(1, 3))),
    ("slice_int", lambda m: (slice(1, None), 0)),
    ("int_int_int", lambda m: (0, 1, 2)),
    ("slice_none", lambda m: (slice(None), None)),
    ("zero_d_int_tensor", lambda m: m.tensor(1)),
    ("list", lambda m: [0, 2]),
    ("list_dup", lambda m: [0, 0, 2]),
    ("nested_list_as_tuple", lambda m: [[0, 1], [1, 0]]),
    ("long_tensor", lambda m: m.tensor([2, 0])),
    ("long_tensor_2d", lambda m: m.tensor([[2, 0], [1, 1]])),
    ("neg_tensor", lambda m: m.tensor([-1, 0])),
    ("bool_mask_full", lambda m: m.tensor(X > 0)),
    ("bool_mask_dim0", lambda m: m.tensor([True, False, True])),
    ("bool_mask_2d", lambda m: m.tensor(X[:, :, 0] > 0)),
    ("py_true", lambda m: True),
    ("adv_pair", lambda m: ([0, 1], [1, 2])),
    ("adv_sep_slice", lambda m: ([0, 1], slice(None), [1, 2])),
    ("int_then_adv_sep", lambda m: (0, slice(None), [0, 1])),
    ("adv_then_int", lambda m: ([0, 2], slice(None), 1)),
    ("slice_adv", lambda m: (slice(None), [3, 0])),
    ("ellipsis_adv", lambda m: (Ellipsis, m.tensor([4, 0]))),
    ("mask_and_int", lambda m: (m.tensor([True, False, True]), 1)),
    ("none_adv", lambda m: (None, [0, 1], 0)),
    ("adv_bcast", lambda m: (m.tensor([[0], [2]]), slice(None), m.tensor([0, 4]))),
]


@pytest.mark.parametrize("case", INDEXES, ids=[c[0] for c in INDEXES])
def test_getitem(case):
    _, idx = case
    a = tg.tensor(X.copy(), requires_grad=True)
    b = torch.tensor(X.copy(), requires_grad=True)
    ra, rb = a[idx(tg)], b[idx(torch)]
    assert tuple(ra.shape) == tuple(rb.shape)
    np.testing.assert_array_equal(to_numpy(ra), to_numpy(rb))
    assert (ra._base is not None) == (rb._base is not None)
    assert grad_fn_name(ra) == grad_fn_name(rb)
    w = RNG.standard_normal(tuple(rb.shape)).astype(np.float32)
    (ra * tg.tensor(w)).sum().backward()
    (rb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-6)


def test_basic_index_is_writable_view_with_shared_version():
    a = tg.tensor(X.copy())
    v = a[0, 1:3]
    s = a[1, 2, 3]  # all-int index: a 0-d view, as in PyTorch
    assert v._base is a and s._base is a
    v.fill_(7.0) if hasattr(v, "fill_") else v.mul_(0).add_(7.0)
    assert np.all(np.asarray(a)[0, 1:3] == 7.0)
    assert a._version == v._version == s._version
    a.zero_()
    assert float(s) == 0.0


SETS = [
    ("int_scalar", lambda m: 1, lambda m: 3.0),
    ("slice_tensor_bcast", lambda m: (slice(None), 0), lambda m: m.arange(5.0)),
    ("mask_scalar", lambda m: m.tensor(X > 0), lambda m: 0.0),
    ("adv_tensor", lambda m: ([0, 2], [1, 3]), lambda m: m.ones(5)),
    ("ellipsis_tensor", lambda m: (Ellipsis, 1), lambda m: m.full((3, 4), 2.0)),
    ("zero_d_tensor_value", lambda m: (0, 0, 0), lambda m: m.tensor(9.0)),
    ("int_then_adv", lambda m: (0, slice(None), [0, 1]), lambda m: m.ones(4, 2) * 5),
    ("leading_ones", lambda m: 0, lambda m: m.ones(1, 4, 5)),
    ("whole_scalar", lambda m: slice(None), lambda m: 3.0),        # FillBackward3
    ("whole_tensor", lambda m: Ellipsis, lambda m: m.arange(5.0)),  # CopyBackwards
]


@pytest.mark.parametrize("case", SETS, ids=[c[0] for c in SETS])
def test_setitem(case):
    _, idx, val = case
    a, b = tg.tensor(X.copy()), torch.tensor(X.copy())
    v0 = a._version
    a[idx(tg)] = val(tg)
    b[idx(torch)] = val(torch)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert a._version == v0 + 1


@pytest.mark.parametrize("case", SETS, ids=[c[0] for c in SETS])
def test_setitem_autograd(case):
    _, idx, val = case
    grads, names = [], []
    for m in (tg, torch):
        x = m.tensor(X.copy(), requires_grad=True)
        v = val(m)
        v = (v if isinstance(v, (tg.Tensor, torch.Tensor)) else m.tensor(v)).double().float().requires_grad_(True)
        y = x * 2
        y[idx(m)] = v * 3
        names.append(y.grad_fn.name())  # CopySlices through a view, IndexPutBackward0 for advanced indexing
        (y * m.tensor(X)).sum().backward()
        grads.append((to_numpy(x.grad), to_numpy(v.grad)))
    assert names[0] == names[1]
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5)


def test_setitem_converts_value_dtype():
    a = tg.zeros(3, dtype=tg.int64)
    a[0] = 2.7
    a[1:] = tg.tensor([1.9, -1.2])
    np.testing.assert_array_equal(np.asarray(a), torch.tensor([2.7, 1.9, -1.2]).long().numpy())


IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])


OPS = [
    ("gather", lambda m, x: x.gather(1, m.tensor(np.array([[[0, 1], [3, 3]]] * 3)))),
    ("gather_dim2", lambda m, x: m.gather(x, 2, m.tensor(np.zeros((2, 3, 1), dtype=np.int64)))),
    ("scatter_src", lambda m, x: x.scatter(0, m.tensor(IDX[:, :4].reshape(2, 4, 1) % 3), x[:2, :, :1] * 5)),
    ("scatter_value", lambda m, x: x.scatter(2, m.tensor(np.array([[[4, 0]]] * 3)), -1.0)),
    ("scatter_add", lambda m, x: x.scatter_add(0, m.tensor(np.zeros((2, 4, 5), dtype=np.int64)), x[:2] * 3)),
    ("index_select", lambda m, x: x.index_select(1, m.tensor([3, 0, 3]))),
    ("index_select_fn", lambda m, x: m.index_select(x, -1, m.tensor([4]))),
    ("index_add", lambda m, x: x.index_add(1, m.tensor([0, 0, 2]), x[:, :3] * 2, alpha=0.5)),
    ("index_copy", lambda m, x: x.index_copy(2, m.tensor([4, 1]), x[:, :, :2] * 2)),
    ("index_fill", lambda m, x: x.index_fill(1, m.tensor([1, 3]), -2.0)),
    ("index_fill_t", lambda m, x: x.index_fill(0, m.tensor([1]), x[0, 0, 0] * 3)),
    ("masked_fill", lambda m, x: x.masked_fill(x > 0.5, 0.25)),
    ("masked_fill_bcast", lambda m, x: x.masked_fill(m.tensor([True, False, True, False, True]), 1.0)),
    ("masked_fill_t", lambda m, x: x.masked_fill(x < 0, x[1, 1, 1] * 2)),
    ("masked_select", lambda m, x: x.masked_select(x > 0)),
    ("masked_select_bcast", lambda m, x: m.masked_select(x, m.tensor([True, False, True, False, True]))),
    ("masked_scatter", lambda m, x: x.masked_scatter(x > 0, x.flip(0) * 2)),
    ("take", lambda m, x: x.take(m.tensor([[0, 59], [-1, 7]]))),
    ("take_along_dim", lambda m, x: x.take_along_dim(m.tensor(np.array([[[1], [0], [2], [2]]])), 0)),
    ("take_along_dim_flat", lambda m, x: m.take_along_dim(x, m.tensor([5, 0]))),
    ("where", lambda m, x: m.where(x > 0, x, x * -3)),
    ("where_scalar", lambda m, x: m.where(x > 0, x, 0.0)),
    ("where_scalar_first", lambda m, x: m.where(x > 0, 1.0, x)),
    ("where_method", lambda m, x: x.where(x > 0, x * 2)),
    ("where_method_scalar", lambda m, x: x.where(x < 0, 0.0)),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
def test_ops_against_torch(case):
    _, fn = case
    a = tg.tensor(X.copy(), requires_grad=True)
    b = torch.tensor(X.copy(), requires_grad=True)
    ra, rb = fn(tg, a), fn(torch, b)
    assert tuple(ra.shape) == tuple(rb.shape)
    assert str(ra.dtype) == str(rb.dtype)
    np.testing.assert_allclose(to_numpy(ra), to_numpy(rb), rtol=1e-6)
    assert grad_fn_name(ra) == grad_fn_name(rb)
    w = RNG.standard_normal(tuple(rb.shape)).astype(np.float32)
    (ra * tg.tensor(w)).sum().backward()
    (rb * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(b.grad), rtol=1e-5, atol=1e-6)


def test_inplace_variants():
    for name, args in [("scatter_", (1, [[0, 1]], 5.0)), ("scatter_add_", (1, [[0, 0]], "src")),
                       ("index_add_", (0, [1, 1], "src2")), ("index_fill_", (1, [2], -1.0)),
                       ("masked_fill_", ("mask", 3.0)), ("index_copy_", (0, [2, 0], "src2"))]:
        res = []
        for m in (tg, torch):
            x = m.tensor(X[0, :3, :4].copy())
            conv = []
            for v in args:
                if v == "src":
                    v = m.ones(1, 2)
                elif v == "src2":
                    v = m.ones(2, 4) * 2
                elif v == "mask":
                    v = x > 0
                elif isinstance(v, list):
                    v = m.tensor(v)
                conv.append(v)
            r = getattr(x, name)(*conv)
            assert r is x
            res.append(to_numpy(x))
        np.testing.assert_allclose(res[0], res[1], err_msg=name)


def test_deprecation_warnings_like_torch():
    x = tg.ones(3, 3)
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing is deprecated"):
        x[[[0, 1], [1, 0]]]
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src is deprecated"):
        x.scatter(1, tg.tensor([[0]]), tg.ones(1, 1), reduce="add")


def test_scatter_reduce_arg():
    for red in ("add", "multiply"):
        a = tg.ones(2, 3).scatter(1, tg.tensor([[0, 0]]), tg.full((1, 2), 3.0), reduce=red)
        b = torch.ones(2, 3).scatter(1, torch.tensor([[0, 0]]), torch.full((1, 2), 3.0), reduce=red)
        np.testing.assert_allclose(np.asarray(a), b.numpy())


def test_nonzero_argwhere_where_one_arg():
    d = np.array([[1, 0, 2], [0, 0, 3]])
    a, b = tg.tensor(d), torch.tensor(d)
    np.testing.assert_array_equal(np.asarray(a.nonzero()), b.nonzero().numpy())
    assert a.nonzero().dtype == tg.int64
    for p, q in zip(a.nonzero(as_tuple=True), b.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(np.asarray(p), q.numpy())
    for p, q in zip(tg.where(a > 0), torch.where(b > 0)):
        np.testing.assert_array_equal(np.asarray(p), q.numpy())
    np.testing.assert_array_equal(np.asarray(tg.argwhere(a)), torch.argwhere(b).numpy())
    assert tuple(tg.tensor(5).nonzero().shape) == (1, 0)
    assert tg.where(tg.tensor([True, False]), 1, 0.0).dtype == tg.float32
    assert tg.where(tg.tensor([True, False]), 1, 0).dtype == tg.int64


def test_searchsorted_bucketize():
    seq = np.array([1.0, 3.0, 5.0, 7.0])
    vals = np.array([[0.0, 3.0, 6.0], [7.0, 8.0, 1.0]])
    for right in (False, True):
        np.testing.assert_array_equal(
            np.asarray(tg.searchsorted(tg.tensor(seq), tg.tensor(vals), right=right)),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
        np.testing.assert_array_equal(
            np.asarray(tg.bucketize(tg.tensor(vals), tg.tensor(seq), right=right)),
            torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right).numpy())
    seq2 = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    v2 = np.array([[3.0, 0.0], [3.0, 9.0]])
    r = tg.searchsorted(tg.tensor(seq2), tg.tensor(v2), side="right")
    np.testing.assert_array_equal(np.asarray(r), torch.searchsorted(torch.tensor(seq2), torch.tensor(v2), side="right").numpy())
    assert r.dtype == tg.int64
    assert tg.searchsorted(tg.tensor(seq), tg.tensor(vals), out_int32=True).dtype == tg.int32


def test_index_put_functional():
    a = tg.zeros(5)
    r = a.index_put((tg.tensor([0, 0, 2]),), tg.tensor([1.0, 2.0, 3.0]), accumulate=True)
    t = torch.zeros(5).index_put((torch.tensor([0, 0, 2]),), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    np.testing.assert_array_equal(np.asarray(r), t.numpy())
    a.index_put_((tg.tensor([1]),), tg.tensor(4.0))
    assert float(a[1]) == 4.0


ERRORS = [
    (lambda m, x: x[::-1], ValueError, "step must be greater than zero"),
    (lambda m, x: x[::0], ValueError, "slice step cannot be zero"),
    (lambda m, x: x.__setitem__(slice(None, None, -1), 1.0), ValueError, "step must be greater than zero"),
    (lambda m, x: x[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda m, x: x[0, 7], IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    (lambda m, x: x[m.tensor([5])], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda m, x: x[[0, 7]], IndexError, "index 7 is out of bounds for dimension 0 with size 3"),
    (lambda m, x: x[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    (lambda m, x: x[m.ones(2, dtype=m.bool)], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"),
    (lambda m, x: x[m.tensor([0.0])], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    (lambda m, x: x.gather(1, m.tensor([[5]])), RuntimeError, "index 5 is out of bounds for dimension 1 with size 4"),
    (lambda m, x: x.gather(1, m.tensor([5])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda m, x: x.gather(1, m.zeros(4, 1, dtype=m.long)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1"),
    (lambda m, x: x.gather(1, m.tensor([[0.0]])), RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    (lambda m, x: x.scatter(1, m.tensor([[5]]), 1.0), RuntimeError, "index 5 is out of bounds for dimension 1 with size 4"),
    (lambda m, x: x.index_select(0, m.tensor([5])), IndexError, "index out of range in self"),
    (lambda m, x: x.index_select(0, m.tensor([[0]])), IndexError, "index_select(): Index is supposed to be a vector"),
    (lambda m, x: x.masked_fill(m.ones(3, 4), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    (lambda m, x: x.masked_fill(x > 0, m.ones(2)), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    (lambda m, x: x.take(m.tensor([20])), IndexError, "out of range: tried to access index 20 on a tensor of 12 elements."),
    (lambda m, x: x.index_add(0, m.tensor([0]), m.ones(2, 4)), RuntimeError,
     "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), for dim: 0"),
    (lambda m, x: x.index_fill(1, m.tensor([9]), -1.0), IndexError, "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda m, x: x.index_copy(0, m.tensor([9]), m.ones(1, 4)), IndexError,
     "index_copy_(): index 9 is out of bounds for dimension 0 with size 3"),
    (lambda m, x: x.masked_scatter(x > 3, m.ones(2)), RuntimeError, "Number of elements of source < number of ones in mask"),
    (lambda m, x: m.where(m.tensor([1, 0]), x[0, :2], x[0, :2]), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    (lambda m, x: x.__setitem__(0, m.ones(3)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 0.  "
     "Target sizes: [4].  Tensor sizes: [3]"),
    (lambda m, x: m.searchsorted(m.tensor([[1.0, 3, 5]]), m.tensor([[3.0], [3]])), RuntimeError,
     "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
     "and input value tensor must match, but we got boundaries tensor [1, 3] and input value tensor [2, 1]"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_messages(k):
    fn, exc, msg = ERRORS[k]
    for m in (tg, torch):
        x = m.arange(12.0).view(3, 4)
        with pytest.raises(exc) as e:
            fn(m, x)
        assert msg in str(e.value), (m.__name__, str(e.value))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_against_torch(reduce, include_self):
    x = RNG.standard_normal((3, 4))
    s = RNG.standard_normal((2, 4))
    idx = np.array([[2, 0, 2, 0], [2, 1, 2, 0]])
    w = RNG.standard_normal((3, 4))
    res = []
    for m in (tg, torch):
        a, b = m.tensor(x, requires_grad=True), m.tensor(s, requires_grad=True)
        r = a.scatter_reduce(0, m.tensor(idx), b, reduce, include_self=include_self)
        assert type(r.grad_fn).__name__ == "ScatterReduceBackward0"
        (r * m.tensor(w)).sum().backward()
        res.append((to_numpy(r), to_numpy(a.grad), to_numpy(b.grad)))
    for p, q in zip(*res):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_scatter_reduce_inplace_and_error():
    a = tg.zeros(3)
    a.scatter_reduce_(0, tg.tensor([0, 0, 2]), tg.tensor([1.0, 2.0, 3.0]), "sum")
    np.testing.assert_array_equal(np.asarray(a), [3.0, 0.0, 3.0])
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got foo"):
        a.scatter_reduce(0, tg.tensor([0]), tg.tensor([1.0]), "foo")


def _random_index_specs(n_specs, seed):
    """Random mixes of ints, slices, lists, bool masks, 2-D index tensors, None and Ellipsis."""
    import random
    rnd = random.Random(seed)
    shape = (2, 3, 4, 5)
    specs = []
    while len(specs) < n_specs:
        spec, dim = [], 0
        for _ in range(rnd.randint(1, 4)):
            if dim >= 4:
                break
            size = shape[dim]
            r = rnd.random()
            if r < 0.2:
                item = ("int", rnd.randrange(-size, size))
            elif r < 0.45:
                item = ("slice", (rnd.choice([None, 0, 1, -1]), rnd.choice([None, size, -1, 2]), rnd.choice([None, 1, 2])))
            elif r < 0.6:
                item = ("list", [rnd.randrange(-size, size) for _ in range(rnd.choice([1, 2, 3]))])
            elif r < 0.7:
                item = ("mask", [rnd.random() < 0.5 for _ in range(size)])
            elif r < 0.8:
                item = ("none", None)
            else:
                item = ("tensor2d", [[rnd.randrange(size) for _ in range(2)]])
            spec.append(item)
            dim += item[0] != "none"
        if rnd.random() < 0.2:
            spec.insert(rnd.randrange(len(spec) + 1), ("ell", None))
        specs.append(spec)
    return specs


def _build_index(m, spec):
    out = []
    for kind, v in spec:
        out.append({"int": lambda: v, "slice": lambda: slice(*v), "list": lambda: list(v), "none": lambda: None,
                    "ell": lambda: Ellipsis}.get(kind, lambda: m.tensor(v))())
    return tuple(out)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_random_index_mixes_match_torch():
    """Values, errors, view-ness, node names and gradients of getitem/setitem over random index mixes."""
    base = np.arange(120.0).reshape(2, 3, 4, 5)
    checked = 0
    for k, spec in enumerate(_random_index_specs(250, seed=11)):
        a, b = torch.tensor(base, requires_grad=True), tg.tensor(base, requires_grad=True)
        try:
            rt = (a * 1)[_build_index(torch, spec)]
        except (IndexError, RuntimeError, ValueError) as e:
            with pytest.raises(type(e)) as err:
                (b * 1)[_build_index(tg, spec)]
            assert str(err.value) == str(e), spec
            continue
        rg = (b * 1)[_build_index(tg, spec)]
        assert tuple(rg.shape) == tuple(rt.shape), spec
        np.testing.assert_array_equal(to_numpy(rg), to_numpy(rt))
        assert grad_fn_name(rg) == grad_fn_name(rt), spec
        assert (rg._base is not None) == (rt._base is not None), spec
        w = np.random.default_rng(k).standard_normal(tuple(rt.shape))
        (rt * torch.tensor(w)).sum().backward()
        (rg * tg.tensor(w)).sum().backward()
        np.testing.assert_allclose(to_numpy(b.grad), to_numpy(a.grad))
        # setitem with a gradient-carrying value
        a, b = torch.tensor(base, requires_grad=True), tg.tensor(base, requires_grad=True)
        va, vb = torch.tensor(w, requires_grad=True), tg.tensor(w, requires_grad=True)
        ya, yb = a * 2, b * 2
        ya[_build_index(torch, spec)] = va * 3
        yb[_build_index(tg, spec)] = vb * 3
        np.testing.assert_array_equal(to_numpy(yb), to_numpy(ya))
        (ya * torch.tensor(base)).sum().backward()
        (yb * tg.tensor(base)).sum().backward()
        np.testing.assert_allclose(to_numpy(b.grad), to_numpy(a.grad))
        np.testing.assert_allclose(to_numpy(vb.grad), to_numpy(va.grad))
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("index", ["mask", "mask, 0", "slice, mask"])
@pytest.mark.parametrize("value", [5.0, "0-d", "1-element"])
def test_one_value_through_a_uint8_mask_is_refused_as_pytorchs_masked_fill(index, value):
    mask = tg.tensor([1, 0, 1], dtype=tg.uint8)
    x = tg.zeros(3, 3)
    key = {"mask": mask, "mask, 0": (mask, 0), "slice, mask": (slice(None), mask)}[index]
    v = {5.0: 5.0, "0-d": tg.tensor(5.0), "1-element": tg.tensor([5.0])}[value]
    with pytest.raises(RuntimeError, match="^masked_fill_ only supports boolean masks, but got mask with dtype "
                                           "unsigned char$"):
        x[key] = v
    assert x.sum().item() == 0.0  # nothing written


def test_several_values_through_a_uint8_mask_are_written_with_the_deprecation_warning():
    x = tg.zeros(3)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        x[tg.tensor([1, 0, 1], dtype=tg.uint8)] = tg.tensor([1.0, 2.0])
    assert x.tolist() == [1.0, 0.0, 2.0]


def test_searchsorted_warns_once_about_each_non_contiguous_operand():
    import warnings
    tg.set_warn_always(True)  # (the warnings are once per process otherwise)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tg.bucketize(tg.arange(10.)[::2], tg.arange(10.)[::2])
            tg.searchsorted(tg.arange(10.), tg.tensor([3.0]))  # contiguous: nothing
    finally:
        tg.set_warn_always(False)
    assert [str(w.message).split(",")[0] for w in caught] == [
        "torch.searchsorted(): input value tensor is non-contiguous",
        "torch.searchsorted(): boundary tensor is non-contiguous"]
    assert all(w.filename == __file__ for w in caught)
    assert str(caught[1].message).endswith("please use contiguous boundary tensor if possible. This message will only "
                                           "appear once per program.")
