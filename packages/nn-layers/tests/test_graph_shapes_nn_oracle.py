"""PyTorch as the oracle for the nn graph shapes people print: ``F.linear`` / ``nn.Linear``'s
top node for inputs of rank 1-4, contiguous or not, with and without bias (also after a
batch_first RNN), and the node chain of cross_entropy with probability targets for each
reduction, label smoothing, class weights and a target that requires grad; values and
gradients alike."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402


def names_tree(fn, depth=0, out=None):
    """Every node under ``fn`` (depth-first, edges in order; None for an edge to nothing)."""
    out = [] if out is None else out
    if fn is None:
        out.append((depth, None))
        return out
    out.append((depth, fn.name().replace("torch::autograd::", "")))
    for f, _nr in fn.next_functions:
        names_tree(f, depth + 1, out)
    return out


def without_number_edges(tree):
    """Our Scalar-overload nodes (MulBackward1, DivBackward1, AddBackward1) keep an empty edge for
    the number that PyTorch's do not have; compare the nodes only."""
    return [entry for entry in tree if entry[1] is not None]


LAYOUTS = {
    "1d": ((3,), lambda a: a),
    "2d": ((5, 3), lambda a: a),
    "2d_t": ((3, 5), lambda a: a.t()),
    "3d": ((2, 5, 3), lambda a: a),
    "3d_t01": ((5, 2, 3), lambda a: a.transpose(0, 1)),
    "3d_t12": ((2, 3, 5), lambda a: a.transpose(1, 2)),
    "3d_expanded": ((1, 5, 3), lambda a: a.expand(2, 5, 3)),
    "3d_sliced": ((2, 5, 6), lambda a: a[..., ::2]),
    "3d_empty": ((0, 5, 3), lambda a: a),
    "3d_single_row": ((1, 1, 3), lambda a: a),
    "4d": ((2, 2, 5, 3), lambda a: a),
    "4d_t": ((2, 5, 2, 3), lambda a: a.transpose(1, 2)),
    "4d_t23": ((2, 2, 3, 5), lambda a: a.transpose(2, 3)),
    "2d_broadcast_rows": ((1, 3), lambda a: a.expand(5, 3)),
}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("needs", ["input", "weight"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_linear_top_node_matches_torch(layout, needs, bias):
    rng = np.random.default_rng(21)
    shape, make = LAYOUTS[layout]
    xv = rng.standard_normal(shape).astype(np.float32)
    wv = rng.standard_normal((4, 3)).astype(np.float32)
    bv = rng.standard_normal(4).astype(np.float32)
    got = []
    for m in (torch, tg):
        lin = m.nn.Linear(3, 4, bias=bias)
        with m.no_grad():
            lin.weight.copy_(m.tensor(wv))
            if bias:
                lin.bias.copy_(m.tensor(bv))
        lin.requires_grad_(needs == "weight")
        x_leaf = m.tensor(xv, requires_grad=needs == "input")
        y = lin(make(x_leaf))
        g = m.tensor(np.random.default_rng(22).standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(g)
        grads = [x_leaf.grad] if needs == "input" else [lin.weight.grad] + ([lin.bias.grad] if bias else [])
        got.append((y.grad_fn.name(), y.detach().numpy(), [t.numpy() for t in grads]))
    (tn, tv, tgr), (gn, gv, ggr) = got
    assert gn == tn
    np.testing.assert_allclose(gv, tv, rtol=1e-5, atol=1e-5)
    for a, b in zip(ggr, tgr):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_rnn_into_linear_matches_torch(cell, batch_first):
    names = []
    for m in (torch, tg):
        m.manual_seed(0)
        rnn = getattr(m.nn, cell)(3, 4, batch_first=batch_first)
        out, _ = rnn(m.ones(2, 5, 3))
        names.append((m.nn.Linear(4, 2)(out).grad_fn.name(), m.nn.Linear(4, 2, bias=False)(out).grad_fn.name()))
    assert names[0] == names[1]


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("target_grad", [False, True])
def test_soft_target_cross_entropy_matches_torch(shape, reduction, eps, weighted, target_grad):
    rng = np.random.default_rng(31)
    cdim = 1 if len(shape) > 1 else 0
    xv = rng.standard_normal(shape)
    tv = rng.random(shape)
    tv /= tv.sum(axis=cdim, keepdims=True)
    wv = rng.random(shape[cdim]) + 0.5
    gv = rng.standard_normal(shape[:1] + shape[2:] if len(shape) > 1 else ()) if reduction == "none" else 1.0
    got = []
    for m in (torch, tg):
        x = m.tensor(xv, requires_grad=True)
        t = m.tensor(tv, requires_grad=target_grad)
        w = m.tensor(wv, requires_grad=True) if weighted else None
        loss = m.nn.functional.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=eps)
        loss.backward(m.tensor(gv))
        grads = [x.grad] + ([t.grad] if target_grad else []) + ([w.grad] if weighted else [])
        got.append((without_number_edges(names_tree(loss.grad_fn)), loss.grad_fn.next_functions[0][0].name(),
                    loss.detach().numpy(), [a.numpy() for a in grads], str(loss.dtype).split(".")[-1]))
    (t_tree, t_next, t_val, t_grads, t_dtype), (g_tree, g_next, g_val, g_grads, g_dtype) = got
    assert g_tree == t_tree
    assert g_next == t_next
    assert g_dtype == t_dtype
    np.testing.assert_allclose(g_val, t_val, rtol=1e-10, atol=1e-12)
    for a, b in zip(g_grads, t_grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("target_dtype, weight_dtype", [("float64", None), ("float16", None),
                                                        ("float32", "float64")])
def test_soft_target_cross_entropy_dtype_matches_torch(target_dtype, weight_dtype):
    rng = np.random.default_rng(41)
    xv = rng.standard_normal((4, 3)).astype(np.float32)
    tv = rng.random((4, 3))
    tv /= tv.sum(1, keepdims=True)
    got = []
    for m in (torch, tg):
        x = m.tensor(xv, requires_grad=True)
        t = m.tensor(tv).to(getattr(m, target_dtype))
        w = m.ones(3, dtype=getattr(m, weight_dtype)) if weight_dtype else None
        loss = m.nn.functional.cross_entropy(x, t, weight=w)
        loss.backward()
        got.append((str(loss.dtype).split(".")[-1], loss.item(), x.grad.numpy()))
    assert got[0][0] == got[1][0]
    np.testing.assert_allclose(got[1][1], got[0][1], rtol=1e-6)
    np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-5, atol=1e-7)


def test_soft_target_cross_entropy_empty_batch_matches_torch():
    out = []
    for m in (torch, tg):
        loss = m.nn.functional.cross_entropy(m.ones(0, 3, requires_grad=True), m.ones(0, 3))
        out.append((loss.grad_fn.name(), bool(np.isnan(loss.item()))))
    assert out[0] == out[1]
