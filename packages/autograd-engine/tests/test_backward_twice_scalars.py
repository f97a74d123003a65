"""A second backward through a freed graph: ops whose formula reads a Python-number operand
(``x * 2``) must fail with PyTorch's message, not with an error from inside the formula; ops that
read nothing saved (``x + 1``, ``x.add(1, alpha=2)``) may run backward twice, as in PyTorch."""
import numpy as np
import pytest

import tensorgraft as tg

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")

# op, gradient of sum(op(x)) at x = [0.5, 2.0]
FREED = {
    "mul": (lambda x: x * 3, [3.0, 3.0]),
    "rmul": (lambda x: 3 * x, [3.0, 3.0]),
    "mul_one": (lambda x: x * 1, [1.0, 1.0]),
    "mul_bool": (lambda x: x * True, [1.0, 1.0]),
    "div": (lambda x: x / 4, [0.25, 0.25]),
    "rdiv": (lambda x: 2 / x, [-8.0, -0.5]),
    "pow": (lambda x: x ** 2, [1.0, 4.0]),
    "rpow": (lambda x: 2 ** x, [np.log(2) * 2 ** 0.5, np.log(2) * 4]),
    "clamp": (lambda x: x.clamp(0, 1), [1.0, 0.0]),
    "clamp_min": (lambda x: x.clamp(min=1.0), [0.0, 1.0]),
}

REUSABLE = {
    "add": (lambda x: x + 1, [1.0, 1.0]),
    "add_alpha": (lambda x: x.add(1, alpha=2), [1.0, 1.0]),
    "add_tensor_alpha": (lambda x: x.add(x.detach(), alpha=5), [1.0, 1.0]),
    "rsub": (lambda x: 1 - x, [-1.0, -1.0]),
}


@pytest.mark.parametrize("name", sorted(FREED))
def test_second_backward_raises_pytorch_message(name, tg_device):
    fn, expected = FREED[name]
    x = tg.tensor([0.5, 2.0], requires_grad=True, device=tg_device)
    y = fn(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-6)
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    assert str(e.value) == SECOND_BACKWARD
    # the failed pass left the first gradient alone
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(FREED))
def test_retain_graph_allows_second_backward(name, tg_device):
    fn, expected = FREED[name]
    x = tg.tensor([0.5, 2.0], requires_grad=True, device=tg_device)
    y = fn(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * np.asarray(expected), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(REUSABLE))
def test_nothing_saved_runs_backward_twice(name, tg_device):
    fn, expected = REUSABLE[name]
    x = tg.tensor([0.5, 2.0], requires_grad=True, device=tg_device)
    y = fn(x)
    y.sum().backward()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * np.asarray(expected), rtol=1e-6)


def test_autograd_grad_twice_with_scalar_operand():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    (g,) = tg.autograd.grad(y, x)
    assert g.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"^Trying to backward through the graph a second time"):
        tg.autograd.grad(y, x)


class _SavesInput(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x * ctx.k, None


def test_custom_function_with_saved_tensor_and_scalar():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = _SavesInput.apply(x, 3.0)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    assert str(e.value) == SECOND_BACKWARD


def test_custom_function_output_scaled_by_scalar():
    # the Function's node and the mul node after it are both freed; the error is PyTorch's
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = _SavesInput.apply(x, 1.0) * 2
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    assert str(e.value) == SECOND_BACKWARD
