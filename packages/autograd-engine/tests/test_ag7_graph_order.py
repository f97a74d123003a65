"""The order of the backward pass and the edges of Scalar-overload nodes, as PyTorch 2.13 shows
them (the expected values below were printed by PyTorch).

Order: among the nodes whose gradients are complete, the most recently created runs first and
AccumulateGrad nodes before any other; leaves that become ready together leave PyTorch's binary
heap in its own order (``torch.stack`` of 9 leaves: 0, 2, 6, 8, 5, 7, 4, 1, 3). Hooks see it:
post-accumulate-grad hooks, tensor hooks, node hooks.

Edges: a number passed where PyTorch has a Scalar overload gets no edge (``x.fmod(2)`` lists
``x`` alone), ``2 / x`` is ``x.reciprocal() * 2`` and ``float_power`` converts its operands to
double first (a ToCopyBackward0 node)."""
import numpy as np
import pytest

import tensorgraft as tg


def _edges(t):
    node = t.grad_fn
    return type(node).__name__, [type(n).__name__ if n is not None else None for n, _ in node.next_functions]


def _leaves(n):
    return [tg.tensor([float(i + 1), 0.5 * i], requires_grad=True) for i in range(n)]


def _post_order(ws, loss_of):
    log = []
    for i, w in enumerate(ws):
        w.register_post_accumulate_grad_hook(lambda p, i=i: log.append(i))
    loss_of(ws).backward()
    return log


# ------------------------------------------------------------------ order of the backward pass
@pytest.mark.parametrize("n,expected", [
    (2, [0, 1]), (3, [0, 1, 2]), (4, [0, 2, 1, 3]), (5, [0, 2, 4, 1, 3]), (6, [0, 2, 5, 4, 1, 3]),
    (7, [0, 2, 5, 6, 4, 1, 3]), (8, [0, 2, 6, 5, 7, 4, 1, 3]), (9, [0, 2, 6, 8, 5, 7, 4, 1, 3]),
])
def test_leaves_ready_together_leave_in_heap_order(n, expected):
    assert _post_order(_leaves(n), lambda ws: tg.stack(ws).sum()) == expected


def test_later_nodes_run_first():
    # each leaf reaches the loss through its own node: the one created last runs first
    ws = _leaves(6)
    assert _post_order(ws, lambda ws: tg.cat([w * 1 for w in ws]).sum() + tg.cat(ws).sum()) == [5, 4, 3, 2, 1, 0]
    ws = _leaves(3)
    assert _post_order(ws, lambda ws: (ws[0] * 2 + ws[1] * 3 + ws[2]).sum()) == [2, 1, 0]
    ws = _leaves(3)
    assert _post_order(ws, lambda ws: (ws[2] * ws[0] + ws[1].exp()).sum()) == [1, 2, 0]
    ws = _leaves(3)
    assert _post_order(ws, lambda ws: (ws[0] + ws[0] * ws[1] + ws[2] * ws[0]).sum()) == [2, 0, 1]
    ws = _leaves(8)
    assert _post_order(ws, lambda ws: (ws[0] * ws[1] * ws[2]).sum() + tg.stack(ws[3:]).sum()) == [3, 4, 7, 6, 5, 2, 0, 1]


def test_post_accumulate_and_tensor_hooks_of_a_network_with_a_shared_layer():
    nn = pytest.importorskip("tensorgraft.nn", reason="needs the layers (tensorgraft-nn)")
    tg.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2)

        def forward(self, x):
            h = tg.relu(self.a(x))
            h = tg.relu(self.b(h))
            return self.c(tg.relu(self.b(h)))  # b used twice

    net = Net()
    log = []
    for name, p in net.named_parameters():
        p.register_post_accumulate_grad_hook(lambda p, name=name: log.append("post " + name))
        p.register_hook(lambda g, name=name: log.append("hook " + name))
    net(tg.randn(5, 3)).sum().backward()
    assert log == ["hook c.bias", "post c.bias", "hook c.weight", "post c.weight", "hook b.bias", "post b.bias",
                   "hook b.weight", "post b.weight", "hook a.bias", "post a.bias", "hook a.weight", "post a.weight"]


def test_several_roots_and_non_leaf_hooks_follow_the_same_order():
    a, b = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True)
    log = []
    u = a * b
    v = a.exp()
    w = b * 2
    for name, t in (("u", u), ("v", v), ("w", w)):
        t.register_hook(lambda g, name=name: log.append(name))
    a.register_post_accumulate_grad_hook(lambda p: log.append("a"))
    b.register_post_accumulate_grad_hook(lambda p: log.append("b"))
    tg.autograd.backward([u.sum(), v.sum(), w.sum()])
    # w (created last) first: b is still waiting for u; then v (a waits too), then u
    assert log == ["w", "v", "u", "a", "b"]


def test_sequence_numbers():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    z = y.exp()
    assert z.grad_fn._sequence_nr() > y.grad_fn._sequence_nr()
    acc = y.grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc._sequence_nr() == 2 ** 64 - 1


def test_order_does_not_change_gradients():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4))
    x = tg.tensor(a, requires_grad=True)
    y = (x * x.exp()).sum() + tg.stack([x, x * 2, x.sin()]).sum() + (x @ x.T).sum()
    y.backward()
    want = np.exp(a) + a * np.exp(a) + 3 + np.cos(a) + (a.sum(0)[None, :] * 2).repeat(3, 0)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


# ------------------------------------------------------------------ edges of Scalar overloads
X = [0.5, 1.0, 2.0]


@pytest.mark.parametrize("expr,expected", [
    ("x.fmod(2)", ("FmodBackward0", ["AccumulateGrad"])),
    ("x.remainder(2)", ("RemainderBackward0", ["AccumulateGrad"])),
    ("x % 2", ("RemainderBackward0", ["AccumulateGrad"])),
    ("x.clamp(0, 1)", ("ClampBackward1", ["AccumulateGrad"])),
    ("x.clamp(min=0)", ("ClampBackward1", ["AccumulateGrad"])),
    ("x.clip(max=1)", ("ClampBackward1", ["AccumulateGrad"])),
    ("x.clamp(max=t)", ("ClampBackward0", ["AccumulateGrad", None, None])),
    ("x.clamp_min(0)", ("ClampMinBackward0", ["AccumulateGrad"])),
    ("x.clamp_min(t)", ("ClampMinBackward1", ["AccumulateGrad", None])),
    ("x.clamp_max(1)", ("ClampMaxBackward0", ["AccumulateGrad"])),
    ("x.lerp(w, 0.5)", ("LerpBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    ("x.lerp(t, w)", ("LerpBackward1", ["AccumulateGrad", None, "AccumulateGrad"])),
    ("x.xlogy(2)", ("XlogyBackward2", ["AccumulateGrad"])),
    ("tg.xlogy(2, x)", ("XlogyBackward1", ["AccumulateGrad"])),
    ("tg.xlogy(x, t)", ("XlogyBackward0", ["AccumulateGrad", None])),
    ("x.clone().fill_(1)", ("FillBackward2", ["CloneBackward0"])),
    ("x.copysign(-1)", ("CopysignBackward1", ["AccumulateGrad"])),
    ("2 - x", ("RsubBackward1", ["AccumulateGrad"])),
    ("2.5 - x * 1", ("RsubBackward1", ["MulBackward0"])),
    ("tg.rsub(x, 2, alpha=3)", ("RsubBackward1", ["AccumulateGrad"])),
    ("x - 1", ("SubBackward0", ["AccumulateGrad", None])),
    ("2 / x", ("MulBackward0", ["ReciprocalBackward0", None])),
    ("3 / x.sum()", ("MulBackward0", ["ReciprocalBackward0", None])),
    ("x.__rtruediv__(3)", ("MulBackward0", ["ReciprocalBackward0", None])),
    ("x / 2", ("DivBackward0", ["AccumulateGrad", None])),
    ("x.float_power(2)", ("PowBackward0", ["ToCopyBackward0"])),
    ("tg.float_power(2, x)", ("PowBackward2", ["ToCopyBackward0"])),
    ("x.float_power(t)", ("PowBackward1", ["ToCopyBackward0", None])),
    ("x.double().float_power(2)", ("PowBackward0", ["ToCopyBackward0"])),
    ("xd.float_power(2)", ("PowBackward0", ["AccumulateGrad"])),
    ("x.float_power(xd)", ("PowBackward1", ["ToCopyBackward0", "AccumulateGrad"])),
    ("x ** 2", ("PowBackward0", ["AccumulateGrad"])),
    ("2 ** x", ("PowBackward2", ["AccumulateGrad"])),
])
def test_scalar_overload_edges(expr, expected):
    x = tg.tensor(X, requires_grad=True)
    xd = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    t = tg.ones(3)
    w = tg.ones(3, requires_grad=True)
    assert _edges(eval(expr, {"tg": tg, "x": x, "xd": xd, "t": t, "w": w})) == expected


def test_narrowed_nodes_hand_back_one_gradient_per_edge():
    x = tg.tensor(X, requires_grad=True)
    y = x.clamp(0.6, 1.5)
    gi = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: gi.append(len(grad_inputs)))
    y.sum().backward()
    assert gi == [1]
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_reciprocal_graph_of_a_number_over_a_tensor():
    a = np.array([0.3, 1.7, -2.9], dtype=np.float32)
    x = tg.tensor(a, requires_grad=True)
    y = 3 / x
    r = y.grad_fn.next_functions[0][0]
    assert type(r).__name__ == "ReciprocalBackward0"
    assert type(r.next_functions[0][0]).__name__ == "AccumulateGrad"
    np.testing.assert_array_equal(y.detach().numpy(), np.float32(3) / a)
    y.sum().backward()
    # PyTorch's chain: MulBackward0 gives g * 3, ReciprocalBackward0 -(g * 3) * r * r
    rec = np.float32(1) / a
    np.testing.assert_array_equal(x.grad.numpy(), -(np.float32(3) * rec * rec))


def test_float_power_gradient_reaches_the_float32_leaf():
    a = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    x = tg.tensor(a, requires_grad=True)
    y = x.float_power(2.5)
    assert y.dtype == tg.float64
    y.sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_allclose(x.grad.numpy(), (2.5 * a.astype(np.float64) ** 1.5).astype(np.float32), rtol=1e-6)
    g, = tg.autograd.grad(tg.float_power(2, x).sum(), x, create_graph=True)
    assert g.dtype == tg.float32 and g.requires_grad


# ------------------------------------------------------------------ what a tensor hook returns
def _named_double(g):
    return g.double()


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "nonleaf"])
@pytest.mark.parametrize("hook,error,message", [
    (lambda g: tg.ones(3), RuntimeError, "hook '<lambda>' has changed the size of value"),
    (lambda g: g.sum(), RuntimeError, "hook '<lambda>' has changed the size of value"),
    (_named_double, RuntimeError,
     "hook '_named_double' has changed the type of value (was torch.FloatTensor got torch.DoubleTensor)"),
    (lambda g: tg.ones(3, dtype=tg.int64), RuntimeError,
     "hook '<lambda>' has changed the type of value (was torch.FloatTensor got torch.LongTensor)"),
    (lambda g: 3.0, TypeError, "expected Variable, but hook returned 'float'"),
])
def test_tensor_hook_result_is_checked(hook, error, message, leaf):
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    t = w if leaf else w * 1
    t.register_hook(hook)
    with pytest.raises(error) as info:
        (t * 3).sum().backward()
    assert str(info.value) == message
    assert w.grad is None  # refused before anything was accumulated


def test_tensor_hook_of_a_callable_object_is_named_unknown():
    class Scale:
        def __call__(self, g):
            return tg.ones(5)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(Scale())
    with pytest.raises(RuntimeError, match="^hook '<unknown>' has changed the size of value$"):
        (w * 3).sum().backward()


def test_tensor_hook_may_return_a_same_shape_gradient():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: tg.ones(()).expand(2))
    (w * 3).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ backward(inputs=[non-leaf])
def _hooked_chain(log):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    y.register_hook(lambda g: log.append(f"y.hook {g.tolist()}") or g * 10)
    y.grad_fn.register_prehook(lambda go: log.append(f"y.pre {go[0].tolist()}") or (go[0] + 1,))
    y.grad_fn.register_hook(lambda gi, go: log.append(f"y.post {[None if g is None else g.tolist() for g in gi]}"))
    return x, y, z


def test_backward_inputs_runs_the_hooks_of_a_non_leaf_input_node():
    # PyTorch runs the input's node (needing none of its gradients): its hooks fire, None for x
    log = []
    x, y, z = _hooked_chain(log)
    z.sum().backward(inputs=[y])
    assert log == ["y.hook [3.0, 3.0]", "y.pre [30.0, 30.0]", "y.post [None, None]"]
    assert y.grad.tolist() == [30.0, 30.0] and x.grad is None
    log.clear()
    x, y, z = _hooked_chain(log)
    z.sum().backward(inputs=[y, x])
    assert log == ["y.hook [3.0, 3.0]", "y.pre [30.0, 30.0]", "y.post [[62.0, 62.0], None]"]
    assert x.grad.tolist() == [62.0, 62.0]


def test_autograd_grad_does_not_run_the_input_node():
    log = []
    x, y, z = _hooked_chain(log)
    g, = tg.autograd.grad(z.sum(), [y])
    assert log == ["y.hook [3.0, 3.0]"] and g.tolist() == [30.0, 30.0]


def test_backward_inputs_frees_the_input_node_like_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    (y * 3).sum().backward(inputs=[y])
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second time"):
        y.sum().backward()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    tg.autograd.grad((y * 3).sum(), [y])
    y.sum().backward()  # autograd.grad never ran y's node
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_backward_inputs_root_node_hooks():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    z = x.exp()
    log = []
    z.grad_fn.register_prehook(lambda go: log.append("z.pre"))
    z.grad_fn.register_hook(lambda gi, go: log.append("z.post"))
    z.sum().backward(inputs=[z])
    assert log == ["z.pre", "z.post"] and z.grad.tolist() == [1.0, 1.0]


def test_node_hooks_see_none_for_edges_to_no_requested_input():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: seen.append([None if g is None else g.tolist() for g in gi]))
    tg.autograd.grad(c.sum(), [a])
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: seen.append([None if g is None else g.tolist() for g in gi]))
    c.sum().backward(inputs=[b])
    assert seen == [[[1.0, 2.0], None], [None, [1.0, 2.0]]]
    assert a.grad is None and b.grad.tolist() == [1.0, 2.0]
