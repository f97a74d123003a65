"""Gaps found by the autograd example programs (tests/programs/autograd_*.py), checked without
PyTorch (the ``_oracle`` file next to this one compares the same behaviour with PyTorch)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils.checkpoint import CheckpointError, checkpoint

RNG = np.random.default_rng(11)
X = RNG.standard_normal(3)


def test_grad_is_grads_batched_gives_jacobian_rows():
    x = tg.tensor(X, requires_grad=True)
    (jac,) = tg.autograd.grad(x.sin() * 2, x, grad_outputs=tg.eye(3, dtype=tg.float64), is_grads_batched=True)
    np.testing.assert_allclose(jac.numpy(), np.diag(2 * np.cos(X)), rtol=1e-12)
    with pytest.raises(RuntimeError, match="If `is_grads_batched=True`"):
        tg.autograd.grad(x * 2, x, grad_outputs=tg.ones(3), is_grads_batched=True)


def test_non_reentrant_checkpoint_keeps_op_nodes_and_stops_early():
    pytest.importorskip("tensorgraft.nn", reason="needs the layers (tensorgraft-nn)")
    calls = []
    lin = tg.nn.Linear(3, 3)
    lin.register_forward_hook(lambda m, i, o: calls.append("fwd"))
    x = tg.tensor(X, dtype=tg.float32, requires_grad=True)
    h = checkpoint(lambda t: lin(t).tanh(), x, use_reentrant=False)
    assert h.grad_fn.name() == "TanhBackward0"
    h.sum().backward()
    assert calls == ["fwd", "fwd"]  # tanh saves its result after the hook: the hook runs again
    calls.clear()
    checkpoint(lin, x, use_reentrant=False).sum().backward()
    assert calls == ["fwd"]  # the last saved tensor is back inside lin's forward: stopped there


def test_non_reentrant_checkpoint_metadata_error():
    count = [0]

    def f(t):
        count[0] += 1
        return t.exp().sin() if count[0] == 1 else t.sin() * 1
    y = checkpoint(f, tg.tensor(X, requires_grad=True), use_reentrant=False)
    with pytest.raises(CheckpointError, match="A different number of tensors was saved"):
        y.sum().backward()


def test_saved_attributes_and_raw_saved_hooks():
    a = tg.tensor(X, requires_grad=True)
    b = tg.tensor(X, requires_grad=True)
    c = a * b
    assert c.grad_fn._saved_self is a and c.grad_fn._saved_other is b
    assert a.pow(3).grad_fn._saved_exponent == 3
    assert a.sum(0, keepdim=True).grad_fn._saved_self_sym_sizes == (3,)
    with pytest.raises(AttributeError):
        _ = (a + b).grad_fn._saved_self
    y = a.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t * 10, lambda t: t)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 20 * X, rtol=1e-12)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        _ = y.grad_fn._saved_self


def test_gradcheck_checks_reentrancy_and_grad_output_scaling():
    class IgnoresGrad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return tg.ones(3, dtype=tg.float64)
    x = tg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
        tg.autograd.gradcheck(IgnoresGrad.apply, (x,))
    assert tg.autograd.gradcheck(IgnoresGrad.apply, (x,), raise_exception=False) is False


def test_linearize_and_vjp_only_functions():
    out, fn = tg.func.linearize(tg.sin, tg.tensor(X))
    np.testing.assert_allclose(fn(tg.ones(3, dtype=tg.float64)).numpy(), np.cos(X), rtol=1e-12)

    class VjpOnly(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2
    x = tg.tensor(X, requires_grad=True)
    VjpOnly.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_multi_grad_hook_and_gradient_edges():
    a = tg.ones(2, requires_grad=True)
    b = tg.ones(2, requires_grad=True)
    seen = []
    tg.autograd.graph.register_multi_grad_hook((a, b), lambda gs: seen.append([g is None for g in gs]))
    (a * b).sum().backward()
    (a * 2).sum().backward()
    assert seen == [[False, False], [False, True]]
    h = a.tanh()
    (g,) = tg.autograd.grad((h * 3).sum(), tg.autograd.graph.get_gradient_edge(h))
    np.testing.assert_allclose(g.numpy(), 3.0)


def test_mark_dirty_on_view_reaches_the_base():
    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2
    leaf = tg.ones(4, requires_grad=True)
    base = leaf.clone()
    Double.apply(base[1:3])
    assert base.grad_fn.name() == "torch::autograd::CopySlices"
    base.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), [1.0, 2.0, 2.0, 1.0])


def test_grad_mode_switch_arguments():
    with pytest.raises(TypeError, match="must be bool, not int"):
        tg.set_grad_enabled(1)
    assert repr(tg.set_grad_enabled(True)) == "torch.autograd.grad_mode.set_grad_enabled(mode=True)"
    with tg.autograd.set_multithreading_enabled(False):
        assert tg.autograd.is_multithreading_enabled() is False
    assert tg.autograd.is_multithreading_enabled() is True
    x = tg.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 1).backward(tg.tensor(1.0))
