"""``F.linear``/``nn.Linear`` leave PyTorch's graph: ``addmm(bias, rows, weight.t())`` (``mm``
without a bias) on the input viewed as rows, viewed back to the input's rank — so walking
``grad_fn.next_functions`` (as the "Neural Networks" tutorial prints it, and graph visualisers draw
it) finds the same nodes in the same order; gradients, double gradients and the weight gradient's
layout agree too."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import as_both, assert_values_close, seeded_normal  # noqa: E402

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")


def structure(fn):
    """The graph below ``fn`` as nested node names (None for an edge to nothing)."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(structure(n) for n, _ in fn.next_functions))


CASES = [((4, 3), True), ((4, 3), False), ((3,), True), ((3,), False), ((2, 4, 3), True), ((2, 4, 3), False),
         ((2, 5, 4, 3), True), ((2, 5, 4, 3), False)]


@pytest.mark.parametrize("input_grad", [False, True])
@pytest.mark.parametrize("shape,with_bias", CASES)
def test_linear_graph_values_and_gradients_match_pytorch(shape, with_bias, input_grad):
    x, tx = as_both(seeded_normal(*shape, seed=1), requires_grad=input_grad)
    w, tw = as_both(seeded_normal(2, 3, seed=2), requires_grad=True)
    b, tb = as_both(seeded_normal(2, seed=3), requires_grad=True) if with_bias else (None, None)
    y = tg.nn.functional.linear(x, w, b)
    ty = torch.nn.functional.linear(tx, tw, tb)
    assert structure(y.grad_fn) == structure(ty.grad_fn)
    assert y._base is not None if ty._base is not None else y._base is None  # a view exactly where PyTorch's is
    g = seeded_normal(*ty.shape, seed=4)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    assert_values_close(w.grad, tw.grad)
    assert w.grad.is_contiguous() and w.grad.stride() == tw.grad.stride()
    if with_bias:
        assert_values_close(b.grad, tb.grad)
    if input_grad:
        assert_values_close(x.grad, tx.grad)


@pytest.mark.parametrize("shape,with_bias", CASES)
def test_linear_double_backward_matches_pytorch(shape, with_bias):
    """create_graph: the gradients are functions of the inputs again (the formulas switch to ops)."""
    x, tx = as_both(seeded_normal(*shape, seed=5), requires_grad=True)
    w, tw = as_both(seeded_normal(2, 3, seed=6), requires_grad=True)
    b, tb = as_both(seeded_normal(2, seed=7), requires_grad=True) if with_bias else (None, None)
    outs = []
    for lib, xi, wi, bi in ((tg, x, w, b), (torch, tx, tw, tb)):
        y = lib.nn.functional.linear(xi, wi, bi)
        gx, gw = lib.autograd.grad((y * y).sum(), (xi, wi), create_graph=True)
        (gx.pow(2).sum() + (gw * gw).sum()).backward()
        outs.append((xi.grad, wi.grad))
    assert_values_close(outs[0][0], outs[1][0])
    assert_values_close(outs[0][1], outs[1][1])


def test_tutorial_walk_of_a_network_graph():
    """The "Neural Networks" tutorial's prints: loss -> MseLoss -> Addmm -> its first edge (the bias)."""
    names = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
        loss = lib.nn.MSELoss()(net(lib.randn(5, 4)), lib.randn(5, 2))
        fn = loss.grad_fn
        walk = [type(fn).__name__]
        while fn.next_functions:
            walk.append([type(n).__name__ for n, _ in fn.next_functions])
            fn = fn.next_functions[0][0]
            walk.append(type(fn).__name__)
        names.append(walk)
    assert names[0][:3] == ["MseLossBackward0", ["AddmmBackward0", "NoneType"], "AddmmBackward0"]
    assert names[0] == names[1]


def test_weight_changed_in_place_before_backward_is_caught_like_pytorch():
    """The rows node saves ``weight.t()``, a view of the weight: an optimizer step between forward and
    backward is the error PyTorch raises, naming the regenerated view (AsStrided). (An input that does not require
    grad: PyTorch's addmm then does not save ``weight.t()``, ours does — left, as before this graph.)"""
    def run(lib):
        w = lib.nn.Parameter(lib.ones(2, 3))
        y = lib.nn.functional.linear(lib.ones(4, 3, requires_grad=True), w, lib.zeros(2, requires_grad=True))
        with lib.no_grad():
            w.add_(1)
        y.sum().backward()
    with pytest.raises(RuntimeError) as ours:
        run(tg)
    with pytest.raises(RuntimeError) as theirs:
        run(torch)
    # (both name the changed view's node AsStrided: PyTorch regenerates it once its base is written)
    assert str(ours.value) == str(theirs.value)


def test_unusual_operands_keep_pytorchs_top_node():
    """A 2-D bias on 2-D input folds into addmm too; a non-contiguous N-D input does not (PyTorch's
    graph ends in AddBackward0 there, and so does ours)."""
    for shape, bshape, noncontig in (((4, 3), (4, 2), False), ((4, 3), (1, 2), False), ((2, 3, 4), (2,), True)):
        data = seeded_normal(*shape, seed=8)
        leaf, tleaf = as_both(data, requires_grad=True)
        x, tx = (leaf.transpose(1, 2), tleaf.transpose(1, 2)) if noncontig else (leaf, tleaf)
        w, tw = as_both(seeded_normal(2, 3, seed=9), requires_grad=True)
        b, tb = as_both(seeded_normal(*bshape, seed=10), requires_grad=True)
        y, ty = tg.nn.functional.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
        assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
        g = np.ones(ty.shape)
        y.backward(tg.tensor(g))
        ty.backward(torch.tensor(g))
        assert_values_close(b.grad, tb.grad)
        assert_values_close(w.grad, tw.grad)
        assert_values_close(leaf.grad, tleaf.grad)


def _grad_graphs(lib, x, w, b):
    """The graphs of linear's create_graph gradients (upstream gradient made by ``pow``'s ``Mul``)."""
    y = lib.nn.functional.linear(x, w, b)
    grads = lib.autograd.grad((y * y).sum(), [t for t in (x, w, b) if t is not None], create_graph=True)
    return [structure(g.grad_fn) for g in grads]


@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_create_graph_gradients_are_built_of_pytorchs_nodes(shape, with_bias):
    # the weight's gradient comes back through weight.t()'s TBackward0 as a t (not a permute), the
    # bias's as sum_to's keepdim sum viewed as the bias
    x, tx = as_both(seeded_normal(*shape, seed=5), requires_grad=True)
    w, tw = as_both(seeded_normal(2, 3, seed=6), requires_grad=True)
    b, tb = as_both(seeded_normal(2, seed=7), requires_grad=True) if with_bias else (None, None)
    ours, theirs = _grad_graphs(tg, x, w, b), _grad_graphs(torch, tx, tw, tb)
    assert ours[1:] == theirs[1:]  # weight and bias
    assert ours[0][0] == theirs[0][0]


@pytest.mark.parametrize("view", [lambda t: t.t(), lambda t: t.transpose(0, 1), lambda t: t.permute(1, 0),
                                  lambda t: t.T, lambda t: t.mT, lambda t: t.swapaxes(1, 0)])
def test_transposes_double_backward_nodes(view):
    x, tx = as_both(seeded_normal(3, 4, seed=8), requires_grad=True)
    graphs = []
    for lib, t in ((tg, x), (torch, tx)):
        y = view(t)
        g, = lib.autograd.grad((y * y).sum(), t, create_graph=True)
        graphs.append(structure(g.grad_fn))
    assert graphs[0] == graphs[1]
