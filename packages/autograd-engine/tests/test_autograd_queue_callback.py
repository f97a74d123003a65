"""``Variable._execution_engine.queue_callback``: callbacks that run once the backward pass has
finished (what DistributedDataParallel uses to write averaged gradients), as PyTorch's."""
from __future__ import annotations

import pytest

import tensorgraft as tg
from tensorgraft.autograd import Variable


def test_outside_a_backward_pass_it_is_refused():
    with pytest.raises(RuntimeError, match="^Final callbacks can only be installed during backward pass.$"):
        Variable._execution_engine.queue_callback(lambda: None)


def test_callbacks_run_after_every_gradient_in_the_order_queued():
    x = tg.ones(2, requires_grad=True)
    w = tg.ones(2, requires_grad=True)
    seen = []

    def hook(g):
        Variable._execution_engine.queue_callback(lambda: seen.append(("first", x.grad is None, w.grad is None)))
        Variable._execution_engine.queue_callback(
            lambda: (seen.append("second"), Variable._execution_engine.queue_callback(lambda: seen.append("third"))))
        return g
    x.register_hook(hook)
    (x * w * 2).sum().backward()
    # x's hook ran before any gradient was accumulated; its callbacks ran once both were
    assert seen == [("first", False, False), "second", "third"]
    assert x.grad.tolist() == [2.0, 2.0]
    seen.clear()
    (x * 3).sum().backward()  # callbacks belong to one pass: queued again by the hook, run again
    assert seen[1:] == ["second", "third"]


def test_a_failing_callback_fails_backward_after_the_gradients():
    y = tg.ones(2, requires_grad=True)

    def bad():
        raise ValueError("callback failed")
    y.register_hook(lambda g: Variable._execution_engine.queue_callback(bad))
    with pytest.raises(ValueError, match="callback failed"):
        (y * 2).sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]
    from tensorgraft.autograd import engine  # no pass is left open

    assert engine.passes == []


def test_pytorch_agrees():
    torch = pytest.importorskip("torch")
    runs = {}
    for lib in (torch, tg):
        V = lib.autograd.Variable
        x = lib.ones(2, requires_grad=True)
        seen = []
        x.register_hook(lambda g, V=V, x=x, seen=seen: V._execution_engine.queue_callback(
            lambda: seen.append(x.grad.tolist())))
        (x * 2).sum().backward()
        runs[lib] = seen
    assert runs[tg] == runs[torch] == [[2.0, 2.0]]
