"""Autograd regressions found by the tutorial-snippet sweep: in-place writes to the outputs of
unbind/split/chunk, saved-tensor hooks, ``out=`` while recording, and messages of common mistakes."""
import pytest

import tensorgraft as tg
from tensorgraft.autograd import graph


def _msg(fn, exc=Exception):
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


MULTI = ("Output {nr} of {fn} is a view and is being modified inplace. This view is the output of a function that "
         "returns multiple views. Such functions do not allow the output views to be modified inplace. You should "
         "replace the inplace operation by an out-of-place one.")


def test_requires_grad_attribute_and_method_word_their_refusals():
    t = tg.arange(3)
    with pytest.raises(RuntimeError) as info:
        t.requires_grad = True
    assert str(info.value) == "only Tensors of floating point and complex dtype can require gradients"
    assert _msg(lambda: t.requires_grad_(), RuntimeError) == "only Tensors of floating point dtype can require gradients"
    t.requires_grad = False  # always allowed on a leaf
    assert not t.requires_grad


def test_modified_saved_tensor_hint_names_torch_autograd():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    msg = _msg(lambda: b.sum().backward(), RuntimeError)
    assert msg.startswith("one of the variables needed for gradient computation has been modified by an inplace "
                          "operation: [torch.FloatTensor [2]], which is output 0 of Sigmoid, is at version 1;")
    assert msg.endswith("with torch.autograd.set_detect_anomaly(True, check_nan=False).")


@pytest.mark.parametrize("write, nr, fn", [
    (lambda x: x.unbind(0)[2].mul_(2), 2, "Unbind"),
    (lambda x: x.split(1)[3].mul_(2), 3, "Split"),
    (lambda x: x.split([1, 3])[1].mul_(2), 1, "SplitWithSizes"),
    (lambda x: x.chunk(2)[1].add_(1), 1, "Split"),
    (lambda x: x.split(2)[0].zero_(), 0, "Split"),
    (lambda x: x.unbind(0)[1].__setitem__(Ellipsis, 3.0), 1, "Unbind"),
    (lambda x: x.split(2)[1].__setitem__(0, 3.0), 0, "Select"),
    (lambda x: x.split(2)[1].view(2).mul_(2), 0, "View"),
    (lambda x: x.split(2)[1][0].mul_(2), 0, "Select"),
])
@pytest.mark.parametrize("leaf", [True, False])
def test_inplace_on_a_multi_output_view_is_refused(write, nr, fn, leaf):
    x = tg.ones(4, requires_grad=True)
    src = x if leaf else x * 1
    before = src.detach().clone()
    assert _msg(lambda: write(src), RuntimeError) == MULTI.format(nr=nr, fn=fn)
    assert tg.equal(src.detach(), before)


def test_multi_output_views_stay_writable_without_gradients():
    x = tg.ones(4)
    x.unbind(0)[1].mul_(3)
    x.split(2)[1].add_(1)
    assert x.tolist() == [1.0, 3.0, 2.0, 2.0]
    w = tg.ones(4, requires_grad=True)
    with tg.no_grad():
        w.split(2)[1].mul_(5)
    assert w.tolist() == [1.0, 1.0, 5.0, 5.0]
    # tensor_split's outputs are ordinary views: the usual leaf message
    assert _msg(lambda: w.tensor_split(2)[1].add_(1), RuntimeError) == \
        "a view of a leaf Variable that requires grad is being used in an in-place operation."
    # out-of-place use of the pieces differentiates as before
    a, b = w.split(2)
    (a * 2 + b * 3).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 3.0, 3.0]


def test_saved_tensors_hooks_pack_and_unpack():
    x = tg.ones(2, requires_grad=True)
    packed = []

    def pack(t):
        packed.append(tuple(t.shape))
        return 5.0

    with graph.saved_tensors_hooks(pack, lambda p: tg.full((2,), p)):
        y = x * x
    assert packed == [(2,), (2,)]
    y.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]  # both saved inputs came back as 5


def test_saved_tensors_hooks_unpack_runs_each_backward_and_checks_the_type():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    unpacked = []
    with graph.saved_tensors_hooks(lambda t: t, lambda t: unpacked.append(1) or t):
        y = x.exp()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert len(unpacked) == 2
    assert [round(v, 4) for v in x.grad.tolist()] == [2.0, 5.4366]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()
    with graph.saved_tensors_hooks(lambda t: t, lambda p: 5):
        z = x * x
    assert _msg(lambda: z.sum().backward(), TypeError) == \
        "Output of saved tensor unpack_hook expected to be a Tensor but got result of type int"


def test_saved_tensors_hooks_with_higher_order_and_custom_functions():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = (x ** 3).sum()
    g, = tg.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            a, = ctx.saved_tensors
            return 2 * a * grad

    seen = []
    with graph.saved_tensors_hooks(lambda t: seen.append(t.shape) or t.detach() * 0 + 3, lambda p: p):
        q = Square.apply(x)
    x.grad = None
    q.sum().backward()
    assert seen == [(2,)] and x.grad.tolist() == [6.0, 6.0]


def test_disable_saved_tensors_hooks_and_save_on_cpu():
    with graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="^no hooks here$"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again after the block
        pass
    x = tg.tensor([0.5, 1.5], requires_grad=True)
    with graph.save_on_cpu(pin_memory=True):
        y = (x.sin() * x).sum()
    y.backward()
    expected = (x.detach().cos() * x.detach() + x.detach().sin()).tolist()
    assert x.grad.tolist() == pytest.approx(expected)


def test_out_refused_while_recording():
    x = tg.ones(2, requires_grad=True)
    msg = "{}(): functions with out=... arguments don't support automatic differentiation, but one of the " \
          "arguments requires grad."
    out = tg.empty(2)
    assert _msg(lambda: tg.mul(x, 2, out=out), RuntimeError) == msg.format("mul")
    assert _msg(lambda: tg.add(x, 1, out=out), RuntimeError) == msg.format("add")
    assert _msg(lambda: tg.exp(tg.ones(2), out=tg.empty(2, requires_grad=True)), RuntimeError) == msg.format("exp")
    with tg.no_grad():
        assert tg.mul(x, 2, out=out) is out
    assert out.tolist() == [2.0, 2.0]


def test_mul_keeps_an_operand_only_for_the_other_operands_gradient():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b * 3  # only the number 3 is needed for b's gradient: b is not kept
    b.mul_(4)
    c.sum().backward()
    assert a.grad.tolist() == [6.0, 6.0]
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1
    y = x * tg.tensor([5.0, 7.0])  # a constant tensor: x is not kept either
    x.add_(1)
    y.sum().backward()
    assert w.grad.tolist() == [5.0, 7.0]
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    q = p * 1
    r = q * q  # each operand is read by the other's gradient
    q.add_(1)
    with pytest.raises(RuntimeError, match="which is output 0 of Add, is at version 1"):
        r.sum().backward()


def test_saved_tensors_hooks_see_only_what_mul_keeps():
    x = tg.ones(2, requires_grad=True)
    packed = []
    with graph.saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
        y = x * 2
        z = x * tg.ones(2, requires_grad=True)
    assert packed == [(2,), (2,)]  # nothing for x * 2; both operands of z
    (y + z).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
