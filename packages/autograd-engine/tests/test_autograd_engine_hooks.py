"""Hooks: Tensor.register_hook (leaf and non-leaf), Node.register_hook / register_prehook,
Tensor.register_post_accumulate_grad_hook, and handle.remove()."""
import numpy as np
import pytest

import tensorgraft as tg


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_leaf_hook_modifies_grad_and_remove():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])
    h.remove()
    h.remove()  # a second remove is harmless
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_non_leaf_hook_changes_what_flows_on(torch):
    def run(mod):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()))
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return seen, x.grad.tolist()
    assert run(tg) == run(torch)


def test_hooks_apply_to_autograd_grad_results(torch):
    def run(mod):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        leaf, = mod.autograd.grad((x * x).sum(), x)
        y = x * 2
        y.register_hook(lambda g: g * 10)
        nonleaf, = mod.autograd.grad((y * y).sum(), y)
        return leaf.tolist(), nonleaf.tolist()
    assert run(tg) == run(torch)


def test_hook_on_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        tg.ones(2).register_hook(lambda g: g)


def test_node_hooks_and_prehooks(torch):
    def run(mod):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        log = []

        def pre(grad_outputs):
            log.append(("pre", [g.tolist() for g in grad_outputs]))
            return (grad_outputs[0] * 2,)

        def post(grad_inputs, grad_outputs):
            log.append(("post", [g.tolist() if g is not None else None for g in grad_inputs],
                        [g.tolist() for g in grad_outputs]))

        hp = y.grad_fn.register_prehook(pre)
        y.grad_fn.register_hook(post)
        y.sum().backward(retain_graph=True)
        hp.remove()
        y.sum().backward()
        return log, x.grad.tolist()
    assert run(tg) == run(torch)


def test_node_hook_can_replace_grad_inputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, None))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_post_accumulate_grad_hook(torch):
    def run(mod):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        h.remove()
        (x * 4).sum().backward()
        return seen, x.grad.tolist()
    assert run(tg) == run(torch)
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_handle_is_a_context_manager():
    x = tg.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 100):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [101.0])
