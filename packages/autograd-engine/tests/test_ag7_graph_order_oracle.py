"""PyTorch as the oracle for what users see of the backward graph: the order in which hooks fire
(post-accumulate-grad hooks, tensor hooks on leaves and non-leaves, retain_grad, Node pre/post
hooks) over random graphs, and the node names and ``next_functions`` of ops given numbers."""
import random

import pytest

torch = pytest.importorskip("torch")

from tensorgraft.testing.oracle import assert_values_close, run_in_both  # noqa: E402


def _random_graph_log(m, trial):
    """Build a random graph over a few leaves (products, sums, stacks, concatenations, exp) with
    hooks on some of its tensors, run backward from one or several roots; the hooks' log."""
    rng = random.Random(trial)
    # float64: long exp chains in float32 grow PyTorch's and NumPy's last-bit differences past tolerance
    leaves = [m.tensor([1.0 + i, 2.0], dtype=m.float64, requires_grad=True) for i in range(rng.randint(1, 9))]
    log = []
    for i, leaf in enumerate(leaves):
        leaf.register_post_accumulate_grad_hook(lambda p, i=i: log.append(f"L{i}"))
        if rng.random() < 0.3:
            leaf.register_hook(lambda g, i=i: log.append(f"H{i}"))
    pool = list(leaves)
    for k in range(rng.randint(1, 12)):
        kind = rng.randrange(5)
        if kind == 0:
            t = rng.choice(pool) * rng.choice(pool)
        elif kind == 1:
            t = rng.choice(pool) + rng.choice(pool)
        elif kind == 2:
            t = m.stack(rng.sample(pool, min(len(pool), rng.randint(1, 5)))).sum(0)
        elif kind == 3:
            t = rng.choice(pool).exp()
        else:
            t = m.cat(rng.choices(pool, k=rng.randint(1, 6))).view(-1, 2).sum(0)
        r = rng.random()
        if r < 0.3:
            t.register_hook(lambda g, k=k: log.append(f"T{k}"))
        elif r < 0.45:
            t.grad_fn.register_prehook(lambda go, k=k: log.append(f"P{k}"))
        elif r < 0.6:
            t.grad_fn.register_hook(lambda gi, go, k=k: log.append(f"N{k}"))
        pool.append(t)
    made = pool[len(leaves):] or pool
    roots = rng.sample(made, min(len(made), rng.randint(1, 3)))
    if rng.random() < 0.5:
        m.autograd.backward([r.sum() for r in roots])
    else:
        sum(r.sum() for r in roots).backward()
    return log, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("trial", range(60))
def test_hook_order_over_random_graphs(trial):
    (ours, our_grads), (theirs, their_grads) = run_in_both(lambda m: _random_graph_log(m, trial))
    assert ours == theirs
    for a, b in zip(our_grads, their_grads):
        assert_values_close(a, b)


def _network_log(m):
    nn = m.nn
    m.manual_seed(0)
    log = []
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 1))
    shared = net[2]
    for name, p in net.named_parameters():
        p.register_post_accumulate_grad_hook(lambda p, name=name: log.append("post " + name))
    x = m.linspace(-1, 1, 12).reshape(4, 3)
    h = shared(net[1](net[0](x))).tanh()
    out = net[4](shared(h).tanh() + h)  # the middle layer twice, and a skip connection
    out.retain_grad()
    out.register_hook(lambda g: log.append("out hook"))
    loss = out.pow(2).mean()
    loss.backward()
    return log, out.grad


def test_post_accumulate_hooks_of_a_network_with_a_shared_layer():
    (ours, og), (theirs, tg_) = run_in_both(_network_log)
    assert ours == theirs
    assert_values_close(og, tg_)


def _hooks_log(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    y.register_hook(lambda g: log.append(f"y.hook1 {g.tolist()}") or g * 10)
    y.retain_grad()
    y.register_hook(lambda g: log.append(f"y.hook2 {g.tolist()}") or g + 1)
    y.grad_fn.register_prehook(lambda go: log.append(f"y.fn.pre {go[0].tolist()}"))
    y.grad_fn.register_hook(lambda gi, go: log.append(
        f"y.fn.post {[t.tolist() if t is not None else None for t in gi]} {go[0].tolist()}"))
    z.grad_fn.register_prehook(lambda go: log.append(f"z.fn.pre {go[0].tolist()}"))
    z.register_hook(lambda g: log.append(f"z.hook {g.tolist()}"))
    x.register_hook(lambda g: log.append(f"x.hook {g.tolist()}"))
    x.register_post_accumulate_grad_hook(lambda p: log.append(f"x.post {p.grad.tolist()}"))
    acc = y.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: log.append(f"acc.pre {go[0].tolist()}"))
    acc.register_hook(lambda gi, go: log.append(f"acc.post {gi} {go[0].tolist()}"))
    z.sum().backward()
    log.append(f"y.grad {y.grad.tolist()} x.grad {x.grad.tolist()}")
    # retain_grad registered before a hook that changes the gradient still keeps the changed one
    a = m.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    b.retain_grad()
    b.register_hook(lambda g: g * 100)
    (b * 2).sum().backward()
    log.append(f"b {b.grad.tolist()} {a.grad.tolist()}")
    # a hook registered before an in-place op sees the gradient of the older value, after the newer
    d0 = m.tensor([1.0, 2.0], requires_grad=True)
    d = d0 * 1
    d.register_hook(lambda g: log.append(f"d.before {g.tolist()}"))
    d.mul_(3)
    d.register_hook(lambda g: log.append(f"d.after {g.tolist()}"))
    d.retain_grad()
    (d * 5).sum().backward()
    log.append(f"d {d.grad.tolist()} {d0.grad.tolist()}")
    # the leaf's hooks run each backward, its post hook sees the accumulated sum
    p = m.tensor([1.0], requires_grad=True)
    p.register_hook(lambda g: log.append(f"p.hook {g.tolist()}") or g * 2)
    p.register_post_accumulate_grad_hook(lambda t: log.append(f"p.post {t.grad.tolist()}"))
    q = p * 3
    q.backward(retain_graph=True)
    q.backward()
    log.append(str(m.autograd.grad((p * 4).sum(), p)[0].tolist()))
    return log


def test_tensor_node_and_retain_grad_hook_order():
    ours, theirs = run_in_both(_hooks_log)
    assert ours == theirs


EXPRESSIONS = [
    "x * 2", "x + 1", "x - 1", "2 - x", "x / 2", "2 / x", "x ** 2", "2 ** x", "x.add(1, alpha=2)",
    "m.add(x, 1)", "x.mul(2)", "m.rsub(x, 2)", "m.rsub(x, x)", "x.sub(1, alpha=3)", "x.div(2)",
    "x.div(2, rounding_mode='floor')", "x.pow(3)", "m.pow(2, x)", "x.true_divide(2)", "x.remainder(2)",
    "x.fmod(2)", "x % 2", "x.fmod(t)", "x.remainder(w)", "x.clamp(0, 1)", "x.clamp(min=0)", "x.clamp(max=t)",
    "x.clamp(w, w)", "x.clip(0, 1)", "x.clamp_min(0)", "x.clamp_min(t)", "x.clamp_max(1)", "x.clamp_max(w)",
    "x.lerp(t, 0.5)", "x.lerp(w, 0.5)", "x.lerp(t, w)", "x.lerp(t, t)", "x.xlogy(2)", "m.xlogy(2, x)",
    "m.xlogy(x, t)", "x.clone().fill_(1)", "x.clone().fill_(m.tensor(1.0))", "x.clamp_min(0.5)",
    "x.float_power(2)", "m.float_power(2, x)", "x.float_power(t)", "x.float_power(xd)", "xd.float_power(2)",
    "x.copysign(-1)", "x.copysign(t)", "3 / x.sum()", "x.__rtruediv__(3)", "x.__rsub__(3)", "2.5 - x",
    "m.where(x > 1, 1.0, x)", "x.masked_fill(x > 1, 1.0)", "x.hypot(t)", "x.atan2(t)", "m.maximum(t, x)",
    "x.addcmul(t, t, value=2)", "m.ldexp(x, t)", "x.clone().mul_(2)", "x.clone().add_(1)", "x.clone().sub_(1)",
    "x.clone().div_(2)", "x.clone().pow_(2)",
]


def _edges_of(m, expr, leaf):
    x = m.tensor([0.5, 1.0, 2.0], requires_grad=True)
    if not leaf:
        x = x * 1
    xd = m.tensor([0.5, 1.0, 2.0], dtype=m.float64, requires_grad=True)
    y = eval(expr, {"m": m, "x": x, "xd": xd, "t": m.ones(3), "w": m.ones(3, requires_grad=True)})
    out = []
    stack = [y.grad_fn]
    while stack:  # two levels deep: the reciprocal and ToCopy nodes in between show
        node = stack.pop()
        out.append((node.name(), [(type(n).__name__ if n is not None else None, nr) for n, nr in node.next_functions]))
        if len(out) < 3:
            stack.extend(n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad")
    return out


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "nonleaf"])
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_node_names_and_edges(expr, leaf):
    ours, theirs = run_in_both(lambda m: _edges_of(m, expr, leaf))
    assert ours == theirs


@pytest.mark.parametrize("expr", ["3 / x", "x.float_power(2.5)", "m.float_power(2, x)", "x.clamp(0.6, 1.5)",
                                  "m.xlogy(x, 2) + m.xlogy(2, x)", "x.fmod(0.3)", "x.lerp(x * 2, 0.3)",
                                  "(2 - x) * x", "x.clone().fill_(2.0) * x"])
def test_gradients_through_the_new_graphs(expr):
    def grads(m):
        x = m.tensor([0.35, 0.8, 1.9, 1.2], requires_grad=True)
        g, = m.autograd.grad(eval(expr, {"m": m, "x": x}).sum(), x, create_graph=True)
        gg = m.autograd.grad(g.sum(), x, allow_unused=True)[0] if g.requires_grad else None
        return g, gg
    (g, gg), (tg_, tgg) = run_in_both(grads)
    assert_values_close(g, tg_, rtol=0, atol=0)
    if tgg is not None:
        assert_values_close(gg, tgg)


def _wrong_dtype(g):
    return g.double()


@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "nonleaf"])
@pytest.mark.parametrize("make_hook", [
    lambda m: (lambda g: m.ones(3)),
    lambda m: (lambda g: g.sum()),
    lambda m: _wrong_dtype,
    lambda m: (lambda g: m.ones(2, dtype=m.int64)),
    lambda m: (lambda g: 3.0),
    lambda m: (lambda g: g * 2),
], ids=["size", "0-d", "dtype", "int", "number", "fine"])
def test_what_a_tensor_hook_returns(make_hook, leaf):
    def run(m):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        t = w if leaf else w * 1
        t.register_hook(make_hook(m))
        try:
            (t * 3).sum().backward()
        except Exception as e:  # noqa: BLE001 - the error is the result compared
            return type(e).__name__, str(e), w.grad
        return None, None, w.grad.tolist()
    ours, theirs = run_in_both(run)
    assert ours == theirs


def _partial_backward_log(m, trial):
    """A random graph with tensor and node hooks; gradients for a few of its tensors (leaves and
    not) by autograd.grad, then by backward(inputs=...)."""
    rng = random.Random(1000 + trial)
    leaves = [m.tensor([1.0 + i, 2.0], dtype=m.float64, requires_grad=True) for i in range(rng.randint(1, 7))]
    log = []
    for i, leaf in enumerate(leaves):
        leaf.register_hook(lambda g, i=i: log.append(f"L{i}"))
    pool = list(leaves)
    for k in range(rng.randint(1, 10)):
        kind = rng.randrange(4)
        if kind == 0:
            t = rng.choice(pool) * rng.choice(pool)
        elif kind == 1:
            t = rng.choice(pool) + rng.choice(pool)
        elif kind == 2:
            t = m.stack(rng.sample(pool, min(len(pool), rng.randint(1, 4)))).sum(0)
        else:
            t = (rng.choice(pool) * 0.1).exp()
        if rng.random() < 0.5:
            t.register_hook(lambda g, k=k: log.append(f"T{k}"))
        if rng.random() < 0.3:
            t.grad_fn.register_prehook(lambda g, k=k: log.append(f"P{k}"))
        if rng.random() < 0.3:
            t.grad_fn.register_hook(lambda gi, go, k=k: log.append(f"N{k} {[g is None for g in gi]}"))
        pool.append(t)
    ins = rng.sample(pool, rng.randint(1, min(3, len(pool))))
    grads = m.autograd.grad(pool[-1].sum(), ins, allow_unused=True, retain_graph=True)
    log.append("|")
    pool[-1].sum().backward(inputs=ins)
    return log, list(grads), [t.grad for t in ins]


@pytest.mark.parametrize("trial", range(40))
def test_hook_order_of_partial_backward(trial):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns on .grad of a non-leaf
        (ours, og, ob), (theirs, tg_, tb) = run_in_both(lambda m: _partial_backward_log(m, trial))
    assert ours == theirs
    for a, b in zip(og + ob, tg_ + tb):
        assert (a is None) == (b is None)
        if a is not None:
            assert_values_close(a, b)
