"""``grad_fn._saved_*``: PowBackward1/2 keep the result (``_saved_result``), ``2 ** x`` keeps its
base as a number; ``dir(grad_fn)`` and ``hasattr`` list only what the node saved (not every
``_saved_*`` name of every node type, nor a ``_sym_sizes``/``_sym_numel`` it does not keep)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_values_close, run_in_both  # noqa: E402

RNG = np.random.default_rng(10)
X = RNG.uniform(0.5, 2.0, (2, 3))
Y = RNG.uniform(-1.0, 1.0, (2, 3))
M = RNG.standard_normal((3, 4))
V = RNG.standard_normal(3)


def _saved(fn):
    return [n for n in dir(fn) if n.startswith(("_saved_", "_raw_saved_"))]


def _describe(value):
    if hasattr(value, "shape"):
        return ("tensor", tuple(value.shape), None if value.grad_fn is None else type(value.grad_fn).__name__,
                np.asarray(value.detach().tolist()))
    return value


@pytest.mark.parametrize("make", [
    lambda m, x, y: 2 ** x,
    lambda m, x, y: m.pow(2.5, x),
    lambda m, x, y: x ** y,
    lambda m, x, y: x.pow(3),
    lambda m, x, y: x.square(),
    lambda m, x, y: m.xlogy(2, x),
    lambda m, x, y: m.xlogy(x, 3),
])
def test_pow_and_xlogy_saved_values(make):
    def case(m):
        x = m.tensor(X, requires_grad=True)
        y = m.tensor(Y, requires_grad=True)
        fn = make(m, x, y).grad_fn
        return type(fn).__name__, [(n, _describe(getattr(fn, n))) for n in _saved(fn) if n.startswith("_saved_")]
    ours, theirs = run_in_both(case)
    assert ours[0] == theirs[0]
    assert [n for n, _ in ours[1]] == [n for n, _ in theirs[1]]
    for (_, o), (_, t) in zip(ours[1], theirs[1]):
        if isinstance(t, tuple):
            assert o[:3] == t[:3]
            np.testing.assert_allclose(o[3], t[3], rtol=1e-12)
        else:
            assert o == t and type(o) is type(t)


@pytest.mark.parametrize("make", [lambda m, x, y: 2 ** x, lambda m, x, y: x ** y, lambda m, x, y: m.pow(0.5, x)])
def test_pow_gradients_through_the_saved_result(make):
    def case(m):
        x = m.tensor(X, requires_grad=True)
        y = m.tensor(Y, requires_grad=True)
        out = make(m, x, y)
        gx, = m.autograd.grad(out.sum(), x, create_graph=True)
        ggx, = m.autograd.grad(gx.sum(), x)
        return gx.detach(), ggx
    ours, theirs = run_in_both(case)
    for o, t in zip(ours, theirs):
        assert_values_close(o, t)


@pytest.mark.parametrize("make", [
    lambda m, x, y: x + y, lambda m, x, y: x - 2, lambda m, x, y: x * y, lambda m, x, y: x / y,
    lambda m, x, y: -x, lambda m, x, y: x.exp(), lambda m, x, y: x.sin(), lambda m, x, y: x.sum(),
    lambda m, x, y: x.sum(0), lambda m, x, y: x.mean(0), lambda m, x, y: x.mean(),
    lambda m, x, y: x.expand(2, 2, 3), lambda m, x, y: x.squeeze(), lambda m, x, y: x.t(),
    lambda m, x, y: x.relu(), lambda m, x, y: x.tanh(), lambda m, x, y: x.abs(), lambda m, x, y: x.clamp(0, 1),
    lambda m, x, y: x.pow(2), lambda m, x, y: x ** y, lambda m, x, y: 2 ** x, lambda m, x, y: x.sqrt(),
    lambda m, x, y: x.masked_fill(x > 1, 0), lambda m, x, y: x.cumsum(0), lambda m, x, y: x.permute(1, 0),
    lambda m, x, y: x.unsqueeze(0), lambda m, x, y: x.addcmul(y, y), lambda m, x, y: x.addcdiv(y, y, value=2),
    lambda m, x, y: x.lerp(y, 0.5), lambda m, x, y: x.maximum(y), lambda m, x, y: x.atan2(y),
    lambda m, x, y: x.square(), lambda m, x, y: x.hypot(y), lambda m, x, y: x.clone(), lambda m, x, y: x.floor(),
    lambda m, x, y: x.sub(y, alpha=2), lambda m, x, y: x // y, lambda m, x, y: x % y,
    lambda m, x, y: x @ m.tensor(M, requires_grad=True), lambda m, x, y: x.mv(m.tensor(V, requires_grad=True)),
    lambda m, x, y: m.tensor(V, requires_grad=True).dot(m.tensor(V)),
])
def test_dir_lists_only_the_nodes_own_saved_values(make):
    def case(m):
        x = m.tensor(X, requires_grad=True)
        y = m.tensor(Y, requires_grad=True)
        fn = make(m, x, y).grad_fn
        listed = [n for n in _saved(fn) if "strides" not in n]  # (tensorgraft keeps no strides)
        probes = ["_saved_self", "_saved_other", "_saved_mat2", "_saved_vec", "_saved_tensor1", "_saved_exponent",
                  "_saved_self_sym_sizes", "_saved_self_sym_numel", "_saved_other_sym_sizes", "_saved_out",
                  "_saved_alpha", "_saved_result"]
        return type(fn).__name__, listed, [hasattr(fn, n) for n in probes]
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_dir_runs_no_unpack_hook_and_survives_backward():
    def case(m):
        x = m.tensor(X, requires_grad=True)
        calls = []
        with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: calls.append(1) or t):
            out = x * x
        fn = out.grad_fn
        before = _saved(fn)
        out.sum().backward()
        return before, _saved(fn), len(calls)
    ours, theirs = run_in_both(case)
    assert ours == theirs
