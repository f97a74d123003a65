"""unbind/split/split_with_sizes/chunk record ONE graph node with an output per piece (as PyTorch's
UnbindBackward0/SplitBackward0/SplitWithSizesBackward0), whose backward runs once and joins the
pieces' gradients; tensor_split and h/v/dsplit keep a SliceBackward0 node per piece."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck
from tensorgraft.testing import assert_close

SHARED = [
    ("unbind", lambda y: y.unbind(0), "UnbindBackward0", 6),
    ("unbind_last", lambda y: y.unbind(-1), "UnbindBackward0", 4),
    ("split", lambda y: y.split(4), "SplitBackward0", 2),
    ("split_dim1", lambda y: tg.split(y, 3, dim=1), "SplitBackward0", 2),
    ("split_with_sizes", lambda y: y.split([1, 0, 5]), "SplitWithSizesBackward0", 3),
    ("split_with_sizes_op", lambda y: y.split_with_sizes([3, 1], 1), "SplitWithSizesBackward0", 2),
    ("chunk", lambda y: y.chunk(4), "SplitBackward0", 3),
    ("chunk_one", lambda y: y.chunk(1, 1), "SplitBackward0", 1),
]


def _leaf(shape, seed, device="cpu", dtype=tg.float64):
    rng = np.random.default_rng(seed)
    return tg.tensor(rng.standard_normal(shape), dtype=dtype, device=device, requires_grad=True)


@pytest.mark.parametrize("name,split,node,n", SHARED, ids=[s[0] for s in SHARED])
def test_pieces_share_one_node(tg_device, name, split, node, n):
    x = _leaf((6, 4), 0, tg_device)
    y = x * 2
    pieces = split(y)
    assert len(pieces) == n
    fn = pieces[0].grad_fn
    assert type(fn).__name__ == node and fn.name() == node
    assert [p.grad_fn is fn for p in pieces] == [True] * n
    assert [p.output_nr for p in pieces] == list(range(n))
    assert len(fn.next_functions) == 1 and fn.next_functions[0] == (y.grad_fn, 0)
    assert all(p._base is y for p in pieces)  # still views of the input


@pytest.mark.parametrize("split", [lambda y: y.tensor_split(3), lambda y: y.tensor_split([1, 3]),
                                   lambda y: y.hsplit(2), lambda y: y.vsplit([2]),
                                   lambda y: y.reshape(2, 3, 4).dsplit(2)])
def test_tensor_split_family_keeps_a_slice_node_per_piece(split):
    y = _leaf((6, 4), 1) * 1
    pieces = split(y)
    assert [type(p.grad_fn).__name__ for p in pieces] == ["SliceBackward0"] * len(pieces)
    assert [p.output_nr for p in pieces] == [0] * len(pieces)
    assert len({id(p.grad_fn) for p in pieces}) == len(pieces)


def test_backward_runs_once_with_none_for_unused_pieces():
    x = _leaf((5, 3), 2)
    a = x.unbind(0)
    seen = []
    a[0].grad_fn.register_prehook(lambda grads: seen.append([g is not None for g in grads]))
    (a[1] * 2 + a[3] + a[1]).sum().backward()
    assert seen == [[False, True, False, True, False]]  # one call, both uses of a[1] summed first
    want = np.zeros((5, 3))
    want[1] = 3.0
    want[3] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("name,split,node,n", SHARED, ids=[s[0] for s in SHARED])
def test_gradient_values_with_some_pieces_unused(tg_device, name, split, node, n):
    x = _leaf((6, 4), 3, tg_device)
    pieces = split(x)
    rng = np.random.default_rng(4)
    weights = [rng.standard_normal(tuple(p.shape)) for p in pieces]
    loss = sum((p * tg.tensor(w, device=tg_device)).sum() for k, (p, w) in enumerate(zip(pieces, weights))
               if k % 2 == 0)
    loss.backward()
    # the same gradient through independent numpy slicing
    expect = np.zeros((6, 4))
    flat = [np.asarray(w) for w in weights]
    views = split(tg.tensor(np.arange(24.0).reshape(6, 4)))  # locate each piece in the input
    for k, (v, w) in enumerate(zip(views, flat)):
        if k % 2 == 0:
            idx = v.numpy().astype(int).ravel()
            np.put(expect, idx, w.ravel())
    assert_close(x.grad.cpu(), tg.tensor(expect))


@pytest.mark.parametrize("split", [lambda x: x.unbind(1), lambda x: x.split(2), lambda x: x.split([1, 0, 2], 1),
                                   lambda x: x.chunk(2, 1)])
def test_gradcheck_and_double_backward(split):
    x = _leaf((3, 3), 5)
    assert gradcheck(lambda t: split(t), (x,))
    assert gradgradcheck(lambda t: [p * p for p in split(t)], (x,))


def test_create_graph_joins_with_stack_and_cat():
    x = _leaf((3, 4), 6)
    g, = tg.autograd.grad(x.unbind(0)[1].pow(2).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "StackBackward0"
    assert [e[0] is None for e in g.grad_fn.next_functions] == [True, False, True]
    g2, = tg.autograd.grad(g.sum(), x)
    want = np.zeros((3, 4))
    want[1] = 2.0
    np.testing.assert_array_equal(g2.numpy(), want)
    g, = tg.autograd.grad(x.split(2)[1].pow(2).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "CatBackward0"


def test_hooks_retain_grad_and_grad_of_a_piece():
    x = _leaf((3, 4), 7)
    p = x.unbind(1)
    p[1].retain_grad()
    p[0].register_hook(lambda g: g * 10)
    (p[0] * p[1]).sum().backward()
    xn = x.detach().numpy()
    want = np.zeros((3, 4))
    want[:, 0] = 10 * xn[:, 1]
    want[:, 1] = xn[:, 0]
    assert_close(x.grad, tg.tensor(want))
    assert_close(p[1].grad, tg.tensor(xn[:, 0]))
    q = x.split(3, 1)
    g, = tg.autograd.grad(q[1].sum() * 3, q[1])
    np.testing.assert_array_equal(g.numpy(), np.full((3, 1), 3.0))


def test_retain_graph_accumulates_and_second_pass_works():
    x = _leaf((4, 2), 8)
    a, b = x.chunk(2)
    loss = (a * 2).sum() + b.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[4, 4], [4, 4], [2, 2], [2, 2]])


def test_in_place_on_a_piece_names_its_output_and_node():
    y = _leaf((3, 2), 9) * 1
    with pytest.raises(RuntimeError, match=r"^Output 2 of Unbind is a view and is being modified inplace"):
        y.unbind(0)[2].add_(1)
    with pytest.raises(RuntimeError, match=r"^Output 1 of SplitWithSizes is a view"):
        y.split([1, 2])[1].mul_(2)
    with pytest.raises(RuntimeError, match=r"^Output 1 of Split is a view"):
        y.chunk(3)[1].zero_()
    assert y._version == 0  # refused before anything was written


def test_no_node_without_grad_and_for_integers():
    x = tg.arange(6).reshape(3, 2)
    assert all(p.grad_fn is None and not p.requires_grad for p in x.unbind(0))
    w = _leaf((3, 2), 10)
    with tg.no_grad():
        assert all(p.grad_fn is None for p in w.split(1))
    assert w.unbind(0)[0]._base is w


def test_empty_pieces():
    x = _leaf((0, 3), 11)
    assert x.unbind(0) == ()
    pieces = x.chunk(3)
    assert [tuple(p.shape) for p in pieces] == [(0, 3)] * 3
    assert pieces[0].grad_fn is pieces[2].grad_fn
    sum(p.sum() for p in pieces).backward()
    assert tuple(x.grad.shape) == (0, 3)


def test_complex_and_float32_pieces_keep_dtype():
    x = _leaf((2, 3), 12, dtype=tg.float32)
    a, b = x.unbind(0)
    (a * 2).sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2, 2], [0, 0, 0]])
    z = tg.tensor(np.array([[1 + 2j, 3j], [2, 1 - 1j]]), requires_grad=True)
    p, q = z.unbind(1)
    (p.abs() ** 2).sum().backward()
    assert z.grad.dtype == tg.complex128
    np.testing.assert_allclose(z.grad.numpy(), [[2 + 4j, 0], [4, 0]])
