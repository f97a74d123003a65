"""PyTorch as the oracle for the graph of unbind/split/split_with_sizes/chunk (one node, an output
per piece) and tensor_split/hsplit/vsplit/dsplit (a SliceBackward0 node per piece): node names,
output_nr, next_functions, gradients with unused pieces, double-backward nodes, and the message
for an in-place write to a piece."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

CASES = [
    ("unbind0", lambda t, m: m.unbind(t, 0)),
    ("unbind1", lambda t, m: t.unbind(1)),
    ("split2", lambda t, m: t.split(2)),
    ("split4", lambda t, m: m.split(t, 4)),
    ("split_sizes", lambda t, m: t.split([1, 3, 0, 2])),
    ("split_sizes_dim1", lambda t, m: m.split(t, [3, 1], dim=-1)),
    ("split_with_sizes", lambda t, m: t.split_with_sizes([2, 2], 1)),
    ("chunk4", lambda t, m: t.chunk(4)),
    ("chunk3_dim1", lambda t, m: m.chunk(t, 3, 1)),
    ("tensor_split3", lambda t, m: t.tensor_split(3)),
    ("tensor_split_idx", lambda t, m: m.tensor_split(t, [1, 4], dim=0)),
    ("hsplit", lambda t, m: t.hsplit(2)),
    ("vsplit", lambda t, m: m.vsplit(t, [2])),
    ("dsplit", lambda t, m: t.reshape(2, 3, 4).dsplit(2)),
]


def _pair(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    return (tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))


def _graph(pieces):
    """Node names, output numbers, which pieces share a node, and the edge count of each node."""
    fns = [p.grad_fn for p in pieces]
    first = {}
    shared = [first.setdefault(id(f), k) for k, f in enumerate(fns)]
    return ([type(f).__name__ for f in fns], [p.output_nr for p in pieces], shared,
            [len(f.next_functions) for f in fns])


@pytest.mark.parametrize("name,split", CASES, ids=[c[0] for c in CASES])
def test_graph_matches_torch(name, split):
    x, tx = _pair((6, 4), 20)
    y, ty = x * 2, tx * 2
    pieces, tpieces = split(y, tg), split(ty, torch)
    assert _graph(pieces) == _graph(tpieces)
    assert [type(p.grad_fn.next_functions[0][0]).__name__ for p in pieces] == \
        [type(p.grad_fn.next_functions[0][0]).__name__ for p in tpieces]


@pytest.mark.parametrize("name,split", CASES, ids=[c[0] for c in CASES])
def test_gradients_with_unused_pieces_match_torch(name, split):
    x, tx = _pair((6, 4), 21)
    rng = np.random.default_rng(22)
    pieces, tpieces = split(x, tg), split(tx, torch)
    loss = tloss = 0
    for k, (p, tp) in enumerate(zip(pieces, tpieces)):
        if k % 3 == 1:
            continue
        w = rng.standard_normal(tuple(tp.shape))
        loss = loss + (p * tg.tensor(w)).pow(2).sum()
        tloss = tloss + (tp * torch.tensor(w)).pow(2).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert x.grad.dtype == tg.float64


@pytest.mark.parametrize("name,split", CASES[:9], ids=[c[0] for c in CASES[:9]])
def test_double_backward_matches_torch(name, split):
    x, tx = _pair((6, 4), 23)
    ps, tps = split(x, tg), split(tx, torch)
    g, = tg.autograd.grad((ps[1] ** 3).sum(), x, create_graph=True)
    tg_, = torch.autograd.grad((tps[1] ** 3).sum(), tx, create_graph=True)
    assert type(g.grad_fn).__name__ == type(tg_.grad_fn).__name__
    assert [e[0] is None for e in g.grad_fn.next_functions] == [e[0] is None for e in tg_.grad_fn.next_functions]
    gg, = tg.autograd.grad((g * g).sum(), x)
    tgg, = torch.autograd.grad((tg_ * tg_).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12, atol=1e-12)


def _message(fn):
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value)


@pytest.mark.parametrize("name,split,k", [("unbind", lambda t: t.unbind(0), 2), ("split", lambda t: t.split(2), 1),
                                          ("sizes", lambda t: t.split([1, 2]), 1), ("chunk", lambda t: t.chunk(3), 0)])
def test_in_place_message_matches_torch(name, split, k):
    x, tx = _pair((3, 2), 24)
    assert _message(lambda: split(x * 1)[k].mul_(2)) == _message(lambda: split(tx * 1)[k].mul_(2))
    assert _message(lambda: split(x * 1)[k][0].add_(1)) == _message(lambda: split(tx * 1)[k][0].add_(1))


def test_hooks_and_retain_grad_match_torch():
    x, tx = _pair((3, 4), 25)
    grads = []
    for t in (x, tx):
        p = t.unbind(1)
        p[2].retain_grad()
        p[0].register_hook(lambda g: g * 10)
        (p[0] * p[2]).sum().backward()
        grads.append((t.grad.detach().numpy(), p[2].grad.detach().numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)
