"""Common autograd mistakes raise PyTorch's errors (compared with PyTorch's own messages when it
is installed)."""
import re

import pytest

import tensorgraft as tg


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _msg(fn):
    try:
        fn()
    except RuntimeError as e:
        return str(e)
    raise AssertionError("no RuntimeError raised")


# The message up to PyTorch's hint (which names torch.autograd; ours names tensorgraft.autograd).
def _head(msg):
    return msg.split(" Hint:")[0]


def test_implicit_grad_needs_scalar(torch):
    for mod in (tg, torch):
        x = mod.randn(3, requires_grad=True)
        assert _msg(lambda: (x * 2).backward()) == "grad can be implicitly created only for scalar outputs"


def test_second_backward_through_freed_graph(torch):
    msgs = []
    for mod in (tg, torch):
        x = mod.ones(2, requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        msgs.append(_msg(lambda: y.backward()))
    assert msgs[0] == msgs[1]
    assert msgs[0].startswith("Trying to backward through the graph a second time")


def test_graph_without_saved_tensors_can_run_twice(torch):
    x = tg.ones(2, requires_grad=True)
    y = (x + 2).sum()
    y.backward()
    y.backward()  # nothing was saved, as in PyTorch
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph_allows_second_backward():
    x = tg.ones(2, requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == pytest.approx([2 * 2.718281828] * 2)


@pytest.mark.parametrize("case", ["saved_output", "saved_input_nonleaf", "saved_leaf_no_grad", "double"])
def test_inplace_change_of_saved_tensor(torch, case):
    def run(mod):
        dt = mod.float64 if case == "double" else mod.float32
        x = mod.ones(2, 2, requires_grad=True, dtype=dt)
        if case in ("saved_output", "double"):
            e = x.exp()
            e.add_(1)
            out = e.sum()
        elif case == "saved_input_nonleaf":
            e = x + 1
            q = e.sin()
            e.mul_(2)
            out = q.sum()
        else:
            c = mod.ones(2, 2, dtype=dt)
            q = x * c
            c.mul_(2)
            out = q.sum()
        return _msg(out.backward)
    ours, theirs = run(tg), run(torch)
    assert _head(ours) == _head(theirs)
    assert "Hint: enable anomaly detection" in ours


def test_inplace_message_example_from_issue():
    x = tg.ones(2, 2, requires_grad=True)
    e = x.exp()
    e.mul_(2)
    msg = _msg(lambda: e.sum().backward())
    assert msg.startswith("one of the variables needed for gradient computation has been modified by an inplace "
                          "operation: [torch.FloatTensor [2, 2]], which is output 0 of Exp, is at version 1; "
                          "expected version 0 instead.")


def test_inplace_on_leaf_requiring_grad(torch):
    for mod in (tg, torch):
        x = mod.ones(2, requires_grad=True)
        assert _msg(lambda: x.add_(1)) == "a leaf Variable that requires grad is being used in an in-place operation."
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        x.add_(1)  # fine without grad mode (how optimizers update parameters)
    assert x.tolist() == [2.0, 2.0]


def test_requires_grad_on_integer_tensor(torch):
    for mod in (tg, torch):
        t = mod.tensor([1, 2])
        assert _msg(lambda: t.requires_grad_()) == "only Tensors of floating point dtype can require gradients"
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        tg.tensor([1, 2], requires_grad=True)


def test_backward_on_tensor_without_grad(torch):
    for mod in (tg, torch):
        assert _msg(lambda: mod.ones(2).sum().backward()) == \
            "element 0 of tensors does not require grad and does not have a grad_fn"
    a = tg.ones(1, requires_grad=True).sum()
    assert _msg(lambda: tg.autograd.backward([a, tg.ones(1).sum()])) == \
        "element 1 of tensors does not require grad and does not have a grad_fn"


def test_grad_wrt_tensor_not_requiring_grad(torch):
    for mod in (tg, torch):
        a = mod.ones(2, requires_grad=True)
        assert _msg(lambda: mod.autograd.grad((a * 2).sum(), mod.ones(2))) == \
            "One of the differentiated Tensors does not require grad"


def test_grad_output_shape_mismatch(torch):
    msgs = []
    for mod in (tg, torch):
        x = mod.ones(2, requires_grad=True)
        msgs.append(_msg(lambda: (x * 2).backward(mod.ones(3))))
    assert msgs[0] == msgs[1]


def test_requires_grad_false_on_non_leaf():
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_numpy_on_tensor_requiring_grad():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape("Can't call numpy() on Tensor that requires grad")):
        x.numpy()


def test_gradient_count_mismatch(torch):
    for mod in (tg, torch):
        a = mod.ones(2, requires_grad=True)
        assert _msg(lambda: mod.autograd.backward([a.sum(), a.sum()], [mod.tensor(1.0)])) == \
            "got 2 tensors and 1 gradients"
        assert _msg(lambda: mod.autograd.grad([a.sum(), a.sum()], a, grad_outputs=[mod.tensor(1.0)])) == \
            "got 2 tensors and 1 gradients"
