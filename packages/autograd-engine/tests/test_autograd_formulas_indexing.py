"""gradcheck / gradgradcheck (float64) of the indexing formulas."""
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _x(*shape, seed=1):
    tg.manual_seed(seed)
    return tg.randn(*shape, dtype=tg.float64, requires_grad=True)


IDX = tg.tensor([[0, 2, 1], [1, 1, 0]])

CASES = [
    ("getitem_basic", lambda x: x[1:, None, 0]),
    ("getitem_int_adv", lambda x: x[1, [0, 0, 2]]),
    ("getitem_none_adv", lambda x: x[None, [2, 0], 1:]),
    ("getitem_dup", lambda x: x[[0, 0, 2]]),
    ("getitem_mask", lambda x: x[x > 0]),
    ("gather", lambda x: x.gather(0, IDX)),
    ("scatter", lambda x: x.scatter(0, IDX[:1], x[:1] * 2)),
    ("scatter_value", lambda x: x.scatter(1, IDX[:, :2] % 3, 0.5)),
    ("scatter_add", lambda x: x.scatter_add(0, IDX, x[:2] * 3)),
    ("scatter_src_larger", lambda x: x[:2].scatter(1, tg.tensor([[2, 0], [1, 2]]), x * 3)),
    ("scatter_reduce_sum", lambda x: x.scatter_reduce(0, IDX, x[:2] * 2, "sum", include_self=False)),
    ("scatter_reduce_mean", lambda x: x.scatter_reduce(1, IDX[:, :2], x[:2, :2] ** 2, "mean")),
    ("scatter_reduce_amax", lambda x: x.scatter_reduce(0, IDX, x[1:] * 3, "amax")),
    ("scatter_reduce_prod", lambda x: x.scatter_reduce(0, IDX, x[:2] + 3, "prod")),
    ("index_select", lambda x: x.index_select(1, tg.tensor([2, 2, 0]))),
    ("index_add", lambda x: x.index_add(0, tg.tensor([1, 1]), x[:2] * x[:2], alpha=2.0)),
    ("index_copy", lambda x: x.index_copy(1, tg.tensor([2, 0]), x[:, :2] * 2)),
    ("index_fill", lambda x: x.index_fill(0, tg.tensor([1]), -1.0)),
    ("index_fill_t", lambda x: x.index_fill(0, tg.tensor([1]), x[0, 0] * 2)),
    ("masked_fill", lambda x: x.masked_fill(x > 0, 2.0)),
    ("masked_fill_t", lambda x: x.masked_fill(x > 0, x[1, 1])),
    ("masked_select", lambda x: x.masked_select(x < 0)),
    ("masked_scatter", lambda x: x.masked_scatter(x > 0, x.flip(0) * 2)),
    ("take", lambda x: x.take(tg.tensor([0, -1, 0]))),
    ("take_along_dim", lambda x: x.take_along_dim(IDX, 0)),
    ("where", lambda x: tg.where(x > 0, x * x, -x)),
]

DOUBLE = {"scatter_reduce_sum", "scatter_reduce_mean", "scatter_src_larger", "getitem_basic", "getitem_int_adv", "getitem_dup", "gather", "scatter_add", "index_select", "index_add",
          "masked_fill", "masked_select", "take", "where"}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    _, fn = case
    assert gradcheck(fn, (_x(3, 3),))


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in DOUBLE],
                         ids=[c[0] for c in CASES if c[0] in DOUBLE])
def test_gradgradcheck(case):
    _, fn = case
    assert gradgradcheck(lambda t: fn(t) ** 2, (_x(3, 3),))


def _setitem_fn(idx):
    def f(x, v):
        y = x * 1.0
        y[idx] = v * 2
        return y
    return f


@pytest.mark.parametrize("idx", [1, (slice(None), 0), ([0, 2], [1, 1]), (Ellipsis, tg.tensor([True, False, True]))],
                         ids=["int", "slice", "adv", "mask"])
def test_setitem_gradcheck(idx):
    x = _x(3, 3)
    target = (x.detach() * 1.0)[idx]
    v = _x(*target.shape, seed=3)
    assert gradcheck(_setitem_fn(idx), (x, v))
    assert gradgradcheck(lambda a, b: _setitem_fn(idx)(a, b) ** 2, (x, v))


def test_setitem_broadcast_value_grad():
    x = _x(3, 4)
    v = _x(1, 4, seed=5)
    y = x * 1.0
    y[0:2] = v
    y.sum().backward()
    assert tuple(v.grad.shape) == (1, 4)
    assert float(v.grad.sum()) == 8.0
    assert float(x.grad.sum()) == 4.0


VIEW_WRITES = [
    ("row_then_col", lambda y: y[0], 1, 1),
    ("transposed_row", lambda y: y.t()[1], slice(None), 3),
    ("slice_then_adv", lambda y: y[1:], (0, [0, 2]), 2),
    ("diagonal", lambda y: y.diagonal(), slice(None), 3),
    ("reshaped", lambda y: y.view(2, 6)[1], slice(2, 3), 1),
]


@pytest.mark.parametrize("case", VIEW_WRITES, ids=[c[0] for c in VIEW_WRITES])
def test_setitem_into_view_matches_torch_copyslices(case):
    torch = pytest.importorskip("torch")
    import numpy as np
    _, view_of, idx, n = case
    X = np.arange(12.0).reshape(3, 4)
    res = []
    for m in (torch, tg):
        x = m.tensor(X, requires_grad=True)
        w = m.tensor([5.0, 6.0, 7.0][:n], dtype=m.float64, requires_grad=True)
        y = x * 2
        v = view_of(y)
        v[idx] = w * 3
        assert type(y.grad_fn).__name__ == "CopySlices"
        assert type(v.grad_fn).__name__ == "AsStridedBackward0"
        ((y * m.tensor(X + 1)).sum() + (v * v).sum()).backward()
        res.append([np.asarray(t.detach()) for t in (y, v, x.grad, w.grad)])
    for p, q in zip(*res):
        np.testing.assert_allclose(p, q)


def test_setitem_into_view_gradcheck():
    def f(x, w):
        y = x * 1.0
        y.t()[1][1:] = w * 2
        return y
    assert gradcheck(f, (_x(3, 3), _x(2, seed=9)))


def test_setitem_into_view_of_plain_tensor_makes_base_require_grad():
    x = tg.zeros(3, 4)
    w = _x(4)
    row = x[0]
    row[...] = w * 2
    assert type(x.grad_fn).__name__ == "CopySlices"
    x.sum().backward()
    assert float(w.grad.sum()) == 8.0


def test_setitem_into_view_of_leaf_requiring_grad_is_refused():
    x = _x(3, 4)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place "
                                           "operation."):
        x[:2][0] = 1.0


def test_setitem_on_leaf_requiring_grad_is_refused():
    x = _x(3, 4)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x[0] = 1.0
