"""Gradient differences found by running PyTorch's OpInfo database (``tensorgraft.testing.opinfo``)
in float64: ``trace`` of a non-square matrix, ``index_reduce`` of 0-d tensors,
``linalg.householder_product`` with nothing to reflect, and ``nextafter`` (differentiable in
PyTorch). Every expected value was computed with PyTorch 2.13 (CPU) on the same inputs and is
hard-coded here (these tests do not import torch)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgraft as tg

F64 = tg.float64


# --------------------------------------------------------------------------- trace
# (shape, PyTorch's nonzero positions of d trace / dx for an upstream gradient of 2.5)
@pytest.mark.parametrize("shape, diagonal", [
    ((7, 5), [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]),
    ((5, 7), [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]),
    ((1, 4), [[0, 0]]),
    ((4, 1), [[0, 0]]),
    ((0, 3), []),
])
def test_trace_gradient_of_a_non_square_matrix_is_its_diagonal_only(shape, diagonal):
    # a 7 x 5 input used to get a stray 1 at (6, 0): the flat stride m + 1 ran past the diagonal
    x = tg.arange(float(shape[0] * shape[1]), dtype=F64).reshape(shape).requires_grad_()
    g = tg.tensor(2.5, dtype=F64, requires_grad=True)
    gx, = tg.autograd.grad(tg.trace(x), x, g, create_graph=True)
    assert tuple(gx.shape) == shape
    assert gx.detach().nonzero().tolist() == diagonal
    assert gx.detach().sum().item() == 2.5 * len(diagonal)
    assert type(gx.grad_fn).__name__ == "ViewBackward0"  # PyTorch's (over IndexFillBackward1)


# --------------------------------------------------------------------------- index_reduce, 0-d
# (reduce, include_self, PyTorch's value, d(3 * out)/dx, d(3 * out)/dsrc) for x = 2.5, src = -5.1
_INDEX_REDUCE_0D = [
    ("mean", True, -1.2999999999999998, 1.5, 1.5),
    ("mean", False, -5.1, 0.0, 3.0),
    ("prod", True, -12.75, -15.3, 7.500000000000001),
    ("prod", False, -5.1, 0.0, 3.0),
    ("amin", True, -5.1, 0.0, 3.0),
    ("amin", False, -5.1, 0.0, 3.0),
    ("amax", True, 2.5, 3.0, 0.0),
    ("amax", False, -5.1, 0.0, 3.0),
]


@pytest.mark.parametrize("reduce, include_self, value, grad_x, grad_src", _INDEX_REDUCE_0D)
def test_index_reduce_of_0d_tensors_differentiates(reduce, include_self, value, grad_x, grad_src):
    # the 0-d source's index used to become 1-d on the node (IndexError in the backward)
    x = tg.tensor(2.5, dtype=F64, requires_grad=True)
    src = tg.tensor(-5.1, dtype=F64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (index_reduce's beta warning)
        out = x.index_reduce(0, tg.tensor([0]), src, reduce, include_self=include_self)
    assert tuple(out.shape) == ()
    assert out.item() == pytest.approx(value, rel=1e-15)
    assert type(out.grad_fn).__name__ == "IndexReduceBackward0"
    gx, gs = tg.autograd.grad(out * 3, (x, src))
    assert tuple(gx.shape) == () and tuple(gs.shape) == ()
    assert gx.item() == pytest.approx(grad_x, rel=1e-15)
    assert gs.item() == pytest.approx(grad_src, rel=1e-15)


# --------------------------------------------------------------------------- householder_product
@pytest.mark.parametrize("a_shape, tau_shape", [((0, 0), (0,)), ((3, 2), (0,)), ((2, 0, 0), (2, 0))])
def test_householder_product_without_reflectors_has_no_gradient(a_shape, tau_shape):
    # the product is then a constant (eye(m, n)): PyTorch records the node and its backward gives
    # undefined gradients (None with allow_unused); ours used to fail inside the backward
    a = tg.ones(a_shape, dtype=F64, requires_grad=True)
    tau = tg.zeros(tau_shape, dtype=F64, requires_grad=True)
    q = tg.linalg.householder_product(a, tau)
    assert q.requires_grad and type(q.grad_fn).__name__ == "LinalgHouseholderProductBackward0"
    expected = np.broadcast_to(np.eye(a_shape[-2], a_shape[-1]), a_shape)
    np.testing.assert_array_equal(q.detach().numpy(), expected)
    assert tg.autograd.grad(q.sum(), (a, tau), allow_unused=True) == (None, None)


def test_householder_product_with_reflectors_still_differentiates():
    a = tg.tensor([[0.5, 0.2], [1.5, -0.3], [-0.7, 0.9]], dtype=F64, requires_grad=True)
    tau = tg.tensor([1.2, 0.4], dtype=F64, requires_grad=True)
    ga, gt = tg.autograd.grad(tg.linalg.householder_product(a, tau).sum(), (a, tau))
    assert ga.abs().sum().item() > 0 and gt.abs().sum().item() > 0


# --------------------------------------------------------------------------- nextafter
def test_nextafter_is_differentiable_as_pytorch():
    # PyTorch 2.13: self gets g where self != other (NaN included) and 0 where they are equal;
    # other always gets zeros
    x = tg.tensor([1., 2., 3., 0., float("inf"), float("nan"), 1.], dtype=F64, requires_grad=True)
    y = tg.tensor([2., 1., 3., 0., 1., 1., float("nan")], dtype=F64, requires_grad=True)
    g = tg.tensor([5., -7., 11., 13., 2., 3., 4.], dtype=F64)
    out = tg.nextafter(x, y)
    assert type(out.grad_fn).__name__ == "NextafterBackward0"
    gx, gy = tg.autograd.grad(out, (x, y), g)
    assert gx.tolist() == [5., -7., 0., 0., 2., 3., 4.]
    assert gy.tolist() == [0.] * 7


def test_nextafter_gradient_broadcasts_and_keeps_dtypes():
    x = tg.tensor([[1.], [2.]], dtype=F64, requires_grad=True)
    y = tg.tensor([2., 1., 0.], dtype=F64, requires_grad=True)
    gx, gy = tg.autograd.grad(tg.nextafter(x, y).sum(), (x, y))
    assert gx.tolist() == [[2.], [2.]] and gy.tolist() == [0., 0., 0.]
    x32 = tg.tensor([1., 2.], requires_grad=True)
    y64 = tg.tensor([2., 2.], dtype=F64, requires_grad=True)
    out = tg.nextafter(x32, y64)
    assert out.dtype == F64
    assert [t.dtype for t in tg.autograd.grad(out.sum(), (x32, y64))] == [tg.float32, F64]


def test_nextafter_double_backward_graph_and_saved_inputs():
    x = tg.tensor([1., 2.], dtype=F64, requires_grad=True)
    y = tg.tensor([2., 2.], dtype=F64, requires_grad=True)
    g = tg.tensor([3., 4.], dtype=F64, requires_grad=True)
    gx, gy = tg.autograd.grad(tg.nextafter(x, y), (x, y), g, create_graph=True)
    assert type(gx.grad_fn).__name__ == "WhereBackward0" and gy.grad_fn is None  # PyTorch's
    # both operands are saved (PyTorch's _saved_self and _saved_other): changing other is an error
    other = y.detach().clone()
    out = tg.nextafter(x, other)
    other.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tg.autograd.grad(out.sum(), x)


def test_nextafter_in_place_records_its_node():
    x = tg.tensor([1., 2.], dtype=F64, requires_grad=True)
    a = x * 1
    a.nextafter_(tg.tensor([2., 2.], dtype=F64))
    assert type(a.grad_fn).__name__ == "NextafterBackward0"
    assert tg.autograd.grad(a.sum(), x)[0].tolist() == [1., 0.]
