"""Gaps found by the autograd example programs (tests/programs/autograd_*.py), checked against
PyTorch: ``autograd.grad(is_grads_batched=True)``, non-reentrant ``checkpoint`` (the ops' own graph,
early stop, determinism errors), and the ``grad_fn._saved_*`` / ``_raw_saved_*`` attributes."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import (  # noqa: E402
    assert_same_error, assert_same_result, assert_values_close, run_in_both,
)

RNG = np.random.default_rng(7)
X3 = RNG.standard_normal(3)
W23 = RNG.standard_normal((2, 3))


# --------------------------------------------------------------------------- is_grads_batched
def test_grad_batched_rows_of_the_identity_give_the_jacobian():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        y = x.sin() * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
        return m.autograd.grad(y, x, grad_outputs=m.eye(3, dtype=m.float64), is_grads_batched=True)
    assert_same_result(*run_in_both(case))


def test_grad_batched_several_outputs_and_unused_inputs():
    def case(m, **kw):
        x = m.tensor(X3, requires_grad=True)
        w = m.tensor(X3, requires_grad=True)
        y, z = x * 2, (x ** 2).sum()
        go = (m.ones(2, 3, dtype=m.float64), m.tensor([1.0, -1.0], dtype=m.float64))
        return m.autograd.grad((y, z), (x, w), grad_outputs=go, is_grads_batched=True, **kw)
    assert_same_result(*run_in_both(lambda m: case(m, allow_unused=True)))
    # materialized zeros have no batch dimension in PyTorch
    assert_same_result(*run_in_both(lambda m: case(m, materialize_grads=True)))
    assert_same_error(lambda m: case(m))


def test_grad_batched_create_graph_allows_a_second_derivative():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        (g,) = m.autograd.grad(x.pow(3), x, grad_outputs=m.eye(3, dtype=m.float64), is_grads_batched=True,
                               create_graph=True)
        return g.requires_grad, m.autograd.grad(g.sum(), x)
    assert_same_result(*run_in_both(case))


def test_grad_batched_frees_the_graph_unless_retained():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        y = x.exp()
        m.autograd.grad(y, x, grad_outputs=m.eye(3, dtype=m.float64), is_grads_batched=True)
        return m.autograd.grad(y, x, grad_outputs=m.eye(3, dtype=m.float64), is_grads_batched=True)
    assert_same_error(case, normalize=lambda s: s.split(".")[0])


@pytest.mark.parametrize("shape", [(3,), (2, 4), (2, 5, 6), (2, 3, 1), (0, 3)])
def test_grad_batched_bad_grad_output_shapes(shape):
    def case(m):
        x = m.tensor(W23, requires_grad=True)
        return m.autograd.grad(x * 2, x, grad_outputs=m.ones(shape), is_grads_batched=True)
    assert_same_error(case)


def test_grad_batched_errors_for_missing_and_mismatched_batches():
    def missing(m):
        x = m.tensor(X3, requires_grad=True)
        return m.autograd.grad(x * 2, x, is_grads_batched=True)

    def scalar(m, go):
        x = m.tensor(X3, requires_grad=True)
        return m.autograd.grad((x * 2).sum(), x, grad_outputs=go(m), is_grads_batched=True)

    def sizes(m):
        x = m.tensor(X3, requires_grad=True)
        return m.autograd.grad((x * 2, x.sum()), x, grad_outputs=(m.ones(2, 3), m.ones(4)), is_grads_batched=True)
    assert_same_error(missing)
    assert_same_error(lambda m: scalar(m, lambda m: None))
    assert_same_error(lambda m: scalar(m, lambda m: m.tensor(1.0)))
    assert_same_error(sizes)
    ours, theirs = run_in_both(lambda m: scalar(m, lambda m: m.tensor([1.0, 2.0])))
    assert_values_close(ours[0], theirs[0])


# --------------------------------------------------------------------------- non-reentrant checkpoint
def _checkpointed_mlp(m, calls, **kw):
    m.manual_seed(0)
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 4), m.nn.Tanh())
    net[2].register_forward_hook(lambda mod, i, o: calls.append("fwd"))
    x = m.tensor(W23, dtype=m.float32, requires_grad=True)
    h = m.utils.checkpoint.checkpoint(net, x, use_reentrant=False, **kw)
    return net, x, h


def test_non_reentrant_checkpoint_keeps_the_ops_own_graph():
    def case(m):
        calls = []
        net, x, h = _checkpointed_mlp(m, calls)
        names = h.grad_fn.name(), h.grad_fn.next_functions[0][0].name()
        h.pow(2).sum().backward()
        return names, calls, x.grad, net[0].weight.grad
    ours, theirs = run_in_both(case)
    assert ours[:2] == theirs[:2]
    assert_values_close(ours[2], theirs[2], rtol=1e-5, atol=1e-6)
    assert_values_close(ours[3], theirs[3], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("early_stop", [True, False])
def test_non_reentrant_recomputation_stops_after_the_last_saved_tensor(early_stop):
    # the last tensor the forward saves is net[2]'s input, inside net[2]'s forward: with early
    # stop the recomputation ends there, before net[2]'s forward hook runs a second time
    def case(m):
        calls = []
        net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 4))
        net[2].register_forward_hook(lambda mod, i, o: calls.append("fwd"))
        x = m.tensor(W23, dtype=m.float32, requires_grad=True)
        h = m.utils.checkpoint.checkpoint(net, x, use_reentrant=False, early_stop=early_stop)
        h.sum().backward()
        return calls
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_set_checkpoint_early_stop_overrides_the_argument():
    def case(m):
        calls = []
        lin = m.nn.Linear(3, 3)
        lin.register_forward_hook(lambda mod, i, o: calls.append("fwd"))
        x = m.tensor(W23, dtype=m.float32, requires_grad=True)
        with m.utils.checkpoint.set_checkpoint_early_stop(False):
            h = m.utils.checkpoint.checkpoint(lin, x, use_reentrant=False)
            h.sum().backward()
        return calls
    ours, theirs = run_in_both(case)
    assert ours == theirs == ["fwd", "fwd"]


def test_non_reentrant_checkpoint_retain_graph_recomputes_again():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        y = m.utils.checkpoint.checkpoint(lambda t: t.sin().exp(), x, use_reentrant=False)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return x.grad
    assert_same_result(*run_in_both(case))


def test_non_reentrant_checkpoint_passes_inputs_through_and_respects_no_grad():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        same = m.utils.checkpoint.checkpoint(lambda t: t, x, use_reentrant=False) is x
        with m.no_grad():
            off = m.utils.checkpoint.checkpoint(lambda t: t.sin(), x, use_reentrant=False).requires_grad
        detached = m.utils.checkpoint.checkpoint(lambda t: t.sin(), x.detach(), use_reentrant=False).requires_grad
        return same, off, detached
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_non_reentrant_checkpoint_dropout_is_replayed_with_the_same_mask():
    def case(m):
        m.manual_seed(3)
        drop = m.nn.Sequential(m.nn.Linear(3, 3), m.nn.Dropout(0.5))
        x = m.tensor(W23, dtype=m.float32, requires_grad=True)
        m.manual_seed(4)
        y = m.utils.checkpoint.checkpoint(drop, x, use_reentrant=False)
        (y * y).sum().backward()
        return y, x.grad, drop[0].weight.grad
    ours, theirs = run_in_both(case)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t, rtol=1e-5, atol=1e-6)


def _changing(m, first, then):
    count = [0]

    def f(t):
        count[0] += 1
        return first(t) if count[0] == 1 else then(t)
    x = m.tensor(X3, dtype=m.float32, requires_grad=True)
    return m.utils.checkpoint.checkpoint(f, x, use_reentrant=False)


def test_non_reentrant_checkpoint_metadata_and_count_errors():
    assert_same_error(lambda m: _changing(m, lambda t: (t * t).sin(), lambda t: (t[:2] * t[:2]).sin()).sum()
                      .backward())
    assert_same_error(lambda m: _changing(m, lambda t: t.exp().sin(), lambda t: t.sin() * 1).sum().backward())
    err = assert_same_error(lambda m: _changing(m, lambda t: t.exp().sin(), lambda t: t.sin() * 1).sum().backward())
    assert isinstance(err, RuntimeError) and type(err).__name__ == "CheckpointError"



def test_non_reentrant_checkpoint_determinism_check_none():
    # the recomputation saves other values than the forward did: not checked, they are used
    def case(m):
        count = [0]

        def f(t):
            count[0] += 1
            return t.exp() * (1.0 if count[0] == 1 else 2.0)
        x = m.tensor(X3, requires_grad=True)
        y = m.utils.checkpoint.checkpoint(f, x, use_reentrant=False, determinism_check="none")
        y.sum().backward()
        return x.grad
    assert_same_result(*run_in_both(case))


# --------------------------------------------------------------------------- grad_fn._saved_*
def _saved(m, make, names):
    a = m.tensor(X3, requires_grad=True)
    b = m.tensor(X3[::-1].copy(), requires_grad=True)
    out = make(m, a, b)
    res = []
    for n in names:
        try:
            v = getattr(out.grad_fn, n)
        except Exception as e:  # noqa: BLE001 - the outcome is compared
            res.append((type(e).__name__, str(e).split(".")[0][:60]))
            continue
        if hasattr(v, "shape"):
            res.append(("tensor", tuple(v.shape), v is a, v is b, v.requires_grad,
                        None if v.grad_fn is None else type(v.grad_fn).__name__, v.tolist()))
        else:
            res.append(v)
    return res


@pytest.mark.parametrize("make,names", [
    (lambda m, a, b: a * b, ["_saved_self", "_saved_other", "_saved_result"]),
    (lambda m, a, b: a * b.detach(), ["_saved_self", "_saved_other"]),
    (lambda m, a, b: a * 3, ["_saved_self", "_saved_other"]),
    (lambda m, a, b: a + b, ["_saved_self", "_saved_other"]),
    (lambda m, a, b: a.exp(), ["_saved_result", "_saved_self"]),
    (lambda m, a, b: a.sin(), ["_saved_self"]),
    (lambda m, a, b: a.pow(3), ["_saved_self", "_saved_exponent"]),
    (lambda m, a, b: a.sum(dim=0, keepdim=True), ["_saved_dim", "_saved_keepdim", "_saved_self_sym_sizes"]),
    (lambda m, a, b: a.mean(), ["_saved_self_sym_sizes", "_saved_self_sym_numel"]),
    (lambda m, a, b: a.tanh(), ["_saved_result"]),
    (lambda m, a, b: a / b, ["_saved_self", "_saved_other"]),
    (lambda m, a, b: a.unsqueeze(0) @ b.unsqueeze(1), ["_saved_self", "_saved_mat2"]),
    (lambda m, a, b: a.sigmoid(), ["_raw_saved_self", "_saved_nothing"]),
])
def test_saved_attributes(make, names):
    ours, theirs = run_in_both(lambda m: _saved(m, make, names))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        if isinstance(t, tuple) and t and t[0] == "tensor":
            assert o[:6] == t[:6]
            np.testing.assert_allclose(o[6], t[6], rtol=1e-12)
        else:
            assert o == t


def test_saved_tensor_after_backward_is_freed():
    def case(m):
        a = m.tensor(X3, requires_grad=True)
        y = a * a
        y.sum().backward()
        return y.grad_fn._saved_self
    assert_same_error(case)


def test_raw_saved_register_hooks():
    def case(m):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        ev = []
        y = w.pow(2)
        raw = y.grad_fn._raw_saved_self
        raw.register_hooks(lambda t: ev.append("pack") or t * 10, lambda t: ev.append("unpack") or t)
        first = list(ev)
        seen = y.grad_fn._saved_self.tolist()
        y.sum().backward()
        z = w.exp()
        z.grad_fn._raw_saved_result.register_hooks(lambda t: t * 0, lambda t: t)
        z.sum().backward()
        return first, seen, ev, w.grad.tolist()
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_raw_saved_register_hooks_errors():
    def twice(m):
        y = m.tensor([1.0, 2.0], requires_grad=True).pow(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)

    def freed(m):
        y = m.tensor([1.0, 2.0], requires_grad=True).pow(2)
        raw = y.grad_fn._raw_saved_self
        y.sum().backward()
        raw.register_hooks(lambda t: t, lambda t: t)

    def none(m):
        y = m.tensor([1.0, 2.0], requires_grad=True) * m.ones(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)

    def under_context(m):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = w.sin()
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)

    def bad_unpack(m):
        y = m.tensor([1.0, 2.0], requires_grad=True).sin()
        y.grad_fn._raw_saved_self.register_hooks(lambda t: 5, lambda t: 5)
        y.sum().backward()
    for case in (twice, freed, none, under_context, bad_unpack):
        assert_same_error(case)
    assert_same_error(lambda m: m.tensor([1.0], requires_grad=True).sin().grad_fn._raw_saved_self.register_hooks(
        1, lambda t: t), normalize=lambda s: s.split("\n\n")[0])


# --------------------------------------------------------------------------- gradcheck's extra checks
def _function(m, backward):
    class F(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return backward(x, g)
    return F


def test_gradcheck_reports_a_backward_that_is_not_reentrant():
    def case(m, **kw):
        count = [0]

        def backward(x, g):
            count[0] += 1
            return 2 * x * g * (1 + 1e-9 * count[0])
        x = m.tensor(X3, requires_grad=True)
        return m.autograd.gradcheck(_function(m, backward).apply, (x,), **kw)
    err = assert_same_error(case)
    assert type(err).__name__ == "GradcheckError"
    ours, theirs = run_in_both(lambda m: (case(m, raise_exception=False), case(m, nondet_tol=1e-6)))
    assert ours == theirs == (False, True)


def test_gradcheck_reports_a_backward_not_multiplied_by_grad_output():
    def case(m, **kw):
        def backward(x, g):
            return 2 * x * g + (1.0 if bool((g == 0).all()) else 0.0)
        x = m.tensor(X3, requires_grad=True)
        return m.autograd.gradcheck(_function(m, backward).apply, (x,), **kw)
    assert_same_error(case)
    ours, theirs = run_in_both(lambda m: case(m, raise_exception=False))
    assert ours is theirs is False


def test_gradcheck_takes_each_vjp_twice_then_a_zero_one():
    def case(m):
        seen = []

        def backward(x, g):
            seen.append(g.tolist())
            return 2 * x * g
        x = m.tensor(W23, requires_grad=True)
        m.autograd.gradcheck(_function(m, backward).apply, (x,), check_undefined_grad=False)
        return seen
    ours, theirs = run_in_both(case)
    # PyTorch's check_undefined_grad adds one more backward, with undefined (zero) grads
    assert ours == theirs[:len(ours)] and len(ours) == 2 * W23.size + 1


def test_gradgradcheck_draws_its_grad_outputs_from_the_global_generator():
    def case(m):
        x = m.tensor(X3, requires_grad=True)
        y = m.tensor(W23, requires_grad=True)
        m.manual_seed(0)
        ok = m.autograd.gradgradcheck(lambda a, b: (a.sin(), b * 2), (x, y))
        return ok, m.rand(3).tolist()
    ours, theirs = run_in_both(case)
    assert ours[0] is theirs[0] is True
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


# --------------------------------------------------------------------------- torch.func.linearize
def test_linearize_values_and_structure():
    def case(m):
        x = m.tensor(X3)
        out, fn = m.func.linearize(lambda a, b: (a.sin() * b, {"s": a.exp().sum()}), x, m.ones(3, dtype=m.float64))
        return out, fn(m.ones(3, dtype=m.float64), m.tensor(X3)), fn(m.zeros(3, dtype=m.float64),
                                                                       m.ones(3, dtype=m.float64))
    assert_same_result(*run_in_both(case))


def test_linearize_keeps_the_history_of_primals_that_require_grad():
    def case(m):
        out, fn = m.func.linearize(lambda a: a.exp(), m.tensor(X3, requires_grad=True))
        return out, fn(m.ones(3, dtype=m.float64))
    assert_same_result(*run_in_both(case))


@pytest.mark.parametrize("tangents", [
    lambda m: (m.ones(4, dtype=m.float64),),
    lambda m: (m.ones(3, dtype=m.float64), m.ones(3, dtype=m.float64)),
    lambda m: (m.ones(3, dtype=m.float32),),
    lambda m: (),
])
def test_linearize_checks_the_tangents(tangents):
    def case(m):
        _, fn = m.func.linearize(m.sin, m.tensor(X3))
        return fn(*tangents(m))
    assert_same_error(case)


# --------------------------------------------------------------------------- torch.autograd.graph API
def _grads_summary(gs):
    return [None if g is None else g.tolist() for g in gs]


def test_multi_grad_hook_all_mode_waits_for_the_tensors_the_pass_reaches():
    def case(m):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.tensor([3.0, 4.0], requires_grad=True)
        seen = []
        handle = m.autograd.graph.register_multi_grad_hook((a, b), lambda gs: seen.append(_grads_summary(gs)) or 5)
        (a * b).sum().backward()            # both reached
        (a * 2).sum().backward()            # b is not in this graph: not waited for
        c = a * 1
        m.autograd.graph.register_multi_grad_hook((c, b * 1), lambda gs: seen.append(_grads_summary(gs)))
        (c * b).sum().backward(inputs=[a])  # b * 1 is not needed for the requested input
        x = a * b
        x.sum().backward(retain_graph=True)
        x.sum().backward()                  # each pass calls the hook again
        handle.remove()
        (a * b).sum().backward()
        return seen, type(handle).__name__
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_multi_grad_hook_any_mode_and_non_leaf_tensors():
    def case(m):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        seen = []
        m.autograd.graph.register_multi_grad_hook((h, a), lambda g: seen.append(g.tolist()) or g * 0, mode="any")
        (h * h).sum().backward(retain_graph=True)
        (h * 2).sum().backward()
        return seen, a.grad.tolist()
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_multi_grad_hook_errors():
    assert_same_error(lambda m: m.autograd.graph.register_multi_grad_hook(
        (m.ones(2, requires_grad=True),), lambda gs: None, mode="some"))
    assert_same_error(lambda m: m.autograd.graph.register_multi_grad_hook(
        (m.ones(2, requires_grad=True), m.ones(2)), lambda gs: None))


def test_gradient_edges_as_grad_inputs():
    def case(m):
        x = m.tensor(W23, requires_grad=True)
        h = x.tanh()
        parts = x.unbind()
        out = (h * 3).sum() + (parts[1] * 2).sum()
        eh = m.autograd.graph.get_gradient_edge(h)
        ex = m.autograd.graph.get_gradient_edge(x)
        e1 = m.autograd.graph.get_gradient_edge(parts[1])
        names = [e.node.name() for e in (eh, ex, e1)] + [e1.output_nr, type(eh).__name__, list(type(eh)._fields)]
        return names, m.autograd.grad(out, eh, retain_graph=True), m.autograd.grad(out, [ex, e1, x])
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    assert_same_result(ours[1:], theirs[1:])
    assert_same_error(lambda m: m.autograd.graph.get_gradient_edge(m.ones(2)))


def test_increment_version():
    def case(m):
        w = m.tensor(X3, requires_grad=True)
        s = w.sigmoid()
        m.autograd.graph.increment_version(s)
        m.autograd.graph.increment_version([s, w.detach()])
        with m.inference_mode():
            it = m.ones(2)
        m.autograd.graph.increment_version(it)
        return s._version
    ours, theirs = run_in_both(case)
    assert ours == theirs == 2

    def stale(m):
        s = m.tensor(X3, requires_grad=True).sigmoid()
        m.autograd.graph.increment_version(s)
        s.sum().backward()
    assert_same_error(stale)


def test_allow_mutation_on_saved_tensors():
    def case(m):
        with m.autograd.graph.allow_mutation_on_saved_tensors() as ctx:
            v = m.tensor(X3, requires_grad=True)
            t = v.clone()
            y = (t * t).exp()
            t.mul_(2)
            y.sum().backward()
        return type(ctx).__name__, v.grad
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    assert_values_close(ours[1], theirs[1])

    def outside(m):
        with m.autograd.graph.allow_mutation_on_saved_tensors():
            v = m.tensor(X3, requires_grad=True)
            y = v.clone() * v
        y.sum().backward()

    def nested(m):
        with m.autograd.graph.allow_mutation_on_saved_tensors():
            with m.autograd.graph.allow_mutation_on_saved_tensors():
                pass
    assert_same_error(outside)
    assert_same_error(nested)


# --------------------------------------------------------------------------- custom Function details
def test_function_defining_vjp_instead_of_backward():
    def case(m):
        class VjpOnly(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def vjp(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y * 2
        x = m.tensor(X3, requires_grad=True)
        VjpOnly.apply(x).sum().backward()
        return x.grad, VjpOnly.backward is VjpOnly.vjp
    ours, theirs = run_in_both(case)
    assert ours[1] is theirs[1] is False
    assert_values_close(ours[0], theirs[0])


def test_function_defining_both_backward_and_vjp_is_an_error():
    def case(m):
        class Both(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

            vjp = backward
        Both.apply(m.ones(2, requires_grad=True)).sum().backward()
    assert_same_error(case)


def _dirty_view_case(m, make_view):
    class DirtyView(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            x.add_(y)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3, g * 5
    leaf = m.tensor(np.arange(4.0), requires_grad=True)
    y = m.ones(2, dtype=m.float64, requires_grad=True)
    base = leaf.clone()
    view = make_view(base)
    r = DirtyView.apply(view, y)
    names = (r is view, r.grad_fn.name(), base.grad_fn.name(), view._version, base._version, r._base is base)
    (base * m.tensor(np.arange(1.0, 5.0))).sum().backward()
    return names, base, leaf.grad, y.grad


@pytest.mark.parametrize("make_view", [lambda b: b[:2], lambda b: b[1:3], lambda b: b.view(2, 2)[1]])
def test_mark_dirty_on_a_view_rewrites_the_base_history(make_view):
    ours, theirs = run_in_both(lambda m: _dirty_view_case(m, make_view))
    assert ours[0] == theirs[0]
    assert_same_result(ours[1:], theirs[1:])


# --------------------------------------------------------------------------- grad-mode switches
@pytest.mark.parametrize("value", [1, 0, None, 1.0, "yes"])
def test_set_grad_enabled_wants_a_bool(value):
    assert_same_error(lambda m: m.set_grad_enabled(value))
    assert_same_error(lambda m: m.autograd.set_multithreading_enabled(value))
    ours, theirs = run_in_both(lambda m: m.is_grad_enabled())
    assert ours is theirs is True


def test_set_grad_enabled_repr():
    def case(m):
        text = [repr(m.set_grad_enabled(False)), repr(m.set_grad_enabled(mode=True))]
        with m.set_grad_enabled(False) as c:
            text.append(repr(c))
        return text, m.is_grad_enabled()
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_set_multithreading_enabled():
    def case(m):
        seen = [m.autograd.is_multithreading_enabled()]
        c = m.autograd.set_multithreading_enabled(False)
        seen.append(m.autograd.is_multithreading_enabled())
        with c:
            seen.append(m.autograd.is_multithreading_enabled())
        seen.append(m.autograd.is_multithreading_enabled())
        with m.autograd.grad_mode.set_multithreading_enabled(False):
            seen.append(m.autograd.is_multithreading_enabled())
        seen.append(m.autograd.is_multithreading_enabled())

        @m.autograd.set_multithreading_enabled(False)
        def f():
            return m.autograd.is_multithreading_enabled()
        seen += [f(), m.autograd.is_multithreading_enabled()]
        m.autograd.set_multithreading_enabled(True)
        return seen
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_non_reentrant_checkpoint_double_backward_nesting_and_kwargs():
    def case(m):
        cp = m.utils.checkpoint.checkpoint
        x = m.tensor(X3, requires_grad=True)
        w = m.tensor(X3[::-1].copy(), requires_grad=True)
        g = m.autograd.grad(cp(lambda t: (t.sin() * w).sum(), x, use_reentrant=False), (x, w), create_graph=True)
        gg = m.autograd.grad(g[0].sum() + g[1].pow(2).sum(), (x, w))

        def outer(t):
            return cp(lambda u: (u * w).sin(), t.exp(), use_reentrant=False).cos() * t
        cp(outer, x, use_reentrant=False).sum().backward()

        def multi(t, scale=2.0):
            return t * scale, None, 3, (t.sin(),)
        o = cp(multi, x, use_reentrant=False, scale=3.0)
        (o[0].sum() + o[3][0].sum()).backward()
        return g, gg, x.grad, w.grad, o[1:3], o[0].grad_fn.name()
    ours, theirs = run_in_both(case)
    assert ours[4:] == theirs[4:]
    assert [t.requires_grad for t in ours[0]] == [t.requires_grad for t in theirs[0]]
    assert_same_result(ours[:4], theirs[:4])


# --------------------------------------------------------------------------- backward / grad argument errors
@pytest.mark.parametrize("shape,gshape", [((3,), ()), ((1,), ()), ((2, 2), ()), ((1,), (1, 1)), ((), (1,))])
def test_grad_output_shape_must_match_exactly(shape, gshape):
    def backward(m):
        x = m.ones(shape, requires_grad=True)
        (x * 1).backward(m.ones(gshape))

    def grad(m):
        x = m.ones(shape, requires_grad=True)
        m.autograd.grad(x * 1, x, m.ones(gshape))
    assert_same_error(backward)
    assert_same_error(grad)


def test_backward_inputs_that_do_not_require_grad():
    def case(m):
        x = m.ones(3, requires_grad=True)
        (x * 2).backward(m.ones(3), inputs=[m.ones(2)])
    assert_same_error(case)
    assert_same_error(lambda m: m.autograd.grad((m.ones(3, requires_grad=True) * 2).sum(), m.ones(3)))


def test_only_inputs_warning_names_torch_autograd_backward():
    def case(m):
        x = m.ones(3, requires_grad=True)
        with pytest.warns(FutureWarning) as rec:
            m.autograd.grad((x * 2).sum(), x, only_inputs=False)
        return str(rec[0].message)
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_non_reentrant_checkpoint_inputs_go_through_the_callers_saved_tensor_hooks():
    def case(m):
        events = []
        x = m.tensor(X3, requires_grad=True)
        w = m.tensor(X3[::-1].copy(), requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(lambda t: events.append("pack") or t,
                                                  lambda t: events.append("unpack") or t):
            y = m.utils.checkpoint.checkpoint(lambda t: t.sin().exp(), x, use_reentrant=False) * w
        y.sum().backward()
        return events, x.grad, w.grad
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    assert_same_result(ours[1:], theirs[1:])
