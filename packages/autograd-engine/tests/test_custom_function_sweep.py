"""Edge cases of custom ``autograd.Function`` that PyTorch pins down: a second backward through a
node that saved nothing, what ``release`` keeps, save_for_backward / mark_dirty /
mark_non_differentiable argument rules, gradients of the wrong kind, shape or device, keyword
arguments of ``apply``, the node's repr and the ``once_differentiable`` error node.
Runs on every device (``tg_device``); the *_oracle.py twin compares the same programs with torch."""
import re

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function
from tensorgraft.autograd.function import once_differentiable

SECOND = "Trying to backward through the graph a second time"


class Scale(Function):
    """Keeps only a plain attribute: nothing saved, so backward can run any number of times."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


class Double(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2


class DoubleNoRead(Double):
    @staticmethod
    def backward(ctx, g):  # saved x, never reads it
        return g * 2


def leaf(values, device, dtype=tg.float32):
    return tg.tensor(values, dtype=dtype, device=device, requires_grad=True)


def test_backward_twice_without_saved_tensors(tg_device):
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal(3), tg_device)
    y = Scale.apply(x, 3.0)
    y.sum().backward()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [6.0, 6.0, 6.0])
    assert y.grad_fn.k == 3.0  # plain attributes survive the release
    with pytest.raises(RuntimeError, match=SECOND):
        _ = y.grad_fn.saved_tensors  # reading saved tensors after release fails even when none were saved


def test_backward_twice_when_saved_but_not_read(tg_device):
    x = leaf([1.0, 2.0], tg_device)
    y = DoubleNoRead.apply(x)
    y.sum().backward()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [4.0, 4.0])


def test_backward_twice_reading_saved_tensors_fails(tg_device):
    x = leaf([1.0, 2.0], tg_device)
    y = Double.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match=SECOND):
        y.sum().backward()
    y = Double.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [6.0, 6.0])


def test_save_for_backward_none_and_non_tensors():
    class SaveNone(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            assert b is None
            return g * 2

    x = leaf([1.0], "cpu")
    y = SaveNone.apply(x)
    assert y.grad_fn.saved_tensors[1] is None and y.grad_fn.saved_tensors[0] is x
    y.sum().backward()

    class SaveInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    # checked only when a graph is recorded, as PyTorch
    assert SaveInt.apply(tg.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        SaveInt.apply(x)


def test_mark_dirty_bumps_version_and_must_be_returned():
    class Double_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = tg.ones(3)
    Double_.apply(a)
    assert a._version == 2  # the mul_ and the dirty mark, as PyTorch
    x = leaf([1.0, 1.0, 1.0], "cpu")
    b = x.clone()
    assert Double_.apply(b) is b and b._version == 2 and type(b.grad_fn).__name__ == "Double_Backward"

    class Forgets(Double_):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x * 1

    with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward method were not returned "
                                           "as output"):
        Forgets.apply(tg.ones(3))


def test_marks_take_only_tensors():
    class BadNonDiff(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(3)
            return x * 2

    class BadDirty(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x, 3)
            return x

    with pytest.raises(RuntimeError, match="^mark_non_differentiable only accepts variable arguments, but got $"):
        BadNonDiff.apply(tg.ones(2))
    with pytest.raises(RuntimeError, match="^mark_dirty can only accept variables, but argument $"):
        BadDirty.apply(tg.ones(2))


def test_dirty_and_non_differentiable_output_is_a_detached_alias():
    class Bump(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            ctx.mark_non_differentiable(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = leaf([1.0], "cpu").clone()
    y = Bump.apply(a)
    assert y is not a and not y.requires_grad and y.grad_fn is None
    assert type(a.grad_fn).__name__ == "CloneBackward0" and a._version == y._version == 2
    a.mul_(2)
    assert y.tolist() == [4.0]  # same memory


def test_non_differentiable_input_returned_is_a_detached_alias():
    class Same(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0, 2.0], "cpu")
    y = Same.apply(x)
    assert y is not x and not y.requires_grad and y.grad_fn is None and y._base is None


def test_backward_sees_none_for_non_tensor_outputs():
    seen = []

    class WithExtras(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 5, x.long()

        @staticmethod
        def backward(ctx, g, g_int, g_long):
            seen.append((g_int, g_long.dtype, g_long.tolist()))
            return g * 2

    x = leaf([1.0, 2.0], "cpu")
    out = WithExtras.apply(x)
    assert out[1] == 5 and not out[2].requires_grad
    out[0].sum().backward()
    assert seen == [(None, tg.int64, [0, 0])]  # a non-tensor gets None; an integer tensor its own zeros


@pytest.mark.parametrize("grad, message", [
    (lambda: 2.0, r"^expected Variable or None \(got float\)$"),
    (lambda: tg.ones(4), r"^Function BadBackward returned an invalid gradient at index 0 - got \[4\] but expected "
                         r"shape compatible with \[3\]$"),
    (lambda: tg.ones(1), r"got \[1\] but expected shape compatible with \[3\]"),  # never broadcast up
    (lambda: tg.ones(3, dtype=tg.complex64), r"^Expected isFloatingType\(grad.scalar_type\(\)\) \|\| "
                                             r"\(input_is_complex == grad_is_complex\) to be true"),
])
def test_invalid_gradients(grad, message):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return grad()

    x = leaf([1.0, 2.0, 3.0], "cpu")
    with pytest.raises(RuntimeError, match=message):
        Bad.apply(x).sum().backward()
    assert x.grad is None


def test_gradient_summed_down_and_cast_to_the_input():
    class Wide(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return tg.ones(2, 3, dtype=tg.float64)

    x = leaf([1.0, 2.0, 3.0], "cpu")
    Wide.apply(x).sum().backward()
    assert x.grad.dtype == tg.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_gradient_on_another_device_is_an_error(tg_device):
    if tg_device == "cpu":
        pytest.skip("needs an accelerator: the gradient comes back on the CPU")

    class OnCpu(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.cpu()

    x = leaf([1.0, 2.0], tg_device)
    with pytest.raises(RuntimeError, match=re.escape(f"Function OnCpuBackward returned an invalid gradient at index 0 "
                                                     f"- expected device {x.device} but got cpu")):
        OnCpu.apply(x).sum().backward()


def test_gradient_for_a_non_tensor_argument_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2"):
        Bad.apply(leaf([1.0], "cpu"), 2.0).sum().backward()


class WithDefaults(Function):
    @staticmethod
    def forward(ctx, x, w=None, k=3.0):
        ctx.k = k
        return x * k if w is None else x * w * k

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.k,) + (None,) * (len(ctx.needs_input_grad) - 1)


def test_apply_keywords_take_their_positional_slot():
    x = leaf([1.0, 2.0], "cpu")
    w = leaf([3.0, 4.0], "cpu")
    y = WithDefaults.apply(x, w=w)
    assert y.grad_fn.needs_input_grad == (True, True)  # w became argument 1
    assert len(y.grad_fn.next_functions) == 2
    assert WithDefaults.apply(x).grad_fn.needs_input_grad == (True,)  # defaults are not filled in
    assert WithDefaults.apply(x, None, k=2.0).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match=r"^forward\(\) missing required argument: 'w' \(position 1\)$"):
        WithDefaults.apply(x, k=2.0)
    with pytest.raises(TypeError, match=r"^forward\(\) got an unexpected keyword argument 'bogus'$"):
        WithDefaults.apply(x, bogus=1)
    with pytest.raises(TypeError, match=r"^forward\(\) got multiple values for argument 'x'$"):
        WithDefaults.apply(x, x=x)


def test_setup_context_style_binds_defaults():
    seen = []

    class Mul(Function):
        @staticmethod
        def forward(x, w=None, k=3.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append(inputs[1:])
            ctx.k = inputs[2]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, None

    x = leaf([1.0, 2.0], "cpu")
    Mul.apply(x).sum().backward()
    Mul.apply(x, k=5.0)
    assert seen == [(None, 3.0), (None, 5.0)]
    assert x.grad.tolist() == [3.0, 3.0]

    class KeywordOnly(Mul):
        @staticmethod
        def forward(x, *, k=3.0):
            return x * k

    with pytest.raises(TypeError, match=r"^forward\(\) got an unexpected keyword argument 'k'$"):
        KeywordOnly.apply(x)


def test_node_repr_name_and_defaults():
    x = leaf([1.0], "cpu")
    node = Scale.apply(x, 2.0).grad_fn
    assert node.name() == "ScaleBackward"
    assert re.fullmatch(r"<tensorgraft\.autograd\.function\.ScaleBackward object at 0x[0-9a-f]+>", repr(node))
    assert Scale.generate_vmap_rule is False
    with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
        Scale.jvp(None, None)
    with pytest.raises(NotImplementedError, match="override the vmap staticmethod or set generate_vmap_rule=True"):
        Scale.vmap(None, None)


def test_hooks_on_a_custom_node(tg_device):
    x = leaf([1.0, 2.0], tg_device)
    y = Scale.apply(x, 2.0)
    log = []

    def post(grad_inputs, grad_outputs):
        log.append(("post", len(grad_inputs)))  # one per tensor argument: the 2.0 has no edge
        return (grad_inputs[0] * 10,)

    y.grad_fn.register_prehook(lambda grad_outputs: log.append(("pre", len(grad_outputs))))
    y.grad_fn.register_hook(post)
    y.sum().backward()
    assert log == [("pre", 1), ("post", 1)]
    np.testing.assert_allclose(x.grad.cpu().numpy(), [20.0, 20.0])


def test_once_differentiable_hangs_results_on_an_error_node():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = leaf([1.0, 2.0], "cpu")
    v = leaf([1.0, 1.0], "cpu")
    gx, = tg.autograd.grad(Square.apply(x), x, grad_outputs=v, create_graph=True)
    assert gx.tolist() == [2.0, 4.0] and gx.requires_grad
    assert type(gx.grad_fn).__name__ == "Error" and gx.grad_fn.name() == "torch::autograd::Error"
    # as PyTorch's: the node leads to a fresh leaf with the result's values, not to v
    stand_in = gx.grad_fn.next_functions[0][0].variable
    assert stand_in is not v and stand_in.tolist() == [2.0, 4.0] and stand_in.is_leaf
    with pytest.raises(RuntimeError, match="^trying to differentiate twice a function that was marked with "
                                           "@once_differentiable$"):
        gx.sum().backward()
    # without a grad-requiring incoming gradient nothing is attached
    gx, = tg.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert not gx.requires_grad
