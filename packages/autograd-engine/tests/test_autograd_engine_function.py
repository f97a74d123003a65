"""Custom ``autograd.Function``: ctx API, node naming, multiple outputs, non-tensor args,
non-differentiable / dirty outputs, materialize_grads, once_differentiable."""
import re

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function
from tensorgraft.autograd.function import once_differentiable


class MyReLU(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0).to(g.dtype)


def test_relu_function_forward_backward_and_name():
    x = tg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    y = MyReLU.apply(x)
    assert type(y.grad_fn).__name__ == "MyReLUBackward"
    assert y.grad_fn.name() == "MyReLUBackward"
    assert re.fullmatch(r"<tensorgraft.autograd.function.MyReLUBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert "grad_fn=<MyReLUBackward>" in repr(y)
    assert not y.is_leaf
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 1.0])


def test_no_recording_without_grad():
    x = tg.tensor([1.0, -1.0])
    y = MyReLU.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    with tg.no_grad():
        y = MyReLU.apply(tg.tensor([1.0], requires_grad=True))
    assert y.grad_fn is None


def test_needs_input_grad_and_non_tensor_args():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k, w, flag=None):
            ctx.k = k
            ctx.save_for_backward(w)
            return x * k * w

        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            w, = ctx.saved_tensors
            return g * ctx.k * w, None, None, None

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([2.0, 2.0])
    y = Scale.apply(x, 3.0, w, "flag")
    # as PyTorch: one edge per *tensor* argument (x, w); 3.0 and "flag" get none
    assert len(y.grad_fn.next_functions) == 2 and y.grad_fn.next_functions[1] == (None, 0)
    y.sum().backward()
    assert seen["needs"] == (True, False, False, False)
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_wrong_number_of_grads_is_an_error():
    class Short(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    a = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function ShortBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        Short.apply(a, a).sum().backward()


def test_multiple_outputs_and_materialized_grads():
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1.tolist(), g2.tolist()))
            return g1 * 2 + g2 * 3

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = Two.apply(x)
    assert a.grad_fn is b.grad_fn
    assert a._output_nr == 0 and b._output_nr == 1
    a.sum().backward()
    assert got == [([1.0, 1.0], [0.0, 0.0])]  # unused output's grad materialized as zeros
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    a, b = Two.apply(x)
    (a.sum() + (b * 10).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [32.0, 32.0])


def test_set_materialize_grads_false_passes_none():
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append(g2)
            return g1 * 2

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got == [None]
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_mark_non_differentiable():
    class ValAndIdx(Function):
        @staticmethod
        def forward(ctx, x):
            idx = tg.tensor([1.0, 0.0, 0.0])
            ctx.mark_non_differentiable(idx)
            return (x * 1).sum(), idx

        @staticmethod
        def backward(ctx, gv, gi):
            return gv * tg.ones(3)

    x = tg.tensor([1.0, 5.0, 2.0], requires_grad=True)
    v, i = ValAndIdx.apply(x)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_mark_dirty_rebases_history():
    class Double_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = Double_.apply(y)
    assert z is y
    assert type(y.grad_fn).__name__ == "Double_Backward"
    assert y.tolist() == [2.0, 4.0]
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_returning_input_as_is_gives_new_alias():
    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and x.is_leaf and not y.is_leaf
    assert type(y.grad_fn).__name__ == "IdentBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_double_backward_through_function_and_once_differentiable():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    class CubeOnce(Cube):
        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    x = tg.tensor([2.0], requires_grad=True)
    g, = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert g.requires_grad
    g2, = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), [12.0])
    g, = tg.autograd.grad(CubeOnce.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [12.0])
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        g.sum().backward()


def test_saved_tensors_checks():
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            assert y.grad_fn is ctx  # a saved output comes back attached to this node
            return g * 2

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = Keep.apply(x)
    out.sum().backward(retain_graph=True)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()
    out = Keep.apply(x)
    out.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[2\]\], which is output 0 of Keep, is at version 1; "
                                           r"expected version 0 instead"):
        out.sum().backward()
    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        class Bad(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        Bad.apply(x)


def test_matches_torch_custom_function():
    torch = pytest.importorskip("torch")

    def make(mod):
        class Sigmoidish(mod.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                y = (x * w).tanh()
                ctx.save_for_backward(y, w, x)
                return y

            @staticmethod
            def backward(ctx, g):
                y, w, x = ctx.saved_tensors
                d = g * (1 - y * y)
                return d * w, (d * x).sum(0)
        return Sigmoidish

    xd = np.array([[0.1, -0.4], [0.3, 0.8], [-1.0, 0.5]])
    wd = np.array([0.7, -1.2])
    res = []
    for mod in (tg, torch):
        x = mod.tensor(xd, requires_grad=True)
        w = mod.tensor(wd, requires_grad=True)
        make(mod).apply(x, w).sum().backward()
        res.append((x.grad.numpy(), w.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)
