"""Autograd of the filled PyTorch API gaps: finite-difference gradients (float64), node names,
version counters and the in-place errors of leaves that require grad."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _x(*shape, seed=0, lo=-1.0, hi=1.0):
    rng = np.random.default_rng(seed)
    return tg.tensor(rng.uniform(lo, hi, shape), dtype=tg.float64, requires_grad=True)


def _idx(v):
    return tg.tensor(v)


def _squeeze_(x):
    y = x.clone()
    y.squeeze_(1)
    return y * 1.5


def _unsqueeze_t_(x):
    y = x[:, 0].clone()
    y.unsqueeze_(0).t_()
    return y


def _transpose_(x):
    y = x.clone()
    y.transpose_(0, 2)
    return y.reshape(-1) * tg.arange(6.0, dtype=tg.float64)


def _fill_diag(x):
    y = x.clone() * 2
    y.fill_diagonal_(0.5)
    return y


CASES = [
    ("unfold", lambda x: x.unfold(1, 2, 1), (3, 4)),
    ("unfold_step", lambda x: x.unfold(0, 2, 2), (5, 2)),
    ("unfold_gap", lambda x: x.unfold(1, 1, 3), (2, 5)),
    ("unfold_0d", lambda x: x.sum().unfold(0, 1, 1), (2,)),
    ("select_scatter", lambda x: tg.select_scatter(x, x[0] * 2, 0, 2), (3, 3)),
    ("slice_scatter", lambda x: tg.slice_scatter(x, x[:, :2] ** 2, 1, 1, None, 2), (3, 4)),
    ("diagonal_scatter", lambda x: tg.diagonal_scatter(x, x[0, :3].exp(), -1), (4, 3)),
    ("put", lambda x: x.put(_idx([0, 5, -1]), x[1, :3] * 3), (3, 4)),
    ("put_accumulate", lambda x: x.put(_idx([1, 1, 2]), x[0, :3] ** 2, accumulate=True), (3, 4)),
    ("put_", lambda x: x.clone().put_(_idx([[0, 5], [6, 7]]), x[:2, :2].sin()), (3, 4)),
    ("squeeze_", _squeeze_, (2, 1, 3)),
    ("unsqueeze_t_", _unsqueeze_t_, (3, 2)),
    ("transpose_", _transpose_, (1, 2, 3)),
    ("fill_diagonal_", _fill_diag, (3, 3)),
    ("sum_to_size", lambda x: x.sum_to_size(1, 4), (3, 4)),
    ("sum_to_size_lead", lambda x: x.sum_to_size(4), (3, 4)),
    ("msort", lambda x: tg.msort(x), (4, 3)),
    ("arccos", lambda x: tg.arccos(x * 0.8), (2, 3)),
    ("arctanh_", lambda x: (x * 0.5).arctanh_(), (2, 3)),
    ("tg.tanh_", lambda x: tg.tanh_(x * 1.0), (2, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    _, fn, shape = case
    assert gradcheck(fn, (_x(*shape),))


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("unfold", "slice_scatter", "diagonal_scatter",
                                                               "put", "put_accumulate", "squeeze_", "arccos")],
                         ids=lambda c: c[0])
def test_gradgradcheck(case):
    _, fn, shape = case
    assert gradgradcheck(fn, (_x(*shape),))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_gradcheck(reduce, include_self):
    src = _x(3, 4, seed=2, lo=0.5, hi=2.0)
    x = _x(3, 4, seed=1, lo=0.5, hi=2.0)

    def fn(x, s):
        return x.index_reduce(0, _idx([0, 2, 0]), s, reduce, include_self=include_self)
    assert gradcheck(fn, (x, src))


def test_two_input_scatter_gradients():
    x, s = _x(3, 4, seed=3), _x(4, seed=4)
    assert gradcheck(lambda a, b: tg.select_scatter(a, b, 0, 1), (x, s))
    x, s = _x(3, 4, seed=5), _x(3, 2, seed=6)
    assert gradcheck(lambda a, b: tg.slice_scatter(a, b, 1, 0, 4, 2), (x, s))
    x, s = _x(3, 4, seed=7), _x(3, seed=8)
    assert gradcheck(lambda a, b: tg.diagonal_scatter(a, b, 1), (x, s))
    x, s = _x(3, 4, seed=9), _x(2, 2, seed=10)
    assert gradcheck(lambda a, b: a.put(_idx([[1, 1], [3, 11]]), b, accumulate=True), (x, s))


NODES = [
    (lambda x: x.clone().squeeze_(), "SqueezeBackward3"),
    (lambda x: x.clone().squeeze_(1), "SqueezeBackward4"),
    (lambda x: x.clone().squeeze_((0, 1)), "SqueezeBackward5"),
    (lambda x: x.clone().unsqueeze_(0), "UnsqueezeBackward1"),
    (lambda x: x.clone().transpose_(0, 2), "TransposeBackward1"),
    (lambda x: x.clone().swapaxes_(0, 2), "TransposeBackward1"),
    (lambda x: x.clone().swapdims_(0, 2), "TransposeBackward1"),
    (lambda x: x[0].clone().t_(), "TBackward1"),
    (lambda x: x.clone().eq_(0.5), "EqBackward0"),
    (lambda x: x.clone().ge_(x.detach()), "GeBackward1"),
    (lambda x: x.clone().greater_(0.0), "GtBackward0"),
    (lambda x: x.clone().not_equal_(x.detach()), "NeBackward1"),
    (lambda x: x.clone().logical_and_(x.detach()), "CloneBackward0"),
    (lambda x: x.unfold(2, 2, 1), "UnfoldBackward0"),
    (lambda x: x[0].clone().fill_diagonal_(1.0), "CopySlices"),
    (lambda x: tg.select_scatter(x, x[0], 0, 1), "SelectScatterBackward0"),
    (lambda x: tg.slice_scatter(x, x[:1], 0, 1, 2), "SliceScatterBackward0"),
    (lambda x: tg.diagonal_scatter(x[0], x[0, 0, :2]), "DiagonalScatterBackward0"),
    (lambda x: x.put(_idx([0]), x[0, 0, :1]), "PutBackward0"),
    (lambda x: x[0].index_reduce(0, _idx([0]), x[0, :1], "amax"), "IndexReduceBackward0"),
    (lambda x: tg.arcsinh(x), "AsinhBackward0"),
    (lambda x: x.clone().arccos_(), "AcosBackward0"),
    (lambda x: (x + 2).arccosh_(), "AcoshBackward1"),
    (lambda x: tg.arcsinh_(x.clone()), "AsinhBackward1"),
    (lambda x: x.clone().arctanh_(), "AtanhBackward1"),
    (lambda x: tg.sigmoid_(x.clone()), "SigmoidBackward0"),
    (lambda x: tg.msort(x), "SortBackward0"),
    (lambda x: x.sum_to_size(1, 1, 3), "SumBackward1"),
]


@pytest.mark.parametrize("fn, node", NODES, ids=[n for _, n in NODES])
def test_node_names(fn, node):
    x = _x(2, 1, 3) if "Squeeze" in node else _x(2, 2, 3)
    assert type(fn(x).grad_fn).__name__ == node


def test_comparison_inplace_has_zero_gradient():
    a, o = _x(3), _x(3, seed=1)
    y = a.clone()
    y.lt_(o)
    (y * 3).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and o.grad.tolist() == [0.0, 0.0, 0.0]


def test_logical_inplace_on_a_leaf_is_not_refused():
    x = _x(2)
    x.logical_and_(tg.ones(2, dtype=tg.float64))  # PyTorch records nothing and checks nothing here
    assert x.is_leaf and x.requires_grad and x.tolist() == [1.0, 1.0]


def test_logical_inplace_keeps_history():
    a = _x(3)
    y = a.clone()
    y.logical_or_(tg.tensor([0.0, 1.0, 0.0], dtype=tg.float64))
    assert y.requires_grad and type(y.grad_fn).__name__ == "CloneBackward0"


@pytest.mark.parametrize("call", [
    lambda t: t.squeeze_(), lambda t: t.unsqueeze_(0), lambda t: t.transpose_(0, 1), lambda t: t.t_(),
    lambda t: t.swapaxes_(0, 1), lambda t: t.swapdims_(0, 1), lambda t: t.eq_(0.5), lambda t: t.lt_(t.detach()),
    lambda t: t.arcsin_(), lambda t: t.arcsinh_(), lambda t: tg.exp_(t), lambda t: tg.clamp_(t, 0, 1),
    lambda t: t.fill_diagonal_(1.0), lambda t: t.put_(_idx([0]), tg.zeros(1, dtype=tg.float64)),
    lambda t: t.index_reduce_(0, _idx([0]), tg.ones(1, 2, dtype=tg.float64), "prod"),
])
def test_leaf_inplace_errors(call):
    x = _x(2, 2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        call(x)
    with tg.no_grad():
        call(x)  # allowed without recording


@pytest.mark.parametrize("call", [lambda t: t.squeeze_(), lambda t: t.unsqueeze_(1), lambda t: t.t_(),
                                  lambda t: t.eq_(0.0), lambda t: t.logical_xor_(t.detach()),
                                  lambda t: t.fill_diagonal_(2.0)])
def test_saved_tensor_modified_in_place(call):
    x = _x(2, 2)
    y = x.clone()
    z = y * y  # saves y
    v = y._version
    call(y)
    assert y._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_shape_on_view_of_tensor_requiring_grad():
    x = _x(2, 1, 3)
    base = x.clone()
    v = base[0]
    v.unsqueeze_(0)
    assert type(v.grad_fn).__name__ == "UnsqueezeBackward1" and v.shape == (1, 1, 3)
    (v * 2).sum().backward()
    assert x.grad.tolist() == [[[2.0, 2.0, 2.0]], [[0.0, 0.0, 0.0]]]
