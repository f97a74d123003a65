"""The autograd regressions of the tutorial-snippet sweep against PyTorch: same gradients, same
error types and messages, same saved-tensor hook calls."""
import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
        return None, (type(exc).__name__, str(exc))
    if hasattr(value, "tolist"):
        value = value.tolist()
    return value, None


def same(snippet):
    assert _outcome(lambda: snippet(tg)) == _outcome(lambda: snippet(torch))


def test_requires_grad_refusals():
    def attribute(t):
        x = t.arange(3)
        x.requires_grad = True

    same(attribute)
    same(lambda t: t.arange(3).requires_grad_())
    same(lambda t: t.tensor([1, 2], requires_grad=True))


def test_modified_saved_tensor_message():
    def snippet(t):
        a = t.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = b ** 2
        b.add_(1)
        c.sum().backward()

    same(snippet)


@pytest.mark.parametrize("write", [
    lambda x: x.unbind(0)[2].mul_(2),
    lambda x: x.split(1)[3].mul_(2),
    lambda x: x.split([1, 3])[1].mul_(2),
    lambda x: x.chunk(2)[1].add_(1),
    lambda x: x.tensor_split(2)[1].add_(1),
    lambda x: x.split(2)[0].zero_(),
    lambda x: x.unbind(0)[1].__setitem__(Ellipsis, 3.0),
    lambda x: x.split(2)[1].__setitem__(0, 3.0),
    lambda x: x.split(2)[1].view(2).mul_(2),
    lambda x: x.split(2)[1][0].mul_(2),
], ids=["unbind", "split", "split_with_sizes", "chunk", "tensor_split", "zero_", "setitem-all", "setitem-select",
        "view-of", "select-of"])
@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "nonleaf"])
def test_inplace_on_multi_output_views(write, leaf):
    def snippet(t):
        x = t.ones(4, requires_grad=True)
        write(x if leaf else x * 1)

    same(snippet)


def test_multi_output_views_without_gradients():
    def snippet(t):
        x = t.ones(4)
        x.unbind(0)[1].mul_(3)
        x.split(2)[1].add_(1)
        return x

    same(snippet)


def test_saved_tensors_hooks_calls_and_gradients():
    rng = np.random.default_rng(8)
    data = rng.uniform(0.5, 1.5, 3).astype(np.float32)

    def snippet(t):
        calls = []
        x = t.tensor(data, requires_grad=True)
        with t.autograd.graph.saved_tensors_hooks(lambda s: calls.append(("pack", tuple(s.shape))) or s * 2,
                                                  lambda p: calls.append(("unpack",)) or p):
            y = (x * x).sum()
        y.backward()
        return calls, x.grad.tolist()

    mine, theirs = snippet(tg), snippet(torch)
    assert mine[0] == theirs[0]
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6)


def test_saved_tensors_hooks_errors():
    def bad_unpack(t):
        x = t.ones(2, requires_grad=True)
        with t.autograd.graph.saved_tensors_hooks(lambda s: s, lambda p: 5):
            y = x * x
        y.sum().backward()

    same(bad_unpack)

    def disabled(t):
        with t.autograd.graph.disable_saved_tensors_hooks("hooks are off"):
            with t.autograd.graph.saved_tensors_hooks(lambda s: s, lambda p: p):
                pass

    same(disabled)

    def on_cpu(t):
        x = t.tensor([0.25, 2.0], requires_grad=True)
        with t.autograd.graph.save_on_cpu():
            y = (x.exp() * x).sum()
        y.backward()
        return [round(v, 5) for v in x.grad.tolist()]

    same(on_cpu)


@pytest.mark.parametrize("snippet", [
    lambda t: t.mul(t.ones(2, requires_grad=True), 2, out=t.empty(2)),
    lambda t: t.add(t.ones(2, requires_grad=True), 1, out=t.empty(2)),
    lambda t: t.exp(t.ones(2), out=t.empty(2, requires_grad=True)),
    lambda t: t.div(t.ones(2), t.ones(2, requires_grad=True), out=t.empty(2)),
], ids=["mul", "add", "exp-out-requires-grad", "div"])
def test_out_while_recording(snippet):
    same(snippet)


@pytest.mark.parametrize("second", [lambda t, b: b * 3, lambda t, b: b * t.tensor([5.0, 7.0]),
                                    lambda t, b: b * b, lambda t, b: 3 * b,
                                    lambda t, b: b * t.tensor([1.0, 1.0], requires_grad=True)],
                         ids=["scalar", "constant", "square", "rscalar", "requires-grad"])
def test_inplace_change_to_a_mul_operand(second):
    def snippet(t):
        a = t.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        c = second(t, b)
        b.mul_(4)
        c.sum().backward()
        return a.grad

    same(snippet)


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_gradient_at_nan_matches_torch(inplace):
    values = [float("nan"), 1.0, -1.0, 0.0, 7.0, float("-inf"), float("inf")]
    grads = []
    for m in (tg, torch):
        x = m.tensor(values, requires_grad=True)
        y = (x * 1).relu_() if inplace else m.relu(x)
        y.backward(m.arange(1.0, 8.0))
        grads.append((x.grad.tolist(), type(y.grad_fn).__name__))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    assert grads[0][1] == grads[1][1]
