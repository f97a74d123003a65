"""The batched backward walk (``autograd/batched_backward.py``) behind ``grad(...,
is_grads_batched=True)``, ``func.jacrev``, ``func.jacfwd`` and ``func.hessian``: every formula
declared batch-safe gives the per-entry loop's values on the op's conformance samples; graphs
with hooks, custom Functions or anomaly mode keep the loop's values and hooks see per-entry
gradients; the Jacobians match PyTorch 2.13's (numbers computed with torch 2.13, hard-coded)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.autograd as ag
import tensorgraft.func as func
from tensorgraft.autograd.batched_backward import batched_formula, try_batched_backward
from tensorgraft.registry import registry
from tensorgraft.testing._conformance_checks import _frontend, _get_samples
from tensorgraft.testing.conformance import _info

N = 3  # batch entries


def _batch_safe_ops():
    names = []
    for name, op in sorted(registry.ops.items()):
        f = op.formula
        if f is not None and getattr(f, "batched", None) is not None and _info(op).get("samples") is not None:
            names.append(name)
    return names


def _leaves(args):
    """The sample's floating-point tensors as fresh float64 leaves (a dtype the finite checks trust)."""
    leaves = []

    def leaf(a):
        if isinstance(a, tg.Tensor) and a.is_floating_point():
            a = a.detach().to(tg.float64).requires_grad_()
            leaves.append(a)
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, tg.Tensor) for x in a):  # (cat, stack)
            a = type(a)(leaf(x) for x in a)
        return a
    return [leaf(a) for a in args], leaves


def _outputs(res):
    res = res if isinstance(res, (tuple, list)) else (res,)
    return [r for r in res if isinstance(r, tg.Tensor) and r.requires_grad]


def _per_entry(outs, leaves, grads):
    cols = []
    for b in range(N):
        cols.append(ag.grad(outs, leaves, [g[b] for g in grads], retain_graph=True, allow_unused=True))
    return [None if col[0] is None else np.stack([c.numpy() for c in col]) for col in zip(*cols)]


def test_some_formulas_are_declared_batch_safe():
    names = _batch_safe_ops()
    for expected in ("mul", "add", "mm", "matmul", "sum", "view", "tanh", "tanh_backward", "softmax", "_slice"):
        assert expected in names


@pytest.mark.parametrize("name", _batch_safe_ops())
def test_batched_formula_matches_per_entry_loop(name):
    op = registry.ops[name]
    samples = _get_samples(_info(op), tg.float64, "cpu")
    rng = np.random.default_rng(0)
    tried = 0
    for s in samples:
        args, leaves = _leaves(s.args)
        if not leaves:
            continue
        try:
            res = _frontend(op)(*args, **s.kwargs)
        except Exception:  # (a sample of an error case, or one that needs another dtype)
            continue
        outs = _outputs(res)
        if not outs or any(o.grad_fn is None for o in outs):
            continue
        if batched_formula(outs[0].grad_fn) is None:
            continue  # (the sample records another op's node, e.g. a reroute)
        grads = [tg.tensor(rng.standard_normal((N, *o.shape)), dtype=o.dtype) for o in outs]
        expected = _per_entry(outs, leaves, grads)
        got = try_batched_backward(outs, grads, True, False, leaves, True, N)
        assert got is not None
        for e, r in zip(expected, got):
            if e is None:
                continue
            assert r is not None and tuple(r.shape) == e.shape
            np.testing.assert_allclose(r.numpy(), e, rtol=1e-6, atol=1e-9, equal_nan=True)
        # under create_graph too: the same values, and the result differentiable again
        got = try_batched_backward(outs, grads, True, True, leaves, True, N)
        for e, r in zip(expected, got):
            if e is not None:
                np.testing.assert_allclose(r.detach().numpy(), e, rtol=1e-6, atol=1e-9, equal_nan=True)
        tried += 1
    assert tried or not samples or name in _NO_USABLE_SAMPLE


# ops whose samples all need something this sweep does not build (integer inputs only, say)
# (contiguous of a contiguous tensor returns it: no node)
_NO_USABLE_SAMPLE = frozenset({"contiguous"})


# --------------------------------------------------------------------------- graphs of several ops
def _check_graph(build, shapes, create_graph=False):
    """``build(*leaves)`` -> outputs; the batched walk (taken: not None) equals the per-entry loop."""
    rng = np.random.default_rng(1)
    leaves = [tg.tensor(rng.standard_normal(s), dtype=tg.float64, requires_grad=True) for s in shapes]
    outs = build(*leaves)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    grads = [tg.tensor(rng.standard_normal((N, *o.shape)), dtype=tg.float64) for o in outs]
    expected = _per_entry(outs, leaves, grads)
    got = try_batched_backward(outs, grads, True, create_graph, leaves, True, N)
    assert got is not None
    for e, r in zip(expected, got):
        assert (e is None) == (r is None)
        if e is not None:
            np.testing.assert_allclose(r.detach().numpy(), e, rtol=1e-6, atol=1e-12)
    return got


GRAPHS = {
    "broadcast_mul_add": (lambda a, b: (a * b + a).sin(), [(3,), (4, 3)]),
    "broadcast_size_one": (lambda a, b: (a - b).exp() / (b + 2), [(4, 1), (1, 3)]),
    "matmul_1d_2d": (lambda a, b: a @ b, [(3,), (3, 4)]),
    "matmul_2d_1d": (lambda a, b: a @ b, [(4, 3), (3,)]),
    "matmul_1d_1d": (lambda a, b: a @ b, [(3,), (3,)]),
    "matmul_3d_2d": (lambda a, b: a @ b, [(2, 4, 3), (3, 5)]),
    "matmul_2d_3d": (lambda a, b: a @ b, [(4, 3), (2, 3, 5)]),
    "mm_chain": (lambda a, b: (a.mm(b).tanh().mm(b.t())).relu(), [(4, 3), (3, 3)]),
    "bmm": (lambda a, b: a.bmm(b), [(2, 4, 3), (2, 3, 5)]),
    "addmm": (lambda c, a, b: tg.addmm(c, a, b, beta=0.5, alpha=2.0), [(5,), (4, 3), (3, 5)]),
    "addmv": (lambda c, a, b: tg.addmv(c, a, b), [(4,), (4, 3), (3,)]),
    "addbmm": (lambda c, a, b: tg.addbmm(c, a, b), [(4, 5), (2, 4, 3), (2, 3, 5)]),
    "baddbmm": (lambda c, a, b: tg.baddbmm(c, a, b), [(1, 4, 5), (2, 4, 3), (2, 3, 5)]),
    "reductions": (lambda a: (a.sum(-1), a.sum((0, 2), keepdim=True), a.mean(), a.mean(1)), [(2, 3, 4)]),
    "views": (lambda a: (a.view(-1) * 2, a.permute(2, 0, 1), a.transpose(0, 2), a.unsqueeze(-1), a[0].t()),
              [(2, 3, 4)]),
    "squeeze_expand": (lambda a: a.squeeze(0).unsqueeze(1).expand(3, 2, 4), [(1, 3, 4)]),
    "select_narrow": (lambda a: (a[1], a.narrow(1, 1, 2), a.select(-1, 0), a[:, 1:]), [(3, 4)]),
    "split_partly_used": (lambda a: a.split([1, 2], dim=1)[1] * 3, [(2, 3)]),
    "unbind_partly_used": (lambda a: a.unbind(-1)[0].exp(), [(2, 3)]),
    "stack_cat": (lambda a, b: (tg.stack([a, b], -1), tg.cat([a, b], -1), tg.stack([a, b])), [(2, 3), (2, 3)]),
    "softmax": (lambda a: (a.softmax(-1), a.log_softmax(0), a.softmax(1).sum()), [(3, 4)]),
    "where_pow_div": (lambda a, b: tg.where(a > 0, a ** 2, b.abs() ** a) / (b * b + 1), [(3,), (3,)]),
    # a node with no batched formula (cumsum, flip) runs once per entry inside the batched walk
    "per_entry_nodes": (lambda a: a.cumsum(0).flip(0).sigmoid() * a, [(4, 2)]),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_batched_walk_of_small_graphs(name, create_graph):
    build, shapes = GRAPHS[name]
    _check_graph(build, shapes, create_graph)


def test_per_entry_nodes_are_not_batched():
    a = tg.ones(3, requires_grad=True)
    assert batched_formula(a.cumsum(0).grad_fn) is None
    assert batched_formula(a.exp().grad_fn) is not None


def test_double_backward_through_batched_graph():
    """create_graph=True: the batched result is differentiable, and its gradient is the sum over
    the entries of what the per-entry gradients give."""
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = (x.tanh() * x).sum(0, keepdim=True)
    v = tg.tensor([[1.0], [2.0], [-0.5]], dtype=tg.float64)
    (g,) = ag.grad(y, x, v, create_graph=True, is_grads_batched=True)
    assert g.requires_grad and tuple(g.shape) == (3, 3)
    (gg,) = ag.grad(g.sum(), x, retain_graph=True)
    expected = sum(ag.grad(ag.grad(y, x, v[b], create_graph=True)[0].sum(), x, retain_graph=True)[0]
                   for b in range(3))
    np.testing.assert_allclose(gg.numpy(), expected.numpy(), rtol=1e-12)


def test_graph_is_freed_without_retain_graph():
    x = tg.ones(3, requires_grad=True)
    y = x.exp()
    ag.grad(y, x, tg.ones(2, 3), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        ag.grad(y, x, tg.ones(2, 3), is_grads_batched=True)


def test_unused_input_errors_and_materializes_as_the_loop():
    x, z = tg.ones(3, requires_grad=True), tg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used"):
        ag.grad(y, (x, z), tg.ones(4, 3), is_grads_batched=True, retain_graph=True)
    gx, gz = ag.grad(y, (x, z), tg.ones(4, 3), is_grads_batched=True, materialize_grads=True)
    assert tuple(gx.shape) == (4, 3) and tuple(gz.shape) == (2,)  # (PyTorch: no batch dim on the zeros)
    np.testing.assert_array_equal(gx.numpy(), np.full((4, 3), 2.0))


# --------------------------------------------------------------------------- fallbacks
def _graph():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = x.sin()
    return x, h, (h * x).cumsum(0)


V = tg.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0], [0.5, -1.0, 0.0]])


def _loop_values():
    x, _, y = _graph()
    return np.stack([ag.grad(y, x, V[b], retain_graph=True)[0].numpy() for b in range(len(V))])


@pytest.mark.parametrize("where", ["tensor_hook", "leaf_hook", "prehook", "posthook"])
def test_hooks_see_per_entry_gradients(where):
    x, h, y = _graph()
    seen = []
    if where == "tensor_hook":
        h.register_hook(lambda g: seen.append(tuple(g.shape)))
    elif where == "leaf_hook":
        x.register_hook(lambda g: seen.append(tuple(g.shape)))
    elif where == "prehook":
        h.grad_fn.register_prehook(lambda gs: seen.append(tuple(gs[0].shape)))
    else:
        h.grad_fn.register_hook(lambda gi, go: seen.append(tuple(go[0].shape)))
    assert try_batched_backward([y], [V], True, False, [x], False, len(V)) is None
    (g,) = ag.grad(y, x, V, is_grads_batched=True)
    assert seen == [(3,)] * len(V)
    np.testing.assert_allclose(g.numpy(), _loop_values(), rtol=1e-6)


def test_retain_grad_in_graph_falls_back():
    x, h, y = _graph()
    h.retain_grad()
    assert try_batched_backward([y], [V], True, False, [x], False, len(V)) is None


def test_anomaly_mode_falls_back():
    x, _, y = _graph()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"), ag.detect_anomaly():
        assert try_batched_backward([y], [V], True, False, [x], False, len(V)) is None
        (g,) = ag.grad(y, x, V, is_grads_batched=True)
    np.testing.assert_allclose(g.numpy(), _loop_values(), rtol=1e-6)


def test_saved_tensor_hooks_fall_back_and_unpack_per_entry():
    unpacked = []

    def unpack(t):
        unpacked.append(1)
        return t
    with ag.graph.saved_tensors_hooks(lambda t: t, unpack):
        x, _, y = _graph()
    assert try_batched_backward([y], [V], True, False, [x], False, len(V)) is None
    (g,) = ag.grad(y, x, V, is_grads_batched=True)
    assert len(unpacked) >= len(V)
    np.testing.assert_allclose(g.numpy(), _loop_values(), rtol=1e-6)


class _Cube(ag.Function):
    shapes: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        _Cube.shapes.append(tuple(g.shape))
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


def test_custom_function_runs_once_per_entry_inside_the_batched_walk():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = _Cube.apply(x.exp()).sin()
    _Cube.shapes = []
    got = try_batched_backward([y], [V], True, False, [x], False, len(V))
    assert got is not None and _Cube.shapes == [(3,)] * len(V)
    expected = np.stack([ag.grad(y, x, V[b], retain_graph=True)[0].numpy() for b in range(len(V))])
    np.testing.assert_allclose(got[0].numpy(), expected, rtol=1e-6)


# --------------------------------------------------------------------------- jacrev / jacfwd / hessian
# PyTorch 2.13's values (torch.func on the same inputs, float64, computed separately)
W = [[0.25, -0.5, 1.0], [1.5, 0.75, -2.0]]
X, Y = [0.5, -1.0, 2.0], [0.3, -0.7]
JAC_F = [[[[-0.0020771503925207393, 0.0041543007850414785, -0.008308601570082957],
           [-0.0008045704098155499, -0.00040228520490777494, 0.0010727605464207332]],
          [[0.9895597486128832, 0.9895597486128832], [-0.999329299739067, -0.999329299739067]]],
         [[[[0.3485502728184849, 0.0, 0.0], [0.0, -1.4096268952293336, 0.0]],
           [[0.3485502728184849, 0.0, 0.0], [0.0, -1.4096268952293336, 0.0]]],
          [[[0.5809171213641415, 0.0], [0.0, -2.0137527074704766]],
           [[0.5809171213641415, 0.0], [0.0, -2.0137527074704766]]]]]
HESSIAN_G = [[-5.015053926603485, 2.498142783406824, 10.278397989276247],
             [2.4981427834068235, 9.940498276473962, -2.597924736292267],
             [10.278397989276247, -2.5979247362922666, -40.96728663925839]]
VMAP_JACFWD = [[[-0.0016540834160088194, -0.001654083416008875, 0.003969800198421189],
                [0.0016540834160088042, 0.0016540834160088042, -0.00396980019842113]],
               [[-0.06680366001837279, -0.06680366001837285, 0.16032878404409484],
                [0.06680366001837285, 0.06680366001837285, -0.16032878404409484]]]
JACREV_CHUNK1 = [[0.9780884744535361, 0.09277339989174634, -3.7268070980306516],
                 [-0.02191152554646392, -1.9072266001082536, -3.7268070980306516],
                 [-0.02191152554646392, 0.09277339989174634, 0.2731929019693484]]


def t64(a):
    return tg.tensor(a, dtype=tg.float64)


def f2(x, y):
    return tg.tanh(t64(W) @ x) * y.sum(), (x[:2] * y).exp().unsqueeze(0).expand(2, 2)


def g1(x):
    return tg.sin(tg.tanh(t64(W) @ x)).sum() + (x ** 3).sum() * tg.softmax(x, 0)[0].log()


def _close(got, want):
    if isinstance(want[0], list) and not isinstance(got, tg.Tensor):
        for a, b in zip(got, want):
            _close(a, b)
        return
    np.testing.assert_allclose(got.detach().numpy(), np.array(want), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 5, 100])
def test_jacrev_two_outputs_two_args_in_chunks(chunk_size):
    _close(func.jacrev(f2, argnums=(0, 1), chunk_size=chunk_size)(t64(X), t64(Y)), JAC_F)


def test_jacfwd_two_outputs_two_args():
    jac = func.jacfwd(f2, argnums=(0, 1))(t64(X), t64(Y))
    _close(jac, JAC_F)
    # PyTorch's forward mode gives -0.0 off the diagonal of the second output's block for x
    assert np.signbit(jac[1][0].numpy()[0, 1, 0])


def test_hessian_and_vmap_of_jacfwd():
    _close(func.hessian(g1)(t64(X)), HESSIAN_G)
    xs = t64([X, [x * 0.5 - 1 for x in X]])
    _close(func.vmap(func.jacfwd(lambda u: tg.softmax(t64(W) @ u, 0)))(xs), VMAP_JACFWD)


def test_jacrev_chunk_of_one_row():
    def h(u):
        return tg.log_softmax(u.reshape(1, 3).permute(1, 0) * u[:, None], 0).sum(1)
    _close(func.jacrev(h, chunk_size=1)(t64(X)), JACREV_CHUNK1)


@pytest.mark.parametrize("chunk_size, sizes", [(None, [6]), (1, [1] * 6), (4, [4, 2]), (6, [6]), (9, [6])])
def test_jacrev_takes_chunk_size_rows_per_backward(monkeypatch, chunk_size, sizes):
    import tensorgraft.autograd.batched_backward as bb
    seen = []
    real = bb.try_batched_backward

    def spy(outputs, root_grads, *args):
        seen.append(root_grads[0].shape[0])
        return real(outputs, root_grads, *args)
    monkeypatch.setattr(bb, "try_batched_backward", spy)
    func.jacrev(f2, chunk_size=chunk_size)(t64(X), t64(Y))  # 2 + 4 output elements
    assert seen == sizes


def test_jacfwd_pushes_every_basis_tangent_in_one_backward(monkeypatch):
    import tensorgraft.autograd.batched_backward as bb
    seen = []
    real = bb.try_batched_backward

    def spy(outputs, root_grads, *args):
        seen.append(root_grads[0].shape[0])
        return real(outputs, root_grads, *args)
    monkeypatch.setattr(bb, "try_batched_backward", spy)
    func.jacfwd(f2, argnums=(0, 1))(t64(X), t64(Y))
    assert seen == [5]  # 3 + 2 primal elements
