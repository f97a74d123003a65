"""``torch._assert`` and ``torch._C._nn`` (PyTorch 2.13's behaviour: the same results and messages)."""
import pytest

import tensorgraft as torch


def test_assert_raises_with_the_message_and_returns_none():
    assert torch._assert(True, "never") is None
    assert torch._assert(torch.tensor(True), "never") is None
    with pytest.raises(AssertionError, match="^boom$"):
        torch._assert(False, "boom")
    with pytest.raises(AssertionError, match="^msg$"):
        torch._assert(torch.tensor(False), "msg")
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        torch._assert(torch.tensor([True, False]), "two")


def test_assert_dispatches_to_torch_function_arguments():
    seen = []

    class Recorder:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append((func.__name__, args[1:]))
            return "handled"

    assert torch._assert(Recorder(), "m") == "handled" and seen == [("_assert", ("m",))]


def test_c_nn_names_the_functional_builtins():
    F = pytest.importorskip("tensorgraft.nn.functional")
    for name in ("gelu", "linear", "softplus", "one_hot", "avg_pool2d", "scaled_dot_product_attention"):
        assert getattr(torch._C._nn, name) is getattr(F, name)
    assert torch._C._nn.__name__ == "torch._C._nn" and "gelu" in dir(torch._C._nn)
    with pytest.raises(AttributeError, match="module 'torch._C._nn' has no attribute 'relu'"):
        torch._C._nn.relu  # noqa: B018 (F.relu is a Python function in PyTorch, not one of these)
